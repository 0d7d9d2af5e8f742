// DOC: Md5 over OpenSSL's EVP interface (the low-level MD5_* calls are deprecated in OpenSSL 3).
#include "libhealth/probes/md5.hpp"

#include <openssl/evp.h>

#include <new>

namespace health {

Md5::Md5() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw std::bad_alloc();
  }
}

Md5::~Md5() { EVP_MD_CTX_free(ctx_); }

void Md5::update(const void* data, std::size_t size) noexcept { (void)EVP_DigestUpdate(ctx_, data, size); }

std::string Md5::hex_final() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  (void)EVP_DigestFinal_ex(ctx_, digest, &len);
  (void)EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr);
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(k_hex[digest[i] >> 4]);
    out.push_back(k_hex[digest[i] & 0x0f]);
  }
  return out;
}

std::string Md5::hex(const void* data, std::size_t size) {
  Md5 md5;
  md5.update(data, size);
  return md5.hex_final();
}

}  // namespace health
