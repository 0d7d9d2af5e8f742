// DOC: SMTP_CHECK (keepalived check_smtp.c): connect, expect a 2xx greeting (220), say
// HELO <helo_name>, expect 250, say QUIT and close without waiting for the 221. One deadline of
// connect_timeout covers the whole dialogue. Replies are read whole (multi-line, RFC 5321 §4.2)
// into a buffer capped at 4 KiB, so a server that talks forever cannot grow memory.
#include <string>

#include "libhealth/core/smtp_rules.hpp"
#include "libhealth/probes/operation.hpp"
#include "libhealth/probes/probes.hpp"
#include "libhealth/probes/socket_util.hpp"

namespace health::detail {

namespace {

constexpr std::size_t k_reply_limit = 4096;

class SmtpProbe final : public Operation {
 public:
  SmtpProbe(ProbeContext& context, const ProbeSpec& spec)
      : Operation(context, spec.timeout), target_(spec.target), smtp_(std::get<SmtpSpec>(spec.spec)),
        socket_(context.io()) {}

  asio::awaitable<ProbeResult> run() {
    if (auto opened = open_for(socket_, target_); !opened) co_return ProbeResult::failure(opened.error().message);
    arm_deadline();
    error_code ec;
    co_await socket_.async_connect({to_asio(target_.ip), target_.port}, ec_token(ec));
    if (timed_out() || cancelled()) co_return interrupted("connect");
    if (ec) co_return ProbeResult::failure(connect_error(ec));

    const auto greeting = co_await read_reply("SMTP greeting");
    if (!greeting.ok) co_return greeting.failure;
    if (greeting.reply.code / 100 != 2) co_return unexpected("greeting", greeting.reply);

    const std::string helo = "HELO " + smtp_.helo_name + "\r\n";
    co_await asio::async_write(socket_, asio::buffer(helo), ec_token(ec));
    if (timed_out() || cancelled()) co_return interrupted("SMTP HELO");
    if (ec) co_return ProbeResult::failure("sending HELO failed: " + ec.message());
    const auto hello = co_await read_reply("SMTP HELO reply");
    if (!hello.ok) co_return hello.failure;
    if (hello.reply.code != 250) co_return unexpected("HELO reply", hello.reply);

    static const std::string quit = "QUIT\r\n";
    co_await asio::async_write(socket_, asio::buffer(quit), ec_token(ec));  // courtesy; outcome known
    co_return ProbeResult::success("SMTP greeting " + std::to_string(greeting.reply.code) + ", HELO 250");
  }

 private:
  struct Read {
    bool ok = false;
    SmtpReply reply;
    ProbeResult failure;
  };

  asio::awaitable<Read> read_reply(const std::string& stage) {
    buffer_.clear();
    for (;;) {
      if (auto reply = parse_smtp_reply(buffer_)) co_return Read{true, *reply, {}};
      error_code ec;
      co_await asio::async_read_until(socket_, asio::dynamic_buffer(buffer_, k_reply_limit), "\n", ec_token(ec));
      if (timed_out() || cancelled()) co_return Read{false, {}, interrupted(stage)};
      if (ec == asio::error::not_found) co_return Read{false, {}, ProbeResult::failure(stage + " longer than 4 KiB")};
      if (ec) co_return Read{false, {}, ProbeResult::failure("reading the " + stage + " failed: " + ec.message())};
    }
  }

  static ProbeResult unexpected(const std::string& what, const SmtpReply& reply) {
    if (reply.code < 0) return ProbeResult::failure("SMTP " + what + " is not an SMTP reply: " + reply.text);
    return ProbeResult::failure("SMTP " + what + " " + std::to_string(reply.code) + " " + reply.text);
  }

  void abort() noexcept override {
    error_code ignored;
    socket_.close(ignored);
  }

  CheckTarget target_;
  SmtpSpec smtp_;
  asio::ip::tcp::socket socket_;
  std::string buffer_;
};

}  // namespace

ProbeHandle start_smtp_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done) {
  return launch(std::make_shared<SmtpProbe>(context, spec), std::move(done));
}

}  // namespace health::detail
