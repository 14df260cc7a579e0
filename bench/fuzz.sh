#!/usr/bin/env bash
# Runs every libFuzzer harness (tests/fuzz) for SECONDS each, one at a time, from a fresh work
# corpus seeded like the fuzz preset's tests, and prints one line per harness: executions,
# executions per second, coverage (edges) and crashes. Needs only the fuzz preset's build
# (made here when missing). Crash inputs are kept in build/fuzz/bench-fuzz/artifacts/.
#   bench/fuzz.sh [SECONDS]        default 600 s per harness
#   nice -n 10 bench/fuzz.sh 300   at low priority
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-600}"
build="$root/build/fuzz"
harnesses=(token_response callback provider_json discovery c_abi gateway_head oauth1_base_string)

missing=0
for h in "${harnesses[@]}"; do [ -x "$build/tests/fuzz/fuzz_$h" ] || missing=1; done
if [ $missing -eq 1 ] || [ ! -f "$build/tests/fuzz/seeds/stamp" ]; then
  (cd "$root" && cmake --preset fuzz >/dev/null && cmake --build --preset fuzz >/dev/null)
fi

out="$build/bench-fuzz"
rm -rf "$out"
mkdir -p "$out/artifacts"
printf '%-20s %14s %10s %8s %8s\n' harness executions exec/s cov crashes
total_crashes=0
for h in "${harnesses[@]}"; do
  dirs=("$out/$h/corpus")
  mkdir -p "$out/$h/corpus"
  for d in "$build/tests/fuzz/seeds/$h" "$root/tests/fuzz/seeds/$h" "$root/tests/vectors/fuzz/$h"; do
    [ -d "$d" ] && dirs+=("$d")
  done
  rc=0
  "$build/tests/fuzz/fuzz_$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/$h-" "${dirs[@]}" >"$out/$h.log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$h.log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$h.log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$out/$h.log" | tail -1 | cut -d' ' -f2)
  crashes=$(find "$out/artifacts" -name "$h-*" | wc -l)
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
  total_crashes=$((total_crashes + crashes))
  printf '%-20s %14s %10s %8s %8s\n' "$h" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$crashes"
done
echo "fuzz: ${#harnesses[@]} harnesses x ${seconds} s, ${total_crashes} crashes (logs in $out)"
[ "$total_crashes" -eq 0 ]
