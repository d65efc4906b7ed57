# Failure provoked by pxe-inspect serve --fault tftp-file-not-found: every RRQ gets TFTP error 1.
DESCRIPTION="failure: serve answers every TFTP read with error 1 (tftp-file-not-found)"
GROUP=failure
FIRMWARE=bios
SERVER=serve
SERVE_ARGS="--fault tftp-file-not-found"
TIMEOUT=60
EXPECT_TIMEOUT=1
GIVEUP='(No such file or directory|Nothing to boot|No configuration methods)[^\n]*\n([^\n]*\n)?No more network devices'
EXPECT=tftp-file-not-found
