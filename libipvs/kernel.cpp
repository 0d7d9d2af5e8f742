// DOC: Failure wording shared by every Kernel implementation, so the fake and the real kernel
// report the same text for the same errno.
#include "libipvs/kernel.hpp"
#include "common/overloaded.hpp"

#include <cstring>

namespace ipvs {

std::string errno_text(int errno_value) {
  const char* text = strerrordesc_np(errno_value);
  return text != nullptr ? std::string(text) : "errno " + std::to_string(errno_value);
}

vigil::Error operation_error(const Operation& op, int errno_value, std::string_view detail) {
  std::string message = describe(op) + ": " + errno_text(errno_value);
  if (!detail.empty()) {
    message += " (";
    message += detail;
    message += ")";
  }
  return vigil::Error{std::move(message), errno_value};
}

namespace {
using vigil::Overloaded;

}  // namespace

void record_applied(Table& cached, const Plan& plan, const ApplyReport& report) {
  auto failure = report.failures.begin();  // sorted by index
  for (std::size_t i = 0; i < plan.operations.size(); ++i) {
    if (failure != report.failures.end() && failure->index == i) {
      ++failure;
      continue;
    }
    std::visit(Overloaded{
                   [&](const AddService& o) { cached.put(o.service).dests.clear(); },
                   [&](const SetService& o) {
                     if (auto it = cached.services.find(o.service.key); it != cached.services.end()) {
                       auto stats = std::move(it->second.service.stats);
                       it->second.service = o.service;
                       it->second.service.stats = std::move(stats);
                     }
                   },
                   [&](const DelService& o) { cached.services.erase(o.key); },
                   [&](const AddDest& o) {
                     Dest d = o.dest;
                     d.active_conns = d.inactive_conns = d.persistent_conns = 0;
                     d.stats.reset();
                     cached.put_dest(o.service, d);
                   },
                   [&](const SetDest& o) {
                     auto it = cached.services.find(o.service);
                     if (it == cached.services.end()) return;
                     auto d = it->second.dests.find(o.dest.key);
                     if (d == it->second.dests.end()) return;
                     Dest updated = o.dest;
                     updated.active_conns = d->second.active_conns;
                     updated.inactive_conns = d->second.inactive_conns;
                     updated.persistent_conns = d->second.persistent_conns;
                     updated.stats = std::move(d->second.stats);
                     d->second = updated;
                   },
                   [&](const DelDest& o) {
                     if (auto it = cached.services.find(o.service); it != cached.services.end())
                       it->second.dests.erase(o.dest);
                   },
               },
               plan.operations[i]);
  }
}

vigil::Result<void> ApplyReport::first_error() const {
  if (failures.empty()) return {};
  return failures.front().error;
}

std::string ApplyReport::to_string() const {
  std::string out;
  for (const auto& f : failures) out += f.error.message + "\n";
  return out;
}

}  // namespace ipvs
