#include "conf/source_provider.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace conf {

bool has_glob_chars(const std::string& pattern) { return pattern.find_first_of("*?[{") != std::string::npos; }

namespace {
// Smaller files cost a few pages to read afresh: not worth keeping their buffers.
constexpr std::size_t k_keep_buffer_from = 64 * 1024;
// Buffers kept at most; past that, those of files not being parsed are dropped (a file that
// left the configuration does not keep its buffer for the daemon's life).
constexpr std::size_t k_kept_buffers = 16;
}  // namespace

std::shared_ptr<std::string> RealFileSystem::buffer_for(const std::string& path, std::size_t size) {
  if (size < k_keep_buffer_from) return std::make_shared<std::string>();
  if (kept_.size() >= k_kept_buffers && !kept_.contains(path))
    std::erase_if(kept_, [](const auto& entry) { return entry.second.use_count() == 1; });
  auto& kept = kept_[path];
  // Still held (a parse keeps its texts until it ends): a new buffer, kept for next time.
  if (!kept || kept.use_count() > 1) kept = std::make_shared<std::string>();
  return kept;
}

std::shared_ptr<const std::string> RealFileSystem::read(const std::string& path, std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = std::strerror(errno);
    return nullptr;
  }
  if (S_ISDIR(st.st_mode)) {
    error = "is a directory";
    return nullptr;
  }
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > max_file_size_) {
    error = "file is larger than " + std::to_string(max_file_size_ >> 20) + " MiB";
    return nullptr;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return nullptr;
  }
  // Read straight into the buffer (one copy: under emulation every copy of 3 MB shows). Sized
  // from what stat() gave, so a regular file needs no doublings; the size limit also holds for
  // what is not a regular file (a FIFO, a character device), which stat() cannot size. A kept
  // buffer is only grown, never cleared first: read() overwrites it.
  const std::size_t expected = S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) : 0;
  const auto content = buffer_for(path, expected);
  if (content->size() < expected + 1) content->resize(S_ISREG(st.st_mode) ? expected + 1 : 65536);
  std::size_t used = 0;
  while (true) {
    if (used == content->size()) content->resize(content->size() * 2);
    const ssize_t n = ::read(fd, content->data() + used, content->size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = std::string("read error: ") + std::strerror(errno);
      ::close(fd);
      return nullptr;
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
    if (used > max_file_size_) {
      ::close(fd);
      error = "file is larger than " + std::to_string(max_file_size_ >> 20) + " MiB";
      return nullptr;
    }
  }
  ::close(fd);
  content->resize(used);
  return content;
}

std::vector<std::string> RealFileSystem::glob(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(pattern.c_str(), GLOB_BRACE | GLOB_TILDE, nullptr, &g) == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  return out;  // glob(3) sorts
}

std::string RealFileSystem::canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) != nullptr) return buf;
  return path;
}

std::shared_ptr<const std::string> MemoryFileSystem::read(const std::string& path, std::string& error) {
  const auto it = files_.find(path);
  if (it == files_.end()) {
    error = std::strerror(ENOENT);
    return nullptr;
  }
  return std::make_shared<const std::string>(it->second);
}

std::vector<std::string> MemoryFileSystem::glob(const std::string& pattern) {
  std::vector<std::string> out;
  for (const auto& [path, content] : files_)
    if (::fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0) out.push_back(path);
  return out;
}

}  // namespace conf
