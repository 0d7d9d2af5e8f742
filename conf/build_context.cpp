#include "conf/build_context.hpp"

#include <algorithm>
#include <charconv>

namespace conf {

namespace {

std::string quoted_list(std::size_t n) { return n == 1 ? "1 value" : std::to_string(n) + " values"; }

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Damerau-Levenshtein (optimal string alignment): a swapped pair counts as one typo.
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

}  // namespace

std::optional<std::string_view> suggest(std::string_view word, std::span<const std::string_view> candidates) {
  std::optional<std::string_view> best;
  std::size_t best_distance = 3;
  if (word.size() > 64) return std::nullopt;
  for (const auto c : candidates) {
    if (c.size() > word.size() + 2 || word.size() > c.size() + 2) continue;
    const auto dist = edit_distance(word, c);
    if (dist < best_distance) {
      best_distance = dist;
      best = c;
    }
  }
  return best;
}

void report_unknown(BuildContext& ctx, const Statement& s, std::string_view block,
                    std::span<const std::string_view> candidates) {
  std::string msg = "unknown keyword '" + s.keyword.text + "' in '" + std::string(block) + "'";
  if (const auto hint = suggest(s.keyword.text, candidates)) msg += "; did you mean '" + std::string(*hint) + "'?";
  ctx.error(s.keyword, std::move(msg));
}

void report_kind(BuildContext& ctx, const Statement& s, KeywordKind kind, std::string_view modern) {
  switch (kind) {
    case KeywordKind::implemented:
    case KeywordKind::ignored:
      return;
    case KeywordKind::deprecated:
      ctx.warning(s.keyword, "'" + s.keyword.text + "' is deprecated; use '" + std::string(modern) + "'");
      return;
    case KeywordKind::no_effect:
      ctx.warning(s.keyword, "'" + s.keyword.text + "' is accepted but has no effect in vigil");
      return;
  }
}

bool BuildContext::args(const Statement& s, std::size_t min, std::size_t max) {
  if (s.args.size() < min) {
    error(s.keyword, "'" + s.keyword.text + "' needs " + (min == max ? "" : "at least ") + quoted_list(min));
    return false;
  }
  if (s.args.size() > max) {
    error(s.args[max], "unexpected value '" + s.args[max].text + "' after '" + s.keyword.text + "'");
    return false;
  }
  return true;
}

bool BuildContext::no_block(const Statement& s) {
  if (!s.has_block) return true;
  error(s.open_brace, "'" + s.keyword.text + "' does not take a block");
  return false;
}

bool BuildContext::needs_block(const Statement& s) {
  block_used_ = true;
  if (s.has_block) return true;
  error(s.keyword, "'" + s.keyword.text + "' needs a block: " + s.keyword.text + " { ... }");
  return false;
}

std::optional<std::uint64_t> BuildContext::uint(const Token& t, std::uint64_t lo, std::uint64_t hi,
                                                std::string_view what) {
  std::uint64_t v = 0;
  const auto* first = t.text.data();
  const auto* last = first + t.text.size();
  const auto [end, ec] = std::from_chars(first, last, v);
  if (t.text.empty() || ec == std::errc::invalid_argument || end != last) {
    error(t, std::string(what) + " must be a number, not '" + t.text + "'");
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || v < lo || v > hi) {
    error(t, std::string(what) + " " + t.text + " out of range " + std::to_string(lo) + ".." + std::to_string(hi));
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> BuildContext::sint(const Token& t, std::int64_t lo, std::int64_t hi,
                                               std::string_view what) {
  std::int64_t v = 0;
  const auto* first = t.text.data();
  const auto* last = first + t.text.size();
  if (first != last && *first == '+') ++first;
  const auto [end, ec] = std::from_chars(first, last, v);
  if (t.text.empty() || ec == std::errc::invalid_argument || end != last) {
    error(t, std::string(what) + " must be a number, not '" + t.text + "'");
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || v < lo || v > hi) {
    error(t, std::string(what) + " " + t.text + " out of range " + std::to_string(lo) + ".." + std::to_string(hi));
    return std::nullopt;
  }
  return v;
}

std::optional<Duration> BuildContext::timer(const Token& t, Duration lo, Duration hi, std::string_view what) {
  // <TIMER>: seconds, optionally with a fraction; µs resolution (extra digits are truncated).
  const std::string_view text = t.text;
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  auto all_digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (text.empty() || (whole.empty() && frac.empty()) || !all_digits(whole) || !all_digits(frac) ||
      (dot != std::string_view::npos && frac.empty() && whole.empty())) {
    error(t, std::string(what) + " must be a time in seconds (e.g. 3 or 0.5), not '" + t.text + "'");
    return std::nullopt;
  }
  std::uint64_t seconds = 0;
  if (!whole.empty()) {
    if (whole.size() > 9) {
      error(t, std::string(what) + " " + t.text + " is too large");
      return std::nullopt;
    }
    std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  }
  std::uint64_t micros = 0;
  for (std::size_t i = 0; i < 6; ++i) micros = micros * 10 + (i < frac.size() ? static_cast<std::uint64_t>(frac[i] - '0') : 0);
  const Duration value{static_cast<Duration::rep>(seconds * 1'000'000 + micros)};
  if (value < lo || value > hi) {
    auto fmt = [](Duration d) {
      const auto us = d.count();
      std::string s = std::to_string(us / 1'000'000);
      if (us % 1'000'000) {
        std::string f = std::to_string(1'000'000 + us % 1'000'000).substr(1);
        while (!f.empty() && f.back() == '0') f.pop_back();
        s += "." + f;
      }
      return s;
    };
    error(t, std::string(what) + " " + t.text + " out of range " + fmt(lo) + ".." + fmt(hi) + " s");
    return std::nullopt;
  }
  return value;
}

std::optional<IpAddress> BuildContext::ip(const Token& t, std::string_view what) {
  auto a = IpAddress::parse(t.text);
  if (!a) error(t, "invalid " + std::string(what) + " '" + t.text + "'");
  return a;
}

std::optional<IpPrefix> BuildContext::prefix(const Token& t, std::string_view what) {
  auto p = IpPrefix::parse(t.text);
  if (!p) error(t, "invalid " + std::string(what) + " '" + t.text + "'");
  return p;
}

std::optional<std::uint16_t> BuildContext::port(const Token& t) {
  const auto v = uint(t, 0, 65535, "port");
  if (!v) return std::nullopt;
  return static_cast<std::uint16_t>(*v);
}

std::optional<bool> BuildContext::flag(const Statement& s) {
  if (!args(s, 0, 1)) return std::nullopt;
  if (s.args.empty()) return true;
  const auto& v = s.args[0].text;
  if (v == "on" || v == "true" || v == "yes") return true;
  if (v == "off" || v == "false" || v == "no") return false;
  error(s.args[0], "'" + s.keyword.text + "' takes on|off|true|false|yes|no, not '" + v + "'");
  return std::nullopt;
}

std::optional<Script> BuildContext::script(const Statement& s) {
  if (!args(s, 1, 3)) return std::nullopt;
  Script out;
  out.command = s.args[0].text;
  if (s.args.size() > 1) out.user = s.args[1].text;
  if (s.args.size() > 2) out.group = s.args[2].text;
  if (out.command.empty()) {
    error(s.args[0], "'" + s.keyword.text + "' needs a command");
    return std::nullopt;
  }
  out.loc = loc(s.keyword);
  return out;
}

void BuildContext::set_uint(const Statement& s, std::uint32_t& field, std::uint64_t lo, std::uint64_t hi) {
  if (!args(s, 1, 1)) return;
  if (const auto v = uint(s.args[0], lo, hi, s.keyword.text)) field = static_cast<std::uint32_t>(*v);
}

void BuildContext::set_timer(const Statement& s, Duration& field, Duration lo, Duration hi) {
  if (!args(s, 1, 1)) return;
  if (const auto v = timer(s.args[0], lo, hi, s.keyword.text)) field = *v;
}

void BuildContext::set_timer(const Statement& s, std::optional<Duration>& field, Duration lo, Duration hi) {
  if (!args(s, 1, 1)) return;
  if (const auto v = timer(s.args[0], lo, hi, s.keyword.text)) field = *v;
}

void BuildContext::set_uint(const Statement& s, std::optional<std::uint32_t>& field, std::uint64_t lo,
                            std::uint64_t hi) {
  if (!args(s, 1, 1)) return;
  if (const auto v = uint(s.args[0], lo, hi, s.keyword.text)) field = static_cast<std::uint32_t>(*v);
}

void BuildContext::set_flag(const Statement& s, bool& field) {
  if (const auto v = flag(s)) field = *v;
}

void BuildContext::set_string(const Statement& s, std::string& field) {
  if (args(s, 1, 1)) field = s.args[0].text;
}

}  // namespace conf
