#!/usr/bin/python3
"""Writes the seed corpora of fuzz_vrrp, fuzz_netlink and fuzz_http into fuzz/corpus/<name>/ (target fuzz_<name>).

The seeds are checked in; this script documents where each came from and regenerates them:
  vrrp     the adverts keepalived 2.2.7 sent in the lab (tests/libvrrp/advert_codec_test.cpp),
           the crafted hostile adverts of tests/netns/vrrplab.py (TTL 64, bad checksum, wrong
           count, v2 with a wrong password, version 4), each behind the selector byte fuzz_vrrp
           reads first;
  netlink  the kernel's reply layouts, built as tests/libipvs/reply_parser_test.cpp builds them
           (service and dest dumps with STATS/STATS64 and PAD, extended ACKs, DONE, GET_INFO,
           GET_CONFIG, a sync daemon dump, nlctrl's family reply, several in one buffer);
  http     responses written by hand: Content-Length, chunked with extensions and trailers,
           EOF-delimited, 1xx before the final status, redirects, errors, HTTP/1.0, oversized
           and broken headers, each behind fuzz_http's two selector bytes.
Usage: fuzz/make_seeds.py   (from anywhere; overwrites the files it writes, removes nothing)
"""

import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "netns"))
import vrrplab  # noqa: E402  (advert builder and checksum)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target.removeprefix("fuzz_"))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- vrrp --------------------------------------------------------------------------------------

KEEPALIVED_V2_PASS = bytes([
    0x45, 0xc0, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0x14, 0x7f, 0xc6, 0x12, 0x00, 0x01,
    0xe0, 0x00, 0x00, 0x12,
    0x21, 0x33, 0x96, 0x01, 0x01, 0x01, 0x13, 0xd5, 0xc6, 0x12, 0x00, 0x64,
    0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x31, 0x32])
KEEPALIVED_V3_IPV4 = bytes([
    0x45, 0xc0, 0x00, 0x24, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0x14, 0x83, 0xc6, 0x12, 0x00, 0x01,
    0xe0, 0x00, 0x00, 0x12,
    0x31, 0x34, 0x64, 0x02, 0x00, 0x64, 0x36, 0xce,
    0xc6, 0x12, 0x00, 0x65, 0xc6, 0x12, 0x00, 0x66])
KEEPALIVED_V3_IPV4_RESIGN = bytes([
    0x45, 0xc0, 0x00, 0x24, 0x00, 0x05, 0x00, 0x00, 0xff, 0x70, 0x14, 0x7f, 0xc6, 0x12, 0x00, 0x01,
    0xe0, 0x00, 0x00, 0x12,
    0x31, 0x34, 0x00, 0x02, 0x00, 0x64, 0x9a, 0xce,
    0xc6, 0x12, 0x00, 0x65, 0xc6, 0x12, 0x00, 0x66])
KEEPALIVED_V3_IPV6 = bytes([
    0x31, 0x35, 0xc8, 0x01, 0x00, 0x32, 0xf4, 0x0e,
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x53])


def ipv4(src, payload, ttl=255, dst="224.0.0.18"):
    import socket
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0xC0, 20 + len(payload), 1, 0, ttl, 112, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
    header = header[:10] + struct.pack("!H", vrrplab.checksum(header)) + header[12:]
    return header + payload


def vrrp_seeds():
    v4, pass_, ah, unicast = 0x00, 0x02, 0x04, 0x08
    write("fuzz_vrrp", "keepalived_v2_pass", bytes([v4 | pass_]) + KEEPALIVED_V2_PASS)
    write("fuzz_vrrp", "keepalived_v2_pass_unauth", bytes([v4]) + KEEPALIVED_V2_PASS)
    write("fuzz_vrrp", "keepalived_v3_ipv4", bytes([v4]) + KEEPALIVED_V3_IPV4)
    write("fuzz_vrrp", "keepalived_v3_ipv4_unicast", bytes([v4 | unicast]) + KEEPALIVED_V3_IPV4)
    write("fuzz_vrrp", "keepalived_v3_ipv4_resign", bytes([v4]) + KEEPALIVED_V3_IPV4_RESIGN)
    write("fuzz_vrrp", "keepalived_v3_ipv6", bytes([0x01]) + KEEPALIVED_V3_IPV6)
    write("fuzz_vrrp", "keepalived_v3_ipv6_hop64", bytes([0x11]) + KEEPALIVED_V3_IPV6)
    src, dst = "198.18.0.3", "224.0.0.18"
    vips = ["198.18.0.100", "198.18.0.101", "198.18.0.102"]
    write("fuzz_vrrp", "v3_three_vips", bytes([v4]) + ipv4(src, vrrplab.advert_v3(src, dst, 51, 254, vips)))
    write("fuzz_vrrp", "v3_ttl64", bytes([v4]) + ipv4(src, vrrplab.advert_v3(src, dst, 51, 254, vips[:1]), ttl=64))
    write("fuzz_vrrp", "v3_bad_checksum",
          bytes([v4]) + ipv4(src, vrrplab.advert_v3(src, dst, 51, 254, vips[:1], corrupt_checksum=True)))
    write("fuzz_vrrp", "v3_bad_count", bytes([v4]) + ipv4(src, vrrplab.advert_v3(src, dst, 51, 254, vips[:1], count=3)))
    write("fuzz_vrrp", "v2_wrong_password",
          bytes([v4 | pass_]) + ipv4(src, vrrplab.advert_v3(src, dst, 52, 254, vips[:1], version=2, auth=b"wrong")))
    write("fuzz_vrrp", "v2_ah", bytes([v4 | ah]) + ipv4(src, vrrplab.advert_v3(src, dst, 52, 254, [], version=2)))
    write("fuzz_vrrp", "v3_unicast_peer",
          bytes([v4 | unicast]) + ipv4("198.18.0.1", vrrplab.advert_v3("198.18.0.1", "198.18.0.2", 51, 150, vips[:1]),
                                       dst="198.18.0.2"))
    v4msg = vrrplab.advert_v3(src, dst, 51, 254, vips[:1])
    write("fuzz_vrrp", "v4_version", bytes([v4]) + ipv4(src, bytes([0x41]) + v4msg[1:]))
    frag = bytearray(ipv4(src, v4msg))
    frag[6] = 0x20  # MF
    write("fuzz_vrrp", "ip_fragment", bytes([v4]) + bytes(frag))
    opts = bytearray(ipv4(src, v4msg))
    opts = bytes([0x46]) + opts[1:20] + b"\x94\x04\x00\x00" + opts[20:]  # router alert option, IHL 6
    opts = opts[:2] + struct.pack("!H", len(opts)) + opts[4:]
    write("fuzz_vrrp", "ip_options", bytes([v4]) + opts)


# ---- netlink -----------------------------------------------------------------------------------

FAMILY = 0x1c
MULTI = 0x0002


def le16(v): return struct.pack("<H", v & 0xFFFF)
def be16(v): return struct.pack(">H", v & 0xFFFF)
def le32(v): return struct.pack("<I", v & 0xFFFFFFFF)
def le64(v): return struct.pack("<Q", v)
def cstr(s): return s.encode() + b"\0"


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def nla(t, payload):
    return pad4(le16(4 + len(payload)) + le16(t) + payload)


def nlmsg(t, flags, seq, payload):
    return pad4(le32(16 + len(payload)) + le16(t) + le16(flags) + le32(seq) + le32(0) + payload)


def genl(cmd, attrs, version=1):
    return bytes([cmd, version, 0, 0]) + attrs


def addr16(text):
    import ipaddress
    a = ipaddress.ip_address(text)
    return a.packed.ljust(16, b"\0")


def stats(wide, base):
    out = b""
    for t in range(1, 11):
        if wide or t in (4, 5):
            out += nla(11, b"") + nla(t, le64(base + t))
        else:
            out += nla(t, le32(base + t))
    return out


def service_v4():
    return (nla(1, le16(2)) + nla(2, le16(6)) + nla(3, addr16("10.0.0.10")) + nla(4, be16(80)) + nla(6, cstr("wrr")) +
            nla(11, cstr("sip")) + nla(7, le32(0x7) + le32(0xffffffff)) + nla(8, le32(360)) +
            nla(9, bytes([0xff, 0xff, 0xff, 0x00])) + nla(10, stats(False, 100)) + nla(12, stats(True, 5000000000)))


def service_fwmark_v6():
    return (nla(1, le16(10)) + nla(5, le32(7)) + nla(6, cstr("none")) + nla(7, le32(0x2) + le32(0xffffffff)) +
            nla(8, le32(0)) + nla(9, le32(64)))


def dest_gue_v6():
    return (nla(1, addr16("2001:db8::2")) + nla(2, be16(8080)) + nla(3, le32(2)) + nla(4, le32(7)) + nla(13, b"\x01") +
            nla(14, be16(6080)) + nla(15, le16(1)) + nla(5, le32(100)) + nla(6, le32(10)) + nla(7, le32(3)) +
            nla(8, le32(4)) + nla(9, le32(5)) + nla(11, le16(10)) + nla(10, stats(False, 1)) + nla(12, stats(True, 1)))


def dest_dr_v4():
    return (nla(1, addr16("10.0.1.2")) + nla(2, be16(80)) + nla(3, le32(3)) + nla(4, le32(1)) + nla(5, le32(0)) +
            nla(6, le32(0)) + nla(7, le32(0)) + nla(8, le32(0)) + nla(9, le32(0)) + nla(11, le16(2)) +
            nla(10, stats(False, 0)) + nla(12, stats(True, 0)))


def ack(seq, error, ext=None):
    flags = 0x0100 | (0x0200 if ext else 0)
    body = le32(error) + le32(16) + le16(FAMILY) + le16(5) + le32(seq) + le32(0)
    if ext:
        body += nla(1, cstr(ext))
    return nlmsg(2, flags, seq, body)


def done(seq, error=0):
    return nlmsg(3, MULTI, seq, le32(error))


def netlink_seeds():
    svc_dump = nlmsg(FAMILY, MULTI, 42, genl(1, nla(1, service_v4()))) + \
        nlmsg(FAMILY, MULTI, 42, genl(1, nla(1, service_fwmark_v6())))
    write("fuzz_netlink", "service_dump", svc_dump + done(42))
    write("fuzz_netlink", "dest_dump_gue_v6", nlmsg(FAMILY, MULTI, 9, genl(5, nla(2, dest_gue_v6()))) + done(9))
    write("fuzz_netlink", "dest_dump_dr_v4", nlmsg(FAMILY, MULTI, 10, genl(5, nla(2, dest_dr_v4()))) +
          nlmsg(FAMILY, MULTI, 10, genl(5, nla(2, dest_dr_v4()))) + done(10))
    old = nla(1, addr16("10.0.0.9")) + nla(2, be16(80)) + nla(3, le32(3)) + nla(4, le32(1))
    write("fuzz_netlink", "dest_without_family", nlmsg(FAMILY, MULTI, 1, genl(5, nla(2, old))))
    write("fuzz_netlink", "dest_moby_short_addr",
          nlmsg(FAMILY, MULTI, 1, genl(5, nla(2, nla(1, bytes([10, 0, 0, 9])) + nla(2, be16(80)) + nla(11, le16(2))))))
    write("fuzz_netlink", "acks", ack(5, 0) + ack(6, -3) + ack(7, -17))
    write("fuzz_netlink", "ext_ack", ack(8, -22, "Attribute failed policy validation"))
    uncapped = le32(-22) + nlmsg(FAMILY, 0x5, 8, genl(1, nla(1, service_v4()))) + nla(1, cstr("bad scheduler"))
    write("fuzz_netlink", "ext_ack_uncapped", nlmsg(2, 0x0200, 8, uncapped))
    write("fuzz_netlink", "done_error", done(42) + done(43, -16))
    write("fuzz_netlink", "info_config_daemon_family", b"".join([
        nlmsg(FAMILY, 0, 1, genl(14, nla(1, le32(0x010201)) + nla(2, le32(4096)))),
        nlmsg(FAMILY, 0, 2, genl(12, nla(4, le32(900)) + nla(5, le32(120)) + nla(6, le32(300)))),
        nlmsg(FAMILY, MULTI, 3, genl(9, nla(3, nla(1, le32(1)) + nla(2, cstr("eth1")) + nla(3, le32(9)) +
                                            nla(4, le16(1472)) + nla(7, le16(8848)) + nla(8, b"\x01") +
                                            nla(5, bytes([224, 0, 0, 81]))))),
        nlmsg(0x10, 0, 4, genl(1, nla(2, cstr("IPVS")) + nla(1, le16(FAMILY)), 2)),
        nlmsg(0x33, 0, 5, genl(1, b"")),
        nlmsg(1, 0, 6, b""),
    ]))
    daemon6 = nla(3, nla(1, le32(2)) + nla(2, cstr("eth0")) + nla(6, addr16("ff02::81")))
    write("fuzz_netlink", "daemon_v6_group", nlmsg(FAMILY, MULTI, 3, genl(9, daemon6)) + done(3))
    write("fuzz_netlink", "overrun", nlmsg(4, 0, 1, b""))
    # the bare nests, which fuzz_netlink also parses directly
    write("fuzz_netlink", "nest_service_v4", service_v4())
    write("fuzz_netlink", "nest_dest_dr_v4", dest_dr_v4())


# ---- http --------------------------------------------------------------------------------------

def http_seeds():
    ok_md5 = hashlib.md5(b"ok\n").hexdigest()
    assert ok_md5
    plain, digest_ok, digest_empty, ranges = 0, 1, 2, 3
    step = lambda n: n << 2  # bytes per read
    cases = {
        "200_length": (plain, 0, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"),
        "200_length_digest": (digest_ok | step(1), 0, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"),
        "200_digest_mismatch": (digest_ok | step(7), 0, b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbad\n"),
        "200_chunked_digest": (digest_ok | step(5), 0,
                               b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               b"1;ext=1\r\no\r\n2\r\nk\n\r\n0\r\nX-Trailer: y\r\n\r\n"),
        "200_eof_body_digest": (digest_ok, 0, b"HTTP/1.0 200 OK\r\nServer: busybox\r\n\r\nok\n"),
        "200_empty_digest": (digest_empty | step(3), 0, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        "204": (plain, 0, b"HTTP/1.1 204 No Content\r\n\r\n"),
        "100_then_200": (digest_ok | step(2), 0,
                         b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"),
        "301_ranges": (ranges, 0, b"HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n"),
        "404": (plain, 0, b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"),
        "503_ranges": (ranges, 0, b"HTTP/1.1 503 Service Unavailable\r\n\r\n"),
        "body_over_cap": (digest_ok, 1, b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"x" * 1100),
        "chunked_over_cap": (digest_ok | step(9), 1, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"800\r\n" + b"y" * 2048 + b"\r\n0\r\n\r\n"),
        "truncated_body": (digest_ok, 0, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok\n"),
        "bad_status_line": (plain, 0, b"HTTP/1.1 2OO OK\r\n\r\n"),
        "no_reason": (plain | step(1), 0, b"HTTP/1.1 200\r\n\r\n"),
        "folded_header": (plain, 0, b"HTTP/1.1 200 OK\r\nX-A: 1\r\n  2\r\nContent-Length: 0\r\n\r\n"),
        "two_lengths": (digest_ok, 0, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nok\n"),
        "bare_lf": (digest_ok, 0, b"HTTP/1.1 200 OK\nContent-Length: 3\n\nok\n"),
        "big_header": (plain | step(40), 0, b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"),
        "garbage": (plain, 0, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
    }
    for name, (sel, cap, body) in cases.items():
        write("fuzz_http", name, bytes([sel, cap]) + body)


if __name__ == "__main__":
    vrrp_seeds()
    netlink_seeds()
    http_seeds()
    for t in ("fuzz_vrrp", "fuzz_netlink", "fuzz_http"):
        print(t, len(os.listdir(os.path.join(HERE, "corpus", t.removeprefix("fuzz_")))), "seeds")
