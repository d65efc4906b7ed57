#!/usr/bin/env bash
# Serve benchmarks, side by side in one run, in network namespaces this script makes (root):
#  1. TFTP: `pxe-inspect serve`, dnsmasq's TFTP and tftpd-hpa serving the same file to N
#     concurrent clients (pxe-inspect probe as the load generator, TFTP only, no DHCP) for each
#     blksize and windowsize; reports what each server negotiated, ok/failed, aggregate MB/s and
#     per-transfer p50/p99, and frames probe's own capture dropped (must be 0 for the row to
#     measure the server).
#  2. TFTP with atftp (kernel sockets, one client, ATFTP_KB=16384 KiB): windowsize 1 and 16.
#  3. proxyDHCP: a DISCOVER flood (probe --discover-only) against `serve` in proxy mode and
#     dnsmasq in proxy mode at the same rate; replies/s and offer latency p50/p99.
#  4. HTTP (`sudo bench/serve.sh http`, only this part): a 100 MB file (HTTP_MB) over loopback
#     from serve's --http-root and from Debian's nginx (apt-get install nginx-light; its own
#     daemon is not used: one worker with `sendfile on`, config in a temporary folder), curl to
#     /dev/null, 5 runs each alternating (HTTP_RUNS), median time; prints serve/nginx throughput.
# Usage: sudo bench/serve.sh [quick|full|http]   (quick: N=1,50 blksize 1468 windowsize 1,16)
#        CLIENTS="500" BLKS="1468 8192" WINS="16" SERVERS="pxe-inspect dnsmasq" FLOOD=0 ATFTP=0 for a subset
# Not run in CI. Numbers are noisy on shared machines: compare within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-quick}
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)"; exit 2; }
for t in dnsmasq in.tftpd python3; do command -v $t >/dev/null || { echo "needs $t (apt-get install dnsmasq-base tftpd-hpa python3)"; exit 2; }; done
TFTPD_NAME=$(in.tftpd -V 2>&1 | grep -q tftp-hpa && echo tftpd-hpa || echo atftpd)
if [ -z "${BIN:-}" ]; then cargo build --release -q --bins; BIN=$PWD/target/release/pxe-inspect; fi

if [ "$MODE" = http ]; then
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
  [ -x "$NGINX" ] && command -v curl >/dev/null || { echo "needs nginx and curl (apt-get install nginx-light curl)"; exit 2; }
  WORK=$(mktemp -d); SPID=; NPID=
  cleanup_http() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; [ -n "$NPID" ] && kill "$NPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
  trap cleanup_http EXIT
  MB=${HTTP_MB:-100}; RUNS=${HTTP_RUNS:-5}
  HP=$((38000 + $$ % 1000)); NP=$((HP + 1000)); TP=$((HP + 2000))
  mkdir -p "$WORK/root"
  head -c $((MB * 1000 * 1000)) /dev/urandom > "$WORK/root/big.bin"
  want=$(sha256sum < "$WORK/root/big.bin")
  cat > "$WORK/nginx.conf" <<NGX
user root;
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $WORK/t1; proxy_temp_path $WORK/t2; fastcgi_temp_path $WORK/t3;
  uwsgi_temp_path $WORK/t4; scgi_temp_path $WORK/t5;
  server { listen 127.0.0.1:$NP; root $WORK/root; }
}
NGX
  "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" & NPID=$!
  "$BIN" serve -i lo --server-ip 127.0.0.1 --tftp-only --tftp-root "$WORK/root" --tftp-port $TP \
    --http-root "$WORK/root" --http-port $HP --user root --no-observe --duration 3600 2>"$WORK/serve.log" & SPID=$!
  sleep 1
  for name in serve nginx; do
    port=$HP; [ $name = nginx ] && port=$NP
    got=$(curl -s "http://127.0.0.1:$port/big.bin" | sha256sum)
    [ "$got" = "$want" ] || { echo "$name: download not byte-exact"; exit 1; }
  done
  : > "$WORK/times"
  for i in $(seq "$RUNS"); do
    for name in serve nginx; do
      port=$HP; [ $name = nginx ] && port=$NP
      t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/big.bin")
      echo "$name $t" >> "$WORK/times"
    done
  done
  echo "== HTTP: ${MB} MB over loopback, curl to /dev/null, median of $RUNS ($(nproc) cores, $(date -u +%F)) =="
  python3 - "$WORK/times" "$MB" <<'PY'
import sys, statistics
t = {}
for line in open(sys.argv[1]):
    n, v = line.split()
    t.setdefault(n, []).append(float(v))
mb = float(sys.argv[2])
med = {n: statistics.median(v) for n, v in t.items()}
for n in ("serve", "nginx"):
    runs = " ".join(f"{x*1000:.0f}" for x in t[n])
    print(f"{n:6} median {med[n]*1000:8.1f} ms  {mb/med[n]:8.0f} MB/s   runs (ms): {runs}")
print(f"serve/nginx throughput: {med['nginx']/med['serve']:.2f}x (goal >= 0.8x)")
PY
  exit 0
fi
S=pxb-s$$; C=pxb-c$$; WORK=$(mktemp -d)
cleanup() { ip netns pids $S 2>/dev/null | xargs -r kill -9; ip netns del $S 2>/dev/null; ip netns del $C 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
ip netns add $S; ip netns add $C
ip link add vs0 netns $S type veth peer name vc0 netns $C
ip -n $S addr add 192.168.79.1/16 dev vs0   # /16: 500 clients from .79.10 stay on-link
for ns in $S $C; do ip -n $ns link set lo up; ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
ip -n $S link set vs0 up; ip -n $C link set vc0 up
mkdir -p "$WORK/root"
SIZE_KB=${SIZE_KB:-256}
ATFTP_KB=${ATFTP_KB:-16384}
head -c $((SIZE_KB * 1024)) /dev/urandom > "$WORK/root/bench.bin"
cp /usr/lib/ipxe/ipxe.efi "$WORK/root/ipxe.efi" 2>/dev/null || cp "$WORK/root/bench.bin" "$WORK/root/ipxe.efi"

if [ "$MODE" = full ]; then C0="1 50 500"; B0="512 1468 8192"; W0="1 4 16"; else C0="1 50"; B0="1468"; W0="1 16"; fi
# CLIENTS, BLKS, WINS and SERVERS in the environment pick a subset (e.g. CLIENTS=500 WINS=16).
CLIENTS=${CLIENTS:-$C0}; BLKS=${BLKS:-$B0}; WINS=${WINS:-$W0}; SERVERS=${SERVERS:-pxe-inspect dnsmasq tftpd-hpa}

start_server() { # name
  case $1 in
    pxe-inspect) ip netns exec $S "$BIN" serve -i vs0 --tftp-root "$WORK/root" --boot efi-x64=ipxe.efi --no-observe --max-transfers 2000 --duration 3600 >"$WORK/server.log" 2>&1 & ;;
    dnsmasq) ip netns exec $S dnsmasq --no-daemon --conf-file=/dev/null --port=0 --bind-interfaces --interface=vs0 --user=root --enable-tftp --tftp-root="$WORK/root" --tftp-max=2000 --pid-file="$WORK/d.pid" >"$WORK/server.log" 2>&1 & ;;
    tftpd-hpa)
      if in.tftpd -V 2>&1 | grep -q tftp-hpa; then
        ip netns exec $S in.tftpd --foreground --listen --address 192.168.79.1:69 --secure "$WORK/root" >"$WORK/server.log" 2>&1 &
      else # atftpd owns in.tftpd when tftpd-hpa is not installed
        ip netns exec $S in.tftpd --daemon --no-fork --bind-address 192.168.79.1 --port 69 --user root --group root "$WORK/root" >"$WORK/server.log" 2>&1 &
      fi ;;
  esac
  echo $! > "$WORK/server.pid"; sleep 0.5
}
stop_server() { kill "$(cat "$WORK/server.pid")" 2>/dev/null || true; ip netns pids $S | xargs -r kill 2>/dev/null || true; sleep 0.3; }

summarize() { # json -> one line
  python3 - "$1" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
p = v["probe"]; s = p["summary"]; cl = p["clients"]
ok = [c for c in cl if c["ok"]]
nb = sum(c["bytes"] for c in ok)
lat = {l["phase"]: l for l in s["latency"]}
t = lat.get("transfer", {}); o = lat.get("offer", {})
neg = ",".join(f"{k}={x}" for k, x in (cl[0].get("negotiated") or [])) or "none"
# Aggregate over the clients that finished: their bytes over the longest of their boots (all
# start together), so one client that times out does not hide the others' rate.
wall = max([c["timings"]["total_ms"] or 0 for c in ok] + [0]) / 1000 or 1e-9
# Frames probe's own capture dropped: non-zero means the load generator, not the server, lost
# them (each costs a client a 1 s retry), and the row measures probe.
drops = s.get("capture_dropped")
print(f'{len(ok):>5}/{len(cl):<5} {nb/1048576/wall:9.1f} MB/s  transfer p50 {t.get("p50_ms",0):8.1f} ms p99 {t.get("p99_ms",0):8.1f} ms  offer p50 {o.get("p50_ms",0):6.2f} ms p99 {o.get("p99_ms",0):6.2f} ms  {len(ok)/(s["wall_s"] or 1e-9):8.0f} done/s  probe drops {drops}  negotiated: {neg}')
PY
}

echo "== TFTP: ${SIZE_KB} KiB file, clients × blksize × windowsize (probe asks blksize, tsize, windowsize) =="
printf '%-12s %-6s %-6s %-4s %s\n' server clients blksz win "ok/all  aggregate  ..."
for server in $SERVERS; do
  start_server $server
  for n in $CLIENTS; do for b in $BLKS; do for w in $WINS; do
    ip netns exec $C "$BIN" probe vc0 --tftp-server 192.168.79.1 --file bench.bin --ip-start 192.168.79.10 \
      --clients "$n" --rate 100000 --tftp-profile ipxe --blksize "$b" --windowsize "$w" --timeout 120 --retries 10 \
      --linger 0 --fail-on never -f json > "$WORK/r.json" 2>/dev/null || true
    name=$server; [ "$server" = tftpd-hpa ] && name=$TFTPD_NAME
    [ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$WORK/r.json" "$KEEP/$name-$n-$b-$w.json"  # KEEP=DIR keeps probe's reports
    # Datagrams the kernel dropped for a full socket buffer, in either namespace, so far.
    drops="$(for ns in $S $C; do ip netns exec $ns nstat -az 2>/dev/null | awk '/^UdpRcvbufErrors/ {print $2}'; done | paste -sd/)"
    printf '%-12s %-6s %-6s %-4s %s  rcvbuf drops srv/cli %s\n' "$name" "$n" "$b" "$w" "$(summarize "$WORK/r.json")" "$drops"
  done; done; done
  stop_server
done

# The same servers with a kernel-socket client instead of probe: atftp 0.8 (it asks windowsize),
# one client, a bigger file, so the load generator's own cost is out of the picture.
if command -v atftp >/dev/null && [ "${ATFTP:-1}" != 0 ]; then
  echo "== TFTP with atftp (kernel sockets), one client, $((ATFTP_KB / 1024)) MiB file, blksize 1468 =="
  head -c $((ATFTP_KB * 1024)) /dev/urandom > "$WORK/root/big.bin"
  want=$(sha256sum < "$WORK/root/big.bin")
  ip -n $C addr add 192.168.79.2/16 dev vc0
  for server in $SERVERS; do
    start_server $server
    for w in 1 16; do
      rm -f "$WORK/got"
      t0=$(date +%s%N)
      ip netns exec $C atftp --option "blksize 1468" --option "windowsize $w" --option "tsize 0" -g -r big.bin -l "$WORK/got" 192.168.79.1 >/dev/null 2>&1 || true
      t1=$(date +%s%N)
      okay=no; [ -f "$WORK/got" ] && [ "$(sha256sum < "$WORK/got")" = "$want" ] && okay=yes
      name=$server; [ "$server" = tftpd-hpa ] && name=$TFTPD_NAME
      awk -v s="$name" -v w=$w -v ok=$okay -v kb=$ATFTP_KB -v d=$(( (t1 - t0) / 1000 )) 'BEGIN{printf "%-12s windowsize %-2s intact %-3s %8.1f ms %8.1f MB/s\n", s, w, ok, d/1000, kb/1024/(d/1e6)}'
    done
    stop_server
  done
  ip -n $C addr del 192.168.79.2/16 dev vc0
fi

echo "== proxyDHCP: DISCOVER flood (distinct MACs, UEFI x64 PXE vendor class) =="
FLOOD=${FLOOD:-5000}
[ "$FLOOD" -gt 0 ] || exit 0
for server in pxe-inspect dnsmasq; do
  case $server in
    pxe-inspect) ip netns exec $S "$BIN" serve -i vs0 --tftp-root "$WORK/root" --boot efi-x64=ipxe.efi --no-observe --duration 3600 >"$WORK/server.log" 2>&1 & ;;
    dnsmasq) ip netns exec $S dnsmasq --no-daemon --conf-file=/dev/null --port=0 --bind-interfaces --interface=vs0 --user=root --dhcp-range=192.168.79.0,proxy,255.255.255.0 --pxe-service=X86-64_EFI,bench,ipxe.efi --pid-file="$WORK/d.pid" >"$WORK/server.log" 2>&1 & ;;
  esac
  echo $! > "$WORK/server.pid"; sleep 0.7
  ip netns exec $C "$BIN" probe vc0 --discover-only --arch efi-x64 --clients "$FLOOD" --rate "$FLOOD" --timeout 5 --linger 0 --fail-on never -f json > "$WORK/r.json" 2>/dev/null || true
  printf '%-12s %s\n' "$server" "$(summarize "$WORK/r.json")"
  stop_server
done
