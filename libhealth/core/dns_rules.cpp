// DOC: DNS_CHECK type names and reply-header verdicts (RFC 1035 §4.1.1 header layout).
#include "libhealth/core/dns_rules.hpp"

#include <array>
#include <cctype>
#include <utility>

namespace health {

namespace {
constexpr std::array<std::pair<std::string_view, std::uint16_t>, 7> k_types{{
    {"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"MX", 15}, {"TXT", 16}, {"AAAA", 28},
}};

constexpr std::array<std::string_view, 11> k_rcodes{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                                    "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"};
}  // namespace

std::optional<std::uint16_t> dns_qtype(std::string_view name) noexcept {
  for (const auto& [type_name, code] : k_types) {
    if (type_name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      same = std::toupper(static_cast<unsigned char>(name[i])) == type_name[i];
    }
    if (same) return code;
  }
  return std::nullopt;
}

std::string dns_qtype_name(std::uint16_t qtype) {
  for (const auto& [type_name, code] : k_types) {
    if (code == qtype) return std::string(type_name);
  }
  return "TYPE" + std::to_string(qtype);
}

DnsVerdict evaluate_dns_reply(std::span<const std::uint8_t> reply, std::uint16_t query_id) {
  if (reply.size() < 12) return {};
  const auto id = static_cast<std::uint16_t>((reply[0] << 8) | reply[1]);
  const bool is_response = (reply[2] & 0x80) != 0;
  if (id != query_id || !is_response) return {};
  const int rcode = reply[3] & 0x0f;
  if (rcode != 0) {
    const auto index = static_cast<std::size_t>(rcode);
    const std::string name = index < k_rcodes.size() ? std::string(k_rcodes[index]) : std::to_string(rcode);
    return {DnsReplyKind::answer, ProbeResult::failure("DNS reply with rcode " + name)};
  }
  const auto answers = static_cast<unsigned>((reply[6] << 8) | reply[7]);
  return {DnsReplyKind::answer,
          ProbeResult::success("DNS reply NOERROR with " + std::to_string(answers) + " answer(s)")};
}

}  // namespace health
