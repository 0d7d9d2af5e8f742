#!/bin/sh
# Smoke test of the VM test bed, run inside the VM:
#   tests/vm/vm-run -- tests/vm/ipvs_smoke.sh
# Checks that the guest kernel has IPVS (modprobe, a service and two destinations set with
# ipvsadm in a network namespace) and that namespaces + veth carry real HTTP traffic (busybox
# httpd in one namespace, curl in another). Exits non-zero with a message on the first failure.
set -u

fail() { echo "ipvs_smoke: FAIL: $*" >&2; exit 1; }
step() { echo "ipvs_smoke: $*"; }

[ "${VIGIL_VM:-}" = 1 ] || fail "run me inside the VM: tests/vm/vm-run -- $0"
[ "$(id -u)" = 0 ] || fail "needs root inside the VM"
for tool in ip ipvsadm curl busybox modprobe; do
  command -v "$tool" >/dev/null || fail "$tool not found in the VM (it comes from the host root)"
done

LVS=smoke-lvs SRV=smoke-srv CLI=smoke-cli
httpd_pid=
cleanup() {
  [ -n "$httpd_pid" ] && kill "$httpd_pid" 2>/dev/null
  for ns in $LVS $SRV $CLI; do ip netns del "$ns" 2>/dev/null; done
}
trap cleanup EXIT

# --- IPVS ------------------------------------------------------------------------------------
step "kernel $(uname -r)"
modprobe ip_vs || fail "modprobe ip_vs failed"
[ -r /proc/net/ip_vs ] || fail "ip_vs loaded but /proc/net/ip_vs is missing"
ip netns add $LVS || fail "ip netns add $LVS"
# Without lo up a namespace has no local table and adding a destination fails with EINVAL.
ip -n $LVS link set lo up || fail "bringing lo up in $LVS"
ip netns exec $LVS ipvsadm -A -t 10.0.0.1:80 -s wrr || fail "ipvsadm: adding service 10.0.0.1:80"
ip netns exec $LVS ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 1 || fail "ipvsadm: adding destination 10.0.0.2:8080"
ip netns exec $LVS ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.3:8080 -m -w 2 || fail "ipvsadm: adding destination 10.0.0.3:8080"
table=$(ip netns exec $LVS ipvsadm -Ln) || fail "ipvsadm -Ln failed"
printf '%s\n' "$table"
printf '%s\n' "$table" | grep -Eq '^TCP +10\.0\.0\.1:80 +wrr' || fail "service TCP 10.0.0.1:80 wrr missing from ipvsadm -Ln"
printf '%s\n' "$table" | grep -Eq -- '-> 10\.0\.0\.2:8080 +Masq +1 ' || fail "destination 10.0.0.2:8080 (Masq, weight 1) missing"
printf '%s\n' "$table" | grep -Eq -- '-> 10\.0\.0\.3:8080 +Masq +2 ' || fail "destination 10.0.0.3:8080 (Masq, weight 2) missing"
# The IPVS table is per namespace: the VM's own namespace must not see the service.
if ipvsadm -Ln | grep -q '10\.0\.0\.1:80'; then fail "service leaked into the VM's root namespace"; fi
step "IPVS ok: service with two destinations in namespace $LVS"

# --- HTTP across a veth pair between two namespaces -------------------------------------------
ip netns add $SRV || fail "ip netns add $SRV"
ip netns add $CLI || fail "ip netns add $CLI"
ip link add smk-srv type veth peer name smk-cli || fail "creating the veth pair"
ip link set smk-srv netns $SRV || fail "moving smk-srv into $SRV"
ip link set smk-cli netns $CLI || fail "moving smk-cli into $CLI"
for ns in $SRV $CLI; do ip -n $ns link set lo up || fail "lo up in $ns"; done
ip -n $SRV addr add 192.0.2.2/24 dev smk-srv || fail "address on smk-srv"
ip -n $CLI addr add 192.0.2.1/24 dev smk-cli || fail "address on smk-cli"
ip -n $SRV link set smk-srv up || fail "smk-srv up"
ip -n $CLI link set smk-cli up || fail "smk-cli up"

doc=$(mktemp -d) || fail "mktemp"
token="vigil-vm-smoke-$$-$(cut -d' ' -f1 /proc/uptime)"
echo "$token" >"$doc/index.html"
ip netns exec $SRV busybox httpd -f -p 192.0.2.2:8080 -h "$doc" &
httpd_pid=$!

# Wait until httpd listens: its own /proc/PID/net/tcp shows its namespace's sockets
# (port 8080 = 1F90, state 0A = LISTEN). Bounded: 20 s.
listening() {
  while read -r _ local _ st _; do
    case "$local:$st" in *:1F90:0A) return 0 ;; esac
  done <"/proc/$httpd_pid/net/tcp"
  return 1
}
i=0
until listening 2>/dev/null; do
  kill -0 "$httpd_pid" 2>/dev/null || fail "busybox httpd exited at start"
  i=$((i + 1))
  [ $i -le 400 ] || fail "busybox httpd did not listen on 192.0.2.2:8080 within 20 s"
  sleep 0.05
done

body=$(ip netns exec $CLI curl -sS --max-time 20 http://192.0.2.2:8080/index.html) ||
  fail "curl from $CLI to http://192.0.2.2:8080/ failed"
[ "$body" = "$token" ] || fail "curl got '$body', expected '$token'"
step "HTTP ok: curl in $CLI fetched the page from busybox httpd in $SRV over veth"

if [ -n "${VIGIL_VM_SHARE:-}" ] && [ -d "$VIGIL_VM_SHARE" ]; then
  printf '%s\n' "$table" >"$VIGIL_VM_SHARE/ipvs_smoke.ipvsadm.txt" || fail "cannot write to the share $VIGIL_VM_SHARE"
fi
step "PASS"
