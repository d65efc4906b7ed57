# Cannot work: GRUB behind a proxyDHCP server. OVMF does the proxy exchange (offer, 4011
# request/ACK) and loads grubnetx64.efi from the proxy's TFTP server; GRUB then configures
# itself from the plain DHCP server's answer only (no next-server, no boot file) and ignores the
# proxy's: prefix, root and server are empty, it never asks for grub.cfg and stops at its
# prompt. Asked to look (chats/grub-prompt.chat): "error: variable `root' isn't set."
# pxe-inspect sees a healthy NBP download and then silence, so it says "booted".
DESCRIPTION="cannot work: UEFI x64 GRUB behind udhcpd + dnsmasq proxyDHCP"
GROUP=cannot
FIRMWARE=uefi-x64
SERVER=dnsmasq-proxy
CHAT=grub-prompt
TIMEOUT=60
EXPECT_TIMEOUT=1
GIVEUP="error: variable .root' isn't set"
EXPECT=booted
LAST_FILE=grubnetx64.efi
config_hook() { sed -i 's/^pxe-service=x86-64_EFI,\(.*\),syslinux.efi$/pxe-service=x86-64_EFI,\1,grubnetx64.efi/' "$1"; }
