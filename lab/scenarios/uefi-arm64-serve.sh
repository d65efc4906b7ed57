# UEFI ARM64 AAVMF, pxe-inspect serve (full DHCP + TFTP), GRUB chain
DESCRIPTION="UEFI ARM64 AAVMF, pxe-inspect serve (full DHCP + TFTP), GRUB chain"
GROUP=server
FIRMWARE=uefi-arm64
SERVER=serve
TIMEOUT=180
