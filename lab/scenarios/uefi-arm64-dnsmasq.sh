# UEFI ARM64: AAVMF (virt, cortex-a57), dnsmasq by architecture: arch 11 → grubnetaa64.efi
# (Debian's signed image, fetched by lab/setup) → grub.cfg → vmlinuz-arm64, accepted by GRUB.
DESCRIPTION="UEFI ARM64 AAVMF PXE, dnsmasq DHCP+TFTP, GRUB chain"
FIRMWARE=uefi-arm64
SERVER=dnsmasq
TIMEOUT=180
