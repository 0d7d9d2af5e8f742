// DOC: BuildContext and keyword tables — the statement tree into the typed model.
//
// Each block has a table of the keywords keepalived accepts there. A keyword is one of:
//   implemented   — handled, its value checked and stored;
//   deprecated    — handled like its modern spelling, with a warning naming it;
//   no_effect     — keepalived knows it, vigil does not implement it: a warning says so;
//   ignored       — keepalived's own silent no-ops (`preempt`, `hashed`, `debug`).
// A keyword in no table is a typo: an error with a suggestion when one is within edit distance 2
// (DESIGN.md; keepalived issue #763 is what ignoring typos costs). Value errors are reported at
// the token that is wrong; the statement is skipped and parsing continues.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conf/diagnostics.hpp"
#include "conf/file_table.hpp"
#include "conf/model.hpp"
#include "conf/tree.hpp"

namespace conf {

class BuildContext {
 public:
  BuildContext(Diagnostics& diag, const FileTable& files) : diag_(diag), files_(files) {}

  [[nodiscard]] Diagnostics& diag() noexcept { return diag_; }
  [[nodiscard]] SourceLoc loc(const Token& t) const { return files_.loc(t); }
  void error(const Token& at, std::string message) { diag_.error(loc(at), std::move(message)); }
  void warning(const Token& at, std::string message) { diag_.warning(loc(at), std::move(message)); }

  // Arity: reports "'kw' needs …" / "unexpected value …" and returns false when wrong.
  bool args(const Statement& s, std::size_t min, std::size_t max);
  bool no_block(const Statement& s);    // error if a block was given
  bool needs_block(const Statement& s); // error if no block was given; marks the block as used
  /// Handlers that read a statement's block say so through needs_block(); a block nobody read
  /// belongs to a keyword that takes none, and dispatch reports it.
  [[nodiscard]] bool block_used() const noexcept { return block_used_; }
  void set_block_used(bool used) noexcept { block_used_ = used; }

  // Values. Each reports its own error at the token and returns nullopt when invalid.
  std::optional<std::uint64_t> uint(const Token& t, std::uint64_t lo, std::uint64_t hi, std::string_view what);
  std::optional<std::int64_t> sint(const Token& t, std::int64_t lo, std::int64_t hi, std::string_view what);
  /// keepalived <TIMER>: seconds with an optional fraction, µs resolution.
  std::optional<Duration> timer(const Token& t, Duration lo, Duration hi, std::string_view what);
  std::optional<IpAddress> ip(const Token& t, std::string_view what);
  std::optional<IpPrefix> prefix(const Token& t, std::string_view what);
  std::optional<std::uint16_t> port(const Token& t);
  /// <BOOL>: bare keyword = true, or one of on/off/true/false/yes/no.
  std::optional<bool> flag(const Statement& s);
  /// Script: the command (all args joined, as keepalived does for unquoted words) + user/group.
  std::optional<Script> script(const Statement& s);

  // Convenience setters: parse the single argument and assign when valid.
  void set_uint(const Statement& s, std::uint32_t& field, std::uint64_t lo, std::uint64_t hi);
  void set_timer(const Statement& s, Duration& field, Duration lo = Duration{0},
                 Duration hi = std::chrono::hours(24 * 365));
  void set_timer(const Statement& s, std::optional<Duration>& field, Duration lo = Duration{0},
                 Duration hi = std::chrono::hours(24 * 365));
  void set_uint(const Statement& s, std::optional<std::uint32_t>& field, std::uint64_t lo, std::uint64_t hi);
  void set_flag(const Statement& s, bool& field);
  void set_string(const Statement& s, std::string& field);

 private:
  Diagnostics& diag_;
  const FileTable& files_;
  bool block_used_ = false;
};

enum class KeywordKind : std::uint8_t { implemented, deprecated, no_effect, ignored };

template <typename T>
struct Keyword {
  std::string_view name;
  void (*handle)(BuildContext&, const Statement&, T&) = nullptr;
  KeywordKind kind = KeywordKind::implemented;
  std::string_view modern = {};  // deprecated: the keyword to use instead
};

/// Closest candidate within edit distance 2, for "did you mean".
[[nodiscard]] std::optional<std::string_view> suggest(std::string_view word, std::span<const std::string_view> candidates);

void report_unknown(BuildContext& ctx, const Statement& s, std::string_view block,
                    std::span<const std::string_view> candidates);
void report_kind(BuildContext& ctx, const Statement& s, KeywordKind kind, std::string_view modern);

/// The keywords of one block, indexed once. Instances are function-local `static const`s.
template <typename T>
class KeywordTable {
 public:
  KeywordTable(std::string_view block, std::initializer_list<Keyword<T>> entries)
      : KeywordTable(block, std::vector<Keyword<T>>(entries)) {}
  KeywordTable(std::string_view block, std::vector<Keyword<T>> entries) : block_(block), entries_(std::move(entries)) {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      index_.emplace(entries_[i].name, i);
      names_.push_back(entries_[i].name);
    }
  }

  /// Runs every statement through the table into `target`.
  void dispatch(BuildContext& ctx, const std::vector<Statement>& statements, T& target) const {
    for (const auto& s : statements) dispatch_one(ctx, s, target);
  }

  void dispatch_one(BuildContext& ctx, const Statement& s, T& target) const {
    const auto it = s.keyword.quoted ? index_.end() : index_.find(s.keyword.text);
    if (it == index_.end()) {
      report_unknown(ctx, s, block_, names_);
      return;
    }
    const Keyword<T>& k = entries_[it->second];
    report_kind(ctx, s, k.kind, k.modern);
    if (!k.handle) return;
    const bool enclosing_used = ctx.block_used();  // handlers nest: restore the caller's flag
    ctx.set_block_used(false);
    k.handle(ctx, s, target);
    if (s.has_block && !ctx.block_used()) ctx.no_block(s);
    ctx.set_block_used(enclosing_used);
  }

  [[nodiscard]] bool contains(std::string_view name) const { return index_.count(name) != 0; }
  [[nodiscard]] std::string_view block() const noexcept { return block_; }

 private:
  std::string_view block_;
  std::vector<Keyword<T>> entries_;
  std::unordered_map<std::string_view, std::size_t> index_;
  std::vector<std::string_view> names_;
};

}  // namespace conf
