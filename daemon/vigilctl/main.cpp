// vigilctl: talk to a running vigild over its control socket (root only).
//   vigilctl status [--json]            instances, virtual servers, real servers
//   vigilctl reload [--dry-run]         reload the configuration (or show what would change)
//   vigilctl demote|promote INSTANCE    hand mastership to a peer / take the demotion back
//   vigilctl garp INSTANCE              resend gratuitous ARP / NA for an instance's addresses
//   vigilctl drain|undrain VS RS        weight 0 for a real server (maintenance) / restore it
//   vigilctl stop                       planned stop (lossless handover)
// Exit status: 0 done; 1 vigild refused (the message says why); 2 vigild cannot be reached;
// 64 (EX_USAGE) the command line is wrong (unknown command, missing argument, bad option).
#include <CLI/CLI.hpp>
#include <iostream>

#include "daemon/control_client.hpp"
#include "daemon/runtime/control_server.hpp"
#include "daemon/vigilctl/render.hpp"
#include "common/json_text.hpp"

int main(int argc, char** argv) {
  CLI::App app{"vigilctl — control a running vigild"};
  std::string socket = vigild::k_default_control_socket;
  bool json = false;
  app.add_option("-s,--socket", socket, "control socket")->capture_default_str();
  app.add_flag("--json", json, "print the raw JSON reply");
  app.require_subcommand(0, 1);

  nlohmann::json request;
  auto* status = app.add_subcommand("status", "show instances and virtual servers");
  status->add_flag("--json", json, "print JSON");
  status->callback([&] { request = {{"command", "status"}}; });

  bool dry_run = false;
  auto* reload = app.add_subcommand("reload", "reload the configuration");
  reload->add_flag("--dry-run", dry_run, "only show what would change");
  reload->callback([&] { request = {{"command", "reload"}, {"dry_run", dry_run}}; });

  std::string instance;
  for (const char* name : {"demote", "promote", "garp"}) {
    auto* sub = app.add_subcommand(name, std::string(name) + " a VRRP instance");
    sub->add_option("instance", instance, "vrrp_instance name")->required();
    sub->callback([&request, &instance, name] {
      request = {{"command", name}, {"arguments", {{"instance", instance}}}};
    });
  }
  std::string vs, rs;
  for (const char* name : {"drain", "undrain"}) {
    auto* sub = app.add_subcommand(name, std::string(name) + " a real server");
    sub->add_option("virtual_server", vs, "virtual server, e.g. 192.168.200.10:80/tcp")->required();
    sub->add_option("real_server", rs, "real server, e.g. 192.168.200.110:80")->required();
    sub->callback([&request, &vs, &rs, name] {
      request = {{"command", name}, {"arguments", {{"virtual_server", vs}, {"real_server", rs}}}};
    });
  }
  auto* stop = app.add_subcommand("stop", "planned stop of vigild");
  stop->callback([&] { request = {{"command", "stop"}}; });

  // Extras are collected (not CLI11's "A subcommand is required") so that a mistyped command is
  // named in the message. Set last: subcommands would inherit it and accept stray arguments.
  app.allow_extras();
  constexpr int k_usage = 64;  // EX_USAGE
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : k_usage;
  }
  if (const auto extra = app.remaining(); !extra.empty()) {
    std::cerr << "vigilctl: " << (request.is_null() ? "unknown command '" : "unexpected argument '") << extra.front()
              << "' (see vigilctl --help)\n";
    return k_usage;
  }
  if (request.is_null()) {
    std::cerr << "vigilctl: a command is required: status, reload, demote, promote, garp, drain, undrain, stop "
                 "(see vigilctl --help)\n";
    return k_usage;
  }

  const auto reply = vigild::control_request(socket, request);
  if (!reply) {
    std::cerr << "vigilctl: " << reply.error().message << '\n';
    return 2;
  }
  const auto& r = *reply;
  if (json) {
    std::cout << vigil::json_text(r, 2) << '\n';
    return r.value("ok", false) ? 0 : 1;
  }
  if (!r.value("ok", false)) {
    std::cerr << "vigilctl: " << r.value("error", std::string("failed")) << '\n';
    if (const auto d = r.find("diagnostics"); d != r.end())
      for (const auto& line : *d) std::cerr << line.get<std::string>() << '\n';
    return 1;
  }
  std::cout << vigilctl::render(request.value("command", std::string()), r);
  return 0;
}
