# Cannot work: U-Boot behind a proxyDHCP server. U-Boot's dhcp takes the address from the plain
# DHCP server and does not do the PXE proxy exchange (no request to port 4011), so it has no
# server: `pxe get` walks its whole pxelinux.cfg/ list with "*** ERROR: `serverip' not set" for
# each name and ends with "Config file not found". pxe-inspect: incomplete, no finding.
DESCRIPTION="cannot work: U-Boot arm64 behind udhcpd + dnsmasq proxyDHCP"
GROUP=cannot
FIRMWARE=uboot-arm64
SERVER=dnsmasq-proxy
TIMEOUT=90
EXPECT_TIMEOUT=1
GIVEUP="Config file not found"
EXPECT=incomplete
