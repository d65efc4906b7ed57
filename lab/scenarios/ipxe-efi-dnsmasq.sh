# iPXE EFI chain: OVMF x64 PXE gets ipxe.efi (Debian's ipxe package) over TFTP; iPXE runs its
# own DHCP (user class "iPXE", option 175), dnsmasq-ipxe.conf gives it boot.ipxe instead of
# ipxe.efi again, and the script fetches vmlinuz; its echo after imgfetch is the done sign.
DESCRIPTION="UEFI x64 → ipxe.efi → boot.ipxe script, dnsmasq DHCP+TFTP"
FIRMWARE=uefi-x64
SERVER=dnsmasq
SERVER_CONF=dnsmasq-ipxe.conf
DONE=$DONE_IPXE
LAST_FILE=vmlinuz
