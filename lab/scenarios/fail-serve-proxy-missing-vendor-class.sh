# Failure provoked by pxe-inspect serve --fault proxy-missing-vendor-class: next to udhcpd,
# serve's proxy offers lack option 60 "PXEClient", so the firmware does not take them for
# proxyDHCP offers and has an address without boot information.
DESCRIPTION="failure: serve's proxy offers without option 60 PXEClient (proxy-missing-vendor-class)"
GROUP=failure
FIRMWARE=bios
SERVER=serve-proxy
SERVE_ARGS="--fault proxy-missing-vendor-class"
TIMEOUT=60
EXPECT_TIMEOUT=1
GIVEUP='(No such file or directory|Nothing to boot|No configuration methods)[^\n]*\n([^\n]*\n)?No more network devices'
EXPECT=proxy-missing-vendor-class
