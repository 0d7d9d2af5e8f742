// DOC: Semantic validation — checks that need more than one block. Each finding points at the
// node that is wrong, with a note at the one it conflicts with ("first defined here").
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "conf/parser.hpp"

namespace conf {

namespace {

std::string family_name(Family f) { return f == Family::v4 ? "IPv4" : "IPv6"; }

void validate_instances(Config& config, Diagnostics& diag) {
  std::map<std::string, const VrrpInstance*> by_name;
  std::map<std::tuple<std::string, Family, std::uint8_t>, const VrrpInstance*> by_vrid;
  for (auto& inst : config.vrrp_instances) {
    const std::string where = "vrrp_instance '" + inst.name + "'";
    if (const auto [it, fresh] = by_name.emplace(inst.name, &inst); !fresh) {
      diag.error(inst.loc, "duplicate " + where);
      diag.note(it->second->loc, "instance '" + inst.name + "' first defined here");
    }
    if (inst.interface.empty()) diag.error(inst.loc, where + " needs 'interface'");
    if (inst.vrid == 0) diag.error(inst.loc, where + " needs 'virtual_router_id'");

    for (const auto& vip : inst.vips)
      if (vip.prefix.address.family() != inst.family)
        diag.error(vip.loc, "virtual address " + vip.prefix.address.to_string() + " is " +
                                family_name(vip.prefix.address.family()) + " but " + where + " is " +
                                family_name(inst.family) + ": all addresses of an instance must be one family");
    if (inst.vips.empty() && !inst.no_virtual_ipaddress)
      diag.warning(inst.loc, where + " has no virtual_ipaddress");
    if (inst.family == Family::v6 && inst.version == 2) {
      diag.warning(inst.loc, where + ": VRRPv2 carries IPv4 only (RFC 3768); using version 3 for IPv6");
      inst.version = 3;
      if (inst.advert_int.count() % 10'000 != 0) inst.advert_int -= Duration{inst.advert_int.count() % 10'000};
    }
    if (!inst.preempt && inst.initial_state == InitialState::master && inst.state_given)
      diag.warning(inst.loc, where + ": 'nopreempt' only works with 'state BACKUP' (keepalived ignores it with state MASTER)");
    for (const auto& peer : inst.unicast_peers)
      if (peer.address.family() != inst.family)
        diag.error(peer.loc, "unicast peer " + peer.address.to_string() + " is " + family_name(peer.address.family()) +
                                 " but " + where + " is " + family_name(inst.family));
    if (inst.unicast_src_ip && inst.unicast_src_ip->family() != inst.family)
      diag.error(inst.loc, where + ": unicast_src_ip " + inst.unicast_src_ip->to_string() + " is " +
                               family_name(inst.unicast_src_ip->family()) + " but the instance is " + family_name(inst.family));
    if (inst.strict && !inst.unicast_peers.empty())
      diag.error(inst.loc, where + ": strict mode (vrrp_strict) does not allow unicast peers");
    for (const auto& ts : inst.track_scripts)
      if (!config.find_script(ts.name)) diag.error(ts.loc, "track_script '" + ts.name + "' names no vrrp_script");

    if (inst.vrid != 0 && !inst.interface.empty()) {
      const auto key = std::make_tuple(inst.interface, inst.family, inst.vrid);
      const auto [it, fresh] = by_vrid.emplace(key, &inst);
      // Unicast instances with different peers may reuse a VRID; multicast ones never can.
      if (!fresh && (inst.unicast_peers.empty() || it->second->unicast_peers.empty())) {
        diag.error(inst.vrid_loc, "virtual_router_id " + std::to_string(inst.vrid) + " is already used by vrrp_instance '" +
                                      it->second->name + "' on " + inst.interface + " (" + family_name(inst.family) + ")");
        diag.note(it->second->vrid_loc, "vrrp_instance '" + it->second->name + "' uses it here");
      }
    }
  }
}

void validate_sync_groups(Config& config, Diagnostics& diag) {
  std::map<std::string, const SyncGroup*> owner;
  for (const auto& g : config.sync_groups) {
    for (std::size_t i = 0; i < g.members.size(); ++i) {
      const auto& name = g.members[i];
      auto* inst = const_cast<VrrpInstance*>(config.find_instance(name));
      if (!inst) {
        diag.error(g.member_locs[i], "vrrp_sync_group '" + g.name + "' names unknown vrrp_instance '" + name + "'");
        continue;
      }
      if (const auto [it, fresh] = owner.emplace(name, &g); !fresh) {
        diag.error(g.member_locs[i], "vrrp_instance '" + name + "' is already in vrrp_sync_group '" + it->second->name + "'");
        continue;
      }
      inst->sync_group = g.name;
    }
    for (const auto& ts : g.track_scripts)
      if (!config.find_script(ts.name)) diag.error(ts.loc, "track_script '" + ts.name + "' names no vrrp_script");
    if (g.members.size() == 1)
      diag.warning(g.loc, "vrrp_sync_group '" + g.name + "' has a single member; it behaves like the instance alone");
  }
}

/// Whether real_servers[i] repeats an earlier one. Linear for the usual handful per virtual
/// server (this runs for all 40,000 on every reload, so no set is built for them).
class RepeatFinder {
 public:
  explicit RepeatFinder(const std::vector<RealServer>& rs) : rs_(rs) {}
  bool repeated(std::size_t i) {
    if (rs_.size() <= k_linear) {
      return std::any_of(rs_.begin(), rs_.begin() + static_cast<std::ptrdiff_t>(i),
                         [&](const RealServer& r) { return r.address == rs_[i].address && r.port == rs_[i].port; });
    }
    return !seen_.emplace(rs_[i].address, rs_[i].port).second;
  }

 private:
  static constexpr std::size_t k_linear = 32;
  const std::vector<RealServer>& rs_;
  std::set<std::pair<IpAddress, std::uint16_t>> seen_;
};

/// What VirtualServer::key() tells apart, without building the string: "fwmark N/family",
/// "group G/proto" or "address:port/proto".
using Identity = std::tuple<int, IpAddress, std::uint16_t, std::uint32_t, Family, Protocol, std::string_view>;

Identity identity(const VirtualServer& vs) {
  if (vs.fwmark) return {0, IpAddress{}, 0, *vs.fwmark, vs.family, Protocol::tcp, {}};
  if (vs.group) return {1, IpAddress{}, 0, 0, Family::v4, vs.protocol, *vs.group};
  return {2, vs.address.value_or(IpAddress{}), vs.port, 0, vs.address ? Family::v4 : vs.family, vs.protocol, {}};
}

}  // namespace

std::size_t virtual_server_identity(const VirtualServer& vs) {
  const auto& [kind, address, port, fwmark, family, protocol, group] = identity(vs);
  const auto& raw = address.raw16();
  std::size_t h = std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));  // NOLINT: bytes as chars
  for (const std::size_t part : {static_cast<std::size_t>(kind), static_cast<std::size_t>(address.family()),
                                 static_cast<std::size_t>(port), static_cast<std::size_t>(fwmark),
                                 static_cast<std::size_t>(family), static_cast<std::size_t>(protocol),
                                 std::hash<std::string_view>{}(group)})
    h = h * 1000003U ^ part;
  return h;
}

namespace {

/// The facts validate() may take instead of reading object `i`, if any.
const ObjectFacts* known_facts(const LocalChecks* local, std::size_t i) {
  if (local == nullptr || i >= local->facts.size() || !local->facts[i]) return nullptr;
  return &*local->facts[i];
}

/// Every virtual server that repeats an earlier one's key, with the first. Sorted hashes of
/// identities, not a map of key strings: this runs over all 10,000 on every reload, and takes
/// the hashes of unchanged objects from the parse cache.
void report_duplicate_virtual_servers(const Config& config, Diagnostics& diag, const LocalChecks* local) {
  const auto& all = config.virtual_servers;
  std::vector<std::pair<std::size_t, std::size_t>> hashes;  // (hash, index)
  hashes.reserve(all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    const ObjectFacts* facts = known_facts(local, i);
    hashes.emplace_back(facts != nullptr ? facts->identity : virtual_server_identity(*all[i]), i);
  }
  std::sort(hashes.begin(), hashes.end());
  for (std::size_t run = 0; run < hashes.size();) {
    std::size_t end = run + 1;
    while (end < hashes.size() && hashes[end].first == hashes[run].first) ++end;
    // within a run of equal hashes (in file order), each one that equals an earlier one
    for (std::size_t i = run + 1; i < end; ++i) {
      const VirtualServer& vs = *all[hashes[i].second];
      for (std::size_t j = run; j < i; ++j) {
        const VirtualServer& earlier = *all[hashes[j].second];
        if (identity(earlier) != identity(vs)) continue;
        const std::string where = "virtual_server " + vs.key();
        diag.error(vs.loc, "duplicate " + where);
        diag.note(earlier.loc, where + " first defined here");
        break;
      }
    }
    run = end;
  }
}

/// The checks that depend on one virtual server alone (so their outcome belongs to the object).
void check_virtual_server_alone(const VirtualServer& vs, Diagnostics& diag) {
  // Built only for a message: most virtual servers have none.
  const auto where = [&vs] { return "virtual_server " + vs.key(); };
  RepeatFinder repeats(vs.real_servers);
  std::uint64_t total_weight = 0;
  for (std::size_t i = 0; i < vs.real_servers.size(); ++i) {
    const RealServer& rs = vs.real_servers[i];
    if (rs.address.family() != vs.family && rs.method.method != ForwardMethod::tun)
      diag.error(rs.loc, "real_server " + rs.address.to_string() + " is " + family_name(rs.address.family()) + " but " +
                             where() + " is " + family_name(vs.family) + " (only TUN can mix families)");
    if (repeats.repeated(i))
      diag.error(rs.loc, "duplicate real_server " + rs.address.to_string() + " " + std::to_string(rs.port) + " in " + where());
    total_weight += rs.weight;
  }
  if (vs.sorry_server && vs.sorry_server->address.family() != vs.family &&
      (!vs.sorry_server->method || vs.sorry_server->method->method != ForwardMethod::tun))
    diag.error(vs.sorry_server->loc, "sorry_server " + vs.sorry_server->address.to_string() + " is " +
                                         family_name(vs.sorry_server->address.family()) + " but " + where() + " is " +
                                         family_name(vs.family));
  if (!vs.real_servers.empty() && vs.quorum > total_weight)
    diag.warning(vs.loc, where() + ": quorum " + std::to_string(vs.quorum) + " is more than the total weight " +
                             std::to_string(total_weight) + " of its real servers; it can never be reached");
}

void validate_virtual_servers(Config& config, Diagnostics& diag, LocalChecks* local) {
  report_duplicate_virtual_servers(config, diag, local);
  for (std::size_t i = 0; i < config.virtual_servers.size(); ++i) {
    const VirtualServer* vs = config.virtual_servers[i].get();
    const ObjectFacts* facts = known_facts(local, i);
    if ((facts != nullptr ? facts->grouped : vs->group.has_value()) && !config.find_group(*vs->group))
      diag.error(vs->loc, "virtual_server group '" + *vs->group + "' names no virtual_server_group");
    if (facts != nullptr && facts->clean) continue;
    const auto before = diag.all().size();
    check_virtual_server_alone(*vs, diag);
    if (local != nullptr && diag.all().size() != before) local->reported.push_back(vs);
  }
}

}  // namespace

void validate(Config& config, Diagnostics& diag, LocalChecks* local) {
  validate_instances(config, diag);
  validate_sync_groups(config, diag);
  validate_virtual_servers(config, diag, local);
  if (const auto& sd = config.global.lvs_sync_daemon; sd && sd->vrrp_instance && !config.find_instance(*sd->vrrp_instance))
    diag.error(sd->loc, "lvs_sync_daemon names unknown vrrp_instance '" + *sd->vrrp_instance + "'");
}

}  // namespace conf
