// DOC: `vigild -t` and `--dump-config`: parse and validate without privileges, print
// diagnostics as FILE:LINE:COL: severity: message (or JSON), exit 0 clean / 1 warnings / 2 errors.
#pragma once

#include "daemon/vigild/options.hpp"

namespace vigild {

int run_config_test(const Options& options);
int run_dump_config(const Options& options);

}  // namespace vigild
