#!/bin/sh
# Reload benchmark (bench/README.md, "Reload at 10,000 virtual servers"): a 10,000 x 4 LVS-NAT
# configuration, a reload that changes one real server's weight, and one that changes nothing.
#   bench/ops_reload.sh [BUILD_DIR] [VIRTUAL_SERVERS] [REPETITIONS]     (root; qemu for the VM)
# On the host: how long parsing and validating the file takes natively (vigild -t; the host kernel
# has no IPVS). In the VM (tests/vm/vm-run, real IPVS): SIGHUP -> the one netlink operation in the
# kernel, and how many operations each reload made (bench/ops_reload_vm.py).
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
n=${2:-10000}
reps=${3:-3}
vigild=$build/daemon/vigild
[ -x "$vigild" ] || { echo "ops_reload: $vigild missing (build the vigild target)" >&2; exit 1; }
# the VM sees host files except under /tmp and /run: results go to a shared folder in /var/tmp
share=$(mktemp -d /var/tmp/ops-reload.XXXXXX)
trap 'rm -rf "$share"' EXIT INT TERM
/usr/bin/python3 "$repo/bench/ops_reload_vm.py" --generate "$share/vigil.conf" --vs "$n"
echo "configuration: $n virtual servers x 4 real servers, $(wc -c < "$share/vigil.conf") bytes"

echo "== native (host): vigild -t on the same file, best of 3"
best=""
for i in 1 2 3; do
  t=$(/usr/bin/python3 -c '
import resource, subprocess, sys, time
t = time.monotonic()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.monotonic() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall * 1000:.0f} {(ru.ru_utime + ru.ru_stime) * 1000:.0f} {r.returncode}")' "$vigild" -t -f "$share/vigil.conf")
  set -- $t
  [ "$3" -le 1 ] || { echo "ops_reload: vigild -t failed ($3)" >&2; exit 1; }
  echo "  run $i: parse+validate ${1} ms wall, ${2} ms CPU"
  if [ -z "$best" ] || [ "$1" -lt "$best" ]; then best=$1; fi
done
echo "  best: $best ms"
echo "== native (host): the running daemon's reload without IPVS (vigild -P in a throw-away namespace)"
/usr/bin/python3 "$repo/bench/ops_reload_vm.py" --native --build "$build" --conf "$share/vigil.conf" --reps 5

# vigild peaks at ~60 MB at 10,000 x 4 during a reload (it held ~240 MB before the memory work in
# bench/README.md); 1 GiB leaves the guest's page cache and the file room.
mem=${VIGIL_VM_MEM:-1024}
echo "== VM (real IPVS, TCG, ${mem} MiB)"
VIGIL_VM_MEM=$mem "$repo/tests/vm/vm-run" --timeout 1800 --share "$share" -- /usr/bin/python3 "$repo/bench/ops_reload_vm.py" \
  --build "$build" --conf "$share/vigil.conf" --reps "$reps" --json "$share/result.json"
echo "native parse+validate of the file (the part of a reload that reads it): best $best ms"
