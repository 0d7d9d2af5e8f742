// DOC: json_text — JSON to text that never throws on the bytes inside.
// keepalived.conf is bytes, not UTF-8: a name, a script or a diagnostic quoting a misspelt
// keyword can carry any byte, and nlohmann::json::dump() throws on invalid UTF-8 (which on an
// asynchronous control-socket reply would escape the event loop). Invalid sequences become
// U+FFFD instead.
#pragma once

#include <string>

namespace vigil {

template <typename Json>
[[nodiscard]] std::string json_text(const Json& json, int indent = -1) {
  return json.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace vigil
