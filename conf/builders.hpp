// DOC: Block builders — one function per keepalived block, statement tree in, model node out.
// Internal to conf/; the public entry point is parser.hpp.
#pragma once

#include <optional>
#include <vector>

#include "conf/build_context.hpp"
#include "conf/model.hpp"
#include "conf/tree.hpp"

namespace conf {

void build_global_defs(BuildContext& ctx, const Statement& s, GlobalDefs& out);
std::optional<VrrpScript> build_vrrp_script(BuildContext& ctx, const Statement& s);
std::optional<SyncGroup> build_sync_group(BuildContext& ctx, const Statement& s);
std::optional<VrrpInstance> build_vrrp_instance(BuildContext& ctx, const Statement& s, const GlobalDefs& global);
std::optional<VirtualServerGroup> build_virtual_server_group(BuildContext& ctx, const Statement& s);
std::optional<VirtualServer> build_virtual_server(BuildContext& ctx, const Statement& s);
std::optional<SslContext> build_ssl(BuildContext& ctx, const Statement& s);

/// Blocks vigil accepts without effect but whose addresses are still checked, so a typo such as
/// `192.168.100./24` is reported (keepalived.conf.vrrp.rules in Debian's samples has one).
void check_route_block(BuildContext& ctx, const Statement& s);
void check_rule_block(BuildContext& ctx, const Statement& s);
void check_address_block(BuildContext& ctx, const Statement& s);  // static_ipaddress

/// Shared by instance and sync group.
void build_track_interfaces(BuildContext& ctx, const Statement& s, std::vector<TrackInterface>& out);
void build_track_scripts(BuildContext& ctx, const Statement& s, std::vector<TrackScript>& out);
/// A virtual_ipaddress line: `IP[/LEN] [brd IP|+|-] [dev IF] [scope S] [label L] …`.
std::optional<VirtualIp> parse_virtual_ip(BuildContext& ctx, const Statement& line);

/// The whole file: global_defs first (instances take defaults from it), then everything else.
/// Consumes `top`: each top-level block's statements are freed once it is built, so a large
/// file's tree and its model are never both whole in memory. `built` are virtual servers
/// already built while reading (in file order); those still in `top` follow them.
Config build_config(BuildContext& ctx, std::vector<Statement>&& top, std::vector<VirtualServerPtr>&& built = {});

}  // namespace conf
