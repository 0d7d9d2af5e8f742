// DOC: Verdict rules that need no socket: HTTP status ranges, Host header and digest comparison;
// MISC exit-code mapping and command splitting; UDP reply matching; DNS reply headers; ICMP echo.
#include <catch2/catch.hpp>

#include "libhealth/core/dns_rules.hpp"
#include "libhealth/core/http_rules.hpp"
#include "libhealth/core/icmp_codec.hpp"
#include "libhealth/core/misc_rules.hpp"
#include "libhealth/core/smtp_rules.hpp"
#include "libhealth/core/udp_rules.hpp"

using namespace std::chrono_literals;
using namespace health;

TEST_CASE("HTTP status codes: default 200-299, else the configured ranges", "[http]") {
  CHECK(status_accepted(200, {}));
  CHECK(status_accepted(299, {}));
  CHECK_FALSE(status_accepted(301, {}));
  const std::vector<std::pair<int, int>> ranges{{200, 200}, {301, 302}};
  CHECK(status_accepted(302, ranges));
  CHECK_FALSE(status_accepted(201, ranges));
  CHECK(format_status_ranges(ranges) == "200, 301-302");
}

TEST_CASE("HTTP verdict: status first, then the digest", "[http]") {
  HttpUrlSpec url;
  url.path = "/health";
  CHECK(evaluate_http(url, 200, std::nullopt).ok);
  const auto bad = evaluate_http(url, 500, std::nullopt);
  CHECK_FALSE(bad.ok);
  CHECK(bad.reason == "HTTP status 500 for /health not in 200-299");

  url.digest = "9e107d9d372bb6826bd81d3542a419d6";
  CHECK(evaluate_http(url, 200, std::string("9e107d9d372bb6826bd81d3542a419d6")).ok);
  const auto mismatch = evaluate_http(url, 200, std::string("d41d8cd98f00b204e9800998ecf8427e"));
  CHECK_FALSE(mismatch.ok);
  CHECK(mismatch.reason.find("MD5 digest mismatch") == 0);
  CHECK_FALSE(evaluate_http(url, 500, std::string("9e107d9d372bb6826bd81d3542a419d6")).ok);
  CHECK(http_needs_body(url));
}

TEST_CASE("configured digests are normalised to lower-case hex", "[http]") {
  CHECK(normalise_md5_hex("9E107D9D372BB6826BD81D3542A419D6") == "9e107d9d372bb6826bd81d3542a419d6");
  CHECK_FALSE(normalise_md5_hex("9e107d9d"));
  CHECK_FALSE(normalise_md5_hex("zz107d9d372bb6826bd81d3542a419d6"));
}

TEST_CASE("Host header and SNI follow keepalived's virtualhost precedence", "[http]") {
  CheckTarget target;
  target.ip = *vigil::IpAddress::parse("10.0.0.1");
  target.port = 8080;
  HttpSpec http;
  HttpUrlSpec url;
  CHECK(http_host(http, url, target) == "10.0.0.1:8080");
  target.ip = *vigil::IpAddress::parse("2001:db8::1");
  CHECK(http_host(http, url, target) == "[2001:db8::1]:8080");
  http.virtualhost = "www.example.com";
  CHECK(http_host(http, url, target) == "www.example.com");
  url.virtualhost = "api.example.com";
  CHECK(http_host(http, url, target) == "api.example.com");

  CHECK_FALSE(http_sni(http, url));
  http.sni = "";
  CHECK(http_sni(http, url) == "api.example.com");
  http.sni = "sni.example.com";
  CHECK(http_sni(http, url) == "sni.example.com");
}

TEST_CASE("MISC exit codes map as keepalived's misc_check_child_thread", "[misc]") {
  CHECK(evaluate_misc_exit(ChildExit{0, {}, false}, false, 5s).ok);
  CHECK_FALSE(evaluate_misc_exit(ChildExit{1, {}, false}, false, 5s).ok);
  CHECK_FALSE(evaluate_misc_exit(ChildExit{1, {}, false}, true, 5s).ok);
  CHECK_FALSE(evaluate_misc_exit(ChildExit{7, {}, false}, false, 5s).ok);

  const auto dyn = evaluate_misc_exit(ChildExit{7, {}, false}, true, 5s);
  CHECK(dyn.ok);
  CHECK(dyn.dynamic_weight == 5u);
  CHECK(evaluate_misc_exit(ChildExit{2, {}, false}, true, 5s).dynamic_weight == 0u);
  CHECK(evaluate_misc_exit(ChildExit{255, {}, false}, true, 5s).dynamic_weight == 253u);
  CHECK_FALSE(evaluate_misc_exit(ChildExit{0, {}, false}, true, 5s).dynamic_weight);

  const auto killed = evaluate_misc_exit(ChildExit{{}, 9, true}, false, 3s);
  CHECK_FALSE(killed.ok);
  CHECK(killed.reason == "script timed out after 3 s (killed)");
  const auto segv = evaluate_misc_exit(ChildExit{{}, 11, false}, true, 3s);
  CHECK_FALSE(segv.ok);
  CHECK(segv.reason == "script killed by signal SIGSEGV");
}

TEST_CASE("commands run without a shell unless they need one", "[misc]") {
  auto c = split_command("/usr/local/bin/check_http 10.0.0.1  80");
  CHECK_FALSE(c.uses_shell);
  CHECK(c.argv == std::vector<std::string>{"/usr/local/bin/check_http", "10.0.0.1", "80"});

  c = split_command("/bin/check 'a b' \"c d\" --opt=x");
  CHECK_FALSE(c.uses_shell);
  CHECK(c.argv == std::vector<std::string>{"/bin/check", "a b", "c d", "--opt=x"});

  c = split_command("'it''s' x");
  CHECK(c.argv == std::vector<std::string>{"its", "x"});

  for (const char* needs : {"check | grep ok", "check > /dev/null", "test -f /run/x && exit 0", "echo $HOME",
                            "echo \"$HOME\"", "ls *.conf", "FOO=1 check", "check; exit 1", "~/check",
                            "unbalanced 'quote", "echo `id`"}) {
    INFO(needs);
    c = split_command(needs);
    CHECK(c.uses_shell);
    CHECK(c.argv == std::vector<std::string>{"/bin/sh", "-c", needs});
  }
  CHECK(split_command("   ").argv.empty());
  CHECK(split_command("'$HOME'").argv == std::vector<std::string>{"$HOME"});  // single quotes: literal
}

TEST_CASE("UDP replies: anything goes without require_reply - with it, length and pattern", "[udp]") {
  UdpSpec spec;
  const std::vector<std::uint8_t> reply{0x01, 0x02, 0x03, 0x04};
  CHECK(evaluate_udp_reply(spec, reply).ok);
  CHECK(evaluate_udp_silence(spec, 2s).ok);

  spec.require_reply = true;
  CHECK_FALSE(evaluate_udp_silence(spec, 2s).ok);
  CHECK(evaluate_udp_reply(spec, reply).ok);
  spec.reply = {0x01, 0xff, 0x03};
  spec.reply_mask = {0xff, 0x00, 0xff};  // middle byte is a wildcard
  CHECK(evaluate_udp_reply(spec, reply).ok);
  spec.reply_mask = {0xff, 0xff, 0xff};
  const auto mismatch = evaluate_udp_reply(spec, reply);
  CHECK_FALSE(mismatch.ok);
  CHECK(mismatch.reason == "UDP reply differs from require_reply at byte 1");
  spec.reply.clear();
  spec.reply_mask.clear();
  spec.min_reply_length = 5;
  CHECK_FALSE(evaluate_udp_reply(spec, reply).ok);
  spec.min_reply_length = 0;
  spec.max_reply_length = 3;
  CHECK_FALSE(evaluate_udp_reply(spec, reply).ok);
}

TEST_CASE("DNS: query types by name - replies judged by ID, QR and RCODE", "[dns]") {
  CHECK(dns_qtype("a") == 1);
  CHECK(dns_qtype("AAAA") == 28);
  CHECK(dns_qtype("soa") == 6);
  CHECK_FALSE(dns_qtype("PTR"));
  CHECK(dns_qtype_name(15) == "MX");

  std::vector<std::uint8_t> reply{0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0};
  auto v = evaluate_dns_reply(reply, 0x1234);
  CHECK(v.kind == DnsReplyKind::answer);
  CHECK(v.result.ok);
  CHECK(v.result.reason == "DNS reply NOERROR with 2 answer(s)");
  CHECK(evaluate_dns_reply(reply, 0x9999).kind == DnsReplyKind::ignore);  // someone else's ID
  reply[2] = 0x01;                                                         // QR clear: a query
  CHECK(evaluate_dns_reply(reply, 0x1234).kind == DnsReplyKind::ignore);
  reply[2] = 0x81;
  reply[3] = 0x82;  // SERVFAIL
  v = evaluate_dns_reply(reply, 0x1234);
  CHECK(v.kind == DnsReplyKind::answer);
  CHECK_FALSE(v.result.ok);
  CHECK(v.result.reason == "DNS reply with rcode SERVFAIL");
  CHECK(evaluate_dns_reply(std::vector<std::uint8_t>(5, 0), 0).kind == DnsReplyKind::ignore);
}

TEST_CASE("ICMP echo requests carry a valid checksum and replies are recognised", "[ping]") {
  const std::vector<std::uint8_t> payload{'v', 'i', 'g', 'i', 'l'};
  const auto request = icmp_echo_request(vigil::Family::v4, 0x1234, 7, payload);
  CHECK(request[0] == 8);
  CHECK(internet_checksum(request) == 0);  // a correct checksum sums to zero
  auto reply = request;
  reply[0] = 0;
  const auto parsed = parse_icmp_echo_reply(vigil::Family::v4, reply, false);
  REQUIRE(parsed);
  CHECK(parsed->identifier == 0x1234);
  CHECK(parsed->sequence == 7);
  CHECK_FALSE(parse_icmp_echo_reply(vigil::Family::v4, request, false));  // a request is no reply

  std::vector<std::uint8_t> with_ip(20, 0);
  with_ip[0] = 0x45;
  with_ip.insert(with_ip.end(), reply.begin(), reply.end());
  CHECK(parse_icmp_echo_reply(vigil::Family::v4, with_ip, true));

  auto v6 = icmp_echo_request(vigil::Family::v6, 1, 2, payload);
  CHECK(v6[0] == 128);
  v6[0] = 129;
  CHECK(parse_icmp_echo_reply(vigil::Family::v6, v6, false));
}

TEST_CASE("SMTP replies: single and multi-line, incomplete, malformed", "[smtp]") {
  CHECK_FALSE(parse_smtp_reply("220 mail.example.com ESMTP"));  // no line end yet
  auto r = parse_smtp_reply("220 mail.example.com ESMTP\r\n");
  REQUIRE(r);
  CHECK(r->code == 220);
  CHECK(r->text == "mail.example.com ESMTP");
  CHECK_FALSE(parse_smtp_reply("220-first\r\n220-second\r\n"));  // continuation lines only
  r = parse_smtp_reply("220-first\r\n220-second\r\n220 last\r\n");
  REQUIRE(r);
  CHECK(r->code == 220);
  CHECK(r->text == "last");
  CHECK(parse_smtp_reply("250\n")->code == 250);
  CHECK(parse_smtp_reply("hello\r\n")->code == -1);
}
