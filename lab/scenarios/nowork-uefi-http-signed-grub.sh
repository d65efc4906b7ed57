# Cannot work: UEFI HTTP boot of Debian's signed grubnetx64.efi. The firmware downloads it over
# HTTP and starts it; GRUB sets prefix (http,192.168.77.1)/grub, but the image has no http
# module: it cannot read grub.cfg and stops at its prompt. Asked to look
# (chats/grub-prompt.chat): "error: disk `http,192.168.77.1' not found." uefi-http-dnsmasq
# boots a GRUB built with the http module instead. pxe-inspect sees a complete HTTP boot.
. "$(dirname "${BASH_SOURCE[0]}")/uefi-http-dnsmasq.sh"
DESCRIPTION="cannot work: UEFI x64 HTTP boot of Debian's signed GRUB (no http module)"
GROUP=cannot
CHAT=grub-prompt
TIMEOUT=60
EXPECT_TIMEOUT=1
GIVEUP="error: disk .http,[^ ]*' not found"
KNOWN_ISSUE=
EXPECT=booted
LAST_FILE=grubnetx64.efi
config_hook() { sed -i 's|/grubhttpx64.efi$|/grubnetx64.efi|' "$1"; }
