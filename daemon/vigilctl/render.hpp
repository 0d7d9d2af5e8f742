// DOC: Human-readable rendering of vigild's control replies (vigilctl without --json).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace vigilctl {

[[nodiscard]] std::string render(const std::string& command, const nlohmann::json& reply);

}  // namespace vigilctl
