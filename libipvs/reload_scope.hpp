// DOC: ReloadScope — what a reload changes among the virtual servers, so that applying it costs
// O(change) instead of O(table).
//
// With conf's parse cache (conf/parse_cache.hpp) a reloaded configuration shares every unchanged
// VirtualServer object with the running one. Such an object yields the same services and dests
// as before for the same health and quorum state, and the rounds already keep the kernel equal to
// them; only the objects that are new (added or edited) and those that are gone (removed or
// replaced) can change the table. At 10,000 x 4 a one-weight reload then builds and compares one
// service instead of 10,000.
//
// Virtual server groups live outside the objects (editing a group changes the services of an
// unchanged virtual server), so a configuration with groups is always planned whole.
//
//   if (auto scope = reload_scope(before, after)) {
//     auto part = scoped_tables(*scope, before, after, actual, health, quorum);
//     plan = diff(part.desired.table, part.actual, ownership);   // only the changed services
//   }
#pragma once

#include <optional>
#include <vector>

#include "conf/model.hpp"
#include "libipvs/desired.hpp"
#include "libipvs/model.hpp"

namespace ipvs {

struct ReloadScope {
  std::vector<const conf::VirtualServer*> added;    // objects only `after` has: new or edited
  std::vector<const conf::VirtualServer*> removed;  // objects only `before` has: removed or replaced
};

/// nullopt when the reload is planned whole: either configuration has groups, or it changes
/// more than a quarter of the virtual servers (and more than 16).
[[nodiscard]] std::optional<ReloadScope> reload_scope(const conf::Config& before, const conf::Config& after);

// What the reload takes out is removed_by_reload(before, scope.removed, configured_part(after,
// scope.added)): the same as over both whole configurations, since two virtual servers of a valid
// configuration never share a service.

struct ScopedTables {
  DesiredState desired;  // the added objects' services, health and quorum applied
  Table actual;          // `actual`'s entries for those services and for the removed objects'
};

/// The two halves of a scoped diff. Quorum is evaluated for the added objects; the state of a
/// virtual server that left the configuration is dropped.
[[nodiscard]] ScopedTables scoped_tables(const ReloadScope& scope, const conf::Config& before,
                                         const conf::Config& after, const Table& actual, const HealthView& health,
                                         QuorumTracker& quorum);

}  // namespace ipvs
