// DOC: `vigild --reload-plan -f FILE`: asks the running daemon (over the control socket) what a
// reload with FILE's content would change, and prints it. Nothing is changed.
#pragma once

#include "daemon/vigild/options.hpp"

namespace vigild {

int run_reload_plan(const Options& options);

}  // namespace vigild
