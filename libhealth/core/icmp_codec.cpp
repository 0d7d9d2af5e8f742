// DOC: ICMP echo encoding/decoding (RFC 792 echo, RFC 4443 echo, RFC 1071 checksum).
#include "libhealth/core/icmp_codec.hpp"

namespace health {

namespace {
constexpr std::uint8_t k_echo_request_v4 = 8, k_echo_reply_v4 = 0;
constexpr std::uint8_t k_echo_request_v6 = 128, k_echo_reply_v6 = 129;
}  // namespace

std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes) noexcept {
  std::uint32_t sum = 0;
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += static_cast<std::uint32_t>((bytes[i] << 8) | bytes[i + 1]);
  if (i < bytes.size()) sum += static_cast<std::uint32_t>(bytes[i] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::vector<std::uint8_t> icmp_echo_request(vigil::Family family, std::uint16_t identifier, std::uint16_t sequence,
                                            std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> out(8 + payload.size(), 0);
  out[0] = family == vigil::Family::v4 ? k_echo_request_v4 : k_echo_request_v6;
  out[4] = static_cast<std::uint8_t>(identifier >> 8);
  out[5] = static_cast<std::uint8_t>(identifier & 0xff);
  out[6] = static_cast<std::uint8_t>(sequence >> 8);
  out[7] = static_cast<std::uint8_t>(sequence & 0xff);
  for (std::size_t i = 0; i < payload.size(); ++i) out[8 + i] = payload[i];
  if (family == vigil::Family::v4) {
    const std::uint16_t sum = internet_checksum(out);
    out[2] = static_cast<std::uint8_t>(sum >> 8);
    out[3] = static_cast<std::uint8_t>(sum & 0xff);
  }
  return out;
}

std::optional<EchoReply> parse_icmp_echo_reply(vigil::Family family, std::span<const std::uint8_t> packet,
                                               bool skip_ip_header) noexcept {
  if (skip_ip_header) {
    if (packet.empty()) return std::nullopt;
    const std::size_t header = static_cast<std::size_t>(packet[0] & 0x0f) * 4;
    if (header < 20 || packet.size() < header) return std::nullopt;
    packet = packet.subspan(header);
  }
  if (packet.size() < 8) return std::nullopt;
  const std::uint8_t want = family == vigil::Family::v4 ? k_echo_reply_v4 : k_echo_reply_v6;
  if (packet[0] != want || packet[1] != 0) return std::nullopt;
  return EchoReply{static_cast<std::uint16_t>((packet[4] << 8) | packet[5]),
                   static_cast<std::uint16_t>((packet[6] << 8) | packet[7])};
}

}  // namespace health
