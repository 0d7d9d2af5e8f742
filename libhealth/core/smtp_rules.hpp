// DOC: SMTP_CHECK reply parsing (RFC 5321 §4.2). A reply is one or more lines "ddd-text" ending
// with a line "ddd text" (or a bare "ddd"); keepalived looks only at the first line's code, which
// misreads multi-line greetings, so vigil waits for the reply's last line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace health {

struct SmtpReply {
  int code = 0;       // -1 when a line does not start with three digits
  std::string text;   // the last line's text, for the log
};

/// The complete reply at the start of `buffer`, or nullopt when more input is needed.
[[nodiscard]] std::optional<SmtpReply> parse_smtp_reply(std::string_view buffer);

}  // namespace health
