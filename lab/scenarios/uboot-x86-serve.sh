# U-Boot x86 (its own DHCP, no option 93 on x86: recognised by its class) booting with
# `pxe get` + `pxe boot` from pxe-inspect serve: next-server in every answer, pxelinux.cfg names.
DESCRIPTION="U-Boot x86, dhcp + pxe get + pxe boot, pxe-inspect serve (full DHCP + TFTP)"
GROUP=server
FIRMWARE=uboot-x86
SERVER=serve
TIMEOUT=180
