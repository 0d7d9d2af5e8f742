#include <catch2/catch.hpp>

#include "conf/parser.hpp"
#include "conf/source_provider.hpp"

namespace {

std::vector<std::string> messages(const conf::ParseResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.sorted_diagnostics()) out.push_back(d.to_string());
  return out;
}

conf::ParseResult parse(conf::MemoryFileSystem& fs, const std::string& main, std::string id = "host1") {
  return conf::parse_file(main, fs, conf::ParseOptions{std::move(id)});
}

}  // namespace

TEST_CASE("include reads files relative to the including file, globs sorted", "[reader]") {
  conf::MemoryFileSystem fs;
  fs.add("/etc/k/main.conf", "include conf.d/*.conf\ninclude /etc/k/other.conf\n");
  fs.add("/etc/k/conf.d/b.conf", "vrrp_script chk_b { script /bin/true }\n");
  fs.add("/etc/k/conf.d/a.conf", "vrrp_script chk_a { script /bin/true }\n");
  fs.add("/etc/k/other.conf", "vrrp_script chk_c { script /bin/true }\n");
  const auto r = parse(fs, "/etc/k/main.conf");
  CHECK(messages(r).empty());
  REQUIRE(r.config.vrrp_scripts.size() == 3);
  CHECK(r.config.vrrp_scripts[0].name == "chk_a");
  CHECK(r.config.vrrp_scripts[1].name == "chk_b");
  CHECK(r.config.vrrp_scripts[2].name == "chk_c");
  CHECK(*r.config.vrrp_scripts[1].loc.file == "/etc/k/conf.d/b.conf");
  CHECK(r.files.size() == 4);
}

TEST_CASE("include may split a block across files", "[reader]") {
  conf::MemoryFileSystem fs;
  fs.add("/c/main.conf", "vrrp_script chk {\ninclude body.conf\n}\n");
  fs.add("/c/body.conf", "script /bin/true\ninterval 2\n");
  const auto r = parse(fs, "/c/main.conf");
  CHECK(messages(r).empty());
  REQUIRE(r.config.vrrp_scripts.size() == 1);
  CHECK(r.config.vrrp_scripts[0].interval == std::chrono::seconds(2));
}

TEST_CASE("include loops and missing files are errors at the include line", "[reader]") {
  conf::MemoryFileSystem fs;
  fs.add("/c/a.conf", "include b.conf\n");
  fs.add("/c/b.conf", "\n  include a.conf\n");
  const auto loop = parse(fs, "/c/a.conf");
  CHECK(messages(loop) == std::vector<std::string>{"/c/b.conf:2:11: error: include loop: /c/a.conf -> /c/b.conf -> /c/a.conf"});

  fs.add("/c/m.conf", "include missing.conf\ninclude none/*.conf\n");
  const auto missing = parse(fs, "/c/m.conf");
  CHECK(messages(missing) == std::vector<std::string>{
                                 "/c/m.conf:1:9: error: cannot read included file '/c/missing.conf': No such file or directory",
                                 "/c/m.conf:2:9: warning: no files match include pattern 'none/*.conf'"});
}

TEST_CASE("$NAME=value definitions substitute, including multi-line ones", "[reader]") {
  conf::MemoryFileSystem fs;
  fs.add("/c/d.conf",
         "$IF=eth1\n"
         "$ADDRS=10.0.0.1 \\\n"
         "10.0.0.2\n"
         "vrrp_instance VI_1 {\n"
         "  interface $IF\n"
         "  virtual_router_id 7\n"
         "  virtual_ipaddress {\n"
         "    ${ADDRS}\n"
         "  }\n"
         "}\n");
  const auto r = parse(fs, "/c/d.conf");
  CHECK(messages(r).empty());
  REQUIRE(r.config.vrrp_instances.size() == 1);
  CHECK(r.config.vrrp_instances[0].interface == "eth1");
  REQUIRE(r.config.vrrp_instances[0].vips.size() == 2);
  CHECK(r.config.vrrp_instances[0].vips[1].prefix.address.to_string() == "10.0.0.2");
}

TEST_CASE("@ID lines are kept only for the matching config id, @^ID for the others", "[reader]") {
  conf::MemoryFileSystem fs;
  fs.add("/c/c.conf",
         "vrrp_instance VI_1 {\n"
         "  interface eth0\n"
         "  virtual_router_id 1\n"
         "@high  priority 170\n"
         "@low   priority 85\n"
         "@^high nopreempt\n"
         "  virtual_ipaddress { 10.1.0.254/32 }\n"
         "}\n");
  const auto high = parse(fs, "/c/c.conf", "high");
  CHECK(messages(high).empty());
  CHECK(high.config.vrrp_instances[0].priority == 170);
  CHECK(high.config.vrrp_instances[0].preempt);
  const auto low = parse(fs, "/c/c.conf", "low");
  CHECK(low.config.vrrp_instances[0].priority == 85);
  CHECK_FALSE(low.config.vrrp_instances[0].preempt);
}

TEST_CASE("unreadable, empty and binary files get one clear diagnostic", "[reader]") {
  conf::MemoryFileSystem fs;
  fs.add("/c/empty.conf", "");
  fs.add("/c/bin.conf", std::string("global_defs {\n\x01\x02\0\xff", 18));
  CHECK(messages(parse(fs, "/c/nothere.conf")) ==
        std::vector<std::string>{"/c/nothere.conf: error: cannot read configuration file: No such file or directory"});
  CHECK(messages(parse(fs, "/c/empty.conf")) == std::vector<std::string>{"/c/empty.conf: warning: configuration file is empty"});
  CHECK(messages(parse(fs, "/c/bin.conf")) ==
        std::vector<std::string>{"/c/bin.conf:2:1: error: file contains a NUL byte: this is not a text configuration file"});
}

TEST_CASE("a directory or a real unreadable path is reported, never thrown", "[reader]") {
  const auto dir = conf::parse_file("/");
  REQUIRE(dir.diagnostics.error_count() == 1);
  CHECK(dir.sorted_diagnostics()[0].message == "cannot read configuration file: is a directory");
}

TEST_CASE("an endless non-regular file is cut at the size limit, not read forever", "[reader]") {
  const auto endless = conf::parse_file("/dev/zero");  // stat() cannot size it
  REQUIRE(endless.diagnostics.error_count() == 1);
  CHECK_THAT(endless.sorted_diagnostics()[0].message, Catch::StartsWith("cannot read configuration file: file is larger than"));
}
