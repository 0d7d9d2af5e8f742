// DOC: DNS_CHECK rules that need no socket (keepalived check_dns.c): the query types it knows, and
// the verdict on a reply. A reply whose ID differs from the query's, or that is not a response
// (QR clear), is ignored and the probe keeps waiting; a response with RCODE NOERROR is up, any
// other RCODE is down. The answer section is not examined, as in keepalived.
// The query itself is encoded by c-ares (ares_create_query) in the probe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "libhealth/core/types.hpp"

namespace health {

/// A|NS|CNAME|SOA|MX|TXT|AAAA (case-insensitive) → QTYPE; nullopt for anything else.
[[nodiscard]] std::optional<std::uint16_t> dns_qtype(std::string_view name) noexcept;
[[nodiscard]] std::string dns_qtype_name(std::uint16_t qtype);

enum class DnsReplyKind : std::uint8_t { ignore, answer };

struct DnsVerdict {
  DnsReplyKind kind = DnsReplyKind::ignore;
  ProbeResult result;  // meaningful when kind == answer
};

[[nodiscard]] DnsVerdict evaluate_dns_reply(std::span<const std::uint8_t> reply, std::uint16_t query_id);

}  // namespace health
