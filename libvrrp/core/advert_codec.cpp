// DOC: VRRP advert encode/decode and IPv4 header parsing. Byte offsets follow RFC 3768 §5.1 and
// RFC 5798 §5.1; every read is preceded by a length check, so any byte string is safe input.
#include "libvrrp/core/advert_codec.hpp"

#include <algorithm>
#include <string>

namespace vrrp {
namespace {

using vigil::Family;
using vigil::IpAddress;

constexpr std::size_t k_header_size = 8;
constexpr std::size_t k_v2_auth_size = 8;
constexpr std::uint8_t k_type_advertisement = 1;
constexpr std::size_t k_ipv4_header_min = 20;

// Centiseconds exist only here, on the wire (DESIGN.md: one time type in the logic).
using Centiseconds = std::chrono::duration<std::int64_t, std::centi>;

constexpr std::size_t address_size(Family family) noexcept { return family == Family::v4 ? 4 : 16; }

vigil::Error fail(DecodeError reason, const std::string& detail) {
  return vigil::make_error(std::string(to_string(reason)) + ": " + detail, static_cast<int>(reason));
}

// RFC 1071 one's-complement sum, big-endian 16-bit words, odd byte padded with zero.
std::uint32_t add_words(std::span<const std::uint8_t> data, std::uint32_t sum) noexcept {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += (std::uint32_t{data[i]} << 8) | data[i + 1];
  if (i < data.size()) sum += std::uint32_t{data[i]} << 8;
  return sum;
}

std::uint16_t fold(std::uint32_t sum) noexcept {
  while (sum >> 16) sum = (sum & 0xFFFFU) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xFFFFU);
}

// RFC 5798 §5.2.8 points at RFC 2460 §8.1 (IPv6) and RFC 768-style pseudo-headers (IPv4).
std::uint32_t pseudo_header_sum(const IpAddress& source, const IpAddress& destination, Family family,
                                std::size_t length) noexcept {
  const std::size_t n = address_size(family);
  std::uint32_t sum = add_words(std::span(source.raw16()).first(n), 0);
  sum = add_words(std::span(destination.raw16()).first(n), sum);
  // IPv4: zero, protocol, 16-bit length. IPv6: 32-bit length, three zero bytes, next header.
  // Both add up to the same words for lengths below 65536.
  sum += k_ip_protocol;
  sum += static_cast<std::uint32_t>(length & 0xFFFFU);
  return sum;
}

std::uint16_t checksum_of(std::span<const std::uint8_t> message, std::optional<std::uint32_t> pseudo) noexcept {
  return fold(add_words(message, pseudo.value_or(0)));
}

std::uint16_t read_u16(std::span<const std::uint8_t> bytes, std::size_t at) noexcept {
  return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

}  // namespace

std::string_view to_string(AuthType type) noexcept {
  switch (type) {
    case AuthType::none: return "none";
    case AuthType::simple_password: return "PASS";
    case AuthType::ip_ah: return "AH";
  }
  return "unknown";
}

std::string_view to_string(ChecksumForm form) noexcept {
  return form == ChecksumForm::message_only ? "message only" : "with pseudo-header";
}

std::string_view to_string(DecodeError error) noexcept {
  switch (error) {
    case DecodeError::too_short: return "too short";
    case DecodeError::bad_ip_header: return "bad IP header";
    case DecodeError::bad_ip_length: return "bad IP length";
    case DecodeError::fragmented: return "fragmented";
    case DecodeError::not_vrrp: return "not VRRP";
    case DecodeError::bad_version: return "bad version";
    case DecodeError::bad_type: return "bad type";
    case DecodeError::bad_length: return "bad length";
    case DecodeError::bad_checksum: return "bad checksum";
    case DecodeError::bad_interval: return "bad interval";
    case DecodeError::bad_auth_type: return "bad auth type";
    case DecodeError::auth_mismatch: return "auth type mismatch";
    case DecodeError::bad_password: return "bad password";
  }
  return "unknown";
}

static_assert(static_cast<std::size_t>(DecodeError::bad_password) == k_decode_error_count,
              "k_decode_error_count must follow the last DecodeError");

std::optional<DecodeError> decode_error(const vigil::Error& error) noexcept {
  if (error.code < 1 || error.code > static_cast<int>(k_decode_error_count)) return std::nullopt;
  return static_cast<DecodeError>(error.code);
}

std::chrono::milliseconds wire_interval(std::uint8_t version, std::chrono::milliseconds interval) noexcept {
  // Round half up, as keepalived does (`adver_int + HZ/2`, then truncate), then clamp to the field.
  const std::int64_t ms = std::max<std::int64_t>(interval.count(), 0);
  if (version == 2) return std::chrono::seconds{std::clamp<std::int64_t>((ms + 500) / 1000, 1, 255)};
  return std::chrono::milliseconds{10 * std::clamp<std::int64_t>((ms + 5) / 10, 1, 4095)};
}

std::size_t message_size(std::uint8_t version, Family family, std::size_t count) noexcept {
  return k_header_size + count * address_size(family) + (version == 2 ? k_v2_auth_size : 0);
}

std::vector<std::uint8_t> encode(const Advert& advert, const EncodeContext& context) {
  const std::size_t count = std::min<std::size_t>(advert.addresses.size(), 255);
  const std::size_t addr_size = address_size(context.family);

  std::array<std::uint8_t, k_header_size> header{};
  header[0] = static_cast<std::uint8_t>((advert.version << 4) | k_type_advertisement);
  header[1] = advert.vrid;
  header[2] = advert.priority;
  header[3] = static_cast<std::uint8_t>(count);
  const auto interval = wire_interval(advert.version, advert.max_advert_int);
  if (advert.version == 2) {
    header[4] = static_cast<std::uint8_t>(advert.auth_type);
    header[5] = static_cast<std::uint8_t>(std::chrono::duration_cast<std::chrono::seconds>(interval).count());
  } else {
    // RFC 5798 §5.2.5: the 4 reserved bits are zero.
    const auto cs = static_cast<std::uint16_t>(std::chrono::duration_cast<Centiseconds>(interval).count());
    header[4] = static_cast<std::uint8_t>((cs >> 8) & 0x0FU);
    header[5] = static_cast<std::uint8_t>(cs & 0xFFU);
  }

  std::vector<std::uint8_t> out;
  out.reserve(message_size(advert.version, context.family, count));
  out.insert(out.end(), header.begin(), header.end());
  for (std::size_t i = 0; i < count; ++i) {
    const auto& raw = advert.addresses[i].raw16();
    out.insert(out.end(), raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(addr_size));
  }
  if (advert.version == 2) {
    // RFC 3768 §5.3.10: auth data is the password for type 1, zero otherwise.
    const AuthData data = advert.auth_type == AuthType::simple_password ? advert.auth_data : AuthData{};
    out.insert(out.end(), data.begin(), data.end());
  }

  std::optional<std::uint32_t> pseudo;
  if (advert.version == 3 &&
      (context.family == Family::v6 || context.v3_ipv4_checksum == ChecksumForm::pseudo_header)) {
    pseudo = pseudo_header_sum(context.source, context.destination, context.family, out.size());
  }
  const std::uint16_t sum = checksum_of(out, pseudo);
  const std::array<std::uint8_t, 2> sum_bytes{static_cast<std::uint8_t>(sum >> 8), static_cast<std::uint8_t>(sum & 0xFFU)};
  std::copy(sum_bytes.begin(), sum_bytes.end(), out.begin() + 6);
  return out;
}

vigil::Result<Decoded> decode(std::span<const std::uint8_t> msg, const DecodeContext& context) {
  if (msg.size() < k_header_size) {
    return fail(DecodeError::too_short, std::to_string(msg.size()) + " bytes, the header alone is 8");
  }
  const auto version = static_cast<std::uint8_t>(msg[0] >> 4);
  const auto type = static_cast<std::uint8_t>(msg[0] & 0x0FU);
  if (version != 2 && version != 3) return fail(DecodeError::bad_version, "version " + std::to_string(version));
  if (version == 2 && context.family == Family::v6) {
    return fail(DecodeError::bad_version, "VRRPv2 over IPv6 (RFC 3768 is IPv4-only)");
  }
  if (type != k_type_advertisement) return fail(DecodeError::bad_type, "type " + std::to_string(type));

  const std::size_t count = msg[3];
  const std::size_t expected = message_size(version, context.family, count);
  if (msg.size() != expected) {
    return fail(DecodeError::bad_length, std::to_string(msg.size()) + " bytes, " + std::to_string(count) +
                                             " addresses need " + std::to_string(expected));
  }

  // RFC 5798 §7.1: verify the checksum before trusting any field.
  Decoded out;
  if (version == 2) {
    if (checksum_of(msg, std::nullopt) != 0) return fail(DecodeError::bad_checksum, "VRRPv2 message");
    out.checksum = ChecksumForm::message_only;
  } else {
    const auto pseudo = pseudo_header_sum(context.source, context.destination, context.family, msg.size());
    if (checksum_of(msg, pseudo) == 0) {
      out.checksum = ChecksumForm::pseudo_header;
    } else if (context.family == Family::v4 && checksum_of(msg, std::nullopt) == 0) {
      out.checksum = ChecksumForm::message_only;
    } else {
      return fail(DecodeError::bad_checksum, context.family == Family::v4
                                                 ? "VRRPv3 with and without the IPv4 pseudo-header"
                                                 : "VRRPv3 with the IPv6 pseudo-header");
    }
  }

  Advert& a = out.advert;
  a.version = version;
  a.vrid = msg[1];
  a.priority = msg[2];
  if (version == 2) {
    a.max_advert_int = std::chrono::seconds{msg[5]};
  } else {
    a.max_advert_int = Centiseconds{read_u16(msg, 4) & 0x0FFFU};
  }
  if (a.max_advert_int.count() == 0) return fail(DecodeError::bad_interval, "advert interval 0");

  const std::size_t addr_size = address_size(context.family);
  a.addresses.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    a.addresses.push_back(*IpAddress::from_bytes(msg.subspan(k_header_size + i * addr_size, addr_size)));
  }

  if (version == 2) {
    const std::uint8_t auth = msg[4];
    if (auth > static_cast<std::uint8_t>(AuthType::ip_ah)) {
      return fail(DecodeError::bad_auth_type, "auth type " + std::to_string(auth));
    }
    a.auth_type = static_cast<AuthType>(auth);
    if (a.auth_type != context.auth_type) {
      return fail(DecodeError::auth_mismatch, std::string("received ") + std::string(to_string(a.auth_type)) +
                                                  ", configured " + std::string(to_string(context.auth_type)));
    }
    if (a.auth_type == AuthType::simple_password) {
      std::copy_n(msg.end() - k_v2_auth_size, k_v2_auth_size, a.auth_data.begin());
      if (a.auth_data != context.auth_data) return fail(DecodeError::bad_password, "simple password differs");
    }
  }
  return out;
}

vigil::Result<Ipv4Packet> parse_ipv4_packet(std::span<const std::uint8_t> d) {
  if (d.size() < k_ipv4_header_min) {
    return fail(DecodeError::too_short, std::to_string(d.size()) + " bytes, an IPv4 header is 20");
  }
  if ((d[0] >> 4) != 4) return fail(DecodeError::bad_ip_header, "IP version " + std::to_string(d[0] >> 4));
  const std::size_t header_len = std::size_t{d[0] & 0x0FU} * 4;
  if (header_len < k_ipv4_header_min || header_len > d.size()) {
    return fail(DecodeError::bad_ip_header, "IHL " + std::to_string(header_len) + " bytes");
  }
  // Linux raw sockets hand the header over unchanged, total length in network order.
  const std::size_t total = read_u16(d, 2);
  if (total != d.size()) {
    return fail(DecodeError::bad_ip_length,
                "total length " + std::to_string(total) + ", received " + std::to_string(d.size()));
  }
  const std::uint16_t frag = read_u16(d, 6);
  if ((frag & 0x3FFFU) != 0) return fail(DecodeError::fragmented, "MF or fragment offset set");
  if (d[9] != k_ip_protocol) return fail(DecodeError::not_vrrp, "IP protocol " + std::to_string(d[9]));

  Ipv4Packet p;
  p.ttl = d[8];
  p.source = *IpAddress::from_bytes(d.subspan(12, 4));
  p.destination = *IpAddress::from_bytes(d.subspan(16, 4));
  p.payload = d.subspan(header_len);
  return p;
}

}  // namespace vrrp
