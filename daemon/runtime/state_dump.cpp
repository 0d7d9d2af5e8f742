#include "daemon/runtime/state_dump.hpp"

#include <sstream>

namespace vigild {

std::string render_state_dump(const nlohmann::json& status) {
  std::ostringstream out;
  if (const auto it = status.find("vrrp"); it != status.end() && it->contains("instances")) {
    out << "------< VRRP Topology >------\n";
    for (const auto& i : (*it)["instances"]) {
      out << " VRRP Instance = " << i.value("name", "") << "\n";
      out << "   VRRP Version = " << i.value("version", 2) << "\n";
      out << "   State = " << i.value("state", "") << "\n";
      out << "   Master router = " << i.value("master", "") << "\n";
      out << "   Interface = " << i.value("interface", "") << "\n";
      out << "   Virtual Router ID = " << i.value("vrid", 0) << "\n";
      out << "   Priority = " << i.value("base_priority", 0) << "\n";
      out << "   Effective priority = " << i.value("priority", 0) << "\n";
      if (const auto v = i.find("vips"); v != i.end() && v->is_array()) {
        out << "   Virtual IP (" << v->size() << "):\n";
        for (const auto& a : *v) out << "     " << a.get<std::string>() << "\n";
      }
    }
  }
  if (const auto it = status.find("ipvs"); it != status.end() && it->contains("virtual_servers")) {
    out << "------< LVS Topology >------\n";
    for (const auto& vs : (*it)["virtual_servers"]) {
      out << " VS = " << vs.value("key", "") << "\n";
      if (const auto rs = vs.find("real_servers"); rs != vs.end() && rs->is_array())
        for (const auto& r : *rs)
          out << "   RS = " << r.value("address", "") << ", weight = " << r.value("weight", 0)
              << ", " << (r.value("up", false) ? "UP" : "DOWN") << "\n";
    }
  }
  return out.str();
}

}  // namespace vigild
