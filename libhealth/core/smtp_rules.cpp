// DOC: SMTP reply lines (RFC 5321 §4.2.1 multi-line replies).
#include "libhealth/core/smtp_rules.hpp"

#include <cctype>

namespace health {

std::optional<SmtpReply> parse_smtp_reply(std::string_view buffer) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = buffer.find('\n', start);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view line = buffer.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const bool digits = line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
                        std::isdigit(static_cast<unsigned char>(line[1])) &&
                        std::isdigit(static_cast<unsigned char>(line[2]));
    if (!digits) return SmtpReply{-1, std::string(line.substr(0, 80))};
    if (line.size() == 3 || line[3] != '-') {
      const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
      return SmtpReply{code, std::string(line.size() > 4 ? line.substr(4, 80) : std::string_view())};
    }
    start = end + 1;
  }
}

}  // namespace health
