# UEFI x64 with Secure Boot on (OVMF + Microsoft's keys): arch 7 gets Debian's Microsoft-signed
# shimx64.efi (checked by the firmware), shim asks for revocations_sku.efi, revocations_sbat.efi,
# shim_certificate_0.efi (not found: normal) and grubx64.efi (Debian-signed GRUB, checked by
# shim), GRUB reads grub.cfg and vmlinuz and refuses it: "bad shim signature".
DESCRIPTION="UEFI x64 Secure Boot, dnsmasq DHCP+TFTP, shim → signed GRUB"
FIRMWARE=uefi-sb
SERVER=dnsmasq
TIMEOUT=180
# the one line a Secure Boot setup changes in dnsmasq.conf
config_hook() { sed -i 's/^dhcp-boot=tag:efi-x64,grubnetx64.efi$/dhcp-boot=tag:efi-x64,shimx64.efi/' "$1"; }
