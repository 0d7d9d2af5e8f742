// DOC: Conversion from the config model to check definitions (see from_conf.hpp).
#include "libhealth/core/from_conf.hpp"

#include "libhealth/core/dns_rules.hpp"
#include "libhealth/core/http_rules.hpp"

namespace health {

namespace {

std::string warning(const conf::SourceLoc& loc, const std::string& text) {
  return loc.to_string() + ": warning: " + text;
}

HttpProtocol http_protocol(const std::string& text) {
  if (text == "1.1") return HttpProtocol::http11;
  if (text == "1.0C") return HttpProtocol::http10_close;
  return HttpProtocol::http10;
}

HttpSpec http_spec(const conf::HttpCheckSpec& in, bool tls, const conf::VirtualServer& vs,
                   const conf::SourceLoc& loc, std::vector<std::string>& warnings) {
  HttpSpec out;
  out.tls = tls;
  out.protocol = http_protocol(in.http_protocol);
  out.virtualhost = in.virtualhost;
  if (!out.virtualhost && vs.virtualhost) out.virtualhost = *vs.virtualhost;
  if (tls && in.sni_name) {
    out.sni = *in.sni_name;
  } else if (tls && in.enable_sni) {
    out.sni = std::string();  // the url's or checker's virtualhost, per url
  }
  for (const auto& url : in.urls) {
    HttpUrlSpec u;
    u.path = url.path.empty() ? "/" : url.path;
    if (url.digest) {
      u.digest = normalise_md5_hex(*url.digest);
      if (!u.digest) {
        warnings.push_back(warning(url.loc, "digest '" + *url.digest + "' is not 32 hex digits; the check will fail"));
        u.digest = *url.digest;  // never matches an MD5, so the check fails visibly
      }
    }
    u.status_codes = url.status_codes;
    u.virtualhost = url.virtualhost;
    if (url.regex) {
      warnings.push_back(warning(url.loc, "url regex is not implemented by vigil; only status" +
                                              std::string(url.digest ? " and digest are" : " is") + " checked"));
    }
    out.urls.push_back(std::move(u));
  }
  if (out.urls.empty()) {
    // keepalived drops an HTTP checker without urls ("has no urls specified - ignoring"); vigil
    // probes "/" so the operator's intent (some HTTP check) is kept, and says so.
    warnings.push_back(warning(loc, "HTTP/SSL checker has no url; checking '/' for 200-299"));
    out.urls.push_back(HttpUrlSpec{});
  }
  return out;
}

MiscSpec misc_spec(const conf::MiscCheckSpec& in, const conf::GlobalDefs& global) {
  MiscSpec out;
  out.command = in.path.command;
  if (in.path.user) {
    out.user = in.path.user;
    out.group = in.path.group;
  } else {
    out.user = global.script_user;
    out.group = global.script_group;
  }
  out.dynamic = in.dynamic;
  return out;
}

UdpSpec udp_spec(const conf::UdpCheckSpec& in) {
  UdpSpec out;
  out.payload = in.payload;
  out.require_reply = in.require_reply;
  out.reply = in.reply;
  out.reply_mask.reserve(in.reply.size());
  for (std::size_t i = 0; i < in.reply.size(); ++i) {
    const bool wildcard = i < in.reply_wildcard.size() && in.reply_wildcard[i];
    out.reply_mask.push_back(wildcard ? 0x00 : 0xff);
  }
  out.min_reply_length = in.min_reply_length;
  out.max_reply_length = in.max_reply_length;
  return out;
}

}  // namespace

RealServerDefinition from_conf(const conf::GlobalDefs& global, const conf::VirtualServer& vs,
                               const conf::RealServer& rs, std::vector<std::string>& warnings) {
  RealServerDefinition out;
  out.id = RealServerId{vs.key(), rs.address, rs.port};
  out.weight = rs.weight;
  for (const auto& checker : rs.checkers) {
    CheckDefinition def;
    def.where = checker.loc.to_string();
    def.log_all_failures = checker.log_all_failures;
    auto& target = def.probe.target;
    target.ip = checker.connect_ip.value_or(rs.address);
    target.port = checker.connect_port.value_or(rs.port);
    target.bind_ip = checker.bindto;
    target.bind_port = checker.bind_port;
    target.bind_if = checker.bind_if;
    target.fwmark = checker.fwmark;
    def.probe.timeout = checker.connect_timeout;
    def.timing.delay_loop = checker.delay_loop;
    def.timing.delay_before_retry = checker.delay_before_retry;
    def.timing.retry = checker.retry;
    def.timing.warmup = checker.warmup;
    // The builder resolves alpha into the checker; OR-ing the enclosing blocks keeps a real server
    // or virtual server `alpha` effective even where it did not.
    def.timing.alpha = checker.alpha || rs.alpha || vs.alpha;

    bool supported = true;
    switch (checker.kind) {
      case conf::CheckerKind::tcp:
        def.probe.spec = TcpSpec{};
        break;
      case conf::CheckerKind::http:
      case conf::CheckerKind::ssl: {
        const auto* http = std::get_if<conf::HttpCheckSpec>(&checker.spec);
        def.probe.spec = http_spec(http ? *http : conf::HttpCheckSpec{}, checker.kind == conf::CheckerKind::ssl, vs,
                                   checker.loc, warnings);
        break;
      }
      case conf::CheckerKind::misc: {
        const auto* misc = std::get_if<conf::MiscCheckSpec>(&checker.spec);
        const conf::MiscCheckSpec spec = misc ? *misc : conf::MiscCheckSpec{};
        def.probe.spec = misc_spec(spec, global);
        def.probe.timeout = spec.timeout.value_or(checker.delay_loop);  // keepalived: misc_timeout defaults to delay_loop
        break;
      }
      case conf::CheckerKind::udp: {
        const auto* udp = std::get_if<conf::UdpCheckSpec>(&checker.spec);
        def.probe.spec = udp_spec(udp ? *udp : conf::UdpCheckSpec{});
        break;
      }
      case conf::CheckerKind::dns: {
        const auto* dns = std::get_if<conf::DnsCheckSpec>(&checker.spec);
        const conf::DnsCheckSpec spec = dns ? *dns : conf::DnsCheckSpec{};
        DnsSpec out_spec;
        out_spec.name = spec.name.empty() ? "." : spec.name;
        if (const auto qtype = dns_qtype(spec.type)) {
          out_spec.qtype = *qtype;
        } else {
          warnings.push_back(warning(checker.loc, "unknown DNS_CHECK type '" + spec.type + "'; using SOA as keepalived does"));
        }
        def.probe.spec = out_spec;
        break;
      }
      case conf::CheckerKind::ping:
        def.probe.spec = PingSpec{};
        break;
      case conf::CheckerKind::smtp: {
        SmtpSpec out_spec;
        if (const auto* smtp = std::get_if<conf::SmtpCheckSpec>(&checker.spec); smtp && !smtp->helo_name.empty()) {
          out_spec.helo_name = smtp->helo_name;
        }
        def.probe.spec = out_spec;
        break;
      }
      case conf::CheckerKind::file:
      case conf::CheckerKind::bfd:
        warnings.push_back(warning(checker.loc, std::string(conf::to_string(checker.kind)) +
                                                    " is not implemented by vigil; this checker is ignored"));
        supported = false;
        break;
    }
    if (!supported) continue;
    const bool needs_port = !std::holds_alternative<MiscSpec>(def.probe.spec) &&
                            !std::holds_alternative<PingSpec>(def.probe.spec);
    if (needs_port && target.port == 0) {
      warnings.push_back(warning(checker.loc, "no connect_port and the real server has no port; the check will fail"));
    }
    out.checks.push_back(std::move(def));
  }
  return out;
}

Definitions from_conf(const conf::Config& config) {
  Definitions out;
  for (const auto& vs : config.each_virtual_server()) {
    for (const auto& rs : vs.real_servers) {
      // Without checkers a real server is always up (keepalived), which is also what the IPVS
      // side assumes for a server with no reported health: nothing to track. At 10,000 × 4
      // unchecked real servers that is 9 MB less.
      if (rs.checkers.empty()) continue;
      out.servers.push_back(from_conf(config.global, vs, rs, out.warnings));
    }
  }
  return out;
}

}  // namespace health
