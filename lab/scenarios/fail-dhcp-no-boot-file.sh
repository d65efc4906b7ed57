# Failure: a plain DHCP server (busybox udhcpd) gives the BIOS client an address and no boot
# information at all: iPXE has nothing to boot.
DESCRIPTION="failure: BIOS, DHCP without boot file or next-server (dhcp-no-boot-file)"
GROUP=failure
FIRMWARE=bios
SERVER=udhcpd
TIMEOUT=60
EXPECT_TIMEOUT=1
GIVEUP='(No such file or directory|Nothing to boot|No configuration methods)[^\n]*\n([^\n]*\n)?No more network devices'
EXPECT=dhcp-no-boot-file
