// DOC: The normalised model as JSON (`vigild --dump-config`): what vigil understood, with every
// default filled in, so an operator can diff it against what they meant.
#pragma once

#include <nlohmann/json.hpp>

#include "conf/diagnostics.hpp"
#include "conf/model.hpp"

namespace conf {

[[nodiscard]] nlohmann::ordered_json to_json(const Config& config);
[[nodiscard]] nlohmann::ordered_json to_json(const Diagnostic& d);

}  // namespace conf
