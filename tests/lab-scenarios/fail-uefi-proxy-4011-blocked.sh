# proxyDHCP offer arrives, but the 4011 boot-server request is dropped: proxy-unanswered.
DESCRIPTION="UEFI client, udhcpd + dnsmasq proxy, UDP 4011 dropped"
CLIENTS=uefi
SCENARIO_TIMEOUT=30
EXPECT=timeout
SCENARIO_UNTIL=$DONE_SYSLINUX
scenario_servers() {
  udhcpd_plain
  dnsmasq_proxy --pxe-service=X86-64_EFI,"pxe-inspect lab (UEFI)",syslinux.efi
  block_udp_port 4011
}
