#include <catch2/catch.hpp>

#include "conf/lexer.hpp"

using conf::lex_line;

namespace {
std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  for (const auto& t : lex_line(line, 0, 1).tokens) out.push_back(t.text);
  return out;
}
}  // namespace

TEST_CASE("lexer splits words and braces, with columns", "[lexer]") {
  const auto l = lex_line("  virtual_server 10.0.0.1 80 {", 0, 7);
  REQUIRE(l.tokens.size() == 4);
  CHECK(l.tokens[0].text == "virtual_server");
  CHECK(l.tokens[0].column == 3);
  CHECK(l.tokens[0].line == 7);
  CHECK(l.tokens[3].is_open());
  CHECK(l.tokens[3].column == 30);
  CHECK(words("virtual_ipaddress { 10.0.0.1 }") == std::vector<std::string>{"virtual_ipaddress", "{", "10.0.0.1", "}"});
  CHECK(words("group{VI_1}") == std::vector<std::string>{"group", "{", "VI_1", "}"});
}

TEST_CASE("lexer drops # and ! comments anywhere outside quotes", "[lexer]") {
  CHECK(words("weight 1 # the weight") == std::vector<std::string>{"weight", "1"});
  CHECK(words("! whole line").empty());
  CHECK(words("inhibit_on_failure        ! set weight to 0") == std::vector<std::string>{"inhibit_on_failure"});
  CHECK(words("weight 1#glued") == std::vector<std::string>{"weight", "1"});
  CHECK(words(R"(auth_pass a\#b)") == std::vector<std::string>{"auth_pass", "a#b"});
}

TEST_CASE("lexer keeps quoted strings whole, comment characters included", "[lexer]") {
  const auto l = lex_line(R"(notify_master "/usr/bin/notify.sh MASTER # not a comment" root)", 0, 1);
  REQUIRE(l.tokens.size() == 3);
  CHECK(l.tokens[1].text == "/usr/bin/notify.sh MASTER # not a comment");
  CHECK(l.tokens[1].quoted);
  CHECK(words(R"(script 'killall -0 "x"')") == std::vector<std::string>{"script", R"(killall -0 "x")"});
  CHECK(words(R"(script "say \"hi\"")") == std::vector<std::string>{"script", R"(say "hi")"});
  CHECK(words(R"(path "{braces}")") == std::vector<std::string>{"path", "{braces}"});
}

TEST_CASE("lexer reports an unterminated quote and a continuation", "[lexer]") {
  const auto bad = lex_line(R"(script "never closed)", 0, 1);
  CHECK(bad.unterminated_quote_column == 8);
  const auto cont = lex_line(R"($DEF=one \)", 0, 1);
  CHECK(cont.continued);
}

TEST_CASE("strip_comment keeps quotes and unescapes comment characters", "[lexer]") {
  CHECK(conf::strip_comment("  include a.conf # x") == "include a.conf");
  CHECK(conf::strip_comment(R"(x "a#b" # c)") == R"(x "a#b")");
  CHECK(conf::strip_comment(R"(x a\!b)") == "x a!b");
}
