# UEFI IA32 OVMF, pxe-inspect serve (full DHCP + TFTP), GRUB chain
DESCRIPTION="UEFI IA32 OVMF, pxe-inspect serve (full DHCP + TFTP), GRUB chain"
GROUP=server
FIRMWARE=uefi-ia32
SERVER=serve
TIMEOUT=180
