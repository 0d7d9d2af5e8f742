// DOC: Diagnostics — what the parser and validator tell the operator.
// Every message carries a SourceLoc and prints as `FILE:LINE:COL: error|warning|note: text`, the
// format compilers use, so editors and CI logs can jump to it. Notes attach to the diagnostic
// before them ("instance 'VI_1' first defined here").
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "conf/model.hpp"

namespace conf {

enum class Severity : std::uint8_t { error, warning, note };

struct Diagnostic {
  Severity severity = Severity::error;
  SourceLoc loc;
  std::string message;

  [[nodiscard]] std::string to_string() const;
};

class Diagnostics {
 public:
  void error(const SourceLoc& loc, std::string message);
  void warning(const SourceLoc& loc, std::string message);
  void note(const SourceLoc& loc, std::string message);

  [[nodiscard]] const std::vector<Diagnostic>& all() const noexcept { return items_; }
  [[nodiscard]] std::size_t error_count() const noexcept { return errors_; }
  [[nodiscard]] std::size_t warning_count() const noexcept { return warnings_; }
  [[nodiscard]] bool has_errors() const noexcept { return errors_ > 0; }
  /// Sorted by file order of appearance, then line/column, notes kept after their diagnostic.
  [[nodiscard]] std::vector<Diagnostic> sorted(const std::vector<std::string>& file_order) const;

 private:
  std::vector<Diagnostic> items_;
  std::size_t errors_ = 0;
  std::size_t warnings_ = 0;
};

[[nodiscard]] std::string_view to_string(Severity s) noexcept;
std::ostream& operator<<(std::ostream& out, const Diagnostic& d);

}  // namespace conf
