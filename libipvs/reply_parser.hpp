// DOC: Parsing netlink reply bytes into model values — the only code that reads bytes the kernel
// (or a fuzzer) wrote. Untrusted input: every header and attribute length is bounds-checked
// (wire::Attrs), nothing throws, and a malformed buffer is a Result error that says where.
//
// One receive buffer holds one or more netlink messages (a dump part carries many, flagged
// NLM_F_MULTI, and ends with NLMSG_DONE in a later buffer). parse_messages turns a buffer into
// a list of Message values, each tagged with the nlmsg_seq of the request it answers, so the
// socket can match pipelined replies to requests by sequence number.
//
// Dest messages do not say which service they belong to: that is known only from the sequence
// number of the dest dump, so the caller attaches them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "common/result.hpp"
#include "libipvs/model.hpp"
#include "libipvs/request.hpp"

namespace ipvs {

/// NLMSG_ERROR: error 0 is an ACK; otherwise a positive errno, plus the kernel's extended-ack
/// text when it sent one (NETLINK_EXT_ACK).
struct AckMsg {
  std::uint32_t seq = 0;
  int error = 0;
  std::string message;
};
/// NLMSG_DONE: the end of a dump (error is a positive errno when the dump failed midway).
struct DoneMsg {
  std::uint32_t seq = 0;
  int error = 0;
};
struct ServiceMsg {
  std::uint32_t seq = 0;
  Service service;
};
struct DestMsg {
  std::uint32_t seq = 0;
  Dest dest;
};
/// Reply to IPVS_CMD_GET_INFO (command SET_INFO).
struct InfoMsg {
  std::uint32_t seq = 0;
  std::uint32_t version = 0;        // 0x010201 = 1.2.1
  std::uint32_t conn_table_size = 0;
};
/// Reply to IPVS_CMD_GET_CONFIG (command SET_CONFIG).
struct TimeoutsMsg {
  std::uint32_t seq = 0;
  Timeouts timeouts;
};
/// One running sync daemon (dump of IPVS_CMD_GET_DAEMON).
struct DaemonMsg {
  std::uint32_t seq = 0;
  SyncDaemon daemon;
};
/// nlctrl CTRL_CMD_NEWFAMILY: the resolved id of a generic netlink family.
struct FamilyMsg {
  std::uint32_t seq = 0;
  std::uint16_t id = 0;
  std::string name;
};
/// Anything else (NOOP, other families or commands): kept so sequence accounting still works.
struct OtherMsg {
  std::uint32_t seq = 0;
  std::uint16_t type = 0;
};

using Message =
    std::variant<AckMsg, DoneMsg, ServiceMsg, DestMsg, InfoMsg, TimeoutsMsg, DaemonMsg, FamilyMsg, OtherMsg>;

[[nodiscard]] std::uint32_t seq_of(const Message& m) noexcept;

/// Parses every netlink message in `bytes`. `ipvs_family_id` is the resolved id of the "IPVS"
/// genl family (messages of other ids become OtherMsg, except nlctrl family replies).
/// `dest_family` is the family assumed for dests whose dump lacks IPVS_DEST_ATTR_ADDR_FAMILY
/// (kernels before 3.18): the family of the service being dumped.
/// Counters::skip leaves Service/Dest::stats empty: the stats nests are not read.
[[nodiscard]] vigil::Result<std::vector<Message>> parse_messages(std::span<const std::uint8_t> bytes,
                                                                 std::uint16_t ipvs_family_id,
                                                                 Family dest_family = Family::v4,
                                                                 Counters counters = Counters::read);

/// The nested IPVS_CMD_ATTR_SERVICE / _DEST payloads alone (exposed for tests and fuzzing).
[[nodiscard]] vigil::Result<Service> parse_service_attrs(std::span<const std::uint8_t> nest,
                                                         Counters counters = Counters::read);
[[nodiscard]] vigil::Result<Dest> parse_dest_attrs(std::span<const std::uint8_t> nest, Family dest_family,
                                                   Counters counters = Counters::read);

}  // namespace ipvs
