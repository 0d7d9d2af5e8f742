#include "libipvs/reload_scope.hpp"

#include <algorithm>
#include <string>
#include <unordered_set>

namespace ipvs {

std::optional<ReloadScope> reload_scope(const conf::Config& before, const conf::Config& after) {
  if (!before.virtual_server_groups.empty() || !after.virtual_server_groups.empty()) return std::nullopt;
  // The parse cache keeps the unchanged objects in file order, so an edit leaves the lists
  // equal before and after the edited part: those ends are passed over with one comparison
  // each, and only the middle is matched by address (a one-line edit at 10,000: one object
  // each side instead of sorting 10,000 pointers, which under TCG took ~5 ms per reload).
  const auto& old_list = before.virtual_servers;
  const auto& new_list = after.virtual_servers;
  std::size_t head = 0;
  while (head < old_list.size() && head < new_list.size() && old_list[head] == new_list[head]) ++head;
  std::size_t old_end = old_list.size();
  std::size_t new_end = new_list.size();
  while (old_end > head && new_end > head && old_list[old_end - 1] == new_list[new_end - 1]) {
    --old_end;
    --new_end;
  }
  // A sorted array, not a hash set: one allocation instead of one per virtual server, which
  // counts under TCG. `kept` marks the objects `after` still has.
  std::vector<const conf::VirtualServer*> old;
  old.reserve(old_end - head);
  for (std::size_t i = head; i < old_end; ++i) old.push_back(old_list[i].get());
  std::sort(old.begin(), old.end());
  std::vector<bool> kept(old.size(), false);
  ReloadScope scope;
  for (std::size_t i = head; i < new_end; ++i) {
    const auto* vs = new_list[i].get();
    const auto it = std::lower_bound(old.begin(), old.end(), vs);
    if (it != old.end() && *it == vs) kept[static_cast<std::size_t>(it - old.begin())] = true;
    else scope.added.push_back(vs);
  }
  // what `after` does not have is gone; in file order, so that plans read in a stable order
  for (std::size_t i = head; i < old_end; ++i) {
    const auto it = std::lower_bound(old.begin(), old.end(), old_list[i].get());
    if (!kept[static_cast<std::size_t>(it - old.begin())]) scope.removed.push_back(old_list[i].get());
  }
  // A scoped plan copies the kernel's entries of what it covers; past a quarter of the table
  // (a file read without the cache, an edit that shifted every line below it) the whole plan,
  // which reads the table in place, costs less.
  const std::size_t changed = scope.added.size() + scope.removed.size();
  if (!conf::small_reload(changed, before.virtual_servers.size() + after.virtual_servers.size())) return std::nullopt;
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
