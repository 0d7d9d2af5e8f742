// DOC: HTTP verdicts: Host header, status-code ranges, digest comparison.
#include "libhealth/core/http_rules.hpp"

#include <cctype>

namespace health {

std::string http_host(const HttpSpec& http, const HttpUrlSpec& url, const CheckTarget& target) {
  if (url.virtualhost) return *url.virtualhost;
  if (http.virtualhost) return *http.virtualhost;
  // keepalived always appends the port to an address-derived Host (check_http.c request template).
  return format_endpoint(target.ip, target.port);
}

std::optional<std::string> http_sni(const HttpSpec& http, const HttpUrlSpec& url) {
  if (!http.sni) return std::nullopt;
  // An empty resolved name means "enable_sni with the virtualhost", which may differ per url.
  if (http.sni->empty()) {
    if (url.virtualhost) return url.virtualhost;
    return http.virtualhost;
  }
  return http.sni;
}

bool status_accepted(int status, const std::vector<std::pair<int, int>>& ranges) noexcept {
  if (ranges.empty()) return status >= 200 && status <= 299;
  for (const auto& [low, high] : ranges) {
    if (status >= low && status <= high) return true;
  }
  return false;
}

std::string format_status_ranges(const std::vector<std::pair<int, int>>& ranges) {
  if (ranges.empty()) return "200-299";
  std::string out;
  for (const auto& [low, high] : ranges) {
    if (!out.empty()) out += ", ";
    out += std::to_string(low);
    if (high != low) out += "-" + std::to_string(high);
  }
  return out;
}

ProbeResult evaluate_http(const HttpUrlSpec& url, int status, const std::optional<std::string>& body_md5_hex) {
  if (!status_accepted(status, url.status_codes)) {
    return ProbeResult::failure("HTTP status " + std::to_string(status) + " for " + url.path + " not in " +
                                format_status_ranges(url.status_codes));
  }
  if (url.digest) {
    if (!body_md5_hex) return ProbeResult::failure("no body to digest for " + url.path);
    if (*body_md5_hex != *url.digest) {
      return ProbeResult::failure("MD5 digest mismatch for " + url.path + ": got " + *body_md5_hex + ", expected " +
                                  *url.digest);
    }
    return ProbeResult::success("HTTP status " + std::to_string(status) + " and MD5 digest match for " + url.path);
  }
  return ProbeResult::success("HTTP status " + std::to_string(status) + " for " + url.path);
}

std::optional<std::string> normalise_md5_hex(std::string_view text) {
  if (text.size() != 32) return std::nullopt;
  std::string out;
  out.reserve(32);
  for (const char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace health
