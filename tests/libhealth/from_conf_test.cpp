// DOC: from_conf(): the config model becomes check definitions with keepalived's defaulting.
#include <catch2/catch.hpp>

#include "libhealth/core/from_conf.hpp"

using namespace std::chrono_literals;

namespace {
conf::Checker checker(conf::CheckerKind kind) {
  conf::Checker c;
  c.kind = kind;
  c.loc = conf::SourceLoc{std::make_shared<const std::string>("k.conf"), 12, 5};
  return c;
}
}  // namespace

TEST_CASE("from_conf resolves targets, specs and users - unsupported checkers warn", "[from_conf]") {
  conf::Config config;
  config.global.script_user = "keepalived_script";
  conf::VirtualServer vs;
  vs.address = vigil::IpAddress::parse("192.168.1.10");
  vs.port = 443;
  vs.virtualhost = "www.example.com";
  conf::RealServer rs;
  rs.address = *vigil::IpAddress::parse("10.0.0.1");
  rs.port = 8443;
  rs.weight = 3;

  auto tcp = checker(conf::CheckerKind::tcp);
  tcp.retry = 3;
  tcp.delay_loop = 5s;
  rs.checkers.push_back(tcp);

  auto ssl = checker(conf::CheckerKind::ssl);
  conf::HttpCheckSpec http;
  http.enable_sni = true;
  http.http_protocol = "1.1";
  conf::HttpUrl url;
  url.path = "/health";
  url.digest = "9E107D9D372BB6826BD81D3542A419D6";
  http.urls.push_back(url);
  ssl.spec = http;
  ssl.connect_port = 9443;
  rs.checkers.push_back(ssl);

  auto misc = checker(conf::CheckerKind::misc);
  conf::MiscCheckSpec m;
  m.path.command = "/bin/check 10.0.0.1";
  m.dynamic = true;
  misc.spec = m;
  misc.delay_loop = 7s;
  rs.checkers.push_back(misc);

  auto dns = checker(conf::CheckerKind::dns);
  dns.spec = conf::DnsCheckSpec{"aaaa", "example.com"};
  rs.checkers.push_back(dns);

  rs.checkers.push_back(checker(conf::CheckerKind::smtp));
  rs.checkers.push_back(checker(conf::CheckerKind::file));
  vs.real_servers.push_back(rs);
  conf::RealServer unchecked = rs;  // no checkers: always up, nothing to track
  unchecked.address = *vigil::IpAddress::parse("10.0.0.9");
  unchecked.checkers.clear();
  vs.real_servers.push_back(unchecked);
  config.virtual_servers.push_back(std::make_shared<const conf::VirtualServer>(vs));

  const auto out = health::from_conf(config);
  REQUIRE(out.servers.size() == 1);
  const auto& server = out.servers[0];
  CHECK(server.id.virtual_server == "192.168.1.10:443/tcp");
  CHECK(server.id.port == 8443);
  CHECK(server.weight == 3);
  REQUIRE(server.checks.size() == 5);

  const auto& t = server.checks[0];
  CHECK(t.probe.target.ip == rs.address);
  CHECK(t.probe.target.port == 8443);
  CHECK(t.timing.retry == 3);
  CHECK(t.timing.delay_loop == 5s);
  CHECK(t.where == "k.conf:12:5");

  const auto& s = std::get<health::HttpSpec>(server.checks[1].probe.spec);
  CHECK(server.checks[1].probe.target.port == 9443);
  CHECK(s.tls);
  CHECK(s.protocol == health::HttpProtocol::http11);
  CHECK(s.virtualhost == "www.example.com");  // from the virtual server
  CHECK(s.sni == "");                         // enable_sni: use the virtualhost
  CHECK(s.urls.at(0).digest == "9e107d9d372bb6826bd81d3542a419d6");

  const auto& mc = server.checks[2];
  const auto& ms = std::get<health::MiscSpec>(mc.probe.spec);
  CHECK(ms.user == "keepalived_script");
  CHECK(ms.dynamic);
  CHECK(mc.probe.timeout == 7s);  // misc_timeout defaults to delay_loop

  const auto& ds = std::get<health::DnsSpec>(server.checks[3].probe.spec);
  CHECK(ds.qtype == 28);
  CHECK(ds.name == "example.com");

  CHECK(std::get<health::SmtpSpec>(server.checks[4].probe.spec).helo_name == "smtpchecker.keepalived.org");

  REQUIRE(out.warnings.size() == 1);
  CHECK(out.warnings[0] == "k.conf:12:5: warning: FILE_CHECK is not implemented by vigil; this checker is ignored");
}

TEST_CASE("alpha on the real server or virtual server starts its checks down", "[from_conf]") {
  conf::GlobalDefs global;
  conf::VirtualServer vs;
  conf::RealServer rs;
  rs.address = *vigil::IpAddress::parse("10.0.0.1");
  rs.port = 80;
  rs.alpha = true;
  rs.checkers.push_back(checker(conf::CheckerKind::tcp));
  std::vector<std::string> warnings;
  const auto def = health::from_conf(global, vs, rs, warnings);
  CHECK(def.checks.at(0).timing.alpha);
  CHECK(warnings.empty());
}
