// Benchmark: parse + validate a generated keepalived.conf with 10,000 virtual servers × 4 real
// servers × TCP_CHECK and 1,000 VRRP instances. Prints wall time, CPU time and peak RSS.
// Goal (issue "Foundation"): under 1 s and under 200 MiB on a 2-core Debian 12 machine.
//   conf_parse_bench [VIRTUAL_SERVERS] [INSTANCES] [RUNS]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "conf/parse_cache.hpp"
#include "conf/parser.hpp"
#include "conf/source_provider.hpp"

namespace {

std::string generate(int virtual_servers, int instances) {
  std::string out;
  out.reserve(static_cast<std::size_t>(virtual_servers) * 700 + static_cast<std::size_t>(instances) * 300);
  out += "global_defs {\n  router_id BENCH\n}\n";
  for (int i = 0; i < instances; ++i) {
    const int vrid = i % 255 + 1;
    const int iface = i / 255;
    out += "vrrp_instance VI_" + std::to_string(i) + " {\n  state BACKUP\n  interface eth" + std::to_string(iface) +
           "\n  virtual_router_id " + std::to_string(vrid) +
           "\n  priority 100\n  advert_int 1\n  authentication {\n    auth_type PASS\n    auth_pass secret\n  }\n"
           "  virtual_ipaddress {\n    10." + std::to_string(100 + iface) + "." + std::to_string(vrid) + ".1/24\n  }\n}\n";
  }
  for (int v = 0; v < virtual_servers; ++v) {
    const std::string vip = "10." + std::to_string(v / 65536) + "." + std::to_string((v / 256) % 256) + "." + std::to_string(v % 256);
    out += "virtual_server " + vip + " 80 {\n  delay_loop 6\n  lvs_sched rr\n  lvs_method NAT\n  protocol TCP\n";
    for (int r = 0; r < 4; ++r) {
      const std::string rip = "172.16." + std::to_string(v % 200) + "." + std::to_string(r + 10);
      out += "  real_server " + rip + " 8080 {\n    weight 1\n    TCP_CHECK {\n      connect_timeout 3\n      retry 3\n"
             "      delay_before_retry 3\n    }\n  }\n";
    }
    out += "}\n";
  }
  return out;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long peak_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  const int virtual_servers = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int instances = argc > 2 ? std::atoi(argv[2]) : 1000;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 3;
  const std::string text = generate(virtual_servers, instances);
  const long rss_before = peak_rss_kib();
  std::printf("config: %d virtual servers x 4 real servers x TCP_CHECK, %d vrrp instances, %.1f MiB of text\n",
              virtual_servers, instances, static_cast<double>(text.size()) / (1 << 20));
  double best = 1e9;
  for (int run = 0; run < runs; ++run) {
    conf::MemoryFileSystem fs;
    fs.add("/bench/keepalived.conf", text);
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    const auto result = conf::parse_file("/bench/keepalived.conf", fs, conf::ParseOptions{"bench"});
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    best = std::min(best, wall);
    std::printf("run %d: parse+validate %.3f s wall, %.3f s cpu; %zu errors, %zu warnings; %zu vs, %zu instances\n", run + 1,
                wall, cpu, result.diagnostics.error_count(), result.diagnostics.warning_count(),
                result.config.virtual_servers.size(), result.config.vrrp_instances.size());
    if (result.diagnostics.has_errors()) return 1;
  }
  std::printf("best: %.3f s; peak RSS %.1f MiB (text alone %.1f MiB before parsing); goal < 1 s and < 200 MiB\n", best,
              static_cast<double>(peak_rss_kib()) / 1024, static_cast<double>(rss_before) / 1024);

  // A reload's parse through the cache (conf/parse_cache.hpp): one real server's weight in the
  // last virtual server changes, every other block is taken unchanged.
  if (virtual_servers > 0) {
    conf::ParseCache cache;
    conf::ParseOptions options{"bench"};
    options.cache = &cache;
    conf::MemoryFileSystem fs;
    fs.add("/bench/keepalived.conf", text);
    (void)conf::parse_file("/bench/keepalived.conf", fs, options);
    std::string changed = text;
    changed.replace(changed.rfind("weight 1"), 8, "weight 2");
    double best_cached = 1e9;
    std::size_t reused = 0;
    for (int run = 0; run < runs; ++run) {
      fs.add("/bench/keepalived.conf", run % 2 == 0 ? changed : text);
      const auto t0 = std::chrono::steady_clock::now();
      const auto result = conf::parse_file("/bench/keepalived.conf", fs, options);
      best_cached = std::min(best_cached, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      reused = result.reused_virtual_servers;
      if (result.diagnostics.has_errors()) return 1;
    }
    std::printf("reload through the parse cache, one weight changed: best %.4f s (%zu of %d virtual servers reused)\n",
                best_cached, reused, virtual_servers);
  }
  return 0;
}
