# Failure: the boot file dnsmasq names is not in the TFTP root (pxelinux.0 removed). iPXE gets
# TFTP error 1 for it and gives up on the device.
DESCRIPTION="failure: BIOS, boot file missing from the TFTP root (tftp-file-not-found)"
GROUP=failure
FIRMWARE=bios
SERVER=dnsmasq
TIMEOUT=60
EXPECT_TIMEOUT=1
GIVEUP='(No such file or directory|Nothing to boot|No configuration methods)[^\n]*\n([^\n]*\n)?No more network devices'
EXPECT=tftp-file-not-found
prepare() { rm "$TFTP_ROOT/pxelinux.0"; }
