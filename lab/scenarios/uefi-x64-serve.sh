# UEFI x64 OVMF, pxe-inspect serve (full DHCP + TFTP), GRUB chain
DESCRIPTION="UEFI x64 OVMF, pxe-inspect serve (full DHCP + TFTP), GRUB chain"
GROUP=server
FIRMWARE=uefi-x64
SERVER=serve
