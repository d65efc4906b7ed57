# Failure provoked by pxe-inspect serve --fault arch-mismatch: each architecture gets the other's
# boot file, so OVMF x64 downloads pxelinux.0 (a BIOS NBP) and cannot start it.
DESCRIPTION="failure: serve hands UEFI x64 the BIOS loader (arch-mismatch)"
GROUP=failure
FIRMWARE=uefi-x64
SERVER=serve
SERVE_ARGS="--fault arch-mismatch"
TIMEOUT=90
EXPECT_TIMEOUT=1
GIVEUP='PXE-E[0-9A-F]{2}: .*\.|BdsDxe: failed to (load|start) Boot[0-9A-F]{4} "UEFI PXEv4[^"]*"[^:]*: [A-Za-z ]+\n'
POST_WAIT=3
EXPECT=arch-mismatch
