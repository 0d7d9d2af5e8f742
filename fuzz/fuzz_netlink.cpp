// libFuzzer target: the IPVS netlink reply parser (the only code that reads bytes the kernel
// wrote). The whole input is one receive buffer; it is parsed as the socket does, with the IPVS
// genl family id 0x1c, once assuming IPv4 dests and once IPv6 (kernels before 3.18 omit the dest
// family). The nested service/dest parsers also get the raw input directly.
//
// Oracles beyond "no sanitizer report": every parsed service and dest is printable, and survives
// a round trip through the request encoder (NEW_SERVICE / NEW_DEST carry the same nests the kernel
// sends back) with the settings vigil compares (same_settings) unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <variant>

#include "libipvs/reply_parser.hpp"
#include "libipvs/request.hpp"

namespace {

constexpr std::uint16_t k_family_id = 0x1c;

[[noreturn]] void oracle_failed() { std::abort(); }

void round_trip_service(const ipvs::Service& s) {
  if (s.key.to_string().empty()) oracle_failed();
  const auto bytes = ipvs::Request::add_service(s).encode(k_family_id, 7);
  const auto again = ipvs::parse_messages(bytes, k_family_id);
  if (!again || again->size() != 1 || !std::holds_alternative<ipvs::ServiceMsg>((*again)[0])) oracle_failed();
  if (!std::get<ipvs::ServiceMsg>((*again)[0]).service.same_settings(s)) oracle_failed();
}

void round_trip_dest(const ipvs::Dest& d) {
  if (d.key.to_string().empty()) oracle_failed();
  const ipvs::ServiceKey owner(ipvs::Protocol::tcp, *vigil::IpAddress::parse("10.0.0.1"), 80);
  const auto bytes = ipvs::Request::add_dest(owner, d).encode(k_family_id, 8);
  const auto again = ipvs::parse_messages(bytes, k_family_id);
  if (!again || again->size() != 1 || !std::holds_alternative<ipvs::DestMsg>((*again)[0])) oracle_failed();
  if (!std::get<ipvs::DestMsg>((*again)[0]).dest.same_settings(d)) oracle_failed();
}

void check_messages(const vigil::Result<std::vector<ipvs::Message>>& parsed) {
  if (!parsed) {
    if (parsed.error().message.empty()) oracle_failed();  // an error always says where
    return;
  }
  for (const auto& m : *parsed) {
    (void)ipvs::seq_of(m);
    if (const auto* s = std::get_if<ipvs::ServiceMsg>(&m)) round_trip_service(s->service);
    if (const auto* d = std::get_if<ipvs::DestMsg>(&m)) round_trip_dest(d->dest);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  check_messages(ipvs::parse_messages(bytes, k_family_id, ipvs::Family::v4));
  check_messages(ipvs::parse_messages(bytes, k_family_id, ipvs::Family::v6));
  if (const auto s = ipvs::parse_service_attrs(bytes)) round_trip_service(*s);
  if (const auto d = ipvs::parse_dest_attrs(bytes, ipvs::Family::v4)) round_trip_dest(*d);
  return 0;
}
