// libFuzzer target: HTTP_GET's handling of a response, on raw server bytes. It drives Beast's
// http::response_parser<buffer_body> exactly as libhealth/probes/http_probe.cpp's exchange() does
// (header into a 64 KiB flat_buffer, status judgment, then — only when a digest is configured —
// the body streamed through MD5 in 16 KiB pieces under the body cap), but over an in-memory
// stream instead of a socket, and hands the outcome to the pure verdict, health::evaluate_http.
// Keep the two in step: if exchange() changes how it reads, change read_like_the_probe().
//
// Input: two selector bytes, then what the server sends before closing.
//   byte 0 bits 0..1  url: no digest / digest of "ok\n" / digest of the empty body / status 200,301-302
//   byte 0 bits 2..7  bytes the stream hands over per read (1..64; 0 = everything at once)
//   byte 1            body cap in KiB (0 = 4 MiB, the probe's default)
//
// Oracles: the verdict is success only for an accepted status (and, with a digest, a matching
// one); and when the streamed body was digested, a reference parse of the same bytes
// (string_body, whole buffer at once) yields a body with the same MD5.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <span>
#include <string>

// Beast directly, not libhealth/probes/beast.hpp: that one brings in the probes' coroutine
// support, which clang 14 with libstdc++ 12 (the fuzz build) does not compile.
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "libhealth/core/http_rules.hpp"
#include "libhealth/probes/md5.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using error_code = boost::system::error_code;

constexpr std::size_t k_header_limit = 64 * 1024;  // http_probe.cpp

[[noreturn]] void oracle_failed() { std::abort(); }

// A SyncReadStream over the fuzz input: at most `step` bytes per read, then EOF (the server closed).
class ByteStream {
 public:
  using executor_type = asio::io_context::executor_type;
  ByteStream(std::span<const std::uint8_t> bytes, std::size_t step) : bytes_(bytes), step_(step) {}

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    ec = {};
    if (offset_ == bytes_.size()) {
      ec = asio::error::eof;
      return 0;
    }
    std::size_t limit = std::min(bytes_.size() - offset_, step_ == 0 ? bytes_.size() : step_);
    std::size_t copied = 0;
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers) && limit > 0; ++it) {
      const asio::mutable_buffer b = *it;
      const std::size_t n = std::min(b.size(), limit);
      std::copy_n(bytes_.data() + offset_, n, static_cast<std::uint8_t*>(b.data()));
      offset_ += n;
      copied += n;
      limit -= n;
    }
    return copied;
  }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t step_;
  std::size_t offset_ = 0;
};

struct Outcome {
  health::ProbeResult result;
  std::optional<std::string> digest;  // set when the body was read and digested
  int status = 0;
};

// exchange() from http_probe.cpp, with the awaits made synchronous.
Outcome read_like_the_probe(ByteStream& stream, const health::HttpUrlSpec& url, std::uint64_t body_cap) {
  Outcome out;
  error_code ec;
  beast::flat_buffer buffer(k_header_limit);
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(health::http_needs_body(url) ? body_cap : std::numeric_limits<std::uint64_t>::max());
  http::read_header(stream, buffer, parser, ec);
  if (ec == http::error::body_limit) {
    out.result = health::ProbeResult::failure("body too large");
    return out;
  }
  if (ec) {
    out.result = health::ProbeResult::failure("reading the response failed: " + ec.message());
    return out;
  }
  out.status = static_cast<int>(parser.get().result_int());
  if (!health::http_needs_body(url) || !health::status_accepted(out.status, url.status_codes)) {
    out.result = health::evaluate_http(url, out.status, std::nullopt);
    return out;
  }
  health::Md5 md5;
  std::array<char, 16 * 1024> chunk;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    http::read(stream, buffer, parser, ec);
    md5.update(chunk.data(), chunk.size() - parser.get().body().size);
    if (ec == http::error::need_buffer) continue;
    if (ec == http::error::body_limit) {
      out.result = health::ProbeResult::failure("body too large");
      return out;
    }
    if (ec) {
      out.result = health::ProbeResult::failure("reading the body failed: " + ec.message());
      return out;
    }
  }
  out.digest = md5.hex_final();
  out.result = health::evaluate_http(url, out.status, out.digest);
  return out;
}

// The reference: the whole input at once into a string body, same limits.
std::optional<std::string> reference_body(std::span<const std::uint8_t> bytes, std::uint64_t body_cap) {
  ByteStream whole(bytes, 0);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(body_cap);
  error_code ec;
  http::read(whole, buffer, parser, ec);
  if (ec) return std::nullopt;
  return parser.get().body();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::span<const std::uint8_t> bytes(data + 2, size - 2);
  health::HttpUrlSpec url;
  url.path = "/health";
  switch (data[0] & 0x03U) {
    case 1: url.digest = health::Md5::hex("ok\n", 3); break;
    case 2: url.digest = health::Md5::hex("", 0); break;
    case 3: url.status_codes = {{200, 200}, {301, 302}}; break;
    default: break;
  }
  const std::size_t step = data[0] >> 2;
  const std::uint64_t body_cap = data[1] == 0 ? 4U * 1024U * 1024U : std::uint64_t{data[1]} * 1024U;

  ByteStream stream(bytes, step);
  const Outcome out = read_like_the_probe(stream, url, body_cap);
  if (out.result.reason.empty()) oracle_failed();
  if (out.result.ok) {
    if (!health::status_accepted(out.status, url.status_codes)) oracle_failed();
    if (url.digest && out.digest != url.digest) oracle_failed();
  }
  if (out.digest) {
    const auto body = reference_body(bytes, body_cap);
    if (body && health::Md5::hex(body->data(), body->size()) != *out.digest) oracle_failed();
  }
  return 0;
}
