# UEFI PXE over IPv6 from pxe-inspect serve: OVMF x64 with PXEv4 switched off (fw_cfg), serve's
# DHCPv6 (--dhcp6-range: IA_NA + option 59 tftp://[fd77::1]/grubnetx64.efi by option 61) and
# TFTP over IPv6 → GRUB → grub.cfg → vmlinuz. serve sends no router advertisements; a dnsmasq
# in RA-only mode (no DHCP of its own) plays the link's router, as radvd would.
DESCRIPTION="UEFI x64 PXE over IPv6, pxe-inspect serve DHCPv6 + TFTP over IPv6 (RA from dnsmasq ra-only)"
GROUP=server
FIRMWARE=uefi-x64
SERVER=serve
IPV6=1
TIMEOUT=150
SERVE_ARGS="--dhcp6-range fd77::100,fd77::1ff --server-ip6 fd77::1"
QEMU_EXTRA="-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n"
servers_hook() { start_ra_only; }
