// DOC: Names and one-line descriptions of checks, as they appear in log lines.
#include "libhealth/core/check.hpp"
#include "common/overloaded.hpp"

#include "libhealth/core/dns_rules.hpp"

namespace health {

namespace {
using vigil::Overloaded;
}  // namespace

std::string RealServerId::to_string() const {
  return "[" + virtual_server + "] " + format_endpoint(address, port);
}

std::string_view kind_name(const CheckSpec& spec) noexcept {
  return std::visit(Overloaded{
                        [](const TcpSpec&) { return std::string_view("TCP_CHECK"); },
                        [](const HttpSpec& h) { return std::string_view(h.tls ? "SSL_GET" : "HTTP_GET"); },
                        [](const MiscSpec&) { return std::string_view("MISC_CHECK"); },
                        [](const UdpSpec&) { return std::string_view("UDP_CHECK"); },
                        [](const DnsSpec&) { return std::string_view("DNS_CHECK"); },
                        [](const PingSpec&) { return std::string_view("PING_CHECK"); },
                        [](const SmtpSpec&) { return std::string_view("SMTP_CHECK"); },
                    },
                    spec);
}

std::string describe(const ProbeSpec& probe) {
  const std::string name(kind_name(probe.spec));
  const std::string where = format_endpoint(probe.target.ip, probe.target.port);
  return std::visit(
      Overloaded{
          [&](const HttpSpec& h) {
            std::string s = name + " " + (h.tls ? "https://" : "http://") + where;
            s += h.urls.empty() ? std::string("/") : h.urls.front().path;
            if (h.urls.size() > 1) s += " (+" + std::to_string(h.urls.size() - 1) + " urls)";
            return s;
          },
          [&](const MiscSpec& m) { return name + " '" + m.command + "'"; },
          [&](const DnsSpec& d) { return name + " " + where + " " + d.name + " " + dns_qtype_name(d.qtype); },
          [&](const PingSpec&) { return name + " " + probe.target.ip.to_string(); },
          [&](const auto&) { return name + " " + where; },
      },
      probe.spec);
}

}  // namespace health
