# shellcheck shell=bash
# The pxe-inspect lab's machinery, sourced by lab/run: topology, boot files, servers, clients.
# Nothing here runs on its own. Everything a run creates carries its lab ID ($LAB_ID, e.g.
# pxl12345): the namespaces $LAB_ID-{cli,srv,srv2} (and $LAB_ID-rtr with RELAY=1), the bridge $LAB_ID-br and tap $LAB_ID-tap
# (inside $LAB_ID-cli), QEMU's -name. lab_cleanup removes all of it on every exit path.

LAB_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_CACHE=${LAB_CACHE:-/var/cache/pxe-inspect-lab}
LAB_NET=192.168.77
SRV_IP=$LAB_NET.1          # $NS_SRV: DHCP/proxyDHCP/TFTP/HTTP server
SRV2_IP=$LAB_NET.2         # $NS_SRV2: the plain DHCP server of proxy setups
SRV_IP6=fd77::1            # $NS_SRV with IPV6=1
POOL_START=$LAB_NET.100
POOL_END=$LAB_NET.150
SRV_IF=lab0                # interface name inside both server namespaces
# RELAY=1: the client on its own segment behind a router that relays DHCP (ISC dhcrelay)
RELAY_NET=192.168.88
RTR_CLI_IP=$RELAY_NET.1    # the router on the client segment (the relay's giaddr)
RTR_SRV_IP=$LAB_NET.254    # the router on the server segment
RELAY_POOL_START=$RELAY_NET.100
RELAY_POOL_END=$RELAY_NET.150
PY=$(command -v /usr/bin/python3 || command -v python3)

# ---- logging ----------------------------------------------------------------------------------
lab_log() { printf '[lab %s %s] %s\n' "$(date +%H:%M:%S)" "${LAB_ID:-}" "$*" >&2; [ -z "${RUN:-}" ] || printf '%s %s\n' "$(date +%T)" "$*" >>"$RUN/run.log"; }
lab_die() { lab_log "error: $*"; exit 1; }

# ---- the lab ID and its names -----------------------------------------------------------------
lab_names() {
  LAB_ID=${LAB_ID:-pxl$$}
  [[ $LAB_ID =~ ^[a-z][a-z0-9]{0,10}$ ]] || lab_die "LAB_ID '$LAB_ID': 1-11 characters a-z0-9, starting with a letter"
  NS_CLI=$LAB_ID-cli NS_SRV=$LAB_ID-srv NS_SRV2=$LAB_ID-srv2 NS_RTR=$LAB_ID-rtr
  BR=$LAB_ID-br TAP=$LAB_ID-tap
}

# ---- processes we start -----------------------------------------------------------------------
PIDS=()        # servers: each its own session (setsid), stopped as a process group
QEMU_PID= WATCH_PID= TCPDUMP_PID= SOCK_DIR=
CLEANED=0

# bg NS NAME CMD...: CMD in namespace NS, its own session, output appended to $RUN/NAME.log
bg() {
  local ns=$1 name=$2; shift 2
  ip netns exec "$ns" setsid "$@" >>"$RUN/$name.log" 2>&1 </dev/null &
  PIDS+=("$!")
  lab_log "started $name (pid $!) in $ns"
}

stop_pid() {   # stop_pid PID [group]: TERM, then KILL after 3 s
  local pid=$1 grp=${2:-} i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  if [ -n "$grp" ]; then kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null; else kill -TERM "$pid" 2>/dev/null; fi
  for i in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    if [ -n "$grp" ]; then kill -KILL -- "-$pid" 2>/dev/null; fi
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

lab_cleanup() {
  [ "$CLEANED" = 1 ] && return 0
  CLEANED=1
  trap '' INT TERM HUP
  local i ns pid
  stop_pid "$WATCH_PID"; WATCH_PID=
  stop_pid "$QEMU_PID"; QEMU_PID=
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}" group; done
  PIDS=()
  if [ -n "$TCPDUMP_PID" ]; then sleep 0.3; stop_pid "$TCPDUMP_PID"; TCPDUMP_PID=; fi
  [ -z "$SOCK_DIR" ] || rm -rf "$SOCK_DIR"
  for ns in "$NS_CLI" "$NS_SRV" "$NS_SRV2" "$NS_RTR"; do
    [ -e "/run/netns/$ns" ] || continue
    # anything still running in our own namespace was started by this run
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || lab_log "warning: could not delete namespace $ns"
  done
}

# lab_leftovers ID: print what a lab left behind (namespaces, links, QEMU); empty when clean
lab_leftovers() {
  local id=$1
  ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$id-" | sed 's/^/netns /'
  ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^$id-" | sed 's/^/link /'
  pgrep -f -- "-name $id-" 2>/dev/null | sed 's/^/qemu pid /'
}

# ---- topology ---------------------------------------------------------------------------------
#   $NS_SRV   lab0 192.168.77.1/24 (+ fd77::1/64 with IPV6=1) ─veth─ $LAB_ID-s1 ─┐
#   $NS_SRV2  lab0 192.168.77.2/24                          ─veth─ $LAB_ID-s2 ─┼─ $BR ─ $TAP ─ QEMU
#                                                                   ($NS_CLI)  ┘
# $BR forgets MACs at once (ageing_time 0) and so floods every frame to every port, like a hub:
# tcpdump on lab0 in $NS_SRV sees all of the client's traffic, also its exchange with $NS_SRV2.
# No namespace has a route out; IPv6 is off except in $NS_SRV with IPV6=1 (the clients' own
# IPv6 frames are captured anyway).
#
# With RELAY=1 the client has a segment of its own, routed and relayed:
#   QEMU ─ $TAP ─ $BR ─ $LAB_ID-r1 ─veth─ cli0 192.168.88.1/24 [$NS_RTR: forwarding, dhcrelay]
#                ($NS_CLI)                srv0 192.168.77.254/24 ─veth─ lab0 192.168.77.1/24 [$NS_SRV]
# The server has a route to 192.168.88.0/24 through the router and sees the client only as
# relayed DHCP (giaddr 192.168.88.1, to and from port 67) and routed TFTP; tcpdump records it
# there, on the server's side of the router, as a capture on a boot server would.
net_up_relay() {
  local ns
  for ns in "$NS_CLI" "$NS_SRV" "$NS_RTR"; do
    [ ! -e "/run/netns/$ns" ] || lab_die "namespace $ns exists already (another lab with ID $LAB_ID?)"
  done
  for ns in "$NS_CLI" "$NS_SRV" "$NS_RTR"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  ip -n "$NS_CLI" link add "$BR" type bridge ageing_time 0 stp_state 0 forward_delay 0 mcast_snooping 0
  ip -n "$NS_CLI" tuntap add dev "$TAP" mode tap
  ip -n "$NS_CLI" link set "$TAP" master "$BR"
  ip -n "$NS_RTR" link add cli0 type veth peer name "$LAB_ID-r1" netns "$NS_CLI"
  ip -n "$NS_CLI" link set "$LAB_ID-r1" master "$BR" up
  ip -n "$NS_CLI" link set "$BR" up
  ip -n "$NS_CLI" link set "$TAP" up
  ip -n "$NS_SRV" link add "$SRV_IF" type veth peer name srv0 netns "$NS_RTR"
  ip -n "$NS_RTR" addr add "$RTR_CLI_IP/24" dev cli0
  ip -n "$NS_RTR" addr add "$RTR_SRV_IP/24" dev srv0
  ip -n "$NS_RTR" link set cli0 up
  ip -n "$NS_RTR" link set srv0 up
  ip netns exec "$NS_RTR" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$NS_SRV" addr add "$SRV_IP/24" dev "$SRV_IF"
  ip -n "$NS_SRV" link set "$SRV_IF" up
  ip -n "$NS_SRV" route add "$RELAY_NET.0/24" via "$RTR_SRV_IP"
  lab_log "lab up (relayed): client segment $RELAY_NET.0/24 ($BR, $TAP) — $NS_RTR ($RTR_CLI_IP | $RTR_SRV_IP) — $NS_SRV ($SRV_IP)"
}

# start_relay: ISC dhcrelay in the router, from the client segment (cli0, downstream) to the
# boot server (srv0, upstream): what `ip helper-address` does on a data centre's router.
start_relay() {
  command -v dhcrelay >/dev/null || lab_die "dhcrelay missing (run lab/setup: isc-dhcp-relay)"
  bg "$NS_RTR" relay dhcrelay -4 -d -id cli0 -iu srv0 -pf "$RUN/dhcrelay.pid" "$SRV_IP"
  wait_log "$RUN/relay.log" 'Sending on +Socket/fallback|Listening on +LPF/cli0' 15 dhcrelay
}

net_up() {
  local ns
  [ -c /dev/net/tun ] || lab_die "/dev/net/tun is missing (QEMU's tap needs it)"
  if [ "${RELAY:-0}" = 1 ]; then net_up_relay; return; fi
  for ns in "$NS_CLI" "$NS_SRV" "$NS_SRV2"; do
    [ ! -e "/run/netns/$ns" ] || lab_die "namespace $ns exists already (another lab with ID $LAB_ID?)"
  done
  for ns in "$NS_CLI" "$NS_SRV" "$NS_SRV2"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  ip -n "$NS_CLI" link add "$BR" type bridge ageing_time 0 stp_state 0 forward_delay 0 mcast_snooping 0
  ip -n "$NS_CLI" tuntap add dev "$TAP" mode tap
  ip -n "$NS_CLI" link set "$TAP" master "$BR"
  ip -n "$NS_SRV" link add "$SRV_IF" type veth peer name "$LAB_ID-s1" netns "$NS_CLI"
  ip -n "$NS_SRV2" link add "$SRV_IF" type veth peer name "$LAB_ID-s2" netns "$NS_CLI"
  for port in "$LAB_ID-s1" "$LAB_ID-s2"; do ip -n "$NS_CLI" link set "$port" master "$BR" up; done
  ip -n "$NS_CLI" link set "$BR" up
  ip -n "$NS_CLI" link set "$TAP" up
  if [ "${IPV6:-0}" = 1 ]; then
    ip netns exec "$NS_SRV" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
      net.ipv6.conf.all.forwarding=0
    ip netns exec "$NS_SRV" sysctl -qw "net.ipv6.conf.$SRV_IF.disable_ipv6=0"
    ip -n "$NS_SRV" addr add "$SRV_IP6/64" dev "$SRV_IF" nodad
  fi
  ip -n "$NS_SRV" addr add "$SRV_IP/24" dev "$SRV_IF"
  ip -n "$NS_SRV2" addr add "$SRV2_IP/24" dev "$SRV_IF"
  ip -n "$NS_SRV" link set "$SRV_IF" up
  ip -n "$NS_SRV2" link set "$SRV_IF" up
  lab_log "lab up: $NS_SRV ($SRV_IP$([ "${IPV6:-0}" = 1 ] && echo " $SRV_IP6")), $NS_SRV2 ($SRV2_IP), $NS_CLI ($BR, $TAP)"
}

# block_udp PORT: a firewall in $NS_SRV drops UDP to PORT (tcpdump still sees the packets)
block_udp() {
  ip netns exec "$NS_SRV" nft -f - <<NFT
table inet lab_block_$1 {
  chain input { type filter hook input priority 0; policy accept; udp dport $1 drop; }
}
NFT
  lab_log "udp port $1 dropped in $NS_SRV (nftables)"
}

# ---- boot files -------------------------------------------------------------------------------
# tftp_root DIR: everything any lab client fetches, copied from Debian packages (and the ARM GRUB
# cache of lab/setup). The dummy kernels are not bootable; each loader's refusal of them, after
# it read them completely, is the "done" sign of the healthy scenarios.
tftp_root() {
  local d=$1 f
  mkdir -p "$d/pxelinux.cfg" "$d/grub"
  put() {  # put NAME SOURCE [optional]
    if [ -f "$2" ]; then cp "$2" "$d/$1"; elif [ "${3:-}" != optional ]; then lab_die "$2 missing (run lab/setup)"; fi
  }
  put pxelinux.0 /usr/lib/PXELINUX/pxelinux.0
  put ldlinux.c32 /usr/lib/syslinux/modules/bios/ldlinux.c32
  put syslinux.efi /usr/lib/SYSLINUX.EFI/efi64/syslinux.efi
  put ldlinux.e64 /usr/lib/syslinux/modules/efi64/ldlinux.e64
  put grubnetx64.efi /usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed
  put grubnetx64-unsigned.efi /usr/lib/grub/x86_64-efi/monolithic/grubnetx64.efi
  put grubnetia32.efi /usr/lib/grub/i386-efi/monolithic/grubnetia32.efi
  put shimx64.efi /usr/lib/shim/shimx64.efi.signed
  put grubx64.efi /usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed   # what shim loads next
  put grubnetaa64.efi "$LAB_CACHE/grub-arm/grubnetaa64.efi"
  put grubnetarm.efi "$LAB_CACHE/grub-arm/grubnetarm.efi"
  put ipxe.efi /usr/lib/ipxe/ipxe.efi
  put undionly.kpxe /usr/lib/ipxe/undionly.kpxe optional
  # Debian's netboot GRUBs have no http module: for HTTP boot, a GRUB with one (grub-mkimage from
  # grub-efi-amd64-bin's modules, the way grub-mknetdir builds it; prefix /grub on the device it
  # was loaded from, so grub.cfg and the kernel come over HTTP too)
  grub-mkimage -O x86_64-efi -d /usr/lib/grub/x86_64-efi -p /grub -o "$d/grubhttpx64.efi" \
    efinet http tftp net normal configfile echo test linux boot ls \
    || lab_die "grub-mkimage -O x86_64-efi failed (grub-efi-amd64-bin, grub-common)"
  cp "$LAB_HOME/boot/pxelinux.cfg" "$d/pxelinux.cfg/default"
  cp "$LAB_HOME/boot/grub.cfg" "$d/grub/grub.cfg"
  cp "$LAB_HOME/boot/boot.ipxe" "$d/boot.ipxe"
  dummy_kernel "$d/vmlinuz"
  dummy_kernel "$d/vmlinuz-arm64" 56 'ARM\x64' '\x64\xaa'        # arm64 Image magic at 0x38, PE machine AArch64
  dummy_kernel "$d/vmlinuz-arm" 36 '\x18\x28\x6f\x01' '\xc2\x01'  # zImage magic at 0x24, PE machine ARMv7 (Thumb)
  dummy_bzimage "$d/vmlinuz-x86"
  chmod -R a+rX "$d"
  lab_log "tftp root: $(find "$d" -type f | wc -l) files"
}

# dummy_kernel FILE [OFFSET MAGIC PE-MACHINE]: 50 001 bytes of text (no multiple of any TFTP
# block size). With the extra arguments it starts like an EFI-stub kernel, which arm GRUB checks
# before reading the rest: "MZ", MAGIC at OFFSET, the PE header offset (0x40) at 0x3c, "PE\0\0"
# and the machine there.
dummy_kernel() {
  local f=$1
  (set +o pipefail; yes "pxe-inspect lab: a dummy kernel, not bootable" | head -c 50001 >"$f")
  [ $# -eq 4 ] || return 0
  {
    printf 'MZ'; head -c $(($2 - 2)) /dev/zero; printf '%b' "$3"
    head -c $((0x3c - $2 - 4)) /dev/zero; printf '\x40\0\0\0PE\0\0%b' "$4"
  } | dd of="$f" conv=notrunc status=none
}

# dummy_bzimage FILE: the dummy with the x86 boot protocol header GRUB checks (boot flag 0xaa55,
# "HdrS", version 2.12, loaded high, relocatable, 1 setup sector): x86 GRUB then loads all of it
# and `linux` succeeds (a plain file it refuses after reading only the header). Only GRUB gets it:
# pxelinux and U-Boot would try to run it, so they get the plain vmlinuz and refuse that.
dummy_bzimage() {
  local f=$1
  dummy_kernel "$f"
  at() { printf "$2" | dd of="$f" bs=1 seek=$(($1)) conv=notrunc status=none; }
  at 0x1f1 '\x01'                 # setup_sects
  at 0x1fe '\x55\xaa'             # boot_flag
  at 0x202 'HdrS\x0c\x02'         # header, version 0x020c
  at 0x211 '\x01'                 # loadflags: LOADED_HIGH
  at 0x230 '\0\0\x20\0\x01\x15'   # kernel_alignment 2 MiB, relocatable_kernel, min_alignment 2^21
  at 0x238 '\xff\x07\0\0'         # cmdline_size 2047
  at 0x258 '\0\0\0\x01\0\0\0\0'   # pref_address 16 MiB
  at 0x260 '\0\0\x10\0'           # init_size 1 MiB
}

# ---- servers ----------------------------------------------------------------------------------
# render CONF OUT: a config of lab/configs with the run's paths and addresses filled in
render() {
  sed -e "s|@TFTP_ROOT@|$TFTP_ROOT|g" -e "s|@RUN@|$RUN|g" -e "s|@IF@|$SRV_IF|g" \
      -e "s|@SRV_IP@|$SRV_IP|g" -e "s|@SRV_IP6@|$SRV_IP6|g" -e "s|@POOL_START@|$POOL_START|g" \
      -e "s|@POOL_END@|$POOL_END|g" "$LAB_HOME/configs/$1" >"$2"
}

wait_log() {  # wait_log FILE ERE SECS NAME
  local end=$((SECONDS + $3))
  until grep -Eq "$2" "$1" 2>/dev/null; do
    [ $SECONDS -lt $end ] || lab_die "$4 did not start: $(tail -n 5 "$1" 2>/dev/null)"
    sleep 0.2
  done
}

start_dnsmasq() {   # start_dnsmasq CONF
  render "$1" "$RUN/dnsmasq.conf"
  config_hook "$RUN/dnsmasq.conf"
  : >"$RUN/dnsmasq.log"; chmod 666 "$RUN/dnsmasq.log"
  bg "$NS_SRV" dnsmasq dnsmasq --keep-in-foreground --conf-file="$RUN/dnsmasq.conf"
  wait_log "$RUN/dnsmasq.log" 'TFTP root is|started, version' 10 dnsmasq
}

start_udhcpd() {    # a plain DHCP server (addresses only, no boot information) in $NS_SRV2
  render udhcpd.conf "$RUN/udhcpd.conf"
  : >"$RUN/udhcpd.leases"
  local cmd=(udhcpd); command -v udhcpd >/dev/null || cmd=(busybox udhcpd)
  bg "$NS_SRV2" udhcpd "${cmd[@]}" -f "$RUN/udhcpd.conf"
}

start_tftpd() {     # tftpd-hpa: foreground, this address only, chrooted to the root, as user tftp
  bg "$NS_SRV" tftpd in.tftpd --foreground --address "$SRV_IP:69" --secure --verbosity 4 "$TFTP_ROOT"
}

start_isc() {
  render "${SERVER_CONF:-dhcpd.conf}" "$RUN/dhcpd.conf"
  config_hook "$RUN/dhcpd.conf"
  : >"$RUN/dhcpd.leases"
  bg "$NS_SRV" dhcpd dhcpd -4 -f -d -cf "$RUN/dhcpd.conf" -lf "$RUN/dhcpd.leases" -pf "$RUN/dhcpd.pid" "$SRV_IF"
  wait_log "$RUN/dhcpd.log" 'Sending on +LPF/'"$SRV_IF" 15 dhcpd
  start_tftpd
}

start_kea() {
  render "${SERVER_CONF:-kea-dhcp4.json}" "$RUN/kea-dhcp4.json"
  config_hook "$RUN/kea-dhcp4.json"
  bg "$NS_SRV" kea env KEA_PIDFILE_DIR="$RUN" KEA_LOCKFILE_DIR="$RUN" kea-dhcp4 -c "$RUN/kea-dhcp4.json"
  wait_log "$RUN/kea.log" 'DHCP4_STARTED|DHCPSRV_CFGMGR_ADD_IFACE' 15 kea-dhcp4
  start_tftpd
}

need_pxe_inspect() {
  [ -n "${PXE_INSPECT:-}" ] && [ -x "$PXE_INSPECT" ] || lab_die "this scenario runs pxe-inspect serve: set PXE_INSPECT to the binary (or build target/release/pxe-inspect)"
}

# The per-architecture boot files handed out by `pxe-inspect serve` (lab/README.md)
SERVE_BOOT=(--boot bios=pxelinux.0 --boot efi-x64=grubnetx64.efi --boot efi-ia32=grubnetia32.efi
            --boot efi-arm64=grubnetaa64.efi --boot efi-arm32=grubnetarm.efi)

start_serve() {     # start_serve [proxy]: pxe-inspect serve, full DHCP or proxyDHCP next to udhcpd
  need_pxe_inspect
  local mode=()
  if [ "${RELAY:-0}" = 1 ]; then
    # the pool of the client's segment behind the relay, with its router
    mode=(--dhcp-range "$RELAY_POOL_START,$RELAY_POOL_END" --netmask 255.255.255.0 --router "$RTR_CLI_IP")
  elif [ "${1:-}" = proxy ]; then start_udhcpd; else mode=(--dhcp-range "$POOL_START,$POOL_END"); fi
  local boot=("${SERVE_BOOT[@]}")
  # shellcheck disable=SC2206
  [ -z "${SERVE_BOOT_ARGS:-}" ] || boot=($SERVE_BOOT_ARGS)
  # shellcheck disable=SC2086
  bg "$NS_SRV" serve "$PXE_INSPECT" serve --interface "$SRV_IF" --tftp-root "$TFTP_ROOT" "${mode[@]}" \
    "${boot[@]}" ${SERVE_ARGS:-} ${LAB_SERVE_ARGS:-} --color never
  sleep 1.5
  kill -0 "${PIDS[-1]}" 2>/dev/null || lab_die "pxe-inspect serve exited: $(tail -n 5 "$RUN/serve.log")"
}

# start_serve_dnsmasq_conf: pxe-inspect serve reading a dnsmasq configuration (SERVER_CONF) in
# place of dnsmasq; what it does not take over goes to serve.log line by line.
start_serve_dnsmasq_conf() {
  need_pxe_inspect
  render "${SERVER_CONF:-dnsmasq-seed001.conf}" "$RUN/dnsmasq.conf"
  config_hook "$RUN/dnsmasq.conf"
  # shellcheck disable=SC2086
  bg "$NS_SRV" serve "$PXE_INSPECT" serve --dnsmasq-conf "$RUN/dnsmasq.conf" ${SERVE_ARGS:-} \
    ${LAB_SERVE_ARGS:-} --color never
  sleep 1.5
  kill -0 "${PIDS[-1]}" 2>/dev/null || lab_die "pxe-inspect serve exited: $(tail -n 5 "$RUN/serve.log")"
}

# start_ra_only: router advertisements on the server segment and nothing else (dnsmasq ra-only:
# no DHCP, no DNS), for serve's IPv6 cells — serve sends no RAs, the link's router does.
start_ra_only() {
  : >"$RUN/ra.log"; chmod 666 "$RUN/ra.log"
  bg "$NS_SRV" ra dnsmasq --keep-in-foreground --port=0 --interface="$SRV_IF" --bind-interfaces \
    --enable-ra --dhcp-range=::,constructor:"$SRV_IF",ra-only --pid-file="$RUN/ra.pid" \
    --dhcp-leasefile="$RUN/ra.leases" --log-facility="$RUN/ra.log"
}

start_http() {      # python's http.server on port 80 of $SRV_IP, serving the TFTP root
  bg "$NS_SRV" http "$PY" -u -m http.server 80 --bind "$SRV_IP" --directory "$TFTP_ROOT"
  local end=$((SECONDS + 10))
  until ip netns exec "$NS_SRV" "$PY" -c "import socket; socket.create_connection(('$SRV_IP', 80), 1)" 2>/dev/null; do
    [ $SECONDS -lt $end ] || lab_die "http server did not start: $(tail -n 3 "$RUN/http.log")"
    sleep 0.3
  done
}

start_servers() {
  case $SERVER in
    dnsmasq) start_dnsmasq "${SERVER_CONF:-dnsmasq.conf}" ;;
    dnsmasq-proxy) start_udhcpd; start_dnsmasq "${SERVER_CONF:-dnsmasq-proxy.conf}" ;;
    isc) start_isc ;;
    kea) start_kea ;;
    serve) start_serve ;;
    serve-proxy) start_serve proxy ;;
    serve-dnsmasq-conf) start_serve_dnsmasq_conf ;;
    udhcpd) start_udhcpd ;;
    none) ;;
    *) lab_die "unknown SERVER '$SERVER' (dnsmasq dnsmasq-proxy isc kea serve serve-proxy serve-dnsmasq-conf udhcpd none)" ;;
  esac
  [ "${HTTP:-0}" = 1 ] && start_http
  [ "${RELAY:-0}" = 1 ] && start_relay
  servers_hook
}

# ---- clients ----------------------------------------------------------------------------------
# firmware FAMILY: sets QEMU (binary), FW (its machine/firmware arguments), NIC, MAC and the
# family's defaults for DONE (the loader's refusal of the dummy kernel), LAST_FILE and CHAT.
DONE_PXELINUX='Booting kernel failed'                       # pxelinux.0 / syslinux.efi
DONE_GRUB='pxe-inspect lab: kernel accepted|error: bad shim signature'   # grub.cfg, after `linux` read the kernel
DONE_UBOOT='Bad Linux (ARM64|RISCV) Image magic|zimage: Bad magic|Invalid Boot Flag'
DONE_IPXE='pxe-inspect lab: ipxe fetched the kernel'         # boot.ipxe, after imgfetch succeeded
FAMILIES="bios uefi-x64 uefi-ia32 uefi-sb uefi-arm64 uefi-arm32 uboot-arm64 uboot-arm uboot-x86 uboot-riscv64"

firmware() {
  local x86=(-machine pc -vga none -boot n) smm=(-machine q35,smm=on -vga none -boot n
             -global driver=cfi.pflash01,property=secure,value=on)
  ROM=,romfile=      # UEFI: the firmware's own network driver, not QEMU's iPXE ROM
  NIC=virtio-net-pci FW=() F_DONE=$DONE_GRUB F_LAST=vmlinuz-x86 F_CHAT=
  case $1 in
    bios)
      QEMU=qemu-system-x86_64 NIC=e1000 ROM= F_DONE=$DONE_PXELINUX F_LAST=vmlinuz MACN=01
      # SeaBIOS and iPXE print on COM1 only with sercon: fw_cfg file with 0x3f8 as 8 bytes LE
      printf '\xf8\x03\0\0\0\0\0\0' >"$RUN/sercon"
      FW=("${x86[@]}" -fw_cfg "name=etc/sercon-port,file=$RUN/sercon") ;;
    uefi-x64)
      QEMU=qemu-system-x86_64 MACN=02 FW=("${x86[@]}")
      pflash /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_VARS_4M.fd ;;
    uefi-ia32)   # the only IA32 OVMF build is the Secure Boot one: q35 + SMM; its VARS have no keys
      QEMU=qemu-system-i386 MACN=03 FW=("${smm[@]}")
      pflash /usr/share/OVMF/OVMF32_CODE_4M.secboot.fd /usr/share/OVMF/OVMF32_VARS_4M.fd ;;
    uefi-sb)     # Secure Boot on: Microsoft's KEK and db (Windows PCA 2011, UEFI CA 2011)
      QEMU=qemu-system-x86_64 MACN=04 FW=("${smm[@]}")
      pflash /usr/share/OVMF/OVMF_CODE_4M.secboot.fd /usr/share/OVMF/OVMF_VARS_4M.ms.fd ;;
    uefi-arm64)
      QEMU=qemu-system-aarch64 MACN=05 F_LAST=vmlinuz-arm64 FW=(-machine virt -cpu cortex-a57)
      pflash /usr/share/AAVMF/AAVMF_CODE.fd /usr/share/AAVMF/AAVMF_VARS.fd ;;
    uefi-arm32)
      QEMU=qemu-system-arm MACN=06 F_LAST=vmlinuz-arm FW=(-machine virt -cpu cortex-a15)
      pflash /usr/share/AAVMF/AAVMF32_CODE.fd /usr/share/AAVMF/AAVMF32_VARS.fd ;;
    uboot-*)     # U-Boot as the machine's firmware; e1000 (on virtio-net U-Boot arm64 ignores the MAC)
      NIC=e1000 ROM=,romfile= F_DONE=$DONE_UBOOT F_LAST=vmlinuz F_CHAT=uboot-pxe
      case $1 in
        uboot-arm64) QEMU=qemu-system-aarch64 MACN=07 FW=(-machine virt -cpu cortex-a57 -bios /usr/lib/u-boot/qemu_arm64/u-boot.bin) ;;
        uboot-arm) QEMU=qemu-system-arm MACN=08 FW=(-machine virt -cpu cortex-a15 -bios /usr/lib/u-boot/qemu_arm/u-boot.bin) ;;
        uboot-x86) QEMU=qemu-system-i386 MACN=09 FW=(-machine pc -vga none -bios /usr/lib/u-boot/qemu-x86/u-boot.rom) ;;
        uboot-riscv64) QEMU=qemu-system-riscv64 MACN=0a FW=(-machine virt -bios /usr/lib/u-boot/qemu-riscv64/u-boot.bin) ;;
        *) lab_die "unknown firmware family '$1' ($FAMILIES)" ;;
      esac
      [ -f "${FW[-1]}" ] || lab_die "${FW[-1]} missing (run lab/setup)" ;;
    *) lab_die "unknown firmware family '$1' ($FAMILIES)" ;;
  esac
  MAC=${MAC:-52:54:00:4c:42:$MACN}
  command -v "$QEMU" >/dev/null || lab_die "$QEMU missing (run lab/setup)"
}

pflash() {  # pflash CODE VARS: code read-only, a private copy of the variable store
  [ -f "$1" ] && [ -f "$2" ] || lab_die "$1 / $2 missing (run lab/setup)"
  cp "$2" "$RUN/vars.fd"
  FW+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$1" -drive "if=pflash,format=raw,unit=1,file=$RUN/vars.fd")
}

# boot_client: QEMU on $TAP in $NS_CLI; console.py logs the serial console to $RUN/serial.log,
# types $CHAT and waits for $DONE / $GIVEUP / $TIMEOUT. Sets BOOT_RC (console.py's status).
boot_client() {
  local chat=() donefile=()
  case ${CHAT:-} in "") ;; */*) chat=(--chat "$CHAT") ;; *) chat=(--chat "$LAB_HOME/chats/$CHAT.chat") ;; esac
  [ "${DONE_IN:-serial}" = server ] && donefile=(--done-file "$RUN/$DONE_LOG")
  # a unix socket path must stay under 108 bytes: the console socket lives in a short directory
  SOCK_DIR=$(mktemp -d "/tmp/$LAB_ID.XXXXXX")
  # shellcheck disable=SC2206
  ip netns exec "$NS_CLI" "$QEMU" -name "$LAB_ID-$FIRMWARE" -accel tcg -m 512 -nodefaults -no-user-config \
    -display none -monitor none -pidfile "$RUN/qemu.pid" \
    -chardev "socket,id=con0,path=$SOCK_DIR/console.sock,server=on,wait=on" -serial chardev:con0 \
    "${FW[@]}" -netdev "tap,id=net0,ifname=$TAP,script=no,downscript=no" \
    -device "$NIC,netdev=net0,mac=$MAC$ROM" ${QEMU_EXTRA:-} >"$RUN/qemu.log" 2>&1 </dev/null &
  QEMU_PID=$!
  lab_log "client $FIRMWARE (QEMU pid $QEMU_PID, mac $MAC, $NIC) timeout ${TIMEOUT}s"
  "$PY" "$LAB_HOME/lib/console.py" --sock "$SOCK_DIR/console.sock" --log "$RUN/serial.log" --pid "$QEMU_PID" \
    --timeout "$TIMEOUT" --done "$DONE" ${GIVEUP:+--giveup "$GIVEUP"} --match-file "$RUN/console.match" "${donefile[@]}" "${chat[@]}" \
    >"$RUN/console.out" 2>&1 &
  WATCH_PID=$!
  BOOT_RC=0
  wait "$WATCH_PID" || BOOT_RC=$?
  WATCH_PID=
  lab_log "$(tail -n 1 "$RUN/console.out")"
  [ "$BOOT_RC" -ne 4 ] || lab_log "QEMU: $(tail -n 3 "$RUN/qemu.log")"
}
