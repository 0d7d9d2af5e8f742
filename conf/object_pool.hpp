// DOC: ObjectPool — the reference counts of the parse cache's objects, side by side.
//
// A reload that reuses 10,000 unchanged virtual servers takes a reference to each: the new
// configuration shares them with the running one. With make_shared a count sits in its object's
// own allocation, so the counts are scattered over the ~20 MB of the model and every reuse is a
// cache miss (under emulation, in the IPVS test VM, a TLB refill too): natively it was the
// largest item of a cached reparse. Objects the cache can reuse take their shared_ptr control
// block from one pool instead, so the 10,000 counts share ~400 KB of contiguous memory.
//
// Every control block holds the pool (a shared_ptr in its allocator): the pool lives until the
// last object built from it is released, on whichever thread and after the cache is gone.
//
//   conf::ObjectPool pool;
//   std::shared_ptr<const VirtualServer> vs = pool.make(std::move(built));
#pragma once

#include <cstddef>
#include <memory>
#include <memory_resource>
#include <type_traits>
#include <utility>

namespace conf {

class ObjectPool {
 public:
  ObjectPool() : resource_(std::make_shared<std::pmr::synchronized_pool_resource>()) {}

  /// `value` moved into a new object whose control block comes from the pool.
  template <class T>
    requires std::is_rvalue_reference_v<T&&>
  [[nodiscard]] std::shared_ptr<const T> make(T&& value) const {
    return std::shared_ptr<const T>(new T(std::move(value)), std::default_delete<const T>(), Allocator<T>(resource_));
  }

 private:
  // Thread-safe: objects are built on the parser thread and may be released on any thread.
  using Resource = std::pmr::synchronized_pool_resource;

  template <class T>
  struct Allocator {
    using value_type = T;
    explicit Allocator(std::shared_ptr<Resource> r) noexcept : resource(std::move(r)) {}
    template <class U>
    Allocator(const Allocator<U>& other) noexcept : resource(other.resource) {}  // NOLINT: rebinding
    T* allocate(std::size_t n) { return static_cast<T*>(resource->allocate(n * sizeof(T), alignof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { resource->deallocate(p, n * sizeof(T), alignof(T)); }
    template <class U>
    bool operator==(const Allocator<U>& other) const noexcept {
      return resource == other.resource;
    }
    std::shared_ptr<Resource> resource;
  };

  std::shared_ptr<Resource> resource_;
};

}  // namespace conf
