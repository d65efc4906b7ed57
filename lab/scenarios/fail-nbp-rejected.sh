# Failure: Secure Boot on, and dnsmasq hands arch 7 the unsigned grubnetx64.efi. OVMF
# downloads it completely and refuses it: 'BdsDxe: failed to load Boot0001 "UEFI PXEv4 …":
# Access Denied', then goes on to its next boot option (PXE over IPv6).
DESCRIPTION="failure: UEFI Secure Boot handed an unsigned GRUB (nbp-rejected)"
GROUP=failure
FIRMWARE=uefi-sb
SERVER=dnsmasq
TIMEOUT=120
EXPECT_TIMEOUT=1
GIVEUP='BdsDxe: failed to load Boot[0-9A-F]{4} "UEFI PXEv4[^"]*"[^:]*: Access Denied'
POST_WAIT=5
EXPECT=nbp-rejected
config_hook() { sed -i 's/^dhcp-boot=tag:efi-x64,grubnetx64.efi$/dhcp-boot=tag:efi-x64,grubnetx64-unsigned.efi/' "$1"; }
