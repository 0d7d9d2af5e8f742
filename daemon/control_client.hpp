// DOC: The client side of the control socket, shared by vigilctl and vigild --reload-plan.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/result.hpp"

namespace vigild {

/// Sends one request and waits (bounded) for its reply.
vigil::Result<nlohmann::json> control_request(const std::string& socket_path, const nlohmann::json& request);

}  // namespace vigild
