# UEFI HTTP boot: OVMF gets no PXE boot file (serve answers PXEClient with an address only),
# falls through to HTTP boot, and serve answers HTTPClient with a boot URL; a python HTTP server
# in the server namespace serves it. Done when the HTTP server logged the download; 8 s more are
# captured so a firmware that refuses the image and moves on (nbp-rejected) shows it. The image
# is GRUB: syslinux.efi, served this way, exits at once (it needs PXE/TFTP) and OVMF moves on to
# HTTP boot over IPv6 — a failure, not a healthy HTTP boot.
DESCRIPTION="UEFI HTTP boot from pxe-inspect serve + python http.server"
CLIENTS=uefi
SCENARIO_TIMEOUT=${HTTP_TIMEOUT:-180}
UNTIL_FILE=server
SCENARIO_UNTIL='GET /grubnetx64.efi HTTP/1.1" 200'
POST_WAIT=8
scenario_servers() {
  [ -n "${PXE_INSPECT:-}" ] || die "set PXE_INSPECT to the pxe-inspect binary"
  bg_in_ns "$NS_SRV" http sh -c "cd '$TFTP_ROOT' && exec python3 -m http.server 8080 --bind $LAB_SRV_IP 2>>'$SERVER_LOG'"
  bg_in_ns "$NS_SRV" server "$PXE_INSPECT" serve --interface "$LAB_IF" --dhcp-range "$LAB_POOL_START,$LAB_POOL_END" \
    --http-url "http://$LAB_SRV_IP:8080/grubnetx64.efi" --no-observe
  sleep 1
}
