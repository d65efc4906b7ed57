# U-Boot arm: `dhcp; pxe get; pxe boot` typed on its console (chats/uboot-pxe.chat). U-Boot's
# own DHCP gets no boot file from dnsmasq.conf; pxe get walks pxelinux.cfg/ (01-MAC, hex IP,
# default-<arch>…: not found, normal) to pxelinux.cfg/default, pxe boot loads vmlinuz and
# refuses it (not an image for this CPU).
DESCRIPTION="U-Boot arm, dhcp + pxe get + pxe boot, dnsmasq DHCP+TFTP"
FIRMWARE=uboot-arm
SERVER=dnsmasq
TIMEOUT=180
