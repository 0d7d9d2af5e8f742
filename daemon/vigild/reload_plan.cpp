#include "daemon/vigild/reload_plan.hpp"

#include <filesystem>
#include <iostream>

#include "conf/parser.hpp"
#include "daemon/control_client.hpp"
#include "daemon/runtime/control_server.hpp"

namespace vigild {

int run_reload_plan(const Options& options) {
  // Validate locally first: a broken file never reaches the daemon.
  const auto parsed = conf::parse_file(options.config_file, conf::ParseOptions{options.config_id});
  for (const auto& d : parsed.sorted_diagnostics()) std::cerr << d << '\n';
  if (parsed.diagnostics.has_errors()) return 2;
  const auto reply = control_request(options.control_socket.value_or(
                                         parsed.config.global.control_socket.value_or(k_default_control_socket)),
                                     {{"command", "reload"},
                                      {"dry_run", true},
                                      {"file", std::filesystem::absolute(options.config_file).string()}});
  if (!reply) {
    std::cerr << "vigild --reload-plan: " << reply.error().message << '\n';
    return 1;
  }
  const auto& r = *reply;
  if (!r.value("ok", false)) {
    std::cerr << "vigild --reload-plan: " << r.value("error", std::string("failed")) << '\n';
    return 1;
  }
  const auto& plan = r["plan"];
  if (plan.empty()) std::cout << "no changes\n";
  for (const auto& line : plan) std::cout << line.get<std::string>() << '\n';
  return 0;
}

}  // namespace vigild
