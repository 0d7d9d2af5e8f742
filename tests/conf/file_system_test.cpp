#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "conf/source_provider.hpp"

namespace {

/// A file of its own in the test's temporary directory, removed at the end.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& name)
      : path((std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : std::string("/tmp")) + "/vigil-fs-" +
             std::to_string(::getpid()) + "-" + name) {}
  ~TempFile() { std::remove(path.c_str()); }
  void write(const std::string& text) const {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
};

std::string big(char fill, std::size_t size) { return std::string(size, fill) + "\n"; }

}  // namespace

TEST_CASE("RealFileSystem reads a large file again into the buffer its last parse let go", "[file_system]") {
  conf::RealFileSystem fs;
  TempFile file("big.conf");
  std::string error;
  file.write(big('a', 200000));
  const std::string* first_buffer = nullptr;
  {
    const auto first = fs.read(file.path, error);
    REQUIRE(first);
    CHECK(*first == big('a', 200000));
    first_buffer = first.get();
  }
  SECTION("released: the same buffer, with the new text, shorter or longer") {
    file.write(big('b', 150000));
    {
      const auto second = fs.read(file.path, error);
      REQUIRE(second);
      CHECK(second.get() == first_buffer);
      CHECK(*second == big('b', 150000));  // nothing of the longer text before it is left over
    }
    file.write(big('c', 300000));
    const auto third = fs.read(file.path, error);
    REQUIRE(third);
    CHECK(*third == big('c', 300000));
  }
  SECTION("still held (a parse reading the file twice): a buffer of its own") {
    const auto held = fs.read(file.path, error);
    REQUIRE(held);
    file.write(big('d', 200000));
    const auto again = fs.read(file.path, error);
    REQUIRE(again);
    CHECK(again.get() != held.get());
    CHECK(*held == big('a', 200000));  // the text a parse holds never changes under it
    CHECK(*again == big('d', 200000));
  }
}

TEST_CASE("RealFileSystem reports what it cannot read", "[file_system]") {
  conf::RealFileSystem fs(1 << 20);
  std::string error;
  SECTION("missing file") {
    CHECK_FALSE(fs.read("/nonexistent/vigil.conf", error));
    CHECK(error == "No such file or directory");
  }
  SECTION("directory") {
    CHECK_FALSE(fs.read("/", error));
    CHECK(error == "is a directory");
  }
  SECTION("over the size limit") {
    TempFile file("huge.conf");
    file.write(big('x', 2 << 20));
    CHECK_FALSE(fs.read(file.path, error));
    CHECK(error == "file is larger than 1 MiB");
  }
  SECTION("a small file is read whole") {
    TempFile file("small.conf");
    file.write("global_defs {\n}\n");
    const auto text = fs.read(file.path, error);
    REQUIRE(text);
    CHECK(*text == "global_defs {\n}\n");
  }
}
