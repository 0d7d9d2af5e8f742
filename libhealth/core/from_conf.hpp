// DOC: from_conf() — the one place that reads the config model (conf::Config) and produces check
// definitions. The parser's builder has already resolved inheritance and defaults (checker ←
// real_server ← virtual_server ← keepalived default); what is left here is the checker-specific
// resolution: connect address/port defaulting to the real server's, virtualhost falling back to
// the virtual server's, SNI, the script user falling back to global script_user, DNS type names.
//
// Checkers vigil does not run (FILE_CHECK, BFD_CHECK) are left out with a warning
// naming them, so the real server is judged by its other checkers; the daemon prints the warnings.
#pragma once

#include <string>
#include <vector>

#include "conf/model.hpp"
#include "libhealth/core/check.hpp"

namespace health {

struct Definitions {
  std::vector<RealServerDefinition> servers;
  std::vector<std::string> warnings;  // "file:line:col: warning: ..." lines
};

[[nodiscard]] Definitions from_conf(const conf::Config& config);

/// One real server of one virtual server (exposed for tests and for the daemon's own use).
[[nodiscard]] RealServerDefinition from_conf(const conf::GlobalDefs& global, const conf::VirtualServer& vs,
                                             const conf::RealServer& rs, std::vector<std::string>& warnings);

}  // namespace health
