// DOC: Incremental MD5 (OpenSSL EVP) for HTTP_GET/SSL_GET `digest`: the body is hashed as it
// streams in, never buffered whole. MD5 only because keepalived's digest keyword means MD5.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

struct evp_md_ctx_st;

namespace health {

class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;

  void update(const void* data, std::size_t size) noexcept;
  /// Lower-case hex of the digest; the object is then reset for reuse.
  [[nodiscard]] std::string hex_final();

  [[nodiscard]] static std::string hex(const void* data, std::size_t size);

 private:
  evp_md_ctx_st* ctx_;
};

}  // namespace health
