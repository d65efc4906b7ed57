# UEFI x64 OVMF, udhcpd + dnsmasq proxyDHCP (4011), syslinux.efi chain
DESCRIPTION="UEFI x64 OVMF, udhcpd + dnsmasq proxyDHCP (4011), syslinux.efi chain"
GROUP=server
FIRMWARE=uefi-x64
SERVER=dnsmasq-proxy
# syslinux.efi reads the proxy's answer (GRUB does not: nowork-uefi-x64-dnsmasq-proxy-grub)
DONE=$DONE_PXELINUX
LAST_FILE=vmlinuz
