//! A synthetic PXE client, sans-IO and clock-free: frames and the time go in, frames come out.
//! It behaves like firmware where that matters to servers: the vendor class, options 93/94/97
//! and the parameter list real ROMs send; offers collected for a while and chosen the PXE way
//! (an address from one server, boot info from it or from a proxy); a boot-server request to
//! port 4011 when a proxy says so (UEFI always asks, as OVMF does); ARP for the TFTP server;
//! and TFTP with the option sequences real firmware uses (OVMF's tsize probe aborted with
//! error 8, then blksize+windowsize; iPXE's single request).

use super::packet::{arp_frame, dhcp_request, udp_frame, BROADCAST_MAC};
use crate::proto::{arch_info, FileKind};
use crate::wire::dhcp4::Dhcp4;
use crate::wire::dhcp4::MessageType;
use crate::wire::link::{fmt_mac, ArpPacket, Mac};
use crate::wire::tftp::{self, Request, Tftp};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::net::Ipv4Addr;

const SEC: i64 = 1_000_000_000;

/// The TFTP option sequence to imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TftpProfile {
    /// OVMF/EDK2: RRQ tsize=0 blksize=1468 → OACK → ERROR 8; RRQ blksize=1468 windowsize=4.
    Ovmf,
    /// Intel/legacy PXE ROM and pxelinux: tsize probe aborted, then blksize 1432 with tsize.
    Pxe,
    /// iPXE: one RRQ with blksize 1432 and tsize.
    Ipxe,
    /// No options: RFC 1350 512-byte blocks.
    Plain,
}

#[derive(Debug, Clone)]
pub struct Identity {
    pub mac: Mac,
    /// Option 93 / the vendor class's Arch field.
    pub arch: u16,
    /// Second stage: user class "iPXE" (77) and iPXE's feature option 175.
    pub ipxe: bool,
    pub uuid: [u8; 16],
}

impl Identity {
    pub fn http(&self) -> bool {
        arch_info(self.arch).http
    }

    /// Option 60 as firmware builds it: `PXEClient:Arch:00007:UNDI:003016`.
    pub fn vendor_class(&self) -> String {
        let (kind, undi) = if self.http() {
            ("HTTPClient", "003016")
        } else if self.arch == 0 {
            ("PXEClient", "002001")
        } else {
            ("PXEClient", "003016")
        };
        format!("{kind}:Arch:{:05}:UNDI:{undi}", self.arch)
    }
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Keep collecting offers this long after the first one (unless one already has it all).
    pub offer_wait_ns: i64,
    /// Give up on the whole boot after this long.
    pub timeout_ns: i64,
    /// TFTP/ARP/4011 retransmission interval and retry budget.
    pub retry_ns: i64,
    pub retries: u32,
    pub profile: TftpProfile,
    pub blksize: Option<u16>,
    pub windowsize: Option<u16>,
    pub fetch: bool,
    pub release: bool,
    pub verify_arch: bool,
    /// Keep the whole file in memory (for --save); otherwise only its hash and first bytes.
    pub keep_data: bool,
    pub tftp_port: u16,
    /// Follow iPXE chainloading: when the boot file is an iPXE binary, boot again as iPXE
    /// (user class iPXE, option 175) and fetch what that stage is given.
    pub chain: bool,
    /// Stop at the first offer (DISCOVER floods: no REQUEST, so no lease is taken).
    pub discover_only: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            offer_wait_ns: 2 * SEC,
            timeout_ns: 30 * SEC,
            retry_ns: SEC,
            retries: 10,
            profile: TftpProfile::Ovmf,
            blksize: None,
            windowsize: None,
            fetch: true,
            release: true,
            verify_arch: false,
            keep_data: false,
            tftp_port: 69,
            chain: false,
            discover_only: false,
        }
    }
}

/// Milliseconds from the first DISCOVER to each milestone.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub offer_ms: Option<f64>,
    pub ack_ms: Option<f64>,
    pub boot_server_ms: Option<f64>,
    pub tftp_first_byte_ms: Option<f64>,
    /// From the first DATA block to the last.
    pub transfer_ms: Option<f64>,
    pub total_ms: Option<f64>,
}

/// What one synthetic client saw and got.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProbeResult {
    pub mac: String,
    pub arch: u16,
    pub arch_name: String,
    pub vendor_class: String,
    pub ipxe: bool,
    pub ok: bool,
    /// Why it failed, in firmware terms.
    pub failure: Option<String>,
    pub leased_ip: Option<Ipv4Addr>,
    /// DHCPv6 (--dhcpv6): the IA_NA address.
    pub leased_ip6: Option<std::net::Ipv6Addr>,
    pub dhcp_server: Option<Ipv4Addr>,
    pub proxy_server: Option<Ipv4Addr>,
    pub offers: usize,
    pub boot_server: Option<Ipv4Addr>,
    pub boot_file: Option<String>,
    /// HTTP boot: the URL offered (fetched only when the interface has an address).
    pub boot_url: Option<String>,
    /// HTTP status of the boot file download (HTTP boot identities with an interface address).
    pub http_status: Option<u16>,
    pub tsize: Option<u64>,
    pub negotiated: Vec<(String, String)>,
    pub bytes: u64,
    pub sha256: Option<String>,
    pub file_kind: Option<FileKind>,
    /// `--verify-arch`: does the file's content fit the identity's architecture?
    pub arch_ok: Option<bool>,
    pub retransmits: u32,
    pub released: bool,
    /// With --chain: the stages before the last one (file, bytes, sha256).
    pub chain: Vec<ChainStage>,
    pub timings: Timings,
}

impl ProbeResult {
    pub fn for_identity(id: &Identity) -> ProbeResult {
        ProbeResult {
            mac: fmt_mac(&id.mac),
            arch: id.arch,
            arch_name: arch_info(id.arch).name().to_string(),
            vendor_class: id.vendor_class(),
            ipxe: id.ipxe,
            ..Default::default()
        }
    }
}

/// When a client next needs `poll`: its retransmission timer or its overall timeout.
pub fn next_deadline(done: bool, deadline: i64, start_ns: i64, timeout_ns: i64) -> i64 {
    if done {
        i64::MAX
    } else {
        deadline.min(start_ns.saturating_add(timeout_ns))
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ChainStage {
    pub file: String,
    pub bytes: u64,
    pub sha256: Option<String>,
}

#[derive(Debug, Clone)]
struct OfferSeen {
    from_mac: Mac,
    server_id: Ipv4Addr,
    yiaddr: Ipv4Addr,
    siaddr: Ipv4Addr,
    file: Option<String>,
    tftp_server_name: Option<String>,
    pxe_class: bool,
    /// Option 43 with a boot menu: the first item's type (for the 4011 request).
    boot_item: Option<u16>,
    has_opt43: bool,
}

impl OfferSeen {
    /// Carries boot info: a file, or (a proxy) PXEClient, which says "ask me on 4011".
    fn boot_info(&self) -> bool {
        self.file.is_some() || (self.pxe_class && (self.has_opt43 || self.yiaddr.is_unspecified()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Selecting,
    Requesting,
    BootServer,
    Arp,
    Tftp,
    Done,
}

struct TftpState {
    local_port: u16,
    server_port: Option<u16>,
    probing: bool,
    blksize: usize,
    windowsize: u16,
    expected: u16,
    in_window: u16,
    gap_acked: Option<u16>,
    hasher: Sha256,
    head: Vec<u8>,
    data: Vec<u8>,
    got_oack: bool,
}

pub struct Client {
    pub id: Identity,
    cfg: ClientConfig,
    phase: Phase,
    xid: u32,
    start_ns: i64,
    deadline: i64,
    attempt: u32,
    offers: Vec<OfferSeen>,
    first_offer_ns: Option<i64>,
    chosen: Option<OfferSeen>,
    boot: Option<OfferSeen>,
    ip: Option<Ipv4Addr>,
    server_macs: Vec<(Ipv4Addr, Mac)>,
    tftp_server: Option<Ipv4Addr>,
    tftp: Option<TftpState>,
    /// The last frame sent in the current step, for retransmission.
    last: Vec<u8>,
    next_port: u16,
    first_data_ns: Option<i64>,
    pub result: ProbeResult,
    /// The fetched file when `keep_data` is on.
    pub data: Option<Vec<u8>>,
}

fn ms(from: i64, to: i64) -> Option<f64> {
    Some((to - from) as f64 / 1e6)
}

fn dotted(s: &str) -> Option<Ipv4Addr> {
    s.trim().parse().ok()
}

/// The first boot-menu item type in option 43 (sub-option 9), as the PXE spec's discovery uses.
fn first_menu_item(opt43: &[u8]) -> Option<u16> {
    let mut i = 0;
    while i + 1 < opt43.len() {
        let (code, len) = (opt43[i], usize::from(opt43[i + 1]));
        if code == 255 {
            break;
        }
        if code == 0 {
            i += 1;
            continue;
        }
        let v = opt43.get(i + 2..i + 2 + len)?;
        if code == 9 && v.len() >= 2 {
            return Some(u16::from_be_bytes([v[0], v[1]]));
        }
        i += 2 + len;
    }
    None
}

impl Client {
    pub fn new(id: Identity, cfg: ClientConfig, xid: u32) -> Client {
        let result = ProbeResult::for_identity(&id);
        // Ephemeral TFTP ports per client, away from well-known ones.
        let next_port = 10_000 + (xid % 40_000) as u16;
        Client {
            id,
            cfg,
            phase: Phase::Idle,
            xid,
            start_ns: 0,
            deadline: i64::MAX,
            attempt: 0,
            offers: vec![],
            first_offer_ns: None,
            chosen: None,
            boot: None,
            ip: None,
            server_macs: vec![],
            tftp_server: None,
            tftp: None,
            last: vec![],
            next_port,
            first_data_ns: None,
            result,
            data: None,
        }
    }

    pub fn done(&self) -> bool {
        self.phase == Phase::Done
    }

    pub fn deadline(&self) -> i64 {
        next_deadline(
            self.done(),
            self.deadline,
            self.start_ns,
            self.cfg.timeout_ns,
        )
    }

    pub fn leased_ip(&self) -> Option<Ipv4Addr> {
        self.ip
    }

    /// The IP this client is waiting to resolve with ARP.
    pub fn resolving(&self) -> Option<Ipv4Addr> {
        (self.phase == Phase::Arp)
            .then_some(self.tftp_server)
            .flatten()
    }

    fn mac_of(&self, ip: Ipv4Addr) -> Option<Mac> {
        self.server_macs
            .iter()
            .find(|(i, _)| *i == ip)
            .map(|(_, m)| *m)
    }

    fn learn(&mut self, ip: Ipv4Addr, mac: Mac) {
        if ip.is_unspecified() || ip.is_broadcast() {
            return;
        }
        if let Some(e) = self.server_macs.iter_mut().find(|(i, _)| *i == ip) {
            e.1 = mac;
        } else {
            self.server_macs.push((ip, mac));
        }
    }

    fn secs(&self, now: i64) -> u16 {
        ((now - self.start_ns) / SEC).clamp(0, 65535) as u16
    }

    /// The options firmware sends in DISCOVER and REQUEST (OVMF's parameter list), after 53
    /// (which `dhcp_request` writes first), in the firmware's order.
    fn base_options(&self) -> Vec<(u8, Vec<u8>)> {
        let mut o: Vec<(u8, Vec<u8>)> = vec![(57, 1472u16.to_be_bytes().to_vec())];
        o.push((
            55,
            vec![
                1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58,
                59, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135, 175,
            ],
        ));
        let mut uuid = vec![0u8];
        uuid.extend_from_slice(&self.id.uuid);
        o.push((97, uuid));
        o.push((
            94,
            if self.id.arch == 0 {
                vec![1, 2, 1]
            } else {
                vec![1, 3, 16]
            },
        ));
        o.push((93, self.id.arch.to_be_bytes().to_vec()));
        o.push((60, self.id.vendor_class().into_bytes()));
        if self.id.ipxe {
            o.push((77, b"iPXE".to_vec()));
            // iPXE's feature list: version 1.21, PXE ext, HTTP, DNS, TFTP, bzImage, EFI (sub-options as iPXE sends them).
            o.push((
                175,
                vec![
                    0xeb, 3, 1, 21, 1, 0x10, 1, 2, 0x13, 1, 1, 0x11, 1, 1, 0x15, 1, 1, 0x18, 1, 1,
                    0x19, 1, 1,
                ],
            ));
        }
        o
    }

    fn send_discover(&mut self, now: i64) -> Vec<Vec<u8>> {
        let d = dhcp_request(
            MessageType::Discover,
            self.xid,
            self.secs(now),
            true,
            Ipv4Addr::UNSPECIFIED,
            self.id.mac,
            &self.base_options(),
        );
        let f = udp_frame(
            self.id.mac,
            BROADCAST_MAC,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::BROADCAST,
            68,
            67,
            &d,
        );
        // PXE firmware retransmits at 4, 8, 16, 32 s; halve it so probes fail fast.
        self.deadline = now + ((2 * SEC) << self.attempt.min(4));
        self.attempt += 1;
        vec![f]
    }

    pub fn start(&mut self, now: i64) -> Vec<Vec<u8>> {
        self.start_ns = now;
        self.phase = Phase::Selecting;
        self.send_discover(now)
    }

    /// TFTP only (benchmarks against plain TFTP servers): a fixed address, server and file;
    /// ARP, then the transfer, no DHCP.
    pub fn start_static(
        &mut self,
        now: i64,
        ip: Ipv4Addr,
        server: Ipv4Addr,
        file: &str,
    ) -> Vec<Vec<u8>> {
        self.start_ns = now;
        self.ip = Some(ip);
        self.result.leased_ip = Some(ip);
        self.result.boot_file = Some(file.to_string());
        self.result.boot_server = Some(server);
        self.tftp_server = Some(server);
        self.phase = Phase::Arp;
        self.attempt = 0;
        self.send_arp(now)
    }

    fn fail(&mut self, now: i64, why: String) -> Vec<Vec<u8>> {
        self.result.ok = false;
        self.result.failure = Some(why);
        self.finish(now)
    }

    fn finish(&mut self, now: i64) -> Vec<Vec<u8>> {
        self.phase = Phase::Done;
        self.result.timings.total_ms = ms(self.start_ns, now);
        let mut out = vec![];
        if let (true, Some(ip), Some(ch)) = (self.cfg.release, self.ip, self.chosen.clone()) {
            if let Some(mac) = self.mac_of(ch.server_id).or(Some(ch.from_mac)) {
                let opts = vec![(54, ch.server_id.octets().to_vec())];
                let d = dhcp_request(
                    MessageType::Release,
                    self.xid.wrapping_add(1),
                    0,
                    false,
                    ip,
                    self.id.mac,
                    &opts,
                );
                out.push(udp_frame(self.id.mac, mac, ip, ch.server_id, 68, 67, &d));
                self.result.released = true;
            }
        }
        out
    }

    /// A DHCP reply addressed to this client (matched by chaddr).
    pub fn on_dhcp(
        &mut self,
        now: i64,
        m: &Dhcp4<'_>,
        src_mac: Mac,
        src_ip: Ipv4Addr,
        sport: u16,
    ) -> Vec<Vec<u8>> {
        if m.op != 2 || m.xid != self.xid {
            return vec![];
        }
        let opt43 = m.opt_concat(43);
        let seen = OfferSeen {
            from_mac: src_mac,
            server_id: m.server_id().unwrap_or(src_ip),
            yiaddr: m.yiaddr,
            siaddr: m.siaddr,
            file: m.opt_str(67).or_else(|| m.file()).filter(|f| !f.is_empty()),
            tftp_server_name: m.opt_str(66),
            pxe_class: m
                .opt_str(60)
                .is_some_and(|v| crate::proto::is_netboot_class(&v)),
            boot_item: opt43.as_deref().and_then(first_menu_item),
            has_opt43: opt43.is_some(),
        };
        self.learn(src_ip, src_mac);
        self.learn(seen.server_id, src_mac);
        match (self.phase, m.msg_type()) {
            (Phase::Selecting, Some(2)) => {
                self.result.offers += 1;
                if self.first_offer_ns.is_none() {
                    self.first_offer_ns = Some(now);
                    self.result.timings.offer_ms = ms(self.start_ns, now);
                    self.deadline = now + self.cfg.offer_wait_ns;
                }
                self.offers.push(seen);
                if self.cfg.discover_only {
                    self.result.ok = true;
                    return self.finish(now);
                }
                if self
                    .selection()
                    .is_some_and(|(a, b)| a.boot_info() || b.is_some())
                {
                    return self.request(now);
                }
                vec![]
            }
            (Phase::Requesting, Some(5)) if sport == 67 || sport != 4011 => {
                let Some(ch) = self.chosen.clone() else {
                    return vec![];
                };
                if m.server_id().is_some_and(|s| s != ch.server_id) {
                    return vec![];
                }
                self.ip = Some(m.yiaddr);
                self.result.leased_ip = Some(m.yiaddr);
                self.result.timings.ack_ms = ms(self.start_ns, now);
                // The ACK's boot info wins over the OFFER's when there is no proxy.
                if self
                    .boot
                    .as_ref()
                    .is_none_or(|b| b.server_id == ch.server_id)
                    && seen.boot_info()
                {
                    self.boot = Some(seen);
                }
                self.after_ack(now)
            }
            (Phase::Requesting, Some(6)) => self.fail(now, "DHCP NAK (PXE-E51)".into()),
            (Phase::BootServer, Some(5)) if sport == 4011 => {
                self.result.timings.boot_server_ms = ms(self.start_ns, now);
                self.result.boot_server = Some(seen.server_id);
                self.boot = Some(seen);
                self.fetch(now)
            }
            _ => vec![],
        }
    }

    /// The address offer and the boot-info offer (a proxy's, if the address offer has none).
    fn selection(&self) -> Option<(OfferSeen, Option<OfferSeen>)> {
        let addr = self.offers.iter().filter(|o| !o.yiaddr.is_unspecified());
        let best = addr
            .clone()
            .find(|o| o.boot_info())
            .or_else(|| addr.clone().next())?
            .clone();
        let proxy = if best.boot_info() {
            None
        } else {
            self.offers
                .iter()
                .find(|o| o.yiaddr.is_unspecified() && o.pxe_class)
                .cloned()
        };
        Some((best, proxy))
    }

    fn request(&mut self, now: i64) -> Vec<Vec<u8>> {
        let Some((addr, proxy)) = self.selection() else {
            return vec![];
        };
        self.phase = Phase::Requesting;
        self.result.dhcp_server = Some(addr.server_id);
        self.result.proxy_server = proxy.as_ref().map(|p| p.server_id);
        self.boot = if addr.boot_info() {
            Some(addr.clone())
        } else {
            proxy
        };
        self.chosen = Some(addr.clone());
        let mut o = self.base_options();
        o.insert(0, (50, addr.yiaddr.octets().to_vec()));
        o.insert(1, (54, addr.server_id.octets().to_vec()));
        let d = dhcp_request(
            MessageType::Request,
            self.xid,
            self.secs(now),
            true,
            Ipv4Addr::UNSPECIFIED,
            self.id.mac,
            &o,
        );
        let f = udp_frame(
            self.id.mac,
            BROADCAST_MAC,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::BROADCAST,
            68,
            67,
            &d,
        );
        self.last = f.clone();
        self.attempt = 0;
        self.deadline = now + 2 * SEC;
        vec![f]
    }

    fn after_ack(&mut self, now: i64) -> Vec<Vec<u8>> {
        let Some(boot) = self.boot.clone() else {
            return self.fail(now, "no boot filename received (PXE-E53)".into());
        };
        let Some(ch) = &self.chosen else {
            return vec![];
        };
        let from_proxy = boot.server_id != ch.server_id && boot.yiaddr.is_unspecified();
        // UEFI firmware always does boot-server discovery with a proxy; BIOS ROMs and iPXE only
        // when the proxy gave no file (a boot menu instead).
        // A boot menu in the DHCP server's own offer (dnsmasq or serve with pxe-service in full
        // DHCP mode) means the same: ask that server's 4011 for the first item.
        let menu_only = boot.file.is_none() && boot.boot_item.is_some();
        let ask_4011 = (from_proxy
            && (boot.file.is_none() || (self.id.arch != 0 && !self.id.ipxe)))
            || menu_only;
        if ask_4011 {
            return self.boot_server_request(now, &boot);
        }
        self.fetch(now)
    }

    fn boot_server_request(&mut self, now: i64, proxy: &OfferSeen) -> Vec<Vec<u8>> {
        let (Some(ip), Some(mac)) = (
            self.ip,
            self.mac_of(proxy.server_id).or(Some(proxy.from_mac)),
        ) else {
            return vec![];
        };
        self.phase = Phase::BootServer;
        let mut o = self.base_options();
        // PXE boot item: the menu's first type, layer 0. Without a menu, firmware (OVMF) sends
        // no option 43 at all, and dnsmasq ignores a request for an item it never offered.
        if let Some(item) = proxy.boot_item {
            let it = item.to_be_bytes();
            o.push((43, vec![71, 4, it[0], it[1], 0, 0, 255]));
        }
        let d = dhcp_request(
            MessageType::Request,
            self.xid,
            self.secs(now),
            false,
            ip,
            self.id.mac,
            &o,
        );
        // BIOS ROMs send from port 68, UEFI from 4011 (the lab captures show both).
        let sport = if self.id.arch == 0 { 68 } else { 4011 };
        let f = udp_frame(self.id.mac, mac, ip, proxy.server_id, sport, 4011, &d);
        self.last = f.clone();
        self.attempt = 0;
        self.deadline = now + 2 * self.cfg.retry_ns;
        vec![f]
    }

    fn fetch(&mut self, now: i64) -> Vec<Vec<u8>> {
        let Some(boot) = self.boot.clone() else {
            return self.fail(now, "no boot filename received (PXE-E53)".into());
        };
        let Some(file) = boot.file.clone() else {
            return self.fail(now, "no boot filename received (PXE-E53)".into());
        };
        self.result.boot_file = Some(file.clone());
        if file.contains("://") {
            self.result.boot_url = Some(file.clone());
            if self.id.http() || file.starts_with("http") {
                // HTTP boot (or an iPXE stage handed a URL): the URL is the answer; fetching it
                // needs a kernel address and TCP, which probe does not do.
                self.result.ok = self.id.http() || self.id.ipxe;
                if !self.result.ok {
                    self.result.failure =
                        Some(format!("a PXE (TFTP) client was handed URL {file}"));
                }
                return self.finish(now);
            }
        }
        if self.id.http() {
            return self.fail(
                now,
                format!("an HTTP boot client was handed `{file}`, not a URL"),
            );
        }
        if !self.cfg.fetch {
            self.result.ok = true;
            return self.finish(now);
        }
        let server = if !boot.siaddr.is_unspecified() {
            boot.siaddr
        } else if let Some(ip) = boot.tftp_server_name.as_deref().and_then(dotted) {
            ip
        } else {
            boot.server_id
        };
        self.tftp_server = Some(server);
        self.result.boot_server = Some(server);
        self.phase = Phase::Arp;
        self.attempt = 0;
        self.send_arp(now)
    }

    fn send_arp(&mut self, now: i64) -> Vec<Vec<u8>> {
        let (Some(ip), Some(server)) = (self.ip, self.tftp_server) else {
            return vec![];
        };
        self.deadline = now + self.cfg.retry_ns;
        vec![arp_frame(1, self.id.mac, BROADCAST_MAC, ip, [0; 6], server)]
    }

    /// ARP: answer requests for our leased address; take replies for the server we resolve.
    pub fn on_arp(&mut self, now: i64, a: &ArpPacket) -> Vec<Vec<u8>> {
        let Some(ip) = self.ip else { return vec![] };
        if a.op == 1 && a.target_ip == ip && self.phase != Phase::Done {
            self.learn(a.sender_ip, a.sender_mac);
            return vec![arp_frame(
                2,
                self.id.mac,
                a.sender_mac,
                ip,
                a.sender_mac,
                a.sender_ip,
            )];
        }
        if a.op == 2 && Some(a.sender_ip) == self.tftp_server {
            self.learn(a.sender_ip, a.sender_mac);
            if self.phase == Phase::Arp {
                return self.start_tftp(now);
            }
        }
        vec![]
    }

    fn rrq_options(&self, probe: bool) -> Vec<(String, String)> {
        let bs = |d: u16| self.cfg.blksize.unwrap_or(d).to_string();
        let mut o: Vec<(String, String)> = vec![];
        match (self.cfg.profile, probe) {
            (TftpProfile::Plain, _) => {}
            (TftpProfile::Ovmf, true) | (TftpProfile::Pxe, true) => {
                o.push(("tsize".into(), "0".into()));
                if self.cfg.profile == TftpProfile::Ovmf {
                    o.push(("blksize".into(), bs(1468)));
                }
            }
            (TftpProfile::Ovmf, false) => {
                o.push(("blksize".into(), bs(1468)));
                o.push((
                    "windowsize".into(),
                    self.cfg.windowsize.unwrap_or(4).to_string(),
                ));
            }
            (TftpProfile::Pxe, false) | (TftpProfile::Ipxe, _) => {
                o.push(("blksize".into(), bs(1432)));
                o.push(("tsize".into(), "0".into()));
            }
        }
        if self.cfg.profile != TftpProfile::Ovmf && !probe {
            if let Some(w) = self.cfg.windowsize {
                o.push(("windowsize".into(), w.to_string()));
            }
        }
        o
    }

    fn probe_first(&self) -> bool {
        matches!(self.cfg.profile, TftpProfile::Ovmf | TftpProfile::Pxe)
    }

    fn start_tftp(&mut self, now: i64) -> Vec<Vec<u8>> {
        let probe = self.probe_first();
        self.send_rrq(now, probe)
    }

    fn send_rrq(&mut self, now: i64, probing: bool) -> Vec<Vec<u8>> {
        let (Some(ip), Some(server), Some(file)) =
            (self.ip, self.tftp_server, self.result.boot_file.clone())
        else {
            return vec![];
        };
        let Some(mac) = self.mac_of(server) else {
            return vec![];
        };
        self.phase = Phase::Tftp;
        self.next_port = if self.next_port >= 60_000 {
            10_000
        } else {
            self.next_port + 1
        };
        let local_port = self.next_port;
        let req = Request {
            filename: file.into(),
            mode: "octet".into(),
            options: (self.rrq_options(probing).into_iter())
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        };
        self.tftp = Some(TftpState {
            local_port,
            server_port: None,
            probing,
            blksize: 512,
            windowsize: 1,
            expected: 1,
            in_window: 0,
            gap_acked: None,
            hasher: Sha256::new(),
            head: vec![],
            data: vec![],
            got_oack: false,
        });
        let f = udp_frame(
            self.id.mac,
            mac,
            ip,
            server,
            local_port,
            self.cfg.tftp_port,
            &Tftp::Rrq(req).encode(),
        );
        self.last = f.clone();
        self.attempt = 0;
        self.deadline = now + self.cfg.retry_ns;
        vec![f]
    }

    /// The local TFTP port this client listens on now.
    pub fn tftp_port(&self) -> Option<u16> {
        self.tftp.as_ref().map(|t| t.local_port)
    }

    fn to_server(&self, port: u16, payload: &[u8]) -> Option<Vec<u8>> {
        let (ip, server) = (self.ip?, self.tftp_server?);
        Some(udp_frame(
            self.id.mac,
            self.mac_of(server)?,
            ip,
            server,
            self.tftp.as_ref()?.local_port,
            port,
            payload,
        ))
    }

    /// A UDP datagram to our leased address (TFTP from the server).
    // Long on purpose: the guards every packet passes (phase, server, port, TID), then one arm per
    // TFTP opcode; the OACK arm's three cases (size probe, repeat, first) share the transfer.
    pub fn on_udp(
        &mut self,
        now: i64,
        src: Ipv4Addr,
        sport: u16,
        dport: u16,
        payload: &[u8],
    ) -> Vec<Vec<u8>> {
        if self.phase != Phase::Tftp || Some(src) != self.tftp_server {
            return vec![];
        }
        let Some(t) = self.tftp.as_mut() else {
            return vec![];
        };
        if dport != t.local_port {
            return vec![];
        }
        match t.server_port {
            None => t.server_port = Some(sport),
            Some(p) if p != sport => {
                // RFC 1350: a packet from another TID gets ERROR 5 and changes nothing.
                let e = Tftp::Error {
                    code: 5,
                    message: "Unknown transfer ID".into(),
                }
                .encode();
                return self.to_server(sport, &e).into_iter().collect();
            }
            _ => {}
        }
        let Ok(pkt) = Tftp::decode(payload) else {
            return vec![];
        };
        match pkt {
            Tftp::Oack { options } => {
                let Some(t) = self.tftp.as_mut() else {
                    return vec![];
                };
                if let Some(ts) = tftp::option_num(&options, "tsize") {
                    self.result.tsize = Some(ts);
                }
                if t.probing {
                    // OVMF's way: learn the size, abort with error 8, ask again for real.
                    let e = Tftp::Error {
                        code: 8,
                        message: "TFTP Aborted".into(),
                    }
                    .encode();
                    let mut out: Vec<Vec<u8>> = self.to_server(sport, &e).into_iter().collect();
                    out.extend(self.send_rrq(now, false));
                    return out;
                }
                if t.got_oack {
                    return self
                        .to_server(sport, &Tftp::Ack { block: 0 }.encode())
                        .into_iter()
                        .collect();
                }
                t.got_oack = true;
                t.blksize = tftp::option_num(&options, "blksize")
                    .map(|b| b.clamp(8, 65464) as usize)
                    .unwrap_or(512);
                t.windowsize = tftp::option_num(&options, "windowsize")
                    .map(|w| w.clamp(1, 65535) as u16)
                    .unwrap_or(1);
                self.result.negotiated = (options.into_iter())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                let ack = Tftp::Ack { block: 0 }.encode();
                let f = self.to_server(sport, &ack);
                if let Some(f) = &f {
                    self.last = f.clone();
                }
                self.deadline = now + self.cfg.retry_ns;
                self.attempt = 0;
                f.into_iter().collect()
            }
            Tftp::Data { block, data } => self.on_data(now, sport, block, data),
            Tftp::Error { code, message } => self.fail(
                now,
                format!("TFTP error {code} ({}): {message}", tftp::error_name(code)),
            ),
            _ => vec![],
        }
    }

    fn on_data(&mut self, now: i64, sport: u16, block: u16, data: &[u8]) -> Vec<Vec<u8>> {
        let keep = self.cfg.keep_data;
        let Some(t) = self.tftp.as_mut() else {
            return vec![];
        };
        if t.probing {
            // The server ignored our options and started sending: this is the transfer.
            t.probing = false;
        }
        let ahead = block.wrapping_sub(t.expected);
        if ahead != 0 {
            if ahead < 0x8000 {
                // A gap inside the window: ack the last in-order block once (RFC 7440).
                if t.gap_acked != Some(t.expected) {
                    t.gap_acked = Some(t.expected);
                    t.in_window = 0;
                    let ack = Tftp::Ack {
                        block: t.expected.wrapping_sub(1),
                    }
                    .encode();
                    let f = self.to_server(sport, &ack);
                    if let Some(f) = &f {
                        self.last = f.clone(); // what a timeout repeats: our current position
                    }
                    return f.into_iter().collect();
                }
            } else if t.windowsize == 1 && block == t.expected.wrapping_sub(1) {
                // Our ACK was lost: say it again.
                let ack = Tftp::Ack { block }.encode();
                let f = self.to_server(sport, &ack);
                if let Some(f) = &f {
                    self.last = f.clone();
                }
                return f.into_iter().collect();
            }
            return vec![];
        }
        if self.first_data_ns.is_none() {
            self.first_data_ns = Some(now);
            self.result.timings.tftp_first_byte_ms = ms(self.start_ns, now);
        }
        t.hasher.update(data);
        if t.head.len() < 4096 {
            let n = (4096 - t.head.len()).min(data.len());
            t.head.extend_from_slice(&data[..n]);
        }
        if keep {
            t.data.extend_from_slice(data);
        }
        self.result.bytes += data.len() as u64;
        t.expected = t.expected.wrapping_add(1);
        t.in_window += 1;
        t.gap_acked = None;
        let last = data.len() < t.blksize;
        let ack_now = last || t.in_window >= t.windowsize;
        self.deadline = now + self.cfg.retry_ns;
        self.attempt = 0;
        if !ack_now {
            return vec![];
        }
        t.in_window = 0;
        let ack = Tftp::Ack { block }.encode();
        let f = self.to_server(sport, &ack);
        if let Some(f) = &f {
            self.last = f.clone();
        }
        let mut out: Vec<Vec<u8>> = f.into_iter().collect();
        if last {
            out.extend(self.complete(now));
        }
        out
    }

    fn complete(&mut self, now: i64) -> Vec<Vec<u8>> {
        let Some(t) = self.tftp.take() else {
            return vec![];
        };
        self.result.timings.transfer_ms = self.first_data_ns.and_then(|s| ms(s, now));
        let digest = t.hasher.finalize();
        self.result.sha256 = Some(digest.iter().map(|b| format!("{b:02x}")).collect());
        self.result.file_kind = FileKind::sniff(&t.head);
        if self.cfg.keep_data {
            self.data = Some(t.data);
        }
        let file = self.result.boot_file.clone().unwrap_or_default();
        if self.cfg.chain
            && !self.id.ipxe
            && crate::proto::is_ipxe_binary(&file)
            && self.result.chain.len() < 4
        {
            // The ROM ran iPXE: it starts over with DHCP, announcing itself as iPXE.
            self.result.chain.push(ChainStage {
                file,
                bytes: self.result.bytes,
                sha256: self.result.sha256.take(),
            });
            self.result.bytes = 0;
            self.id.ipxe = true;
            self.result.ipxe = true;
            self.cfg.profile = TftpProfile::Ipxe;
            self.xid = self.xid.wrapping_add(0x0101_0101);
            self.offers.clear();
            self.chosen = None;
            self.boot = None;
            self.first_offer_ns = None;
            self.first_data_ns = None;
            self.attempt = 0;
            self.phase = Phase::Selecting;
            return self.send_discover(now);
        }
        self.result.ok = true;
        if self.cfg.verify_arch {
            let fam = arch_info(self.id.arch).family;
            let misfit = self
                .result
                .file_kind
                .as_ref()
                .and_then(|k| crate::proto::file_misfit(fam, k));
            self.result.arch_ok = Some(misfit.is_none());
            if let Some(why) = misfit {
                self.result.ok = false;
                self.result.failure = Some(format!("--verify-arch: {why}"));
            }
        }
        self.finish(now)
    }

    /// Timers: retransmit what the current step last sent, or give up.
    pub fn poll(&mut self, now: i64) -> Vec<Vec<u8>> {
        if self.done() {
            return vec![];
        }
        if now >= self.start_ns.saturating_add(self.cfg.timeout_ns) {
            let why = match self.phase {
                Phase::Selecting if self.offers.is_empty() => {
                    "no DHCP offer received (PXE-E51)".to_string()
                }
                Phase::Selecting => "no usable DHCP offer (PXE-E51)".to_string(),
                Phase::Requesting => "no DHCP ACK received (PXE-E51)".to_string(),
                Phase::BootServer => {
                    "the boot server on port 4011 did not answer (PXE-E55)".to_string()
                }
                Phase::Arp => "ARP timeout for the TFTP server (PXE-E11)".to_string(),
                Phase::Tftp => format!(
                    "TFTP timed out after {} bytes (PXE-E32/E3B)",
                    self.result.bytes
                ),
                Phase::Idle | Phase::Done => "timed out".to_string(),
            };
            return self.fail(now, why);
        }
        if now < self.deadline {
            return vec![];
        }
        match self.phase {
            Phase::Selecting if self.offers.is_empty() => self.send_discover(now),
            Phase::Selecting => {
                if self.selection().is_some() {
                    self.request(now)
                } else {
                    // Only proxy offers (no address): firmware keeps discovering.
                    self.send_discover(now)
                }
            }
            Phase::Requesting | Phase::BootServer | Phase::Tftp => {
                self.attempt += 1;
                let budget = if self.phase == Phase::Tftp {
                    self.cfg.retries
                } else {
                    4
                };
                if self.attempt > budget {
                    let why = match self.phase {
                        Phase::Requesting => "no DHCP ACK received (PXE-E51)".to_string(),
                        Phase::BootServer => {
                            "the boot server on port 4011 did not answer (PXE-E55)".to_string()
                        }
                        _ if self.first_data_ns.is_none() => {
                            "TFTP open timeout: no answer to the read request (PXE-E32)".to_string()
                        }
                        _ => format!(
                            "TFTP transfer stalled after {} bytes (PXE-E3B)",
                            self.result.bytes
                        ),
                    };
                    return self.fail(now, why);
                }
                self.result.retransmits += 1;
                self.deadline =
                    now + self.cfg.retry_ns * if self.phase == Phase::Tftp { 1 } else { 2 };
                vec![self.last.clone()]
            }
            Phase::Arp => {
                self.attempt += 1;
                if self.attempt > 4 {
                    return self.fail(now, "ARP timeout for the TFTP server (PXE-E11)".into());
                }
                self.send_arp(now)
            }
            Phase::Idle | Phase::Done => vec![],
        }
    }
}
