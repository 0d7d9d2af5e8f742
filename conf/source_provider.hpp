// DOC: SourceProvider — where configuration text comes from. The daemon reads the real file
// system; tests and the fuzzer use an in-memory tree so includes, globs and loops can be
// exercised without touching disk.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace conf {

class SourceProvider {
 public:
  virtual ~SourceProvider() = default;
  /// The whole file, or null with `error` set ("No such file or directory"). The text is
  /// shared: the reader (and a parse cache) hold it until the parse ends.
  virtual std::shared_ptr<const std::string> read(const std::string& path, std::string& error) = 0;
  /// Paths matching a glob pattern (csh braces allowed), sorted; empty when none match.
  virtual std::vector<std::string> glob(const std::string& pattern) = 0;
  /// A stable identity for loop detection (realpath where possible).
  virtual std::string canonical(const std::string& path) = 0;
};

/// Files as they are on disk. One instance kept across parses (the daemon's reloads) reads a
/// large file again into the buffer of the previous read once that parse has let it go: a
/// reload of a 3 MB file (10,000 virtual servers) then touches no fresh pages for the text. The
/// daemon returns free memory to the system after its first parse and after large reloads, so
/// a new buffer would be faulted in page by page, which under emulation (the IPVS test VM) cost
/// ~40 ms of a one-line reload. The price is the file's size in memory between reloads, which
/// the peak of a reload includes anyway. Used by one thread at a time.
class RealFileSystem final : public SourceProvider {
 public:
  explicit RealFileSystem(std::size_t max_file_size = std::size_t{64} << 20) : max_file_size_(max_file_size) {}
  std::shared_ptr<const std::string> read(const std::string& path, std::string& error) override;
  std::vector<std::string> glob(const std::string& pattern) override;
  std::string canonical(const std::string& path) override;

 private:
  /// The buffer to read `path` (of `size` bytes, 0 if unknown) into: the last one, when no one
  /// holds it any more, for files large enough to be worth keeping.
  std::shared_ptr<std::string> buffer_for(const std::string& path, std::size_t size);

  std::size_t max_file_size_;
  std::map<std::string, std::shared_ptr<std::string>, std::less<>> kept_;  // path -> last buffer
};

class MemoryFileSystem final : public SourceProvider {
 public:
  void add(std::string path, std::string content) { files_[std::move(path)] = std::move(content); }
  std::shared_ptr<const std::string> read(const std::string& path, std::string& error) override;
  std::vector<std::string> glob(const std::string& pattern) override;  // fnmatch over stored paths
  std::string canonical(const std::string& path) override { return path; }

 private:
  std::map<std::string, std::string> files_;
};

/// True when the pattern has glob metacharacters (`*?[{`).
[[nodiscard]] bool has_glob_chars(const std::string& pattern);

}  // namespace conf
