# UEFI HTTP boot over IPv6 from pxe-inspect serve: serve's IPv4 DHCP is moved off port 67 (nobody
# answers OVMF's IPv4 HTTP boot, which gives up), then OVMF's HTTP boot over IPv6 gets option 59
# http://[fd77::1]/grubhttpx64.efi from serve's DHCPv6 (arch 16) and the files from serve's
# built-in HTTP server over IPv6. RA from a dnsmasq in ra-only mode, as in uefi-ipv6-serve.
DESCRIPTION="UEFI x64 HTTP boot over IPv6, serve's DHCPv6 + built-in HTTP server over IPv6"
GROUP=server
FIRMWARE=uefi-x64
SERVER=serve
IPV6=1
SERVE_BOOT_ARGS="--boot efi-x64=grubhttpx64.efi"
TIMEOUT=240
QEMU_EXTRA="-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n -fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n"
prepare() {
  mkdir -p "$TFTP_ROOT/grub/x86_64-efi"; cp /usr/lib/grub/x86_64-efi/*.lst "$TFTP_ROOT/grub/x86_64-efi/"
  chmod -R a+rX "$TFTP_ROOT/grub"
  SERVE_ARGS="--http-root $TFTP_ROOT --http-port 80 --dhcp-port 6767 --dhcp6-range fd77::100,fd77::1ff --server-ip6 fd77::1"
}
servers_hook() { start_ra_only; }
