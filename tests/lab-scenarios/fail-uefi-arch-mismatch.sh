# UEFI client handed the BIOS loader pxelinux.0 by dnsmasq: arch-mismatch from the file's bytes.
DESCRIPTION="UEFI client, dnsmasq hands it pxelinux.0 (a BIOS NBP)"
CLIENTS=uefi
SCENARIO_TIMEOUT=30
EXPECT=timeout
SCENARIO_UNTIL=$DONE_SYSLINUX
scenario_servers() { dnsmasq_full --dhcp-boot=pxelinux.0; }
