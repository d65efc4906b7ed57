#!/usr/bin/env bash
# Throughput and memory of `pxe-inspect analyze` beside cat, a bare pcap-parser + etherparse +
# dhcproto loop (examples/bare_loop.rs), filtered tcpdump and tshark — on the same capture, in
# the same run — then scaling at 10 MB, 100 MB and SIZE_MB. The capture is a deterministic
# synthetic boot storm (examples/storm.rs: BIOS/UEFI firmware clients against serve's
# responders, 10 % of them failing in known ways).
# Usage: bench/run.sh [SIZE_MB=1024] [SEED=1]   (REPEAT=5: runs per tool, the median is reported)
# Prints packets/s, MB/s and peak RSS per tool, and the ratios the README reports.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-1024}
SEED=${2:-1}
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)"; exit 2; }
cargo build --release -q --examples --bins
BIN=target/release/pxe-inspect
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
storm() { target/release/examples/storm "$WORK/$1.pcap" --size-mb "$2" --seed "$SEED" --rate 100 >"$WORK/$1.json"; }
storm s10 10; storm s100 100; storm big "$SIZE_MB"
frames_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["frames"])' "$WORK/$1.json"; }
echo "capture: storm seed $SEED, $(( $(stat -c %s "$WORK/big.pcap") / 1048576 )) MB, $(frames_of big) frames; $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["scenarios"])' "$WORK/big.json")"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
REPEAT=${REPEAT:-5}
measure() { # name capture cmd... -> "name seconds MB/s kpkt/s peakKB": median wall time of
  # REPEAT runs (single runs on a shared 2-core machine swing by 10 %), largest peak RSS.
  local name=$1 cap=$2; shift 2
  local t0 t1 rss=0 r times=()
  for _ in $(seq "$REPEAT"); do
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$WORK/rss" "$@" >/dev/null 2>"$WORK/err" || true
    t1=$(date +%s%N)
    r=$(tail -1 "$WORK/rss"); [ "$r" -gt "$rss" ] && rss=$r
    times+=($((t1 - t0)))
  done
  local med; med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  awk -v n="$name" -v d="$med" -v s="$(stat -c %s "$WORK/$cap.pcap")" -v f="$(frames_of "$cap")" -v r="$rss" \
    'BEGIN{d=d/1e9; printf "%-40s %7.3f s %8.1f MB/s %8.0f kpkt/s %8d KB\n", n, d, s/1048576/d, f/1000/d, r}'
}
{
  echo "== same capture (${SIZE_MB} MB)"
  measure "cat" big cat "$WORK/big.pcap"
  measure "bare loop (read+slice+dhcproto)" big target/release/examples/bare_loop "$WORK/big.pcap"
  measure "pxe-inspect analyze -f jsonl" big "$BIN" analyze -f jsonl --fail-on never "$WORK/big.pcap"
  measure "pxe-inspect analyze -f json" big "$BIN" analyze -f json --fail-on never "$WORK/big.pcap"
  measure "pxe-inspect analyze (table)" big "$BIN" analyze --fail-on never "$WORK/big.pcap"
  if command -v tcpdump >/dev/null; then measure "tcpdump -nr 'udp port 67 or udp port 69'" big tcpdump -nr "$WORK/big.pcap" 'udp port 67 or udp port 69'; fi
  if command -v tshark >/dev/null; then
    echo "== tshark on the 100 MB storm (it holds per-frame state: a GB capture takes GBs of RAM)"
    measure "pxe-inspect analyze -f json (100 MB)" s100 "$BIN" analyze -f json --fail-on never "$WORK/s100.pcap"
    measure "tshark -r -Y 'dhcp || tftp' (100 MB)" s100 tshark -r "$WORK/s100.pcap" -Y 'dhcp || tftp'
  fi
  echo "== scaling: analyze -f jsonl"
  measure "analyze 10 MB" s10 "$BIN" analyze -f jsonl --fail-on never "$WORK/s10.pcap"
  measure "analyze 100 MB" s100 "$BIN" analyze -f jsonl --fail-on never "$WORK/s100.pcap"
  measure "analyze ${SIZE_MB} MB" big "$BIN" analyze -f jsonl --fail-on never "$WORK/big.pcap"
} | tee "$WORK/results.txt"
echo "== ratios (same run)"
awk '
  function rate(line) { n=split(line, a, " "); for (i=1;i<=n;i++) if (a[i]=="MB/s") return a[i-1]; return 0 }
  /^cat / {cat=rate($0)} /^bare loop/ {bare=rate($0)} /^pxe-inspect analyze -f jsonl/ {jl=rate($0)}
  /^pxe-inspect analyze -f json  / {js=rate($0)} /^tcpdump/ {td=rate($0)}
  /analyze -f json \(100 MB\)/ {js100=rate($0)} /^tshark/ {ts=rate($0)}
  /^analyze 10 MB/ {s10=$3} /^analyze 100 MB/ {s100=$3} /^analyze [0-9]+ MB/ && !/ 10 MB| 100 MB/ {sbig=$3}
  END {
    if (js>0 && cat>0) printf "analyze -f json: %.0f%% of cat (I/O limit)\n", 100*js/cat;
    if (js>0 && bare>0) printf "analyze -f json: %.0f%% of the bare read+slice+decode loop (target >= 50%%); jsonl %.0f%%\n", 100*js/bare, 100*jl/bare;
    if (js>0 && td>0) printf "analyze -f json: %.2fx filtered tcpdump (target >= 1x)\n", js/td;
    if (js100>0 && ts>0) printf "analyze -f json: %.1fx tshark (target >= 15x)\n", js100/ts;
  }' "$WORK/results.txt"
