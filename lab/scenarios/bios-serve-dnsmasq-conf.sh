# BIOS iPXE ROM booted by `pxe-inspect serve --dnsmasq-conf` reading seed 001's dnsmasq.conf
# (interface, dhcp-range with lease time, dhcp-host, an untagged dhcp-boot, enable-tftp,
# tftp-root): the configuration people already have, without translating it by hand.
DESCRIPTION="BIOS iPXE ROM, serve --dnsmasq-conf with seed 001's dnsmasq.conf"
GROUP=server
FIRMWARE=bios
SERVER=serve-dnsmasq-conf
SERVER_CONF=dnsmasq-seed001.conf
