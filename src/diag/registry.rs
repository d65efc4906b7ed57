//! The catalogue of findings. IDs are stable forever; each has one default severity. The README
//! table and `pxe-inspect explain` are generated from this list (a test keeps them in step).

use crate::model::Severity;

pub struct RuleDoc {
    pub id: &'static str,
    pub severity: Severity,
    /// What triggers it, including thresholds.
    pub trigger: &'static str,
    /// How to fix the cause.
    pub fix: &'static str,
    /// Firmware messages a user sees on screen that point here.
    pub screen: &'static [&'static str],
}

use Severity::*;

pub const RULES: &[RuleDoc] = &[
    RuleDoc { id: "dhcp-no-offer", severity: Error, trigger: "A PXE client's DISCOVERs/SOLICITs got no OFFER/ADVERTISE from anyone (at least 3 s of capture after the first one).", fix: "Check that a DHCP server (or proxyDHCP) listens on this segment, that a relay (ip helper-address / dhcp-relay) forwards to it, and that the pool is not exhausted.", screen: &["PXE-E51", "PXE-E16", "No configuration methods succeeded"] },
    RuleDoc { id: "dhcp-slow-offer", severity: Warning, trigger: "The first usable answer came 10 s or more after the first DISCOVER (dnsmasq's ~3 s ping check is normal). Usable: with what the client already holds, it has an address and a boot file (or the proxy/4011 path); U-Boot, GRUB and installers need only the address. The message names the server that completed it and the DISCOVER rounds that went unanswered.", fix: "Firmware gives up after about 60 s in total; look for a slow relay, spanning tree (portfast off on the switch port) or an overloaded DHCP server.", screen: &["PXE-E51"] },
    RuleDoc { id: "dhcp-no-boot-file", severity: Error, trigger: "The client got an address but no offer (DHCP, proxy or 4011) named a boot file — a next-server (siaddr/option 66) alone is not enough — and no proxyDHCP offered the 4011 path.", fix: "Give the boot file: dnsmasq `dhcp-boot=pxelinux.0` (or `pxe-service=`), ISC dhcpd `filename \"pxelinux.0\"; next-server 192.0.2.1;`, or run a proxyDHCP (pxe-inspect serve).", screen: &["PXE-E53", "No boot filename received"] },
    RuleDoc { id: "dhcp-multiple-servers", severity: Warning, trigger: "More than one DHCP server offered addresses, or servers offered conflicting boot files (rogue server). A DHCP server plus a proxyDHCP is normal.", fix: "Find the extra server by its server identifier / MAC and switch it off, or enable DHCP snooping on the switch.", screen: &[] },
    RuleDoc { id: "dhcp-no-ack", severity: Error, trigger: "The client sent REQUEST for an offered address and got neither ACK nor NAK (at least 3 s of capture after the last REQUEST).", fix: "Loss between client and server (retransmitted REQUESTs show it), a server that lost its lease state or pool between OFFER and REQUEST, or a firewall passing broadcasts but not the server's reply; capture at the server to see whether the REQUEST arrived.", screen: &["PXE-E51", "PXE-E55"] },
    RuleDoc { id: "dhcp-nak", severity: Warning, trigger: "A DHCP server answered a REQUEST with NAK.", fix: "Usually a stale lease or a second server that does not know the first one's leases; check the server that sent the NAK.", screen: &["PXE-E51"] },
    RuleDoc { id: "dhcp-decline", severity: Error, trigger: "The client declined the offered address (DHCPDECLINE); its own reason (option 56) is quoted when it gave one.", fix: "Another host uses that address: exclude it from the pool or find the duplicate.", screen: &[] },
    RuleDoc { id: "boot-file-conflict", severity: Warning, trigger: "In one message, option 67 and the `file` field name different files, option 66 and siaddr name different servers, or option 52 overload hides the file/sname fields.", fix: "Set the boot file in one place only (dnsmasq `dhcp-boot`, ISC `filename`), keep next-server and option 66 the same.", screen: &[] },
    RuleDoc { id: "proxy-missing-vendor-class", severity: Error, trigger: "An offer without an address (a proxy offer) lacks option 60 `PXEClient`; firmware ignores it.", fix: "A proxyDHCP must send option 60 `PXEClient` (dnsmasq does with `dhcp-range=…,proxy`).", screen: &["PXE-E53", "PXE-E55", "PXE-E74"] },
    RuleDoc { id: "proxy-unanswered", severity: Error, trigger: "The client sent a REQUEST to a boot server on port 4011 and got no reply (at least 3 s of capture after it).", fix: "Make sure the proxy listens on UDP 4011 and no firewall drops it (`firewall-cmd --add-port=4011/udp`).", screen: &["PXE-E55"] },
    RuleDoc { id: "proxy-wrong-port", severity: Warning, trigger: "A boot-server reply did not come from port 4011, or did not go back to the port the request came from (68 for BIOS/iPXE, 4011 for UEFI).", fix: "The boot server must answer from 4011 to the request's source port; some firmware drops other replies. Fix or replace the proxy.", screen: &["PXE-E55"] },
    RuleDoc { id: "proxy-offer-late", severity: Warning, trigger: "The proxy offer arrived after the client had already sent its REQUEST while no DHCP offer carried boot info (iPXE waits only about 2 s for proxy offers).", fix: "Speed up the proxy, or put the boot info on the DHCP server itself.", screen: &["PXE-E53"] },
    RuleDoc { id: "arch-unknown", severity: Warning, trigger: "A PXE client sent neither option 93 nor an `Arch:` field in option 60, or the two disagree.", fix: "Servers choose the boot file by architecture; without it they guess. Match on the vendor class or MAC instead.", screen: &[] },
    RuleDoc { id: "arch-mismatch", severity: Error, trigger: "The boot file does not fit the client's architecture: from the file's bytes (PE machine type and subsystem) when its first block was captured, else from its name (said in the message). Codes 7 and 9 are both x64 UEFI (RFC 4578 erratum).", fix: "Map architectures to files: dnsmasq `dhcp-match=set:efi64,option:client-arch,7` + `dhcp-boot=tag:efi64,ipxe.efi`; ISC `if option arch = 00:07 { filename \"ipxe.efi\"; }`.", screen: &["PXE-E79", "Failed to load", "NBP is too big", "Image is not a valid EFI application"] },
    RuleDoc { id: "tftp-file-not-found", severity: Error, trigger: "A required file got TFTP error 1: the boot file, or a file after which nothing else was fetched successfully. Not-found cascades the client recovers from (pxelinux.cfg/01-MAC, grub *.lst, autoexec.ipxe) are normal and not reported.", fix: "Put the file under the TFTP root with the exact name and case the client asked for (check the server's root and path prefix).", screen: &["PXE-E32", "TFTP open timeout", "File not found", "error: file", "Failed to load"] },
    RuleDoc { id: "tftp-error", severity: Error, trigger: "Any other TFTP error ends a required transfer (access violation, disk full, illegal operation, unknown TID, server-side timeouts).", fix: "Read the error text; access violation usually means file permissions (the server runs as an unprivileged user) or a path outside the root.", screen: &["PXE-E3B", "PXE-E38", "TFTP error"] },
    RuleDoc { id: "tftp-no-response", severity: Error, trigger: "A TFTP request was never answered (retransmitted, or at least 3 s of capture after it); ICMP port-unreachable is mentioned when it came back.", fix: "Check that a TFTP server runs on the next-server address and that UDP 69 and the ephemeral data ports pass the firewall (conntrack-tftp helper).", screen: &["PXE-E32", "TFTP open timeout"] },
    RuleDoc { id: "tftp-incomplete", severity: Error, trigger: "A transfer started and never reached its final block while the capture went on for 5 s or more (stall, client or server gave up), with no successful retry.", fix: "Look at the last block: a blksize above the path MTU, a firewall dropping fragments, or a server timeout. Lower blksize (dnsmasq `tftp-mtu=`), fix the path.", screen: &["PXE-E3B", "PXE-E35", "timeout reading", "error: timeout"] },
    RuleDoc { id: "tftp-retransmits", severity: Warning, trigger: "5 % or more of a transfer's blocks were sent again, or one block was sent 3 times or more.", fix: "Packet loss between client and server: check duplex, errors on the switch ports, wireless bridges, and windowsize/blksize settings.", screen: &[] },
    RuleDoc { id: "tftp-blksize-fragmented", severity: Warning, trigger: "The negotiated blksize makes IP packets larger than 1500 bytes, so blocks travel as IP fragments.", fix: "Limit blksize to the path MTU minus 32 (1468 for Ethernet): dnsmasq `tftp-mtu=1500`, tftpd-hpa `--blocksize 1468`.", screen: &[] },
    RuleDoc { id: "tftp-options-ignored", severity: Info, trigger: "The client asked for TFTP options and the server answered without any OACK (512-byte blocks, no tsize). A partial OACK is legal and not this finding.", fix: "Use a server with RFC 2347 option negotiation for faster transfers (tftpd-hpa, dnsmasq).", screen: &[] },
    RuleDoc { id: "arp-unanswered", severity: Error, trigger: "The client ARPed for its boot server and got no reply, and never reached it.", fix: "The next-server address is wrong or unreachable on this segment (routed next-server needs a gateway in the offer).", screen: &["PXE-E11", "ARP timeout"] },
    RuleDoc { id: "ipxe-chainload-loop", severity: Error, trigger: "An iPXE stage was handed an iPXE binary again (a second time after an earlier stage got one), or loaded the same iPXE binary twice.", fix: "Hand iPXE clients a script instead: dnsmasq `dhcp-match=set:ipxe,175` + `dhcp-boot=tag:ipxe,http://…/boot.ipxe`; ISC `if exists user-class and option user-class = \"iPXE\" { filename \"…\"; }`.", screen: &[] },
    RuleDoc { id: "http-boot-no-url", severity: Error, trigger: "A UEFI HTTPClient got no boot URL.", fix: "Answer HTTPClient with option 60 `HTTPClient` and the URL in option 67 (dnsmasq `dhcp-boot=tag:http,http://…/bootx64.efi`).", screen: &["Failed to load", "HTTP Boot timeout"] },
    RuleDoc { id: "http-error", severity: Error, trigger: "An HTTP boot download failed: an HTTP error status, a reset connection, or a stall of 5 s or more while the capture went on, with no successful retry.", fix: "Check the URL the DHCP server hands out (option 67), that the HTTP server serves that path, and proxies/firewalls on the way.", screen: &["HTTP Boot", "Failed to load"] },
    RuleDoc { id: "dhcpv6-no-boot-url", severity: Error, trigger: "A DHCPv6 netboot client (arch option 61 or option 59 requested) got answers but no option 59 boot URL, or one that is not a URL.", fix: "Send option 59 `tftp://[server]/file` (dnsmasq `dhcp-option=option6:bootfile-url,…`).", screen: &["PXE-E16", "No configuration methods succeeded"] },
    RuleDoc { id: "dhcp-offers-ignored", severity: Error, trigger: "Offers reached the client in two or more DISCOVER rounds (each round answered) and it never sent a REQUEST or a 4011 request. Not reported when no offer pointed at a boot at all (dhcp-no-boot-file), or when proxy-missing-vendor-class or relay-reply-misrouted explains the silence.", fix: "Most often the \"dual offer\": the address from one server, the boot info from a proxyDHCP, on firmware that does not merge them. Put the boot options (option 66/67, or 60 PXEClient + 43) on the main DHCP server, or make the proxy the only answer for PXE clients; if the replies went to another port or address, fix the server or relay sending them.", screen: &["PXE-E18", "PXE-E16", "PXE-E51", "Server response timeout", "No valid offer received"] },
    RuleDoc { id: "relay-reply-misrouted", severity: Error, trigger: "A reply to a relayed request (giaddr set) was not sent to giaddr:67 (e.g. broadcast on the server's own segment), so the relay never forwards it. The relay's own copy to the client is normal.", fix: "The DHCP/proxy server must answer relayed requests unicast to the relay (giaddr, port 67). Fix the server (some proxyDHCP implementations broadcast), or run the proxy on the client's segment.", screen: &["PXE-E51", "PXE-E18", "PXE-E16"] },
    RuleDoc { id: "boot-file-name-suspect", severity: Warning, trigger: "The offered boot file name carries bytes after a NUL, 0xFF, control characters, edge whitespace or non-UTF-8 bytes (trailing NUL padding is normal), or the RRQ that asked for it spells it differently (extra bytes, case, a leading slash) and did not succeed. Both spellings are quoted with their bytes in hex. Raised as an error when the refused request is that name: the refusal (tftp-file-not-found) is then folded into it, the cause.", fix: "Send the exact name: in Kea write option 67 with a trailing NUL or use the `file` field (old ROMs read past a length-counted name onto the END byte 0xFF); remove stray whitespace/quotes from the server config; match the case the TFTP server has on disk.", screen: &["PXE-E3B", "PXE-E23", "File not found", "NBP filesize is 0 Bytes"] },
    RuleDoc { id: "boot-url-to-pxe-client", severity: Error, trigger: "A URL (http://, https://, tftp://, ftp://) was handed as the boot file to a plain PXE client (PXEClient, neither HTTPClient nor iPXE), which can only fetch a file name by TFTP.", fix: "Give PXE firmware a TFTP file (e.g. ipxe.efi / undionly.kpxe) and hand the URL only to iPXE (dnsmasq `dhcp-match=set:ipxe,175` + `dhcp-boot=tag:ipxe,http://…`) or to HTTPClient (UEFI HTTP boot).", screen: &["NBP filesize is 0 Bytes", "PXE-E99", "PXE-E23", "TFTP Error"] },
    RuleDoc { id: "nbp-rejected", severity: Error, trigger: "The boot file was transferred completely, then the same firmware started a new attempt (a PXEClient/HTTPClient DISCOVER or a DHCPv6 SOLICIT) without asking for any other file: it refused or lost the image. A fallback after the image read another file is normal. Whether an EFI image carries an Authenticode signature is reported (`signed`).", fix: "With Secure Boot on, boot a signed chain (shimx64.efi → signed grubx64.efi) or enroll the signer; otherwise check the image's format and architecture and that it is not damaged (compare its size and checksum on the server).", screen: &["Access Denied", "Secure Boot Violation", "Security Violation", "Exec format error", "Unsupported", "PXE-E99"] },
    RuleDoc { id: "tftp-reply-wrong-source", severity: Error, trigger: "The answer to a TFTP read came from another address than the one the request went to (NAT, a virtual IP, a multi-homed server) and the client ignored it (it kept asking, or sent ICMP unreachable).", fix: "Make the TFTP server answer from the address the client asked (bind it to that address: `in.tftpd --address`, dnsmasq `tftp-single-port`/listen-address), or fix the SNAT/Docker rule that rewrites the reply's source (run the container with host networking).", screen: &["PXE-E32", "TFTP open timeout", "PXE-E18"] },
    RuleDoc { id: "dhcpv6-status-error", severity: Error, trigger: "A DHCPv6 netboot client's SOLICIT/REQUEST was answered with a failure status (NoAddrsAvail, NoBinding, NotOnLink, UseMulticast, UnspecFail; top level or inside the IA) and no address.", fix: "Give the DHCPv6 server a range (or a reservation) for this link, or configure it for stateless netboot the client supports; read the status text: NotOnLink means the server thinks the client is on another link (relay link-address).", screen: &["PXE-E16", "No configuration methods succeeded"] },
    RuleDoc { id: "ipxe-no-script", severity: Error, trigger: "A chainloaded iPXE stage got an address but no script or file of its own (no boot file, or only the firmware's boot file again, not an iPXE binary) and stopped; `autoexec.ipxe` not found is shown as evidence. When it was handed an iPXE binary again, that is ipxe-chainload-loop.", fix: "Answer iPXE (user class `iPXE` / option 175) with a script: dnsmasq `dhcp-match=set:ipxe,175` + `dhcp-boot=tag:ipxe,http://…/boot.ipxe`; ISC `if exists user-class and option user-class = \"iPXE\" { filename \"http://…\"; }`; or embed a script in the iPXE binary.", screen: &["No more network devices", "autoexec.ipxe", "Nothing to boot"] },
    RuleDoc { id: "analysis-truncated", severity: Warning, trigger: "The capture ends mid-session, is damaged, or packets were cut by snaplen, so conclusions are partial.", fix: "Capture longer, with full snaplen (`tcpdump -s 0`), and keep TFTP data ports (not just `port 69`).", screen: &[] },
    RuleDoc { id: "expectation-failed", severity: Error, trigger: "An `--expect` file's check did not hold (arch, outcome, fetched files, findings that must or must not appear).", fix: "Read the message: it names the client and the check that failed.", screen: &[] },
    RuleDoc { id: "analysis-capped", severity: Warning, trigger: "A memory cap on tracked sessions or transfers was hit; some traffic was not analysed.", fix: "Split the capture by client, or raise the caps.", screen: &[] },
];

/// The README's catalogue table (a test keeps the README equal to this).
pub fn markdown_table() -> String {
    let mut s = String::from("| ID | severity | when | fix | on screen |\n|---|---|---|---|---|\n");
    for r in RULES {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            r.id,
            r.severity.name(),
            r.trigger.replace('|', "\\|"),
            r.fix.replace('|', "\\|"),
            r.screen.join(", ")
        ));
    }
    s
}

pub fn rule(id: &str) -> Option<&'static RuleDoc> {
    RULES.iter().find(|r| r.id == id)
}

/// Rules whose on-screen messages match `code` (e.g. "PXE-E53", "Failed to load").
pub fn by_screen(code: &str) -> Vec<&'static RuleDoc> {
    let c = code.to_ascii_lowercase();
    RULES
        .iter()
        .filter(|r| {
            r.screen
                .iter()
                .any(|s| s.to_ascii_lowercase().contains(&c) || c.contains(&s.to_ascii_lowercase()))
        })
        .collect()
}
