// DOC: TCP_CHECK: connect to connect_ip:connect_port (from bindto/bind_port if given) within
// connect_timeout, then close. Refused, unreachable and timed-out connects read differently.
// The connects run in the ProbeContext's TcpConnector (tcp_connector.hpp), which keeps the
// system calls and loop wake-ups per check low.
#include "libhealth/probes/probes.hpp"

#include "libhealth/probes/tcp_connector.hpp"

namespace health::detail {

ProbeHandle start_tcp_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done, TimePoint now) {
  return context.tcp().start(spec.target, spec.timeout, std::move(done), now);
}

}  // namespace health::detail
