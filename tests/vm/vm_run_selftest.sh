#!/bin/bash
# Host-side test of vm-run's interface (two VM boots): exit status, stdout/stderr kept apart and
# binary-safe, --share, --env, working folder, no network device in the guest, throw-away root
# writes, --timeout (exit 124, qemu gone), and a folder the guest cannot see (exit 125, no boot).
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
vmrun=$here/vm-run
failures=0
fail() { echo "vm_run_selftest: FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "vm_run_selftest: ok: $*"; }

work=$(mktemp -d /var/tmp/vigil-vm-selftest.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
share=$work/share
mkdir "$share"
head -c 65536 /dev/urandom >"$share/in.bin"
marker=/usr/share/vigil-vm-selftest-$$

# 1: one VM, many checks.
"$vmrun" --timeout 240 --share "$share" -e SELFTEST_FOO='a b'\''c' -C "$here" -- /bin/sh -c '
  cat "$VIGIL_VM_SHARE/in.bin"
  echo "stderr line" >&2
  printf "%s\n" "$SELFTEST_FOO" >"$VIGIL_VM_SHARE/env.txt"
  pwd >"$VIGIL_VM_SHARE/pwd.txt"
  ls /sys/class/net >"$VIGIL_VM_SHARE/netdevs.txt"
  id -u >"$VIGIL_VM_SHARE/uid.txt"
  touch "$1" && echo written >"$VIGIL_VM_SHARE/rootwrite.txt"
  exit 42' sh "$marker" >"$work/stdout" 2>"$work/stderr"
rc=$?
[ $rc = 42 ] && ok "exit status passed through" || fail "exit status $rc, expected 42 (stderr: $(tail -n 5 "$work/stderr"))"
cmp -s "$share/in.bin" "$work/stdout" && ok "stdout binary-safe" || fail "stdout differs from the 64 KiB random input"
grep -qx 'stderr line' "$work/stderr" && ok "stderr separate" || fail "stderr line missing: $(cat "$work/stderr")"
[ "$(cat "$share/env.txt" 2>/dev/null)" = "a b'c" ] && ok "--env with quoting" || fail "--env: got '$(cat "$share/env.txt" 2>/dev/null)'"
[ "$(cat "$share/pwd.txt" 2>/dev/null)" = "$here" ] && ok "--chdir" || fail "pwd in guest: '$(cat "$share/pwd.txt" 2>/dev/null)', expected $here"
[ "$(cat "$share/netdevs.txt" 2>/dev/null)" = lo ] && ok "no network device but lo" ||
  fail "guest network devices: $(tr '\n' ' ' <"$share/netdevs.txt" 2>/dev/null)"
[ "$(cat "$share/uid.txt" 2>/dev/null)" = 0 ] && ok "root in the guest" || fail "guest uid $(cat "$share/uid.txt" 2>/dev/null)"
if [ -f "$share/rootwrite.txt" ] && [ ! -e "$marker" ]; then ok "root writes stay in the VM"
else fail "writing $marker in the guest: failed in the guest, or it reached the host"; rm -f "$marker"; fi

# 2: --timeout kills the VM and exits 124.
tshare=$work/tshare
mkdir "$tshare"
start=$SECONDS
"$vmrun" --timeout 8 --share "$tshare" -- sleep 600 >"$work/t.out" 2>"$work/t.err"
rc=$?
took=$((SECONDS - start))
[ $rc = 124 ] && ok "timeout exits 124 after ${took}s" || fail "timeout: exit $rc after ${took}s, expected 124 ($(tail -n 3 "$work/t.err"))"
[ $took -lt 30 ] || fail "timeout took ${took}s for --timeout 8"
if pgrep -f "path=$tshare," >/dev/null; then fail "a qemu process outlived vm-run"; else ok "no qemu left behind"; fi

# 3: a working folder under /tmp (a CI checkout may live there) is shared into the guest.
tdir=$(mktemp -d /tmp/vigil-vm-selftest.XXXXXX)
echo "visible-$$" > "$tdir/marker"
got=$(cd "$tdir" && "$vmrun" -- cat marker 2>"$work/h.err")
rc=$?
rm -rf "$tdir"
[ $rc = 0 ] && [ "$got" = "visible-$$" ] && ok "working folder under /tmp is shared into the guest" ||
  fail "working folder under /tmp: exit $rc, got '$got', $(cat "$work/h.err")"

if [ $failures -gt 0 ]; then echo "vm_run_selftest: $failures failure(s)" >&2; exit 1; fi
echo "vm_run_selftest: PASS"
