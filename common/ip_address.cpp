#include "common/ip_address.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>

namespace vigil {

int to_af(Family f) noexcept { return f == Family::v4 ? AF_INET : AF_INET6; }

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  const std::string copy(text);
  IpAddress out;
  if (copy.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, copy.c_str(), out.bytes_.data()) != 1) return std::nullopt;
    out.family_ = Family::v4;
  } else {
    if (inet_pton(AF_INET6, copy.c_str(), out.bytes_.data()) != 1) return std::nullopt;
    out.family_ = Family::v6;
  }
  return out;
}

IpAddress IpAddress::from_v4(std::array<std::uint8_t, 4> bytes) noexcept {
  IpAddress out;
  std::copy(bytes.begin(), bytes.end(), out.bytes_.begin());
  return out;
}

IpAddress IpAddress::from_v6(std::array<std::uint8_t, 16> bytes) noexcept {
  IpAddress out;
  out.family_ = Family::v6;
  out.bytes_ = bytes;
  return out;
}

std::optional<IpAddress> IpAddress::from_bytes(std::span<const std::uint8_t> bytes) noexcept {
  IpAddress out;
  if (bytes.size() == 4) {
    std::copy(bytes.begin(), bytes.end(), out.bytes_.begin());
    return out;
  }
  if (bytes.size() == 16) {
    out.family_ = Family::v6;
    std::copy(bytes.begin(), bytes.end(), out.bytes_.begin());
    return out;
  }
  return std::nullopt;
}

IpAddress IpAddress::from_v4_u32(std::uint32_t host_order) noexcept {
  return from_v4({static_cast<std::uint8_t>(host_order >> 24), static_cast<std::uint8_t>(host_order >> 16),
                  static_cast<std::uint8_t>(host_order >> 8), static_cast<std::uint8_t>(host_order)});
}

std::span<const std::uint8_t> IpAddress::bytes() const noexcept {
  return {bytes_.data(), is_v4() ? 4U : 16U};
}

std::uint32_t IpAddress::v4_u32() const noexcept {
  if (!is_v4()) return 0;
  return (std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16) | (std::uint32_t{bytes_[2]} << 8) |
         std::uint32_t{bytes_[3]};
}

bool IpAddress::is_unspecified() const noexcept {
  const auto b = bytes();
  return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

bool IpAddress::is_multicast() const noexcept {
  return is_v4() ? (bytes_[0] & 0xF0U) == 0xE0U : bytes_[0] == 0xFF;
}

bool IpAddress::is_link_local() const noexcept {
  if (is_v4()) return bytes_[0] == 169 && bytes_[1] == 254;
  return bytes_[0] == 0xFE && (bytes_[1] & 0xC0U) == 0x80U;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(to_af(family_), bytes_.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  IpPrefix out{*address, static_cast<std::uint8_t>(address->is_v4() ? 32 : 128)};
  if (slash == std::string_view::npos) return out;
  const auto len_text = text.substr(slash + 1);
  unsigned len = 0;
  const auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc{} || end != len_text.data() + len_text.size() || len_text.empty() || len > out.max_length())
    return std::nullopt;
  out.length = static_cast<std::uint8_t>(len);
  return out;
}

bool IpPrefix::contains(const IpAddress& other) const noexcept {
  if (other.family() != address.family()) return false;
  const auto a = address.bytes();
  const auto b = other.bytes();
  unsigned bits = length;
  for (std::size_t i = 0; i < a.size() && bits > 0; ++i) {
    const unsigned take = bits >= 8 ? 8U : bits;
    const auto mask = static_cast<std::uint8_t>(0xFFU << (8U - take));
    if ((a[i] & mask) != (b[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

std::string IpPrefix::to_string() const { return address.to_string() + "/" + std::to_string(length); }

std::string format_endpoint(const IpAddress& address, std::uint16_t port) {
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(port);
}

std::size_t IpAddressHash::operator()(const IpAddress& a) const noexcept {
  std::size_t h = a.is_v4() ? 4 : 6;
  for (auto byte : a.bytes()) h = h * 131 + byte;
  return h;
}

}  // namespace vigil
