// The subsystems vigild runs, chosen by -P (VRRP only) and -C (IPVS and checks only).
#include "daemon/runtime/daemon.hpp"
#include "daemon/runtime/ipvs_subsystem.hpp"
#include "daemon/runtime/vrrp_subsystem.hpp"
#include "libipvs/socket.hpp"
#include "common/process/script_runner.hpp"

namespace vigild {

std::unique_ptr<vigil::process::AsioScriptRunner> make_script_runner(boost::asio::io_context& io, vigil::log::Logger& log) {
  return std::make_unique<vigil::process::AsioScriptRunner>(io, log);
}

vigil::process::ScriptPolicy script_policy(const conf::GlobalDefs& global) {
  return {global.script_user, global.script_group, global.enable_script_security, 64 * 1024};
}

std::vector<std::unique_ptr<Subsystem>> make_subsystems(boost::asio::io_context& io, vigil::log::Logger& log,
                                                        vigil::ScriptRunner& scripts, const Options& options) {
  std::vector<std::unique_ptr<Subsystem>> out;
  if (!options.checker_only) out.push_back(std::make_unique<VrrpSubsystem>(io, log, scripts));
  if (!options.vrrp_only) {
    auto open_kernel = []() -> vigil::Result<std::unique_ptr<ipvs::Kernel>> {
      auto socket = ipvs::Socket::open();
      if (!socket) return socket.error();
      return std::unique_ptr<ipvs::Kernel>(std::make_unique<ipvs::Socket>(std::move(socket.value())));
    };
    out.push_back(std::make_unique<IpvsSubsystem>(io, log, scripts, open_kernel));
  }
  return out;
}

}  // namespace vigild
