# Failure: udhcpd + dnsmasq proxyDHCP, but UDP 4011 is dropped in the proxy's namespace: OVMF
# gets the proxy offer and its boot-server requests go unanswered.
DESCRIPTION="failure: UEFI x64 behind a proxyDHCP, UDP 4011 dropped (proxy-unanswered)"
GROUP=failure
FIRMWARE=uefi-x64
SERVER=dnsmasq-proxy
TIMEOUT=90
EXPECT_TIMEOUT=1
GIVEUP='PXE-E[0-9A-F]{2}: .*\.|BdsDxe: failed to load Boot[0-9A-F]{4} "UEFI PXEv4'
POST_WAIT=3
EXPECT=proxy-unanswered
servers_hook() { block_udp 4011; }
