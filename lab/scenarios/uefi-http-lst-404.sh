# UEFI HTTP boot as uefi-http-dnsmasq, but with only the image in place (no grub-mknetdir
# layout): GRUB's optional probes for grub/x86_64-efi/{command,fs,crypto,terminal}.lst get
# HTTP 404, as they get "file not found" over TFTP. analyze must take them for the optional
# probes they are (it reported them as http-error until 2026-12-02, commit 13d5ff0).
. "$(dirname "${BASH_SOURCE[0]}")/uefi-http-dnsmasq.sh"
DESCRIPTION="UEFI x64 HTTP boot, GRUB's *.lst probes answered 404"
prepare() { :; }
