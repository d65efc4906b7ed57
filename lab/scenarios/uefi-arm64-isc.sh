# UEFI ARM64 AAVMF, ISC dhcpd (classes on option 93) + tftpd-hpa, GRUB chain
DESCRIPTION="UEFI ARM64 AAVMF, ISC dhcpd (classes on option 93) + tftpd-hpa, GRUB chain"
GROUP=server
FIRMWARE=uefi-arm64
SERVER=isc
TIMEOUT=180
