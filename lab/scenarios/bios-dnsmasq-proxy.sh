# BIOS iPXE ROM, udhcpd + dnsmasq proxyDHCP (option 43, 4011 from port 68), pxelinux chain
DESCRIPTION="BIOS iPXE ROM, udhcpd + dnsmasq proxyDHCP (option 43, 4011 from port 68), pxelinux chain"
GROUP=server
FIRMWARE=bios
SERVER=dnsmasq-proxy
