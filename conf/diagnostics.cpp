#include "conf/diagnostics.hpp"

#include <algorithm>

namespace conf {

std::string_view to_string(Severity s) noexcept {
  switch (s) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::note: return "note";
  }
  return "?";
}

std::string Diagnostic::to_string() const {
  return loc.to_string() + ": " + std::string(conf::to_string(severity)) + ": " + message;
}

std::ostream& operator<<(std::ostream& out, const Diagnostic& d) { return out << d.to_string(); }

void Diagnostics::error(const SourceLoc& loc, std::string message) {
  items_.push_back({Severity::error, loc, std::move(message)});
  ++errors_;
}

void Diagnostics::warning(const SourceLoc& loc, std::string message) {
  items_.push_back({Severity::warning, loc, std::move(message)});
  ++warnings_;
}

void Diagnostics::note(const SourceLoc& loc, std::string message) {
  items_.push_back({Severity::note, loc, std::move(message)});
}

std::vector<Diagnostic> Diagnostics::sorted(const std::vector<std::string>& file_order) const {
  // Group each diagnostic with the notes that follow it, then order the groups by position.
  struct Group {
    std::size_t file_rank;
    std::uint32_t line, column;
    std::size_t seq;
    std::vector<Diagnostic> items;
  };
  auto rank_of = [&](const SourceLoc& loc) {
    if (!loc.file) return file_order.size();
    const auto it = std::find(file_order.begin(), file_order.end(), *loc.file);
    return static_cast<std::size_t>(it - file_order.begin());
  };
  std::vector<Group> groups;
  for (const auto& d : items_) {
    if (d.severity == Severity::note && !groups.empty()) {
      groups.back().items.push_back(d);
      continue;
    }
    groups.push_back({rank_of(d.loc), d.loc.line, d.loc.column, groups.size(), {d}});
  }
  std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    return std::tie(a.file_rank, a.line, a.column, a.seq) < std::tie(b.file_rank, b.line, b.column, b.seq);
  });
  std::vector<Diagnostic> out;
  out.reserve(items_.size());
  for (auto& g : groups)
    for (auto& d : g.items) out.push_back(std::move(d));
  return out;
}

}  // namespace conf
