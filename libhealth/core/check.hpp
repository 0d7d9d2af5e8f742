// DOC: Check definitions — what libhealth is asked to watch, independent of the config syntax.
//
// A RealServerDefinition names one real server of one virtual server and lists its checks. Each
// CheckDefinition splits into a ProbeSpec (what is sent where, and how long to wait) and a Timing
// (how often, how many retries). The pair is the ProbeKey: two checks with equal keys are the
// same question asked on the same schedule, so the Registry runs them once and every real server
// that uses them sees the one answer (keepalived issues #2111 and #2358, where N virtual servers
// sharing a real server meant N identical probes). Every field that can change a probe's outcome
// is part of the key; the comparison operators are defaulted so a field added later joins the key
// without anyone having to remember it.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/ip_address.hpp"
#include "libhealth/core/types.hpp"

namespace health {

/// One real server as seen by one virtual server: the unit the daemon adds to / removes from IPVS.
struct RealServerId {
  std::string virtual_server;  // conf::VirtualServer::key(), e.g. "192.168.1.10:80/tcp"
  vigil::IpAddress address;
  std::uint16_t port = 0;

  friend auto operator<=>(const RealServerId&, const RealServerId&) = default;
  /// "[192.168.1.10:80/tcp] 10.0.0.1:80"
  [[nodiscard]] std::string to_string() const;
};

/// Where a probe connects from and to. The defaults (the real server's address and port) are
/// already applied by from_conf().
struct CheckTarget {
  vigil::IpAddress ip;
  std::uint16_t port = 0;
  std::optional<vigil::IpAddress> bind_ip;   // bindto
  std::optional<std::uint16_t> bind_port;
  std::optional<std::string> bind_if;       // SO_BINDTODEVICE
  std::optional<std::uint32_t> fwmark;      // SO_MARK
  friend auto operator<=>(const CheckTarget&, const CheckTarget&) = default;
};

struct TcpSpec {
  friend auto operator<=>(const TcpSpec&, const TcpSpec&) = default;
};

enum class HttpProtocol : std::uint8_t { http10, http10_close, http11 };  // 1.0, 1.0C, 1.1

struct HttpUrlSpec {
  std::string path = "/";
  std::optional<std::string> digest;              // lower-case hex MD5 of the body
  std::vector<std::pair<int, int>> status_codes;  // inclusive ranges; empty = 200-299
  std::optional<std::string> virtualhost;         // overrides the checker's for this url
  friend auto operator<=>(const HttpUrlSpec&, const HttpUrlSpec&) = default;
};

struct HttpSpec {
  bool tls = false;                        // SSL_GET
  std::vector<HttpUrlSpec> urls;
  HttpProtocol protocol = HttpProtocol::http10;
  std::optional<std::string> virtualhost;  // Host header; default the connect address
  std::optional<std::string> sni;          // absent: no SNI; "": the virtualhost (enable_sni); else sni_name
  friend auto operator<=>(const HttpSpec&, const HttpSpec&) = default;
};

struct MiscSpec {
  std::string command;                 // the operator's string, split by split_command()
  std::optional<std::string> user;     // script user, else the daemon's own
  std::optional<std::string> group;
  bool dynamic = false;                // misc_dynamic
  friend auto operator<=>(const MiscSpec&, const MiscSpec&) = default;
};

struct UdpSpec {
  std::vector<std::uint8_t> payload;
  bool require_reply = false;
  std::vector<std::uint8_t> reply;       // expected prefix of the reply
  std::vector<std::uint8_t> reply_mask;  // per byte: 0xff must match, 0x00 wildcard
  std::uint32_t min_reply_length = 0;
  std::uint32_t max_reply_length = 255;
  friend auto operator<=>(const UdpSpec&, const UdpSpec&) = default;
};

struct DnsSpec {
  std::uint16_t qtype = 6;  // SOA, keepalived's default
  std::string name = ".";
  friend auto operator<=>(const DnsSpec&, const DnsSpec&) = default;
};

struct PingSpec {
  friend auto operator<=>(const PingSpec&, const PingSpec&) = default;
};

struct SmtpSpec {
  std::string helo_name = "smtpchecker.keepalived.org";  // keepalived's SMTP_DEFAULT_HELO
  friend auto operator<=>(const SmtpSpec&, const SmtpSpec&) = default;
};

using CheckSpec = std::variant<TcpSpec, HttpSpec, MiscSpec, UdpSpec, DnsSpec, PingSpec, SmtpSpec>;

/// What is probed and how long one attempt may take (connect_timeout; misc_timeout for scripts).
struct ProbeSpec {
  CheckTarget target;
  Duration timeout = std::chrono::seconds(5);
  CheckSpec spec;
  friend auto operator<=>(const ProbeSpec&, const ProbeSpec&) = default;
};

/// keepalived's scheduling knobs, resolved (checker ← real_server ← virtual_server ← default).
struct Timing {
  Duration delay_loop = std::chrono::seconds(60);
  Duration delay_before_retry = std::chrono::seconds(1);
  std::uint32_t retry = 1;           // retries after the first failure (nb_get_retry is the old name)
  std::optional<Duration> warmup;    // first probe at random in [0, warmup]; absent: [0, delay_loop]
  bool alpha = false;                // start down instead of up
  friend auto operator<=>(const Timing&, const Timing&) = default;
};

/// The sharing key: equal keys are probed once per round for all their users.
struct ProbeKey {
  ProbeSpec probe;
  Timing timing;
  friend auto operator<=>(const ProbeKey&, const ProbeKey&) = default;
};

struct CheckDefinition {
  ProbeSpec probe;
  Timing timing;
  bool log_all_failures = false;  // log every failed attempt, not only transitions
  std::string where;              // "file:line:col" of the checker block, for log lines

  [[nodiscard]] ProbeKey key() const { return ProbeKey{probe, timing}; }
};

struct RealServerDefinition {
  RealServerId id;
  std::uint32_t weight = 1;             // configured weight, reported while up
  std::vector<CheckDefinition> checks;  // none: the real server is always up (as in keepalived)
};

/// keepalived's block name: "TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK", "UDP_CHECK", ...
[[nodiscard]] std::string_view kind_name(const CheckSpec& spec) noexcept;

/// "TCP_CHECK 10.0.0.1:80", "HTTP_GET http://10.0.0.1:8080/health", "MISC_CHECK '/bin/check x'".
[[nodiscard]] std::string describe(const ProbeSpec& probe);

/// "10.0.0.1:80", "[2001:db8::1]:443"
using vigil::format_endpoint;

}  // namespace health
