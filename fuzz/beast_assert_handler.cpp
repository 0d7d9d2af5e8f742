// DOC: Boost's assertion handler for fuzz_http (BOOST_ENABLE_ASSERT_HANDLER): aborts on every
// Boost assertion, as assert() would, except the one Beast 1.81 states wrongly.
//
// basic_parser<>::parse_chunk_header asserts `n >= 5`, but a streamed parser reaches it with 3 or
// 4 bytes of the last chunk ("0\r\n" with the final "\r\n" still to come, e.g. the reply arriving
// in pieces); the code after it sees no complete header and returns need_more, which is right.
// Upstream relaxed the assertion (boostorg/beast#2861, Boost 1.86). The probe, built with NDEBUG,
// never evaluates it; the fuzz build does, so without this the fuzzer stops on a false alarm.
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace boost {

[[noreturn]] void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file,
                                       long line) {
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed%s%s.\n", file, line, function, expr, msg ? ": " : "",
               msg ? msg : "");
  std::abort();
}

void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  const std::string_view where(file);
  if (std::string_view(expr) == "n >= 5" && where.ends_with("beast/http/impl/basic_parser.ipp")) return;
  assertion_failed_msg(expr, nullptr, function, file, line);
}

}  // namespace boost
