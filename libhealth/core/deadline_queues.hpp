// DOC: DeadlineQueues — the deadlines of many operations with few distinct timeouts, kept so that
// one timer serves them all.
//
// Operations that share a timeout value and start in time order also expire in that order, so a
// FIFO per timeout value is already sorted: adding is O(1) at the back, removing is O(1) (the
// list is intrusive: the operation embeds its DeadlineNode), and the earliest deadline is the
// smallest head over the few FIFOs. The owner arms one timer for earliest() and pops what
// expired when it fires; an operation that ends early unlinks itself and leaves the timer alone
// (the timer then fires once for nothing and is re-armed for the new earliest). This replaces a
// timer per operation, whose arming and cancelling cost a timer-queue insert, a cancellation
// handler and often a timerfd_settime each.
//
// A start earlier than the back of its FIFO (a caller whose clock went backwards) is still
// placed in order, by walking back from the tail. Pure: no clock; times are passed in.
#pragma once

#include <cstddef>
#include <map>
#include <optional>

#include "libhealth/core/types.hpp"

namespace health {

class DeadlineQueues;

/// Embedded in an operation; linked into at most one DeadlineQueues at a time.
class DeadlineNode {
 public:
  DeadlineNode() = default;
  DeadlineNode(const DeadlineNode&) = delete;
  DeadlineNode& operator=(const DeadlineNode&) = delete;

  [[nodiscard]] TimePoint deadline() const noexcept { return deadline_; }
  [[nodiscard]] bool linked() const noexcept { return fifo_ != nullptr; }

 private:
  friend class DeadlineQueues;
  struct Fifo;
  TimePoint deadline_{};
  DeadlineNode* prev_ = nullptr;
  DeadlineNode* next_ = nullptr;
  Fifo* fifo_ = nullptr;
};

struct DeadlineNode::Fifo {
  DeadlineNode* head = nullptr;
  DeadlineNode* tail = nullptr;
};

class DeadlineQueues {
 public:
  DeadlineQueues() = default;
  DeadlineQueues(const DeadlineQueues&) = delete;
  DeadlineQueues& operator=(const DeadlineQueues&) = delete;
  /// Unlinks every node still queued (their owners may outlive the queues).
  ~DeadlineQueues();

  /// Links `node` (not linked) with the deadline start + timeout.
  void add(DeadlineNode& node, TimePoint start, Duration timeout);
  /// Unlinks `node`; nothing if it is not linked.
  void remove(DeadlineNode& node) noexcept;
  /// The earliest deadline queued.
  [[nodiscard]] std::optional<TimePoint> earliest() const;
  /// Unlinks and returns a node whose deadline is at or before `now` (the earliest of them), or
  /// nullptr. Also forgets the FIFOs it finds empty.
  [[nodiscard]] DeadlineNode* pop_expired(TimePoint now);
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

 private:
  std::map<Duration, DeadlineNode::Fifo> fifos_;  // by timeout value; few entries
  std::size_t size_ = 0;
};

}  // namespace health
