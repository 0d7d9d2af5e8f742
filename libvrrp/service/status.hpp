// DOC: Typed status of the VRRP service — what `vigilctl status`, the metrics endpoint and the
// SIGUSR1 dump show: per instance its state, priorities, master, VIPs and counters (adverts sent
// and received, every drop reason, transitions, stalls), and per socket the drops that could not
// be attributed to an instance (unknown VRID, unreadable IP header).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_address.hpp"
#include "libvrrp/core/state.hpp"
#include "libvrrp/io/receive_check.hpp"

namespace vrrp {

// An advert sent this much after its timer was due counts as late (`adverts_late`): the loop was
// busy or descheduled. Well below any Master_Down_Interval (36 ms at 0.01 s adverts).
inline constexpr std::chrono::microseconds k_advert_late_tolerance{2000};

struct InstanceCounters {
  std::uint64_t adverts_sent = 0;
  std::uint64_t adverts_received = 0;  // passed the receive checks
  std::uint64_t send_errors = 0;
  std::uint64_t transitions = 0;
  std::uint64_t became_master = 0;
  std::uint64_t address_list_mismatch = 0;
  std::uint64_t lower_priority_adverts = 0;  // heard while master: two masters
  std::uint64_t stalls = 0;                  // advert timer fired later than a peer's Master_Down_Interval
  std::uint64_t adverts_late = 0;            // advert timer fired more than k_advert_late_tolerance late
  std::uint64_t max_advert_lateness_us = 0;  // worst advert timer lateness since start
  std::uint64_t gratuitous_bursts = 0;
  io::DropCounters drops{};
  [[nodiscard]] std::uint64_t total_drops() const noexcept;
};

struct InstanceStatus {
  std::string name;
  State state = State::initialize;
  std::uint8_t base_priority = 0;
  std::uint8_t effective_priority = 0;
  std::optional<vigil::IpAddress> master;
  std::vector<std::string> vips;  // "198.18.0.100/32"
  std::string interface;
  vigil::Family family = vigil::Family::v4;
  std::uint8_t vrid = 0;
  std::uint8_t version = 3;
  std::optional<std::string> sync_group;
  bool demoted = false;
  bool holds_addresses = false;
  std::string fault_reason;
  std::optional<double> last_handover_ms;  // successor's first advert after our priority 0
  InstanceCounters counters;
};

struct SocketStatus {
  std::string interface;
  vigil::Family family = vigil::Family::v4;
  io::DropCounters drops{};
};

struct ServiceStatus {
  std::vector<InstanceStatus> instances;
  std::vector<SocketStatus> sockets;
};

}  // namespace vrrp
