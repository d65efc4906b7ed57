#!/usr/bin/env bash
# Run every fuzz target for a bounded time and report executions and crashes per target.
# Usage: fuzz/run.sh [SECONDS_PER_TARGET=60] [TARGET…]
# The toolchain here is stable Rust; cargo fuzz needs nightly flags (-Zsanitizer=address),
# which RUSTC_BOOTSTRAP=1 unlocks on stable. Crashes are copied to fuzz/regressions/<target>/,
# which tests/fuzz_regressions.rs replays in the normal test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}; shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(tftp_codec frame_decode serve_packet dhcp_session capture_reader analyze_pipeline)
# FUZZ_SANITIZER=none builds without AddressSanitizer: about half the build time, and the code
# is safe Rust, where a panic (which libFuzzer catches either way) is the failure that matters.
SAN=${FUZZ_SANITIZER:-address}
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2 -q
if [ ! -d fuzz/corpus/frame_decode ]; then
  cargo build --release -q --example fuzz_seeds
  target/release/examples/fuzz_seeds fuzz/corpus ../shared/captures/public/*.pcap* samples/*.pcap* >/dev/null 2>&1 || \
    target/release/examples/fuzz_seeds fuzz/corpus samples/*.pcap* >/dev/null
fi
(cd fuzz && cargo fuzz build -O -s "$SAN" >/dev/null 2>&1) || (cd fuzz && cargo fuzz build -O -s "$SAN")
status=0
printf '%-18s %12s %9s %8s %s\n' target executions exec/s crashes corpus
for t in "${TARGETS[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t" "fuzz/regressions/$t"
  log="fuzz/artifacts/$t/last-run.log"
  set +e
  (cd fuzz && cargo fuzz run -O -s "$SAN" "$t" "corpus/$t" -- -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1) >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
  crashes=0
  for c in fuzz/artifacts/"$t"/crash-* fuzz/artifacts/"$t"/timeout-* fuzz/artifacts/"$t"/oom-*; do
    [ -e "$c" ] || continue
    crashes=$((crashes + 1)); cp "$c" "fuzz/regressions/$t/"
  done
  printf '%-18s %12s %9s %8s %s\n' "$t" "$runs" "$rate" "$crashes" "$(ls "fuzz/corpus/$t" | wc -l) inputs"
  if [ $rc -ne 0 ] || [ $crashes -gt 0 ]; then status=1; grep -E 'panicked|ERROR|SUMMARY' "$log" | head -5; fi
done
exit $status
