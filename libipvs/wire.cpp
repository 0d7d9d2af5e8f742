// DOC: Netlink attribute writer and bounds-checked reader (see wire.hpp for why not libmnl).
#include "libipvs/wire.hpp"

#include <linux/netlink.h>

#include <cstring>

namespace ipvs::wire {

namespace {

constexpr std::size_t k_header = sizeof(struct nlattr);  // 4

void append_raw(std::vector<std::uint8_t>& out, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  out.insert(out.end(), bytes, bytes + size);
}

void pad(std::vector<std::uint8_t>& out) { out.resize(align4(out.size()), 0); }

template <typename T>
std::optional<T> read_native(std::span<const std::uint8_t> data) noexcept {
  if (data.size() < sizeof(T)) return std::nullopt;
  T value{};
  std::memcpy(&value, data.data(), sizeof(T));  // attributes need not be aligned for T
  return value;
}

}  // namespace

void AttrWriter::put_bytes(std::uint16_t type, std::span<const std::uint8_t> data) {
  const struct nlattr header{static_cast<std::uint16_t>(k_header + data.size()), type};
  append_raw(out_, &header, k_header);
  out_.insert(out_.end(), data.begin(), data.end());
  pad(out_);
}

void AttrWriter::put_u8(std::uint16_t type, std::uint8_t value) { put_bytes(type, {&value, 1}); }

void AttrWriter::put_u16(std::uint16_t type, std::uint16_t value) {
  std::array<std::uint8_t, 2> b{};
  std::memcpy(b.data(), &value, b.size());
  put_bytes(type, b);
}

void AttrWriter::put_u32(std::uint16_t type, std::uint32_t value) {
  std::array<std::uint8_t, 4> b{};
  std::memcpy(b.data(), &value, b.size());
  put_bytes(type, b);
}

void AttrWriter::put_be16(std::uint16_t type, std::uint16_t host_value) {
  const std::array<std::uint8_t, 2> b{static_cast<std::uint8_t>(host_value >> 8),
                                      static_cast<std::uint8_t>(host_value)};
  put_bytes(type, b);
}

void AttrWriter::put_be32(std::uint16_t type, std::uint32_t host_value) {
  const std::array<std::uint8_t, 4> b{static_cast<std::uint8_t>(host_value >> 24),
                                      static_cast<std::uint8_t>(host_value >> 16),
                                      static_cast<std::uint8_t>(host_value >> 8),
                                      static_cast<std::uint8_t>(host_value)};
  put_bytes(type, b);
}

void AttrWriter::put_string(std::uint16_t type, std::string_view value) {
  std::vector<std::uint8_t> b(value.begin(), value.end());
  b.push_back(0);
  put_bytes(type, b);
}

std::size_t AttrWriter::begin_nest(std::uint16_t type) {
  const std::size_t start = out_.size();
  const struct nlattr header{static_cast<std::uint16_t>(k_header), type};
  append_raw(out_, &header, k_header);
  return start;
}

void AttrWriter::end_nest(std::size_t start) {
  const auto len = static_cast<std::uint16_t>(out_.size() - start);
  std::memcpy(out_.data() + start, &len, sizeof len);
}

vigil::Result<Attrs> Attrs::parse(std::span<const std::uint8_t> payload) {
  Attrs out;
  std::size_t offset = 0;
  while (offset < payload.size()) {
    const std::size_t left = payload.size() - offset;
    if (left < k_header) return vigil::make_error("netlink attribute header truncated at offset " +
                                                  std::to_string(offset));
    struct nlattr header{};
    std::memcpy(&header, payload.data() + offset, k_header);
    if (header.nla_len < k_header || header.nla_len > left)
      return vigil::make_error("netlink attribute length " + std::to_string(header.nla_len) + " invalid at offset " +
                               std::to_string(offset) + " (" + std::to_string(left) + " bytes left)");
    // NLA_F_NESTED / NLA_F_NET_BYTEORDER are flags, not part of the type.
    const auto type = static_cast<std::uint16_t>(header.nla_type & NLA_TYPE_MASK);
    if (type <= k_max_type) {
      out.spans_[type] = payload.subspan(offset + k_header, header.nla_len - k_header);
      out.present_[type] = true;
    }
    offset += align4(header.nla_len);  // the last attribute may omit its padding
  }
  return out;
}

std::span<const std::uint8_t> Attrs::raw(std::uint16_t type) const noexcept {
  return has(type) ? spans_[type] : std::span<const std::uint8_t>{};
}

std::optional<std::uint8_t> Attrs::u8(std::uint16_t type) const noexcept {
  return has(type) ? read_native<std::uint8_t>(spans_[type]) : std::nullopt;
}
std::optional<std::uint16_t> Attrs::u16(std::uint16_t type) const noexcept {
  return has(type) ? read_native<std::uint16_t>(spans_[type]) : std::nullopt;
}
std::optional<std::uint32_t> Attrs::u32(std::uint16_t type) const noexcept {
  return has(type) ? read_native<std::uint32_t>(spans_[type]) : std::nullopt;
}
std::optional<std::uint64_t> Attrs::u64(std::uint16_t type) const noexcept {
  return has(type) ? read_native<std::uint64_t>(spans_[type]) : std::nullopt;
}

std::optional<std::uint16_t> Attrs::be16(std::uint16_t type) const noexcept {
  const auto data = raw(type);
  if (!has(type) || data.size() < 2) return std::nullopt;
  return static_cast<std::uint16_t>((data[0] << 8) | data[1]);
}

std::optional<std::uint32_t> Attrs::be32(std::uint16_t type) const noexcept {
  const auto data = raw(type);
  if (!has(type) || data.size() < 4) return std::nullopt;
  return (std::uint32_t{data[0]} << 24) | (std::uint32_t{data[1]} << 16) | (std::uint32_t{data[2]} << 8) |
         std::uint32_t{data[3]};
}

std::optional<std::string> Attrs::string(std::uint16_t type) const {
  if (!has(type)) return std::nullopt;
  const auto data = spans_[type];
  std::size_t n = 0;
  while (n < data.size() && data[n] != 0) ++n;
  return std::string(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace ipvs::wire
