# U-Boot arm64, dhcp + pxe get + pxe boot, pxe-inspect serve (full DHCP + TFTP)
DESCRIPTION="U-Boot arm64, dhcp + pxe get + pxe boot, pxe-inspect serve (full DHCP + TFTP)"
GROUP=server
FIRMWARE=uboot-arm64
SERVER=serve
TIMEOUT=180
