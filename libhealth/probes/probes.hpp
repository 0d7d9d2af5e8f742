// DOC: Internal entry points of each probe kind; start_probe() (probe.cpp) dispatches on the spec.
#pragma once

#include "libhealth/probes/probe.hpp"

namespace health::detail {

[[nodiscard]] ProbeHandle start_tcp_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done,
                                          TimePoint now);
[[nodiscard]] ProbeHandle start_http_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done);
[[nodiscard]] ProbeHandle start_misc_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done);
[[nodiscard]] ProbeHandle start_udp_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done);
[[nodiscard]] ProbeHandle start_dns_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done);
[[nodiscard]] ProbeHandle start_ping_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done);
[[nodiscard]] ProbeHandle start_smtp_probe(ProbeContext& context, const ProbeSpec& spec, ProbeCallback done);

}  // namespace health::detail
