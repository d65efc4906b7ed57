# UEFI ARM32 AAVMF32, pxe-inspect serve (full DHCP + TFTP), GRUB chain
DESCRIPTION="UEFI ARM32 AAVMF32, pxe-inspect serve (full DHCP + TFTP), GRUB chain"
GROUP=server
FIRMWARE=uefi-arm32
SERVER=serve
TIMEOUT=180
