// DOC: SourceProvider — where configuration text comes from. The daemon reads the real file
// system; tests and the fuzzer use an in-memory tree so includes, globs and loops can be
// exercised without touching disk.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace conf {

class SourceProvider {
 public:
  virtual ~SourceProvider() = default;
  /// The whole file, or nullopt with `error` set ("No such file or directory").
  virtual std::optional<std::string> read(const std::string& path, std::string& error) = 0;
  /// Paths matching a glob pattern (csh braces allowed), sorted; empty when none match.
  virtual std::vector<std::string> glob(const std::string& pattern) = 0;
  /// A stable identity for loop detection (realpath where possible).
  virtual std::string canonical(const std::string& path) = 0;
};

class RealFileSystem final : public SourceProvider {
 public:
  explicit RealFileSystem(std::size_t max_file_size = std::size_t{64} << 20) : max_file_size_(max_file_size) {}
  std::optional<std::string> read(const std::string& path, std::string& error) override;
  std::vector<std::string> glob(const std::string& pattern) override;
  std::string canonical(const std::string& path) override;

 private:
  std::size_t max_file_size_;
};

class MemoryFileSystem final : public SourceProvider {
 public:
  void add(std::string path, std::string content) { files_[std::move(path)] = std::move(content); }
  std::optional<std::string> read(const std::string& path, std::string& error) override;
  std::vector<std::string> glob(const std::string& pattern) override;  // fnmatch over stored paths
  std::string canonical(const std::string& path) override { return path; }

 private:
  std::map<std::string, std::string> files_;
};

/// True when the pattern has glob metacharacters (`*?[{`).
[[nodiscard]] bool has_glob_chars(const std::string& pattern);

}  // namespace conf
