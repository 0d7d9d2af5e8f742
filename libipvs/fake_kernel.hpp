// DOC: FakeKernel — an in-memory IPVS table that applies Plans with the kernel's rules and
// errnos, in the kernel's order of checks (ip_vs_genl_set_cmd, ip_vs_add_service,
// ip_vs_edit_service, ip_vs_add_dest / ip_vs_new_dest, ip_vs_edit_dest, ip_vs_del_dest):
//
//   service missing for set/delete service or any dest command  ESRCH
//   add an existing service / dest                              EEXIST
//   unknown scheduler or persistence engine                     ENOENT
//   set / delete a missing dest                                 ENOENT
//   scheduler name > 15 bytes, IPv6 netmask outside 1..128      EINVAL
//   dest family ≠ service family, unless tunnelling             EINVAL
//   GUE tunnel with port 0; dest address not unicast            EINVAL
//   weight > INT32_MAX (negative int); lower > upper threshold  ERANGE
//
// Tests reach the table directly (table()) to play "another tool edited it" or to set
// connection counts for the Drainer.
#pragma once

#include <cstddef>
#include <set>
#include <string>

#include "libipvs/kernel.hpp"

namespace ipvs {

class FakeKernel final : public Kernel {
 public:
  FakeKernel();

  [[nodiscard]] vigil::Result<Table> dump() override;
  void set_counters(Counters counters) override { counters_ = counters; }
  [[nodiscard]] Counters counters() const noexcept { return counters_; }
  [[nodiscard]] ApplyReport apply(const Plan& plan) override;
  /// Records the request; a flush empties the table.
  [[nodiscard]] vigil::Result<void> control(const Request& request) override;
  [[nodiscard]] const std::vector<Request>& controls() const noexcept { return controls_; }

  /// One operation: 0 on success, else the errno the kernel would return.
  [[nodiscard]] int execute(const Operation& op);

  [[nodiscard]] Table& table() noexcept { return table_; }
  [[nodiscard]] const Table& table() const noexcept { return table_; }
  /// Schedulers the "kernel" has modules for (default: every one Debian's kernel ships).
  void set_schedulers(std::set<std::string> names) { schedulers_ = std::move(names); }
  /// Makes every later dump fail with this errno (0 = dumps work).
  void fail_dumps(int errno_value) noexcept { dump_errno_ = errno_value; }
  [[nodiscard]] std::size_t operations_executed() const noexcept { return executed_; }

 private:
  [[nodiscard]] int check_service_settings(const Service& s) const;
  [[nodiscard]] static int check_dest_settings(const ServiceKey& service, const Dest& d);

  Table table_;
  std::set<std::string> schedulers_;
  std::set<std::string> engines_{"sip"};
  int dump_errno_ = 0;
  Counters counters_ = Counters::read;
  std::size_t executed_ = 0;
  std::vector<Request> controls_;
};

}  // namespace ipvs
