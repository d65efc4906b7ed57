# UEFI HTTP boot: OVMF x64 with its PXE boot options switched off (fw_cfg knobs, as a machine
# set up for HTTP boot only), so it starts with HTTP boot over IPv4: DHCP as
# HTTPClient:Arch:00016 (arch 16); dnsmasq-http.conf answers with option 60 HTTPClient and the
# URL http://192.168.77.1/grubhttpx64.efi; python's http.server serves it (HEAD, then GET). GRUB
# (grub-mkimage with the http module) takes its prefix from that URL and fetches grub.cfg and
# vmlinuz over HTTP itself.
DESCRIPTION="UEFI x64 HTTP boot, dnsmasq + python http.server, GRUB over HTTP"
FIRMWARE=uefi-x64
SERVER=dnsmasq
SERVER_CONF=dnsmasq-http.conf
HTTP=1
TIMEOUT=150
QEMU_EXTRA="-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n -fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n"
# the layout grub-mknetdir makes: GRUB's command/fs/crypto/terminal lists next to the image's
# prefix (without them GRUB's probes for them are 404s: see uefi-http-lst-404)
prepare() { mkdir -p "$TFTP_ROOT/grub/x86_64-efi"; cp /usr/lib/grub/x86_64-efi/*.lst "$TFTP_ROOT/grub/x86_64-efi/"; chmod -R a+rX "$TFTP_ROOT/grub"; }
# GRUB's TCP often resends its GET segment while the answer is already on its way (tshark:
# "TCP Spurious Retransmission"); analyze counts each GET once (samples/
# lab-uefi-http-grub-resent-get.pcap.gz).
