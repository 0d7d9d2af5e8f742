// DOC: FileTable — the paths of every file the reader opened. Tokens carry a small index into
// it; model nodes carry a SourceLoc that shares the path string.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "conf/lexer.hpp"
#include "conf/model.hpp"

namespace conf {

class FileTable {
 public:
  std::uint32_t add(const std::string& path) {
    files_.push_back(std::make_shared<const std::string>(path));
    return static_cast<std::uint32_t>(files_.size() - 1);
  }
  [[nodiscard]] SourceLoc loc(const Token& t) const { return loc(t.file, t.line, t.column); }
  [[nodiscard]] SourceLoc loc(std::uint32_t file, std::uint32_t line, std::uint32_t column) const {
    return SourceLoc{file < files_.size() ? files_[file] : nullptr, line, column};
  }
  [[nodiscard]] std::vector<std::string> paths() const {
    std::vector<std::string> out;
    out.reserve(files_.size());
    for (const auto& f : files_) out.push_back(*f);
    return out;
  }

 private:
  std::vector<std::shared_ptr<const std::string>> files_;
};

}  // namespace conf
