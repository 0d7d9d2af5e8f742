#include "common/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>

#include <cstdlib>
#include <cstring>

namespace vigil::log {

std::string_view to_string(Level level) noexcept {
  switch (level) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warning: return "warning";
    case Level::error: return "error";
    case Level::critical: return "critical";
    case Level::off: return "off";
  }
  return "?";
}

bool parse_level(std::string_view text, Level& out) noexcept {
  for (int i = 0; i <= static_cast<int>(Level::off); ++i) {
    const auto l = static_cast<Level>(i);
    if (to_string(l) == text) {
      out = l;
      return true;
    }
  }
  if (text == "warn") {
    out = Level::warning;
    return true;
  }
  return false;
}

namespace {

spdlog::level::level_enum to_spdlog(Level l) {
  switch (l) {
    case Level::trace: return spdlog::level::trace;
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warning: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::critical: return spdlog::level::critical;
    case Level::off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

int to_syslog_priority(Level l) {
  switch (l) {
    case Level::trace:
    case Level::debug: return 7;
    case Level::info: return 6;
    case Level::warning: return 4;
    case Level::error: return 3;
    case Level::critical: return 2;
    case Level::off: return 6;
  }
  return 6;
}

class ConsoleLogger final : public Logger {
 public:
  ConsoleLogger() : logger_("vigild", std::make_shared<spdlog::sinks::stderr_color_sink_mt>()) {
    logger_.set_level(spdlog::level::trace);
    logger_.set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-7l%$ %v");
  }

 protected:
  void write(Level level, std::span<const Field> fields, std::string_view message) override {
    std::string line(message);
    for (const auto& f : fields) {
      line += ' ';
      line += f.key;
      line += '=';
      line += f.value;
    }
    logger_.log(to_spdlog(level), "{}", line);
    if (level >= Level::warning) logger_.flush();
  }

 private:
  spdlog::logger logger_;
};

class JournalLogger final : public Logger {
 public:
  explicit JournalLogger(std::string identifier) : identifier_("SYSLOG_IDENTIFIER=" + std::move(identifier)) {}

 protected:
  void write(Level level, std::span<const Field> fields, std::string_view message) override {
    std::vector<std::string> owned;
    owned.reserve(fields.size() + 2);
    owned.push_back("MESSAGE=" + std::string(message));
    owned.push_back("PRIORITY=" + std::to_string(to_syslog_priority(level)));
    for (const auto& f : fields) owned.push_back(std::string(f.key) + "=" + f.value);
    std::vector<iovec> iov;
    iov.reserve(owned.size() + 1);
    for (auto& s : owned) iov.push_back({s.data(), s.size()});
    iov.push_back({identifier_.data(), identifier_.size()});
    sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
  }

 private:
  std::string identifier_;
};

bool stderr_is_journal() {
  // systemd sets JOURNAL_STREAM=dev:inode for the stream stderr is connected to.
  const char* js = std::getenv("JOURNAL_STREAM");
  if (!js) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  const std::string expected = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  return expected == js;
}

}  // namespace

std::unique_ptr<Logger> make_console_logger() { return std::make_unique<ConsoleLogger>(); }
std::unique_ptr<Logger> make_journal_logger(std::string identifier) {
  return std::make_unique<JournalLogger>(std::move(identifier));
}
std::unique_ptr<Logger> make_default_logger(bool force_console) {
  if (!force_console && stderr_is_journal()) return make_journal_logger();
  return make_console_logger();
}

std::string MemoryLogger::Line::field(std::string_view key) const {
  for (const auto& [k, v] : fields)
    if (k == key) return v;
  return {};
}

void MemoryLogger::write(Level level, std::span<const Field> fields, std::string_view message) {
  Line line{level, std::string(message), {}};
  for (const auto& f : fields) line.fields.emplace_back(std::string(f.key), f.value);
  std::lock_guard lock(mutex_);
  lines_.push_back(std::move(line));
}

std::vector<MemoryLogger::Line> MemoryLogger::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

bool MemoryLogger::contains(std::string_view text) const {
  std::lock_guard lock(mutex_);
  for (const auto& l : lines_)
    if (l.message.find(text) != std::string::npos) return true;
  return false;
}

bool RateLimiter::allow(Clock::time_point now, std::uint64_t& suppressed) {
  if (now - window_start_ >= window_) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ < burst_) {
    ++in_window_;
    suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }
  ++suppressed_;
  return false;
}

}  // namespace vigil::log
