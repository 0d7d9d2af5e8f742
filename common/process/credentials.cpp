// DOC: UserCache lookups (see user_cache.hpp).
#include "common/process/credentials.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vigil::process {

namespace {
std::vector<char> nss_buffer() {
  const long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  return std::vector<char>(hint > 0 ? static_cast<std::size_t>(hint) : 16384);
}
}  // namespace

vigil::Result<Credentials> UserCache::lookup(const std::string& user, const std::optional<std::string>& group) {
  const auto key = std::make_pair(user, group.value_or(""));
  if (const auto it = cache_.find(key); it != cache_.end()) return it->second;

  Credentials creds;
  passwd pw{};
  passwd* found = nullptr;
  auto buf = nss_buffer();
  int err = 0;
  while ((err = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found)) == ERANGE) buf.resize(buf.size() * 2);
  if (err != 0 || !found) {
    return vigil::make_error("script user '" + user + "': " + (err ? std::strerror(err) : "no such user"), err);
  }
  creds.uid = pw.pw_uid;
  creds.gid = pw.pw_gid;

  if (group) {
    struct group gr {};
    struct group* gfound = nullptr;
    auto gbuf = nss_buffer();
    while ((err = ::getgrnam_r(group->c_str(), &gr, gbuf.data(), gbuf.size(), &gfound)) == ERANGE) {
      gbuf.resize(gbuf.size() * 2);
    }
    if (err != 0 || !gfound) {
      return vigil::make_error("script group '" + *group + "': " + (err ? std::strerror(err) : "no such group"), err);
    }
    creds.gid = gr.gr_gid;
  }

  int count = 32;
  creds.groups.resize(static_cast<std::size_t>(count));
  while (::getgrouplist(user.c_str(), creds.gid, creds.groups.data(), &count) < 0) {
    creds.groups.resize(static_cast<std::size_t>(count));
  }
  creds.groups.resize(static_cast<std::size_t>(count));
  cache_.emplace(key, creds);
  return creds;
}

}  // namespace vigil::process
