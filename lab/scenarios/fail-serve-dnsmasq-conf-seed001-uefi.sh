# seed 001's dnsmasq.conf read by serve --dnsmasq-conf, and a UEFI client: the untagged
# dhcp-boot=pxelinux.0 reaches it as it would from dnsmasq, and OVMF refuses the BIOS loader —
# the failure the seed's configuration causes, reproduced, reported as arch-mismatch (and named
# beforehand by `pxe-inspect lint` on the same file).
DESCRIPTION="failure: seed 001's dnsmasq.conf via serve --dnsmasq-conf, UEFI gets pxelinux.0"
GROUP=failure
FIRMWARE=uefi-x64
SERVER=serve-dnsmasq-conf
SERVER_CONF=dnsmasq-seed001.conf
TIMEOUT=90
EXPECT_TIMEOUT=1
GIVEUP='PXE-E[0-9A-F]{2}: .*\.|BdsDxe: failed to (load|start) Boot[0-9A-F]{4} "UEFI PXEv4[^"]*"[^:]*: [A-Za-z ]+\n'
EXPECT=arch-mismatch
