# UEFI x64 OVMF, ISC dhcpd (classes on option 93) + tftpd-hpa, GRUB chain
DESCRIPTION="UEFI x64 OVMF, ISC dhcpd (classes on option 93) + tftpd-hpa, GRUB chain"
GROUP=server
FIRMWARE=uefi-x64
SERVER=isc
