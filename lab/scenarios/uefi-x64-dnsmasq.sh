# UEFI x64: OVMF's own PXE (virtio-net), dnsmasq by architecture: grubnetx64.efi (tsize probe
# aborted with TFTP error 8, then the transfer) → grub/x86_64-efi/*.lst (not found: normal) →
# grub/grub.cfg → vmlinuz, which GRUB reads and refuses ("invalid magic number").
DESCRIPTION="UEFI x64 OVMF PXE, dnsmasq DHCP+TFTP, GRUB chain"
FIRMWARE=uefi-x64
SERVER=dnsmasq
