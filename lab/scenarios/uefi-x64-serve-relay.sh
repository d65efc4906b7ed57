# OVMF x64 on its own segment behind a router; ISC dhcrelay relays DHCP to pxe-inspect serve one
# hop away; GRUB and the kernel come over routed TFTP.
DESCRIPTION="OVMF x64 behind ISC dhcrelay, pxe-inspect serve one hop away"
GROUP=server
FIRMWARE=uefi-x64
SERVER=serve
RELAY=1
TIMEOUT=150
