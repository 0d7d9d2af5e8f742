#include "daemon/vigild/options.hpp"

#include <CLI/CLI.hpp>

namespace vigild {

std::variant<Options, int> parse_options(int argc, char** argv) {
  Options o;
  CLI::App app{"vigild — VRRP, IPVS and health checks from a keepalived.conf"};
  app.set_version_flag("-v,--version", std::string("vigild ") + VIGIL_VERSION);
  app.add_option("-f,--use-file", o.config_file, "configuration file")->capture_default_str();
  app.add_option("-i,--config-id", o.config_id, "configuration id for `@ID` lines (default: short host name)");
  bool test = false, dump = false, plan = false, dont_fork = false, keepalived_dump = false;
  app.add_flag("-t,--config-test", test,
               "check the configuration and exit: 0 clean, 1 warnings only, 2 errors (no privileges needed)");
  app.add_flag("--dump-config", dump, "print the normalised configuration as JSON and exit");
  app.add_flag("-d,--dump-conf", keepalived_dump, "keepalived's spelling of --dump-config");
  app.add_flag("--reload-plan", plan, "print what a reload of FILE would change in the running daemon, change nothing");
  app.add_flag("--json", o.json, "with -t: print diagnostics as JSON");
  app.add_flag("-n,--dont-fork", dont_fork, "accepted for keepalived compatibility: vigild never forks");
  app.add_flag("-l,--log-console", o.log_console, "log to the console (stderr) even under systemd");
  app.add_flag("-D,--log-detail", o.log_detail, "detailed logging (debug level)");
  app.add_flag("-P,--vrrp", o.vrrp_only, "run only VRRP (no IPVS, no health checks)");
  app.add_flag("-C,--check", o.checker_only, "run only IPVS and health checks (no VRRP)");
  app.add_option("--log-level", o.log_level, "trace, debug, info, warning, error or critical")
      ->check(CLI::IsMember({"trace", "debug", "info", "warning", "error", "critical"}));
  app.add_option("-p,--pid", o.pid_file, "write the process id to this file");
  app.add_option("--control-socket", o.control_socket, "control socket path (default /run/vigil/vigil.sock)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (o.vrrp_only && o.checker_only) {
    std::fprintf(stderr, "vigild: -P/--vrrp and -C/--check exclude each other\n");
    return 2;
  }
  if (test) o.mode = Mode::config_test;
  else if (dump || keepalived_dump) o.mode = Mode::dump_config;
  else if (plan) o.mode = Mode::reload_plan;
  return o;
}

}  // namespace vigild
