// vigild: entry point. Parses the command line and hands over to the mode asked for; the
// running daemon is wired in daemon/runtime.
#include <cstdio>

#include "daemon/vigild/config_test.hpp"
#include "daemon/vigild/options.hpp"

int main(int argc, char** argv) {
  const auto parsed = vigild::parse_options(argc, argv);
  if (const int* code = std::get_if<int>(&parsed)) return *code;
  const auto& options = std::get<vigild::Options>(parsed);
  switch (options.mode) {
    case vigild::Mode::config_test: return vigild::run_config_test(options);
    case vigild::Mode::dump_config: return vigild::run_dump_config(options);
    case vigild::Mode::reload_plan:
    case vigild::Mode::run:
    case vigild::Mode::version:
      break;
  }
  std::fprintf(stderr, "vigild: the daemon itself is not wired yet; use -t or --dump-config\n");
  return 2;
}
