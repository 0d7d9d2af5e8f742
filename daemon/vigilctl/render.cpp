#include "daemon/vigilctl/render.hpp"

#include <iomanip>
#include <sstream>

namespace vigilctl {

namespace {

std::string str(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

void render_status(const nlohmann::json& status, std::ostringstream& out) {
  if (const auto vrrp = status.find("vrrp"); vrrp != status.end()) {
    out << "VRRP instances\n";
    out << std::left << std::setw(16) << "  NAME" << std::setw(10) << "STATE" << std::setw(10) << "PRIORITY"
        << std::setw(18) << "MASTER" << "ADDRESSES\n";
    for (const auto& i : vrrp->value("instances", nlohmann::json::array())) {
      std::string vips;
      for (const auto& v : i.value("vips", nlohmann::json::array())) vips += (vips.empty() ? "" : " ") + v.get<std::string>();
      out << "  " << std::setw(14) << str(i, "name") << std::setw(10) << str(i, "state") << std::setw(10)
          << (str(i, "priority") + "/" + str(i, "base_priority")) << std::setw(18) << str(i, "master") << vips << "\n";
    }
  }
  if (const auto ipvs = status.find("ipvs"); ipvs != status.end()) {
    out << "Virtual servers\n";
    for (const auto& vs : ipvs->value("virtual_servers", nlohmann::json::array())) {
      out << "  " << str(vs, "key") << "  " << str(vs, "scheduler") << "  quorum " << str(vs, "quorum_state") << "\n";
      for (const auto& rs : vs.value("real_servers", nlohmann::json::array()))
        out << "    " << std::setw(24) << str(rs, "address") << std::setw(6) << (rs.value("up", false) ? "UP" : "DOWN")
            << " weight " << std::setw(5) << str(rs, "weight") << " active " << std::setw(6) << str(rs, "active_conns")
            << " inactive " << str(rs, "inactive_conns") << (rs.value("drained", false) ? "  (drained)" : "")
            << (rs.contains("reason") ? "  " + str(rs, "reason") : "") << "\n";
    }
  }
}

}  // namespace

std::string render(const std::string& command, const nlohmann::json& reply) {
  std::ostringstream out;
  if (command == "status") {
    render_status(reply.value("status", nlohmann::json::object()), out);
  } else if (command == "reload") {
    const auto plan = reply.value("plan", nlohmann::json::array());
    if (reply.value("dry_run", false)) out << "reload would change:\n";
    if (plan.empty()) out << "no changes\n";
    for (const auto& line : plan) out << "  " << line.get<std::string>() << "\n";
  } else {
    out << "ok";
    if (const auto r = reply.find("result"); r != reply.end() && !r->is_null()) out << ": " << r->dump();
    out << "\n";
  }
  return out.str();
}

}  // namespace vigilctl
