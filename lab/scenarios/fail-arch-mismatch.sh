# Failure: wrong family. dnsmasq.conf with a copy-paste slip hands ARM64 UEFI (arch 11) the x64
# grubnetx64.efi. AAVMF downloads it completely, then refuses it: 'BdsDxe: failed to load
# Boot0001 "UEFI PXEv4 …": Unsupported' and moves on to its next boot option.
DESCRIPTION="failure: ARM64 UEFI handed the x64 GRUB (arch-mismatch)"
GROUP=failure
FIRMWARE=uefi-arm64
SERVER=dnsmasq
TIMEOUT=90
EXPECT_TIMEOUT=1
GIVEUP='BdsDxe: failed to load Boot[0-9A-F]{4} "UEFI PXEv4[^"]*"[^:]*: Unsupported'
POST_WAIT=3
EXPECT=arch-mismatch
config_hook() { sed -i 's/^dhcp-boot=tag:efi-arm64,grubnetaa64.efi$/dhcp-boot=tag:efi-arm64,grubnetx64.efi/' "$1"; }
