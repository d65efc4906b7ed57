//! What `pxe-inspect explain` knows about messages users see on screen: PXE-Exx codes, iPXE error
//! numbers and other firmware/bootloader texts, each mapped to the findings (registry IDs) that
//! point at its cause.
//!
//! Sources. Codes and texts are only taken from these; meanings are reworded and shortened.
//! - BIOS PXE ROM messages: Altiris/Broadcom "Complete list of PXE error codes and their meaning",
//!   https://knowledge.broadcom.com/external/article/152549/complete-list-of-pxe-error-codes-and-the.html
//!   (mirrored as https://neupokoev-n.gitbook.io/pxe-boot/list-of-pxe-error-codes and HP RDP KB 138,
//!   http://h18013.www1.hp.com/products/servers/management/rdp/knowledgebase/00000138.html), and the
//!   Intel Boot Agent user guide, https://cs.uwaterloo.ca/~brecht/servers/docs/PowerEdge-2600/en/IntelNIC/bootagnt/ba_msgs.htm
//! - UEFI PXE messages: EDK2 NetworkPkg/UefiPxeBcDxe/PxeBcBoot.c (PxeBcLoadBootFile),
//!   https://github.com/tianocore/edk2/blob/master/NetworkPkg/UefiPxeBcDxe/PxeBcBoot.c, its EFI 1.10
//!   predecessor MdeModulePkg/Universal/Network/PxeBcDxe/Pxe_loadfile.c, and
//!   NetworkPkg/HttpBootDxe/HttpBootImpl.c for HTTP boot.
//! - PXE 2.1 status codes (PXE-Exx is the status in hex): the PXE spec's list as kept in iPXE's
//!   src/arch/x86/include/pxe_error.h, https://github.com/ipxe/ipxe/blob/master/src/arch/x86/include/pxe_error.h
//! - iPXE error numbers: src/include/errno.h, src/include/ipxe/errfile.h,
//!   src/arch/x86/include/bits/errfile.h, src/include/ipxe/errno/efi.h,
//!   src/arch/x86/include/ipxe/errno/pcbios.h, src/hci/strerror.c and the per-file
//!   `__einfo_uniqify` tables, https://github.com/ipxe/ipxe (read at 0ab2277c4, 2026-08-21).
//! - Field reports for screen texts: ipxe.org/err pages, EDK2/iPXE/netboot.xyz issues and logs.

#![allow(dead_code)]

// ---------------------------------------------------------------------------------------------
// PXE-Exx codes
// ---------------------------------------------------------------------------------------------

#[derive(Debug, PartialEq, Eq)]
pub struct PxeCode {
    pub code: &'static str,
    pub meaning: &'static str,
    pub findings: &'static [&'static str],
}

const fn p(
    code: &'static str,
    meaning: &'static str,
    findings: &'static [&'static str],
) -> PxeCode {
    PxeCode {
        code,
        meaning,
        findings,
    }
}

const NONE: &[&str] = &[];
const F_E16: &[&str] = &[
    "dhcp-no-offer",
    "dhcp-offers-ignored",
    "proxy-missing-vendor-class",
    "relay-reply-misrouted",
    "dhcp-slow-offer",
    "dhcp-no-boot-file",
    "dhcpv6-no-boot-url",
];
const F_TFTP_ERR: &[&str] = &[
    "tftp-file-not-found",
    "tftp-error",
    "boot-file-name-suspect",
];

/// Every PXE-Exx code found in the sources above, sorted. Where BIOS ROMs and UEFI firmware use
/// the same number for different messages, both are given. PXE 2.1 status codes 0x01-0x06 are
/// left out: they are generic API results, and E00-E09 on screen are the ROM's init messages.
#[rustfmt::skip]
pub const PXE_CODES: &[PxeCode] = &[
    // Init/boot/loader (Altiris list, Intel Boot Agent guide; E05/E07/E09 also EDK2).
    p("PXE-E00", "Not enough free base memory (below 640 KB) to install the PXE code; the ROM gives up and the BIOS boots the next device. Update the BIOS or free option-ROM memory.", NONE),
    p("PXE-E01", "The PCI vendor/device ID in the ROM image does not match the card (wrong flash image, or a BIOS passing the wrong device).", NONE),
    p("PXE-E04", "A PCI BIOS call reading configuration space failed (BIOS or hardware fault).", NONE),
    p("PXE-E05", "BIOS ROM: the NIC's EEPROM checksum is bad (contents corrupted, e.g. by an interrupted update). UEFI (EDK2): the download buffer is smaller than the file, i.e. the file is bigger than the size the server announced.", NONE),
    p("PXE-E06", "The option ROM needs DDIM support (install into writable upper memory); a BIOS bug.", NONE),
    p("PXE-E07", "BIOS ROM: the BIOS lacks PCI BIOS services. UEFI (EDK2): network device error (NIC or driver failure, or an impossible file size).", NONE),
    p("PXE-E08", "Unexpected API error: a PXE API call returned a status the runtime loader did not expect (API and status are shown).", NONE),
    p("PXE-E09", "BIOS ROM: unexpected status from the UNDI runtime loader. UEFI (EDK2): could not allocate I/O buffers (out of memory).", NONE),
    // ARP / link / DHCP state (Altiris list; E12, E16, E18 from EDK2; E19-E1B PXE 2.1 status only).
    p("PXE-E11", "ARP timeout: four ARP requests for the boot server (or gateway) went unanswered. Wrong next-server, a router that does not answer ARP, or option 60 set on a DHCP server while the proxyDHCP runs elsewhere.", &["arp-unanswered"]),
    p("PXE-E12", "UEFI (EDK2): could not detect a network connection (no link on the port; check the cable and switch).", NONE),
    p("PXE-E16", "UEFI (EDK2): no valid offer received (older firmware: \"No offer received\", EFI 1.10: \"Valid PXE offer not received\"). No DHCP/proxy offer arrived, or none the firmware could use (no boot file, no PXEClient vendor class, wrong architecture, DHCPv6 without a boot URL).", F_E16),
    p("PXE-E18", "UEFI (EDK2): server response timeout: a server the client was waiting for never answered (DHCP REQUEST, boot-server discovery on 4011, or the TFTP read). (PXE 2.1 status 0x18 is the unrelated UDP_CLOSED.)", &["dhcp-offers-ignored", "dhcp-no-offer", "proxy-unanswered", "relay-reply-misrouted", "tftp-no-response", "tftp-reply-wrong-source"]),
    p("PXE-E19", "PXE 2.1 status UDP_OPEN: a UDP call was made while UDP was already open (an NBP misusing the PXE API).", NONE),
    p("PXE-E1A", "PXE 2.1 status TFTP_CLOSED: a TFTP read was attempted with no TFTP connection open (an NBP misusing the PXE API).", NONE),
    p("PXE-E1B", "PXE 2.1 status TFTP_OPEN: a TFTP open was attempted while a transfer was already open (an NBP misusing the PXE API).", NONE),
    // BIOS and BIS (Altiris list); E21-E23 mean something else in UEFI (EDK2).
    p("PXE-E20", "BIOS extended memory copy (INT 15h AH=87h) failed; AH holds the BIOS error. A BIOS bug.", NONE),
    p("PXE-E21", "BIOS ROM: BIS integrity check failed (the BIS image in extended memory is corrupted). UEFI (EDK2): remote boot cancelled (Esc pressed, or the transfer was aborted).", NONE),
    p("PXE-E22", "BIOS ROM: BIS image/credential validation failed (image and credential do not match the client key). UEFI (EDK2): the client got an ICMP error from the server, usually port unreachable because no TFTP server listens.", &["tftp-no-response"]),
    p("PXE-E23", "BIOS ROM: BIS initialization failed. UEFI (EDK2): the client received a TFTP error from the server (file not found, access violation), often after \"NBP filesize is 0 Bytes\"; also seen when option 67 is an http:// URL given to a TFTP PXE client.", &["tftp-file-not-found", "tftp-error", "boot-file-name-suspect", "boot-url-to-pxe-client"]),
    p("PXE-E24", "BIS shutdown failed.", NONE),
    p("PXE-E25", "BIS get boot object authorization check flag failed: could not tell whether BIS is enabled.", NONE),
    p("PXE-E26", "BIS free memory failed: could not release BIS memory.", NONE),
    p("PXE-E27", "BIS get signature information failed: the required credential type could not be determined.", NONE),
    p("PXE-E28", "BIS bad entry structure checksum: the BIS entry in the SMBIOS table is invalid.", NONE),
    // TFTP/MTFTP (Altiris list; E30, E33, E3D, E3E PXE 2.1 status only).
    p("PXE-E30", "PXE 2.1 status TFTP_CANNOT_ARP_ADDRESS: the TFTP server's address could not be resolved with ARP.", &["arp-unanswered"]),
    p("PXE-E32", "TFTP open timeout: the TFTP read request for the boot file was never answered. No TFTP server on next-server, a firewall on UDP 69, or a missing option 66/next-server when TFTP runs on another host.", &["tftp-no-response", "tftp-reply-wrong-source", "arp-unanswered"]),
    p("PXE-E33", "PXE 2.1 status TFTP_UNKNOWN_OPCODE: the server sent a TFTP packet with an unknown opcode.", &["tftp-error"]),
    p("PXE-E35", "TFTP read timeout: the next data packet never came (transfer stalled, often oversized blocks dropped as fragments).", &["tftp-incomplete", "tftp-blksize-fragmented"]),
    p("PXE-E36", "Error received from TFTP server: the server answered with a TFTP ERROR packet (the PXE-T0x line before it gives the TFTP code).", F_TFTP_ERR),
    p("PXE-E38", "TFTP cannot open connection: sending the TFTP open request failed (a hardware/driver error).", &["tftp-error"]),
    p("PXE-E39", "TFTP cannot read from connection: sending a TFTP ACK failed (a hardware/driver error).", NONE),
    p("PXE-E3A", "TFTP too many packages: the file is larger than the buffer, or (MTFTP) it grew while this client took over as master.", NONE),
    p("PXE-E3B", "TFTP error - File not found: the server has no file by that name (check the name, case and TFTP root).", F_TFTP_ERR),
    p("PXE-E3C", "TFTP error - Access violation: the file exists but the TFTP service may not read it (permissions, path outside the root).", &["tftp-error"]),
    p("PXE-E3D", "PXE 2.1 status TFTP_NO_MCAST_ADDRESS: MTFTP was asked for without a multicast address.", NONE),
    p("PXE-E3E", "PXE 2.1 status TFTP_NO_FILESIZE: the server did not report the file size (no tsize option in its reply).", &["tftp-options-ignored"]),
    p("PXE-E3F", "TFTP packet size is invalid: a received TFTP packet was larger than 1456 bytes.", &["tftp-blksize-fragmented"]),
    // BOOTP/DHCP (Altiris list; E54 PXE 2.1 status only).
    p("PXE-E51", "No DHCP or proxyDHCP offers were received: no usable DHCP, BOOTP or proxyDHCP offer arrived. No DHCP server or relay (ip helper-address) for this segment, spanning tree delaying the port, or DHCP present but no PXE service.", &["dhcp-no-offer", "dhcp-offers-ignored", "proxy-missing-vendor-class", "relay-reply-misrouted", "dhcp-slow-offer", "dhcp-no-ack", "dhcp-nak"]),
    p("PXE-E52", "proxyDHCP offers were received. No DHCP offers were received: a proxyDHCP answered but nothing handed out an address.", &["dhcp-no-offer", "dhcp-offers-ignored", "relay-reply-misrouted"]),
    p("PXE-E53", "No boot filename received: the client got an address but no offer named a file to download (missing option 67/file field, or the proxyDHCP offer came late or without PXEClient).", &["dhcp-no-boot-file", "proxy-offer-late", "proxy-missing-vendor-class"]),
    p("PXE-E54", "PXE 2.1 status DHCP_BAD_IP_ADDRESS: the offered IP address was invalid.", NONE),
    p("PXE-E55", "proxyDHCP service did not reply to request on port 4011: the client sent its boot-server REQUEST to UDP 4011 and got no answer (often options 60/66/67 set on the DHCP server while no proxy runs there).", &["proxy-unanswered", "proxy-wrong-port", "proxy-missing-vendor-class", "dhcp-no-ack"]),
    // UNDI (Altiris list; E62, E6A-E6C PXE 2.1 status only).
    p("PXE-E60", "Invalid UNDI API function number: the base code used an API the UNDI ROM does not implement.", NONE),
    p("PXE-E61", "Media test failed, check cable: no link (cable unplugged or bad, NIC or switch port fault).", NONE),
    p("PXE-E62", "PXE 2.1 status UNDI_CANNOT_INIT_NIC_FOR_MCAST: the NIC could not be set up for multicast.", NONE),
    p("PXE-E63", "Error while initializing the NIC hardware; try another NIC.", NONE),
    p("PXE-E64", "Error while initializing the PHY; try another NIC.", NONE),
    p("PXE-E65", "Error while reading the NIC configuration data; try another NIC.", NONE),
    p("PXE-E66", "Error while reading the NIC initialization data; try another NIC.", NONE),
    p("PXE-E67", "Invalid MAC address stored in the NIC.", NONE),
    p("PXE-E68", "Invalid EEPROM checksum: the NIC's EEPROM is corrupted.", NONE),
    p("PXE-E69", "Error while setting the interrupt: the interrupt hardware could not be configured.", NONE),
    p("PXE-E6A", "PXE 2.1 status UNDI_INVALID_STATE: an UNDI call was made in the wrong state.", NONE),
    p("PXE-E6B", "PXE 2.1 status UNDI_TRANSMIT_ERROR: the NIC failed to transmit.", NONE),
    p("PXE-E6C", "PXE 2.1 status UNDI_INVALID_PARAMETER: an UNDI call got an invalid parameter.", NONE),
    // Bootstrap and discovery (Altiris list).
    p("PXE-E74", "Bad or missing PXE menu and/or prompt information: the offer had PXE vendor options (option 43) but no valid boot menu/prompt.", &["proxy-missing-vendor-class"]),
    p("PXE-E76", "Bad or missing multicast discovery address: multicast discovery is on but the address option is missing.", NONE),
    p("PXE-E77", "Bad or missing discovery server list: multicast and broadcast discovery are off (or a server list is required) and no valid list was sent.", NONE),
    p("PXE-E78", "Could not locate boot server: no valid boot-server reply to the discovery request.", &["proxy-unanswered", "proxy-wrong-port"]),
    p("PXE-E79", "NBP is too big to fit in free base memory: the boot file is larger than free memory below 640 KB, typically a UEFI or other large image given to a BIOS client.", &["arch-mismatch"]),
    p("PXE-E7A", "Client could not locate a secure server: BIS is enabled on the client but the boot server sent no security information.", NONE),
    p("PXE-E7B", "Missing MTFTP server IP address: no PXE discovery tags or proxy offer, and the DHCP siaddr (next-server) is 0.0.0.0.", &["dhcp-no-boot-file"]),
    // APITest.0 / DOSUNDI.0 bootstrap programs (Altiris list).
    p("PXE-E81", "!PXE structure is invalid (missing or corrupted).", NONE),
    p("PXE-E82", "PXENV+ structure is invalid (missing or corrupted).", NONE),
    p("PXE-E83", "Invalid DHCP option format: the PXE discovery options in the cached packets are not valid.", NONE),
    p("PXE-E84", "Could not get pointer to original packet storage: the ROM did not return its cached packets.", NONE),
    p("PXE-E85", "Not enough extended memory for the RAM-disk image.", NONE),
    p("PXE-E86", "ENV RAM-disk image corrupted: the downloaded image has no DOS boot signature in its first 512 bytes.", &["boot-file-name-suspect"]),
    p("PXE-E87", "Could not find selected boot item: the discovery reply lacked a boot-item option (PXE option 71).", NONE),
    p("PXE-E88", "Could not locate boot server: the boot server did not answer the RAM-disk image discovery request.", &["proxy-unanswered"]),
    p("PXE-E89", "Could not download boot image: the RAM-disk image is missing on the boot server, or its TFTP service is not running.", &["tftp-file-not-found", "tftp-no-response"]),
    // UEFI catch-alls (EFI 1.10 Pxe_loadfile.c, EDK2 PxeBcBoot.c).
    p("PXE-E98", "EFI 1.10 PXE: detail line after PXE-E22/E23 giving the ICMP type/code or the TFTP error code and text the server sent.", &["tftp-error", "tftp-file-not-found", "tftp-no-response"]),
    p("PXE-E99", "UEFI (EDK2): unexpected network error: the boot attempt failed with a status none of the other messages cover (e.g. a boot file the PXE driver cannot fetch or run).", &["boot-url-to-pxe-client", "nbp-rejected"]),
    // Miscellaneous (Altiris list; EA1 field reports; EA2, EA3 PXE 2.1 status only).
    p("PXE-EA0", "Network boot canceled by keystroke: Esc or Ctrl-C during DHCP, discovery or TFTP.", NONE),
    p("PXE-EA1", "No PXE server found, using standard boot file: no PXE boot-server (BINL) answered, so the DHCP boot file is used. Informational.", NONE),
    p("PXE-EA2", "PXE 2.1 status NOT_AVAILABLE_IN_PMODE: the API call is not available in protected mode.", NONE),
    p("PXE-EA3", "PXE 2.1 status NOT_AVAILABLE_IN_RMODE: the API call is not available in real mode.", NONE),
    p("PXE-EB0", "PXE 2.1 status BUSD_DEVICE_NOT_SUPPORTED: the bus/device type is not supported.", NONE),
    // BaseCode/UNDI loader (Altiris list; EC0, EC2, ECA, ECB PXE 2.1 status only).
    p("PXE-EC0", "PXE 2.1 status LOADER_NO_FREE_BASE_MEMORY: no free base memory to load the PXE code.", NONE),
    p("PXE-EC1", "BaseCode ROM ID structure was not found; the BaseCode ROM image is probably corrupted.", NONE),
    p("PXE-EC2", "PXE 2.1 status LOADER_BAD_BC_ROMID: the BaseCode ROM ID is bad.", NONE),
    p("PXE-EC3", "BaseCode ROM ID structure is invalid; the BaseCode ROM image is probably corrupted.", NONE),
    p("PXE-EC4", "UNDI ROM ID structure was not found.", NONE),
    p("PXE-EC5", "UNDI ROM ID structure is invalid; the UNDI ROM image is probably corrupted.", NONE),
    p("PXE-EC6", "UNDI driver image is invalid; the UNDI ROM image is probably corrupted.", NONE),
    p("PXE-EC8", "!PXE structure was not found in the UNDI driver code segment: a .NIC image flashed where a .LOM image belongs, PMM memory overwritten before boot, or the UNDI loader not initialised by the BIOS.", NONE),
    p("PXE-EC9", "PXENV+ structure was not found in the UNDI driver code segment (same causes as PXE-EC8).", NONE),
    p("PXE-ECA", "PXE 2.1 status LOADER_UNDI_START: starting the UNDI driver failed.", NONE),
    p("PXE-ECB", "PXE 2.1 status LOADER_BC_START: starting the base code failed.", NONE),
];

/// The exact on-screen titles of each code (without the "PXE-Exx: " prefix), used by `lookup` to
/// match a pasted line that lacks the code. Several firmware wordings per code.
#[rustfmt::skip]
const PXE_TITLES: &[(&str, &[&str])] = &[
    ("PXE-E00", &["Could not find enough free base memory", "This system does not have enough free conventional memory"]),
    ("PXE-E01", &["PCI Vendor and Device IDs do not match"]),
    ("PXE-E04", &["Error reading PCI configuration space"]),
    ("PXE-E05", &["EEPROM checksum error", "Buffer size is smaller than the requested file", "Download buffer is smaller than requested file"]),
    ("PXE-E06", &["Option ROM requires DDIM support"]),
    ("PXE-E07", &["PCI BIOS calls not supported", "Network device error"]),
    ("PXE-E08", &["Unexpected API error"]),
    ("PXE-E09", &["Unexpected UNDI loader error", "Could not allocate I/O buffers"]),
    ("PXE-E11", &["ARP timeout"]),
    ("PXE-E12", &["Could not detect network connection"]),
    ("PXE-E16", &["No valid offer received", "No offer received", "Valid PXE offer not received"]),
    ("PXE-E18", &["Server response timeout", "Timeout.  Server did not respond"]),
    ("PXE-E20", &["BIOS extended memory copy error"]),
    ("PXE-E21", &["BIS integrity check failed", "Remote boot cancelled"]),
    ("PXE-E22", &["BIS image/credential validation failed", "Client received ICMP error from server"]),
    ("PXE-E23", &["BIS initialization failed", "Client received TFTP error from server"]),
    ("PXE-E24", &["BIS shutdown failed"]),
    ("PXE-E25", &["BIS get boot object authorization check flag failed"]),
    ("PXE-E26", &["BIS free memory failed"]),
    ("PXE-E27", &["BIS get signature information failed"]),
    ("PXE-E28", &["BIS bad entry structure checksum"]),
    ("PXE-E32", &["TFTP open timeout"]),
    ("PXE-E35", &["TFTP read timeout"]),
    ("PXE-E36", &["Error received from TFTP server"]),
    ("PXE-E38", &["TFTP cannot open connection"]),
    ("PXE-E39", &["TFTP cannot read from connection"]),
    ("PXE-E3A", &["TFTP too many packages"]),
    ("PXE-E3B", &["TFTP error - File not found"]),
    ("PXE-E3C", &["TFTP error - Access violation"]),
    ("PXE-E3F", &["TFTP packet size is invalid"]),
    ("PXE-E51", &["No DHCP or proxyDHCP offers were received"]),
    ("PXE-E52", &["proxyDHCP offers were received. No DHCP offers were received"]),
    ("PXE-E53", &["No boot filename received"]),
    ("PXE-E55", &["proxyDHCP service did not reply to request on port 4011"]),
    ("PXE-E60", &["Invalid UNDI API function number"]),
    ("PXE-E61", &["Media test failed, check cable", "Media test failure, check cable"]),
    ("PXE-E63", &["Error while initializing the NIC"]),
    ("PXE-E64", &["Error while initializing the PHY"]),
    ("PXE-E65", &["Error while reading the configuration data"]),
    ("PXE-E66", &["Error while reading the initialization data"]),
    ("PXE-E67", &["Invalid MAC address"]),
    ("PXE-E68", &["Invalid EEPROM checksum"]),
    ("PXE-E69", &["Error while setting interrupt"]),
    ("PXE-E74", &["Bad or missing PXE menu and/or prompt information"]),
    ("PXE-E76", &["Bad or missing multicast discovery address"]),
    ("PXE-E77", &["Bad or missing discovery server list"]),
    ("PXE-E78", &["Could not locate boot server"]),
    ("PXE-E79", &["NBP is too big to fit in free base memory"]),
    ("PXE-E7A", &["Client could not locate a secure server"]),
    ("PXE-E7B", &["Missing MTFTP server IP address"]),
    ("PXE-E81", &["!PXE structure is invalid"]),
    ("PXE-E82", &["PXENV+ structure is invalid"]),
    ("PXE-E83", &["Invalid DHCP option format"]),
    ("PXE-E84", &["Could not get pointer to original packet storage"]),
    ("PXE-E85", &["Not enough extended memory"]),
    ("PXE-E86", &["ENV RAMdisk image corrupted"]),
    ("PXE-E87", &["Could not find selected boot item"]),
    ("PXE-E88", &["Could not locate boot server"]),
    ("PXE-E89", &["Could not download boot image"]),
    ("PXE-E99", &["Unexpected network error"]),
    ("PXE-EA0", &["Network boot canceled by keystroke"]),
    ("PXE-EA1", &["No PXE server found, using standard boot file"]),
    ("PXE-EC1", &["BaseCode ROM ID structure was not found"]),
    ("PXE-EC3", &["BaseCode ROM ID structure is invalid"]),
    ("PXE-EC4", &["UNDI ROM ID structure was not found"]),
    ("PXE-EC5", &["UNDI ROM ID structure is invalid"]),
    ("PXE-EC6", &["UNDI driver image is invalid"]),
    ("PXE-EC8", &["!PXE structure was not found in UNDI driver code segment"]),
    ("PXE-EC9", &["PXENV+ structure was not found in UNDI driver code segment"]),
];

pub fn pxe_code(code: &str) -> Option<&'static PxeCode> {
    PXE_CODES.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

/// On-screen titles known for a code (empty for PXE 2.1 status codes without a published text).
pub fn pxe_titles(code: &str) -> &'static [&'static str] {
    PXE_TITLES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, t)| *t)
        .unwrap_or(&[])
}

// ---------------------------------------------------------------------------------------------
// Other screen texts
// ---------------------------------------------------------------------------------------------

#[derive(Debug, PartialEq, Eq)]
pub struct ScreenText {
    pub text: &'static str,
    pub meaning: &'static str,
    pub findings: &'static [&'static str],
}

const fn s(
    text: &'static str,
    meaning: &'static str,
    findings: &'static [&'static str],
) -> ScreenText {
    ScreenText {
        text,
        meaning,
        findings,
    }
}

#[rustfmt::skip]
pub const SCREEN_TEXTS: &[ScreenText] = &[
    // UEFI PXE / HTTP boot (EDK2).
    s("NBP filesize is 0 Bytes", "UEFI PXE asked the TFTP server for the boot file's size and got none: the file does not exist under that name, the TFTP server refused it, or option 67 is an http:// URL handed to a PXE (TFTP) client instead of an HTTPClient. PXE-E23 usually follows.", &["boot-url-to-pxe-client", "tftp-file-not-found", "boot-file-name-suspect"]),
    s("PXE-E16: No valid offer received", "UEFI PXE got no usable offer: none at all, or offers without boot file, PXEClient class or matching architecture (see PXE-E16).", F_E16),
    s("Server response timeout", "UEFI PXE (PXE-E18) or HTTP boot (\"Error: Server response timeout.\") waited for a server that never answered: DHCP REQUEST, boot server on 4011, TFTP or HTTP.", &["dhcp-offers-ignored", "dhcp-no-offer", "proxy-unanswered", "relay-reply-misrouted", "tftp-no-response", "tftp-reply-wrong-source", "http-error"]),
    s("Could not retrieve NBP file size from HTTP server", "UEFI HTTP boot's generic failure to fetch the boot file: no or bad boot URL, HTTP error (404), server unreachable, https:// refused for an untrusted certificate, or firmware that allows only https://.", &["http-boot-no-url", "http-error"]),
    s("Access Denied", "EFI_ACCESS_DENIED when loading the boot file: almost always Secure Boot refusing an unsigned or untrusted image (not signed by a key in db, or revoked in dbx). Use a signed shim, or enrol the key.", &["nbp-rejected"]),
    s("Security Violation", "EFI_SECURITY_VIOLATION from LoadImage: the image failed the firmware's Secure Boot policy (bad or untrusted signature).", &["nbp-rejected"]),
    s("Secure Boot Violation", "Vendor firmware dialog (\"Invalid signature detected. Check Secure Boot Policy in Setup\"): Secure Boot refused the downloaded image.", &["nbp-rejected"]),
    s("Machine type 0xaa64 is not supported", "The boot file's PE header names a CPU this firmware cannot run: 0xaa64 is AArch64 (ARM64), while x64 UEFI runs 0x8664 images. Other PE machine types: 0x014c i386, 0x01c4 ARMv7 (Thumb-2), 0x5064 RISC-V 64, 0x6264 LoongArch64, 0x0200 Itanium. Serve each architecture its own binary (option 93).", &["arch-mismatch"]),
    s("can't be loaded on", "EDK2 \"Image type X64 can't be loaded on AARCH64 UEFI system.\": the image's PE machine type is for another CPU than the firmware's.", &["arch-mismatch"]),
    s("Unsupported", "EFI_UNSUPPORTED when loading or starting the boot file: the image is not an EFI application this firmware can run (wrong machine type or subsystem, a BIOS image), or the firmware refused it.", &["arch-mismatch", "nbp-rejected"]),
    // iPXE.
    s("Exec format error", "iPXE ENOEXEC: the downloaded file is in no format this iPXE build can execute, e.g. a BIOS image on UEFI, an EFI binary for another CPU, or an HTML error page saved as the file.", &["arch-mismatch", "nbp-rejected"]),
    s("No configuration methods succeeded", "iPXE ifmgmt: DHCP (and every other configuration method) failed on the interface, so it has no address (https://ipxe.org/040ee119 on BIOS, 040ee186 on UEFI).", &["dhcp-no-offer", "dhcp-offers-ignored", "relay-reply-misrouted"]),
    s("autoexec.ipxe... No such file or directory", "iPXE looked for an autoexec.ipxe script next to itself (boot filesystem or TFTP server) and found none. Harmless if DHCP boot follows; else give iPXE a script (option 67 for user-class iPXE, or embed one).", &["ipxe-no-script"]),
    s("autoexec.ipxe... Not found", "Newer iPXE (2024+) wording of the missing autoexec.ipxe script (TFTP file not found).", &["ipxe-no-script"]),
    s("Nothing to boot", "iPXE autoboot: DHCP gave neither a boot filename nor a root path (\"Nothing to boot: No such file or directory\").", &["dhcp-no-boot-file", "proxy-offer-late"]),
    s("No more network devices", "iPXE autoboot tried every network interface and none booted (no DHCP, no filename, or the boot failed); iPXE then gives up.", &["ipxe-no-script", "dhcp-no-offer", "dhcp-no-boot-file"]),
    s("Connection timed out", "iPXE ETIMEDOUT: a TFTP, HTTP or DHCP exchange got no answer in time; the error URL's file part tells which.", &["tftp-no-response", "dhcp-no-offer", "http-error", "tftp-reply-wrong-source"]),
    s("Permission denied", "iPXE EACCES: TFTP access violation, HTTP 401, an untrusted HTTPS certificate, or an image refused by image trust.", &["tftp-error", "http-error", "nbp-rejected"]),
    s("Operation not supported", "iPXE ENOTSUP: e.g. a TFTP error code other than not-found/access (from net/udp/tftp.c), an unsupported HTTP feature, or an unsupported image.", &["tftp-error", "http-error", "arch-mismatch"]),
    // GRUB, U-Boot.
    s("bad shim signature", "GRUB under Secure Boot: the kernel is not signed by a key shim trusts (vendor cert or MOK), so shim's verifier refused it.", &["nbp-rejected"]),
    s("invalid magic number", "GRUB could not recognise the kernel it loaded: not a Linux kernel of the kind the command expects (linux16 vs linuxefi, other CPU), or a truncated/wrong file such as an HTML error page.", &["arch-mismatch", "boot-file-name-suspect"]),
    s("Bad Linux ARM64 Image magic!", "U-Boot booti: the loaded file lacks the arm64 Image header magic: a compressed vmlinuz or ELF vmlinux instead of the raw Image, a file for another CPU, or nothing loaded at that address (failed download).", &["arch-mismatch", "boot-file-name-suspect", "tftp-file-not-found"]),
];

/// Extra substrings that select a screen text whose stored wording is one example of a family.
#[rustfmt::skip]
const SCREEN_ALIASES: &[(&str, &str)] = &[
    ("machine type 0x", "Machine type 0xaa64 is not supported"),
    ("rejected probably by secure boot", "Access Denied"),
    ("invalid signature detected", "Secure Boot Violation"),
];

/// PE/COFF machine type names (the numbers firmware prints when it refuses an image).
pub fn pe_machine_name(machine: u16) -> Option<&'static str> {
    Some(match machine {
        0x014c => "i386 (IA-32)",
        0x0200 => "IA-64 (Itanium)",
        0x01c2 => "ARM Thumb",
        0x01c4 => "ARMv7 Thumb-2 (ARM32 UEFI)",
        0x8664 => "x86-64 (x64)",
        0xaa64 => "AArch64 (ARM64)",
        0x5032 => "RISC-V 32",
        0x5064 => "RISC-V 64",
        0x6232 => "LoongArch32",
        0x6264 => "LoongArch64",
        0x0ebc => "EFI Byte Code",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// iPXE error numbers
// ---------------------------------------------------------------------------------------------
//
// errno.h: bits 30-24 POSIX error, bits 23-13 file (ERRFILE_xxx, whose bits 15-13 are the group
// and bits 23-16 the index, bit 23 meaning arch-specific), bits 12-8 per-file disambiguator,
// bits 7-0 the platform error (PXENV_STATUS on BIOS; on UEFI the EFI status with its top bit
// moved to bit 7). iPXE prints "<text> (https://ipxe.org/%08x)"; ipxe.org/err/ pages use the
// top 24 bits only (6 hex digits).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpxeError {
    pub code: u32,
    /// POSIX name, e.g. "ENOTSUP" ("EPLATFORM" for 0x7f, an error passed through from firmware).
    pub class: &'static str,
    /// errno.h's text for that POSIX error, e.g. "Operation not supported".
    pub posix: &'static str,
    /// Source file that raised it, e.g. "net/udp/tftp.c" (x86 for arch-specific files).
    pub file: Option<&'static str>,
    pub line_uniq: u8,
    pub findings: &'static [&'static str],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpxeBuild {
    Bios,
    Efi,
}

struct Posix {
    code: u8,
    name: &'static str,
    text: &'static str,
    /// Platform byte a BIOS build puts with this error (PXENV_STATUS_*).
    bios: u8,
    /// Platform byte a UEFI build puts with this error (compressed EFI status).
    efi: u8,
    /// In strerror.c's table of common errors (printed by text rather than number).
    in_errortab: bool,
}

/// No fixed platform byte (EPLATFORM carries whatever the firmware returned).
const NO_PLATFORM: u8 = 0xff;

#[rustfmt::skip]
const POSIX: &[Posix] = &[
    Posix { code: 0x00, name: "ENOERR", text: "Operation completed successfully", bios: 0x00, efi: 0x00, in_errortab: true },
    Posix { code: 0x01, name: "E2BIG", text: "Argument list too long", bios: 0x02, efi: 0x85, in_errortab: false },
    Posix { code: 0x02, name: "EACCES", text: "Permission denied", bios: 0x3c, efi: 0x8f, in_errortab: true },
    Posix { code: 0x03, name: "EADDRINUSE", text: "Address already in use", bios: 0x19, efi: 0x94, in_errortab: false },
    Posix { code: 0x04, name: "EADDRNOTAVAIL", text: "Address not available", bios: 0x19, efi: 0x86, in_errortab: false },
    Posix { code: 0x05, name: "EAFNOSUPPORT", text: "Address family not supported", bios: 0x03, efi: 0x83, in_errortab: false },
    Posix { code: 0x06, name: "EAGAIN", text: "Resource temporarily unavailable", bios: 0x01, efi: 0x86, in_errortab: false },
    Posix { code: 0x07, name: "EALREADY", text: "Connection already in progress", bios: 0x19, efi: 0x94, in_errortab: false },
    Posix { code: 0x08, name: "EBADF", text: "Bad file descriptor", bios: 0x1a, efi: 0x82, in_errortab: false },
    Posix { code: 0x09, name: "EBADMSG", text: "Bad message", bios: 0x01, efi: 0x98, in_errortab: false },
    Posix { code: 0x0a, name: "EBUSY", text: "Device or resource busy", bios: 0x06, efi: 0x90, in_errortab: false },
    Posix { code: 0x0b, name: "ECANCELED", text: "Operation canceled", bios: 0xa0, efi: 0x95, in_errortab: true },
    Posix { code: 0x0c, name: "ECHILD", text: "No child processes", bios: 0x3b, efi: 0x8e, in_errortab: false },
    Posix { code: 0x0d, name: "ECONNABORTED", text: "Connection aborted", bios: 0x39, efi: 0x95, in_errortab: false },
    Posix { code: 0x0e, name: "ECONNREFUSED", text: "Connection refused", bios: 0x38, efi: 0x90, in_errortab: false },
    Posix { code: 0x0f, name: "ECONNRESET", text: "Connection reset", bios: 0x39, efi: 0x95, in_errortab: true },
    Posix { code: 0x10, name: "EDEADLK", text: "Resource deadlock avoided", bios: 0x01, efi: 0x86, in_errortab: false },
    Posix { code: 0x11, name: "EDESTADDRREQ", text: "Destination address required", bios: 0x02, efi: 0x98, in_errortab: false },
    Posix { code: 0x12, name: "EDOM", text: "Mathematics argument out of domain of function", bios: 0x01, efi: 0x82, in_errortab: false },
    Posix { code: 0x13, name: "EDQUOT", text: "Disk quote exceeded", bios: 0x01, efi: 0x8b, in_errortab: false },
    Posix { code: 0x14, name: "EEXIST", text: "File exists", bios: 0x01, efi: 0x88, in_errortab: false },
    Posix { code: 0x15, name: "EFAULT", text: "Bad address", bios: 0x20, efi: 0x82, in_errortab: false },
    Posix { code: 0x16, name: "EFBIG", text: "File too large", bios: 0x20, efi: 0x9c, in_errortab: false },
    Posix { code: 0x17, name: "EHOSTUNREACH", text: "Host is unreachable", bios: 0x11, efi: 0x90, in_errortab: false },
    Posix { code: 0x18, name: "EIDRM", text: "Identifier removed", bios: 0x01, efi: 0x82, in_errortab: false },
    Posix { code: 0x19, name: "EILSEQ", text: "Illegal byte sequence", bios: 0x01, efi: 0x82, in_errortab: false },
    Posix { code: 0x1a, name: "EINPROGRESS", text: "Operation in progress", bios: 0x01, efi: 0x94, in_errortab: false },
    Posix { code: 0x1b, name: "EINTR", text: "Interrupted function call", bios: 0x01, efi: 0x86, in_errortab: false },
    Posix { code: 0x1c, name: "EINVAL", text: "Invalid argument", bios: 0x02, efi: 0x82, in_errortab: true },
    Posix { code: 0x1d, name: "EIO", text: "Input/output error", bios: 0x39, efi: 0x98, in_errortab: true },
    Posix { code: 0x1e, name: "EISCONN", text: "Socket is connected", bios: 0x19, efi: 0x94, in_errortab: false },
    Posix { code: 0x1f, name: "EISDIR", text: "Is a directory", bios: 0x01, efi: 0x98, in_errortab: false },
    Posix { code: 0x20, name: "ELOOP", text: "Too many levels of symbolic links", bios: 0x01, efi: 0x8a, in_errortab: false },
    Posix { code: 0x21, name: "EMFILE", text: "Too many open files", bios: 0x06, efi: 0x89, in_errortab: false },
    Posix { code: 0x22, name: "EMLINK", text: "Too many links", bios: 0x01, efi: 0x89, in_errortab: false },
    Posix { code: 0x23, name: "EMSGSIZE", text: "Message too long", bios: 0x02, efi: 0x84, in_errortab: false },
    Posix { code: 0x24, name: "EMULTIHOP", text: "Multihop attempted", bios: 0x01, efi: 0x82, in_errortab: false },
    Posix { code: 0x25, name: "ENAMETOOLONG", text: "Filename too long", bios: 0x01, efi: 0x82, in_errortab: false },
    Posix { code: 0x26, name: "ENETDOWN", text: "Network is down", bios: 0x11, efi: 0x90, in_errortab: false },
    Posix { code: 0x27, name: "ENETRESET", text: "Connection aborted by network", bios: 0x01, efi: 0x95, in_errortab: false },
    Posix { code: 0x28, name: "ENETUNREACH", text: "Network unreachable", bios: 0x11, efi: 0x90, in_errortab: true },
    Posix { code: 0x29, name: "ENFILE", text: "Too many open files in system", bios: 0x06, efi: 0x89, in_errortab: false },
    Posix { code: 0x2a, name: "ENOBUFS", text: "No buffer space available", bios: 0x06, efi: 0x89, in_errortab: false },
    Posix { code: 0x2b, name: "ENODATA", text: "No message is available on the STREAM head read queue", bios: 0x01, efi: 0x90, in_errortab: false },
    Posix { code: 0x2c, name: "ENODEV", text: "No such device", bios: 0x3b, efi: 0x87, in_errortab: true },
    Posix { code: 0x2d, name: "ENOENT", text: "No such file or directory", bios: 0x3b, efi: 0x8e, in_errortab: true },
    Posix { code: 0x2e, name: "ENOEXEC", text: "Exec format error", bios: 0x01, efi: 0x81, in_errortab: true },
    Posix { code: 0x2f, name: "ENOLCK", text: "No locks available", bios: 0x01, efi: 0x89, in_errortab: false },
    Posix { code: 0x30, name: "ENOLINK", text: "Link has been severed", bios: 0x01, efi: 0x89, in_errortab: false },
    Posix { code: 0x31, name: "ENOMEM", text: "Not enough space", bios: 0x06, efi: 0x89, in_errortab: true },
    Posix { code: 0x32, name: "ENOMSG", text: "No message of the desired type", bios: 0x01, efi: 0x98, in_errortab: false },
    Posix { code: 0x33, name: "ENOPROTOOPT", text: "Protocol not available", bios: 0x03, efi: 0x83, in_errortab: false },
    Posix { code: 0x34, name: "ENOSPC", text: "No space left on device", bios: 0x06, efi: 0x8b, in_errortab: true },
    Posix { code: 0x35, name: "ENOSR", text: "No STREAM resources", bios: 0x06, efi: 0x89, in_errortab: false },
    Posix { code: 0x36, name: "ENOSTR", text: "Not a STREAM", bios: 0x01, efi: 0x98, in_errortab: false },
    Posix { code: 0x37, name: "ENOSYS", text: "Function not implemented", bios: 0x03, efi: 0x83, in_errortab: false },
    Posix { code: 0x38, name: "ENOTCONN", text: "The socket is not connected", bios: 0x01, efi: 0x93, in_errortab: true },
    Posix { code: 0x39, name: "ENOTDIR", text: "Not a directory", bios: 0x01, efi: 0x8a, in_errortab: false },
    Posix { code: 0x3a, name: "ENOTEMPTY", text: "Directory not empty", bios: 0x01, efi: 0x8a, in_errortab: false },
    Posix { code: 0x3b, name: "ENOTSOCK", text: "Not a socket", bios: 0x01, efi: 0x82, in_errortab: false },
    Posix { code: 0x3c, name: "ENOTSUP", text: "Operation not supported", bios: 0x03, efi: 0x83, in_errortab: true },
    Posix { code: 0x3d, name: "ENOTTY", text: "Inappropriate I/O control operation", bios: 0x01, efi: 0x83, in_errortab: false },
    Posix { code: 0x3e, name: "ENXIO", text: "No such device or address", bios: 0x3b, efi: 0x8e, in_errortab: false },
    Posix { code: 0x3f, name: "EOPNOTSUPP", text: "Operation not supported on socket", bios: 0x03, efi: 0x83, in_errortab: false },
    Posix { code: 0x40, name: "EOVERFLOW", text: "Value too large to be stored in data type", bios: 0x01, efi: 0x85, in_errortab: false },
    Posix { code: 0x41, name: "EPERM", text: "Operation not permitted", bios: 0x3c, efi: 0x8f, in_errortab: true },
    Posix { code: 0x42, name: "EPIPE", text: "Broken pipe", bios: 0x01, efi: 0x95, in_errortab: false },
    Posix { code: 0x43, name: "EPROTO", text: "Protocol error", bios: 0x01, efi: 0x98, in_errortab: false },
    Posix { code: 0x44, name: "EPROTONOSUPPORT", text: "Protocol not supported", bios: 0x03, efi: 0x83, in_errortab: false },
    Posix { code: 0x45, name: "EPROTOTYPE", text: "Protocol wrong type for socket", bios: 0x01, efi: 0x82, in_errortab: false },
    Posix { code: 0x46, name: "ERANGE", text: "Result too large", bios: 0x01, efi: 0x85, in_errortab: true },
    Posix { code: 0x47, name: "EROFS", text: "Read-only file system", bios: 0x01, efi: 0x88, in_errortab: false },
    Posix { code: 0x48, name: "ESPIPE", text: "Invalid seek", bios: 0x01, efi: 0x9f, in_errortab: false },
    Posix { code: 0x49, name: "ESRCH", text: "No such process", bios: 0x3b, efi: 0x93, in_errortab: false },
    Posix { code: 0x4a, name: "ESTALE", text: "Stale file handle", bios: 0x01, efi: 0x98, in_errortab: false },
    Posix { code: 0x4b, name: "ETIME", text: "Timer expired", bios: 0x01, efi: 0x92, in_errortab: false },
    Posix { code: 0x4c, name: "ETIMEDOUT", text: "Connection timed out", bios: 0x35, efi: 0x92, in_errortab: true },
    Posix { code: 0x4d, name: "ETXTBSY", text: "Text file busy", bios: 0x01, efi: 0x8d, in_errortab: false },
    Posix { code: 0x4e, name: "EWOULDBLOCK", text: "Operation would block", bios: 0x1b, efi: 0x86, in_errortab: false },
    Posix { code: 0x4f, name: "EXDEV", text: "Improper link", bios: 0x01, efi: 0x8a, in_errortab: false },
    Posix { code: 0x7f, name: "EPLATFORM", text: "Platform-generated error", bios: NO_PLATFORM, efi: NO_PLATFORM, in_errortab: false },
];

/// ERRFILE value (bits 23-13) -> (ERRFILE_ name, source path under src/). Generated from
/// errfile.h plus the x86 arch list; riscv/s390x reuse some arch values for other files. Paths
/// marked "(removed)" are where the file lived before iPXE dropped it.
#[rustfmt::skip]
const ERRFILES: &[(u32, &str, Option<&str>)] = &[
    (0x00002000, "asprintf", Some("core/asprintf.c")),
    (0x00004000, "eisa", Some("drivers/bus/eisa.c")),
    (0x00006000, "aoe", Some("net/aoe.c")),
    (0x00008000, "image", Some("core/image.c")),
    (0x0000e000, "asn1", Some("crypto/asn1.c")),
    (0x00012000, "downloader", Some("core/downloader.c")),
    (0x00014000, "isa", Some("drivers/bus/isa.c")),
    (0x00016000, "arp", Some("net/arp.c")),
    (0x00018000, "elf", Some("image/elf.c")),
    (0x0001e000, "chap", Some("crypto/chap.c")),
    (0x00022000, "exec", Some("core/exec.c")),
    (0x00024000, "isapnp", Some("drivers/bus/isapnp.c")),
    (0x00026000, "dhcpopts", Some("net/dhcpopts.c")),
    (0x00028000, "script", Some("image/script.c")),
    (0x0002e000, "aoeboot", Some("tests/aoeboot.c (removed)")),
    (0x00032000, "blob", Some("core/blob.c")),
    (0x00034000, "mca", Some("drivers/bus/mca.c")),
    (0x00036000, "ethernet", Some("net/ethernet.c")),
    (0x00038000, "segment", Some("image/segment.c")),
    (0x0003e000, "autoboot", Some("usr/autoboot.c")),
    (0x00042000, "iobuf", Some("core/iobuf.c")),
    (0x00044000, "pci", Some("drivers/bus/pci.c")),
    (0x00046000, "icmpv6", Some("net/icmpv6.c")),
    (0x00048000, "efi_image", Some("image/efi_image.c")),
    (0x0004e000, "dhcpmgmt", Some("usr/dhcpmgmt.c")),
    (0x00052000, "job", Some("core/job.c")),
    (0x00054000, "linux", Some("drivers/linux/linux.c")),
    (0x00056000, "ipv4", Some("net/ipv4.c")),
    (0x00058000, "embedded", Some("image/embedded.c")),
    (0x0005e000, "imgmgmt", Some("usr/imgmgmt.c")),
    (0x00062000, "linebuf", Some("core/linebuf.c")),
    (0x00064000, "pcivpd", Some("drivers/bus/pcivpd.c")),
    (0x00066000, "ipv6", Some("net/ipv6.c")),
    (0x00068000, "pnm", Some("image/pnm.c")),
    (0x0006e000, "pxe_tftp", Some("arch/x86/interface/pxe/pxe_tftp.c")),
    (0x00072000, "monojob", Some("core/monojob.c")),
    (0x00074000, "usb", Some("drivers/bus/usb.c")),
    (0x00076000, "ndp", Some("net/ndp.c")),
    (0x00078000, "png", Some("image/png.c")),
    (0x0007e000, "pxe_udp", Some("arch/x86/interface/pxe/pxe_udp.c")),
    (0x00082000, "nvo", Some("core/nvo.c")),
    (0x00084000, "usbhub", Some("drivers/usb/usbhub.c")),
    (0x00086000, "netdevice", Some("net/netdevice.c")),
    (0x00088000, "der", Some("image/der.c")),
    (0x0008e000, "aes", Some("crypto/aes.c")),
    (0x00092000, "open", Some("core/open.c")),
    (0x00094000, "xhci", Some("drivers/usb/xhci.c")),
    (0x00096000, "nullnet", Some("net/nullnet.c")),
    (0x00098000, "pem", Some("image/pem.c")),
    (0x0009e000, "cipher", Some("crypto/cipher.c (removed)")),
    (0x000a2000, "posix_io", Some("core/posix_io.c")),
    (0x000a4000, "ehci", Some("drivers/usb/ehci.c")),
    (0x000a6000, "tcp", Some("net/tcp.c")),
    (0x000a8000, "archive", Some("core/archive.c")),
    (0x000ae000, "image_cmd", Some("hci/commands/image_cmd.c")),
    (0x000b2000, "resolv", Some("core/resolv.c")),
    (0x000b4000, "uhci", Some("drivers/usb/uhci.c")),
    (0x000b6000, "ftp", Some("net/tcp/ftp.c")),
    (0x000b8000, "zlib", Some("image/zlib.c")),
    (0x000be000, "uri_test", Some("tests/uri_test.c")),
    (0x000c2000, "settings", Some("core/settings.c")),
    (0x000c4000, "usbhid", Some("drivers/usb/usbhid.c")),
    (0x000c6000, "httpcore", Some("net/tcp/httpcore.c")),
    (0x000c8000, "gzip", Some("image/gzip.c")),
    (0x000ce000, "ibft", Some("drivers/block/ibft.c")),
    (0x000d2000, "vsprintf", Some("core/vsprintf.c")),
    (0x000d4000, "usbkbd", Some("drivers/usb/usbkbd.c")),
    (0x000d6000, "iscsi", Some("net/tcp/iscsi.c")),
    (0x000d8000, "efi_siglist", Some("image/efi_siglist.c")),
    (0x000de000, "tls", Some("net/tls.c")),
    (0x000e2000, "xfer", Some("core/xfer.c")),
    (0x000e4000, "usbio", Some("drivers/usb/usbio.c")),
    (0x000e6000, "tcpip", Some("net/tcpip.c")),
    (0x000e8000, "lkrn", Some("image/lkrn.c")),
    (0x000ee000, "ifmgmt", Some("usr/ifmgmt.c")),
    (0x000f2000, "bitmap", Some("core/bitmap.c")),
    (0x000f6000, "udp", Some("net/udp.c")),
    (0x000f8000, "initrd", Some("image/initrd.c")),
    (0x000fe000, "iscsiboot", Some("arch/i386/interface/pcbios/iscsiboot.c (removed)")),
    (0x00102000, "base64", Some("core/base64.c")),
    (0x00104000, "nvs", Some("drivers/nvs/nvs.c")),
    (0x00106000, "dhcp", Some("net/udp/dhcp.c")),
    (0x00108000, "mime", Some("image/mime.c")),
    (0x0010e000, "efi_pci", Some("interface/efi/efi_pci.c")),
    (0x00112000, "base16", Some("core/base16.c")),
    (0x00114000, "spi", Some("drivers/nvs/spi.c")),
    (0x00116000, "dns", Some("net/udp/dns.c")),
    (0x0011e000, "efi_snp", Some("interface/efi/efi_snp.c")),
    (0x00122000, "blockdev", Some("core/blockdev.c")),
    (0x00124000, "i2c_bit", Some("drivers/bitbash/i2c_bit.c")),
    (0x00126000, "tftp", Some("net/udp/tftp.c")),
    (0x0012e000, "smbios", Some("interface/smbios/smbios.c")),
    (0x00132000, "acpi", Some("core/acpi.c")),
    (0x00134000, "spi_bit", Some("drivers/bitbash/spi_bit.c")),
    (0x00136000, "infiniband", Some("net/infiniband.c")),
    (0x0013e000, "smbios_settings", Some("interface/smbios/smbios_settings.c")),
    (0x00142000, "null_sanboot", Some("core/null_sanboot.c")),
    (0x00144000, "nvsvpd", Some("drivers/nvs/nvsvpd.c")),
    (0x00146000, "netdev_settings", Some("net/netdev_settings.c")),
    (0x0014e000, "efi_smbios", Some("interface/efi/efi_smbios.c")),
    (0x00152000, "edd", Some("core/edd.c")),
    (0x00154000, "uart", Some("core/uart.c")),
    (0x00156000, "dhcppkt", Some("net/dhcppkt.c")),
    (0x0015e000, "pxemenu", Some("usr/pxemenu.c")),
    (0x00162000, "parseopt", Some("core/parseopt.c")),
    (0x00164000, "ns16550", Some("drivers/uart/ns16550.c")),
    (0x00166000, "slam", Some("net/udp/slam.c")),
    (0x0016e000, "x509", Some("crypto/x509.c")),
    (0x00172000, "test", Some("tests/test.c")),
    (0x00174000, "dwuart", Some("drivers/uart/dwuart.c")),
    (0x00176000, "ib_sma", Some("net/infiniband/ib_sma.c")),
    (0x0017e000, "login_ui", Some("hci/tui/login_ui.c")),
    (0x00182000, "xferbuf", Some("core/xferbuf.c")),
    (0x00186000, "ib_packet", Some("net/infiniband/ib_packet.c")),
    (0x0018e000, "ib_srpboot", Some("arch/i386/interface/pcbios/ib_srpboot.c (removed)")),
    (0x00192000, "pending", Some("core/pending.c")),
    (0x00196000, "icmpv4", Some("net/icmpv4.c")),
    (0x0019e000, "iwmgmt", Some("usr/iwmgmt.c")),
    (0x001a2000, "null_reboot", Some("core/null_reboot.c")),
    (0x001a6000, "ib_qset", Some("net/infiniband/ib_qset.c (removed)")),
    (0x001ae000, "linux_smbios", Some("interface/linux/linux_smbios.c")),
    (0x001b2000, "pinger", Some("core/pinger.c")),
    (0x001b6000, "ib_gma", Some("net/infiniband/ib_gma.c (removed)")),
    (0x001be000, "lotest", Some("usr/lotest.c")),
    (0x001c2000, "fbcon", Some("core/fbcon.c")),
    (0x001c6000, "ib_pathrec", Some("net/infiniband/ib_pathrec.c")),
    (0x001ce000, "config_cmd", Some("hci/commands/config_cmd.c")),
    (0x001d2000, "ansicol", Some("core/ansicol.c")),
    (0x001d6000, "ib_mcast", Some("net/infiniband/ib_mcast.c")),
    (0x001de000, "ifmgmt_cmd", Some("hci/commands/ifmgmt_cmd.c")),
    (0x001e2000, "ansicoldef", Some("core/ansicoldef.c")),
    (0x001e6000, "ib_cm", Some("net/infiniband/ib_cm.c")),
    (0x001ee000, "fcmgmt_cmd", Some("hci/commands/fcmgmt_cmd.c")),
    (0x001f2000, "fault", Some("core/fault.c")),
    (0x001f6000, "net80211", Some("net/80211/net80211.c")),
    (0x001fe000, "gdbstub_cmd", Some("hci/commands/gdbstub_cmd.c")),
    (0x00202000, "blocktrans", Some("core/blocktrans.c")),
    (0x00204000, "3c509", Some("drivers/net/3c509.c")),
    (0x00206000, "ib_mi", Some("net/infiniband/ib_mi.c")),
    (0x0020e000, "sanboot_cmd", Some("hci/commands/sanboot_cmd.c")),
    (0x00212000, "pixbuf", Some("core/pixbuf.c")),
    (0x00214000, "bnx2", Some("drivers/net/bnx2.c")),
    (0x00216000, "ib_cmrc", Some("net/infiniband/ib_cmrc.c")),
    (0x0021e000, "bofm", Some("interface/bofm/bofm.c")),
    (0x00222000, "efi_block", Some("interface/efi/efi_block.c")),
    (0x00224000, "cs89x0", Some("drivers/net/cs89x0.c")),
    (0x00226000, "ib_srp", Some("net/infiniband/ib_srp.c")),
    (0x0022e000, "prompt", Some("usr/prompt.c")),
    (0x00232000, "sanboot", Some("core/sanboot.c")),
    (0x00234000, "eepro", Some("drivers/net/eepro.c")),
    (0x00236000, "sec80211", Some("net/80211/sec80211.c")),
    (0x0023e000, "nvo_cmd", Some("hci/commands/nvo_cmd.c")),
    (0x00242000, "dummy_sanboot", Some("core/dummy_sanboot.c")),
    (0x00244000, "etherfabric", Some("drivers/net/etherfabric.c")),
    (0x00246000, "wep", Some("net/80211/wep.c")),
    (0x0024e000, "hmac_drbg", Some("crypto/hmac_drbg.c")),
    (0x00252000, "fdt", Some("core/fdt.c")),
    (0x00254000, "legacy", Some("drivers/net/legacy.c")),
    (0x00256000, "eapol", Some("net/eapol.c")),
    (0x0025e000, "drbg", Some("crypto/drbg.c")),
    (0x00262000, "dma", Some("core/dma.c")),
    (0x00264000, "natsemi", Some("drivers/net/natsemi.c")),
    (0x00266000, "wpa", Some("net/80211/wpa.c")),
    (0x0026e000, "entropy", Some("crypto/entropy.c")),
    (0x00272000, "cachedhcp", Some("core/cachedhcp.c")),
    (0x00274000, "pnic", Some("drivers/net/pnic.c")),
    (0x00276000, "wpa_psk", Some("net/80211/wpa_psk.c")),
    (0x0027e000, "rsa", Some("crypto/rsa.c")),
    (0x00282000, "acpimac", Some("core/acpimac.c")),
    (0x00284000, "prism2_pci", Some("drivers/net/prism2_pci.c")),
    (0x00286000, "wpa_tkip", Some("net/80211/wpa_tkip.c")),
    (0x0028e000, "linux_entropy", Some("interface/linux/linux_entropy.c")),
    (0x00292000, "efi_strings", Some("interface/efi/efi_strings.c")),
    (0x00294000, "prism2_plx", Some("drivers/net/prism2_plx.c")),
    (0x00296000, "wpa_ccmp", Some("net/80211/wpa_ccmp.c")),
    (0x0029e000, "x509_test", Some("tests/x509_test.c")),
    (0x002a2000, "uuid", Some("core/uuid.c")),
    (0x002a4000, "rtl8139", Some("drivers/net/rtl8139.c (removed)")),
    (0x002a6000, "eth_slow", Some("net/eth_slow.c")),
    (0x002ae000, "cms", Some("crypto/cms.c")),
    (0x002b2000, "efi_path", Some("interface/efi/efi_path.c")),
    (0x002b4000, "smc9000", Some("drivers/net/smc9000.c")),
    (0x002b6000, "fc", Some("net/fc.c")),
    (0x002be000, "imgtrust", Some("usr/imgtrust.c")),
    (0x002c2000, "efi_mp", Some("interface/efi/efi_mp.c")),
    (0x002c4000, "tg3", Some("drivers/net/tg3/ (also drivers/net/bnxt/)")),
    (0x002c6000, "fcels", Some("net/fcels.c")),
    (0x002ce000, "menu_ui", Some("hci/tui/menu_ui.c")),
    (0x002d2000, "efi_service", Some("interface/efi/efi_service.c")),
    (0x002d4000, "3c509_eisa", Some("drivers/net/3c509-eisa.c")),
    (0x002d6000, "fcp", Some("net/fcp.c")),
    (0x002de000, "dynui_cmd", Some("hci/commands/dynui_cmd.c")),
    (0x002e2000, "null_smbios", Some("core/null_smbios.c")),
    (0x002e4000, "3c515", Some("drivers/net/3c515.c")),
    (0x002e6000, "fcoe", Some("net/fcoe.c")),
    (0x002ee000, "validator", Some("net/validator.c")),
    (0x002f2000, "efi_open", Some("interface/efi/efi_open.c")),
    (0x002f4000, "3c529", Some("drivers/net/3c529.c")),
    (0x002f6000, "fcns", Some("net/fcns.c")),
    (0x002fe000, "ocsp", Some("crypto/ocsp.c")),
    (0x00302000, "efi_table", Some("interface/efi/efi_table.c")),
    (0x00304000, "3c595", Some("drivers/net/3c595.c")),
    (0x00306000, "vlan", Some("net/vlan.c")),
    (0x0030e000, "nslookup", Some("usr/nslookup.c")),
    (0x00312000, "efi_connect", Some("interface/efi/efi_connect.c")),
    (0x00314000, "3c5x9", Some("drivers/net/3c5x9.c")),
    (0x00316000, "oncrpc", Some("net/tcp/oncrpc.c")),
    (0x0031e000, "efi_snp_hii", Some("interface/efi/efi_snp_hii.c")),
    (0x00322000, "gpio", Some("core/gpio.c")),
    (0x00324000, "3c90x", Some("drivers/net/3c90x.c")),
    (0x00326000, "portmap", Some("net/oncrpc/portmap.c")),
    (0x0032e000, "readline", Some("hci/readline.c")),
    (0x00332000, "spcr", Some("core/spcr.c")),
    (0x00334000, "amd8111e", Some("drivers/net/amd8111e.c")),
    (0x00336000, "nfs", Some("net/oncrpc/nfs.c")),
    (0x0033e000, "efi_bofm", Some("interface/efi/efi_bofm.c")),
    (0x00342000, "disklog", Some("core/disklog.c")),
    (0x00344000, "davicom", Some("drivers/net/davicom.c")),
    (0x00346000, "nfs_open", Some("net/oncrpc/nfs_open.c")),
    (0x0034e000, "efi_console", Some("interface/efi/efi_console.c")),
    (0x00352000, "efi_disklog", Some("interface/efi/efi_disklog.c")),
    (0x00354000, "depca", Some("drivers/net/depca.c")),
    (0x00356000, "mount", Some("net/oncrpc/mount.c")),
    (0x0035e000, "efi_debug", Some("interface/efi/efi_debug.c")),
    (0x00362000, "datauri", Some("core/datauri.c")),
    (0x00364000, "dmfe", Some("drivers/net/dmfe.c")),
    (0x00366000, "oncrpc_iob", Some("net/oncrpc/oncrpc_iob.c")),
    (0x0036e000, "efi_download", Some("interface/efi/efi_download.c")),
    (0x00372000, "dmesg", Some("core/dmesg.c")),
    (0x00376000, "neighbour", Some("net/neighbour.c")),
    (0x0037e000, "efi_driver", Some("interface/efi/efi_driver.c")),
    (0x00384000, "eepro100", Some("drivers/net/eepro100.c")),
    (0x00386000, "socket", Some("net/socket.c")),
    (0x0038e000, "efi_file", Some("interface/efi/efi_file.c")),
    (0x00394000, "epic100", Some("drivers/net/epic100.c")),
    (0x00396000, "icmp", Some("net/icmp.c")),
    (0x0039e000, "efi_init", Some("interface/efi/efi_init.c")),
    (0x003a4000, "forcedeth", Some("drivers/net/forcedeth.c")),
    (0x003a6000, "ping", Some("net/ping.c")),
    (0x003ae000, "efi_timer", Some("interface/efi/efi_timer.c")),
    (0x003b4000, "mtd80x", Some("drivers/net/mtd80x.c (removed)")),
    (0x003b6000, "dhcpv6", Some("net/udp/dhcpv6.c")),
    (0x003be000, "efi_umalloc", Some("interface/efi/efi_umalloc.c")),
    (0x003c4000, "ns83820", Some("drivers/net/ns83820.c (removed)")),
    (0x003c6000, "nfs_uri", Some("net/oncrpc/nfs_uri.c")),
    (0x003ce000, "linux_pci", Some("interface/linux/linux_pci.c")),
    (0x003d4000, "ns8390", Some("drivers/net/ns8390.c")),
    (0x003d6000, "rndis", Some("net/rndis.c")),
    (0x003de000, "pci_settings", Some("drivers/bus/pci_settings.c")),
    (0x003e4000, "pcnet32", Some("drivers/net/pcnet32.c")),
    (0x003e6000, "pccrc", Some("net/pccrc.c")),
    (0x003ee000, "efi_reboot", Some("interface/efi/efi_reboot.c")),
    (0x003f4000, "r8169", Some("drivers/net/r8169.c (removed)")),
    (0x003f6000, "stp", Some("net/stp.c")),
    (0x003fe000, "memmap_settings", Some("core/memmap_settings.c")),
    (0x00404000, "sis900", Some("drivers/net/sis900.c")),
    (0x00406000, "pccrd", Some("net/pccrd.c")),
    (0x0040e000, "param_cmd", Some("hci/commands/param_cmd.c")),
    (0x00414000, "sundance", Some("drivers/net/sundance.c")),
    (0x00416000, "httpconn", Some("net/tcp/httpconn.c")),
    (0x0041e000, "deflate", Some("crypto/deflate.c")),
    (0x00424000, "tlan", Some("drivers/net/tlan.c")),
    (0x00426000, "httpauth", Some("net/tcp/httpauth.c")),
    (0x0042e000, "xenstore", Some("interface/xen/xenstore.c")),
    (0x00434000, "tulip", Some("drivers/net/tulip.c")),
    (0x00436000, "httpbasic", Some("net/tcp/httpbasic.c")),
    (0x0043e000, "xenbus", Some("interface/xen/xenbus.c")),
    (0x00444000, "rhine", Some("drivers/net/rhine.c")),
    (0x00446000, "httpdigest", Some("net/tcp/httpdigest.c")),
    (0x0044e000, "xengrant", Some("interface/xen/xengrant.c")),
    (0x00454000, "velocity", Some("drivers/net/velocity.c")),
    (0x00456000, "peerdisc", Some("net/peerdisc.c")),
    (0x0045e000, "efi_utils", Some("interface/efi/efi_utils.c")),
    (0x00464000, "w89c840", Some("drivers/net/w89c840.c")),
    (0x00466000, "peerblk", Some("net/peerblk.c")),
    (0x0046e000, "efi_wrap", Some("interface/efi/efi_wrap.c")),
    (0x00474000, "ipoib", Some("drivers/net/ipoib.c")),
    (0x00476000, "peermux", Some("net/peermux.c")),
    (0x0047e000, "vmbus", Some("interface/hyperv/vmbus.c")),
    (0x00484000, "e1000_main", Some("drivers/net/e1000/e1000_main.c (removed)")),
    (0x00486000, "xsigo", Some("net/infiniband/xsigo.c")),
    (0x0048e000, "efi_time", Some("interface/efi/efi_time.c")),
    (0x00494000, "e1000e_main", Some("drivers/net/e1000e/e1000e_main.c (removed)")),
    (0x00496000, "ntp", Some("net/udp/ntp.c")),
    (0x0049e000, "efi_watchdog", Some("interface/efi/efi_watchdog.c")),
    (0x004a4000, "mtnic", Some("drivers/net/mtnic.c (removed)")),
    (0x004a6000, "httpntlm", Some("net/tcp/httpntlm.c")),
    (0x004ae000, "efi_pxe", Some("interface/efi/efi_pxe.c")),
    (0x004b4000, "phantom", Some("drivers/net/phantom/phantom.c")),
    (0x004b6000, "eap", Some("net/eap.c")),
    (0x004be000, "efi_usb", Some("interface/efi/efi_usb.c")),
    (0x004c4000, "ne2k_isa", Some("drivers/net/ne2k_isa.c")),
    (0x004c6000, "lldp", Some("net/lldp.c")),
    (0x004ce000, "efi_fbcon", Some("interface/efi/efi_fbcon.c")),
    (0x004d4000, "b44", Some("drivers/net/b44.c")),
    (0x004d6000, "eap_md5", Some("net/eap_md5.c")),
    (0x004de000, "efi_local", Some("interface/efi/efi_local.c")),
    (0x004e4000, "rtl818x", Some("drivers/net/rtl818x/rtl818x.c")),
    (0x004e6000, "eap_mschapv2", Some("net/eap_mschapv2.c")),
    (0x004ee000, "efi_entropy", Some("interface/efi/efi_entropy.c")),
    (0x004f4000, "sky2", Some("drivers/net/sky2.c")),
    (0x004f6000, "syslogs", Some("net/tcp/syslogs.c")),
    (0x004fe000, "cert_cmd", Some("hci/commands/cert_cmd.c")),
    (0x00504000, "ath5k", Some("drivers/net/ath/ath5k/")),
    (0x0050e000, "acpi_settings", Some("core/acpi_settings.c")),
    (0x00514000, "atl1e", Some("drivers/net/atl1e.c")),
    (0x0051e000, "ntlm", Some("crypto/ntlm.c")),
    (0x00524000, "sis190", Some("drivers/net/sis190.c")),
    (0x0052e000, "efi_veto", Some("interface/efi/efi_veto.c")),
    (0x00534000, "myri10ge", Some("drivers/net/myri10ge.c")),
    (0x0053e000, "efi_autoboot", Some("interface/efi/efi_autoboot.c")),
    (0x00544000, "skge", Some("drivers/net/skge.c")),
    (0x0054e000, "efi_autoexec", Some("interface/efi/efi_autoexec.c")),
    (0x00554000, "vxge_main", Some("drivers/net/vxge/vxge_main.c")),
    (0x0055e000, "efi_cachedhcp", Some("interface/efi/efi_cachedhcp.c")),
    (0x00564000, "vxge_config", Some("drivers/net/vxge/vxge_config.c")),
    (0x0056e000, "linux_sysfs", Some("interface/linux/linux_sysfs.c")),
    (0x00574000, "vxge_traffic", Some("drivers/net/vxge/vxge_traffic.c")),
    (0x0057e000, "linux_acpi", Some("interface/linux/linux_acpi.c")),
    (0x00584000, "igb_main", Some("drivers/net/igb/igb_main.c (removed)")),
    (0x0058e000, "dynkeymap", Some("core/dynkeymap.c")),
    (0x00594000, "snpnet", Some("drivers/net/efi/snpnet.c")),
    (0x0059e000, "pci_cmd", Some("hci/commands/pci_cmd.c")),
    (0x005a4000, "snponly", Some("drivers/net/efi/snponly.c")),
    (0x005ae000, "dhe", Some("crypto/dhe.c (removed)")),
    (0x005b4000, "jme", Some("drivers/net/jme.c")),
    (0x005be000, "efi_cmdline", Some("interface/efi/efi_cmdline.c")),
    (0x005c4000, "virtio_net", Some("drivers/net/virtio-net.c")),
    (0x005ce000, "efi_rng", Some("interface/efi/efi_rng.c")),
    (0x005d4000, "tap", Some("drivers/net/linux/tap.c")),
    (0x005de000, "efi_shim", Some("interface/efi/efi_shim.c")),
    (0x005e4000, "igbvf_main", Some("drivers/net/igbvf/igbvf_main.c")),
    (0x005ee000, "efi_settings", Some("interface/efi/efi_settings.c")),
    (0x005f4000, "ath9k", Some("drivers/net/ath/ath9k/")),
    (0x005fe000, "x25519", Some("crypto/x25519.c")),
    (0x00604000, "ath", None),
    (0x0060e000, "des", Some("crypto/des.c")),
    (0x00614000, "vmxnet3", Some("drivers/net/vmxnet3.c")),
    (0x0061e000, "editstring", Some("hci/editstring.c")),
    (0x00624000, "mii", Some("drivers/net/mii.c")),
    (0x0062e000, "widget_ui", Some("hci/tui/widget_ui.c (removed)")),
    (0x00634000, "realtek", Some("drivers/net/realtek.c")),
    (0x0063e000, "form_ui", Some("hci/tui/form_ui.c")),
    (0x00644000, "skeleton", Some("drivers/net/skeleton.c")),
    (0x0064e000, "usb_cmd", Some("hci/commands/usb_cmd.c")),
    (0x00654000, "intel", Some("drivers/net/intel.c")),
    (0x0065e000, "usb_settings", Some("drivers/bus/usb_settings.c")),
    (0x00664000, "myson", Some("drivers/net/myson.c")),
    (0x0066e000, "weierstrass", Some("crypto/weierstrass.c")),
    (0x00674000, "intelx", Some("drivers/net/intelx.c")),
    (0x0067e000, "efi_cacert", Some("interface/efi/efi_cacert.c")),
    (0x00684000, "snp", Some("drivers/net/efi/snp.c")),
    (0x0068e000, "elliptic", Some("crypto/elliptic.c")),
    (0x00694000, "netfront", Some("drivers/net/netfront.c")),
    (0x0069e000, "ecdsa", Some("crypto/ecdsa.c")),
    (0x006a4000, "nii", Some("drivers/net/efi/nii.c")),
    (0x006ae000, "crypto_null", Some("crypto/crypto_null.c")),
    (0x006b4000, "netvsc", Some("drivers/net/netvsc.c")),
    (0x006be000, "ffdhe", Some("crypto/ffdhe.c")),
    (0x006c4000, "ecm", Some("drivers/net/ecm.c")),
    (0x006ce000, "cbc", Some("crypto/cbc.c")),
    (0x006d4000, "ncm", Some("drivers/net/ncm.c")),
    (0x006e4000, "usbnet", Some("drivers/usb/usbnet.c")),
    (0x006f4000, "dm96xx", Some("drivers/net/dm96xx.c")),
    (0x00704000, "scsi", Some("drivers/block/scsi.c")),
    (0x00714000, "arbel", Some("drivers/infiniband/arbel.c")),
    (0x00724000, "hermon", Some("drivers/infiniband/hermon.c")),
    (0x00734000, "linda", Some("drivers/infiniband/linda.c")),
    (0x00744000, "ata", Some("drivers/block/ata.c")),
    (0x00754000, "srp", Some("drivers/block/srp.c")),
    (0x00764000, "qib7322", Some("drivers/infiniband/qib7322.c")),
    (0x00774000, "smsc75xx", Some("drivers/net/smsc75xx.c")),
    (0x00784000, "intelvf", Some("drivers/net/intelvf.c")),
    (0x00794000, "intelxvf", Some("drivers/net/intelxvf.c")),
    (0x007a4000, "smsc95xx", Some("drivers/net/smsc95xx.c")),
    (0x007b4000, "acm", Some("drivers/net/acm.c")),
    (0x007c4000, "eoib", Some("drivers/net/eoib.c")),
    (0x007d4000, "golan", Some("drivers/infiniband/golan.c")),
    (0x007e4000, "flexboot_nodnic", Some("drivers/infiniband/flexboot_nodnic.c")),
    (0x007f4000, "virtio", Some("drivers/bus/virtio.c")),
    (0x00804000, "timer_rdtsc", Some("arch/i386/drivers/timer_rdtsc.c (removed)")),
    (0x00806000, "undi", Some("arch/x86/drivers/net/undi.c")),
    (0x00808000, "bootsector", Some("arch/x86/image/bootsector.c")),
    (0x0080e000, "cpuid_cmd", Some("arch/x86/hci/commands/cpuid_cmd.c")),
    (0x00812000, "int15", Some("arch/x86/interface/pcbios/int15.c")),
    (0x00814000, "timer_bios", Some("arch/i386/drivers/timer_bios.c (removed)")),
    (0x00816000, "undiload", Some("arch/x86/drivers/net/undiload.c")),
    (0x00818000, "bzimage", Some("arch/x86/image/bzimage.c")),
    (0x0081e000, "cpuid_settings", Some("arch/x86/core/cpuid_settings.c")),
    (0x00822000, "pnpbios", Some("arch/x86/interface/pcbios/pnpbios.c")),
    (0x00824000, "hvm", Some("arch/x86/drivers/xen/hvm.c")),
    (0x00826000, "undinet", Some("arch/x86/drivers/net/undinet.c")),
    (0x00828000, "eltorito", Some("arch/i386/image/eltorito.c (removed)")),
    (0x00832000, "bios_smbios", Some("arch/x86/interface/pcbios/bios_smbios.c")),
    (0x00834000, "hyperv", Some("arch/x86/drivers/hyperv/hyperv.c")),
    (0x00836000, "undionly", Some("arch/x86/drivers/net/undionly.c")),
    (0x00838000, "multiboot", Some("arch/x86/image/multiboot.c")),
    (0x00842000, "biosint", Some("arch/x86/interface/pcbios/biosint.c")),
    (0x00844000, "x86_uart", Some("arch/x86/core/x86_uart.c")),
    (0x00846000, "undirom", Some("arch/x86/drivers/net/undirom.c")),
    (0x00848000, "nbi", Some("arch/x86/image/nbi.c")),
    (0x00852000, "int13", Some("arch/x86/interface/pcbios/int13.c")),
    (0x00858000, "pxe_image", Some("arch/x86/image/pxe_image.c")),
    (0x00862000, "pxeparent", Some("arch/x86/interface/pxeparent/pxeparent.c (removed)")),
    (0x00868000, "elfboot", Some("arch/x86/image/elfboot.c")),
    (0x00872000, "runtime", Some("arch/x86/core/runtime.c")),
    (0x00878000, "comboot", Some("arch/x86/image/comboot.c")),
    (0x00882000, "vmware", Some("arch/x86/interface/vmware/vmware.c")),
    (0x00888000, "com32", Some("arch/x86/image/com32.c")),
    (0x00892000, "guestrpc", Some("arch/x86/interface/vmware/guestrpc.c")),
    (0x00898000, "comboot_resolv", Some("arch/x86/interface/syslinux/comboot_resolv.c")),
    (0x008a2000, "guestinfo", Some("arch/x86/interface/vmware/guestinfo.c")),
    (0x008a8000, "comboot_call", Some("arch/x86/interface/syslinux/comboot_call.c")),
    (0x008b2000, "apm", Some("arch/x86/interface/pcbios/apm.c")),
    (0x008b8000, "sdi", Some("arch/x86/image/sdi.c")),
    (0x008c2000, "vesafb", Some("arch/x86/interface/pcbios/vesafb.c")),
    (0x008d2000, "int13con", Some("arch/x86/interface/pcbios/int13con.c")),
    (0x008d8000, "pxe_call", Some("arch/x86/interface/pxe/pxe_call.c")),
    (0x008e2000, "gdbmach", Some("arch/x86/core/gdbmach.c")),
    (0x008e8000, "ucode", Some("arch/x86/image/ucode.c")),
    (0x008f2000, "rtc_entropy", Some("arch/x86/interface/pcbios/rtc_entropy.c")),
    (0x00902000, "acpipwr", Some("arch/x86/interface/pcbios/acpipwr.c")),
    (0x00912000, "cpuid", Some("arch/x86/core/cpuid.c")),
    (0x00922000, "rdtsc_timer", Some("arch/x86/core/rdtsc_timer.c")),
    (0x00932000, "acpi_timer", Some("arch/x86/interface/pcbios/acpi_timer.c")),
    (0x00942000, "rdrand", Some("arch/x86/core/rdrand.c")),
    (0x00c04000, "pciea", Some("drivers/bus/pciea.c")),
    (0x00c14000, "axge", Some("drivers/net/axge.c")),
    (0x00c24000, "thunderx", Some("drivers/net/thunderx.c")),
    (0x00c34000, "af_packet", Some("drivers/net/linux/af_packet.c")),
    (0x00c44000, "sfc_hunt", Some("drivers/net/sfc/sfc_hunt.c")),
    (0x00c54000, "efx_hunt", Some("drivers/net/sfc/efx_hunt.c")),
    (0x00c64000, "exanic", Some("drivers/net/exanic.c")),
    (0x00c74000, "smscusb", Some("drivers/net/smscusb.c")),
    (0x00c84000, "lan78xx", Some("drivers/net/lan78xx.c")),
    (0x00c94000, "ena", Some("drivers/net/ena.c")),
    (0x00ca4000, "icplus", Some("drivers/net/icplus.c")),
    (0x00cb4000, "intelxl", Some("drivers/net/intelxl.c")),
    (0x00cc4000, "pcimsix", Some("drivers/bus/pcimsix.c")),
    (0x00cd4000, "intelxlvf", Some("drivers/net/intelxlvf.c")),
    (0x00ce4000, "usbblk", Some("drivers/usb/usbblk.c")),
    (0x00cf4000, "iphone", Some("drivers/net/iphone.c")),
    (0x00d04000, "slirp", Some("drivers/net/linux/slirp.c")),
    (0x00d14000, "rdc", Some("drivers/net/rdc.c")),
    (0x00d24000, "ice", Some("drivers/net/ice.c")),
    (0x00d34000, "ecam", Some("drivers/bus/ecam.c")),
    (0x00d44000, "pcibridge", Some("drivers/bus/pcibridge.c")),
    (0x00d54000, "mnpnet", Some("drivers/net/efi/mnpnet.c")),
    (0x00d64000, "gve", Some("drivers/net/gve.c")),
    (0x00d74000, "aqc1xx", Some("drivers/net/marvell/aqc1xx.c")),
    (0x00d84000, "atl_hw", Some("drivers/net/marvell/atl_hw.c")),
    (0x00d94000, "atl2_hw", Some("drivers/net/marvell/atl2_hw.c")),
    (0x00da4000, "devtree", Some("drivers/bus/devtree.c")),
    (0x00db4000, "cgem", Some("drivers/net/cgem.c")),
    (0x00dc4000, "dwmac", Some("drivers/net/dwmac.c")),
    (0x00dd4000, "dwusb", Some("drivers/usb/dwusb.c")),
    (0x00de4000, "dwgpio", Some("drivers/gpio/dwgpio.c")),
];

struct Detail {
    file: u32,
    posix: u8,
    uniq: u8,
    text: &'static str,
    /// Registered with __errortab, so strerror prints this text for the exact code.
    errortab: bool,
}

/// Per-file disambiguated errors (`__einfo_uniqify`) of the files PXE users meet.
#[rustfmt::skip]
const DETAILS: &[Detail] = &[
    Detail { file: 0x00008000, posix: 0x02, uniq: 1, text: "Untrusted image", errortab: false }, // core/image.c
    Detail { file: 0x00008000, posix: 0x02, uniq: 2, text: "Trust requirement is permanent", errortab: false }, // core/image.c
    Detail { file: 0x00038000, posix: 0x46, uniq: 1, text: "Requested memory not available", errortab: true }, // image/segment.c
    Detail { file: 0x0003e000, posix: 0x2d, uniq: 1, text: "Nothing to boot", errortab: false }, // usr/autoboot.c
    Detail { file: 0x00046000, posix: 0x17, uniq: 0, text: "No route to destination", errortab: false }, // net/icmpv6.c
    Detail { file: 0x00046000, posix: 0x17, uniq: 1, text: "Communication administratively prohibited", errortab: false }, // net/icmpv6.c
    Detail { file: 0x00046000, posix: 0x17, uniq: 3, text: "Address unreachable", errortab: false }, // net/icmpv6.c
    Detail { file: 0x00046000, posix: 0x17, uniq: 4, text: "Port unreachable", errortab: false }, // net/icmpv6.c
    Detail { file: 0x00046000, posix: 0x43, uniq: 0, text: "Erroneous header field", errortab: false }, // net/icmpv6.c
    Detail { file: 0x00046000, posix: 0x43, uniq: 1, text: "Unrecognised next header type", errortab: false }, // net/icmpv6.c
    Detail { file: 0x00046000, posix: 0x43, uniq: 2, text: "Unrecognised IPv6 option", errortab: false }, // net/icmpv6.c
    Detail { file: 0x00046000, posix: 0x4c, uniq: 0, text: "Hop limit exceeded in transit", errortab: false }, // net/icmpv6.c
    Detail { file: 0x00046000, posix: 0x4c, uniq: 1, text: "Fragment reassembly time exceeded", errortab: false }, // net/icmpv6.c
    Detail { file: 0x00048000, posix: 0x7f, uniq: 1, text: "Could not load image", errortab: false }, // image/efi_image.c
    Detail { file: 0x00048000, posix: 0x7f, uniq: 2, text: "Could not start image", errortab: false }, // image/efi_image.c
    Detail { file: 0x00066000, posix: 0x1c, uniq: 1, text: "Invalid length", errortab: false }, // net/ipv6.c
    Detail { file: 0x00066000, posix: 0x3c, uniq: 1, text: "Unsupported version", errortab: false }, // net/ipv6.c
    Detail { file: 0x00066000, posix: 0x3c, uniq: 2, text: "Unsupported header type", errortab: false }, // net/ipv6.c
    Detail { file: 0x00066000, posix: 0x3c, uniq: 3, text: "Unsupported option", errortab: false }, // net/ipv6.c
    Detail { file: 0x00086000, posix: 0x1a, uniq: 1, text: "Unknown", errortab: true }, // net/netdevice.c
    Detail { file: 0x00086000, posix: 0x1a, uniq: 2, text: "Unused", errortab: true }, // net/netdevice.c
    Detail { file: 0x00086000, posix: 0x1a, uniq: 3, text: "Incomplete", errortab: true }, // net/netdevice.c
    Detail { file: 0x00086000, posix: 0x38, uniq: 1, text: "Down", errortab: true }, // net/netdevice.c
    Detail { file: 0x000c6000, posix: 0x02, uniq: 1, text: "HTTP 401 Unauthorized", errortab: false }, // net/tcp/httpcore.c
    Detail { file: 0x000c6000, posix: 0x1c, uniq: 1, text: "Invalid status line", errortab: false }, // net/tcp/httpcore.c
    Detail { file: 0x000c6000, posix: 0x1c, uniq: 2, text: "Invalid header", errortab: false }, // net/tcp/httpcore.c
    Detail { file: 0x000c6000, posix: 0x1c, uniq: 3, text: "Invalid content length", errortab: false }, // net/tcp/httpcore.c
    Detail { file: 0x000c6000, posix: 0x1c, uniq: 4, text: "Invalid chunk length", errortab: false }, // net/tcp/httpcore.c
    Detail { file: 0x000c6000, posix: 0x1d, uniq: 1, text: "Unrecognised HTTP response code", errortab: false }, // net/tcp/httpcore.c
    Detail { file: 0x000c6000, posix: 0x1d, uniq: 2, text: "Content length mismatch", errortab: false }, // net/tcp/httpcore.c
    Detail { file: 0x000c6000, posix: 0x1d, uniq: 4, text: "HTTP 4xx Client Error", errortab: true }, // net/tcp/httpcore.c
    Detail { file: 0x000c6000, posix: 0x1d, uniq: 5, text: "HTTP 5xx Server Error", errortab: true }, // net/tcp/httpcore.c
    Detail { file: 0x000c6000, posix: 0x2d, uniq: 1, text: "Not found", errortab: true }, // net/tcp/httpcore.c
    Detail { file: 0x000c6000, posix: 0x3c, uniq: 1, text: "Unsupported connection header", errortab: false }, // net/tcp/httpcore.c
    Detail { file: 0x000c6000, posix: 0x3c, uniq: 2, text: "Unsupported transfer encoding", errortab: false }, // net/tcp/httpcore.c
    Detail { file: 0x000c6000, posix: 0x41, uniq: 1, text: "HTTP 403 Forbidden", errortab: false }, // net/tcp/httpcore.c
    Detail { file: 0x000c6000, posix: 0x43, uniq: 1, text: "Unsolicited data", errortab: false }, // net/tcp/httpcore.c
    Detail { file: 0x000de000, posix: 0x1c, uniq: 1, text: "Invalid Change Cipher record", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x1c, uniq: 2, text: "Invalid Alert record", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x1c, uniq: 3, text: "Invalid Server Hello record", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x1c, uniq: 4, text: "Invalid Certificate", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x1c, uniq: 5, text: "Invalid Server Certificate record", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x1c, uniq: 6, text: "Invalid Server Hello Done record", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x1c, uniq: 7, text: "Invalid Server Finished record", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x1c, uniq: 8, text: "Invalid Handshake record", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x1c, uniq: 10, text: "Invalid initialisation vector", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x1c, uniq: 11, text: "Invalid block padding", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x1c, uniq: 12, text: "Invalid receive state", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x1c, uniq: 13, text: "Invalid MAC or authentication tag", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x1c, uniq: 14, text: "Invalid New Session Ticket record", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x1c, uniq: 15, text: "Invalid Server Key Exchange record", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x1d, uniq: 1, text: "Unknown alert level", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x2d, uniq: 1, text: "Missing server certificate", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x31, uniq: 1, text: "Not enough space for crypto context", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x31, uniq: 2, text: "Not enough space for certificate", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x31, uniq: 3, text: "Not enough space for certificate chain", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x31, uniq: 4, text: "Not enough space for transmitted plaintext", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x31, uniq: 5, text: "Not enough space for transmitted ciphertext", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x31, uniq: 7, text: "Not enough space for received data", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x31, uniq: 8, text: "Not enough space to concatenate received data", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x3c, uniq: 1, text: "Unsupported cipher", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x3c, uniq: 2, text: "Refusing to use null cipher", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x3c, uniq: 3, text: "Unsupported signature and hash algorithm", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x3c, uniq: 4, text: "Unsupported protocol version", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x3c, uniq: 5, text: "Unsupported key exchange group", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x41, uniq: 1, text: "Received fatal alert", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x41, uniq: 2, text: "Handshake verification failed", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x41, uniq: 4, text: "Secure renegotiation not supported", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x41, uniq: 5, text: "Secure renegotiation verification failed", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x41, uniq: 6, text: "ServerKeyExchange verification failed", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x41, uniq: 7, text: "Extended master secret extension mismatch", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x41, uniq: 8, text: "Bound identity not validated", errortab: false }, // net/tls.c
    Detail { file: 0x000de000, posix: 0x43, uniq: 1, text: "Illegal protocol version upgrade", errortab: false }, // net/tls.c
    Detail { file: 0x000ee000, posix: 0x04, uniq: 1, text: "No configuration methods succeeded", errortab: true }, // usr/ifmgmt.c
    Detail { file: 0x00116000, posix: 0x3e, uniq: 1, text: "DNS name does not exist", errortab: false }, // net/udp/dns.c
    Detail { file: 0x00116000, posix: 0x3e, uniq: 2, text: "No DNS servers available", errortab: false }, // net/udp/dns.c
    Detail { file: 0x00126000, posix: 0x1c, uniq: 1, text: "Invalid blksize", errortab: false }, // net/udp/tftp.c
    Detail { file: 0x00126000, posix: 0x1c, uniq: 2, text: "Invalid tsize", errortab: false }, // net/udp/tftp.c
    Detail { file: 0x00126000, posix: 0x1c, uniq: 3, text: "Missing multicast port", errortab: false }, // net/udp/tftp.c
    Detail { file: 0x00126000, posix: 0x1c, uniq: 4, text: "Missing multicast mc", errortab: false }, // net/udp/tftp.c
    Detail { file: 0x00126000, posix: 0x1c, uniq: 5, text: "Missing multicast IP", errortab: false }, // net/udp/tftp.c
    Detail { file: 0x00126000, posix: 0x1c, uniq: 6, text: "Invalid multicast IP", errortab: false }, // net/udp/tftp.c
    Detail { file: 0x00126000, posix: 0x1c, uniq: 7, text: "Invalid multicast port", errortab: false }, // net/udp/tftp.c
    Detail { file: 0x00126000, posix: 0x2d, uniq: 1, text: "Not found", errortab: true }, // net/udp/tftp.c
    Detail { file: 0x0016e000, posix: 0x02, uniq: 1, text: "Wrong issuer", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x02, uniq: 2, text: "Not a CA certificate", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x02, uniq: 3, text: "Incorrect key usage", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x02, uniq: 4, text: "Expired (or not yet valid)", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x02, uniq: 5, text: "Maximum path length exceeded", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x02, uniq: 6, text: "Untrusted root certificate", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x02, uniq: 7, text: "Validation out of order", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x02, uniq: 8, text: "Empty certificate chain", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x02, uniq: 9, text: "OCSP check required", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x02, uniq: 10, text: "Incorrect certificate name", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x02, uniq: 11, text: "No usable certificates", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x1c, uniq: 1, text: "Invalid algorithm type", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x1c, uniq: 4, text: "Signature algorithm mismatch", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x1c, uniq: 5, text: "Invalid pathLenConstraint", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x1c, uniq: 6, text: "Invalid version", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x3c, uniq: 1, text: "Unsupported algorithm", errortab: false }, // crypto/x509.c
    Detail { file: 0x0016e000, posix: 0x3c, uniq: 2, text: "Unsupported extension", errortab: false }, // crypto/x509.c
    Detail { file: 0x002ae000, posix: 0x02, uniq: 1, text: "Not a signing certificate", errortab: false }, // crypto/cms.c
    Detail { file: 0x002ae000, posix: 0x02, uniq: 2, text: "Not a code-signing certificate", errortab: false }, // crypto/cms.c
    Detail { file: 0x002ae000, posix: 0x02, uniq: 4, text: "Incorrect certificate name", errortab: false }, // crypto/cms.c
    Detail { file: 0x002ae000, posix: 0x02, uniq: 5, text: "No signatures present", errortab: false }, // crypto/cms.c
    Detail { file: 0x002ae000, posix: 0x02, uniq: 6, text: "No usable recipients", errortab: false }, // crypto/cms.c
    Detail { file: 0x002ae000, posix: 0x02, uniq: 7, text: "Bad file length", errortab: false }, // crypto/cms.c
    Detail { file: 0x002ae000, posix: 0x02, uniq: 8, text: "Bad block padding", errortab: false }, // crypto/cms.c
    Detail { file: 0x002ae000, posix: 0x02, uniq: 9, text: "Invalid MAC", errortab: false }, // crypto/cms.c
    Detail { file: 0x002ae000, posix: 0x3c, uniq: 1, text: "Unrecognised message type", errortab: false }, // crypto/cms.c
    Detail { file: 0x002fe000, posix: 0x02, uniq: 1, text: "Certificate status not good", errortab: false }, // crypto/ocsp.c
    Detail { file: 0x002fe000, posix: 0x02, uniq: 2, text: "Certificate ID mismatch", errortab: false }, // crypto/ocsp.c
    Detail { file: 0x002fe000, posix: 0x02, uniq: 3, text: "Not an OCSP signing certificate", errortab: false }, // crypto/ocsp.c
    Detail { file: 0x002fe000, posix: 0x02, uniq: 4, text: "Stale (or premature) OCSP repsonse", errortab: false }, // crypto/ocsp.c
    Detail { file: 0x002fe000, posix: 0x02, uniq: 5, text: "Missing OCSP responder certificate", errortab: false }, // crypto/ocsp.c
    Detail { file: 0x002fe000, posix: 0x3c, uniq: 1, text: "Unsupported OCSP response type", errortab: false }, // crypto/ocsp.c
    Detail { file: 0x002fe000, posix: 0x3c, uniq: 2, text: "Unsupported OCSP responder ID", errortab: false }, // crypto/ocsp.c
    Detail { file: 0x00312000, posix: 0x7f, uniq: 1, text: "Could not connect controllers", errortab: false }, // interface/efi/efi_connect.c
    Detail { file: 0x003b6000, posix: 0x43, uniq: 1, text: "Unspecified server failure", errortab: false }, // net/udp/dhcpv6.c
    Detail { file: 0x003b6000, posix: 0x43, uniq: 2, text: "No addresses available", errortab: true }, // net/udp/dhcpv6.c
    Detail { file: 0x003b6000, posix: 0x43, uniq: 3, text: "Client record unavailable", errortab: false }, // net/udp/dhcpv6.c
    Detail { file: 0x003b6000, posix: 0x43, uniq: 4, text: "Prefix not on link", errortab: false }, // net/udp/dhcpv6.c
    Detail { file: 0x003b6000, posix: 0x43, uniq: 5, text: "Use multicast address", errortab: false }, // net/udp/dhcpv6.c
    Detail { file: 0x003f6000, posix: 0x3c, uniq: 2, text: "Non-STP packet received", errortab: false }, // net/stp.c
    Detail { file: 0x003f6000, posix: 0x3c, uniq: 3, text: "Legacy STP packet received", errortab: false }, // net/stp.c
    Detail { file: 0x003f6000, posix: 0x3c, uniq: 4, text: "Non-RSTP packet received", errortab: false }, // net/stp.c
    Detail { file: 0x00436000, posix: 0x02, uniq: 1, text: "No username available for Basic authentication", errortab: false }, // net/tcp/httpbasic.c
    Detail { file: 0x00446000, posix: 0x02, uniq: 1, text: "No username available for Digest authentication", errortab: false }, // net/tcp/httpdigest.c
    Detail { file: 0x004de000, posix: 0x7f, uniq: 1, text: "Could not open", errortab: false }, // interface/efi/efi_local.c
    Detail { file: 0x00816000, posix: 0x7f, uniq: 1, text: "UNDI loader error", errortab: false }, // arch/x86/drivers/net/undiload.c
    Detail { file: 0x00826000, posix: 0x7f, uniq: 1, text: "External PXE API error", errortab: false }, // arch/x86/drivers/net/undinet.c
    Detail { file: 0x008d8000, posix: 0x7f, uniq: 1, text: "External PXE NBP error", errortab: false }, // arch/x86/interface/pxe/pxe_call.c
];

/// Disambiguations that also fix the platform byte (`__einfo_platformify`, UEFI only).
#[rustfmt::skip]
const PLATFORM_DETAILS: &[(u32, u8, u8, u8, &str, bool)] = &[
    // (file, posix, uniq, platform, text, in errortab)
    (0x0004_8000, 0x7f, 1, 0x9a, "Image prohibited by security policy", false), // image/efi_image.c
    (0x004d_e000, 0x7f, 1, 0x8e, "Not found", true),                            // interface/efi/efi_local.c
];

/// PXENV_STATUS names (BIOS platform byte), from pxe_error.h.
#[rustfmt::skip]
const PXENV_STATUS: &[(u8, &str)] = &[
    (0x00, "PXENV_STATUS_SUCCESS"),
    (0x01, "PXENV_STATUS_FAILURE"),
    (0x02, "PXENV_STATUS_BAD_FUNC"),
    (0x03, "PXENV_STATUS_UNSUPPORTED"),
    (0x04, "PXENV_STATUS_KEEP_UNDI"),
    (0x05, "PXENV_STATUS_KEEP_ALL"),
    (0x06, "PXENV_STATUS_OUT_OF_RESOURCES"),
    (0x11, "PXENV_STATUS_ARP_TIMEOUT"),
    (0x18, "PXENV_STATUS_UDP_CLOSED"),
    (0x19, "PXENV_STATUS_UDP_OPEN"),
    (0x1a, "PXENV_STATUS_TFTP_CLOSED"),
    (0x1b, "PXENV_STATUS_TFTP_OPEN"),
    (0x20, "PXENV_STATUS_MCOPY_PROBLEM"),
    (0x21, "PXENV_STATUS_BIS_INTEGRITY_FAILURE"),
    (0x22, "PXENV_STATUS_BIS_VALIDATE_FAILURE"),
    (0x23, "PXENV_STATUS_BIS_INIT_FAILURE"),
    (0x24, "PXENV_STATUS_BIS_SHUTDOWN_FAILURE"),
    (0x25, "PXENV_STATUS_BIS_GBOA_FAILURE"),
    (0x26, "PXENV_STATUS_BIS_FREE_FAILURE"),
    (0x27, "PXENV_STATUS_BIS_GSI_FAILURE"),
    (0x28, "PXENV_STATUS_BIS_BAD_CKSUM"),
    (0x30, "PXENV_STATUS_TFTP_CANNOT_ARP_ADDRESS"),
    (0x32, "PXENV_STATUS_TFTP_OPEN_TIMEOUT"),
    (0x33, "PXENV_STATUS_TFTP_UNKNOWN_OPCODE"),
    (0x35, "PXENV_STATUS_TFTP_READ_TIMEOUT"),
    (0x36, "PXENV_STATUS_TFTP_ERROR_OPCODE"),
    (0x38, "PXENV_STATUS_TFTP_CANNOT_OPEN_CONNECTION"),
    (0x39, "PXENV_STATUS_TFTP_CANNOT_READ_FROM_CONNECTION"),
    (0x3a, "PXENV_STATUS_TFTP_TOO_MANY_PACKAGES"),
    (0x3b, "PXENV_STATUS_TFTP_FILE_NOT_FOUND"),
    (0x3c, "PXENV_STATUS_TFTP_ACCESS_VIOLATION"),
    (0x3d, "PXENV_STATUS_TFTP_NO_MCAST_ADDRESS"),
    (0x3e, "PXENV_STATUS_TFTP_NO_FILESIZE"),
    (0x3f, "PXENV_STATUS_TFTP_INVALID_PACKET_SIZE"),
    (0x51, "PXENV_STATUS_DHCP_TIMEOUT"),
    (0x52, "PXENV_STATUS_DHCP_NO_IP_ADDRESS"),
    (0x53, "PXENV_STATUS_DHCP_NO_BOOTFILE_NAME"),
    (0x54, "PXENV_STATUS_DHCP_BAD_IP_ADDRESS"),
    (0x60, "PXENV_STATUS_UNDI_INVALID_FUNCTION"),
    (0x61, "PXENV_STATUS_UNDI_MEDIATEST_FAILED"),
    (0x62, "PXENV_STATUS_UNDI_CANNOT_INIT_NIC_FOR_MCAST"),
    (0x63, "PXENV_STATUS_UNDI_CANNOT_INITIALIZE_NIC"),
    (0x64, "PXENV_STATUS_UNDI_CANNOT_INITIALIZE_PHY"),
    (0x65, "PXENV_STATUS_UNDI_CANNOT_READ_CONFIG_DATA"),
    (0x66, "PXENV_STATUS_UNDI_CANNOT_READ_INIT_DATA"),
    (0x67, "PXENV_STATUS_UNDI_BAD_MAC_ADDRESS"),
    (0x68, "PXENV_STATUS_UNDI_BAD_EEPROM_CHECKSUM"),
    (0x69, "PXENV_STATUS_UNDI_ERROR_SETTING_ISR"),
    (0x6a, "PXENV_STATUS_UNDI_INVALID_STATE"),
    (0x6b, "PXENV_STATUS_UNDI_TRANSMIT_ERROR"),
    (0x6c, "PXENV_STATUS_UNDI_INVALID_PARAMETER"),
    (0x74, "PXENV_STATUS_BSTRAP_PROMPT_MENU"),
    (0x76, "PXENV_STATUS_BSTRAP_MCAST_ADDR"),
    (0x77, "PXENV_STATUS_BSTRAP_MISSING_LIST"),
    (0x78, "PXENV_STATUS_BSTRAP_NO_RESPONSE"),
    (0x79, "PXENV_STATUS_BSTRAP_FILE_TOO_BIG"),
    (0xa0, "PXENV_STATUS_BINL_CANCELED_BY_KEYSTROKE"),
    (0xa1, "PXENV_STATUS_BINL_NO_PXE_SERVER"),
    (0xa2, "PXENV_STATUS_NOT_AVAILABLE_IN_PMODE"),
    (0xa3, "PXENV_STATUS_NOT_AVAILABLE_IN_RMODE"),
    (0xb0, "PXENV_STATUS_BUSD_DEVICE_NOT_SUPPORTED"),
    (0xc0, "PXENV_STATUS_LOADER_NO_FREE_BASE_MEMORY"),
    (0xc1, "PXENV_STATUS_LOADER_NO_BC_ROMID"),
    (0xc2, "PXENV_STATUS_LOADER_BAD_BC_ROMID"),
    (0xc3, "PXENV_STATUS_LOADER_BAD_BC_RUNTIME_IMAGE"),
    (0xc4, "PXENV_STATUS_LOADER_NO_UNDI_ROMID"),
    (0xc5, "PXENV_STATUS_LOADER_BAD_UNDI_ROMID"),
    (0xc6, "PXENV_STATUS_LOADER_BAD_UNDI_DRIVER_IMAGE"),
    (0xc8, "PXENV_STATUS_LOADER_NO_PXE_STRUCT"),
    (0xc9, "PXENV_STATUS_LOADER_NO_PXENV_STRUCT"),
    (0xca, "PXENV_STATUS_LOADER_UNDI_START"),
    (0xcb, "PXENV_STATUS_LOADER_BC_START"),
];

/// EFI status names by error number (UEFI platform byte is 0x80 | number).
#[rustfmt::skip]
const EFI_STATUS: &[(u8, &str)] = &[
    (0x01, "EFI_LOAD_ERROR"),
    (0x02, "EFI_INVALID_PARAMETER"),
    (0x03, "EFI_UNSUPPORTED"),
    (0x04, "EFI_BAD_BUFFER_SIZE"),
    (0x05, "EFI_BUFFER_TOO_SMALL"),
    (0x06, "EFI_NOT_READY"),
    (0x07, "EFI_DEVICE_ERROR"),
    (0x08, "EFI_WRITE_PROTECTED"),
    (0x09, "EFI_OUT_OF_RESOURCES"),
    (0x0a, "EFI_VOLUME_CORRUPTED"),
    (0x0b, "EFI_VOLUME_FULL"),
    (0x0c, "EFI_NO_MEDIA"),
    (0x0d, "EFI_MEDIA_CHANGED"),
    (0x0e, "EFI_NOT_FOUND"),
    (0x0f, "EFI_ACCESS_DENIED"),
    (0x10, "EFI_NO_RESPONSE"),
    (0x11, "EFI_NO_MAPPING"),
    (0x12, "EFI_TIMEOUT"),
    (0x13, "EFI_NOT_STARTED"),
    (0x14, "EFI_ALREADY_STARTED"),
    (0x15, "EFI_ABORTED"),
    (0x16, "EFI_ICMP_ERROR"),
    (0x17, "EFI_TFTP_ERROR"),
    (0x18, "EFI_PROTOCOL_ERROR"),
    (0x19, "EFI_INCOMPATIBLE_VERSION"),
    (0x1a, "EFI_SECURITY_VIOLATION"),
    (0x1b, "EFI_CRC_ERROR"),
    (0x1c, "EFI_END_OF_MEDIA"),
    (0x1f, "EFI_END_OF_FILE"),
    (0x20, "EFI_INVALID_LANGUAGE"),
    (0x21, "EFI_COMPROMISED_DATA"),
    (0x22, "EFI_IP_ADDRESS_CONFLICT"),
    (0x23, "EFI_HTTP_ERROR"),
];

fn posix_entry(code: u8) -> Option<&'static Posix> {
    POSIX.iter().find(|p| p.code == code)
}

fn errfile_entry(file: u32) -> Option<&'static (u32, &'static str, Option<&'static str>)> {
    ERRFILES.iter().find(|e| e.0 == file)
}

/// File-specific causes; these beat the POSIX-class mapping because the file says which
/// protocol failed (an ENOTSUP from tftp.c is a TFTP error packet, not an image problem).
fn file_findings(errfile: &str, posix: &str) -> Option<&'static [&'static str]> {
    Some(match (errfile, posix) {
        (_, "ECANCELED") => &[], // aborted (Ctrl-C, or a parent closed the transfer)
        ("tftp", "ENOENT") => &[
            "tftp-file-not-found",
            "boot-file-name-suspect",
            "ipxe-no-script",
        ],
        ("tftp", "ETIMEDOUT") => &[
            "tftp-no-response",
            "tftp-reply-wrong-source",
            "tftp-incomplete",
        ],
        ("tftp", "EACCES" | "EPERM" | "ENOTSUP" | "ENOTTY" | "EINVAL") => &["tftp-error"],
        ("httpcore" | "httpconn" | "tcp" | "tls" | "x509" | "ocsp" | "validator", "ENOENT") => {
            &["http-error", "ipxe-no-script"]
        }
        ("httpcore" | "httpconn" | "tcp" | "tls" | "x509" | "ocsp" | "validator", _) => {
            &["http-error"]
        }
        ("dhcp" | "dhcpmgmt" | "ifmgmt", "ETIMEDOUT" | "EADDRNOTAVAIL" | "ENOENT") => &[
            "dhcp-no-offer",
            "dhcp-offers-ignored",
            "relay-reply-misrouted",
        ],
        ("dhcpv6", "EPROTO") => &["dhcpv6-status-error"],
        ("dhcpv6", "ETIMEDOUT") => &["dhcp-no-offer", "dhcpv6-no-boot-url"],
        ("autoboot", "ENOENT") => &["dhcp-no-boot-file", "proxy-offer-late"],
        ("efi_image", "EPLATFORM" | "ENOEXEC") => &["nbp-rejected", "arch-mismatch"],
        ("efi_image" | "image" | "imgtrust", "EACCES" | "EPERM") => &["nbp-rejected"],
        ("neighbour" | "arp", "ETIMEDOUT") => &["arp-unanswered"],
        ("dns", "ENXIO") => &["boot-file-name-suspect"],
        _ => return None,
    })
}

fn class_findings(posix: &str) -> &'static [&'static str] {
    match posix {
        "ENOENT" => &["tftp-file-not-found", "ipxe-no-script", "http-error"],
        "ETIMEDOUT" => &[
            "tftp-no-response",
            "dhcp-no-offer",
            "http-error",
            "tftp-reply-wrong-source",
        ],
        "ECONNRESET" => &["http-error"],
        "ECONNREFUSED" => &["http-error", "tftp-no-response"],
        "ENOEXEC" => &["arch-mismatch", "nbp-rejected"],
        "EACCES" | "EPERM" => &["nbp-rejected", "tftp-error"],
        "ENOTSUP" => &["arch-mismatch", "http-error"],
        "EADDRNOTAVAIL" => &["dhcp-no-offer", "dhcp-offers-ignored"],
        "ENETUNREACH" | "EHOSTUNREACH" => &["arp-unanswered"],
        _ => &[], // ECANCELED (user abort) and the rest point at no capture finding
    }
}

/// Parses "3c126083", "0x3c126083", "https://ipxe.org/3c126083" or "ipxe.org/err/3c1260" (the
/// 6-digit form drops the platform byte).
fn parse_ipxe_number(s: &str) -> Option<u32> {
    let s = s.trim().to_ascii_lowercase();
    let digits: String = if let Some(i) = s.find("ipxe.org/") {
        let rest = &s[i + "ipxe.org/".len()..];
        let rest = rest.strip_prefix("err/").unwrap_or(rest);
        rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect()
    } else {
        let t = s.strip_prefix("0x").unwrap_or(&s);
        if !t.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        t.to_string()
    };
    match digits.len() {
        6 => u32::from_str_radix(&digits, 16).ok().map(|v| v << 8),
        7 | 8 => u32::from_str_radix(&digits, 16).ok(),
        _ => None,
    }
}

pub fn decode_ipxe(hex: &str) -> Option<IpxeError> {
    decode_ipxe_code(parse_ipxe_number(hex)?)
}

pub fn decode_ipxe_code(code: u32) -> Option<IpxeError> {
    if code & 0x8000_0000 != 0 {
        return None; // bit 31 is never set in an iPXE error
    }
    let posix = posix_entry((code >> 24) as u8)?;
    if posix.code == 0 {
        return None; // success
    }
    let file_id = code & 0x00ff_e000;
    let ef = errfile_entry(file_id);
    let findings = ef
        .and_then(|e| file_findings(e.1, posix.name))
        .unwrap_or_else(|| class_findings(posix.name));
    Some(IpxeError {
        code,
        class: posix.name,
        posix: posix.text,
        file: ef.and_then(|e| e.2),
        line_uniq: ((code >> 8) & 0x1f) as u8,
        findings,
    })
}

impl IpxeError {
    pub fn posix_code(&self) -> u8 {
        ((self.code >> 24) & 0x7f) as u8
    }

    /// The ERRFILE value (bits 23-13).
    pub fn file_id(&self) -> u32 {
        self.code & 0x00ff_e000
    }

    /// The ERRFILE_ name without prefix, e.g. "tftp"; known even where the path is not.
    pub fn errfile(&self) -> Option<&'static str> {
        errfile_entry(self.file_id()).map(|e| e.1)
    }

    pub fn platform(&self) -> u8 {
        self.code as u8
    }

    /// Which firmware the iPXE that printed it ran on, judged from the platform byte.
    pub fn build(&self) -> Option<IpxeBuild> {
        let x = posix_entry(self.posix_code())?;
        let p = self.platform();
        if x.bios == NO_PLATFORM {
            // EPLATFORM: the byte came from the firmware, so go by the file that passed it on.
            let f = self.file.or(self.errfile()).unwrap_or("");
            return if f.contains("efi") {
                Some(IpxeBuild::Efi)
            } else if f.contains("pxe") || f.contains("undi") {
                Some(IpxeBuild::Bios)
            } else {
                None
            };
        }
        match (p == x.bios, p == x.efi) {
            (true, false) => Some(IpxeBuild::Bios),
            (false, true) => Some(IpxeBuild::Efi),
            _ => None,
        }
    }

    /// The platform byte as a PXENV_STATUS_* or EFI_* name, when the build is known.
    pub fn platform_status(&self) -> Option<&'static str> {
        let p = self.platform();
        match self.build()? {
            IpxeBuild::Bios => PXENV_STATUS.iter().find(|s| s.0 == p).map(|s| s.1),
            IpxeBuild::Efi if p == 0 => Some("EFI_SUCCESS"),
            IpxeBuild::Efi if p & 0x80 != 0 => {
                EFI_STATUS.iter().find(|s| s.0 == p & 0x7f).map(|s| s.1)
            }
            IpxeBuild::Efi => None,
        }
    }

    /// The file's own description of this disambiguated error, e.g. "Not found".
    pub fn detail(&self) -> Option<&'static str> {
        let (f, x, u, p) = (
            self.file_id(),
            self.posix_code(),
            self.line_uniq,
            self.platform(),
        );
        PLATFORM_DETAILS
            .iter()
            .find(|d| d.0 == f && d.1 == x && d.2 == u && d.3 == p)
            .map(|d| d.4)
            .or_else(|| {
                DETAILS
                    .iter()
                    .find(|d| d.file == f && d.posix == x && d.uniq == u)
                    .map(|d| d.text)
            })
    }

    /// What iPXE's strerror() prints for this code (assuming a default build).
    pub fn strerror(&self) -> String {
        let text = self
            .errortab_text()
            .map(str::to_string)
            .unwrap_or_else(|| format!("Error {:#08x}", self.code));
        format!("{} ({})", text, self.url())
    }

    fn errortab_text(&self) -> Option<&'static str> {
        let x = posix_entry(self.posix_code())?;
        let (f, u, p) = (self.file_id(), self.line_uniq, self.platform());
        if let Some(d) = PLATFORM_DETAILS
            .iter()
            .find(|d| d.5 && d.0 == f && d.1 == x.code && d.2 == u && d.3 == p)
        {
            return Some(d.4);
        }
        // Other table entries carry the platform byte of their build, so it must match.
        let platform_ok = p == x.bios || p == x.efi;
        if !platform_ok {
            return None;
        }
        if let Some(d) = DETAILS
            .iter()
            .find(|d| d.errortab && d.file == f && d.posix == x.code && d.uniq == u)
        {
            return Some(d.text);
        }
        x.in_errortab.then_some(x.text)
    }

    pub fn url(&self) -> String {
        format!("https://ipxe.org/{:08x}", self.code)
    }
}

// ---------------------------------------------------------------------------------------------
// Lookup
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hit {
    Pxe(&'static PxeCode),
    Ipxe(IpxeError),
    Screen(&'static ScreenText),
}

/// Everything `query` may refer to: a PXE code ("PXE-E53", "e53", a pasted "PXE-E53: ..." line),
/// an iPXE code or URL, an on-screen title, or a screen text (either containing the other,
/// case-insensitively). Order: iPXE, PXE codes, screen texts.
pub fn lookup(query: &str) -> Vec<Hit> {
    let q = normalise(query);
    let mut hits: Vec<Hit> = Vec::new();
    fn push(h: Hit, hits: &mut Vec<Hit>) {
        if !hits.contains(&h) {
            hits.push(h);
        }
    }
    if q.is_empty() {
        return hits;
    }

    // iPXE: a URL anywhere, the whole query as a number, or an 8-digit token ("Error 0x3c126083").
    if let Some(e) = decode_ipxe(&q) {
        push(Hit::Ipxe(e), &mut hits);
    }
    let tokens: Vec<&str> = q
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '/' && c != '.')
        .collect();
    for t in &tokens {
        let bare = t.strip_prefix("0x").unwrap_or(t);
        if t.contains("ipxe.org/")
            || (bare.len() == 8 && bare.chars().all(|c| c.is_ascii_hexdigit()))
        {
            if let Some(e) = decode_ipxe(t) {
                push(Hit::Ipxe(e), &mut hits);
            }
        }
    }

    // PXE codes: "pxe-eXX" anywhere, or a leading bare "eXX".
    let words: Vec<&str> = q
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has_pxe = q.contains("pxe");
    for (i, w) in words.iter().enumerate() {
        let is_code =
            w.len() == 3 && w.starts_with('e') && w[1..].chars().all(|c| c.is_ascii_hexdigit());
        if is_code && (i == 0 || has_pxe) {
            if let Some(c) = pxe_code(&format!("PXE-{}", w.to_ascii_uppercase())) {
                push(Hit::Pxe(c), &mut hits);
            }
        }
    }
    for (code, titles) in PXE_TITLES {
        if titles.iter().any(|t| matches(&q, t)) {
            if let Some(c) = pxe_code(code) {
                push(Hit::Pxe(c), &mut hits);
            }
        }
    }

    for st in SCREEN_TEXTS {
        let aliased = SCREEN_ALIASES
            .iter()
            .any(|(a, target)| *target == st.text && q.contains(a));
        if aliased || matches(&q, st.text) {
            push(Hit::Screen(st), &mut hits);
        }
    }
    hits
}

fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Either contains the other; the reverse direction needs 4+ characters so "e5" matches nothing.
fn matches(q: &str, text: &str) -> bool {
    let t = normalise(text);
    let t = t.trim_end_matches(['.', '!']);
    q.contains(t) || (q.len() >= 4 && t.contains(q))
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// registry.rs IDs plus the ones being added; a typo in a mapping fails here.
    #[rustfmt::skip]
    const KNOWN_IDS: &[&str] = &[
        "dhcp-no-offer", "dhcp-slow-offer", "dhcp-no-boot-file", "dhcp-multiple-servers", "dhcp-no-ack",
        "dhcp-nak", "dhcp-decline", "boot-file-conflict", "proxy-missing-vendor-class", "proxy-unanswered",
        "proxy-wrong-port", "proxy-offer-late", "arch-unknown", "arch-mismatch", "tftp-file-not-found",
        "tftp-error", "tftp-no-response", "tftp-incomplete", "tftp-retransmits", "tftp-blksize-fragmented",
        "tftp-options-ignored", "arp-unanswered", "ipxe-chainload-loop", "http-boot-no-url", "http-error",
        "dhcpv6-no-boot-url", "analysis-truncated", "expectation-failed", "analysis-capped",
        "dhcp-offers-ignored", "relay-reply-misrouted", "boot-file-name-suspect", "boot-url-to-pxe-client",
        "nbp-rejected", "tftp-reply-wrong-source", "dhcpv6-status-error", "ipxe-no-script",
    ];

    fn known(ids: &[&str]) {
        for id in ids {
            assert!(KNOWN_IDS.contains(id), "unknown finding id {id}");
        }
    }

    fn has(ids: &[&str], id: &str) -> bool {
        ids.contains(&id)
    }

    #[test]
    fn pxe_codes_are_unique_well_formed_and_sorted() {
        let mut seen = std::collections::HashSet::new();
        for c in PXE_CODES {
            let b = c.code.as_bytes();
            assert!(
                c.code.len() == 7 && c.code.starts_with("PXE-E"),
                "{}",
                c.code
            );
            assert!(
                b[5..]
                    .iter()
                    .all(|x| x.is_ascii_digit() || (b'A'..=b'F').contains(x)),
                "{}",
                c.code
            );
            assert!(seen.insert(c.code), "duplicate {}", c.code);
            assert!(!c.meaning.is_empty());
            known(c.findings);
        }
        assert!(PXE_CODES.windows(2).all(|w| w[0].code < w[1].code));
        assert_eq!(PXE_CODES.len(), 89);
    }

    #[test]
    fn titles_belong_to_codes() {
        for (code, titles) in PXE_TITLES {
            assert!(pxe_code(code).is_some(), "{code}");
            assert!(!titles.is_empty());
        }
        assert_eq!(pxe_titles("pxe-e53"), &["No boot filename received"]);
        assert!(pxe_titles("PXE-E3D").is_empty());
    }

    #[test]
    fn known_pxe_mappings() {
        let f = |c: &str| pxe_code(c).unwrap().findings;
        for id in [
            "dhcp-no-offer",
            "dhcp-offers-ignored",
            "proxy-missing-vendor-class",
            "relay-reply-misrouted",
            "dhcp-slow-offer",
        ] {
            assert!(has(f("PXE-E51"), id) && has(f("PXE-E16"), id), "{id}");
        }
        for id in [
            "dhcp-offers-ignored",
            "dhcp-no-offer",
            "proxy-unanswered",
            "relay-reply-misrouted",
            "tftp-no-response",
            "tftp-reply-wrong-source",
        ] {
            assert!(has(f("PXE-E18"), id), "{id}");
        }
        assert_eq!(
            f("PXE-E53"),
            &[
                "dhcp-no-boot-file",
                "proxy-offer-late",
                "proxy-missing-vendor-class"
            ]
        );
        assert!(has(f("PXE-E55"), "proxy-unanswered") && has(f("PXE-E55"), "proxy-wrong-port"));
        assert_eq!(
            f("PXE-E32"),
            &[
                "tftp-no-response",
                "tftp-reply-wrong-source",
                "arp-unanswered"
            ]
        );
        for c in ["PXE-E3B", "PXE-E23", "PXE-E36"] {
            for id in [
                "tftp-file-not-found",
                "tftp-error",
                "boot-file-name-suspect",
            ] {
                assert!(has(f(c), id), "{c} {id}");
            }
        }
        assert_eq!(f("PXE-E11"), &["arp-unanswered"]);
        assert_eq!(f("PXE-E79"), &["arch-mismatch"]);
        assert_eq!(f("PXE-E99"), &["boot-url-to-pxe-client", "nbp-rejected"]);
        assert_eq!(
            f("PXE-E35"),
            &["tftp-incomplete", "tftp-blksize-fragmented"]
        );
        assert!(f("PXE-E61").is_empty());
    }

    #[test]
    fn screen_texts() {
        let want = [
            "NBP filesize is 0 Bytes",
            "Exec format error",
            "Access Denied",
            "Secure Boot Violation",
            "Security Violation",
            "Machine type 0xaa64 is not supported",
            "Unsupported",
            "No configuration methods succeeded",
            "autoexec.ipxe... No such file or directory",
            "No more network devices",
            "bad shim signature",
            "invalid magic number",
            "Bad Linux ARM64 Image magic!",
            "Could not retrieve NBP file size from HTTP server",
            "PXE-E16: No valid offer received",
            "Server response timeout",
        ];
        for w in want {
            assert!(SCREEN_TEXTS.iter().any(|s| s.text == w), "{w}");
        }
        let mut seen = std::collections::HashSet::new();
        for st in SCREEN_TEXTS {
            assert!(seen.insert(st.text.to_lowercase()), "duplicate {}", st.text);
            known(st.findings);
        }
        for (_, target) in SCREEN_ALIASES {
            assert!(SCREEN_TEXTS.iter().any(|s| s.text == *target));
        }
        let f = |t: &str| SCREEN_TEXTS.iter().find(|s| s.text == t).unwrap().findings;
        assert_eq!(
            f("NBP filesize is 0 Bytes"),
            &[
                "boot-url-to-pxe-client",
                "tftp-file-not-found",
                "boot-file-name-suspect"
            ]
        );
        assert_eq!(f("Access Denied"), &["nbp-rejected"]);
        assert_eq!(
            f("Could not retrieve NBP file size from HTTP server"),
            &["http-boot-no-url", "http-error"]
        );
        assert_eq!(pe_machine_name(0xaa64), Some("AArch64 (ARM64)"));
        assert_eq!(pe_machine_name(0x8664), Some("x86-64 (x64)"));
    }

    #[test]
    fn tables_are_consistent() {
        let mut ids = std::collections::HashSet::new();
        for (id, name, _) in ERRFILES {
            assert_eq!(id & !0x00ff_e000, 0, "{name}");
            assert!(ids.insert(*id), "duplicate ERRFILE {id:#x}");
        }
        assert!(ERRFILES.len() > 400);
        let mut ps = std::collections::HashSet::new();
        for x in POSIX {
            assert!(ps.insert(x.code));
        }
        assert_eq!(POSIX.len(), 81); // 0x00-0x4f and EPLATFORM
        for d in DETAILS {
            assert!(
                errfile_entry(d.file).is_some() && posix_entry(d.posix).is_some(),
                "{}",
                d.text
            );
        }
        // Group/index layout of errfile.h.
        let path = |n: &str| ERRFILES.iter().find(|e| e.1 == n).unwrap();
        assert_eq!(path("tftp").0, 0x0012_6000);
        assert_eq!(path("tftp").2, Some("net/udp/tftp.c"));
        assert_eq!(path("tcp").2, Some("net/tcp.c"));
        assert_eq!(path("httpcore").2, Some("net/tcp/httpcore.c"));
        assert_eq!(path("efi_image").2, Some("image/efi_image.c"));
        assert_eq!(path("autoboot").2, Some("usr/autoboot.c"));
        assert_eq!(
            path("pxe_tftp").2,
            Some("arch/x86/interface/pxe/pxe_tftp.c")
        );
        assert_eq!(path("undinet").0, 0x0082_6000);
    }

    #[test]
    fn posix_texts_match_strerror() {
        let t = |n: &str| POSIX.iter().find(|p| p.name == n).unwrap().text;
        assert_eq!(t("ENOENT"), "No such file or directory");
        assert_eq!(t("ETIMEDOUT"), "Connection timed out");
        assert_eq!(t("ENOTSUP"), "Operation not supported");
        assert_eq!(t("EOPNOTSUPP"), "Operation not supported on socket");
        assert_eq!(t("ECONNRESET"), "Connection reset");
        assert_eq!(t("ENOEXEC"), "Exec format error");
        assert_eq!(t("EACCES"), "Permission denied");
        assert_eq!(t("ENOMEM"), "Not enough space");
        assert_eq!(t("ENODEV"), "No such device");
        assert_eq!(t("ENETUNREACH"), "Network unreachable");
        assert_eq!(t("EINVAL"), "Invalid argument");
        assert_eq!(t("EIO"), "Input/output error");
        assert_eq!(t("ECANCELED"), "Operation canceled");
        assert_eq!(t("EPERM"), "Operation not permitted");
    }

    #[test]
    fn field_code_3c126083() {
        // TFTP ERROR packet with a code other than 1/2/4, from a UEFI iPXE.
        let e = decode_ipxe("3c126083").unwrap();
        assert_eq!(
            (e.class, e.posix, e.file, e.line_uniq),
            (
                "ENOTSUP",
                "Operation not supported",
                Some("net/udp/tftp.c"),
                0
            )
        );
        assert_eq!(e.build(), Some(IpxeBuild::Efi));
        assert_eq!(e.platform_status(), Some("EFI_UNSUPPORTED"));
        assert_eq!(e.findings, &["tftp-error"]);
        assert_eq!(
            e.strerror(),
            "Operation not supported (https://ipxe.org/3c126083)"
        );
        assert_eq!(decode_ipxe("0x3c126083"), Some(e));
        assert_eq!(decode_ipxe("http://ipxe.org/3c126083"), Some(e));
        let short = decode_ipxe("ipxe.org/err/3c1260").unwrap();
        assert_eq!(
            (short.code, short.file, short.class),
            (0x3c12_6000, Some("net/udp/tftp.c"), "ENOTSUP")
        );
        assert_eq!(
            decode_ipxe("https://ipxe.org/err/3c1260?idx=err")
                .unwrap()
                .code,
            0x3c12_6000
        );
    }

    #[test]
    fn field_code_4c0a6012() {
        // TCP gave up; the low byte fits neither build (BIOS puts 0x35, UEFI 0x92 with ETIMEDOUT).
        let e = decode_ipxe("4c0a6012").unwrap();
        assert_eq!(
            (e.class, e.posix, e.file, e.line_uniq),
            ("ETIMEDOUT", "Connection timed out", Some("net/tcp.c"), 0)
        );
        assert_eq!(e.build(), None);
        assert_eq!(e.platform_status(), None);
        assert_eq!(e.findings, &["http-error"]);
        assert_eq!(e.strerror(), "Error 0x4c0a6012 (https://ipxe.org/4c0a6012)");
        assert_eq!(
            decode_ipxe("4c0a6035").unwrap().strerror(),
            "Connection timed out (https://ipxe.org/4c0a6035)"
        );
        assert_eq!(
            decode_ipxe("4c0a6092").unwrap().build(),
            Some(IpxeBuild::Efi)
        );
    }

    #[test]
    fn field_code_7f048281() {
        // efi_image.c EEFI_START: StartImage() of the downloaded EFI binary returned EFI_LOAD_ERROR.
        let e = decode_ipxe("7f048281").unwrap();
        assert_eq!(
            (e.class, e.file, e.line_uniq),
            ("EPLATFORM", Some("image/efi_image.c"), 2)
        );
        assert_eq!(e.detail(), Some("Could not start image"));
        assert_eq!(e.build(), Some(IpxeBuild::Efi));
        assert_eq!(e.platform_status(), Some("EFI_LOAD_ERROR"));
        assert_eq!(e.findings, &["nbp-rejected", "arch-mismatch"]);
        assert_eq!(e.strerror(), "Error 0x7f048281 (https://ipxe.org/7f048281)");
        // LoadImage refused by Secure Boot.
        let sb = decode_ipxe("7f04819a").unwrap();
        assert_eq!(
            (sb.detail(), sb.platform_status()),
            (
                Some("Image prohibited by security policy"),
                Some("EFI_SECURITY_VIOLATION")
            )
        );
    }

    #[test]
    fn field_code_2d0c613b() {
        // Not a timeout: ENOENT from httpcore.c, uniq 1 = HTTP 404, on a BIOS iPXE.
        let e = decode_ipxe("2d0c613b").unwrap();
        assert_eq!(
            (e.class, e.posix, e.file, e.line_uniq),
            (
                "ENOENT",
                "No such file or directory",
                Some("net/tcp/httpcore.c"),
                1
            )
        );
        assert_eq!(e.detail(), Some("Not found"));
        assert_eq!(e.build(), Some(IpxeBuild::Bios));
        assert_eq!(
            e.platform_status(),
            Some("PXENV_STATUS_TFTP_FILE_NOT_FOUND")
        );
        assert_eq!(e.findings, &["http-error", "ipxe-no-script"]);
        assert_eq!(e.strerror(), "Not found (https://ipxe.org/2d0c613b)");
    }

    #[test]
    fn other_field_codes() {
        let e = decode_ipxe("040ee119").unwrap();
        assert_eq!(
            (e.class, e.file, e.detail()),
            (
                "EADDRNOTAVAIL",
                Some("usr/ifmgmt.c"),
                Some("No configuration methods succeeded")
            )
        );
        assert_eq!(
            e.strerror(),
            "No configuration methods succeeded (https://ipxe.org/040ee119)"
        );
        assert_eq!(
            decode_ipxe("040ee186").unwrap().build(),
            Some(IpxeBuild::Efi)
        );
        assert!(has(e.findings, "dhcp-no-offer"));
        // TFTP file not found: before 2024 without disambiguator, since then "Not found".
        let old = decode_ipxe("2d12603b").unwrap();
        assert_eq!(
            (old.file, old.findings[0]),
            (Some("net/udp/tftp.c"), "tftp-file-not-found")
        );
        assert_eq!(
            old.strerror(),
            "No such file or directory (https://ipxe.org/2d12603b)"
        );
        assert_eq!(
            decode_ipxe("2d12618e").unwrap().strerror(),
            "Not found (https://ipxe.org/2d12618e)"
        );
        // ipxe.org/err pages name the file with DEBUG=...
        assert_eq!(
            decode_ipxe("ipxe.org/err/4c3760").unwrap().file,
            Some("net/neighbour.c")
        );
        assert_eq!(
            decode_ipxe("ipxe.org/err/4c3760").unwrap().findings,
            &["arp-unanswered"]
        );
        assert_eq!(decode_ipxe("0b0a60").unwrap().file, Some("net/tcp.c"));
        assert_eq!(decode_ipxe("4c0a40").unwrap().errfile(), Some("ehci"));
        assert_eq!(decode_ipxe("3c6540").unwrap().errfile(), Some("intel"));
        assert_eq!(decode_ipxe("0a8420").unwrap().errfile(), Some("biosint"));
        assert_eq!(decode_ipxe("7f0e4000").unwrap().errfile(), Some("usbio"));
        assert_eq!(
            decode_ipxe("430c61").unwrap().detail(),
            Some("Unsolicited data")
        );
        assert_eq!(
            decode_ipxe("2d03e13b").unwrap().detail(),
            Some("Nothing to boot")
        );
        assert!(decode_ipxe("0b0a6000").unwrap().findings.is_empty()); // ECANCELED
                                                                       // Not iPXE codes.
        for bad in [
            "",
            "e53",
            "12345",
            "zz0a6012",
            "8c0a6012",
            "00126083",
            "5f126083",
            "3c1260833",
        ] {
            assert_eq!(decode_ipxe(bad), None, "{bad}");
        }
    }

    fn pxe_hit(h: &[Hit], code: &str) -> bool {
        h.iter().any(|x| matches!(x, Hit::Pxe(c) if c.code == code))
    }

    fn screen_hit(h: &[Hit], text: &str) -> bool {
        h.iter()
            .any(|x| matches!(x, Hit::Screen(s) if s.text == text))
    }

    #[test]
    fn lookup_pxe() {
        for q in [
            "PXE-E53",
            "e53",
            "pxe-e53: no boot filename received",
            "  PXE-E53:  No boot filename received.",
            "No boot filename received",
        ] {
            let h = lookup(q);
            assert!(pxe_hit(&h, "PXE-E53"), "{q}: {h:?}");
            assert_eq!(
                h.iter().filter(|x| matches!(x, Hit::Pxe(_))).count(),
                1,
                "{q}"
            );
        }
        assert!(pxe_hit(&lookup("PXE-E3b"), "PXE-E3B"));
        assert!(pxe_hit(&lookup("TFTP open timeout"), "PXE-E32"));
        let h = lookup("PXE-E16: No valid offer received.");
        assert!(pxe_hit(&h, "PXE-E16") && screen_hit(&h, "PXE-E16: No valid offer received"));
        let h = lookup("PXE-E18: Server response timeout.");
        assert!(pxe_hit(&h, "PXE-E18") && screen_hit(&h, "Server response timeout"));
        assert!(lookup("e5").is_empty());
        assert!(lookup("   ").is_empty());
        assert!(!pxe_hit(&lookup("the e53 word"), "PXE-E53")); // bare code only first or with "pxe"
    }

    #[test]
    fn lookup_ipxe() {
        for q in [
            "3c126083",
            "0x3C126083",
            "http://ipxe.org/3c126083",
            "Operation not supported (https://ipxe.org/3c126083)",
            "Error 0x3c126083",
        ] {
            let h = lookup(q);
            assert!(
                h.iter()
                    .any(|x| matches!(x, Hit::Ipxe(e) if e.code == 0x3c12_6083)),
                "{q}: {h:?}"
            );
        }
        let h = lookup("ipxe.org/err/3c1260");
        assert!(matches!(h.first(), Some(Hit::Ipxe(e)) if e.code == 0x3c12_6000));
        let h = lookup("No configuration methods succeeded (https://ipxe.org/040ee119)");
        assert!(matches!(h.first(), Some(Hit::Ipxe(e)) if e.class == "EADDRNOTAVAIL"));
        assert!(screen_hit(&h, "No configuration methods succeeded"));
    }

    #[test]
    fn lookup_screen() {
        assert!(screen_hit(
            &lookup("NBP filesize is 0 Bytes"),
            "NBP filesize is 0 Bytes"
        ));
        assert!(screen_hit(
            &lookup("nbp filesize"),
            "NBP filesize is 0 Bytes"
        ));
        assert!(screen_hit(
            &lookup("  Error: Could not retrieve NBP file size from HTTP server."),
            "Could not retrieve NBP file size from HTTP server"
        ));
        assert!(screen_hit(
            &lookup("Machine type 0x8664 is not supported"),
            "Machine type 0xaa64 is not supported"
        ));
        assert!(screen_hit(
            &lookup("Image type AARCH64 can't be loaded on X64 UEFI system."),
            "can't be loaded on"
        ));
        assert!(screen_hit(&lookup("tftp://10.0.0.1/autoexec.ipxe... No such file or directory (https://ipxe.org/2d12603b)"), "autoexec.ipxe... No such file or directory"));
        assert!(screen_hit(
            &lookup("autoexec.ipxe"),
            "autoexec.ipxe... Not found"
        ));
        assert!(screen_hit(
            &lookup("error: bad shim signature."),
            "bad shim signature"
        ));
        assert!(screen_hit(
            &lookup("BAD LINUX ARM64 IMAGE MAGIC"),
            "Bad Linux ARM64 Image magic!"
        ));
        let h = lookup(
            "BdsDxe: failed to load Boot0001: Access Denied -- rejected probably by Secure Boot",
        );
        assert!(screen_hit(&h, "Access Denied"));
        assert!(lookup("completely unrelated words").is_empty());
    }
}
