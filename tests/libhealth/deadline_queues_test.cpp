// DOC: DeadlineQueues: earliest over FIFOs of different timeouts, expiry order, early removal,
// out-of-order starts, and nodes still queued when the queues go away.
#include <catch2/catch.hpp>

#include <vector>

#include "libhealth/core/deadline_queues.hpp"

using namespace std::chrono_literals;
using health::DeadlineNode;
using health::DeadlineQueues;
using health::TimePoint;

namespace {
const TimePoint t0{};

std::vector<DeadlineNode*> drain(DeadlineQueues& q, TimePoint now) {
  std::vector<DeadlineNode*> out;
  while (DeadlineNode* n = q.pop_expired(now)) out.push_back(n);
  return out;
}
}  // namespace

TEST_CASE("deadlines of several timeouts expire earliest first", "[deadlines]") {
  DeadlineQueues q;
  DeadlineNode a, b, c, d;
  CHECK_FALSE(q.earliest());
  q.add(a, t0, 3s);         // 3 s
  q.add(b, t0 + 1s, 1s);    // 2 s
  q.add(c, t0 + 1s, 3s);    // 4 s
  q.add(d, t0 + 1500ms, 1s);  // 2.5 s
  CHECK(q.size() == 4);
  CHECK(q.earliest() == t0 + 2s);
  CHECK(q.pop_expired(t0 + 1999ms) == nullptr);
  CHECK(drain(q, t0 + 3s) == std::vector<DeadlineNode*>{&b, &d, &a});
  CHECK(q.earliest() == t0 + 4s);
  CHECK_FALSE(a.linked());
  CHECK(c.linked());
  CHECK(c.deadline() == t0 + 4s);
  CHECK(drain(q, t0 + 10s) == std::vector<DeadlineNode*>{&c});
  CHECK(q.empty());
  CHECK_FALSE(q.earliest());
}

TEST_CASE("an operation that ends early unlinks itself from anywhere in its FIFO", "[deadlines]") {
  DeadlineQueues q;
  DeadlineNode a, b, c;
  q.add(a, t0, 1s);
  q.add(b, t0 + 10ms, 1s);
  q.add(c, t0 + 20ms, 1s);
  q.remove(b);  // middle
  q.remove(b);  // twice is harmless
  CHECK(q.size() == 2);
  q.remove(a);  // head
  CHECK(q.earliest() == t0 + 1020ms);
  q.remove(c);  // last
  CHECK(q.empty());
  CHECK_FALSE(q.earliest());
  q.add(a, t0 + 2s, 1s);  // the emptied FIFO is reused
  CHECK(q.earliest() == t0 + 3s);
  CHECK(drain(q, t0 + 3s) == std::vector<DeadlineNode*>{&a});
}

TEST_CASE("a start earlier than the back of its FIFO is still placed in order", "[deadlines]") {
  DeadlineQueues q;
  DeadlineNode a, b, c;
  q.add(a, t0 + 2s, 1s);
  q.add(b, t0 + 1s, 1s);
  q.add(c, t0, 1s);
  CHECK(q.earliest() == t0 + 1s);
  CHECK(drain(q, t0 + 5s) == std::vector<DeadlineNode*>{&c, &b, &a});
}

TEST_CASE("re-adding a linked node moves it - nodes outlive the queues unlinked", "[deadlines]") {
  DeadlineNode a, b;
  {
    DeadlineQueues q;
    q.add(a, t0, 1s);
    q.add(a, t0, 5s);
    CHECK(q.size() == 1);
    CHECK(q.earliest() == t0 + 5s);
    q.add(b, t0, 2s);
  }
  CHECK_FALSE(a.linked());
  CHECK_FALSE(b.linked());
}
