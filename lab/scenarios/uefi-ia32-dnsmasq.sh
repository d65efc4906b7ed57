# UEFI IA32: OVMF ia32 (only built for Secure Boot: q35 + SMM; its variable store has no keys, so
# Secure Boot is off), dnsmasq by architecture: arch 6 → grubnetia32.efi → grub.cfg → vmlinuz.
DESCRIPTION="UEFI IA32 OVMF PXE, dnsmasq DHCP+TFTP, GRUB chain"
FIRMWARE=uefi-ia32
SERVER=dnsmasq
TIMEOUT=180
