// DOC: Reload — diff the running instances against the new configuration and touch only what
// changed (keepalived #754/#349/#2240: reloads must not cost elections or traffic).
//
//   unchanged                → nothing at all: Router, timers, addresses, socket stay as they are
//   priority / tracking / notify / peers → applied in place (PriorityChanged, new spec)
//   other Router settings    → rebuild_router(): a new Router entered straight into the old state
//   VRID / interface / family / version / sync group, or any change in a sync group
//                            → the old virtual router stops (priority 0, release), a new one starts
#include <boost/asio/post.hpp>
#include <set>

#include "libvrrp/service/service_impl.hpp"

namespace vrrp {
namespace {

// A spec from the new config, with the source address we resolved at start (it is not in conf
// unless unicast_src_ip/mcast_src_ip is given, and then it is compared as such).
InstanceSpec next_spec(const conf::Config& next, const conf::VrrpInstance& in, const Instance& running) {
  InstanceSpec spec = make_instance_spec(next, in);
  if (!spec.source_given && !running.spec.source_given) spec.router.primary_address = running.spec.router.primary_address;
  return spec;
}

struct ReloadDiff {
  std::vector<std::string> lines;
  std::set<std::string> restart;  // instances stopped and started anew
  std::set<std::string> removed;
  std::set<std::string> added;
};

ReloadDiff diff(const std::vector<std::unique_ptr<Instance>>& running, const conf::Config& next) {
  ReloadDiff d;
  std::set<std::string> dirty_groups;
  for (const auto& inst : running) {
    const conf::VrrpInstance* in = next.find_instance(inst->name());
    if (in == nullptr) {
      d.removed.insert(inst->name());
      d.lines.push_back("- " + inst->name());
      if (inst->group) dirty_groups.insert(inst->group->name);
      continue;
    }
    const InstanceSpec spec = next_spec(next, *in, *inst);
    const auto changes = describe_changes(inst->spec, spec);
    for (const auto& c : changes) d.lines.push_back("~ " + inst->name() + " " + c);
    if (recreate_needed(inst->spec, spec)) d.restart.insert(inst->name());
    if (!changes.empty() && (inst->group || spec.sync_group)) {
      if (inst->group) dirty_groups.insert(inst->group->name);
      if (spec.sync_group) dirty_groups.insert(*spec.sync_group);
    }
  }
  for (const auto& in : next.vrrp_instances) {
    const bool exists = std::any_of(running.begin(), running.end(), [&](const auto& i) { return i->name() == in.name; });
    if (exists) continue;
    d.added.insert(in.name);
    d.lines.push_back("+ " + in.name);
    if (in.sync_group) dirty_groups.insert(*in.sync_group);
  }
  // A SyncGroup's bookkeeping is built for a fixed set of members in known states: a group
  // that changes at all restarts as a whole.
  for (const auto& inst : running) {
    if (inst->group && dirty_groups.count(inst->group->name) != 0 && d.removed.count(inst->name()) == 0 &&
        d.restart.insert(inst->name()).second) {
      d.lines.push_back("~ " + inst->name() + " restarts with sync group " + inst->group->name);
    }
  }
  return d;
}

}  // namespace

std::vector<std::string> Service::plan_reload(const conf::Config& next) const {
  auto lines = diff(impl_->instances, next).lines;
  for (const auto& vs : next.vrrp_scripts) {
    const conf::VrrpScript* old = impl_->config.find_script(vs.name);
    if (old == nullptr) {
      lines.push_back("+ vrrp_script " + vs.name);
    } else if (old->script.command != vs.script.command || old->interval != vs.interval || old->timeout != vs.timeout ||
               old->rise != vs.rise || old->fall != vs.fall || old->weight != vs.weight) {
      lines.push_back("~ vrrp_script " + vs.name);
    }
  }
  for (const auto& vs : impl_->config.vrrp_scripts) {
    if (next.find_script(vs.name) == nullptr) lines.push_back("- vrrp_script " + vs.name);
  }
  return lines;
}

vigil::Result<void> Service::reload(const conf::Config& next) {
  Impl& s = *impl_;
  if (!s.started) return start(next);
  if (s.stopping) return vigil::make_error("stopping");
  const ReloadDiff d = diff(s.instances, next);

  // 1. Build what is new before touching anything, so a bad interface refuses the reload whole.
  std::vector<std::unique_ptr<Instance>> fresh;
  for (const auto& in : next.vrrp_instances) {
    if (d.added.count(in.name) == 0 && d.restart.count(in.name) == 0) continue;
    auto inst = s.build_instance(next, in);
    if (!inst) {
      s.close_unused_sockets();
      return inst.error();
    }
    fresh.push_back(std::move(*inst));
  }

  // 2. Stop the virtual routers that go away (keepalived: priority 0, addresses released).
  std::set<Group*> old_groups;
  for (const auto& inst : s.instances) {
    if (d.removed.count(inst->name()) == 0 && d.restart.count(inst->name()) == 0) continue;
    if (inst->group) old_groups.insert(inst->group);
    s.deliver(*inst, Shutdown{false});
    inst->timers->cancel_all();
  }
  std::erase_if(s.instances, [&](const auto& inst) {
    return d.removed.count(inst->name()) != 0 || d.restart.count(inst->name()) != 0;
  });
  std::erase_if(s.groups, [&](const auto& g) { return old_groups.count(g.get()) != 0; });

  // 3. In place.
  for (const auto& inst : s.instances) {
    const conf::VrrpInstance* in = next.find_instance(inst->name());
    if (in == nullptr) continue;
    InstanceSpec spec = next_spec(next, *in, *inst);
    if (describe_changes(inst->spec, spec).empty()) continue;  // untouched: not even re-tracked
    const std::vector<io::VipSpec> old_vips = inst->vips;
    const RouterConfig old_router = inst->spec.router;
    const bool was_unicast = inst->spec.unicast;
    std::vector<io::VipSpec> vips;
    std::vector<io::AnnounceTarget> announce;
    for (io::VipSpec vip : spec.vips) {
      const auto dev = vip.dev == spec.interface ? vigil::Result<io::InterfaceInfo>(inst->iface) : io::interface_info(vip.dev);
      if (!dev) return vigil::make_error(inst->name() + ": virtual address " + vip.prefix.to_string() + ": " + dev.error().message);
      vip.ifindex = dev->index;
      announce.push_back(io::AnnounceTarget{dev->index, dev->mac, vip.prefix.address});
      vips.push_back(std::move(vip));
    }
    inst->spec = std::move(spec);
    inst->vips = std::move(vips);
    inst->announce = std::move(announce);
    if (was_unicast && !inst->spec.unicast) {
      auto it = s.sockets.find(inst->key);
      if (it != s.sockets.end()) (void)it->second.socket->join(inst->spec.multicast_group);
    }
    if (router_settings_equal_but_priority(old_router, inst->spec.router)) {
      s.retrack(*inst);
    } else {
      s.rebuild_router(*inst, old_vips);
    }
  }

  // 4. New and restarted instances, new groups, scripts; then start what is new.
  std::vector<Instance*> to_launch;
  for (auto& inst : fresh) {
    to_launch.push_back(inst.get());
    s.instances.push_back(std::move(inst));
  }
  s.config = vrrp_part(next);
  s.build_groups(next);
  s.index_instances();
  s.close_unused_sockets();
  s.sync_scripts(next);
  for (const auto& inst : s.instances) {
    if (std::find(to_launch.begin(), to_launch.end(), inst.get()) == to_launch.end()) s.retrack(*inst);
  }
  for (Instance* inst : to_launch) s.remove_leftovers(*inst);
  for (Instance* inst : to_launch) s.launch(*inst);
  return {};
}

void Service::Impl::rebuild_router(Instance& inst, const std::vector<io::VipSpec>& old_vips) {
  const State was = visible_state(inst.router->state());
  const bool demoted = inst.router->demoted();
  inst.timers->cancel_all();
  auto r = std::make_unique<Router>(inst.spec.router);
  const TimePoint now = Clock::now();
  std::vector<Action> out;
  auto take = [&](std::vector<Action> more) { out.insert(out.end(), more.begin(), more.end()); };
  inst.tracking = evaluate_tracking(inst.spec, link_state, script_state);
  if (inst.tracking.priority != inst.spec.router.priority) take(r->handle(PriorityChanged{inst.tracking.priority}, now));
  if (inst.tracking.faulted) take(r->handle(FaultChanged{true}, now));
  if (demoted) take(r->handle(Demote{}, now));
  if (was == State::master && !inst.tracking.faulted) {
    // Enter Master directly: Startup as if it had happened one Master_Down_Interval ago, then the
    // expiry. Only the actions a running master needs are carried out (timers, addresses, an
    // advert with the new settings) — no transition, no notify: to the network and to scripts
    // nothing happened but the new settings.
    take(r->handle(Startup{}, now - r->master_down_interval()));
    take(r->handle(TimerExpired{TimerId::master_down}, now));
  } else {
    take(r->handle(Startup{}, now));
  }
  inst.router = std::move(r);
  std::vector<io::VipSpec> gone;
  for (const auto& v : old_vips) {
    if (std::find(inst.vips.begin(), inst.vips.end(), v) == inst.vips.end()) gone.push_back(v);
  }
  if (was == State::master && !gone.empty()) release(inst, gone);
  const bool vips_changed = !gone.empty() || inst.vips.size() != old_vips.size();
  for (const Action& a : out) {
    if (std::holds_alternative<ArmTimer>(a) || std::holds_alternative<CancelTimer>(a) ||
        std::holds_alternative<ClaimAddresses>(a) || std::holds_alternative<SendAdvert>(a) ||
        (vips_changed && std::holds_alternative<SendGratuitous>(a))) {
      execute(inst, a, now);
    }
  }
  say(vigil::log::Level::info, inst, inst.name() + ": settings updated in place (" + std::string(to_string(inst.router->state())) + ")");
}

}  // namespace vrrp
