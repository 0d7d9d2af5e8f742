// The subsystems vigild runs, chosen by -P (VRRP only) and -C (IPVS and checks only).
#include "daemon/runtime/daemon.hpp"
#include "daemon/runtime/vrrp_subsystem.hpp"

namespace vigild {

std::vector<std::unique_ptr<Subsystem>> make_subsystems(boost::asio::io_context& io, vigil::log::Logger& log,
                                                        const Options& options) {
  std::vector<std::unique_ptr<Subsystem>> out;
  if (!options.checker_only) out.push_back(std::make_unique<VrrpSubsystem>(io, log));
  return out;
}

}  // namespace vigild
