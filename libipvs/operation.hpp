// DOC: One change to the IPVS table — the unit a Plan is made of, a Request is built from, and a
// failure is reported against.
//
// Set operations carry the state they replace (`before`) so that a dry run can print
// "~ dest 10.0.0.2:80 in TCP 10.0.0.10:80 weight 1 -> 0" without a second look at the tables.
#pragma once

#include <string>
#include <variant>

#include "libipvs/model.hpp"

namespace ipvs {

// `before` (what the kernel had, for the log line) is boxed: changes are the rare kind, and
// inline it would double the size of every operation of a plan (50,000 at a cold start).
struct AddService { Service service; };
struct SetService { Service service; vigil::Box<Service> before; };
struct DelService { ServiceKey key; };
struct AddDest { ServiceKey service; Dest dest; };
struct SetDest { ServiceKey service; Dest dest; vigil::Box<Dest> before; };
struct DelDest { ServiceKey service; DestKey dest; };

using Operation = std::variant<AddService, SetService, DelService, AddDest, SetDest, DelDest>;

/// The service an operation is about.
[[nodiscard]] const ServiceKey& service_of(const Operation& op) noexcept;

/// Names the operation in error reports: "add dest 10.0.0.2:80 to TCP 10.0.0.10:80".
[[nodiscard]] std::string describe(const Operation& op);

/// One dry-run line: "+ service TCP 10.0.0.10:80 rr", "~ dest 10.0.0.2:80 in TCP 10.0.0.10:80
/// weight 1 -> 0", "- dest 10.0.0.2:80 from TCP 10.0.0.10:80".
[[nodiscard]] std::string plan_line(const Operation& op);

}  // namespace ipvs
