// DOC: Translation between vrrp::Service's typed API and the daemon's Subsystem interface.
#include "daemon/runtime/vrrp_subsystem.hpp"

#include <cctype>


namespace vigild {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

nlohmann::json drops_json(const vrrp::io::DropCounters& drops) {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t i = 0; i < drops.size(); ++i) {
    if (drops[i] != 0) out[std::string(vrrp::io::to_string(static_cast<vrrp::io::DropReason>(i)))] = drops[i];
  }
  return out;
}

// RFC 6527-style gauge value: 0 initialize, 1 backup, 2 master, 3 fault (handover counts as master).
int state_number(vrrp::State s) {
  switch (vrrp::visible_state(s)) {
    case vrrp::State::initialize: return 0;
    case vrrp::State::backup: return 1;
    case vrrp::State::master:
    case vrrp::State::handover: return 2;
    case vrrp::State::fault: return 3;
  }
  return 0;
}

}  // namespace

VrrpSubsystem::VrrpSubsystem(boost::asio::io_context& io, vigil::log::Logger& log, vigil::ScriptRunner& script_runner)
    : service_(io, log, &script_runner) {}

vigil::Result<void> VrrpSubsystem::start(const ConfigPtr& config) {
  line_stale_ = true;
  return service_.start(*config);
}

std::vector<std::string> VrrpSubsystem::plan_reload(const conf::Config& next) const {
  return service_.plan_reload(next);
}

vigil::Result<std::vector<std::string>> VrrpSubsystem::reload(const ConfigPtr& next) {
  line_stale_ = true;
  auto changes = service_.plan_reload(*next);  // before: it describes the running instances
  if (auto r = service_.reload(*next); !r) return r.error();
  return changes;
}

void VrrpSubsystem::stop(StopMode mode, std::function<void()> done) {
  line_stale_ = true;
  service_.shutdown(mode == StopMode::lossless, std::move(done));
}

void VrrpSubsystem::set_change_listener(std::function<void()> listener) {
  service_.on_transition([this, listener = std::move(listener)] {
    line_stale_ = true;
    if (listener) listener();
  });
}

nlohmann::json VrrpSubsystem::status() const {
  const auto st = service_.status();
  nlohmann::json instances = nlohmann::json::array();
  for (const auto& i : st.instances) {
    nlohmann::json j{{"name", i.name},
                     {"state", upper(vrrp::to_string(i.state))},
                     {"priority", i.effective_priority},
                     {"base_priority", i.base_priority},
                     {"master", i.master ? nlohmann::json(i.master->to_string()) : nlohmann::json(nullptr)},
                     {"vips", i.vips},
                     {"interface", i.interface},
                     {"family", std::string(vigil::to_string(i.family))},
                     {"vrid", i.vrid},
                     {"version", i.version},
                     {"demoted", i.demoted},
                     {"holds_addresses", i.holds_addresses},
                     {"adverts_sent", i.counters.adverts_sent},
                     {"adverts_received", i.counters.adverts_received},
                     {"advert_errors", drops_json(i.counters.drops)},
                     {"advert_errors_total", i.counters.total_drops()},
                     {"send_errors", i.counters.send_errors},
                     {"transitions", i.counters.transitions},
                     {"became_master", i.counters.became_master},
                     {"address_list_mismatch", i.counters.address_list_mismatch},
                     {"lower_priority_adverts", i.counters.lower_priority_adverts},
                     {"stalls", i.counters.stalls},
                     {"adverts_late", i.counters.adverts_late},
                     {"max_advert_lateness_ms", static_cast<double>(i.counters.max_advert_lateness_us) / 1e3},
                     {"gratuitous_bursts", i.counters.gratuitous_bursts}};
    if (i.sync_group) j["sync_group"] = *i.sync_group;
    if (!i.fault_reason.empty()) j["fault_reason"] = i.fault_reason;
    if (i.last_handover_ms) j["last_handover_ms"] = *i.last_handover_ms;
    instances.push_back(std::move(j));
  }
  nlohmann::json sockets = nlohmann::json::array();
  for (const auto& s : st.sockets) {
    sockets.push_back({{"interface", s.interface},
                       {"family", std::string(vigil::to_string(s.family))},
                       {"advert_errors", drops_json(s.drops)}});
  }
  return {{"instances", instances}, {"sockets", sockets}};
}

std::optional<vigil::Result<nlohmann::json>> VrrpSubsystem::command(const Command& command) {
  if (command.name != "demote" && command.name != "promote" && command.name != "garp") return std::nullopt;
  const auto it = command.arguments.find("instance");
  if (it == command.arguments.end() || !it->is_string()) {
    return vigil::Result<nlohmann::json>(vigil::make_error(command.name + " needs {\"instance\": NAME}"));
  }
  const std::string instance = it->get<std::string>();
  vigil::Result<void> r = command.name == "demote"    ? service_.demote(instance)
                          : command.name == "promote" ? service_.promote(instance)
                                                      : service_.send_garp(instance);
  if (!r) return vigil::Result<nlohmann::json>(r.error());
  return vigil::Result<nlohmann::json>(nlohmann::json{{"instance", instance}, {"done", command.name}});
}

void VrrpSubsystem::collect_metrics(std::vector<MetricSample>& out) const {
  using Type = MetricSample::Type;
  const auto st = service_.status();
  for (const auto& i : st.instances) {
    const std::pair<std::string, std::string> label{"instance", i.name};
    out.push_back({"vigil_vrrp_state", "VRRP state: 0 init, 1 backup, 2 master, 3 fault", Type::gauge, {label},
                   static_cast<double>(state_number(i.state))});
    out.push_back({"vigil_vrrp_priority", "Effective VRRP priority", Type::gauge, {label},
                   static_cast<double>(i.effective_priority)});
    out.push_back({"vigil_vrrp_transitions_total", "VRRP state transitions", Type::counter, {label},
                   static_cast<double>(i.counters.transitions)});
    out.push_back({"vigil_vrrp_adverts_sent_total", "VRRP adverts sent", Type::counter, {label},
                   static_cast<double>(i.counters.adverts_sent)});
    out.push_back({"vigil_vrrp_adverts_received_total", "VRRP adverts received and accepted", Type::counter, {label},
                   static_cast<double>(i.counters.adverts_received)});
    out.push_back({"vigil_vrrp_stalls_total", "Advert timer fired later than a peer's Master_Down_Interval",
                   Type::counter, {label}, static_cast<double>(i.counters.stalls)});
    out.push_back({"vigil_vrrp_adverts_late_total", "Advert timer fired more than 2 ms after it was due",
                   Type::counter, {label}, static_cast<double>(i.counters.adverts_late)});
    out.push_back({"vigil_vrrp_advert_max_lateness_seconds", "Worst advert timer lateness since start",
                   Type::gauge, {label}, static_cast<double>(i.counters.max_advert_lateness_us) / 1e6});
    for (std::size_t r = 0; r < i.counters.drops.size(); ++r) {
      if (i.counters.drops[r] == 0) continue;
      out.push_back({"vigil_vrrp_advert_errors_total", "VRRP adverts dropped, by reason", Type::counter,
                     {label, {"reason", std::string(vrrp::io::to_string(static_cast<vrrp::io::DropReason>(r)))}},
                     static_cast<double>(i.counters.drops[r])});
    }
  }
  for (const auto& s : st.sockets) {
    for (std::size_t r = 0; r < s.drops.size(); ++r) {
      if (s.drops[r] == 0) continue;
      out.push_back({"vigil_vrrp_advert_errors_total", "VRRP adverts dropped, by reason", Type::counter,
                     {{"interface", s.interface},
                      {"reason", std::string(vrrp::io::to_string(static_cast<vrrp::io::DropReason>(r)))}},
                     static_cast<double>(s.drops[r])});
    }
  }
}

std::string VrrpSubsystem::status_line() const {
  if (!line_stale_) return line_;
  const auto st = service_.status();
  std::string line;
  std::size_t shown = 0;
  for (const auto& i : st.instances) {
    if (shown == 3) {
      line += ", +" + std::to_string(st.instances.size() - shown) + " more";
      break;
    }
    if (!line.empty()) line += ", ";
    line += i.name + " " + upper(vrrp::to_string(vrrp::visible_state(i.state)));
    ++shown;
  }
  line_ = line;
  line_stale_ = false;
  return line;
}

}  // namespace vigild
