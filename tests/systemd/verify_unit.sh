#!/bin/sh
# systemd-analyze verify on the shipped unit, with ExecStart pointing at the built vigild.
set -eu
unit_src=$1
vigild=$2
command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze missing (apt-get install systemd)"; exit 1; }
[ -x "$vigild" ] || { echo "FAIL: $vigild not built"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s#/usr/sbin/vigild#$vigild#" "$unit_src" > "$dir/vigild.service"
out=$(systemd-analyze verify "$dir/vigild.service" 2>&1) || { echo "$out"; echo "FAIL: systemd-analyze verify"; exit 1; }
if [ -n "$out" ]; then echo "$out"; echo "FAIL: systemd-analyze printed warnings"; exit 1; fi
for key in Type=notify WatchdogSec= ExecReload= NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
           RestrictAddressFamilies= CapabilityBoundingSet=CAP_NET_ADMIN; do
  grep -q "^$key" "$unit_src" || { echo "FAIL: unit lacks $key"; exit 1; }
done
echo "ok: $unit_src verifies"
