# UEFI HTTP boot entirely from pxe-inspect serve: DHCP answers HTTPClient with a URL serve
# derives from its own built-in HTTP server (--http-root, no --http-url), which then serves
# GRUB, its module lists, grub.cfg and the kernel (GET, HEAD, keep-alive).
DESCRIPTION="UEFI x64 HTTP boot, serve's DHCP + built-in HTTP server (derived URL)"
GROUP=server
FIRMWARE=uefi-x64
SERVER=serve
SERVE_BOOT_ARGS="--boot efi-x64=grubhttpx64.efi"
TIMEOUT=150
QEMU_EXTRA="-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n -fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n"
prepare() {
  mkdir -p "$TFTP_ROOT/grub/x86_64-efi"; cp /usr/lib/grub/x86_64-efi/*.lst "$TFTP_ROOT/grub/x86_64-efi/"
  chmod -R a+rX "$TFTP_ROOT/grub"
  SERVE_ARGS="--http-root $TFTP_ROOT --http-port 80"
}
