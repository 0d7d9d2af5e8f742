// DOC: Config + health → desired table (rules in desired.hpp; keepalived check/ipwrapper.c:
// init_service_vs, update_quorum_state, perform_quorum_state, weigh_live_realservers).
#include "libipvs/desired.hpp"

#include <algorithm>
#include <array>

namespace ipvs {

namespace {

// Guard against a typo such as 10.0.0.1-10.255.0.1 creating millions of services; the validator
// should reject it first, this only keeps the daemon alive if it does not.
constexpr std::size_t k_max_range = 65536;

ForwardMethod forward_from(conf::ForwardMethod m) noexcept {
  switch (m) {
    case conf::ForwardMethod::nat: return ForwardMethod::masq;
    case conf::ForwardMethod::dr: return ForwardMethod::direct_route;
    case conf::ForwardMethod::tun: return ForwardMethod::tunnel;
  }
  return ForwardMethod::masq;
}

void apply_method(Dest& d, const conf::LvsMethod& m) {
  d.forward = forward_from(m.method);
  if (d.forward != ForwardMethod::tunnel) return;
  switch (m.tunnel_type) {
    case conf::TunnelType::ipip: d.tunnel_type = TunnelType::ipip; break;
    case conf::TunnelType::gue: d.tunnel_type = TunnelType::gue; break;
    case conf::TunnelType::gre: d.tunnel_type = TunnelType::gre; break;
  }
  d.tunnel_port = m.tunnel_port.value_or(0);
  switch (m.tunnel_checksum) {
    case conf::TunnelChecksum::none:
    case conf::TunnelChecksum::nocsum: d.tunnel_checksum = TunnelChecksum::nocsum; break;
    case conf::TunnelChecksum::csum: d.tunnel_checksum = TunnelChecksum::csum; break;
    case conf::TunnelChecksum::remcsum: d.tunnel_checksum = TunnelChecksum::remcsum; break;
  }
}

// Big-endian increment of the address bytes (IPv6 ranges; IPv4 uses the same path).
IpAddress next_address(const IpAddress& a) {
  auto raw = a.raw16();
  const std::size_t len = a.is_v4() ? 4 : 16;
  for (std::size_t i = len; i-- > 0;) {
    if (++raw[i] != 0) break;
  }
  if (a.is_v4()) return IpAddress::from_v4({raw[0], raw[1], raw[2], raw[3]});
  return IpAddress::from_v6(raw);
}

void expand_entry(const conf::VirtualServer& vs, const conf::VirtualServerGroupEntry& e, std::vector<ServiceKey>& out,
                  std::vector<std::string>* warnings) {
  const Protocol protocol = protocol_from(vs.protocol);
  if (e.fwmark) {
    out.push_back(ServiceKey::firewall_mark(*e.fwmark, e.fwmark_family.value_or(vs.family)));
    return;
  }
  if (!e.first) return;
  const IpAddress first = *e.first;
  const IpAddress last = e.last.value_or(first);
  if (last.family() != first.family() || last < first) {
    if (warnings != nullptr)
      warnings->push_back("group range " + first.to_string() + "-" + last.to_string() + " is empty; using " +
                          first.to_string() + " only");
    out.emplace_back(protocol, first, e.port);
    return;
  }
  IpAddress a = first;
  for (std::size_t n = 0;; ++n) {
    if (n == k_max_range) {
      if (warnings != nullptr)
        warnings->push_back("group range " + first.to_string() + "-" + last.to_string() + " truncated to " +
                            std::to_string(k_max_range) + " addresses");
      break;
    }
    out.emplace_back(protocol, a, e.port);
    if (a == last) break;
    a = next_address(a);
  }
}

bool starts_up(const conf::VirtualServer& vs, const conf::RealServer& rs) {
  // keepalived: a real server without checkers is always alive; with checkers it starts alive
  // unless alpha (set on the checker, the real server or the virtual server).
  if (rs.checkers.empty()) return true;
  const bool alpha = vs.alpha || rs.alpha ||
                     std::any_of(rs.checkers.begin(), rs.checkers.end(), [](const conf::Checker& c) { return c.alpha; });
  return !alpha;
}

struct RealServerState {
  const conf::RealServer* rs = nullptr;
  bool up = false;
  std::uint32_t weight = 0;  // effective weight while up
};

Dest sorry_dest(const conf::VirtualServer& vs, std::uint32_t weight) {
  const auto& sorry = *vs.sorry_server;
  Dest d = Dest::make(sorry.address, sorry.port, ForwardMethod::masq, weight);
  apply_method(d, sorry.method.value_or(vs.method));
  return d;
}

}  // namespace

void HealthView::set(const RealServerId& id, const RealServerHealth& health) {
  auto it = by_virtual_server_.find(id.virtual_server);
  if (it == by_virtual_server_.end()) it = by_virtual_server_.emplace(id.virtual_server, RealServers{}).first;
  if (it->second.insert_or_assign(DestKey{id.address, id.port}, health).second) ++size_;
}

const RealServerHealth* HealthView::find(const RealServerId& id) const {
  const RealServers* servers = find_virtual_server(id.virtual_server);
  if (servers == nullptr) return nullptr;
  const auto it = servers->find(DestKey{id.address, id.port});
  return it == servers->end() ? nullptr : &it->second;
}

const HealthView::RealServers* HealthView::find_virtual_server(std::string_view virtual_server) const {
  const auto it = by_virtual_server_.find(virtual_server);
  return it == by_virtual_server_.end() ? nullptr : &it->second;
}

std::optional<QuorumEvent> QuorumTracker::evaluate(const std::string& virtual_server, std::int64_t weight_sum,
                                                   std::uint32_t quorum, std::uint32_t hysteresis) {
  auto [it, first_time] = states_.try_emplace(virtual_server);
  it->second.round = round_;
  bool& up = it->second.up;
  const std::int64_t q = quorum;
  const std::int64_t h = hysteresis;
  // update_quorum_state: gain at sum >= quorum + hysteresis; lose when the sum is 0 or drops
  // below quorum - hysteresis. In between, the previous state holds: that is the hysteresis.
  if (!up && weight_sum >= q + h) {
    up = true;
    return QuorumEvent{virtual_server, true, first_time, weight_sum, quorum, hysteresis};
  }
  if (up && (weight_sum == 0 || weight_sum < q - h)) {
    up = false;
    return QuorumEvent{virtual_server, false, first_time, weight_sum, quorum, hysteresis};
  }
  return std::nullopt;
}

bool QuorumTracker::is_up(const std::string& virtual_server) const {
  const auto it = states_.find(virtual_server);
  return it == states_.end() || it->second.up;
}

void QuorumTracker::end_round() {
  std::erase_if(states_, [&](const auto& entry) { return entry.second.round != round_; });
}

Protocol protocol_from(conf::Protocol p) noexcept {
  switch (p) {
    case conf::Protocol::tcp: return Protocol::tcp;
    case conf::Protocol::udp: return Protocol::udp;
    case conf::Protocol::sctp: return Protocol::sctp;
  }
  return Protocol::tcp;
}

std::vector<ServiceKey> service_keys(const conf::VirtualServer& vs, const conf::Config& config,
                                     std::vector<std::string>* warnings) {
  std::vector<ServiceKey> out;
  if (vs.fwmark) {
    out.push_back(ServiceKey::firewall_mark(*vs.fwmark, vs.family));
  } else if (vs.address) {
    out.emplace_back(protocol_from(vs.protocol), *vs.address, vs.port);
  } else if (vs.group) {
    const auto* group = config.find_group(*vs.group);
    if (group == nullptr) {
      if (warnings != nullptr) warnings->push_back("virtual_server_group " + *vs.group + " not defined");
      return out;
    }
    for (const auto& entry : group->entries) expand_entry(vs, entry, out, warnings);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

Service service_from(const conf::VirtualServer& vs, const ServiceKey& key) {
  Service s = Service::make(key, vs.scheduler);
  // keepalived: PERSISTENT with a non-zero persistence_timeout; ops; flag-1/2/3 → SCHED1/2/3.
  s.flags.persistent = vs.persistence_timeout.value_or(0) != 0;
  s.flags.one_packet = vs.one_packet;
  s.flags.sched1 = vs.flag1;
  s.flags.sched2 = vs.flag2;
  s.flags.sched3 = vs.flag3;
  s.timeout = vs.persistence_timeout.value_or(0);
  if (key.family() == Family::v4) {
    if (vs.persistence_granularity && vs.persistence_granularity->is_v4())
      s.netmask = vs.persistence_granularity->v4_u32();
  } else if (vs.persistence_granularity_v6) {
    s.netmask = *vs.persistence_granularity_v6;
  }
  if (vs.persistence_engine) s.pe_name = *vs.persistence_engine;
  return s;
}

Dest dest_from(const conf::RealServer& rs) {
  Dest d = Dest::make(rs.address, rs.port, ForwardMethod::masq, rs.weight);
  apply_method(d, rs.method);
  d.upper_threshold = rs.upper_threshold;
  d.lower_threshold = rs.lower_threshold;
  return d;
}

namespace {

/// Buffers add_desired reuses from one virtual server to the next (10,000 of them in a round).
struct Scratch {
  std::vector<RealServerState> states;
  DestMap dests;
};

/// One virtual server's part of the desired table: its services with their dests.
void add_desired(const conf::VirtualServer& vs, const conf::Config& config, const HealthView& health,
                 QuorumTracker& quorum, DesiredState& out, Scratch& scratch) {
  const auto keys = service_keys(vs, config, &out.warnings);
  if (keys.empty()) return;
  const std::string id = vs.key();

  // Health of each real server, and keepalived's weigh_live_realservers.
  auto& states = scratch.states;
  states.clear();
  std::int64_t live_weight = 0;
  const HealthView::RealServers* reported = health.find_virtual_server(id);
  for (const auto& rs : vs.real_servers) {
    const RealServerHealth* h = nullptr;
    if (reported != nullptr) {
      const auto it = reported->find(DestKey{rs.address, rs.port});
      if (it != reported->end()) h = &it->second;
    }
    RealServerState st{&rs, h != nullptr ? h->up : starts_up(vs, rs), 0};
    if (st.up) st.weight = (h != nullptr && h->drain) ? 0 : (h != nullptr ? h->dynamic_weight.value_or(rs.weight) : rs.weight);
    if (st.up) live_weight += st.weight;
    states.push_back(st);
  }
  if (auto event = quorum.evaluate(id, live_weight, vs.quorum, vs.hysteresis)) out.events.push_back(*event);
  const bool sorry_active = vs.sorry_server.has_value() && !quorum.is_up(id);

  auto& dests = scratch.dests;
  dests.clear();
  for (const auto& st : states) {
    Dest d = dest_from(*st.rs);
    const bool serving = st.up && !sorry_active;
    if (serving) {
      d.weight = st.weight;
    } else if (st.rs->inhibit_on_failure) {
      d.weight = 0;  // keepalived turns the delete into an edit to weight 0
    } else {
      continue;
    }
    dests.insert_or_assign(d.key, d);
  }
  if (vs.sorry_server) {
    if (sorry_active) {
      const Dest d = sorry_dest(vs, 1);
      dests.insert_or_assign(d.key, d);
    } else if (vs.sorry_server_inhibit) {
      const Dest d = sorry_dest(vs, 0);
      dests.try_emplace(d.key, d);  // a real server at the same address keeps its own entry
    }
  }
  for (const auto& key : keys) {
    auto& entry = out.table.put(service_from(vs, key));
    entry.dests = dests;
  }
}

void add_configured(const conf::VirtualServer& vs, const conf::Config& config, Table& table) {
  for (const auto& key : service_keys(vs, config)) {
    auto& entry = table.put(service_from(vs, key));
    for (const auto& rs : vs.real_servers) {
      const Dest d = dest_from(rs);
      entry.dests.insert_or_assign(d.key, d);
    }
  }
}

void add_removed(const conf::VirtualServer& vs, const conf::Config& before, const Table& after,
                 std::vector<DrainKey>& removed) {
  for (const auto& key : service_keys(vs, before)) {
    const ServiceEntry* kept = after.find(key);
    for (const auto& rs : vs.real_servers) {
      DestKey dest = dest_from(rs).key;
      if (kept == nullptr || !kept->dests.contains(dest)) removed.push_back(DrainKey{key, std::move(dest)});
    }
  }
}

}  // namespace

DesiredState build_desired(const conf::Config& config, const HealthView& health, QuorumTracker& quorum) {
  DesiredState out;
  quorum.begin_round();
  Scratch scratch;
  for (const auto& vs : config.each_virtual_server()) add_desired(vs, config, health, quorum, out, scratch);
  quorum.end_round();
  return out;
}

DesiredState build_desired_part(const conf::Config& config, std::span<const conf::VirtualServer* const> part,
                                const HealthView& health, QuorumTracker& quorum) {
  DesiredState out;
  Scratch scratch;
  for (const auto* vs : part) add_desired(*vs, config, health, quorum, out, scratch);
  return out;
}

Table configured_table(const conf::Config& config) {
  Table table;
  for (const auto& vs : config.each_virtual_server()) add_configured(vs, config, table);
  return table;
}

Table configured_part(const conf::Config& config, std::span<const conf::VirtualServer* const> part) {
  Table table;
  for (const auto* vs : part) add_configured(*vs, config, table);
  return table;
}

std::vector<DrainKey> removed_by_reload(const conf::Config& before, const Table& after) {
  std::vector<DrainKey> removed;
  for (const auto& vs : before.each_virtual_server()) add_removed(vs, before, after, removed);
  return removed;
}

std::vector<DrainKey> removed_by_reload(const conf::Config& before, std::span<const conf::VirtualServer* const> part,
                                        const Table& after) {
  std::vector<DrainKey> removed;
  for (const auto* vs : part) add_removed(*vs, before, after, removed);
  return removed;
}

SyncDaemon sync_daemon_from(const conf::LvsSyncDaemon& config, SyncState state) {
  SyncDaemon d;
  d.state = state;
  d.interface = config.interface;
  d.sync_id = config.sync_id;
  d.max_len = config.max_len;
  d.group = config.group;
  d.port = config.port;
  d.ttl = config.ttl;
  return d;
}

Timeouts timeouts_from(const conf::LvsTimeouts& config) { return Timeouts{config.tcp, config.tcp_fin, config.udp}; }

}  // namespace ipvs
