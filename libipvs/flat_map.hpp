// DOC: FlatMap — a sorted-vector map with the slice of std::map's interface libipvs uses.
//
// Why: a service has a handful of dests (4 is the common case), and the diff walks every dest of
// every service. With std::map that walk is pointer chasing through 40,000 tree nodes per table
// at 10k × 4 (_Rb_tree_increment was half of a no-change diff); a sorted vector is one
// contiguous block per service. Inserting in the middle is O(n), which is irrelevant at these
// sizes and still fine at a few hundred dests. Keys are stored as plain (non-const) pairs so the
// vector can shift them; callers must not change a key through an iterator.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

namespace ipvs {

template <typename K, typename V>
class FlatMap {
 public:
  using value_type = std::pair<K, V>;
  using iterator = typename std::vector<value_type>::iterator;
  using const_iterator = typename std::vector<value_type>::const_iterator;

  [[nodiscard]] iterator begin() noexcept { return items_.begin(); }
  [[nodiscard]] iterator end() noexcept { return items_.end(); }
  [[nodiscard]] const_iterator begin() const noexcept { return items_.begin(); }
  [[nodiscard]] const_iterator end() const noexcept { return items_.end(); }
  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
  void clear() noexcept { items_.clear(); }
  void reserve(std::size_t n) { items_.reserve(n); }

  [[nodiscard]] iterator find(const K& key) {
    const auto it = lower_bound(key);
    return it != items_.end() && it->first == key ? it : items_.end();
  }
  [[nodiscard]] const_iterator find(const K& key) const {
    const auto it = lower_bound(key);
    return it != items_.end() && it->first == key ? it : items_.end();
  }
  [[nodiscard]] bool contains(const K& key) const { return find(key) != end(); }
  [[nodiscard]] V& at(const K& key) {
    const auto it = find(key);
    if (it == end()) throw std::out_of_range("FlatMap::at");
    return it->second;
  }
  [[nodiscard]] const V& at(const K& key) const {
    const auto it = find(key);
    if (it == end()) throw std::out_of_range("FlatMap::at");
    return it->second;
  }

  /// Inserts when absent (like std::map::emplace / try_emplace); never overwrites.
  std::pair<iterator, bool> emplace(const K& key, const V& value) {
    auto it = lower_bound(key);
    if (it != items_.end() && it->first == key) return {it, false};
    return {items_.insert(it, value_type{key, value}), true};
  }
  std::pair<iterator, bool> try_emplace(const K& key, const V& value) { return emplace(key, value); }
  template <typename Value>
  std::pair<iterator, bool> insert_or_assign(const K& key, Value&& value) {
    auto it = lower_bound(key);
    if (it != items_.end() && it->first == key) {
      it->second = std::forward<Value>(value);
      return {it, false};
    }
    return {items_.insert(it, value_type{key, std::forward<Value>(value)}), true};
  }
  std::size_t erase(const K& key) {
    const auto it = find(key);
    if (it == items_.end()) return 0;
    items_.erase(it);
    return 1;
  }
  iterator erase(const_iterator it) { return items_.erase(it); }

  friend bool operator==(const FlatMap&, const FlatMap&) = default;

 private:
  [[nodiscard]] iterator lower_bound(const K& key) {
    return std::lower_bound(items_.begin(), items_.end(), key,
                            [](const value_type& item, const K& k) { return item.first < k; });
  }
  [[nodiscard]] const_iterator lower_bound(const K& key) const {
    return std::lower_bound(items_.begin(), items_.end(), key,
                            [](const value_type& item, const K& k) { return item.first < k; });
  }

  std::vector<value_type> items_;
};

}  // namespace ipvs
