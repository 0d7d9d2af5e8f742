"""DOC: Interop with Debian's keepalived 2.2.7 in both roles — VRRPv2 with PASS authentication at 1 s
and VRRPv3 at 0.2 s: one master, failover both ways (planned stop), the stopped one returns and
preempts, and neither side counts or logs protocol errors about the other."""

import re
import time

from vrrplab import Lab, check, config, instance, main

VIP = "198.18.0.100"
AUTH = "  authentication {\n    auth_type PASS\n    auth_pass secret\n  }"
# keepalived's complaints about a peer's adverts (vrrp.c): checksum, TTL, auth, interval, addresses
KA_PROTOCOL_ERROR = re.compile(r"(?i)(invalid|mismatch|bad |checksum|wrong|not present|incompatible|error)")


def conf(priority, version):
    if version == 2:
        return config(instance(priority=priority, version=2, advert="1", extra=AUTH))
    return config(instance(priority=priority, version=3, advert="0.2"))


def ka_errors(ka):
    return [l for l in ka.log_lines(r"VI_1") if KA_PROTOCOL_ERROR.search(l)]


def scenario(vigild, version, vigil_master):
    slow = 6 if version == 2 else 3
    with Lab(f"interop_v{version}", vigild, keepalived=True) as lab:
        h1, h2 = lab.host("h1", 1), lab.host("h2", 2)
        hi, lo = conf(150, version), conf(100, version)
        if vigil_master:
            v, k = h1.vigild(hi), h2.keepalived(lo)
            vigil_host, ka_host = h1, h2
        else:
            k, v = h1.keepalived(hi), h2.vigild(lo)
            vigil_host, ka_host = h2, h1
        if vigil_master:
            v.wait_state("VI_1", "MASTER", slow)
            k.wait_state("VI_1", "BACKUP", slow)
            h1.wait_address(VIP, True, 2)
            # planned stop of vigild: keepalived takes over, vigild hands over losslessly
            t = time.time()
            v.term()
            v.wait_exit(slow)
            k.out.wait(r"\(VI_1\) Entering MASTER STATE", slow, t)
            h2.wait_address(VIP, True, 2)
            check(v.log_lines(r"successor 198\.18\.0\.2 took over"), "vigild saw no successor")
            errors_before_restart = 0
            t = time.time()
            v = h1.vigild(hi)
            v.wait_state("VI_1", "MASTER", slow + 2)
            k.out.wait(r"\(VI_1\) Entering BACKUP STATE", slow, t)
            h2.wait_address(VIP, False, 2)
        else:
            k.wait_state("VI_1", "MASTER", slow + 2)
            v.wait_state("VI_1", "BACKUP", slow)
            h1.wait_address(VIP, True, 2)
            t = time.time()
            k.term()
            v.wait_state("VI_1", "MASTER", slow)
            h2.wait_address(VIP, True, 2)
            k.wait_exit(10)
            t = time.time()
            k = h1.keepalived(hi)
            k.out.wait(r"\(VI_1\) Entering MASTER STATE", slow + 4, t)
            v.wait_state("VI_1", "BACKUP", slow)
            h2.wait_address(VIP, False, 2)
            errors_before_restart = 0
        st = v.instance("VI_1")
        check(st["advert_errors_total"] == errors_before_restart, f"vigild dropped keepalived's adverts: {st['advert_errors']}")
        check(st["adverts_received"] > 0, "vigild received no adverts")
        errors = ka_errors(k)
        check(not errors, "keepalived complained:\n" + "\n".join(errors))
        print(f"v{version} {'vigild master' if vigil_master else 'keepalived master'}: failover both ways, "
              f"vigild received {st['adverts_received']} adverts, no errors on either side")


def interop_v2_vigil_master(vigild):
    scenario(vigild, 2, True)


def interop_v2_keepalived_master(vigild):
    scenario(vigild, 2, False)


def interop_v3_vigil_master(vigild):
    scenario(vigild, 3, True)


def interop_v3_keepalived_master(vigild):
    scenario(vigild, 3, False)


if __name__ == "__main__":
    main({f.__name__: f for f in [interop_v2_vigil_master, interop_v2_keepalived_master, interop_v3_vigil_master,
                                  interop_v3_keepalived_master]})
