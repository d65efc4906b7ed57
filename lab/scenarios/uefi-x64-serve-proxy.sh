# UEFI x64 OVMF, udhcpd + pxe-inspect serve as proxyDHCP (4011), syslinux.efi chain
DESCRIPTION="UEFI x64 OVMF, udhcpd + pxe-inspect serve as proxyDHCP (4011), syslinux.efi chain"
GROUP=server
FIRMWARE=uefi-x64
SERVER=serve-proxy
# GRUB cannot boot behind a proxyDHCP server (nowork-uefi-x64-dnsmasq-proxy-grub): syslinux.efi
SERVE_BOOT_ARGS="--boot bios=pxelinux.0 --boot efi-x64=syslinux.efi"
DONE=$DONE_PXELINUX
LAST_FILE=vmlinuz
