// DOC: IpAddress and IpPrefix — one value type for IPv4 and IPv6 addresses used by the config
// model, the VRRP codec, the IPVS model and the probes. Parsing and formatting use inet_pton /
// inet_ntop; ordering is (family, bytes), which is also RFC 5798's "higher primary address wins"
// order within one family.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vigil {

enum class Family : std::uint8_t { v4, v6 };

[[nodiscard]] constexpr std::string_view to_string(Family f) noexcept { return f == Family::v4 ? "inet" : "inet6"; }
[[nodiscard]] int to_af(Family f) noexcept;  // AF_INET / AF_INET6

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0
  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress from_v4(std::array<std::uint8_t, 4> bytes) noexcept;
  static IpAddress from_v6(std::array<std::uint8_t, 16> bytes) noexcept;
  /// From raw network-order bytes: 4 → IPv4, 16 → IPv6, anything else → nullopt.
  static std::optional<IpAddress> from_bytes(std::span<const std::uint8_t> bytes) noexcept;
  /// Host-order u32, as used by IPv4 arithmetic (ranges in virtual_server_group).
  static IpAddress from_v4_u32(std::uint32_t host_order) noexcept;

  [[nodiscard]] Family family() const noexcept { return family_; }
  [[nodiscard]] bool is_v4() const noexcept { return family_ == Family::v4; }
  [[nodiscard]] bool is_v6() const noexcept { return family_ == Family::v6; }
  /// 4 bytes for IPv4, 16 for IPv6, network order.
  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept;
  /// The 16-byte union nf_inet_addr / in6_addr layout (IPv4 in the first 4 bytes, rest zero).
  [[nodiscard]] const std::array<std::uint8_t, 16>& raw16() const noexcept { return bytes_; }
  [[nodiscard]] std::uint32_t v4_u32() const noexcept;  // host order; 0 for IPv6
  [[nodiscard]] bool is_unspecified() const noexcept;
  [[nodiscard]] bool is_multicast() const noexcept;
  [[nodiscard]] bool is_link_local() const noexcept;
  [[nodiscard]] std::string to_string() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::v4;
  std::array<std::uint8_t, 16> bytes_{};
};

struct IpPrefix {
  IpAddress address;
  std::uint8_t length = 32;

  /// "10.0.0.1", "10.0.0.1/24", "fe80::1/64"; a bare address gets the full-length prefix.
  static std::optional<IpPrefix> parse(std::string_view text);
  [[nodiscard]] std::uint8_t max_length() const noexcept { return address.is_v4() ? 32 : 128; }
  [[nodiscard]] bool contains(const IpAddress& other) const noexcept;
  [[nodiscard]] std::string to_string() const;
  friend auto operator<=>(const IpPrefix&, const IpPrefix&) = default;
  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
};

/// "10.0.0.1:80", "[2001:db8::1]:80" — how every log line and plan line writes an endpoint.
[[nodiscard]] std::string format_endpoint(const IpAddress& address, std::uint16_t port);

struct IpAddressHash {
  std::size_t operator()(const IpAddress& a) const noexcept;
};

}  // namespace vigil
