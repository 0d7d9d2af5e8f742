#include "conf/source_provider.hpp"

#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace conf {

bool has_glob_chars(const std::string& pattern) { return pattern.find_first_of("*?[{") != std::string::npos; }

std::optional<std::string> RealFileSystem::read(const std::string& path, std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  if (S_ISDIR(st.st_mode)) {
    error = "is a directory";
    return std::nullopt;
  }
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > max_file_size_) {
    error = "file is larger than " + std::to_string(max_file_size_ >> 20) + " MiB";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  // Reserved at the size stat() gave, so a 2.7 MB file does not pass through a growing
  // buffer's doublings; the size limit also holds for what is not a regular file (a FIFO, a
  // character device), which stat() cannot size.
  std::string content;
  if (S_ISREG(st.st_mode)) content.reserve(static_cast<std::size_t>(st.st_size));
  std::array<char, 65536> chunk{};
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    content.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (content.size() > max_file_size_) {
      error = "file is larger than " + std::to_string(max_file_size_ >> 20) + " MiB";
      return std::nullopt;
    }
  }
  if (in.bad()) {
    error = "read error";
    return std::nullopt;
  }
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

std::optional<std::string> MemoryFileSystem::read(const std::string& path, std::string& error) {
  const auto it = files_.find(path);
  if (it == files_.end()) {
    error = std::strerror(ENOENT);
    return std::nullopt;
  }
  return it->second;
}

std::vector<std::string> MemoryFileSystem::glob(const std::string& pattern) {
  std::vector<std::string> out;
  for (const auto& [path, content] : files_)
    if (::fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0) out.push_back(path);
  return out;
}

}  // namespace conf
