# Failure provoked by pxe-inspect serve --fault boot-file-name-suspect: option 67 ends in a
# 0xFF byte (and the file field stays empty). OVMF asks TFTP for "grubnetx64.efi\xff" (BIOS
# iPXE for "pxelinux.0%FFFFFFFF"): not found, "PXE-E23: Client received TFTP error from server."
# analyze folds the consequence (tftp-file-not-found) into the cause: boot-file-name-suspect,
# raised as an error.
DESCRIPTION="failure: serve ends option 67 with 0xFF (boot-file-name-suspect)"
GROUP=failure
FIRMWARE=uefi-x64
SERVER=serve
SERVE_ARGS="--fault boot-file-name-suspect"
TIMEOUT=90
EXPECT_TIMEOUT=1
GIVEUP='PXE-E[0-9A-F]{2}: .*\.|BdsDxe: failed to load Boot[0-9A-F]{4} "UEFI PXEv4'
POST_WAIT=3
EXPECT=boot-file-name-suspect
