# UEFI ARM64 AAVMF, Kea (client classes on option[93]) + tftpd-hpa, GRUB chain
DESCRIPTION="UEFI ARM64 AAVMF, Kea (client classes on option[93]) + tftpd-hpa, GRUB chain"
GROUP=server
FIRMWARE=uefi-arm64
SERVER=kea
TIMEOUT=180
