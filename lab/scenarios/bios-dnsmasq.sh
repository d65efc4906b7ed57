# BIOS: SeaBIOS + QEMU's iPXE ROM (e1000), dnsmasq by architecture: pxelinux.0 → ldlinux.c32 →
# pxelinux.cfg/{01-MAC, C0A84D64 … C} (not found: normal) → pxelinux.cfg/default → vmlinuz.
DESCRIPTION="BIOS iPXE ROM, dnsmasq DHCP+TFTP, pxelinux chain"
FIRMWARE=bios
SERVER=dnsmasq
