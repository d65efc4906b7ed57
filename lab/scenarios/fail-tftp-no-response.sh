# Failure: DHCP works, but a firewall in the server namespace drops UDP port 69 (nftables), so
# OVMF's TFTP read requests go unanswered.
DESCRIPTION="failure: UEFI x64, UDP 69 dropped by nftables (tftp-no-response)"
GROUP=failure
FIRMWARE=uefi-x64
SERVER=dnsmasq
TIMEOUT=90
EXPECT_TIMEOUT=1
GIVEUP='PXE-E[0-9A-F]{2}: .*\.|BdsDxe: failed to load Boot[0-9A-F]{4} "UEFI PXEv4'
POST_WAIT=3
EXPECT=tftp-no-response
servers_hook() { block_udp 69; }
