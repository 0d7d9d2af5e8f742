// DOC: The real probes against real servers on loopback: TCP up / refused / blackholed, HTTP
// status, digest, slow and large bodies, TLS with a self-signed certificate and SNI, scripts that
// exit 0/1/n, hang or flood, UDP and DNS responders, ICMP echo. Each wait is bounded.
#include <catch2/catch.hpp>

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "libhealth/probes/md5.hpp"
#include "loopback_servers.hpp"

using namespace std::chrono_literals;
using namespace vigil_test;
using health::ProbeContext;
using health::ProbeOptions;
using health::ProbeResult;
using health::ProbeSpec;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

ProbeSpec http_spec(std::uint16_t port, std::vector<health::HttpUrlSpec> urls, bool tls = false,
                    std::chrono::milliseconds timeout = 1000ms) {
  ProbeSpec spec = tcp_spec("127.0.0.1", port, timeout);
  health::HttpSpec http;
  http.tls = tls;
  http.urls = std::move(urls);
  spec.spec = http;
  return spec;
}

health::HttpUrlSpec url(const std::string& path, std::optional<std::string> digest = std::nullopt) {
  health::HttpUrlSpec u;
  u.path = path;
  u.digest = std::move(digest);
  return u;
}

const std::string k_hello_md5 = "5eb63bbbe01eeed093cb22bb8f5acdc3";  // md5("hello world")

ProbeSpec misc_spec(const std::string& command, std::chrono::milliseconds timeout = 5000ms, bool dynamic = false) {
  ProbeSpec spec;
  spec.timeout = timeout;
  spec.spec = health::MiscSpec{command, std::nullopt, std::nullopt, dynamic};
  return spec;
}

}  // namespace

TEST_CASE("MD5 over OpenSSL EVP, in one piece or streamed", "[md5]") {
  CHECK(health::Md5::hex("", 0) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(health::Md5::hex("hello world", 11) == k_hello_md5);
  health::Md5 md5;
  md5.update("hello", 5);
  md5.update(" world", 6);
  CHECK(md5.hex_final() == k_hello_md5);
}

TEST_CASE("TCP_CHECK: listening, refused, blackholed, IPv6, bindto, cancel", "[tcp]") {
  asio::io_context io;
  ProbeContext context(io, {});

  SECTION("a listening server is up") {
    TcpServer server(io);
    const auto r = run_probe(io, context, tcp_spec("127.0.0.1", server.port()));
    CHECK(r.ok);
    CHECK(contains(r.text(), "connected in"));
  }
  SECTION("a closed port is refused at once") {
    const auto r = run_probe(io, context, tcp_spec("127.0.0.1", closed_tcp_port(io)));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "connection refused");
    CHECK(r.latency < 200ms);
  }
  SECTION("a blackholed port times out at connect_timeout") {
    TcpBlackhole hole(io);
    const auto r = run_probe(io, context, tcp_spec("127.0.0.1", hole.port(), 300ms));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "connect timeout after 300 ms");
    CHECK(r.latency >= 300ms);
    CHECK(r.latency < 2s);
  }
  SECTION("IPv6 loopback") {
    TcpServer server(io, "::1");
    CHECK(run_probe(io, context, tcp_spec("::1", server.port())).ok);
  }
  SECTION("bindto and bind_port set the source") {
    TcpServer server(io);
    auto spec = tcp_spec("127.0.0.1", server.port());
    spec.target.bind_ip = vigil::IpAddress::parse("127.0.0.2");
    spec.target.bind_port = closed_tcp_port(io);
    CHECK(run_probe(io, context, spec).ok);
    spec.target.bind_ip = vigil::IpAddress::parse("::1");
    const auto r = run_probe(io, context, spec);
    CHECK_FALSE(r.ok);
    CHECK(contains(r.reason, "not of the target's address family"));
  }
  SECTION("many connects at once: more than one slice of completions, each reported once") {
    TcpServer server(io);
    TcpBlackhole hole(io);
    const std::uint16_t refused = closed_tcp_port(io);
    std::vector<std::optional<ProbeResult>> results(60);
    std::vector<health::ProbeHandle> handles;
    for (std::size_t i = 0; i < results.size(); ++i) {
      const std::uint16_t port = i % 3 == 0 ? server.port() : i % 3 == 1 ? refused : hole.port();
      // Two timeout values: two deadline FIFOs behind one timer.
      handles.push_back(health::start_probe(context, tcp_spec("127.0.0.1", port, i % 2 == 0 ? 200ms : 300ms),
                                            [&results, i](ProbeResult r) {
                                              CHECK_FALSE(results[i].has_value());
                                              results[i] = std::move(r);
                                            }));
    }
    CHECK(std::none_of(results.begin(), results.end(), [](const auto& r) { return r.has_value(); }));  // never inline
    REQUIRE(run_until(io, [&] {
      return std::all_of(results.begin(), results.end(), [](const auto& r) { return r.has_value(); });
    }));
    for (std::size_t i = 0; i < results.size(); ++i) {
      INFO("connect " << i << ": " << results[i]->text());
      if (i % 3 == 0) CHECK(contains(results[i]->text(), "connected in"));
      if (i % 3 == 1) CHECK(results[i]->reason == "connection refused");
      if (i % 3 == 2) CHECK(results[i]->reason == (i % 2 == 0 ? "connect timeout after 200 ms" : "connect timeout after 300 ms"));
    }
    handles.front().cancel();  // after the result: nothing more
    io.poll();
  }
  SECTION("a context destroyed with connects pending drops their callbacks") {
    TcpBlackhole hole(io);
    TcpServer server(io);
    bool called = false;
    health::ProbeHandle pending, connected;
    {
      ProbeContext local(io, {});
      pending = health::start_probe(local, tcp_spec("127.0.0.1", hole.port(), 200ms), [&](ProbeResult) { called = true; });
      connected = health::start_probe(local, tcp_spec("127.0.0.1", server.port()), [&](ProbeResult) { called = true; });
    }
    pending.cancel();  // the handle outlives the context: harmless
    CHECK_FALSE(run_until(io, [&] { return called; }, 400ms));
  }
  SECTION("cancel ends a probe at once") {
    TcpBlackhole hole(io);
    std::optional<ProbeResult> result;
    auto handle = health::start_probe(context, tcp_spec("127.0.0.1", hole.port(), 5000ms),
                                      [&](ProbeResult r) { result = std::move(r); });
    io.poll();
    handle.cancel();
    REQUIRE(run_until(io, [&] { return result.has_value(); }, 1000ms));
    CHECK_FALSE(result->ok);
    CHECK(result->reason == "cancelled during connect");
  }
}

TEST_CASE("HTTP_GET: status, digest, headers, slow and large bodies", "[http]") {
  asio::io_context io;
  ProbeOptions options;
  options.http_body_cap = 50000;
  ProbeContext context(io, options);
  HttpServer server(io);

  SECTION("200 is up; the request carries keepalived's headers") {
    const auto r = run_probe(io, context, http_spec(server.port(), {url("/ok")}));
    CHECK(r.ok);
    CHECK(r.reason == "HTTP status 200 for /ok");
    CHECK(server.seen().host == "127.0.0.1:" + std::to_string(server.port()));
    CHECK(server.seen().user_agent == "KeepAliveClient");
    CHECK(server.seen().version == "1.0");
    CHECK(server.seen().connection.empty());
  }
  SECTION("500 is down unless listed in status_code") {
    auto r = run_probe(io, context, http_spec(server.port(), {url("/error")}));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "HTTP status 500 for /error not in 200-299");
    auto accepting = url("/error");
    accepting.status_codes = {{500, 599}};
    CHECK(run_probe(io, context, http_spec(server.port(), {accepting})).ok);
  }
  SECTION("the digest must match the body") {
    CHECK(run_probe(io, context, http_spec(server.port(), {url("/ok", k_hello_md5)})).ok);
    const auto r = run_probe(io, context, http_spec(server.port(), {url("/wrong", k_hello_md5)}));
    CHECK_FALSE(r.ok);
    CHECK(contains(r.reason, "MD5 digest mismatch for /wrong"));
  }
  SECTION("bodies delimited by EOF and chunked bodies are digested") {
    CHECK(run_probe(io, context, http_spec(server.port(), {url("/eof", k_hello_md5)})).ok);
    auto spec = http_spec(server.port(), {url("/chunked", k_hello_md5)});
    std::get<health::HttpSpec>(spec.spec).protocol = health::HttpProtocol::http11;
    CHECK(run_probe(io, context, spec).ok);
    CHECK(server.seen().version == "1.1");
    CHECK(server.seen().connection == "close");
  }
  SECTION("a slow body times out when it has to be read, not when only the status matters") {
    const auto r = run_probe(io, context, http_spec(server.port(), {url("/slow", k_hello_md5)}, false, 300ms));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "HTTP body timeout after 300 ms");
    CHECK(run_probe(io, context, http_spec(server.port(), {url("/slow")}, false, 300ms)).ok);
  }
  SECTION("a body larger than the cap fails instead of growing memory") {
    const auto r = run_probe(io, context, http_spec(server.port(), {url("/big", k_hello_md5)}));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "body of /big larger than 50000 bytes");
  }
  SECTION("virtualhost, 1.0C and several urls") {
    auto spec = http_spec(server.port(), {url("/ok"), url("/error")});
    auto& http = std::get<health::HttpSpec>(spec.spec);
    http.virtualhost = "www.example.com";
    http.protocol = health::HttpProtocol::http10_close;
    const auto r = run_probe(io, context, spec);
    CHECK_FALSE(r.ok);
    CHECK(contains(r.reason, "/error"));
    CHECK(server.seen().requests == 2);
    CHECK(server.seen().host == "www.example.com");
    CHECK(server.seen().connection == "close");
    CHECK(server.seen().version == "1.0");
  }
  SECTION("nothing listening") {
    const auto r = run_probe(io, context, http_spec(closed_tcp_port(io), {url("/ok")}));
    CHECK(r.reason == "connection refused");
  }
}

TEST_CASE("SSL_GET against a self-signed certificate, with and without SNI", "[ssl]") {
  asio::io_context io;
  ProbeContext context(io, {});
  const auto cert = make_self_signed("localhost");
  HttpServer server(io, "127.0.0.1", &cert);

  SECTION("the certificate is not verified (as keepalived), the status is") {
    const auto r = run_probe(io, context, http_spec(server.port(), {url("/ok")}, true));
    CHECK(r.ok);
    CHECK(server.seen().sni.empty());
  }
  SECTION("enable_sni sends the virtualhost, sni_name overrides it") {
    auto spec = http_spec(server.port(), {url("/ok")}, true);
    auto& http = std::get<health::HttpSpec>(spec.spec);
    http.virtualhost = "www.example.com";
    http.sni = "";
    CHECK(run_probe(io, context, spec).ok);
    CHECK(server.seen().sni == "www.example.com");
    http.sni = "sni.example.com";
    CHECK(run_probe(io, context, spec).ok);
    CHECK(server.seen().sni == "sni.example.com");
    CHECK(server.seen().host == "www.example.com");
  }
  SECTION("a body ended by a TCP close without close_notify still digests") {
    CHECK(run_probe(io, context, http_spec(server.port(), {url("/eof", k_hello_md5)}, true)).ok);
  }
  SECTION("a server that does not speak TLS fails the handshake") {
    HttpServer plain(io);
    const auto r = run_probe(io, context, http_spec(plain.port(), {url("/ok")}, true));
    CHECK_FALSE(r.ok);
    CHECK(contains(r.reason, "TLS handshake failed"));
  }
}

TEST_CASE("MISC_CHECK: exit codes, dynamic weight, hang, flood, users", "[misc]") {
  asio::io_context io;
  ProbeOptions options;
  options.misc_output_cap = 64 * 1024;
  ProbeContext context(io, options);

  SECTION("exit 0 is up, exit 1 is down with the script's first output line") {
    CHECK(run_probe(io, context, misc_spec("/bin/true")).ok);
    const auto r = run_probe(io, context, misc_spec("echo broken; exit 1"));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "script exited 1 (output: broken)");
  }
  SECTION("misc_dynamic: exit 2..255 is up with weight code - 2") {
    const auto r = run_probe(io, context, misc_spec("sh -c 'exit 5'", 5000ms, true));
    CHECK(r.ok);
    CHECK(r.dynamic_weight == 3u);
    CHECK_FALSE(run_probe(io, context, misc_spec("sh -c 'exit 5'")).ok);
  }
  SECTION("a missing program is reported as such") {
    auto r = run_probe(io, context, misc_spec("/nonexistent/check arg"));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "cannot run '/nonexistent/check': exec: No such file or directory");
    r = run_probe(io, context, misc_spec("no-such-command-vigil"));
    CHECK(contains(r.reason, "not found in PATH"));
  }
  SECTION("a hanging script is killed with its process group at misc_timeout") {
    const auto r = run_probe(io, context, misc_spec("sleep 30 & echo $!; wait", 300ms));
    CHECK_FALSE(r.ok);
    CHECK(contains(r.reason, "script timed out after 300 ms (killed)"));
    CHECK(r.latency < 3s);
    // The background sleep printed its pid; it must be gone (or a zombie waiting for init).
    const auto open = r.reason.find("(output: ");
    REQUIRE(open != std::string::npos);
    const std::string pid = r.reason.substr(open + 9, r.reason.find(')', open) - open - 9);
    const std::string stat_path = "/proc/" + pid + "/stat";
    REQUIRE(run_until(io, [&] {
      std::ifstream stat(stat_path);
      std::string line;
      if (!std::getline(stat, line)) return true;
      const auto state = line.find(") ");
      return state != std::string::npos && line[state + 2] == 'Z';
    }, 2000ms));
  }
  SECTION("a script flooding stdout is cut off at the cap") {
    const auto r = run_probe(io, context, misc_spec("yes", 5000ms));
    CHECK_FALSE(r.ok);
    CHECK(contains(r.reason, "script killed by signal SIGPIPE after more than"));
    CHECK(r.latency < 3s);
  }
  SECTION("the script runs as the script user") {
    // As root: switch to nobody. Otherwise: name ourselves, which needs no switch at all.
    const bool root = ::geteuid() == 0;
    const passwd* self = ::getpwuid(::geteuid());
    REQUIRE(self);
    const std::string user = root ? "nobody" : self->pw_name;
    auto spec = misc_spec("test \"$(id -u)\" = \"$(id -u " + user + ")\"");
    std::get<health::MiscSpec>(spec.spec).user = user;
    CHECK(run_probe(io, context, spec).ok);
    std::get<health::MiscSpec>(spec.spec).user = "no-such-user-vigil";
    const auto r = run_probe(io, context, spec);
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "script user 'no-such-user-vigil': no such user");
  }
}

TEST_CASE("UDP_CHECK: replies, patterns, silence, ICMP port unreachable", "[udp]") {
  asio::io_context io;
  ProbeContext context(io, {});
  const auto udp_probe = [](std::uint16_t port, health::UdpSpec udp) {
    ProbeSpec spec = tcp_spec("127.0.0.1", port, 300ms);
    udp.payload = {'p', 'i', 'n', 'g'};
    spec.spec = udp;
    return spec;
  };
  UdpServer pong(io, {'p', 'o', 'n', 'g'});
  UdpServer silent(io, {});

  health::UdpSpec require;
  require.require_reply = true;
  require.reply = {'p', 'o', 'X', 'X'};
  require.reply_mask = {0xff, 0xff, 0x00, 0x00};
  CHECK(run_probe(io, context, udp_probe(pong.port(), require)).ok);
  require.reply_mask = {0xff, 0xff, 0xff, 0xff};
  CHECK_FALSE(run_probe(io, context, udp_probe(pong.port(), require)).ok);

  auto r = run_probe(io, context, udp_probe(silent.port(), require));
  CHECK(r.reason == "no UDP reply within 300 ms");
  r = run_probe(io, context, udp_probe(silent.port(), health::UdpSpec{}));
  CHECK(r.ok);
  CHECK(r.reason == "no ICMP error within 300 ms");
  r = run_probe(io, context, udp_probe(closed_udp_port(io), health::UdpSpec{}));
  CHECK_FALSE(r.ok);
  CHECK(r.reason == "port unreachable (ICMP)");
}

TEST_CASE("DNS_CHECK against a tiny DNS responder", "[dns]") {
  asio::io_context io;
  ProbeContext context(io, {});
  const auto dns_probe = [](std::uint16_t port, const std::string& name, std::uint16_t qtype) {
    ProbeSpec spec = tcp_spec("127.0.0.1", port, 500ms);
    spec.spec = health::DnsSpec{qtype, name};
    return spec;
  };

  SECTION("NOERROR is up, and the query asks what was configured") {
    DnsServer server(io, 0);
    const auto r = run_probe(io, context, dns_probe(server.port(), "example.com", 1));
    CHECK(r.ok);
    const auto& q = server.last_query();
    const std::vector<std::uint8_t> question{7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
    REQUIRE(q.size() >= 12 + question.size());
    CHECK(std::vector<std::uint8_t>(q.begin() + 12, q.begin() + 12 + static_cast<long>(question.size())) == question);
    CHECK((q[2] & 0x01) == 0x01);  // recursion desired, as keepalived sends
    CHECK(run_probe(io, context, dns_probe(server.port(), ".", 6)).ok);
  }
  SECTION("another RCODE is down") {
    DnsServer server(io, 2);
    const auto r = run_probe(io, context, dns_probe(server.port(), "example.com", 28));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "DNS reply with rcode SERVFAIL");
  }
  SECTION("a reply with another ID is ignored") {
    DnsServer server(io, 0, true);
    CHECK(run_probe(io, context, dns_probe(server.port(), "example.com", 1)).ok);
  }
  SECTION("no server") {
    const auto r = run_probe(io, context, dns_probe(closed_udp_port(io), "example.com", 1));
    CHECK(r.reason == "port unreachable (ICMP): no DNS server");
  }
}

TEST_CASE("SMTP_CHECK: multi-line greeting, HELO, refusals", "[smtp]") {
  asio::io_context io;
  ProbeContext context(io, {});
  const auto smtp_probe = [](std::uint16_t port, const std::string& helo) {
    ProbeSpec spec = tcp_spec("127.0.0.1", port, 500ms);
    spec.spec = health::SmtpSpec{helo};
    return spec;
  };
  SECTION("a server that greets and accepts HELO is up") {
    SmtpServer server(io, "220-mail.example.com ESMTP\r\n220 ready\r\n");
    const auto r = run_probe(io, context, smtp_probe(server.port(), "checker.example.com"));
    CHECK(r.ok);
    CHECK(r.reason == "SMTP greeting 220, HELO 250");
    CHECK(server.helo() == "checker.example.com");
  }
  SECTION("a 554 greeting is down") {
    SmtpServer server(io, "554 go away\r\n");
    const auto r = run_probe(io, context, smtp_probe(server.port(), "x"));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "SMTP greeting 554 go away");
  }
  SECTION("a server that is not SMTP is down") {
    HttpServer http(io);
    const auto r = run_probe(io, context, smtp_probe(http.port(), "x"));
    CHECK_FALSE(r.ok);
  }
}

TEST_CASE("PING_CHECK to loopback", "[ping]") {
  asio::io_context io;
  ProbeContext context(io, {});
  for (const char* address : {"127.0.0.1", "::1"}) {
    INFO(address);
    ProbeSpec spec = tcp_spec(address, 0, 1000ms);
    spec.spec = health::PingSpec{};
    const auto r = run_probe(io, context, spec);
    if (::geteuid() == 0) {
      CHECK(r.ok);  // root: a raw socket at least
      CHECK(contains(r.reason, "echo reply in"));
    } else if (!r.ok) {
      // Without CAP_NET_RAW and outside ping_group_range the probe must say so, not hang.
      CHECK(contains(r.reason, "PING_CHECK not supported here"));
    }
  }
}
