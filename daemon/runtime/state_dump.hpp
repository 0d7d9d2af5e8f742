// DOC: SIGUSR1 state dump in keepalived's /tmp/keepalived.data layout (the subset exporters
// read: instances with state, priorities, interface, VRID, VIPs; virtual and real servers).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace vigild {

[[nodiscard]] std::string render_state_dump(const nlohmann::json& status);

}  // namespace vigild
