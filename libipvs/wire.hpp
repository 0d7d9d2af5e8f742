// DOC: Netlink attribute encoding and decoding on plain byte buffers.
//
// Why hand-rolled rather than libmnl's mnl_attr_put*/mnl_attr_parse: these ~150 lines keep
// request building and reply parsing in the pure ipvs_model target (no libmnl, no sockets), so
// the byte-exact request tests and the libFuzzer target link nothing but this library. It also
// removes two libmnl hazards for untrusted input and unbounded output: mnl_attr_put writes past a
// too-small caller buffer (only the *_check variants test), and mnl_attr_parse's callbacks must
// each re-validate lengths. Here the writer grows a std::vector and the reader bounds-checks
// every header and length once, in one place.
//
// Layout (linux/netlink.h): struct nlattr { u16 nla_len; u16 nla_type; } then the payload,
// padded to 4 bytes (NLA_ALIGNTO); nla_len counts header + payload, not the padding. Values are
// host byte order unless the attribute is documented as network order (ports, IPv4 netmask).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace ipvs::wire {

constexpr std::size_t align4(std::size_t n) noexcept { return (n + 3U) & ~std::size_t{3}; }

/// Appends attributes to a buffer. Nests are closed by end_nest, which patches the length.
class AttrWriter {
 public:
  explicit AttrWriter(std::vector<std::uint8_t>& out) noexcept : out_(out) {}

  void put_bytes(std::uint16_t type, std::span<const std::uint8_t> data);
  void put_u8(std::uint16_t type, std::uint8_t value);
  void put_u16(std::uint16_t type, std::uint16_t value);
  void put_u32(std::uint16_t type, std::uint32_t value);
  void put_be16(std::uint16_t type, std::uint16_t host_value);  // network order on the wire
  void put_be32(std::uint16_t type, std::uint32_t host_value);
  /// A NUL-terminated string (NLA_NUL_STRING in the kernel's policies).
  void put_string(std::uint16_t type, std::string_view value);

  /// Returns the offset of the nest header, for end_nest.
  [[nodiscard]] std::size_t begin_nest(std::uint16_t type);
  void end_nest(std::size_t start);

 private:
  std::vector<std::uint8_t>& out_;
};

/// The attributes of one nesting level, indexed by type. Every IPVS attribute set has types
/// below 32 (ip_vs.h: the largest is IPVS_DEST_ATTR_TUN_FLAGS = 15), so a fixed array suffices;
/// higher types are skipped, as the kernel's nla_parse ignores types above its maxtype. A
/// repeated type keeps the last occurrence (nla_parse does the same).
class Attrs {
 public:
  static constexpr std::uint16_t k_max_type = 31;

  /// Fails on a header that does not fit, a length below 4 or beyond the buffer.
  [[nodiscard]] static vigil::Result<Attrs> parse(std::span<const std::uint8_t> payload);

  [[nodiscard]] bool has(std::uint16_t type) const noexcept { return type <= k_max_type && present_[type]; }
  [[nodiscard]] std::span<const std::uint8_t> raw(std::uint16_t type) const noexcept;

  // Typed getters: nullopt when absent or shorter than the type (treated as absent, so a
  // required attribute that is too short reports as missing).
  [[nodiscard]] std::optional<std::uint8_t> u8(std::uint16_t type) const noexcept;
  [[nodiscard]] std::optional<std::uint16_t> u16(std::uint16_t type) const noexcept;
  [[nodiscard]] std::optional<std::uint32_t> u32(std::uint16_t type) const noexcept;
  [[nodiscard]] std::optional<std::uint64_t> u64(std::uint16_t type) const noexcept;
  [[nodiscard]] std::optional<std::uint16_t> be16(std::uint16_t type) const noexcept;
  [[nodiscard]] std::optional<std::uint32_t> be32(std::uint16_t type) const noexcept;
  /// Up to the first NUL, or the whole payload when there is none.
  [[nodiscard]] std::optional<std::string> string(std::uint16_t type) const;

 private:
  std::array<std::span<const std::uint8_t>, k_max_type + 1> spans_{};
  std::array<bool, k_max_type + 1> present_{};
};

}  // namespace ipvs::wire
