// AsioScriptRunner against real child processes: exit codes, appended arguments, no shell for
// plain commands, timeouts that kill the whole process group, output floods, failures to start,
// and the enable_script_security refusal.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/process/script_runner.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct Runner {
  boost::asio::io_context io;
  vigil::log::MemoryLogger log;
  vigil::process::AsioScriptRunner runner{io, log, vigil::process::ScriptPolicy{}};

  vigil::ScriptOutcome run(vigil::ScriptSpec spec, std::chrono::seconds limit = 10s) {
    std::optional<vigil::ScriptOutcome> out;
    runner.run(spec, [&](const vigil::ScriptOutcome& o) { out = o; });
    io.restart();
    io.run_for(limit);  // returns as soon as the child is reaped (no other work)
    REQUIRE(out.has_value());
    return *out;
  }
};

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("vigil-script-test-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  fs::path script(const std::string& name, const std::string& body) const {
    const auto p = path / name;
    std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(p, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    return p;
  }
};

}  // namespace

TEST_CASE("exit status and appended arguments come back", "[scripts]") {
  Runner r;
  TempDir dir;
  const auto out = dir.path / "args";
  const auto s = dir.script("notify", "echo \"$@\" > " + out.string() + "; exit 3");
  vigil::ScriptSpec spec{s.string() + " first", {}, {}, 5s, {"INSTANCE", "VI_1", "MASTER", "100"}};
  const auto o = r.run(spec);
  CHECK(o.kind == vigil::ScriptOutcome::Kind::exited);
  CHECK(o.code == 3);
  std::string line;
  std::getline(std::ifstream(out), line);
  CHECK(line == "first INSTANCE VI_1 MASTER 100");
}

TEST_CASE("plain commands run without a shell; shell syntax gets one", "[scripts]") {
  Runner r;
  TempDir dir;
  const auto marker = dir.path / "m";
  // Without a shell the `;` is just an argument to /bin/echo, and nothing is created.
  CHECK(r.run({"/bin/echo a;touch " + marker.string(), {}, {}, 5s, {}}).success());
  CHECK(fs::exists(marker));  // `;` needs the shell: split_command hands it to /bin/sh -c
  fs::remove(marker);
  CHECK(r.run({"/bin/echo 'a;touch " + marker.string() + "'", {}, {}, 5s, {}}).success());
  CHECK_FALSE(fs::exists(marker));  // quoted: one argument, no shell, no file
}

TEST_CASE("a script that hangs is killed with its process group at the timeout", "[scripts]") {
  Runner r;
  TempDir dir;
  const auto child_pid = dir.path / "child";
  const auto s = dir.script("hang", "sleep 60 & echo $! > " + child_pid.string() + "; wait");
  const auto started = std::chrono::steady_clock::now();
  const auto o = r.run({s.string(), {}, {}, 300ms, {}});
  CHECK(o.kind == vigil::ScriptOutcome::Kind::timed_out);
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  pid_t pid = 0;
  std::ifstream(child_pid) >> pid;
  REQUIRE(pid > 0);
  // The grandchild (sleep) died too: kill(pid, 0) fails once it is gone (it may be a zombie of
  // init for an instant, so poll briefly).
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    std::string stat;
    std::getline(std::ifstream("/proc/" + std::to_string(pid) + "/stat"), stat);
    const auto paren = stat.rfind(')');
    gone = stat.empty() || (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z');
    if (!gone) std::this_thread::sleep_for(10ms);  // polling a process we do not own: no event to await
  }
  CHECK(gone);
}

TEST_CASE("a script flooding its output cannot grow memory: the pipe is closed", "[scripts]") {
  Runner r;
  const auto o = r.run({"/usr/bin/yes", {}, {}, 10s, {}});
  CHECK(o.kind == vigil::ScriptOutcome::Kind::signaled);
  CHECK(o.code == SIGPIPE);
}

TEST_CASE("a missing program fails to start with the reason", "[scripts]") {
  Runner r;
  const auto o = r.run({"/nonexistent/notify.sh", {}, {}, 5s, {}});
  CHECK(o.kind == vigil::ScriptOutcome::Kind::failed_to_start);
  CHECK(o.error.find("No such file") != std::string::npos);
}

TEST_CASE("enable_script_security refuses a script others could modify", "[scripts]") {
  boost::asio::io_context io;
  vigil::log::MemoryLogger log;
  vigil::process::AsioScriptRunner runner{io, log, vigil::process::ScriptPolicy{std::nullopt, std::nullopt, true}};
  TempDir dir;
  const auto s = dir.script("check", "exit 0");
  fs::permissions(s, fs::perms::others_write, fs::perm_options::add);
  std::optional<vigil::ScriptOutcome> out;
  runner.run({s.string(), {}, {}, 5s, {}}, [&](const vigil::ScriptOutcome& o) { out = o; });
  io.run_for(5s);
  REQUIRE(out);
  CHECK(out->kind == vigil::ScriptOutcome::Kind::failed_to_start);
  CHECK(out->error.find("refused by enable_script_security") != std::string::npos);
  CHECK(out->error.find("writable by everyone") != std::string::npos);
  CHECK(vigil::process::insecure_script("/bin/true") == std::nullopt);
}

TEST_CASE("enable_script_security checks the program of a shell command too, and logs a refusal once",
          "[scripts]") {
  boost::asio::io_context io;
  vigil::log::MemoryLogger log;
  vigil::process::AsioScriptRunner runner{io, log, vigil::process::ScriptPolicy{std::nullopt, std::nullopt, true}};
  TempDir dir;
  const auto s = dir.script("check", "exit 0");
  fs::permissions(s, fs::perms::others_write, fs::perm_options::add);
  auto run = [&](const std::string& command) {
    std::optional<vigil::ScriptOutcome> out;
    runner.run({command, {}, {}, 5s, {}}, [&](const vigil::ScriptOutcome& o) { out = o; });
    io.restart();
    io.run_for(5s);
    REQUIRE(out);
    return *out;
  };
  // Shell syntax after the program used to skip the check entirely.
  const std::string via_shell = s.string() + " > /dev/null";
  for (int i = 0; i < 3; ++i) {
    const auto o = run(via_shell);
    CHECK(o.kind == vigil::ScriptOutcome::Kind::failed_to_start);
    CHECK(o.error.find("refused by enable_script_security") != std::string::npos);
  }
  // A first word that names no program cannot be checked: refused as well.
  CHECK(run("X=1 " + s.string()).kind == vigil::ScriptOutcome::Kind::failed_to_start);
  std::size_t warnings = 0;
  for (const auto& line : log.lines())
    if (line.level == vigil::log::Level::warning && line.message.find(via_shell) != std::string::npos) ++warnings;
  CHECK(warnings == 1);  // once per command, however often it is refused
  CHECK(run("/bin/true > /dev/null").success());  // a root-owned program in root-owned directories
}
