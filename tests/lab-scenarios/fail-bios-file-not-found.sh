# BIOS client told to load a file the TFTP root does not have: tftp-file-not-found (PXE-E32 class).
DESCRIPTION="BIOS client, dnsmasq names a missing boot file"
CLIENTS=bios
SCENARIO_TIMEOUT=32
EXPECT=timeout
SCENARIO_UNTIL=$DONE_SYSLINUX
scenario_servers() { dnsmasq_full --dhcp-boot=missing.0; }
