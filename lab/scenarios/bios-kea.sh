# BIOS iPXE ROM, Kea (client classes on option[93]) + tftpd-hpa, pxelinux chain
DESCRIPTION="BIOS iPXE ROM, Kea (client classes on option[93]) + tftpd-hpa, pxelinux chain"
GROUP=server
FIRMWARE=bios
SERVER=kea
