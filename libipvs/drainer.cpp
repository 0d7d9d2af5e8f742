// DOC: Drainer bookkeeping (see drainer.hpp).
#include "libipvs/drainer.hpp"

namespace ipvs {

void Drainer::start(const ServiceKey& service, const DestKey& dest, TimePoint now) {
  since_.try_emplace(DrainKey{service, dest}, now);
}

void Drainer::start_removed(const std::vector<DrainKey>& removed, const Table& after, TimePoint now) {
  // A real server that comes back in this reload stops draining (its config weight applies).
  std::erase_if(since_, [&](const auto& entry) {
    const ServiceEntry* kept = after.find(entry.first.service);
    return kept != nullptr && kept->dests.contains(entry.first.dest);
  });
  for (const auto& r : removed) start(r.service, r.dest, now);
}

bool Drainer::draining(const ServiceKey& service, const DestKey& dest) const {
  return since_.contains(DrainKey{service, dest});
}

std::vector<DrainResult> Drainer::update(Table& desired, const Table& actual, TimePoint now) {
  std::vector<DrainResult> finished;
  for (auto it = since_.begin(); it != since_.end();) {
    const DrainKey& key = it->first;
    const ServiceEntry* in_config = desired.find(key.service);
    const Dest* live = actual.find_dest(key.service, key.dest);
    auto finish = [&](DrainOutcome outcome) {
      finished.push_back(DrainResult{key, outcome, live != nullptr ? live->active_conns : 0});
      it = since_.erase(it);
    };
    if (in_config != nullptr && in_config->dests.contains(key.dest)) {
      finish(DrainOutcome::returned);
    } else if (live == nullptr) {
      finish(DrainOutcome::gone);
    } else if (live->active_conns == 0) {
      finish(DrainOutcome::idle);
    } else if (now - it->second >= timeout_) {
      finish(DrainOutcome::timed_out);
    } else {
      // Keep it: the service as the kernel has it when the config dropped it, the dest at 0.
      if (in_config == nullptr) {
        auto& entry = desired.put(actual.find(key.service)->service);
        entry.dests.clear();
      }
      Dest kept = *live;
      kept.weight = 0;
      desired.put_dest(key.service, kept);
      ++it;
    }
  }
  return finished;
}

std::string_view to_string(DrainOutcome outcome) noexcept {
  switch (outcome) {
    case DrainOutcome::idle: return "idle";
    case DrainOutcome::timed_out: return "timed out";
    case DrainOutcome::gone: return "gone";
    case DrainOutcome::returned: return "returned";
  }
  return "?";
}

}  // namespace ipvs
