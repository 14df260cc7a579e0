#!/usr/bin/env bash
# Runs every libFuzzer harness (tests/fuzz) for SECONDS each, one at a time, from a fresh work
# corpus seeded like the fuzz preset's tests, and prints one line per harness: executions,
# executions per second, coverage (edges) and crashes. Needs only the fuzz preset's build
# (made here when missing). Crash inputs are kept in build/fuzz/bench-fuzz/artifacts/.
#   bench/fuzz.sh [SECONDS]        default 600 s per harness
#   nice -n 10 bench/fuzz.sh 300   at low priority
#   JOBS=2 bench/fuzz.sh 600       two harnesses at a time
#   RUNS=10000000 bench/fuzz.sh 3600   stop each harness after RUNS executions (SECONDS is the cap)
#   ONLY="callback discovery" bench/fuzz.sh   only these harnesses (their work files: bench-fuzz-ONLY…)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-600}"
build="$root/build/fuzz"
# Slowest first, so that with JOBS=2 the long runs overlap the short ones.
harnesses=(c_abi oauth1_base_string discovery callback provider_json gateway_head token_response)
[ -n "${ONLY:-}" ] && read -r -a harnesses <<<"$ONLY"

missing=0
for h in "${harnesses[@]}"; do [ -x "$build/tests/fuzz/fuzz_$h" ] || missing=1; done
if [ $missing -eq 1 ] || [ ! -f "$build/tests/fuzz/seeds/stamp" ]; then
  (cd "$root" && cmake --preset fuzz >/dev/null && cmake --build --preset fuzz >/dev/null)
fi

out="$build/bench-fuzz${ONLY:+-$(echo "$ONLY" | tr ' ' '-')}"
rm -rf "$out"
mkdir -p "$out/artifacts"
jobs="${JOBS:-1}"
run_one() {  # one harness; its summary line goes to $out/$1.line
  local h="$1" rc=0 d
  local dirs=("$out/$h/corpus")
  mkdir -p "$out/$h/corpus"
  for d in "$build/tests/fuzz/seeds/$h" "$root/tests/fuzz/seeds/$h" "$root/tests/vectors/fuzz/$h"; do
    [ -d "$d" ] && dirs+=("$d")
  done
  local runs=()
  [ -n "${RUNS:-}" ] && runs=(-runs="$RUNS")
  "$build/tests/fuzz/fuzz_$h" -max_total_time="$seconds" "${runs[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/$h-" "${dirs[@]}" >"$out/$h.log" 2>&1 || rc=$?
  local execs rate cov crashes
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$h.log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$h.log" | tail -1)
  # No 'cov:' line when the harness died on a seed input; grep's miss must not end this job (set -e).
  cov=$(grep -o 'cov: [0-9]*' "$out/$h.log" | tail -1 | cut -d' ' -f2 || true)
  crashes=$(find "$out/artifacts" -name "$h-*" | wc -l)
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
  printf '%-20s %14s %10s %8s %8s\n' "$h" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$crashes" >"$out/$h.line"
}
# JOBS=N runs N harnesses at once (one core each); lines are printed in the harnesses' order.
running=0
for h in "${harnesses[@]}"; do
  run_one "$h" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait || true
printf '%-20s %14s %10s %8s %8s\n' harness executions exec/s cov crashes
total_crashes=0
for h in "${harnesses[@]}"; do
  cat "$out/$h.line"
  total_crashes=$((total_crashes + $(awk '{print $5}' "$out/$h.line")))
done
echo "fuzz: ${#harnesses[@]} harnesses x ${seconds} s${RUNS:+ or $RUNS executions} (${jobs} at a time), ${total_crashes} crashes (logs in $out)"
[ "$total_crashes" -eq 0 ]
