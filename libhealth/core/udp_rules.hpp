// DOC: UDP_CHECK verdicts (keepalived check_udp.c + layer4.c udp_socket_state):
//  * an ICMP port unreachable (ECONNREFUSED on the connected socket) → down;
//  * no reply before connect_timeout → up, unless require_reply is set;
//  * a reply → up, and with require_reply it must be min..max bytes long and match the expected
//    bytes where the mask says so. keepalived compares only the shorter of the reply and the
//    pattern, and applies the lengths only when a pattern is given; vigil applies the lengths
//    whenever require_reply is set, which is what the keywords say.
#pragma once

#include <cstdint>
#include <span>

#include "libhealth/core/check.hpp"
#include "libhealth/core/types.hpp"

namespace health {

[[nodiscard]] ProbeResult evaluate_udp_reply(const UdpSpec& spec, std::span<const std::uint8_t> reply);
[[nodiscard]] ProbeResult evaluate_udp_silence(const UdpSpec& spec, Duration waited);

}  // namespace health
