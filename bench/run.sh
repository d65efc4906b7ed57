#!/usr/bin/env bash
# Throughput and memory of `pxe-inspect analyze` beside its peers — cat, a bare pcap-parser +
# etherparse + dhcproto loop (examples/bare_loop.rs), filtered tcpdump and plain tshark — on the
# same capture, in the same run, for four storm shapes (examples/storm.rs, deterministic):
#   many    ≥ 100,000 clients per GB, 4 KB boot files (per-session cost dominates)
#   dense   ≥ 10,000 clients per GB, 60–80 KB files, 5 % faulty
#   sparse  ≤ 1,000 clients per GB, 2 MB / 8 MB files, windowsize 8 (bulk TFTP data)
#   mixed   802.1Q tags on 4 VLANs, 20 % blksize 8192 (IPv4 fragments), 30 % iPXE second stages,
#           20 % through proxyDHCP + 4011, 25 % of the other healthy UEFI clients HTTP boot (TCP)
# Usage: bench/run.sh [SIZE_MB=256] [SEED=1]   REPEAT=3 runs per tool (median wall time, largest
#        peak RSS); SHAPES="many dense" to run some; TSHARK=0 to skip tshark (slow, GBs of RAM).
# Prints, per shape and tool: wall s, MB/s, CPU use ((user+sys)/wall), peak RSS; then each ratio
# per shape and the worst of the shapes, against the goals of bench part 2.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-256}
SEED=${2:-1}
REPEAT=${REPEAT:-3}
SHAPES=${SHAPES:-many dense sparse mixed}
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)"; exit 2; }
cargo build --release -q --examples --bins
BIN=target/release/pxe-inspect
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
shape_args() {
  case $1 in
    many)   echo "--bios-bytes 4000 --efi-bytes 4000 --rate 2000 --fail-percent 5" ;;
    dense)  echo "--bios-bytes 60000 --efi-bytes 80000 --rate 200 --fail-percent 5" ;;
    sparse) echo "--bios-bytes 2000000 --efi-bytes 8000000 --windowsize 8 --rate 5 --fail-percent 5" ;;
    mixed)  echo "--bios-bytes 70000 --efi-bytes 1000000 --rate 50 --vlans 4 --fragment-share 20 --ipxe-share 30 --proxy-share 20 --http-share 25" ;;
    *) echo "unknown shape $1" >&2; exit 2 ;;
  esac
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo); $(date -u +%Y-%m-%dT%H:%MZ); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure() { # shape name cmd... -> one line: shape|name|wall|MB/s|cpu|rssKB
  local shape=$1 name=$2; shift 2
  local cap="$WORK/$shape.pcap" rss=0 times=() cpus=() line
  local reps=$REPEAT; [[ $name == tshark* ]] && reps=1
  local t0 t1 e u s m
  for _ in $(seq "$reps"); do
    t0=$(date +%s%N)
    /usr/bin/time -f '%U %S %M' -o "$WORK/t" "$@" >/dev/null 2>"$WORK/err" || true
    t1=$(date +%s%N)
    read -r u s m < <(tail -1 "$WORK/t")
    [ "$m" -gt "$rss" ] && rss=$m
    e=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", (b-a)/1e9}')
    times+=("$e")
    cpus+=("$(awk -v e="$e" -v u="$u" -v s="$s" 'BEGIN{ if (e > 0) printf "%.2f", (u+s)/e; else printf "0" }')")
  done
  local med; med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  local cpu; cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  line=$(awk -v sh="$shape" -v n="$name" -v d="$med" -v c="$cpu" -v sz="$(stat -c %s "$cap")" -v r="$rss" \
    'BEGIN{if (d<=0) d=0.001; printf "%s|%s|%.3f|%.1f|%s|%d", sh, n, d, sz/1048576/d, c, r}')
  echo "$line" >>"$WORK/results"
  IFS='|' read -r _ n d mbs c r <<<"$line"
  printf '  %-34s %8.3f s %9.1f MB/s  cpu %4s  %8d KB\n' "$n" "$d" "$mbs" "$c" "$r"
}
for shape in $SHAPES; do
  # shellcheck disable=SC2046
  target/release/examples/storm "$WORK/$shape.pcap" --size-mb "$SIZE_MB" --seed "$SEED" $(shape_args "$shape") >"$WORK/$shape.json"
  read -r clients frames < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["clients"], d["frames"])' "$WORK/$shape.json")
  mb=$(( $(stat -c %s "$WORK/$shape.pcap") / 1048576 ))
  echo "== $shape: $mb MB, $frames frames, $clients clients ($(( clients * 1024 / (mb > 0 ? mb : 1) )) per GB); storm $(shape_args "$shape")"
  cap="$WORK/$shape.pcap"
  measure "$shape" "cat" cat "$cap"
  measure "$shape" "bare loop" target/release/examples/bare_loop "$cap"
  measure "$shape" "analyze -f jsonl" "$BIN" analyze -f jsonl --fail-on never "$cap"
  measure "$shape" "analyze -f json" "$BIN" analyze -f json --fail-on never "$cap"
  measure "$shape" "analyze (table)" "$BIN" analyze --fail-on never "$cap"
  if command -v tcpdump >/dev/null; then measure "$shape" "tcpdump (udp 67 or 69)" tcpdump -nr "$cap" 'udp port 67 or udp port 69'; fi
  if [ "${TSHARK:-1}" = 1 ] && command -v tshark >/dev/null; then measure "$shape" "tshark -r (plain)" tshark -r "$cap"; fi
done
echo "== ratios (same run; goals: >= 0.5x bare loop, >= 1.5x tcpdump, >= 20x tshark, <= 64 MB)"
awk -F'|' '
  { rate[$1 SUBSEP $2] = $4; rss[$1 SUBSEP $2] = $6; if (!($1 in seen)) { seen[$1]=1; order[++n]=$1 } }
  function r(a, b) { return (b > 0) ? a / b : 0 }
  END {
    printf "  %-8s %14s %14s %14s %14s %12s\n", "shape", "json/bare", "jsonl/bare", "json/tcpdump", "json/tshark", "max RSS MB";
    wb=1e9; wt=1e9; ws=1e9; wr=0;
    for (i=1; i<=n; i++) {
      s=order[i]; j=rate[s SUBSEP "analyze -f json"]; jl=rate[s SUBSEP "analyze -f jsonl"];
      b=r(j, rate[s SUBSEP "bare loop"]); bl=r(jl, rate[s SUBSEP "bare loop"]);
      t=r(j, rate[s SUBSEP "tcpdump (udp 67 or 69)"]); ts=r(j, rate[s SUBSEP "tshark -r (plain)"]);
      m=rss[s SUBSEP "analyze -f json"]; if (rss[s SUBSEP "analyze -f jsonl"] > m) m=rss[s SUBSEP "analyze -f jsonl"];
      if (rss[s SUBSEP "analyze (table)"] > m) m=rss[s SUBSEP "analyze (table)"];
      printf "  %-8s %13.2fx %13.2fx %13.2fx %13.1fx %12.0f\n", s, b, bl, t, ts, m/1024;
      if (b < wb) { wb=b; wbs=s } if (t > 0 && t < wt) { wt=t; wts=s } if (ts > 0 && ts < ws) { ws=ts; wss=s } if (m > wr) { wr=m; wrs=s }
    }
    printf "  worst: %.2fx bare loop (%s), %.2fx tcpdump (%s), %.1fx tshark (%s), %.0f MB peak RSS (%s)\n", wb, wbs, (wt<1e9?wt:0), wts, (ws<1e9?ws:0), wss, wr/1024, wrs;
  }' "$WORK/results"
