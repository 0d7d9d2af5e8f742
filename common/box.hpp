// DOC: Box<T>: an optional value kept on the heap, copyable like std::optional.
#pragma once

#include <memory>
#include <optional>
#include <utility>

namespace vigil {

/// An optional T stored behind a pointer. For fields that are large and rarely set (a
/// real server's notify scripts, a virtual server's sorry_server): std::optional would reserve
/// the whole T in every object, which is most of a configuration's memory at 10,000 virtual
/// servers. The interface is std::optional's where the configuration model uses it.
template <typename T>
class Box {
 public:
  Box() noexcept = default;
  Box(std::nullopt_t) noexcept {}  // NOLINT(google-explicit-constructor): like optional
  Box(T value) : value_(std::make_unique<T>(std::move(value))) {}  // NOLINT: like optional
  Box(const Box& other) : value_(other.value_ ? std::make_unique<T>(*other.value_) : nullptr) {}
  Box(Box&&) noexcept = default;
  Box& operator=(const Box& other) {
    if (this != &other) value_ = other.value_ ? std::make_unique<T>(*other.value_) : nullptr;
    return *this;
  }
  Box& operator=(Box&&) noexcept = default;
  Box& operator=(T value) {
    value_ = std::make_unique<T>(std::move(value));
    return *this;
  }
  Box& operator=(std::nullopt_t) noexcept {
    value_.reset();
    return *this;
  }
  ~Box() = default;

  [[nodiscard]] bool has_value() const noexcept { return value_ != nullptr; }
  explicit operator bool() const noexcept { return has_value(); }
  [[nodiscard]] T* get() noexcept { return value_.get(); }
  [[nodiscard]] const T* get() const noexcept { return value_.get(); }
  T& operator*() noexcept { return *value_; }
  const T& operator*() const noexcept { return *value_; }
  T* operator->() noexcept { return value_.get(); }
  const T* operator->() const noexcept { return value_.get(); }
  void reset() noexcept { value_.reset(); }

  friend bool operator==(const Box& a, const Box& b) {
    return a.value_ ? (b.value_ && *a.value_ == *b.value_) : !b.value_;
  }

 private:
  std::unique_ptr<T> value_;
};

}  // namespace vigil
