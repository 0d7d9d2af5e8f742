#include <catch2/catch.hpp>

#include <random>
#include <thread>

#include "conf/json_dump.hpp"
#include "conf/parse_cache.hpp"
#include "conf/parser.hpp"
#include "conf/source_provider.hpp"

namespace {

std::string virtual_server(int i, int weight = 1, const std::string& extra = "") {
  const std::string n = std::to_string(i);
  return "virtual_server 10.0.0." + n + " 80 {\n    lvs_sched rr\n    lvs_method NAT\n" + extra +
         "    real_server 192.168.1." + n + " 8080 {\n        weight " + std::to_string(weight) +
         "\n        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n}\n";
}

std::string config(int count, int changed = -1, int weight = 2) {
  std::string out = "global_defs {\n    router_id CACHE\n}\n";
  for (int i = 1; i <= count; ++i) out += virtual_server(i, i == changed ? weight : 1);
  return out;
}

struct Parsed {
  conf::ParseResult result;
  std::string dump;          // the model, locations included
  std::vector<std::string> diagnostics;
};

Parsed parse(conf::MemoryFileSystem& fs, conf::ParseCache* cache, const std::string& main = "/etc/k.conf") {
  conf::ParseOptions options{"host1"};
  options.cache = cache;
  Parsed p{conf::parse_file(main, fs, options), {}, {}};
  auto json = conf::to_json(p.result.config);
  json.erase("global_defs");  // router_id defaults to the host name; not what is compared here
  p.dump = json.dump(1);
  for (const auto& d : p.result.sorted_diagnostics()) p.diagnostics.push_back(d.to_string());
  return p;
}

/// Parses through the cache and without it; both must say the same.
Parsed parse_both(conf::MemoryFileSystem& fs, conf::ParseCache& cache, const std::string& main = "/etc/k.conf") {
  auto cached = parse(fs, &cache, main);
  const auto fresh = parse(fs, nullptr, main);
  CHECK(cached.dump == fresh.dump);
  CHECK(cached.diagnostics == fresh.diagnostics);
  return cached;
}

/// Parses config(count) through a fresh cache, then the same text after `edit`; returns the
/// second parse (checked against a parse without the cache, as every parse here).
template <typename Edit>
Parsed reload_edited(int count, Edit edit) {
  conf::MemoryFileSystem fs;
  conf::ParseCache cache;
  fs.add("/etc/k.conf", config(count));
  parse_both(fs, cache);
  auto text = config(count);
  edit(text);
  fs.add("/etc/k.conf", text);
  return parse_both(fs, cache);
}

}  // namespace

TEST_CASE("a reload through the cache reads only the virtual_server block that changed", "[parse_cache]") {
  conf::MemoryFileSystem fs;
  conf::ParseCache cache;
  fs.add("/etc/k.conf", config(5));
  const auto first = parse_both(fs, cache);
  CHECK(first.result.reused_virtual_servers == 0);
  CHECK(cache.stats().cached == 5);

  fs.add("/etc/k.conf", config(5, 3, 7));
  const auto second = parse_both(fs, cache);
  CHECK(second.result.reused_virtual_servers == 4);
  REQUIRE(second.result.config.virtual_servers.size() == 5);
  CHECK(second.result.config.virtual_servers[2]->real_servers.at(0).weight == 7);
  // unchanged blocks are the very objects of the previous configuration, in file order
  for (std::size_t i : {0U, 1U, 3U, 4U})
    CHECK(second.result.config.virtual_servers[i] == first.result.config.virtual_servers[i]);
  CHECK(second.result.config.virtual_servers[2] != first.result.config.virtual_servers[2]);

  // the cache now holds the new block: the next identical parse reuses all five
  const auto third = parse_both(fs, cache);
  CHECK(third.result.reused_virtual_servers == 5);
}

TEST_CASE("an edit that shifts lines costs the blocks below it a normal read, with right locations", "[parse_cache]") {
  const auto shifted = reload_edited(
      4, [](std::string& text) { text.insert(text.find("virtual_server 10.0.0.3"), "# a new comment line\n"); });
  CHECK(shifted.result.reused_virtual_servers == 2);
  CHECK(shifted.result.config.virtual_servers[2]->loc.line == 25);
}

TEST_CASE("blocks whose meaning depends on more than their bytes are read every time", "[parse_cache]") {
  conf::MemoryFileSystem fs;
  conf::ParseCache cache;
  SECTION("$NAME substitution") {
    const auto with = [](const std::string& weight) {
      return "$W=" + weight + "\n" + virtual_server(1) + "virtual_server 10.0.0.2 80 {\n  real_server 1.1.1.1 80 {\n"
             "    weight $W\n  }\n}\n";
    };
    fs.add("/etc/k.conf", with("4"));
    parse_both(fs, cache);
    fs.add("/etc/k.conf", with("9"));
    const auto p = parse_both(fs, cache);
    CHECK(p.result.reused_virtual_servers == 1);
    CHECK(p.result.config.virtual_servers[1]->real_servers.at(0).weight == 9);
  }
  SECTION("@host lines") {
    const std::string text = virtual_server(1) + "virtual_server 10.0.0.2 80 {\n@host1 lvs_sched sh\n@^host1 lvs_sched wrr\n}\n";
    fs.add("/etc/k.conf", text);
    parse_both(fs, cache);
    const auto p = parse_both(fs, cache);
    CHECK(p.result.reused_virtual_servers == 1);
    CHECK(p.result.config.virtual_servers[1]->scheduler == "sh");
  }
  SECTION("a block with a warning keeps reporting it") {
    fs.add("/etc/k.conf", virtual_server(1, 1, "    lb_algo rr\n") + virtual_server(2));
    const auto first = parse_both(fs, cache);
    REQUIRE(first.diagnostics.size() == 1);
    const auto again = parse_both(fs, cache);
    CHECK(again.result.reused_virtual_servers == 1);
    CHECK(again.diagnostics == first.diagnostics);
  }
  SECTION("a reused block whose validation warns keeps warning") {
    fs.add("/etc/k.conf", virtual_server(1, 1, "    quorum 9\n") + virtual_server(2));
    const auto first = parse_both(fs, cache);
    REQUIRE(first.diagnostics.size() == 1);  // quorum 9 is more than the total weight 1
    const auto again = parse_both(fs, cache);
    CHECK(again.result.reused_virtual_servers == 2);
    CHECK(again.diagnostics == first.diagnostics);
  }
  SECTION("a statement after the closing brace on the same line") {
    auto text = virtual_server(1) + virtual_server(2);
    text.replace(text.rfind("}\n"), 2, "} virtual_server_group G { 10.0.0.9 80 }\n");
    fs.add("/etc/k.conf", text);
    parse_both(fs, cache);
    const auto p = parse_both(fs, cache);
    CHECK(p.result.reused_virtual_servers == 1);
    CHECK(p.result.config.virtual_server_groups.size() == 1);
  }
}

TEST_CASE("cross-block checks still see every virtual server", "[parse_cache]") {
  // the third block becomes a duplicate of the first: only it is read, the error names both
  const auto p = reload_edited(3, [](std::string& text) { text.replace(text.find("10.0.0.3 80"), 11, "10.0.0.1 80"); });
  CHECK(p.result.reused_virtual_servers == 2);
  CHECK(p.result.diagnostics.has_errors());
}

TEST_CASE("included files are cached by path; a file included twice is read normally", "[parse_cache]") {
  conf::MemoryFileSystem fs;
  conf::ParseCache cache;
  fs.add("/etc/k.conf", "include conf.d/*.conf\n");
  fs.add("/etc/conf.d/a.conf", virtual_server(1) + virtual_server(2));
  fs.add("/etc/conf.d/b.conf", virtual_server(3, 1, "    delay_loop 3\n"));
  parse_both(fs, cache);
  fs.add("/etc/conf.d/a.conf", virtual_server(1) + virtual_server(2, 5));
  const auto p = parse_both(fs, cache);
  CHECK(p.result.reused_virtual_servers == 2);
  CHECK(p.result.config.virtual_servers[1]->real_servers.at(0).weight == 5);

  fs.add("/etc/k.conf", "include conf.d/a.conf\ninclude conf.d/a.conf\n");
  // duplicates: an error, the same with and without the cache. The first read takes both blocks
  // over from the cache; the second finds them taken and reads the file normally.
  const auto first_twice = parse_both(fs, cache);
  CHECK(first_twice.result.reused_virtual_servers == 2);
  const auto twice = parse_both(fs, cache);
  CHECK(twice.result.diagnostics.has_errors());
}

TEST_CASE("random one-line edits parse the same with and without the cache", "[parse_cache]") {
  // Each round edits one line of the previous text (change a digit, delete, duplicate, or break
  // a brace) and compares the cached parse with a fresh one: model, locations and diagnostics.
  std::mt19937 rng(20261126);
  conf::MemoryFileSystem fs;
  conf::ParseCache cache;
  std::string text = config(6) + "virtual_server 10.0.0.50 80\n{\n  real_server 1.2.3.4 80 {\n  }\n}\n";
  fs.add("/etc/k.conf", text);
  parse_both(fs, cache);
  std::size_t reused = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<std::size_t> starts{0};
    for (std::size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n' && i + 1 < text.size()) starts.push_back(i + 1);
    const std::size_t begin = starts[rng() % starts.size()];
    const std::size_t end = text.find('\n', begin) + 1;
    const std::string line = text.substr(begin, end - begin);
    switch (rng() % 5) {
      case 0:
      case 1: {  // change a digit, or the first character when there is none
        const auto digit = line.find_first_of("0123456789");
        text[digit == std::string::npos ? begin : begin + digit] = static_cast<char>('1' + rng() % 8);
        break;
      }
      case 2: text.erase(begin, end - begin); break;
      case 3: text.insert(begin, line); break;
      default: text.insert(begin, rng() % 2 ? "}\n" : "{\n"); break;
    }
    if (text.empty() || text.back() != '\n') text += "\n";
    fs.add("/etc/k.conf", text);
    INFO("round " << round << ":\n" << text);
    reused += parse_both(fs, cache).result.reused_virtual_servers;
    if (round % 50 == 49) {  // start again from a clean file now and then
      text = config(6);
      fs.add("/etc/k.conf", text);
      parse_both(fs, cache);
    }
  }
  CHECK(reused > 150);  // the cache was actually used, not bypassed (185 with this seed)
}

TEST_CASE("objects built through the cache outlive it, and may be released on another thread", "[parse_cache]") {
  conf::MemoryFileSystem fs;
  fs.add("/etc/k.conf", config(3));
  std::shared_ptr<const conf::VirtualServer> kept;
  {
    conf::ParseCache cache;
    auto first = parse(fs, &cache);
    REQUIRE(first.result.config.virtual_servers.size() == 3);
    auto second = parse(fs, &cache);
    CHECK(second.result.reused_virtual_servers == 3);
    // the same object in both parses: shared, not copied
    CHECK(second.result.config.virtual_servers[1].get() == first.result.config.virtual_servers[1].get());
    kept = second.result.config.virtual_servers[1];
    CHECK(kept.use_count() == 4);  // two parses, the cache, and `kept`
  }  // the cache and both parses are gone; the pool lives on in the object's control block
  REQUIRE(kept.use_count() == 1);
  CHECK(kept->key() == "10.0.0.2:80/tcp");
  CHECK(kept->real_servers.at(0).weight == 1);
  std::thread([released = std::move(kept)]() mutable { released.reset(); }).join();
  CHECK_FALSE(kept);
}

TEST_CASE("an object pool gives out objects that keep their values and their pool", "[parse_cache]") {
  std::vector<std::shared_ptr<const std::string>> strings;
  {
    const conf::ObjectPool pool;
    for (int i = 0; i < 1000; ++i) strings.push_back(pool.make(std::string(40, static_cast<char>('a' + i % 26))));
  }
  for (int i = 0; i < 1000; ++i) CHECK(*strings[static_cast<std::size_t>(i)] == std::string(40, static_cast<char>('a' + i % 26)));
  // released from two threads at once: the pool is thread-safe
  std::vector<std::shared_ptr<const std::string>> other(strings.begin() + 500, strings.end());
  strings.resize(500);
  std::thread t([&other] { other.clear(); });
  strings.clear();
  t.join();
  CHECK(other.empty());
}
