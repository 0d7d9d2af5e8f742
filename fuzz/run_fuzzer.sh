#!/bin/sh
# Runs one libFuzzer target for a bounded time from its seed corpus (copied, so the repo's corpus
# is not modified) and prints how many inputs it executed. Any crash, leak or sanitizer report
# makes libFuzzer exit non-zero, and so this test fail.
set -eu
target=$1
corpus=$2
seconds=$3
if [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
  echo "$(basename "$target"): no seed corpus in $corpus" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work" "$work.log"' EXIT
cp -r "$corpus/." "$work/"
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="${VIGIL_FUZZ_ARTIFACTS:-$work/}" "$work" 2>"$work.log" || {
  tail -60 "$work.log"
  rm -f "$work.log"
  exit 1
}
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work.log" | grep -o '[0-9]*$' || echo '?')
rm -f "$work.log"
echo "$(basename "$target"): $runs executions in ${seconds} s, no crash"
