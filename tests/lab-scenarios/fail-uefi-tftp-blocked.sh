# TFTP port 69 dropped by a firewall: tftp-no-response.
DESCRIPTION="UEFI client, dnsmasq DHCP ok, UDP 69 dropped"
CLIENTS=uefi
SCENARIO_TIMEOUT=30
EXPECT=timeout
SCENARIO_UNTIL=$DONE_GRUB
scenario_servers() { dnsmasq_full --dhcp-boot=grubnetx64.efi; block_udp_port 69; }
