# OVMF x64 with Secure Boot (Microsoft keys) from pxe-inspect serve: shim (signed by Microsoft)
# → Debian's signed GRUB → the kernel, all over serve's TFTP.
DESCRIPTION="UEFI x64 Secure Boot, pxe-inspect serve (full DHCP + TFTP), shim → signed GRUB"
GROUP=server
FIRMWARE=uefi-sb
SERVER=serve
SERVE_BOOT_ARGS="--boot bios=pxelinux.0 --boot efi-x64=shimx64.efi"
TIMEOUT=180
