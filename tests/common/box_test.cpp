#include <catch2/catch.hpp>

#include <string>

#include "common/box.hpp"

using vigil::Box;

TEST_CASE("Box is empty by default and holds a value once assigned", "[box]") {
  Box<std::string> b;
  CHECK_FALSE(b.has_value());
  CHECK_FALSE(b);
  CHECK(b.get() == nullptr);
  b = std::string("notify.sh");
  REQUIRE(b);
  CHECK(*b == "notify.sh");
  CHECK(b->size() == 9);
  b.reset();
  CHECK_FALSE(b);
  b = std::string("x");
  b = std::nullopt;
  CHECK_FALSE(b);
}

TEST_CASE("Box copies deeply and compares by value", "[box]") {
  Box<std::string> a(std::string("up.sh"));
  Box<std::string> copy = a;
  REQUIRE(copy);
  CHECK(copy.get() != a.get());  // its own value, not a shared one
  CHECK(copy == a);
  *copy = "down.sh";
  CHECK(*a == "up.sh");
  CHECK_FALSE(copy == a);
  CHECK_FALSE(a == Box<std::string>{});
  CHECK(Box<std::string>{} == Box<std::string>{});
  copy = a;
  CHECK(*copy == "up.sh");
  Box<std::string> moved = std::move(copy);
  CHECK(*moved == "up.sh");
}

TEST_CASE("Box costs one pointer, whatever it holds", "[box]") {
  struct Big {
    char bytes[512];
  };
  STATIC_REQUIRE(sizeof(Box<Big>) == sizeof(void*));
}
