# BIOS iPXE ROM, pxe-inspect serve (full DHCP + TFTP), pxelinux chain
DESCRIPTION="BIOS iPXE ROM, pxe-inspect serve (full DHCP + TFTP), pxelinux chain"
GROUP=server
FIRMWARE=bios
SERVER=serve
