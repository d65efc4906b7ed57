# BIOS iPXE ROM on its own segment behind a router; ISC dhcrelay relays DHCP to pxe-inspect
# serve one hop away (giaddr 192.168.88.1): offers and ACKs must go to the relay's port 67, not
# out on the server's own segment (relay-reply-misrouted); TFTP is routed.
DESCRIPTION="BIOS iPXE ROM behind ISC dhcrelay, pxe-inspect serve one hop away"
GROUP=server
FIRMWARE=bios
SERVER=serve
RELAY=1
