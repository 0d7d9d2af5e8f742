// DOC: IPVS blocks — virtual_server_group, virtual_server, real_server and the checkers.
//
// keepalived passes some settings down: virtual_server → real_server → checker (delay_loop,
// connect_timeout, retry, delay_before_retry, warmup, alpha, inhibit_on_failure, virtualhost,
// lvs_method). The builder records what each level set explicitly and resolves the chain once
// the whole virtual_server block is read, so the order of keywords never matters.
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "conf/builders.hpp"

namespace conf {

namespace {

constexpr auto no_effect = KeywordKind::no_effect;
constexpr auto deprecated = KeywordKind::deprecated;
constexpr auto ignored = KeywordKind::ignored;

/// Settings a level may set for the levels below it.
struct Inherited {
  std::optional<Duration> delay_loop, connect_timeout, delay_before_retry, warmup;
  std::optional<std::uint32_t> retry;
  std::optional<bool> alpha, inhibit_on_failure;
  std::optional<std::string> virtualhost;
};

struct CheckerRaw {
  Checker checker;
  Inherited own;
};

struct RealServerRaw {
  RealServer rs;
  Inherited own;
  std::optional<LvsMethod> method;
  std::vector<CheckerRaw> checkers;
};

struct VirtualServerRaw {
  VirtualServer vs;
  Inherited own;
  std::vector<RealServerRaw> real_servers;
  std::vector<Token> sched_flag_tokens;
  std::optional<Token> sched_token;
};

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::optional<LvsMethod> parse_lvs_method(BuildContext& ctx, const Statement& s) {
  if (!ctx.args(s, 1, 6)) return std::nullopt;
  LvsMethod m;
  const auto kind = upper(s.args[0].text);
  if (kind == "NAT") m.method = ForwardMethod::nat;
  else if (kind == "DR") m.method = ForwardMethod::dr;
  else if (kind == "TUN") m.method = ForwardMethod::tun;
  else {
    ctx.error(s.args[0], "lvs_method must be NAT, DR or TUN, not '" + s.args[0].text + "'");
    return std::nullopt;
  }
  for (std::size_t i = 1; i < s.args.size(); ++i) {
    const auto& w = s.args[i].text;
    if (m.method != ForwardMethod::tun) {
      ctx.error(s.args[i], "'" + w + "' only applies to lvs_method TUN");
      return std::nullopt;
    }
    if (w == "type" && i + 1 < s.args.size()) {
      const auto& t = s.args[++i].text;
      if (t == "ipip") m.tunnel_type = TunnelType::ipip;
      else if (t == "gre") m.tunnel_type = TunnelType::gre;
      else if (t == "gue") m.tunnel_type = TunnelType::gue;
      else {
        ctx.error(s.args[i], "tunnel type must be ipip, gue or gre, not '" + t + "'");
        return std::nullopt;
      }
    } else if (w == "port" && i + 1 < s.args.size()) {
      const auto p = ctx.port(s.args[++i]);
      if (!p) return std::nullopt;
      m.tunnel_port = *p;
    } else if (w == "nocsum") {
      m.tunnel_checksum = TunnelChecksum::nocsum;
    } else if (w == "csum") {
      m.tunnel_checksum = TunnelChecksum::csum;
    } else if (w == "remcsum") {
      m.tunnel_checksum = TunnelChecksum::remcsum;
    } else {
      ctx.error(s.args[i], "unexpected '" + w + "' in lvs_method (expected type ipip|gue port N|gre, nocsum|csum|remcsum)");
      return std::nullopt;
    }
  }
  if (m.tunnel_type == TunnelType::gue && !m.tunnel_port) {
    ctx.error(s.keyword, "lvs_method TUN type gue needs 'port N'");
    return std::nullopt;
  }
  if (m.tunnel_type != TunnelType::gue && m.tunnel_port) {
    ctx.error(s.keyword, "a tunnel port only applies to 'type gue'");
    return std::nullopt;
  }
  return m;
}

/// The keywords every level of the inheritance chain accepts.
template <typename T, Inherited T::*Own>
void add_inherited(std::vector<Keyword<T>>& out) {
  out.push_back({"delay_loop", [](BuildContext& c, const Statement& s, T& o) {
                   c.set_timer(s, (o.*Own).delay_loop, std::chrono::milliseconds(1), std::chrono::hours(24));
                 }});
  out.push_back({"connect_timeout", [](BuildContext& c, const Statement& s, T& o) {
                   c.set_timer(s, (o.*Own).connect_timeout, std::chrono::milliseconds(1), std::chrono::hours(1));
                 }});
  out.push_back({"delay_before_retry", [](BuildContext& c, const Statement& s, T& o) {
                   c.set_timer(s, (o.*Own).delay_before_retry, Duration{0}, std::chrono::hours(1));
                 }});
  out.push_back({"warmup", [](BuildContext& c, const Statement& s, T& o) {
                   c.set_timer(s, (o.*Own).warmup, Duration{0}, std::chrono::hours(24));
                 }});
  out.push_back({"retry", [](BuildContext& c, const Statement& s, T& o) {
                   c.set_uint(s, (o.*Own).retry, 0, 1'000'000);
                 }});
  out.push_back({"nb_get_retry",
                 [](BuildContext& c, const Statement& s, T& o) { c.set_uint(s, (o.*Own).retry, 0, 1'000'000); },
                 deprecated, "retry"});
  out.push_back({"alpha", [](BuildContext& c, const Statement& s, T& o) {
                   bool v = false;
                   c.set_flag(s, v);
                   (o.*Own).alpha = v;
                 }});
}

// ---------------------------------------------------------------------------------------------
// Checkers

bool parse_hex(std::string_view text, std::vector<std::uint8_t>& bytes, std::vector<bool>* wildcard) {
  if (text.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); i += 2) {
    if (wildcard && (text[i] == 'X' || text[i] == 'x') && (text[i + 1] == 'X' || text[i + 1] == 'x')) {
      bytes.push_back(0);
      wildcard->push_back(true);
      continue;
    }
    const int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    bytes.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    if (wildcard) wildcard->push_back(false);
  }
  return true;
}

void parse_url(BuildContext& ctx, const Statement& s, HttpCheckSpec& spec) {
  using KU = Keyword<HttpUrl>;
  static const KeywordTable<HttpUrl> table{
      "url",
      {
          KU{"path", [](BuildContext& c, const Statement& st, HttpUrl& u) { c.set_string(st, u.path); }},
          KU{"digest",
             [](BuildContext& c, const Statement& st, HttpUrl& u) {
               if (!c.args(st, 1, 1)) return;
               std::string d = st.args[0].text;
               std::transform(d.begin(), d.end(), d.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
               std::vector<std::uint8_t> bytes;
               if (d.size() != 32 || !parse_hex(d, bytes, nullptr))
                 c.error(st.args[0], "digest must be 32 hexadecimal digits (an MD5), not '" + st.args[0].text + "'");
               else
                 u.digest = d;
             }},
          KU{"status_code",
             [](BuildContext& c, const Statement& st, HttpUrl& u) {
               if (!c.args(st, 1, 64)) return;
               for (const auto& a : st.args) {
                 const auto dash = a.text.find('-');
                 Token lo_tok = a, hi_tok = a;
                 if (dash != std::string::npos) {
                   lo_tok.text = a.text.substr(0, dash);
                   hi_tok.text = a.text.substr(dash + 1);
                 }
                 const auto lo = c.uint(lo_tok, 100, 999, "status_code");
                 const auto hi = c.uint(hi_tok, 100, 999, "status_code");
                 if (!lo || !hi) return;
                 if (*lo > *hi) {
                   c.error(a, "status_code range '" + a.text + "' is backwards");
                   return;
                 }
                 u.status_codes.emplace_back(static_cast<int>(*lo), static_cast<int>(*hi));
               }
             }},
          KU{"virtualhost",
             [](BuildContext& c, const Statement& st, HttpUrl& u) {
               if (c.args(st, 1, 1)) u.virtualhost = st.args[0].text;
             }},
          KU{"regex",
             [](BuildContext& c, const Statement& st, HttpUrl& u) {
               if (c.args(st, 1, 1)) u.regex = st.args[0].text;
             }},
          KU{"regex_no_match", [](BuildContext& c, const Statement& st, HttpUrl& u) { c.set_flag(st, u.regex_no_match); }},
          KU{"regex_options", nullptr, no_effect},
          KU{"regex_min_offset", nullptr, no_effect},
          KU{"regex_max_offset", nullptr, no_effect},
          KU{"regex_stack", nullptr, no_effect},
          KU{"tls_compliant", nullptr, no_effect},
      }};
  if (!ctx.needs_block(s) || !ctx.args(s, 0, 0)) return;
  HttpUrl url;
  url.loc = ctx.loc(s.keyword);
  table.dispatch(ctx, s.children, url);
  if (url.path.empty()) {
    ctx.error(s.keyword, "url block needs a 'path'");
    return;
  }
  spec.urls.push_back(std::move(url));
}

template <typename Spec>
Spec& spec_of(CheckerRaw& r) {
  if (!std::holds_alternative<Spec>(r.checker.spec)) r.checker.spec = Spec{};
  return std::get<Spec>(r.checker.spec);
}

std::vector<Keyword<CheckerRaw>> common_checker_keywords() {
  using KC = Keyword<CheckerRaw>;
  std::vector<KC> out{
      KC{"connect_ip",
         [](BuildContext& c, const Statement& s, CheckerRaw& r) {
           if (c.args(s, 1, 1)) r.checker.connect_ip = c.ip(s.args[0], "connect_ip");
         }},
      KC{"connect_port",
         [](BuildContext& c, const Statement& s, CheckerRaw& r) {
           if (c.args(s, 1, 1)) r.checker.connect_port = c.port(s.args[0]);
         }},
      KC{"bindto",
         [](BuildContext& c, const Statement& s, CheckerRaw& r) {
           if (c.args(s, 1, 1)) r.checker.bindto = c.ip(s.args[0], "bindto address");
         }},
      KC{"bind_port",
         [](BuildContext& c, const Statement& s, CheckerRaw& r) {
           if (c.args(s, 1, 1)) r.checker.bind_port = c.port(s.args[0]);
         }},
      KC{"bind_if",
         [](BuildContext& c, const Statement& s, CheckerRaw& r) {
           if (c.args(s, 1, 1)) r.checker.bind_if = s.args[0].text;
         }},
      KC{"fwmark",
         [](BuildContext& c, const Statement& s, CheckerRaw& r) {
           if (!c.args(s, 1, 1)) return;
           if (const auto v = c.uint(s.args[0], 1, 0xFFFFFFFFU, "fwmark")) r.checker.fwmark = static_cast<std::uint32_t>(*v);
         }},
      KC{"log_all_failures", [](BuildContext& c, const Statement& s, CheckerRaw& r) { c.set_flag(s, r.checker.log_all_failures); }},
  };
  add_inherited<CheckerRaw, &CheckerRaw::own>(out);
  return out;
}

KeywordTable<CheckerRaw> checker_table(std::string_view block, std::vector<Keyword<CheckerRaw>> specific) {
  auto all = common_checker_keywords();
  all.insert(all.end(), specific.begin(), specific.end());
  return KeywordTable<CheckerRaw>(block, std::move(all));
}

using KC = Keyword<CheckerRaw>;
using C = BuildContext;
using S = Statement;

std::vector<KC> http_keywords() {
  return {
      KC{"url", [](C& c, const S& s, CheckerRaw& r) { parse_url(c, s, spec_of<HttpCheckSpec>(r)); }},
      KC{"http_protocol",
         [](C& c, const S& s, CheckerRaw& r) {
           if (!c.args(s, 1, 1)) return;
           const auto& v = s.args[0].text;
           if (v == "1.0" || v == "1.0C" || v == "1.1") spec_of<HttpCheckSpec>(r).http_protocol = v;
           else c.error(s.args[0], "http_protocol must be 1.0, 1.0C or 1.1, not '" + v + "'");
         }},
      KC{"virtualhost",
         [](C& c, const S& s, CheckerRaw& r) {
           if (c.args(s, 1, 1)) spec_of<HttpCheckSpec>(r).virtualhost = s.args[0].text;
         }},
      KC{"enable_sni", [](C& c, const S& s, CheckerRaw& r) { c.set_flag(s, spec_of<HttpCheckSpec>(r).enable_sni); }},
      KC{"sni_name",
         [](C& c, const S& s, CheckerRaw& r) {
           if (c.args(s, 1, 1)) spec_of<HttpCheckSpec>(r).sni_name = s.args[0].text;
         }},
      KC{"fast_recovery", [](C& c, const S& s, CheckerRaw& r) { c.set_flag(s, spec_of<HttpCheckSpec>(r).fast_recovery); }},
      KC{"tls_compliant", [](C& c, const S& s, CheckerRaw& r) { c.set_flag(s, spec_of<HttpCheckSpec>(r).tls_compliant); }},
  };
}

const KeywordTable<CheckerRaw>& table_for(CheckerKind kind) {
  static const KeywordTable<CheckerRaw> tcp = checker_table("TCP_CHECK", {});
  static const KeywordTable<CheckerRaw> ping = checker_table("PING_CHECK", {});
  static const KeywordTable<CheckerRaw> http = checker_table("HTTP_GET", http_keywords());
  static const KeywordTable<CheckerRaw> ssl = checker_table("SSL_GET", http_keywords());
  static const KeywordTable<CheckerRaw> misc = checker_table(
      "MISC_CHECK",
      {
          KC{"misc_path",
             [](C& c, const S& s, CheckerRaw& r) {
               if (auto v = c.script(s)) spec_of<MiscCheckSpec>(r).path = std::move(*v);
             }},
          KC{"misc_timeout",
             [](C& c, const S& s, CheckerRaw& r) {
               c.set_timer(s, spec_of<MiscCheckSpec>(r).timeout, std::chrono::milliseconds(1), std::chrono::hours(1));
             }},
          KC{"misc_dynamic", [](C& c, const S& s, CheckerRaw& r) { c.set_flag(s, spec_of<MiscCheckSpec>(r).dynamic); }},
          KC{"user",
             [](C& c, const S& s, CheckerRaw& r) {
               if (!c.args(s, 1, 2)) return;
               auto& spec = spec_of<MiscCheckSpec>(r);
               spec.path.user = s.args[0].text;
               if (s.args.size() > 1) spec.path.group = s.args[1].text;
             }},
      });
  static const KeywordTable<CheckerRaw> udp = checker_table(
      "UDP_CHECK",
      {
          KC{"payload",
             [](C& c, const S& s, CheckerRaw& r) {
               if (!c.args(s, 1, 1)) return;
               auto& spec = spec_of<UdpCheckSpec>(r);
               spec.payload.clear();
               if (!parse_hex(s.args[0].text, spec.payload, nullptr))
                 c.error(s.args[0], "payload must be hexadecimal bytes, not '" + s.args[0].text + "'");
             }},
          KC{"require_reply",
             [](C& c, const S& s, CheckerRaw& r) {
               if (!c.args(s, 0, 1)) return;
               auto& spec = spec_of<UdpCheckSpec>(r);
               spec.require_reply = true;
               spec.reply.clear();
               spec.reply_wildcard.clear();
               if (!s.args.empty() && !parse_hex(s.args[0].text, spec.reply, &spec.reply_wildcard))
                 c.error(s.args[0], "require_reply must be hexadecimal bytes (XX = any byte), not '" + s.args[0].text + "'");
             }},
          KC{"min_reply_length",
             [](C& c, const S& s, CheckerRaw& r) { c.set_uint(s, spec_of<UdpCheckSpec>(r).min_reply_length, 0, 65535); }},
          KC{"max_reply_length",
             [](C& c, const S& s, CheckerRaw& r) { c.set_uint(s, spec_of<UdpCheckSpec>(r).max_reply_length, 0, 65535); }},
      });
  static const KeywordTable<CheckerRaw> dns = checker_table(
      "DNS_CHECK",
      {
          KC{"type",
             [](C& c, const S& s, CheckerRaw& r) {
               if (!c.args(s, 1, 1)) return;
               const auto t = upper(s.args[0].text);
               static constexpr std::string_view k_types[] = {"A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"};
               if (std::find(std::begin(k_types), std::end(k_types), t) == std::end(k_types))
                 c.error(s.args[0], "DNS_CHECK type must be A, NS, CNAME, SOA, MX, TXT or AAAA, not '" + s.args[0].text + "'");
               else
                 spec_of<DnsCheckSpec>(r).type = t;
             }},
          KC{"name", [](C& c, const S& s, CheckerRaw& r) { c.set_string(s, spec_of<DnsCheckSpec>(r).name); }},
      });
  static const KeywordTable<CheckerRaw> smtp = checker_table(
      "SMTP_CHECK",
      {
          KC{"helo_name", [](C& c, const S& s, CheckerRaw& r) { c.set_string(s, spec_of<SmtpCheckSpec>(r).helo_name); }},
          KC{"host", nullptr, deprecated, "one SMTP_CHECK per host"},
      });
  static const KeywordTable<CheckerRaw> file = checker_table(
      "FILE_CHECK", {KC{"track_file", nullptr, ignored}, KC{"dynamic", nullptr, ignored}, KC{"weight", nullptr, ignored}});
  static const KeywordTable<CheckerRaw> bfd = checker_table("BFD_CHECK", {KC{"name", nullptr, ignored}});
  switch (kind) {
    case CheckerKind::tcp: return tcp;
    case CheckerKind::http: return http;
    case CheckerKind::ssl: return ssl;
    case CheckerKind::misc: return misc;
    case CheckerKind::udp: return udp;
    case CheckerKind::dns: return dns;
    case CheckerKind::ping: return ping;
    case CheckerKind::smtp: return smtp;
    case CheckerKind::file: return file;
    case CheckerKind::bfd: return bfd;
  }
  return tcp;
}

std::optional<CheckerKind> checker_kind(std::string_view kw) {
  if (kw == "TCP_CHECK") return CheckerKind::tcp;
  if (kw == "HTTP_GET") return CheckerKind::http;
  if (kw == "SSL_GET") return CheckerKind::ssl;
  if (kw == "MISC_CHECK") return CheckerKind::misc;
  if (kw == "UDP_CHECK") return CheckerKind::udp;
  if (kw == "DNS_CHECK") return CheckerKind::dns;
  if (kw == "PING_CHECK") return CheckerKind::ping;
  if (kw == "SMTP_CHECK") return CheckerKind::smtp;
  if (kw == "FILE_CHECK") return CheckerKind::file;
  if (kw == "BFD_CHECK") return CheckerKind::bfd;
  return std::nullopt;
}

void parse_checker(C& c, const S& s, RealServerRaw& rs) {
  const auto kind = checker_kind(s.keyword.text);
  if (!kind || !c.needs_block(s) || !c.args(s, 0, 0)) return;
  CheckerRaw raw;
  raw.checker.kind = *kind;
  raw.checker.loc = c.loc(s.keyword);
  switch (*kind) {  // the spec exists even when the block sets nothing
    case CheckerKind::http:
    case CheckerKind::ssl: raw.checker.spec = HttpCheckSpec{}; break;
    case CheckerKind::misc: raw.checker.spec = MiscCheckSpec{}; break;
    case CheckerKind::udp: raw.checker.spec = UdpCheckSpec{}; break;
    case CheckerKind::dns: raw.checker.spec = DnsCheckSpec{}; break;
    case CheckerKind::smtp: raw.checker.spec = SmtpCheckSpec{}; break;
    default: break;
  }
  if (*kind == CheckerKind::smtp || *kind == CheckerKind::file || *kind == CheckerKind::bfd)
    report_kind(c, s, no_effect, {});
  table_for(*kind).dispatch(c, s.children, raw);
  if (*kind == CheckerKind::misc && std::get<MiscCheckSpec>(raw.checker.spec).path.command.empty()) {
    c.error(s.keyword, "MISC_CHECK needs 'misc_path'");
    return;
  }
  if ((*kind == CheckerKind::http || *kind == CheckerKind::ssl) && std::get<HttpCheckSpec>(raw.checker.spec).urls.empty()) {
    c.error(s.keyword, std::string(to_string(*kind)) + " needs at least one 'url { path ... }' block");
    return;
  }
  rs.checkers.push_back(std::move(raw));
}

// ---------------------------------------------------------------------------------------------
// real_server

const KeywordTable<RealServerRaw>& real_server_table() {
  using KR = Keyword<RealServerRaw>;
  static const KeywordTable<RealServerRaw> table = [] {
    std::vector<KR> k{
        KR{"weight",
           [](C& c, const S& s, RealServerRaw& r) { c.set_uint(s, r.rs.weight, 0, 2147483647); }},
        KR{"lvs_method",
           [](C& c, const S& s, RealServerRaw& r) {
             if (auto m = parse_lvs_method(c, s)) r.method = *m;
           }},
        KR{"lb_kind",
           [](C& c, const S& s, RealServerRaw& r) {
             if (auto m = parse_lvs_method(c, s)) r.method = *m;
           },
           deprecated, "lvs_method"},
        KR{"uthreshold", [](C& c, const S& s, RealServerRaw& r) { c.set_uint(s, r.rs.upper_threshold, 0, 0xFFFFFFFFU); }},
        KR{"lthreshold", [](C& c, const S& s, RealServerRaw& r) { c.set_uint(s, r.rs.lower_threshold, 0, 0xFFFFFFFFU); }},
        KR{"inhibit_on_failure",
           [](C& c, const S& s, RealServerRaw& r) {
             bool v = false;
             c.set_flag(s, v);
             r.own.inhibit_on_failure = v;
           }},
        KR{"notify_up",
           [](C& c, const S& s, RealServerRaw& r) {
             if (auto v = c.script(s)) r.rs.notify_up = std::move(*v);
           }},
        KR{"notify_down",
           [](C& c, const S& s, RealServerRaw& r) {
             if (auto v = c.script(s)) r.rs.notify_down = std::move(*v);
           }},
        KR{"virtualhost",
           [](C& c, const S& s, RealServerRaw& r) {
             if (c.args(s, 1, 1)) r.own.virtualhost = s.args[0].text;
           }},
        KR{"smtp_alert", nullptr, no_effect},
        KR{"snmp_name", nullptr, no_effect},
    };
    for (const char* kind : {"TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK", "UDP_CHECK", "DNS_CHECK", "PING_CHECK",
                             "SMTP_CHECK", "FILE_CHECK", "BFD_CHECK"})
      k.push_back(KR{kind, parse_checker});
    add_inherited<RealServerRaw, &RealServerRaw::own>(k);
    return KeywordTable<RealServerRaw>("real_server", std::move(k));
  }();
  return table;
}

void parse_real_server(C& c, const S& s, VirtualServerRaw& vs) {
  if (!c.needs_block(s) || !c.args(s, 1, 2)) return;
  RealServerRaw raw;
  raw.rs.loc = c.loc(s.keyword);
  const auto addr = c.ip(s.args[0], "real server address");
  if (!addr) return;
  raw.rs.address = *addr;
  if (s.args.size() > 1) {
    const auto p = c.port(s.args[1]);
    if (!p) return;
    raw.rs.port = *p;
  }
  real_server_table().dispatch(c, s.children, raw);
  vs.real_servers.push_back(std::move(raw));
}

// ---------------------------------------------------------------------------------------------
// virtual_server

constexpr std::string_view k_schedulers[] = {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh",
                                             "sed", "nq", "mh", "fo", "ovf", "twos"};

void set_scheduler(C& c, const S& s, VirtualServerRaw& r) {
  if (!c.args(s, 1, 1)) return;
  const auto& v = s.args[0].text;
  if (std::find(std::begin(k_schedulers), std::end(k_schedulers), v) == std::end(k_schedulers)) {
    std::string msg = "unknown scheduler '" + v + "' (rr wrr lc wlc lblc lblcr dh sh sed nq mh fo ovf twos)";
    if (const auto hint = suggest(v, k_schedulers)) msg += "; did you mean '" + std::string(*hint) + "'?";
    c.error(s.args[0], msg);
    return;
  }
  r.vs.scheduler = v;
  r.sched_token = s.args[0];
}

template <bool VirtualServer::*Flag>
Keyword<VirtualServerRaw> sched_flag(std::string_view name) {
  return Keyword<VirtualServerRaw>{name, [](C& c, const S& s, VirtualServerRaw& r) {
                                     if (!c.args(s, 0, 0)) return;
                                     r.vs.*Flag = true;
                                     r.sched_flag_tokens.push_back(s.keyword);
                                   }};
}

const KeywordTable<VirtualServerRaw>& virtual_server_table() {
  using KV = Keyword<VirtualServerRaw>;
  using R = VirtualServerRaw;
  static const KeywordTable<VirtualServerRaw> table = [] {
    std::vector<KV> k{
        KV{"ip_family",
           [](C& c, const S& s, R& r) {
             if (!c.args(s, 1, 1)) return;
             if (s.args[0].text == "inet") r.vs.family = Family::v4;
             else if (s.args[0].text == "inet6") r.vs.family = Family::v6;
             else {
               c.error(s.args[0], "ip_family must be inet or inet6, not '" + s.args[0].text + "'");
               return;
             }
             r.vs.family_given = true;
           }},
        KV{"lvs_sched", set_scheduler},
        KV{"lb_algo", set_scheduler, deprecated, "lvs_sched"},
        KV{"lvs_method",
           [](C& c, const S& s, R& r) {
             if (auto m = parse_lvs_method(c, s)) r.vs.method = *m;
           }},
        KV{"lb_kind",
           [](C& c, const S& s, R& r) {
             if (auto m = parse_lvs_method(c, s)) r.vs.method = *m;
           },
           deprecated, "lvs_method"},
        sched_flag<&VirtualServer::flag1>("flag-1"),
        sched_flag<&VirtualServer::flag2>("flag-2"),
        sched_flag<&VirtualServer::flag3>("flag-3"),
        sched_flag<&VirtualServer::flag1>("sh-fallback"),
        sched_flag<&VirtualServer::flag2>("sh-port"),
        sched_flag<&VirtualServer::flag1>("mh-fallback"),
        sched_flag<&VirtualServer::flag2>("mh-port"),
        KV{"ops", [](C& c, const S& s, R& r) { c.set_flag(s, r.vs.one_packet); }},
        KV{"hashed", nullptr, ignored},
        KV{"protocol",
           [](C& c, const S& s, R& r) {
             if (!c.args(s, 1, 1)) return;
             const auto p = upper(s.args[0].text);
             if (p == "TCP") r.vs.protocol = Protocol::tcp;
             else if (p == "UDP") r.vs.protocol = Protocol::udp;
             else if (p == "SCTP") r.vs.protocol = Protocol::sctp;
             else c.error(s.args[0], "protocol must be TCP, UDP or SCTP, not '" + s.args[0].text + "'");
           }},
        KV{"persistence_timeout",
           [](C& c, const S& s, R& r) {
             if (!c.args(s, 0, 1)) return;
             if (s.args.empty()) {
               r.vs.persistence_timeout = 360;  // keepalived's default for a bare keyword
               return;
             }
             if (const auto v = c.uint(s.args[0], 1, 0xFFFFFFFFU, "persistence_timeout"))
               r.vs.persistence_timeout = static_cast<std::uint32_t>(*v);
           }},
        KV{"persistence_granularity",
           [](C& c, const S& s, R& r) {
             if (!c.args(s, 1, 1)) return;
             const auto& v = s.args[0].text;
             if (v.find('.') != std::string::npos) {
               if (const auto mask = c.ip(s.args[0], "persistence_granularity netmask")) r.vs.persistence_granularity = *mask;
             } else if (const auto len = c.uint(s.args[0], 1, 128, "persistence_granularity prefix length")) {
               r.vs.persistence_granularity_v6 = static_cast<std::uint8_t>(*len);
             }
           }},
        KV{"persistence_engine",
           [](C& c, const S& s, R& r) {
             if (c.args(s, 1, 1)) r.vs.persistence_engine = s.args[0].text;
           }},
        KV{"ha_suspend", [](C& c, const S& s, R& r) { c.set_flag(s, r.vs.ha_suspend); }},
        KV{"virtualhost",
           [](C& c, const S& s, R& r) {
             if (c.args(s, 1, 1)) r.own.virtualhost = s.args[0].text;
           }},
        KV{"omega", [](C& c, const S& s, R& r) { c.set_flag(s, r.vs.omega); }},
        KV{"quorum", [](C& c, const S& s, R& r) { c.set_uint(s, r.vs.quorum, 1, 0xFFFFFFFFU); }},
        KV{"hysteresis", [](C& c, const S& s, R& r) { c.set_uint(s, r.vs.hysteresis, 0, 0xFFFFFFFFU); }},
        KV{"quorum_up",
           [](C& c, const S& s, R& r) {
             if (auto v = c.script(s)) r.vs.quorum_up = std::move(*v);
           }},
        KV{"quorum_down",
           [](C& c, const S& s, R& r) {
             if (auto v = c.script(s)) r.vs.quorum_down = std::move(*v);
           }},
        KV{"sorry_server",
           [](C& c, const S& s, R& r) {
             if (!c.args(s, 1, 2)) return;
             const auto a = c.ip(s.args[0], "sorry_server address");
             if (!a) return;
             SorryServer ss{*a, 0, std::nullopt, c.loc(s.keyword)};
             if (r.vs.sorry_server) ss.method = r.vs.sorry_server->method;
             if (s.args.size() > 1) {
               const auto p = c.port(s.args[1]);
               if (!p) return;
               ss.port = *p;
             }
             r.vs.sorry_server = ss;
           }},
        KV{"sorry_server_inhibit", [](C& c, const S& s, R& r) { c.set_flag(s, r.vs.sorry_server_inhibit); }},
        KV{"sorry_server_lvs_method",
           [](C& c, const S& s, R& r) {
             auto m = parse_lvs_method(c, s);
             if (!m) return;
             if (!r.vs.sorry_server) r.vs.sorry_server = SorryServer{};
             r.vs.sorry_server->method = *m;
           }},
        KV{"inhibit_on_failure",
           [](C& c, const S& s, R& r) {
             bool v = false;
             c.set_flag(s, v);
             r.own.inhibit_on_failure = v;
           }},
        KV{"real_server", parse_real_server},
        KV{"smtp_alert", nullptr, no_effect},
        KV{"snmp_name", nullptr, no_effect},
        KV{"weight", nullptr, no_effect},
    };
    add_inherited<VirtualServerRaw, &VirtualServerRaw::own>(k);
    return KeywordTable<VirtualServerRaw>("virtual_server", std::move(k));
  }();
  return table;
}

/// keepalived's per-checker-kind defaults for retry (TCP/HTTP 1, DNS 3, MISC 0).
std::uint32_t default_retry(CheckerKind k) {
  switch (k) {
    case CheckerKind::dns: return 3;
    case CheckerKind::misc: return 0;
    default: return 1;
  }
}

template <typename T>
std::optional<T> first_of(std::initializer_list<std::optional<T>> chain) {
  for (const auto& v : chain)
    if (v) return v;
  return std::nullopt;
}

/// Resolve inheritance: checker ← real_server ← virtual_server ← keepalived default.
void resolve(VirtualServerRaw& raw) {
  VirtualServer& vs = raw.vs;
  const Inherited& v = raw.own;
  vs.delay_loop = v.delay_loop.value_or(std::chrono::seconds(60));
  vs.alpha = v.alpha.value_or(false);
  vs.inhibit_on_failure = v.inhibit_on_failure.value_or(false);
  if (v.virtualhost) vs.virtualhost = *v.virtualhost;
  vs.real_servers.reserve(raw.real_servers.size());
  for (auto& rr : raw.real_servers) {
    RealServer& rs = rr.rs;
    const Inherited& r = rr.own;
    // keepalived: a real server without a port takes the virtual server's (fwmark services have none).
    if (rs.port == 0 && !vs.fwmark) rs.port = vs.port;
    rs.method = rr.method.value_or(vs.method);
    rs.inhibit_on_failure = first_of({r.inhibit_on_failure, v.inhibit_on_failure}).value_or(false);
    rs.alpha = first_of({r.alpha, v.alpha}).value_or(false);
    rs.checkers.reserve(rr.checkers.size());
    for (auto& cr : rr.checkers) {
      Checker& ck = cr.checker;
      const Inherited& k = cr.own;
      ck.delay_loop = first_of({k.delay_loop, r.delay_loop, v.delay_loop}).value_or(std::chrono::seconds(60));
      ck.connect_timeout = first_of({k.connect_timeout, r.connect_timeout, v.connect_timeout}).value_or(std::chrono::seconds(5));
      ck.delay_before_retry =
          first_of({k.delay_before_retry, r.delay_before_retry, v.delay_before_retry}).value_or(std::chrono::seconds(1));
      ck.retry = first_of({k.retry, r.retry, v.retry}).value_or(default_retry(ck.kind));
      ck.warmup = first_of({k.warmup, r.warmup, v.warmup});
      ck.alpha = first_of({k.alpha, r.alpha, v.alpha}).value_or(false);
      if (auto* http = std::get_if<HttpCheckSpec>(&ck.spec); http && !http->virtualhost)
        http->virtualhost = first_of({r.virtualhost, v.virtualhost});
      if (auto* misc = std::get_if<MiscCheckSpec>(&ck.spec); misc && !misc->timeout) misc->timeout = ck.delay_loop;
      rs.checkers.push_back(std::move(ck));
    }
    vs.real_servers.push_back(std::move(rs));
  }
}

}  // namespace

std::optional<VirtualServer> build_virtual_server(BuildContext& ctx, const Statement& s) {
  if (!ctx.needs_block(s) || !ctx.args(s, 1, 2)) return std::nullopt;
  VirtualServerRaw raw;
  VirtualServer& vs = raw.vs;
  vs.loc = ctx.loc(s.keyword);
  const auto& first = s.args[0].text;
  if (first == "fwmark" || first == "group") {
    if (s.args.size() != 2) {
      ctx.error(s.args[0], "'virtual_server " + first + "' needs a " + (first == "fwmark" ? "mark" : "group name"));
      return std::nullopt;
    }
    if (first == "fwmark") {
      const auto m = ctx.uint(s.args[1], 1, 0xFFFFFFFFU, "fwmark");
      if (!m) return std::nullopt;
      vs.fwmark = static_cast<std::uint32_t>(*m);
    } else {
      vs.group = s.args[1].text;
    }
  } else {
    const auto a = ctx.ip(s.args[0], "virtual server address");
    if (!a) return std::nullopt;
    vs.address = *a;
    vs.family = a->family();
    vs.family_given = true;
    if (s.args.size() > 1) {
      const auto p = ctx.port(s.args[1]);
      if (!p) return std::nullopt;
      vs.port = *p;
    }
  }
  virtual_server_table().dispatch(ctx, s.children, raw);

  // sh-*/mh-* flags mean nothing to other schedulers (keepalived ignores them with a message).
  const bool hashing = vs.scheduler == "sh" || vs.scheduler == "mh";
  for (const auto& t : raw.sched_flag_tokens) {
    const bool named_for_sh = t.text.rfind("sh-", 0) == 0;
    const bool named_for_mh = t.text.rfind("mh-", 0) == 0;
    if ((named_for_sh && vs.scheduler != "sh") || (named_for_mh && vs.scheduler != "mh") ||
        (!named_for_sh && !named_for_mh && !hashing && t.text != "flag-3"))
      ctx.warning(t, "'" + t.text + "' has no effect with lvs_sched " + vs.scheduler);
  }
  if (!vs.family_given && vs.fwmark && !raw.real_servers.empty()) vs.family = raw.real_servers.front().rs.address.family();
  resolve(raw);
  return vs;
}

std::optional<VirtualServerGroup> build_virtual_server_group(BuildContext& ctx, const Statement& s) {
  if (!ctx.needs_block(s) || !ctx.args(s, 1, 1)) return std::nullopt;
  VirtualServerGroup g;
  g.name = s.args[0].text;
  g.loc = ctx.loc(s.keyword);
  for (const auto& line : s.children) {
    if (line.has_block) {
      ctx.no_block(line);
      continue;
    }
    VirtualServerGroupEntry e;
    e.loc = ctx.loc(line.keyword);
    const auto& w = line.keyword.text;
    if (w == "fwmark") {
      if (!ctx.args(line, 1, 2)) continue;
      const auto m = ctx.uint(line.args[0], 1, 0xFFFFFFFFU, "fwmark");
      if (!m) continue;
      e.fwmark = static_cast<std::uint32_t>(*m);
      if (line.args.size() > 1) {
        if (line.args[1].text == "inet") e.fwmark_family = Family::v4;
        else if (line.args[1].text == "inet6") e.fwmark_family = Family::v6;
        else {
          ctx.error(line.args[1], "expected inet or inet6 after the fwmark, not '" + line.args[1].text + "'");
          continue;
        }
      }
      g.entries.push_back(e);
      continue;
    }
    if (!ctx.args(line, 0, 1)) continue;
    // IP, IP/LEN, A.B.C.D-E, A.B.C.D-E.F.G.H, or the IPv6 equivalents (last group ranges).
    const auto dash = w.rfind('-');
    const auto slash = w.find('/');
    if (slash != std::string::npos) {
      const auto p = ctx.prefix(line.keyword, "virtual server group prefix");
      if (!p) continue;
      if (p->address.is_v4()) {
        const std::uint32_t mask = p->length == 0 ? 0 : ~std::uint32_t{0} << (32 - p->length);
        e.first = IpAddress::from_v4_u32(p->address.v4_u32() & mask);
        e.last = IpAddress::from_v4_u32((p->address.v4_u32() & mask) | ~mask);
      } else {
        if (p->length < 112) {
          ctx.error(line.keyword, "IPv6 prefix /" + std::to_string(p->length) + " expands to too many virtual servers (at most /112)");
          continue;
        }
        auto lo = p->address.raw16(), hi = lo;
        for (unsigned bit = p->length; bit < 128; ++bit) {
          const auto byte = bit / 8;
          const auto m = static_cast<std::uint8_t>(0x80U >> (bit % 8));
          lo[byte] = static_cast<std::uint8_t>(lo[byte] & ~m);
          hi[byte] = static_cast<std::uint8_t>(hi[byte] | m);
        }
        e.first = IpAddress::from_v6(lo);
        e.last = IpAddress::from_v6(hi);
      }
    } else if (dash != std::string::npos && dash > 0) {
      const auto base = IpAddress::parse(w.substr(0, dash));
      const std::string end_text = w.substr(dash + 1);
      if (!base) {
        ctx.error(line.keyword, "invalid address range '" + w + "'");
        continue;
      }
      std::optional<IpAddress> last = IpAddress::parse(end_text);
      if (!last) {
        // Short form: only the last octet (v4) or last group (v6) is given.
        if (base->is_v4()) {
          Token t = line.keyword;
          t.text = end_text;
          const auto v = ctx.uint(t, 0, 255, "range end");
          if (!v) continue;
          last = IpAddress::from_v4_u32((base->v4_u32() & 0xFFFFFF00U) | static_cast<std::uint32_t>(*v));
        } else {
          unsigned v = 0;
          if (end_text.empty() || end_text.size() > 4 ||
              std::sscanf(end_text.c_str(), "%x", &v) != 1) {  // NOLINT: bounded hex parse
            ctx.error(line.keyword, "invalid address range '" + w + "'");
            continue;
          }
          auto bytes = base->raw16();
          bytes[14] = static_cast<std::uint8_t>(v >> 8);
          bytes[15] = static_cast<std::uint8_t>(v);
          last = IpAddress::from_v6(bytes);
        }
      }
      if (last->family() != base->family() || *last < *base) {
        ctx.error(line.keyword, "address range '" + w + "' is empty or mixes families");
        continue;
      }
      e.first = base;
      e.last = last;
    } else {
      const auto a = ctx.ip(line.keyword, "virtual server group address");
      if (!a) continue;
      e.first = e.last = *a;
    }
    if (!line.args.empty()) {
      const auto p = ctx.port(line.args[0]);
      if (!p) continue;
      e.port = *p;
    }
    g.entries.push_back(e);
  }
  return g;
}

}  // namespace conf
