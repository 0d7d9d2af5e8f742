// DOC: HTTP_GET / SSL_GET rules that need no socket: the request's Host header, the accepted
// status codes and the verdict on a response (keepalived check_http.c http_handle_response:
// status code first, then the MD5 digest of the body).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libhealth/core/check.hpp"
#include "libhealth/core/types.hpp"

namespace health {

/// Host header value, as keepalived builds it: the url's virtualhost, else the checker's, else
/// the connect address with its port ("10.0.0.1:8080", "[2001:db8::1]:80").
[[nodiscard]] std::string http_host(const HttpSpec& http, const HttpUrlSpec& url, const CheckTarget& target);

/// The name the TLS client sends in SNI, if any: `sni_name`, else the url's or checker's
/// virtualhost when enable_sni is set (resolved into HttpSpec::sni by from_conf()).
[[nodiscard]] std::optional<std::string> http_sni(const HttpSpec& http, const HttpUrlSpec& url);

/// 200-299 when `ranges` is empty (keepalived's default).
[[nodiscard]] bool status_accepted(int status, const std::vector<std::pair<int, int>>& ranges) noexcept;

/// "200-299", "200, 301-302".
[[nodiscard]] std::string format_status_ranges(const std::vector<std::pair<int, int>>& ranges);

/// Whether the probe has to read the body (only to digest it: without a digest the verdict is
/// known from the status line, and not reading saves the loop's time).
[[nodiscard]] inline bool http_needs_body(const HttpUrlSpec& url) noexcept { return url.digest.has_value(); }

/// The verdict on one url. `body_md5_hex` is present when the body was read and digested.
[[nodiscard]] ProbeResult evaluate_http(const HttpUrlSpec& url, int status,
                                        const std::optional<std::string>& body_md5_hex);

/// Lower-case, validated form of a configured digest; nullopt if it is not 32 hex digits.
[[nodiscard]] std::optional<std::string> normalise_md5_hex(std::string_view text);

}  // namespace health
