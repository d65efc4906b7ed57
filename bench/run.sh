#!/usr/bin/env bash
# Throughput and memory of `pxe-inspect analyze` against cat, a bare pcap-parser+etherparse+
# dhcproto loop (examples/bare_loop.rs), tcpdump and tshark on the same
# generated capture, in the same run; prints MB/s, ratios and peak RSS.
# Usage: bench/run.sh [SIZE_MB]   (default 300; tshark gets a 1/10 slice because it is slow)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-300}
cargo build --release -q --examples --bins
BIN=target/release/pxe-inspect
SRC=samples/lab-bios-dnsmasq.pcap
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
src_bytes=$(stat -c %s "$SRC")
copies=$(( SIZE_MB * 1024 * 1024 / src_bytes + 1 ))
target/release/examples/gen_capture "$SRC" "$WORK/big.pcap" "$copies"
target/release/examples/gen_capture "$SRC" "$WORK/small.pcap" "$(( copies / 10 + 1 ))"
big=$(stat -c %s "$WORK/big.pcap"); small=$(stat -c %s "$WORK/small.pcap")
echo "capture: $(( big / 1048576 )) MB, $copies client sessions (tshark: $(( small / 1048576 )) MB)"
measure() { # name file cmd... -> "name seconds MB/s peakKB"
  local name=$1 file=$2; shift 2
  local t0 t1 rss
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$WORK/rss" "$@" >/dev/null 2>&1 || true
  rss=$(tail -1 "$WORK/rss")
  t1=$(date +%s.%N)
  awk -v n="$name" -v a="$t0" -v b="$t1" -v s="$(stat -c %s "$file")" -v r="$rss" 'BEGIN{d=b-a; printf "%-34s %8.2f s %9.1f MB/s %9d KB\n", n, d, s/1048576/d, r}'
}
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)"; exit 2; }
{
  measure "cat" "$WORK/big.pcap" cat "$WORK/big.pcap"
  measure "bare loop (read+slice+dhcproto)" "$WORK/big.pcap" target/release/examples/bare_loop "$WORK/big.pcap"
  measure "pxe-inspect analyze -f jsonl" "$WORK/big.pcap" "$BIN" analyze -f jsonl --fail-on never "$WORK/big.pcap"
  measure "pxe-inspect analyze (table)" "$WORK/big.pcap" "$BIN" analyze --fail-on never "$WORK/big.pcap"
  if command -v tcpdump >/dev/null; then measure "tcpdump -nr (udp 67/69 filter)" "$WORK/big.pcap" tcpdump -nr "$WORK/big.pcap" 'udp port 67 or udp port 69'; fi
  if command -v tshark >/dev/null; then
    measure "pxe-inspect analyze (tshark slice)" "$WORK/small.pcap" "$BIN" analyze -f jsonl --fail-on never "$WORK/small.pcap"
    measure "tshark -r -Y 'dhcp || tftp' (slice)" "$WORK/small.pcap" tshark -r "$WORK/small.pcap" -Y 'dhcp || tftp'
  fi
} | tee "$WORK/results.txt"
awk '
  /^cat/ {cat=$(NF-3)} /^bare loop/ {bare=$(NF-3)} /^pxe-inspect analyze -f jsonl/ {pxi=$(NF-3)} /^tcpdump/ {td=$(NF-3)}
  /analyze \(tshark slice\)/ {pxs=$(NF-3)} /^tshark/ {ts=$(NF-3)}
  END {
    if (pxi>0 && cat>0) printf "pxe-inspect is %.1fx slower than cat\n", cat/pxi;
    if (pxi>0 && bare>0) printf "pxe-inspect runs at %.0f%% of the bare read+slice+decode loop\n", 100*pxi/bare;
    if (pxi>0 && td>0) printf "pxe-inspect is %.1fx the speed of filtered tcpdump\n", pxi/td;
    if (pxs>0 && ts>0) printf "pxe-inspect is %.1fx the speed of tshark\n", pxs/ts;
  }' "$WORK/results.txt"
