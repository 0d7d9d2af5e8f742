// DOC: DeadlineQueues: one intrusive FIFO per timeout value (see deadline_queues.hpp).
#include "libhealth/core/deadline_queues.hpp"

namespace health {

DeadlineQueues::~DeadlineQueues() {
  for (auto& [timeout, fifo] : fifos_) {
    while (DeadlineNode* node = fifo.head) {
      fifo.head = node->next_;
      node->prev_ = node->next_ = nullptr;
      node->fifo_ = nullptr;
    }
  }
}

void DeadlineQueues::add(DeadlineNode& node, TimePoint start, Duration timeout) {
  if (node.linked()) remove(node);
  auto& fifo = fifos_[timeout];
  node.deadline_ = start + timeout;
  node.fifo_ = &fifo;
  // Almost always the back; walk back only past later deadlines.
  DeadlineNode* after = fifo.tail;
  while (after && after->deadline_ > node.deadline_) after = after->prev_;
  node.prev_ = after;
  node.next_ = after ? after->next_ : fifo.head;
  if (node.next_) {
    node.next_->prev_ = &node;
  } else {
    fifo.tail = &node;
  }
  if (after) {
    after->next_ = &node;
  } else {
    fifo.head = &node;
  }
  ++size_;
}

void DeadlineQueues::remove(DeadlineNode& node) noexcept {
  DeadlineNode::Fifo* fifo = node.fifo_;
  if (!fifo) return;
  if (node.prev_) {
    node.prev_->next_ = node.next_;
  } else {
    fifo->head = node.next_;
  }
  if (node.next_) {
    node.next_->prev_ = node.prev_;
  } else {
    fifo->tail = node.prev_;
  }
  node.prev_ = node.next_ = nullptr;
  node.fifo_ = nullptr;
  --size_;
}

std::optional<TimePoint> DeadlineQueues::earliest() const {
  std::optional<TimePoint> best;
  for (const auto& [timeout, fifo] : fifos_) {
    if (fifo.head && (!best || fifo.head->deadline_ < *best)) best = fifo.head->deadline_;
  }
  return best;
}

DeadlineNode* DeadlineQueues::pop_expired(TimePoint now) {
  DeadlineNode* best = nullptr;
  for (auto it = fifos_.begin(); it != fifos_.end();) {
    DeadlineNode* head = it->second.head;
    if (!head) {
      it = fifos_.erase(it);
      continue;
    }
    if (head->deadline_ <= now && (!best || head->deadline_ < best->deadline_)) best = head;
    ++it;
  }
  if (best) remove(*best);
  return best;
}

}  // namespace health
