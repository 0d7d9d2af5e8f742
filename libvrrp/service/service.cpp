// DOC: Service start, planned stop and admin commands. Start order: shared netlink/packet sockets,
// every instance built and checked (interface, source address, VIP devices, VRRP socket), then
// leftover VIPs removed, then trackers and receive loops, then Startup — so an error before the
// last step leaves nothing running.
#include "libvrrp/service/service.hpp"

#include <boost/asio/post.hpp>

#include "libvrrp/service/service_impl.hpp"

namespace vrrp {

namespace asio = boost::asio;

Service::Service(asio::io_context& io, vigil::log::Logger& log, vigil::ScriptRunner* script_runner)
    : impl_(std::make_unique<Impl>(io, log, script_runner)) {}

Service::~Service() {
  if (impl_) *impl_->alive = false;
}

void Service::on_transition(std::function<void()> callback) { impl_->transition_callback = std::move(callback); }

conf::Config vrrp_part(const conf::Config& config) {
  conf::Config out;
  out.global = config.global;
  out.vrrp_scripts = config.vrrp_scripts;
  out.sync_groups = config.sync_groups;
  out.vrrp_instances = config.vrrp_instances;
  out.files = config.files;
  return out;
}

vigil::Result<void> Service::start(const conf::Config& config) {
  Impl& s = *impl_;
  if (s.started) return vigil::make_error("already started");
  if (auto r = s.open_shared(); !r) return r;
  std::vector<std::unique_ptr<Instance>> built;
  for (const auto& in : config.vrrp_instances) {
    auto inst = s.build_instance(config, in);
    if (!inst) {
      s.sockets.clear();
      return inst.error();
    }
    built.push_back(std::move(*inst));
  }
  s.config = vrrp_part(config);
  s.instances = std::move(built);
  s.build_groups(config);
  s.index_instances();
  // Every instance starts as backup, so addresses still on the interfaces were left by a
  // predecessor that did not stop cleanly (SIGKILL keeps them: vrrp-lab.md). Two owners of a VIP
  // is worse than none for the few seconds until an election.
  for (const auto& inst : s.instances) s.remove_leftovers(*inst);
  s.sync_scripts(config);
  if (s.runner == nullptr) {
    bool wants_scripts = !config.vrrp_scripts.empty();
    for (const auto& inst : s.instances) {
      const NotifySpec& n = inst->spec.notify;
      wants_scripts = wants_scripts || n.master || n.backup || n.fault || n.stop || n.any;
    }
    if (wants_scripts) s.log.warning("vrrp: no script runner: vrrp_script checks and notify scripts are not run");
  }
  s.links_monitor->start([&s](const std::string& name, bool up) { s.on_link(name, up); });
  s.started = true;
  for (const auto& inst : s.instances) s.launch(*inst);
  s.log.info("vrrp: " + std::to_string(s.instances.size()) + " instance(s) started");
  return {};
}

void Service::shutdown(bool lossless, std::function<void()> done) {
  Impl& s = *impl_;
  if (done) s.stop_done = std::move(done);
  if (!s.started || s.stopped) {
    s.stopped = true;
    if (auto d = std::exchange(s.stop_done, nullptr)) asio::post(s.io, std::move(d));
    return;
  }
  s.stopping = true;
  // Tracking must not move priorities while masters hand over.
  for (auto& [name, tracker] : s.scripts) tracker->stop();
  for (const auto& inst : s.instances) s.deliver(*inst, Shutdown{lossless});
  s.check_stopped();
}

vigil::Result<void> Service::demote(std::string_view name) {
  Instance* inst = impl_->find(name);
  if (inst == nullptr) return vigil::make_error("no vrrp_instance '" + std::string(name) + "'");
  impl_->deliver(*inst, Demote{});
  return {};
}

vigil::Result<void> Service::promote(std::string_view name) {
  Instance* inst = impl_->find(name);
  if (inst == nullptr) return vigil::make_error("no vrrp_instance '" + std::string(name) + "'");
  impl_->deliver(*inst, Promote{});
  return {};
}

vigil::Result<void> Service::send_garp(std::string_view name) {
  Instance* inst = impl_->find(name);
  if (inst == nullptr) return vigil::make_error("no vrrp_instance '" + std::string(name) + "'");
  if (!inst->router->holds_addresses()) {
    return vigil::make_error(std::string(name) + " is " + std::string(to_string(inst->router->state())) +
                             ", not master: it does not own its addresses");
  }
  impl_->gratuitous(*inst, std::max(1U, inst->spec.router.garp.master_repeat));
  return {};
}

// ---- Impl: start helpers -------------------------------------------------------------------

vigil::Result<void> Service::Impl::open_shared() {
  if (!addresses) {
    auto table = io::AddressTable::open();
    if (!table) return vigil::make_error("vrrp: " + table.error().message);
    addresses.emplace(std::move(*table));
  }
  if (!announcer) {
    auto a = io::Announcer::open(io);
    if (!a) return vigil::make_error("vrrp: " + a.error().message);
    announcer = std::move(*a);
  }
  if (!links_monitor) {
    auto m = io::LinkMonitor::open(io);
    if (!m) return vigil::make_error("vrrp: " + m.error().message);
    links_monitor = std::move(*m);
  }
  return {};
}

vigil::Result<std::unique_ptr<Instance>> Service::Impl::build_instance(const conf::Config& cfg,
                                                                        const conf::VrrpInstance& in) {
  auto inst = std::make_unique<Instance>();
  inst->spec = make_instance_spec(cfg, in);
  InstanceSpec& spec = inst->spec;
  const std::string who = "vrrp_instance " + in.name + ": ";
  auto info = io::interface_info(spec.interface);
  if (!info) return vigil::make_error(who + info.error().message);
  inst->iface = *info;
  if (!spec.source_given) {
    std::vector<vigil::IpAddress> exclude;
    for (const auto& v : spec.vips) exclude.push_back(v.prefix.address);
    const auto primary = io::primary_address(spec.interface, spec.router.family, exclude);
    if (!primary) {
      return vigil::make_error(who + "no " + std::string(vigil::to_string(spec.router.family)) +
                               (spec.router.family == vigil::Family::v6 ? " link-local" : "") + " address on " +
                               spec.interface + " to send adverts from (or set unicast_src_ip / mcast_src_ip)");
    }
    spec.router.primary_address = *primary;
  }
  if (const auto problems = config_problems(spec.router); !problems.empty()) {
    return vigil::make_error(who + problems.front());
  }
  for (io::VipSpec vip : spec.vips) {
    io::InterfaceInfo dev = inst->iface;
    if (vip.dev != spec.interface) {
      auto other = io::interface_info(vip.dev);
      if (!other) return vigil::make_error(who + "virtual address " + vip.prefix.to_string() + ": " + other.error().message);
      dev = *other;
    }
    vip.ifindex = dev.index;
    inst->announce.push_back(io::AnnounceTarget{dev.index, dev.mac, vip.prefix.address});
    inst->vips.push_back(std::move(vip));
  }
  inst->key = SocketKey{spec.interface, spec.router.family};
  auto sock = socket_for(inst->key, inst->iface.index);
  if (!sock) return vigil::make_error(who + sock.error().message);
  if (!spec.unicast) {
    if (auto r = (*sock)->socket->join(spec.multicast_group); !r) return vigil::make_error(who + r.error().message);
  }
  inst->router = std::make_unique<Router>(spec.router);
  inst->tracking.priority = spec.router.priority;
  Instance* raw = inst.get();
  inst->timers = std::make_unique<io::RouterTimers>(io, [this, raw](TimerId id) { on_timer(*raw, id); });
  return inst;
}

vigil::Result<SharedSocket*> Service::Impl::socket_for(const SocketKey& key, int ifindex) {
  if (auto it = sockets.find(key); it != sockets.end()) return &it->second;
  auto sock = io::VrrpSocket::open(io, key.interface, ifindex, key.family);
  if (!sock) return sock.error();
  SharedSocket& shared = sockets[key];
  shared.socket = std::move(*sock);
  shared.socket->start([this, key](const io::InboundPacket& p) { on_packet(key, p); },
                       [this, key](io::DropReason r, std::string_view detail) { on_socket_error(key, r, detail); });
  return &shared;
}

void Service::Impl::build_groups(const conf::Config& cfg) {
  for (const auto& g : cfg.sync_groups) {
    if (std::any_of(groups.begin(), groups.end(), [&](const auto& existing) { return existing->name == g.name; })) {
      continue;
    }
    auto group = std::make_unique<Group>();
    group->name = g.name;
    group->notify = make_notify_spec(cfg, g.notify);
    for (const auto& member : g.members) {
      Instance* inst = find(member);
      if (inst == nullptr || inst->group != nullptr) continue;
      inst->group = group.get();
      inst->member = group->members.size();
      group->members.push_back(inst);
    }
    if (group->members.empty()) continue;
    group->core = std::make_unique<SyncGroup>(group->name, group->members.size());
    groups.push_back(std::move(group));
  }
}

void Service::Impl::sync_scripts(const conf::Config& cfg) {
  if (runner == nullptr) return;
  std::map<std::string, std::unique_ptr<io::ScriptTracker>> next;
  for (const auto& vs : cfg.vrrp_scripts) {
    io::ScriptCheck check = make_script_check(cfg, vs);
    auto it = scripts.find(vs.name);
    if (it != scripts.end()) {
      const io::ScriptCheck& old = it->second->check();
      if (old.spec.command == check.spec.command && old.spec.user == check.spec.user &&
          old.spec.timeout == check.spec.timeout && old.interval == check.interval && old.rise == check.rise &&
          old.fall == check.fall && old.init_fail == check.init_fail) {
        next[vs.name] = std::move(it->second);  // unchanged: keeps its state and schedule
        continue;
      }
    }
    auto tracker = std::make_unique<io::ScriptTracker>(io, *runner, check,
                                                       [this](const std::string& n, bool good) { on_script(n, good); });
    script_state[vs.name] = tracker->good();
    if (started && !stopping) tracker->start();
    next[vs.name] = std::move(tracker);
  }
  scripts = std::move(next);
  for (auto it = script_state.begin(); it != script_state.end();) {
    it = scripts.count(it->first) != 0 ? std::next(it) : script_state.erase(it);
  }
  if (!started) return;
  for (auto& [name, tracker] : scripts) tracker->start();
}

void Service::Impl::remove_leftovers(const Instance& inst) {
  for (const auto& vip : inst.vips) {
    auto removed = addresses->remove(vip);
    if (!removed) {
      log.warning(inst.name() + ": cannot remove leftover " + vip.to_string() + ": " + removed.error().message,
                  {{"VRRP_INSTANCE", inst.name()}});
    } else if (*removed) {
      log.info(inst.name() + ": removed " + vip.to_string() + " left by a previous run (starting as backup)",
               {{"VRRP_INSTANCE", inst.name()}});
    }
  }
}

void Service::Impl::launch(Instance& inst) {
  auto seed = [&](const std::string& name) {
    if (link_state.count(name) != 0) return;
    const auto info = io::interface_info(name);
    const bool up = info && info->up;
    link_state[name] = up;
    links_monitor->seed(name, up);
  };
  seed(inst.spec.interface);
  for (const auto& t : inst.spec.track_links) seed(t.name);
  for (auto& [name, tracker] : scripts) tracker->start();
  retrack(inst);
  deliver(inst, Startup{});
}

void Service::Impl::check_stopped() {
  if (!stopping || stopped) return;
  for (const auto& inst : instances) {
    if (inst->router->state() != State::initialize) return;
  }
  stopped = true;
  for (auto& [name, tracker] : scripts) tracker->stop();
  for (const auto& inst : instances) inst->timers->cancel_all();
  log.info("vrrp: stopped");
  if (auto d = std::exchange(stop_done, nullptr)) asio::post(io, std::move(d));
}

void Service::Impl::index_instances() {
  for (auto& [key, shared] : sockets) shared.by_vrid.fill(nullptr);
  for (const auto& inst : instances) {
    auto it = sockets.find(inst->key);
    if (it != sockets.end()) it->second.by_vrid[inst->spec.router.vrid] = inst.get();
  }
}

void Service::Impl::close_unused_sockets() {
  for (auto it = sockets.begin(); it != sockets.end();) {
    const bool used = std::any_of(instances.begin(), instances.end(),
                                  [&](const auto& inst) { return inst->key == it->first; });
    it = used ? std::next(it) : sockets.erase(it);
  }
}

Instance* Service::Impl::find(std::string_view name) {
  for (const auto& inst : instances) {
    if (inst->name() == name) return inst.get();
  }
  return nullptr;
}

}  // namespace vrrp
