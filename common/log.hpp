// DOC: Logging with structured fields. Every line can carry fields such as VRRP_INSTANCE=,
// VRID=, STATE=, VS=, RS=; under systemd they become journald fields (journalctl
// VRRP_INSTANCE=VI_1 filters on them), on a console they are appended as key=value. Loggers are
// objects passed to whoever logs — there is no global logger.
#pragma once

#include <atomic>
#include <chrono>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::log {

enum class Level : int { trace = 0, debug, info, warning, error, critical, off };

struct Field {
  std::string_view key;  // journald field name: upper case, digits, underscore
  std::string value;
};

class Logger {
 public:
  virtual ~Logger() = default;
  void log(Level level, std::string_view message, std::initializer_list<Field> fields = {}) {
    if (enabled(level)) write(level, std::span<const Field>(fields.begin(), fields.size()), message);
  }
  void log(Level level, std::string_view message, std::span<const Field> fields) {
    if (enabled(level)) write(level, fields, message);
  }
  void debug(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::debug, m, f); }
  void info(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::info, m, f); }
  void warning(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::warning, m, f); }
  void error(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::error, m, f); }

  [[nodiscard]] bool enabled(Level level) const noexcept { return level >= level_.load(std::memory_order_relaxed); }
  void set_level(Level level) noexcept { level_.store(level, std::memory_order_relaxed); }
  [[nodiscard]] Level level() const noexcept { return level_.load(std::memory_order_relaxed); }

 protected:
  virtual void write(Level level, std::span<const Field> fields, std::string_view message) = 0;

 private:
  std::atomic<Level> level_{Level::info};
};

/// stderr via spdlog, fields appended as ` KEY=value`.
std::unique_ptr<Logger> make_console_logger();
/// journald via sd_journal_send, fields as journal fields (SYSLOG_IDENTIFIER=vigild).
std::unique_ptr<Logger> make_journal_logger(std::string identifier = "vigild");
/// journald when stderr is connected to the journal ($JOURNAL_STREAM), else the console.
std::unique_ptr<Logger> make_default_logger(bool force_console);

/// Keeps every line in memory; for tests.
class MemoryLogger final : public Logger {
 public:
  struct Line {
    Level level;
    std::string message;
    std::vector<std::pair<std::string, std::string>> fields;
    [[nodiscard]] std::string field(std::string_view key) const;
  };
  [[nodiscard]] std::vector<Line> lines() const;
  [[nodiscard]] bool contains(std::string_view text) const;

 protected:
  void write(Level level, std::span<const Field> fields, std::string_view message) override;

 private:
  mutable std::mutex mutex_;
  std::vector<Line> lines_;
};

/// At most `burst` events per `window`; the count of suppressed events is reported with the
/// next allowed one, so a flood of bad packets costs a few lines, not one per packet.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimiter(std::uint32_t burst, Clock::duration window) : burst_(burst), window_(window) {}
  /// True when this event may be logged; `suppressed` then holds how many were dropped before it.
  bool allow(Clock::time_point now, std::uint64_t& suppressed);

 private:
  std::uint32_t burst_;
  Clock::duration window_;
  Clock::time_point window_start_{};
  std::uint32_t in_window_ = 0;
  std::uint64_t suppressed_ = 0;
};

[[nodiscard]] std::string_view to_string(Level level) noexcept;
[[nodiscard]] bool parse_level(std::string_view text, Level& out) noexcept;

}  // namespace vigil::log
