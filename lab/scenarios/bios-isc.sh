# BIOS iPXE ROM, ISC dhcpd (classes on option 93) + tftpd-hpa, pxelinux chain
DESCRIPTION="BIOS iPXE ROM, ISC dhcpd (classes on option 93) + tftpd-hpa, pxelinux chain"
GROUP=server
FIRMWARE=bios
SERVER=isc
