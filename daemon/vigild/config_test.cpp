#include "daemon/vigild/config_test.hpp"

#include <iostream>

#include "conf/json_dump.hpp"
#include "conf/parser.hpp"
#include "common/json_text.hpp"

namespace vigild {

namespace {

int exit_code(const conf::ParseResult& r) {
  if (r.diagnostics.has_errors()) return 2;
  if (r.diagnostics.warning_count() > 0) return 1;
  return 0;
}

void print_diagnostics(const conf::ParseResult& r, std::ostream& out) {
  for (const auto& d : r.sorted_diagnostics()) out << d << '\n';
}

}  // namespace

int run_config_test(const Options& options) {
  const auto result = conf::parse_file(options.config_file, conf::ParseOptions{options.config_id});
  if (options.json) {
    nlohmann::ordered_json diags = nlohmann::ordered_json::array();
    for (const auto& d : result.sorted_diagnostics()) diags.push_back(conf::to_json(d));
    std::cout << vigil::json_text(nlohmann::ordered_json{{"files", result.files},
                                                         {"errors", result.diagnostics.error_count()},
                                                         {"warnings", result.diagnostics.warning_count()},
                                                         {"diagnostics", diags}},
                                  2)
              << '\n';
    return exit_code(result);
  }
  print_diagnostics(result, std::cerr);
  const auto& c = result.config;
  std::cerr << options.config_file << ": " << result.diagnostics.error_count() << " error(s), "
            << result.diagnostics.warning_count() << " warning(s); " << c.vrrp_instances.size()
            << " vrrp_instance(s), " << c.virtual_servers.size() << " virtual_server(s)\n";
  return exit_code(result);
}

int run_dump_config(const Options& options) {
  const auto result = conf::parse_file(options.config_file, conf::ParseOptions{options.config_id});
  print_diagnostics(result, std::cerr);
  if (result.diagnostics.has_errors()) return 2;
  std::cout << vigil::json_text(conf::to_json(result.config), 2) << '\n';
  return 0;
}

}  // namespace vigild
