# DHCP server gives an address and no boot file at all: dhcp-no-boot-file (PXE-E53).
DESCRIPTION="BIOS client, plain DHCP server without boot options"
CLIENTS=bios
SCENARIO_TIMEOUT=25
EXPECT=timeout
SCENARIO_UNTIL=$DONE_SYSLINUX
scenario_servers() { udhcpd_plain; }
