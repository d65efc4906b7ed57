# Failure provoked by pxe-inspect serve --fault boot-url-to-pxe-client: OVMF's PXE (a TFTP-only
# client) is handed its boot file as an http:// URL.
DESCRIPTION="failure: serve hands UEFI PXE an http:// URL (boot-url-to-pxe-client)"
GROUP=failure
FIRMWARE=uefi-x64
SERVER=serve
SERVE_ARGS="--fault boot-url-to-pxe-client"
TIMEOUT=90
EXPECT_TIMEOUT=1
GIVEUP='PXE-E[0-9A-F]{2}: .*\.|BdsDxe: failed to load Boot[0-9A-F]{4} "UEFI PXEv4'
POST_WAIT=3
EXPECT=boot-url-to-pxe-client
