// DOC: libipvs figures at keepalived's large-scale point (10,000 virtual servers × 4 real
// servers): desired-state build, diff (no change / one weight / from empty), request encoding of
// a full plan, reply parsing of a full dump, FakeKernel apply. Prints the median of several runs.
// Usage: ipvs_bench [services] [dests-per-service] [runs]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "libipvs/desired.hpp"
#include "libipvs/fake_kernel.hpp"
#include "libipvs/plan.hpp"
#include "libipvs/reply_parser.hpp"
#include "libipvs/request.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double median_ms(int runs, const std::function<void()>& fn) {
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    fn();
    samples.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

conf::Config make_config(std::size_t services, std::size_t dests) {
  conf::Config c;
  c.virtual_servers.reserve(services);
  for (std::size_t i = 0; i < services; ++i) {
    conf::VirtualServer vs;
    vs.address = vigil::IpAddress::from_v4_u32(0x0a000000U + static_cast<std::uint32_t>(i));
    vs.port = 80;
    vs.scheduler = "rr";
    for (std::size_t j = 0; j < dests; ++j) {
      conf::RealServer rs;
      rs.address = vigil::IpAddress::from_v4_u32(0xac100000U + static_cast<std::uint32_t>(i * dests + j));
      rs.port = 8080;
      rs.checkers.emplace_back();
      vs.real_servers.push_back(rs);
    }
    c.virtual_servers.push_back(std::make_shared<const conf::VirtualServer>(std::move(vs)));
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t services = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
  const std::size_t dests = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 4;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 9;
  std::printf("ipvs_bench: %zu services x %zu dests, median of %d runs\n", services, dests, runs);

  const conf::Config config = make_config(services, dests);
  // Every real server reported (as the checkers would), one in ten down.
  ipvs::HealthView health;
  for (const auto& vs : config.each_virtual_server()) {
    const std::string id = vs.key();
    std::size_t n = 0;
    for (const auto& rs : vs.real_servers) {
      ipvs::RealServerHealth h;
      h.up = (n++ % 10) != 9;
      health.set(ipvs::RealServerId{id, rs.address, rs.port}, h);
    }
  }
  ipvs::Table desired;
  const double t_build = median_ms(runs, [&] {
    ipvs::QuorumTracker quorum;
    desired = ipvs::build_desired(config, health, quorum).table;
  });
  ipvs::Ownership owned;
  owned.claim(desired);

  // The "kernel" table: built by applying the plan, as after a first start.
  ipvs::FakeKernel kernel;
  const ipvs::Plan full = ipvs::diff(desired, ipvs::Table{}, owned);
  const double t_apply = median_ms(1, [&] { (void)kernel.apply(full); });
  const ipvs::Table actual = kernel.dump().value();

  std::size_t ops = 0;
  const double t_same = median_ms(runs, [&] { ops += ipvs::diff(desired, actual, owned).size(); });
  ipvs::Table one_changed = actual;
  one_changed.services.begin()->second.dests.begin()->second.weight = 0;
  const double t_one = median_ms(runs, [&] { ops += ipvs::diff(desired, one_changed, owned).size(); });
  const double t_empty = median_ms(runs, [&] { ops += ipvs::diff(desired, ipvs::Table{}, owned).size(); });

  std::vector<std::uint8_t> bytes;
  const double t_encode = median_ms(runs, [&] {
    bytes.clear();
    std::uint32_t seq = 1;
    for (const auto& op : full.operations) ipvs::Request::from(op).encode_into(bytes, 0x1c, seq++);
  });

  // A dump as the kernel would send it: NEW_SERVICE / NEW_DEST messages flagged NLM_F_MULTI.
  // The add requests carry the same nests as the replies (minus counters; the dest messages
  // also carry the service nest, which the parser skips), so they are re-flagged and reused.
  std::vector<std::uint8_t> dump;
  for (const auto& op : full.operations) {
    auto msg = ipvs::Request::from(op).encode(0x1c, 7);
    msg[6] = 0x02;  // nlmsg_flags = NLM_F_MULTI
    msg[7] = 0x00;
    dump.insert(dump.end(), msg.begin(), msg.end());
  }
  std::size_t parsed = 0;
  const double t_parse = median_ms(runs, [&] {
    auto r = ipvs::parse_messages(dump, 0x1c);
    parsed = r.ok() ? r->size() : 0;
  });

  std::printf("  build_desired:          %8.2f ms  (%zu services, %zu dests)\n", t_build, desired.services.size(),
              desired.dest_count());
  std::printf("  diff, no change:        %8.2f ms\n", t_same);
  std::printf("  diff, one weight:       %8.2f ms\n", t_one);
  std::printf("  diff, from empty:       %8.2f ms  (%zu ops)\n", t_empty, full.size());
  std::printf("  encode full plan:       %8.2f ms  (%zu bytes, %.0f B/op)\n", t_encode, bytes.size(),
              static_cast<double>(bytes.size()) / static_cast<double>(std::max<std::size_t>(full.size(), 1)));
  std::printf("  parse dump messages:    %8.2f ms  (%zu messages, %zu bytes)\n", t_parse, parsed, dump.size());
  std::printf("  FakeKernel apply:       %8.2f ms\n", t_apply);
  std::printf("  (checksum %zu)\n", ops);
  return 0;
}
