// DOC: Failure wording shared by every Kernel implementation, so the fake and the real kernel
// report the same text for the same errno.
#include "libipvs/kernel.hpp"

#include <cstring>

namespace ipvs {

std::string errno_text(int errno_value) {
  const char* text = strerrordesc_np(errno_value);
  return text != nullptr ? std::string(text) : "errno " + std::to_string(errno_value);
}

vigil::Error operation_error(const Operation& op, int errno_value, std::string_view detail) {
  std::string message = describe(op) + ": " + errno_text(errno_value);
  if (!detail.empty()) {
    message += " (";
    message += detail;
    message += ")";
  }
  return vigil::Error{std::move(message), errno_value};
}

vigil::Result<void> ApplyReport::first_error() const {
  if (failures.empty()) return {};
  return failures.front().error;
}

std::string ApplyReport::to_string() const {
  std::string out;
  for (const auto& f : failures) out += f.error.message + "\n";
  return out;
}

}  // namespace ipvs
