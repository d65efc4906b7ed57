# UEFI HTTP boot from pxe-inspect serve: as uefi-http-dnsmasq (OVMF with PXE switched off, python's
# http.server), but serve answers the HTTPClient DISCOVER with option 60 HTTPClient and the URL
# (--http-url). GRUB (with the http module) fetches grub.cfg and vmlinuz-x86 over HTTP.
DESCRIPTION="UEFI x64 HTTP boot, pxe-inspect serve --http-url + python http.server, GRUB over HTTP"
GROUP=server
FIRMWARE=uefi-x64
SERVER=serve
SERVE_ARGS="--http-url http://192.168.77.1/grubhttpx64.efi"
HTTP=1
TIMEOUT=150
QEMU_EXTRA="-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n -fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n"
prepare() { mkdir -p "$TFTP_ROOT/grub/x86_64-efi"; cp /usr/lib/grub/x86_64-efi/*.lst "$TFTP_ROOT/grub/x86_64-efi/"; chmod -R a+rX "$TFTP_ROOT/grub"; }
