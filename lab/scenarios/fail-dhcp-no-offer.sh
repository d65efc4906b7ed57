# Failure: no DHCP server answers. iPXE's DHCP times out.
DESCRIPTION="failure: BIOS, no DHCP server (dhcp-no-offer)"
GROUP=failure
FIRMWARE=bios
SERVER=none
TIMEOUT=90
EXPECT_TIMEOUT=1
GIVEUP='(No such file or directory|Nothing to boot|No configuration methods)[^\n]*\n([^\n]*\n)?No more network devices'
EXPECT=dhcp-no-offer
