// DOC: Typed status of the running instances and sockets (status.hpp).
#include <numeric>

#include "libvrrp/service/service_impl.hpp"

namespace vrrp {

std::uint64_t InstanceCounters::total_drops() const noexcept {
  return std::accumulate(drops.begin(), drops.end(), std::uint64_t{0});
}

ServiceStatus Service::status() const {
  ServiceStatus out;
  for (const auto& inst : impl_->instances) {
    InstanceStatus st;
    st.name = inst->name();
    st.state = inst->router->state();
    st.base_priority = inst->spec.router.priority;
    st.effective_priority = inst->router->effective_priority();
    if (visible_state(st.state) == State::master) {
      st.master = inst->spec.router.primary_address;
    } else if (st.state == State::backup) {
      st.master = inst->router->master_address();
    }
    for (const auto& v : inst->vips) st.vips.push_back(v.prefix.to_string());
    st.interface = inst->spec.interface;
    st.family = inst->spec.router.family;
    st.vrid = inst->spec.router.vrid;
    st.version = inst->spec.router.version;
    if (inst->group) st.sync_group = inst->group->name;
    st.demoted = inst->router->demoted();
    st.holds_addresses = inst->router->holds_addresses();
    if (inst->tracking.faulted) st.fault_reason = inst->tracking.fault_reason;
    st.last_handover_ms = inst->last_handover_ms;
    st.counters = inst->counters;
    out.instances.push_back(std::move(st));
  }
  for (const auto& [key, shared] : impl_->sockets) {
    out.sockets.push_back(SocketStatus{key.interface, key.family, shared.drops});
  }
  return out;
}

}  // namespace vrrp
