#include "libipvs/reload_scope.hpp"

#include <algorithm>
#include <string>
#include <unordered_set>

namespace ipvs {

namespace {
constexpr std::size_t k_small_reload = 16;  // changed objects always planned by scope
}  // namespace

std::optional<ReloadScope> reload_scope(const conf::Config& before, const conf::Config& after) {
  if (!before.virtual_server_groups.empty() || !after.virtual_server_groups.empty()) return std::nullopt;
  // A sorted array, not a hash set: one allocation instead of one per virtual server, which
  // counts at 10,000 under TCG. `kept` marks the objects `after` still has.
  std::vector<const conf::VirtualServer*> old;
  old.reserve(before.virtual_servers.size());
  for (const auto& vs : before.virtual_servers) old.push_back(vs.get());
  std::sort(old.begin(), old.end());
  std::vector<bool> kept(old.size(), false);
  ReloadScope scope;
  for (const auto& vs : after.virtual_servers) {
    const auto it = std::lower_bound(old.begin(), old.end(), vs.get());
    if (it != old.end() && *it == vs.get()) kept[static_cast<std::size_t>(it - old.begin())] = true;
    else scope.added.push_back(vs.get());
  }
  // what `after` does not have is gone; in file order, so that plans read in a stable order
  for (const auto& vs : before.virtual_servers) {
    const auto it = std::lower_bound(old.begin(), old.end(), vs.get());
    if (!kept[static_cast<std::size_t>(it - old.begin())]) scope.removed.push_back(vs.get());
  }
  // A scoped plan copies the kernel's entries of what it covers; past a quarter of the table
  // (a file read without the cache, an edit that shifted every line below it) the whole plan,
  // which reads the table in place, costs less.
  const std::size_t changed = scope.added.size() + scope.removed.size();
  if (changed > std::max<std::size_t>(k_small_reload, (before.virtual_servers.size() + after.virtual_servers.size()) / 4))
    return std::nullopt;
  return scope;
}

ScopedTables scoped_tables(const ReloadScope& scope, const conf::Config& before, const conf::Config& after,
                           const Table& actual, const HealthView& health, QuorumTracker& quorum) {
  ScopedTables out;
  out.desired = build_desired_part(after, scope.added, health, quorum);
  const auto copy_actual = [&](const ServiceKey& key) {
    if (const ServiceEntry* entry = actual.find(key)) out.actual.services.emplace(key, *entry);
  };
  for (const auto& [key, entry] : out.desired.table.services) copy_actual(key);
  std::unordered_set<std::string> added_ids;
  for (const auto* vs : scope.added) added_ids.insert(vs->key());
  for (const auto* vs : scope.removed) {
    for (const auto& key : service_keys(*vs, before)) copy_actual(key);
    // a virtual server that is gone, not edited, takes its quorum state with it
    if (!added_ids.contains(vs->key())) quorum.forget(vs->key());
  }
  return out;
}

}  // namespace ipvs
