// DOC: UDP_CHECK reply matching with per-byte wildcards.
#include "libhealth/core/udp_rules.hpp"

#include <algorithm>

namespace health {

ProbeResult evaluate_udp_reply(const UdpSpec& spec, std::span<const std::uint8_t> reply) {
  if (!spec.require_reply) return ProbeResult::success("UDP reply of " + std::to_string(reply.size()) + " bytes");
  if (reply.size() < spec.min_reply_length || reply.size() > spec.max_reply_length) {
    return ProbeResult::failure("UDP reply of " + std::to_string(reply.size()) + " bytes, expected " +
                                std::to_string(spec.min_reply_length) + ".." + std::to_string(spec.max_reply_length));
  }
  const std::size_t n = std::min(reply.size(), spec.reply.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t mask = i < spec.reply_mask.size() ? spec.reply_mask[i] : 0xff;
    if (((reply[i] ^ spec.reply[i]) & mask) != 0) {
      return ProbeResult::failure("UDP reply differs from require_reply at byte " + std::to_string(i));
    }
  }
  return ProbeResult::success("UDP reply of " + std::to_string(reply.size()) + " bytes matches");
}

ProbeResult evaluate_udp_silence(const UdpSpec& spec, Duration waited) {
  if (spec.require_reply) return ProbeResult::failure("no UDP reply within " + format_duration(waited));
  return ProbeResult::success("no ICMP error within " + format_duration(waited));
}

}  // namespace health
