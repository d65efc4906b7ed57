# UEFI PXE over IPv6: OVMF x64 with PXEv4 switched off (fw_cfg), dnsmasq-ipv6.conf: router
# advertisements (managed flag), DHCPv6 with option 59 bootfile-url tftp://[fd77::1]/grubnetx64.efi,
# TFTP over IPv6 → GRUB, which configures itself from the DHCPv6 reply → grub.cfg → vmlinuz.
DESCRIPTION="UEFI x64 PXE over IPv6, dnsmasq DHCPv6 + RA + TFTP, GRUB chain"
FIRMWARE=uefi-x64
SERVER=dnsmasq
SERVER_CONF=dnsmasq-ipv6.conf
IPV6=1
TIMEOUT=150
QEMU_EXTRA="-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n"
