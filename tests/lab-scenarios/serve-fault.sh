# pxe-inspect serve (SERVER_CMD, with a --fault) against real firmware: the boot must NOT reach
# vmlinuz. CLIENT=bios|uefi, WITH_DHCP=1 for proxy mode next to udhcpd.
DESCRIPTION="serve with a fault: ${SERVER_CMD:-<SERVER_CMD unset>}"
CLIENTS=${CLIENT:-bios}
SCENARIO_TIMEOUT=${FAULT_TIMEOUT:-25}
EXPECT=timeout
SCENARIO_UNTIL="$DONE_SYSLINUX|$DONE_GRUB"
scenario_servers() {
  [ -n "${SERVER_CMD:-}" ] || die "set SERVER_CMD to the server command line"
  [ "${WITH_DHCP:-0}" = 1 ] && udhcpd_plain
  export LAB_IF LAB_SRV_IP LAB_NET LAB_POOL_START LAB_POOL_END TFTP_ROOT SERVER_LOG
  bg_in_ns "$NS_SRV" server sh -c "$SERVER_CMD"
  sleep "${SERVER_WAIT:-1}"
}
