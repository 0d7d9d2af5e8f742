// DOC: The inside of vrrp::Service, shared by its implementation files: service.cpp (start, stop,
// admin commands), service_events.cpp (events in, actions carried out), service_reload.cpp and
// service_status.cpp. Not part of the public interface.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "common/script_runner.hpp"
#include "conf/model.hpp"
#include "libvrrp/core/router.hpp"
#include "libvrrp/core/sync_group.hpp"
#include "libvrrp/io/address_table.hpp"
#include "libvrrp/io/announcer.hpp"
#include "libvrrp/io/interface_info.hpp"
#include "libvrrp/io/link_monitor.hpp"
#include "libvrrp/io/router_timers.hpp"
#include "libvrrp/io/script_tracker.hpp"
#include "libvrrp/io/vrrp_socket.hpp"
#include "libvrrp/service/instance_spec.hpp"
#include "libvrrp/service/service.hpp"
#include "libvrrp/service/status.hpp"
#include "libvrrp/service/tracking.hpp"

namespace vrrp {

using Clock = std::chrono::steady_clock;

struct SocketKey {
  std::string interface;
  vigil::Family family = vigil::Family::v4;
  friend auto operator<=>(const SocketKey&, const SocketKey&) = default;
};

struct Instance;

struct SharedSocket {
  std::unique_ptr<io::VrrpSocket> socket;
  std::array<Instance*, 256> by_vrid{};  // dispatch without a lookup: floods must stay cheap
  io::DropCounters drops{};
  vigil::log::RateLimiter log_limit{5, std::chrono::seconds(10)};
};

struct Group;

struct Instance {
  InstanceSpec spec;
  std::unique_ptr<Router> router;
  std::unique_ptr<io::RouterTimers> timers;
  SocketKey key;
  io::InterfaceInfo iface;
  std::vector<io::VipSpec> vips;                 // ifindex resolved
  std::vector<io::AnnounceTarget> announce;      // GARP/NA per advertised and excluded VIP
  Group* group = nullptr;
  std::size_t member = 0;
  TrackingResult tracking;
  InstanceCounters counters;
  std::optional<double> last_handover_ms;
  std::optional<TimePoint> advert_due;  // when the armed advert timer is due (late-advert accounting)
  vigil::log::RateLimiter drop_log{5, std::chrono::seconds(10)};
  vigil::log::RateLimiter peer_log{5, std::chrono::seconds(10)};

  [[nodiscard]] const std::string& name() const { return spec.router.name; }
};

struct Group {
  std::string name;
  std::unique_ptr<SyncGroup> core;
  std::vector<Instance*> members;
  NotifySpec notify;
};

// What the service keeps of a configuration: everything but the virtual servers (and their
// groups and TLS context), which belong to the IPVS side and can be large.
[[nodiscard]] conf::Config vrrp_part(const conf::Config& config);

struct Service::Impl {
  Impl(boost::asio::io_context& io_, vigil::log::Logger& log_, vigil::ScriptRunner* runner_)
      : io(io_), log(log_), runner(runner_) {}

  boost::asio::io_context& io;
  vigil::log::Logger& log;
  vigil::ScriptRunner* runner;
  conf::Config config;  // the VRRP part only (vrrp_part): a copy of 10,000 virtual servers costs the loop

  std::optional<io::AddressTable> addresses;
  std::unique_ptr<io::Announcer> announcer;
  std::unique_ptr<io::LinkMonitor> links_monitor;
  std::map<SocketKey, SharedSocket> sockets;
  std::vector<std::unique_ptr<Instance>> instances;
  std::vector<std::unique_ptr<Group>> groups;
  std::map<std::string, std::unique_ptr<io::ScriptTracker>> scripts;
  std::map<std::string, bool> link_state;    // interface → usable
  std::map<std::string, bool> script_state;  // vrrp_script → good
  std::function<void()> transition_callback;
  // One line per stall of the loop, not one per instance (100 instances stall together).
  vigil::log::RateLimiter stall_log{1, std::chrono::seconds(1)};

  bool started = false;
  bool stopping = false;
  bool stopped = false;
  std::function<void()> stop_done;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  // service.cpp
  vigil::Result<void> open_shared();
  vigil::Result<std::unique_ptr<Instance>> build_instance(const conf::Config& config, const conf::VrrpInstance& in);
  vigil::Result<SharedSocket*> socket_for(const SocketKey& key, int ifindex);
  void build_groups(const conf::Config& config);
  void sync_scripts(const conf::Config& config);
  void remove_leftovers(const Instance& inst);
  void launch(Instance& inst);
  void check_stopped();
  void close_unused_sockets();
  void index_instances();
  void destroy(Instance& inst);  // stops (priority 0, release) and removes it

  // service_reload.cpp
  void rebuild_router(Instance& inst, const std::vector<io::VipSpec>& old_vips);
  Instance* find(std::string_view name);

  // service_events.cpp
  void deliver(Instance& inst, const Event& event);
  void on_timer(Instance& inst, TimerId id);
  void fire_overdue_advert(Instance& inst);
  void execute(Instance& inst, const Action& action, TimePoint now);
  void send_advert(Instance& inst, std::uint8_t priority);
  void claim(Instance& inst);
  void release(Instance& inst, const std::vector<io::VipSpec>& vips);
  void gratuitous(Instance& inst, unsigned repeat);
  void notify(Instance& inst, State state);
  void group_notify(Group& group, State state);
  void on_packet(const SocketKey& key, const io::InboundPacket& packet);
  void on_socket_error(const SocketKey& key, io::DropReason reason, std::string_view detail);
  void count_drop(Instance& inst, io::DropReason reason, std::string_view detail);
  void on_link(const std::string& name, bool up);
  void on_script(const std::string& name, bool good);
  void retrack(Instance& inst);
  std::vector<vigil::log::Field> fields(const Instance& inst) const;
  void say(vigil::log::Level level, const Instance& inst, std::string_view message);
};

}  // namespace vrrp
