# UEFI ARM32: AAVMF32 (virt, cortex-a15), dnsmasq by architecture: arch 10 → grubnetarm.efi
# (grub-mkimage by lab/setup) → per-client grub.cfg-01-MAC / hex IP (not found: normal) →
# grub.cfg → vmlinuz-arm.
DESCRIPTION="UEFI ARM32 AAVMF32 PXE, dnsmasq DHCP+TFTP, GRUB chain"
FIRMWARE=uefi-arm32
SERVER=dnsmasq
TIMEOUT=180
