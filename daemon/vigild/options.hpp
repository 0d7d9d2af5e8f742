// DOC: vigild's command line. keepalived's flags are accepted with their meaning so scripts
// and unit files written for keepalived keep working (-f -n -l -D -P -C -i -t -d -p).
#pragma once

#include <optional>
#include <string>
#include <variant>

namespace vigild {

enum class Mode { run, config_test, dump_config, reload_plan, version };

struct Options {
  Mode mode = Mode::run;
  std::string config_file = "/etc/vigil/vigil.conf";
  std::string config_id;             // -i: matches `@ID` lines
  bool vrrp_only = false;            // -P / --vrrp
  bool checker_only = false;         // -C / --check (keepalived: checker and IPVS only)
  bool log_console = false;          // -l
  bool log_detail = false;           // -D
  bool json = false;                 // machine-readable -t output
  std::optional<std::string> log_level;
  std::optional<std::string> pid_file;
  std::optional<std::string> control_socket;
};

/// Parses argv; on --help or a usage error prints and returns the exit code to use.
[[nodiscard]] std::variant<Options, int> parse_options(int argc, char** argv);

}  // namespace vigild
