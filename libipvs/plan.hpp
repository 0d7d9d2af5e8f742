// DOC: diff(desired, actual, ownership) -> Plan: the ordered, minimal list of operations that
// turns the kernel's table (`actual`, from a dump — never the previous config, so a service
// removed with `ipvsadm -D` is restored; keepalived issue #1877) into the desired one.
//
// Rules:
// - Only services vigil manages are touched: those in `desired`, and those in the Ownership set
//   (what vigil created before, so that a reload which drops a service deletes it). Services of
//   other tools are left alone, dests included.
// - Inside a managed service, dests that are not desired are deleted (drift repair).
// - Set operations only when a field vigil controls differs (Service/Dest::same_settings): never
//   counters, never kernel-internal flags.
// - Order: a new service before its dests; inside a service, dest adds and sets before dest
//   deletes, so a pool never passes through empty (the sorry-server swap and a real-server swap
//   keep serving — keepalived orders its quorum changes the same way); for a service that goes
//   away, its dests are deleted one by one and then the service, so each real server's removal
//   is reported on its own line.
// Cost: one merge walk over both tables (ordered maps), no lookups: O(services + dests).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "libipvs/model.hpp"
#include "libipvs/operation.hpp"

namespace ipvs {

/// The services vigil is responsible for. Desired services are always managed; the set adds the
/// ones vigil managed before (a reload removed them, or they are draining) until they are gone.
class Ownership {
 public:
  void claim(const ServiceKey& key) { owned_.insert(key); }
  /// Claims every service of the table (call with each new desired table).
  void claim(const Table& desired);
  /// Forgets services that are neither desired nor in the kernel any more (call after a dump
  /// that followed an apply), so the set does not grow without bound.
  void forget_gone(const Table& desired, const Table& actual);
  [[nodiscard]] bool owns(const ServiceKey& key) const { return owned_.contains(key); }
  [[nodiscard]] std::size_t size() const noexcept { return owned_.size(); }
  [[nodiscard]] const std::set<ServiceKey>& keys() const noexcept { return owned_; }

 private:
  std::set<ServiceKey> owned_;
};

struct Plan {
  std::vector<Operation> operations;

  [[nodiscard]] bool empty() const noexcept { return operations.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return operations.size(); }
  /// One line per operation (plan_line), for --reload-plan and dry runs; "" for an empty plan.
  [[nodiscard]] std::string to_string() const;
  /// The same lines, one string each (reload plans and dry runs).
  [[nodiscard]] std::vector<std::string> lines() const;
};

[[nodiscard]] Plan diff(const Table& desired, const Table& actual, const Ownership& ownership);

}  // namespace ipvs
