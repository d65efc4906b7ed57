# BIOS iPXE ROM, udhcpd + pxe-inspect serve as proxyDHCP (4011), pxelinux chain
DESCRIPTION="BIOS iPXE ROM, udhcpd + pxe-inspect serve as proxyDHCP (4011), pxelinux chain"
GROUP=server
FIRMWARE=bios
SERVER=serve-proxy
