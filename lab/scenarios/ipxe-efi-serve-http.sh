# iPXE → HTTP chain from pxe-inspect serve alone: OVMF x64 PXE gets ipxe.efi over TFTP; iPXE's
# own DHCP (user class iPXE) gets the script URL on serve's built-in HTTP server; the script is
# a template (.ipxe.tmpl, filled in per client) and fetches the kernel over HTTP; iPXE's echo
# after imgfetch is the done sign.
DESCRIPTION="UEFI x64 → ipxe.efi → script and kernel over serve's built-in HTTP server"
GROUP=server
FIRMWARE=uefi-x64
SERVER=serve
SERVE_BOOT_ARGS="--boot efi-x64=ipxe.efi"
DONE=$DONE_IPXE
LAST_FILE=vmlinuz
TIMEOUT=150
prepare() {
  cat >"$TFTP_ROOT/boot-http.ipxe.tmpl" <<'IPXE'
#!ipxe
echo pxe-inspect lab: script for {{mac}} ({{family}}) from serve's HTTP server
imgfetch http://192.168.77.1:8080/vmlinuz && echo pxe-inspect lab: ipxe fetched the kernel
IPXE
  chmod a+r "$TFTP_ROOT/boot-http.ipxe.tmpl"
  SERVE_ARGS="--http-root $TFTP_ROOT --ipxe-script http://192.168.77.1:8080/boot-http.ipxe"
}
