// DOC: The desired IPVS table, computed from the config and a health view with keepalived's
// rules (check/ipwrapper.c), as a pure function plus one piece of carried state (quorum).
//
// - A real server that is up is present with its configured weight, or the weight its MISC_CHECK
//   reported (misc_dynamic), or 0 when an operator drains it.
// - A real server that is down is absent — or present with weight 0 with inhibit_on_failure.
// - alpha: a real server that the health view does not know yet starts down (else up). A real
//   server without checkers is always up, as in keepalived.
// - quorum: the sum of the weights of the live real servers must reach quorum + hysteresis to
//   gain quorum, and falls below quorum − hysteresis (or to 0) to lose it (update_quorum_state);
//   the state is carried between evaluations in a QuorumTracker and starts "up", as keepalived's
//   does, and every transition is reported as a QuorumEvent (for quorum_up / quorum_down).
// - sorry_server: while quorum is lost it is present (weight 1) and the live real servers are
//   removed (or set to weight 0 with inhibit_on_failure), so it is the only server taking new
//   connections; while quorum holds it is absent, or present at weight 0 with sorry_server_inhibit.
//   Without a sorry server, losing quorum changes nothing in the table (only the scripts run).
// - virtual_server_group: one kernel service per address of each range and per fwmark entry, all
//   with the same dests and one quorum state.
// Draining of real servers that left the config is the Drainer's job (drainer.hpp), applied to
// the table this returns.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conf/model.hpp"
#include "libipvs/drainer.hpp"
#include "libipvs/model.hpp"
#include "libipvs/request.hpp"

namespace ipvs {

/// A real server as the health checkers know it: its virtual server's conf key
/// (conf::VirtualServer::key(), e.g. "10.0.0.10:80/tcp" or "group G/tcp") and its address:port.
struct RealServerId {
  std::string virtual_server;
  IpAddress address;
  std::uint16_t port = 0;
  friend auto operator<=>(const RealServerId&, const RealServerId&) = default;
  friend bool operator==(const RealServerId&, const RealServerId&) = default;
};

struct RealServerHealth {
  bool up = true;
  std::optional<std::uint32_t> dynamic_weight;  // MISC_CHECK misc_dynamic: exit code − 2
  bool drain = false;                           // operator drain: weight 0 while up
  friend bool operator==(const RealServerHealth&, const RealServerHealth&) = default;
};

/// What the checkers currently say. Real servers it does not mention get their initial state.
/// Two levels (virtual server key, then address:port) so build_desired makes one string lookup
/// per virtual server rather than one per real server.
class HealthView {
 public:
  using RealServers = FlatMap<DestKey, RealServerHealth>;  // (address, port) → health

  void set(const RealServerId& id, const RealServerHealth& health);
  [[nodiscard]] const RealServerHealth* find(const RealServerId& id) const;
  /// Every reported real server of one virtual server; nullptr when none is.
  [[nodiscard]] const RealServers* find_virtual_server(std::string_view virtual_server) const;
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  std::map<std::string, RealServers, std::less<>> by_virtual_server_;
  std::size_t size_ = 0;
};

struct QuorumEvent {
  std::string virtual_server;  // conf key
  bool up = false;             // true: quorum gained (run quorum_up); false: lost (quorum_down)
  bool initial = false;        // first evaluation of this virtual server (startup or new in a reload)
  std::int64_t weight_sum = 0;
  std::uint32_t quorum = 0;
  std::uint32_t hysteresis = 0;
  friend bool operator==(const QuorumEvent&, const QuorumEvent&) = default;
};

/// keepalived's quorum_state_up per virtual server, carried between evaluations.
class QuorumTracker {
 public:
  /// Applies update_quorum_state's rule; returns the event when the state changed.
  std::optional<QuorumEvent> evaluate(const std::string& virtual_server, std::int64_t weight_sum,
                                      std::uint32_t quorum, std::uint32_t hysteresis);
  /// Unknown virtual servers count as up (keepalived's initial state).
  [[nodiscard]] bool is_up(const std::string& virtual_server) const;
  /// build_desired brackets its evaluations with these; end_round drops the state of virtual
  /// servers not evaluated since begin_round (they left the config).
  void begin_round() noexcept { ++round_; }
  void end_round();
  /// Drops one virtual server's state (it left the config; a scoped round has no end_round).
  void forget(const std::string& virtual_server) { states_.erase(virtual_server); }

 private:
  struct State {
    bool up = true;
    std::uint64_t round = 0;
  };
  std::unordered_map<std::string, State> states_;
  std::uint64_t round_ = 0;
};

struct DesiredState {
  Table table;
  std::vector<QuorumEvent> events;
  std::vector<std::string> warnings;  // e.g. a group that does not exist (the validator's job; kept as values)
};

/// Evaluates every virtual server of the config; updates `quorum` and reports its transitions.
[[nodiscard]] DesiredState build_desired(const conf::Config& config, const HealthView& health, QuorumTracker& quorum);
/// The same for some of the config's virtual servers only (a reload's changed ones): their
/// services, and quorum evaluated for them alone (the others' state is kept).
[[nodiscard]] DesiredState build_desired_part(const conf::Config& config,
                                              std::span<const conf::VirtualServer* const> part,
                                              const HealthView& health, QuorumTracker& quorum);

/// Every configured real server as present at its configured weight, without health, quorum or
/// sorry servers: what the config names. Two of these (before and after a reload) tell the
/// Drainer which real servers left the config.
[[nodiscard]] Table configured_table(const conf::Config& config);
[[nodiscard]] Table configured_part(const conf::Config& config, std::span<const conf::VirtualServer* const> part);
/// The (service, dest) pairs `before` configures that `after` (configured_table of the new
/// configuration) lacks: what a reload removes, found without a table for `before`.
[[nodiscard]] std::vector<DrainKey> removed_by_reload(const conf::Config& before, const Table& after);
/// The same, looking only at some of `before`'s virtual servers.
[[nodiscard]] std::vector<DrainKey> removed_by_reload(const conf::Config& before,
                                                      std::span<const conf::VirtualServer* const> part,
                                                      const Table& after);

/// The kernel services one virtual server stands for (one, or one per group address / fwmark).
[[nodiscard]] std::vector<ServiceKey> service_keys(const conf::VirtualServer& vs, const conf::Config& config,
                                                   std::vector<std::string>* warnings = nullptr);
[[nodiscard]] Service service_from(const conf::VirtualServer& vs, const ServiceKey& key);
/// The dest for a real server at its configured weight.
[[nodiscard]] Dest dest_from(const conf::RealServer& rs);
[[nodiscard]] Protocol protocol_from(conf::Protocol p) noexcept;

[[nodiscard]] SyncDaemon sync_daemon_from(const conf::LvsSyncDaemon& config, SyncState state);
[[nodiscard]] Timeouts timeouts_from(const conf::LvsTimeouts& config);

}  // namespace ipvs
