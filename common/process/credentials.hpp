// DOC: UserCache — script users resolved once (getpwnam_r/getgrnam_r/getgrouplist), in the parent,
// before any fork: NSS lookups are neither async-signal-safe nor cheap, so the child only applies
// the numbers. Only successful lookups are cached, so a user created later is found then.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace vigil::process {

struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups of the user
};

class UserCache {
 public:
  [[nodiscard]] vigil::Result<Credentials> lookup(const std::string& user, const std::optional<std::string>& group);

 private:
  std::map<std::pair<std::string, std::string>, Credentials> cache_;
};

}  // namespace vigil::process
