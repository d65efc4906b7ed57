# Nobody answers DHCP at all: dhcp-no-offer (PXE-E51).
DESCRIPTION="BIOS client, no DHCP server"
CLIENTS=bios
SCENARIO_TIMEOUT=20
EXPECT=timeout
SCENARIO_UNTIL=$DONE_SYSLINUX
scenario_servers() { :; }
