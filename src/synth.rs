//! A deterministic boot-storm generator: `probe`'s synthetic firmware clients booting against
//! `serve`'s DHCP responder and TFTP server, wired together in memory on a virtual clock. The
//! frames that cross the virtual wire are what a capture of that storm would hold, so the
//! benchmarks and tests get realistic traffic (firmware option sets 60/93/94/97, OVMF's tsize
//! probe and windowsize, PXE ROM blksize, retransmissions on timeouts) without a network, and
//! every byte is reproducible from the seed.
//!
//! Some clients are sent to misbehaving servers (serve's fault switches), so the capture holds
//! failures whose finding IDs are known in advance: `Storm::expected` says which.

use crate::probe::client::{Client, ClientConfig, Identity, TftpProfile};
use crate::probe::packet::{arp_frame, udp_frame, BROADCAST_MAC};
use crate::proto::Family;
use crate::serve::dhcp::{DhcpConfig, DhcpFaults, DhcpResponder, Pool};
use crate::serve::tftp::{self, FileStore, Incoming, TftpFaults, Transfer};
use crate::wire::defrag::Defragmenter;
use crate::wire::dhcp4::Dhcp4;
use crate::wire::link::{decode_frame, fmt_mac, Decoded, Mac};
use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::path::Path;

const SEC: i64 = 1_000_000_000;
const SERVER_MAC: Mac = [0x02, 0x5e, 0x00, 0x00, 0x00, 0x01];
const SERVER_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
/// The proxyDHCP + TFTP server of --proxy-share clients.
const PROXY_MAC: Mac = [0x02, 0x5e, 0x00, 0x00, 0x00, 0x02];
const PROXY_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
/// One-way wire latency and the server's and client's think times.
const WIRE_NS: i64 = 150_000;
const THINK_NS: i64 = 20_000;
/// Seconds of quiet capture after the last client (gratuitous ARPs from the server).
const TRAILER_SECS: u32 = 10;
/// What --http-share clients download (the EFI boot file's bytes, over HTTP).
const HTTP_FILE: &str = "ipxe.efi";
/// TCP segment size of the HTTP downloads (1500-byte MTU less IPv4 and TCP headers), and
/// how many segments the server sends before it waits for the client's ACK.
const MSS: usize = 1460;
const HTTP_WINDOW: usize = 16;

/// What happens to one client. Each scenario but `Healthy` is one of serve's fault switches,
/// and produces one known finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    Healthy,
    NoOffer,
    NoAck,
    NoBootFile,
    ArchMismatch,
    FileNotFound,
    Stalled,
}

impl Scenario {
    pub const FAILURES: [Scenario; 6] = [
        Scenario::NoOffer,
        Scenario::NoAck,
        Scenario::NoBootFile,
        Scenario::ArchMismatch,
        Scenario::FileNotFound,
        Scenario::Stalled,
    ];

    /// The finding `analyze` must report for a client in this scenario.
    pub fn finding(self) -> Option<&'static str> {
        match self {
            Scenario::Healthy => None,
            Scenario::NoOffer => Some("dhcp-no-offer"),
            Scenario::NoAck => Some("dhcp-no-ack"),
            Scenario::NoBootFile => Some("dhcp-no-boot-file"),
            Scenario::ArchMismatch => Some("arch-mismatch"),
            Scenario::FileNotFound => Some("tftp-file-not-found"),
            Scenario::Stalled => Some("tftp-incomplete"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct StormConfig {
    pub seed: u64,
    pub clients: u64,
    /// New clients per second (they overlap: a boot storm).
    pub rate: f64,
    /// Share of UEFI x64 clients (OVMF profile); the rest are BIOS PXE ROMs.
    pub uefi_percent: u8,
    /// Share of clients sent to a faulty server, spread over the failure scenarios.
    pub fail_percent: u8,
    /// Sizes of the BIOS and UEFI boot files.
    pub bios_file_bytes: usize,
    pub efi_file_bytes: usize,
    /// Ask for this TFTP windowsize (OVMF asks 4 by default) and blksize (firmware default).
    pub windowsize: Option<u16>,
    pub blksize: Option<u16>,
    /// Tag frames with 802.1Q: client i on VLAN `100 + i % vlans` (0: untagged).
    pub vlans: u16,
    /// Percent of (healthy) clients that ask for blksize 8192, over the 1,500-byte MTU: every
    /// DATA block then crosses the wire as IPv4 fragments.
    pub fragment_percent: u8,
    /// Percent of clients whose ROM runs the iPXE it was given and starts over as iPXE
    /// (option 175, user class iPXE), which the healthy server hands `boot.ipxe`.
    pub ipxe_percent: u8,
    /// Percent of (healthy) clients on a segment where one server hands out addresses only
    /// and a proxyDHCP server (10.0.0.2) the boot file, over port 4011 for UEFI firmware.
    pub proxy_percent: u8,
    /// Percent of (healthy) UEFI clients that are UEFI HTTP boot firmware instead (arch 16,
    /// vendor class HTTPClient): handed `http://10.0.0.1/ipxe.efi`, they fetch it over TCP,
    /// HEAD then GET on one connection as edk2's HttpBootDxe does.
    pub http_percent: u8,
}

impl Default for StormConfig {
    fn default() -> Self {
        StormConfig {
            seed: 1,
            clients: 100,
            rate: 50.0,
            uefi_percent: 50,
            fail_percent: 10,
            bios_file_bytes: 70_000,
            efi_file_bytes: 1_000_000,
            windowsize: None,
            blksize: None,
            vlans: 0,
            fragment_percent: 0,
            ipxe_percent: 0,
            proxy_percent: 0,
            http_percent: 0,
        }
    }
}

/// MTU of the storm's wire: IPv4 datagrams larger than this go out as fragments.
const MTU: usize = 1500;

/// Split an Ethernet II + IPv4 frame whose datagram exceeds `MTU` into IPv4 fragments (offsets
/// in 8-byte units, MF on all but the last, the header checksum recomputed); other frames are
/// returned as they are. The storm's own hand-off decodes them through the defragmenter, as
/// analyze does.
fn fragment(frame: Vec<u8>, id: u16) -> Vec<Vec<u8>> {
    const ETH: usize = 14;
    if frame.len() <= ETH + MTU || frame.len() < ETH + 20 || frame[12..14] != [0x08, 0x00] {
        return vec![frame];
    }
    let ihl = usize::from(frame[ETH] & 0x0f) * 4;
    if ihl < 20 || frame.len() < ETH + ihl {
        return vec![frame];
    }
    let (head, payload) = frame.split_at(ETH + ihl);
    let per = (MTU - ihl) / 8 * 8;
    let mut out = vec![];
    let mut off = 0;
    while off < payload.len() {
        let end = (off + per).min(payload.len());
        let mut f = Vec::with_capacity(ETH + ihl + end - off);
        f.extend_from_slice(head);
        f.extend_from_slice(&payload[off..end]);
        let total = (ihl + end - off) as u16;
        f[ETH + 2..ETH + 4].copy_from_slice(&total.to_be_bytes());
        f[ETH + 4..ETH + 6].copy_from_slice(&id.to_be_bytes());
        let more = if end < payload.len() { 0x2000 } else { 0 };
        f[ETH + 6..ETH + 8].copy_from_slice(&(more | (off / 8) as u16).to_be_bytes());
        f[ETH + 10..ETH + 12].copy_from_slice(&[0, 0]);
        let sum = crate::wire::checksum::checksum(0, &f[ETH..ETH + ihl]);
        f[ETH + 10..ETH + 12].copy_from_slice(&sum.to_be_bytes());
        out.push(f);
        off = end;
    }
    out
}

/// Insert an 802.1Q tag (priority 0, `vid`) after the MAC addresses.
fn vlan_tag(frame: Vec<u8>, vid: u16) -> Vec<u8> {
    if frame.len() < 14 {
        return frame;
    }
    let mut f = Vec::with_capacity(frame.len() + 4);
    f.extend_from_slice(&frame[..12]);
    f.extend_from_slice(&[0x81, 0x00]);
    f.extend_from_slice(&(vid & 0x0fff).to_be_bytes());
    f.extend_from_slice(&frame[12..]);
    f
}

/// splitmix64: tiny, seedable, stable across versions (a capture must not change when a
/// dependency's generator does).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One client's fixed facts, derived from the seed and its index alone.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Planned {
    pub index: u64,
    pub mac: String,
    pub arch: u16,
    pub scenario: Scenario,
    /// Asked for a blksize over the MTU (--fragment-share; healthy clients only).
    pub fragments: bool,
    /// Ran iPXE and came back for a script (--ipxe-share; healthy clients only).
    pub ipxe: bool,
    /// 802.1Q VLAN of its frames (--vlans), if tagged.
    pub vlan: Option<u16>,
    /// Got its boot file from a proxyDHCP server (--proxy-share; healthy clients only).
    pub proxy: bool,
    /// UEFI HTTP boot firmware that fetched its URL over TCP (--http-share; healthy UEFI
    /// clients not on the proxy segment and not running iPXE).
    pub http: bool,
}

/// The per-client knobs beside the scenario (drawn from bits `plan` does not use, so a storm
/// without them is byte for byte what it was before they existed).
/// The fourth is --http-share's draw alone (`uses_http` says who it applies to).
fn extras(cfg: &StormConfig, i: u64) -> (bool, bool, bool, bool) {
    let r2 = mix(cfg.seed ^ mix(i) ^ 0x5bd1_e995);
    let fragments = r2 % 100 < u64::from(cfg.fragment_percent);
    let ipxe = (r2 >> 8) % 100 < u64::from(cfg.ipxe_percent);
    let proxy = (r2 >> 16) % 100 < u64::from(cfg.proxy_percent);
    let http = (r2 >> 24) % 100 < u64::from(cfg.http_percent);
    (fragments, ipxe, proxy, http)
}

/// Whether client `i` is UEFI HTTP boot firmware (--http-share): healthy UEFI clients only,
/// not on the proxy segment, not running iPXE and not asking big TFTP blocks (it uses no TFTP).
fn uses_http(cfg: &StormConfig, i: u64) -> bool {
    if cfg.http_percent == 0 {
        return false;
    }
    let (id, scenario) = plan(cfg, i);
    let (fragments, ipxe, proxy, http) = extras(cfg, i);
    scenario == Scenario::Healthy && id.arch == 7 && !(fragments || ipxe || proxy) && http
}

/// Whether client `i` boots through the proxy pair (healthy clients only).
fn uses_proxy(cfg: &StormConfig, i: u64) -> bool {
    cfg.proxy_percent > 0 && plan(cfg, i).1 == Scenario::Healthy && extras(cfg, i).2
}

fn plan(cfg: &StormConfig, i: u64) -> (Identity, Scenario) {
    let r = mix(cfg.seed ^ mix(i));
    // Index in the low bytes keeps MACs distinct; the seed varies the rest.
    let mac = [
        0x02,
        (r >> 8) as u8 & 0xfe,
        (i >> 24) as u8,
        (i >> 16) as u8,
        (i >> 8) as u8,
        i as u8,
    ];
    let uefi = (r >> 16) % 100 < u64::from(cfg.uefi_percent);
    let scenario = if (r >> 24) % 100 < u64::from(cfg.fail_percent) {
        Scenario::FAILURES[((r >> 32) % Scenario::FAILURES.len() as u64) as usize]
    } else {
        Scenario::Healthy
    };
    let mut uuid = [0u8; 16];
    uuid[..8].copy_from_slice(&mix(r).to_le_bytes());
    uuid[8..].copy_from_slice(&i.to_le_bytes());
    (
        Identity {
            mac,
            arch: if uefi { 7 } else { 0 },
            ipxe: false,
            uuid,
        },
        scenario,
    )
}

/// A minimal PE32+ header (x86-64, EFI application) so the EFI file sniffs as UEFI x64.
fn efi_image(len: usize) -> Vec<u8> {
    let mut b: Vec<u8> = (0..len.max(0x200)).map(|i| (i * 7 + 3) as u8).collect();
    b[..2].copy_from_slice(b"MZ");
    b[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    b[0x80..0x84].copy_from_slice(b"PE\0\0");
    b[0x84..0x86].copy_from_slice(&0x8664u16.to_le_bytes());
    b[0x98..0x9a].copy_from_slice(&0x20bu16.to_le_bytes());
    b[0x98 + 68..0x98 + 70].copy_from_slice(&10u16.to_le_bytes());
    b.truncate(len.max(0x200));
    b
}

/// Real-mode NBP bytes (BIOS): no magic, as undionly.kpxe starts.
fn bios_image(len: usize) -> Vec<u8> {
    (0..len.max(64)).map(|i| (i * 13 + 0xeb) as u8).collect()
}

/// Write the boot files into `root` (the TFTP root the virtual servers serve).
pub fn write_root(root: &Path, cfg: &StormConfig) -> std::io::Result<()> {
    std::fs::create_dir_all(root)?;
    std::fs::write(root.join("undionly.kpxe"), bios_image(cfg.bios_file_bytes))?;
    std::fs::write(root.join("ipxe.efi"), efi_image(cfg.efi_file_bytes))?;
    // What iPXE clients of the healthy server are handed (--ipxe-share).
    std::fs::write(
        root.join("boot.ipxe"),
        "#!ipxe\necho pxe-inspect storm\nkernel http://10.0.0.1/vmlinuz\nboot\n",
    )
}

struct Server {
    dhcp: DhcpResponder,
    tftp_faults: TftpFaults,
    ip: Ipv4Addr,
    mac: Mac,
}

fn server(scenario: Scenario, pool_index: u8) -> Server {
    let (cfg, tftp_faults) = server_config(scenario, pool_index);
    Server {
        dhcp: DhcpResponder::new(cfg),
        tftp_faults,
        ip: SERVER_IP,
        mac: SERVER_MAC,
    }
}

/// The DHCP responder's configuration and the TFTP faults of a scenario's server.
fn server_config(scenario: Scenario, pool_index: u8) -> (DhcpConfig, TftpFaults) {
    let mut boot = BTreeMap::new();
    boot.insert(Family::Bios, "undionly.kpxe".to_string());
    boot.insert(Family::EfiX64, "ipxe.efi".to_string());
    let mut faults = DhcpFaults::default();
    let mut tftp_faults = TftpFaults::default();
    match scenario {
        Scenario::Healthy => {}
        Scenario::NoOffer => faults.no_offer = true,
        Scenario::NoAck => faults.no_ack = true,
        Scenario::NoBootFile => faults.no_boot_file = true,
        Scenario::ArchMismatch => faults.arch_mismatch = true,
        Scenario::FileNotFound => tftp_faults.error_code = Some(1),
        Scenario::Stalled => tftp_faults.stop_at_block = Some(20),
    }
    // Each scenario's server owns a /16 so addresses never collide between them.
    let pool = Pool {
        start: Ipv4Addr::new(10, 1 + pool_index, 0, 10),
        end: Ipv4Addr::new(10, 1 + pool_index, 255, 250),
        netmask: Ipv4Addr::new(255, 0, 0, 0),
        router: None,
        dns: vec![],
        lease_secs: 3600,
        static_hosts: BTreeMap::new(),
    };
    let cfg = DhcpConfig {
        boot_codes: Default::default(),
        server_ip: SERVER_IP,
        pool: Some(pool),
        boot,
        // Only clients that come back as iPXE (--ipxe-share) ask for it.
        ipxe_script: (scenario == Scenario::Healthy).then(|| "boot.ipxe".to_string()),
        // Only --http-share clients (vendor class HTTPClient) are handed it.
        http_url: (scenario == Scenario::Healthy)
            .then(|| format!("http://{SERVER_IP}/{HTTP_FILE}")),
        faults,
        fault_for: vec![],
    };
    (cfg, tftp_faults)
}

/// --proxy-share's segment: an address-only DHCP server (10.0.0.1, its own /16, no boot
/// file) and a proxyDHCP server (10.0.0.2, no addresses) with the boot files and TFTP.
fn proxy_pair(pool_index: u8) -> [Server; 2] {
    let mut addresses = server(Scenario::Healthy, pool_index);
    addresses.dhcp = DhcpResponder::new(DhcpConfig {
        boot: BTreeMap::new(),
        ipxe_script: None,
        ..server_config(Scenario::Healthy, pool_index).0
    });
    let mut proxy = server(Scenario::Healthy, pool_index);
    proxy.dhcp = DhcpResponder::new(DhcpConfig {
        server_ip: PROXY_IP,
        pool: None,
        ..server_config(Scenario::Healthy, pool_index).0
    });
    proxy.ip = PROXY_IP;
    proxy.mac = PROXY_MAC;
    [addresses, proxy]
}

enum Event {
    Start(u64),
    /// A frame on the wire; `client` is the one it belongs to (sent by or to it).
    Wire {
        client: u64,
        from_client: bool,
        frame: Vec<u8>,
    },
    ClientTimer(u64),
    /// A transfer's retransmission timer, by (client IPv4 as u32, client port).
    TransferTimer(u32, u16),
    /// The next round trip of a client's HTTP download (--http-share).
    HttpStep(u64),
}

struct Live {
    client: Client,
    /// The time its timer is queued for (at most one queued timer per client).
    timer_at: i64,
}

struct LiveTransfer {
    t: Transfer,
    client: u64,
    /// Index of the server sending it (the proxy's TFTP for --proxy-share clients).
    server: usize,
    server_port: u16,
    timer_at: i64,
}

/// Where an HTTP boot download (--http-share) stands: one TCP connection, HEAD then GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HttpPhase {
    Connect,
    Head,
    Get,
    Body,
    Close,
    LastAck,
}

struct LiveHttp {
    mac: Mac,
    ip: Ipv4Addr,
    port: u16,
    /// Next sequence number of the client and of the server.
    cseq: u32,
    sseq: u32,
    phase: HttpPhase,
    /// Bytes of the GET response (head and body) sent so far.
    sent: usize,
}

impl LiveHttp {
    /// The client's next segment (ACK set but on its SYN); its sequence number moves past it.
    fn client_segment(&mut self, flags: &str, payload: &[u8]) -> Vec<u8> {
        let ack = (!flags.contains('S')).then_some(self.sseq);
        let f = tcp_frame(
            self.mac,
            SERVER_MAC,
            self.ip,
            SERVER_IP,
            (self.port, 80),
            self.cseq,
            ack,
            flags,
            payload,
        );
        self.cseq = self.cseq.wrapping_add(seq_len(flags, payload));
        f
    }

    /// The server's next segment, acknowledging all the client sent.
    fn server_segment(&mut self, flags: &str, payload: &[u8]) -> Vec<u8> {
        let f = tcp_frame(
            SERVER_MAC,
            self.mac,
            SERVER_IP,
            self.ip,
            (80, self.port),
            self.sseq,
            Some(self.cseq),
            flags,
            payload,
        );
        self.sseq = self.sseq.wrapping_add(seq_len(flags, payload));
        f
    }
}

/// Sequence space a segment takes: its bytes, and one each for SYN and FIN.
fn seq_len(flags: &str, payload: &[u8]) -> u32 {
    payload.len() as u32 + u32::from(flags.contains('S')) + u32::from(flags.contains('F'))
}

/// A TCP segment in an Ethernet II + IPv4 frame: ACK set whenever `ack` is given, PSH on
/// segments with data.
#[allow(clippy::too_many_arguments)]
fn tcp_frame(
    src_mac: Mac,
    dst_mac: Mac,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ports: (u16, u16),
    seq: u32,
    ack: Option<u32>,
    flags: &str,
    payload: &[u8],
) -> Vec<u8> {
    let mut b = etherparse::PacketBuilder::ethernet2(src_mac, dst_mac)
        .ipv4(src.octets(), dst.octets(), 64)
        .tcp(ports.0, ports.1, seq, 64_240);
    if flags.contains('S') {
        b = b.syn();
    }
    if flags.contains('F') {
        b = b.fin();
    }
    if !payload.is_empty() {
        b = b.psh();
    }
    if let Some(a) = ack {
        b = b.ack(a);
    }
    let mut out = Vec::with_capacity(b.size(payload.len()));
    // Segments are at most MSS bytes: far below what a Vec write can fail on.
    if b.write(&mut out, payload).is_err() {
        out.clear();
    }
    out
}

/// The storm: an iterator of (timestamp ns, Ethernet frame) in time order. Memory holds only
/// the clients and transfers in progress.
pub struct Storm {
    cfg: StormConfig,
    client_cfg: ClientConfig,
    store: FileStore,
    servers: Vec<Server>,
    queue: BinaryHeap<Reverse<(i64, u64)>>,
    events: FxHashMap<u64, Event>,
    seq: u64,
    live: FxHashMap<u64, Live>,
    transfers: FxHashMap<(u32, u16), LiveTransfer>,
    /// HTTP downloads in progress, by client (--http-share), and the server's answer to
    /// their GET: the response head (`http_head_len` bytes, also the answer to HEAD) and then
    /// the EFI file.
    http: FxHashMap<u64, LiveHttp>,
    http_response: Vec<u8>,
    http_head_len: usize,
    next_server_port: u16,
    defrag: Defragmenter,
    start_ns: i64,
    counts: BTreeMap<Scenario, u64>,
    last_ns: i64,
    trailer: u32,
    /// IPv4 identification of the server's next datagram (fragments share one).
    ip_id: u16,
    /// Each client's plan, kept only when asked (small storms, for tests).
    pub manifest: Option<Vec<Planned>>,
}

impl Storm {
    /// `root` must hold the boot files (`write_root`).
    pub fn new(cfg: StormConfig, root: &Path, keep_manifest: bool) -> std::io::Result<Storm> {
        let store = FileStore::new(root)?;
        let mut servers: Vec<Server> = [Scenario::Healthy]
            .iter()
            .chain(Scenario::FAILURES.iter())
            .enumerate()
            .map(|(i, s)| server(*s, i as u8))
            .collect();
        // After the scenarios' servers: `proxy_servers` finds them there.
        let n = servers.len() as u8;
        servers.extend(proxy_pair(n));
        let client_cfg = ClientConfig {
            offer_wait_ns: SEC / 2,
            timeout_ns: 40 * SEC,
            retry_ns: SEC,
            retries: 4,
            blksize: cfg.blksize,
            windowsize: cfg.windowsize,
            release: true,
            ..ClientConfig::default()
        };
        let mut s = Storm {
            cfg,
            client_cfg,
            store,
            servers,
            queue: BinaryHeap::new(),
            events: FxHashMap::default(),
            seq: 0,
            live: FxHashMap::default(),
            transfers: FxHashMap::default(),
            http: FxHashMap::default(),
            http_response: Vec::new(),
            http_head_len: 0,
            next_server_port: 49152,
            defrag: Defragmenter::default(),
            start_ns: 1_767_225_600 * SEC, // 2026-01-01T00:00:00Z
            counts: BTreeMap::new(),
            manifest: keep_manifest.then(Vec::new),
            last_ns: 0,
            trailer: 0,
            ip_id: 0,
        };
        if s.cfg.http_percent > 0 {
            let body = efi_image(s.cfg.efi_file_bytes);
            let mut r = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/efi\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            s.http_head_len = r.len();
            r.extend_from_slice(&body);
            s.http_response = r;
        }
        if s.cfg.clients > 0 {
            let t = s.start_ns;
            s.push(t, Event::Start(0));
        }
        Ok(s)
    }

    /// How many clients of each scenario were started so far (all of them once the iterator
    /// is exhausted), and so how many of each finding `analyze` must report.
    pub fn expected(&self) -> &BTreeMap<Scenario, u64> {
        &self.counts
    }

    fn push(&mut self, at: i64, e: Event) {
        self.seq += 1;
        self.events.insert(self.seq, e);
        self.queue.push(Reverse((at, self.seq)));
    }

    fn server_of(&self, scenario: Scenario) -> usize {
        match scenario {
            Scenario::Healthy => 0,
            s => 1 + Scenario::FAILURES.iter().position(|f| *f == s).unwrap_or(0),
        }
    }

    /// The servers a client's frames reach: its address server, and the proxy for
    /// --proxy-share clients.
    fn servers_for(&self, client: u64) -> (usize, Option<usize>) {
        if uses_proxy(&self.cfg, client) {
            let n = self.servers.len();
            (n - 2, Some(n - 1))
        } else {
            (self.server_of(plan(&self.cfg, client).1), None)
        }
    }

    fn client_frames(&mut self, client: u64, at: i64, frames: Vec<Vec<u8>>) {
        for (k, f) in frames.into_iter().enumerate() {
            if !f.is_empty() {
                // Back-to-back frames leave the NIC a few microseconds apart.
                self.push(
                    at + THINK_NS + k as i64 * 2_000,
                    Event::Wire {
                        client,
                        from_client: true,
                        frame: f,
                    },
                );
            }
        }
        self.arm_client(client);
    }

    fn arm_client(&mut self, client: u64) {
        let Some(l) = self.live.get_mut(&client) else {
            return;
        };
        let d = l.client.deadline();
        if d != i64::MAX && d < l.timer_at {
            l.timer_at = d;
            self.push(d, Event::ClientTimer(client));
        }
    }

    /// Forget a client that finished (frames still in flight reach it by index, not by state).
    fn retire(&mut self, client: u64) {
        if self.live.get(&client).is_some_and(|l| l.client.done()) {
            self.live.remove(&client);
        }
    }

    fn start_client(&mut self, i: u64, now: i64) {
        let (id, scenario) = plan(&self.cfg, i);
        let (fragments, ipxe, proxy, _) = extras(&self.cfg, i);
        // Only the healthy server has a script for iPXE (elsewhere the chain would loop), and
        // big blocks would carry a stalled transfer past its stall point: healthy clients only.
        let healthy = scenario == Scenario::Healthy;
        let (fragments, ipxe, proxy) = (fragments && healthy, ipxe && healthy, proxy && healthy);
        let http = uses_http(&self.cfg, i);
        let mut id = id;
        if http {
            // x64 UEFI HTTP boot (RFC 4578 as amended: 16): vendor class HTTPClient.
            id.arch = 16;
        }
        *self.counts.entry(scenario).or_default() += 1;
        if let Some(m) = self.manifest.as_mut() {
            m.push(Planned {
                index: i,
                mac: fmt_mac(&id.mac),
                arch: id.arch,
                scenario,
                fragments,
                ipxe,
                vlan: (self.cfg.vlans > 0).then(|| 100 + (i % u64::from(self.cfg.vlans)) as u16),
                proxy,
                http,
            });
        }
        let mut cc = self.client_cfg.clone();
        cc.profile = if id.arch == 0 {
            TftpProfile::Pxe
        } else {
            TftpProfile::Ovmf
        };
        if fragments {
            cc.blksize = Some(8192);
        }
        cc.chain = ipxe;
        // UEFI firmware keeps its lease through the download (and past it): no RELEASE.
        cc.release &= !http;
        let xid = mix(self.cfg.seed ^ i.wrapping_mul(31)) as u32;
        let mut client = Client::new(id, cc, xid);
        let frames = client.start(now);
        self.live.insert(
            i,
            Live {
                client,
                timer_at: i64::MAX,
            },
        );
        self.client_frames(i, now, frames);
        if i + 1 < self.cfg.clients {
            let gap = (SEC as f64 / self.cfg.rate.max(1e-3)) as i64;
            // A little jitter so clients do not tick in lockstep.
            let jitter = (mix(self.cfg.seed ^ i) % (gap.max(1) as u64 / 4 + 1)) as i64;
            self.push(now + gap + jitter, Event::Start(i + 1));
        }
    }

    /// Deliver a client's frame to its server; queue the replies.
    // Long on purpose: one arm per destination (ARP, DHCP/4011, TFTP 69, a live transfer's port),
    // all using the server, client MAC and reply time worked out once above.
    fn deliver_to_server(&mut self, client: u64, frame: &[u8], now: i64) {
        // From the plan, not the live client: finished clients still have frames on the wire
        // (the last ACK, the RELEASE).
        let (si, proxy) = self.servers_for(client);
        let Ok(d) = decode_frame(1, frame, &mut self.defrag, now) else {
            return;
        };
        let reply_at = now + THINK_NS + WIRE_NS;
        match d {
            Decoded::Arp(a)
                if a.op == 1
                    && (a.target_ip == SERVER_IP
                        || (proxy.is_some() && a.target_ip == PROXY_IP)) =>
            {
                let mac = if a.target_ip == PROXY_IP {
                    PROXY_MAC
                } else {
                    SERVER_MAC
                };
                let f = arp_frame(2, mac, a.sender_mac, a.target_ip, a.sender_mac, a.sender_ip);
                self.push(
                    reply_at,
                    Event::Wire {
                        client,
                        from_client: false,
                        frame: f,
                    },
                );
            }
            Decoded::Udp(u) => {
                let (IpAddr::V4(src), IpAddr::V4(dst)) = (u.src, u.dst) else {
                    return;
                };
                let client_mac = u.link.src_mac.unwrap_or(BROADCAST_MAC);
                // A proxy client's TFTP and 4011 traffic goes to the proxy; its broadcasts
                // reach both servers.
                let to_proxy = proxy.filter(|_| dst == PROXY_IP || u.dport == 4011);
                match u.dport {
                    67 | 4011 => {
                        let targets: Vec<usize> = match (u.dport, proxy) {
                            (67, Some(p)) if dst.is_broadcast() => vec![si, p],
                            (4011, Some(p)) => vec![p],
                            _ => vec![to_proxy.unwrap_or(si)],
                        };
                        for t in targets {
                            let (smac, sip) = (self.servers[t].mac, self.servers[t].ip);
                            let replies = self.servers[t].dhcp.handle(
                                &u.payload,
                                SocketAddrV4::new(src, u.sport),
                                u.dport,
                                now,
                                67,
                                4011,
                            );
                            for r in replies {
                                let dst_mac = if r.dst.ip().is_broadcast() {
                                    BROADCAST_MAC
                                } else {
                                    client_mac
                                };
                                let f = udp_frame(
                                    smac,
                                    dst_mac,
                                    sip,
                                    *r.dst.ip(),
                                    r.from_port,
                                    r.dst.port(),
                                    &r.bytes,
                                );
                                self.push(
                                    reply_at + r.delay_ms as i64 * 1_000_000,
                                    Event::Wire {
                                        client,
                                        from_client: false,
                                        frame: f,
                                    },
                                );
                            }
                        }
                    }
                    69 => {
                        let si = to_proxy.unwrap_or(si);
                        let faults = self.servers[si].tftp_faults.clone();
                        match tftp::on_request(&self.store, &u.payload, now, &faults, false) {
                            Incoming::Start(t, out) => {
                                let port = self.next_server_port;
                                self.next_server_port =
                                    if port == 65535 { 49152 } else { port + 1 };
                                self.send_tftp(
                                    si, client, client_mac, src, port, u.sport, out, reply_at,
                                );
                                self.transfers.insert(
                                    (u32::from(src), u.sport),
                                    LiveTransfer {
                                        t: *t,
                                        client,
                                        server: si,
                                        server_port: port,
                                        timer_at: i64::MAX,
                                    },
                                );
                                self.arm_transfer(u32::from(src), u.sport);
                            }
                            Incoming::Reply(b) => {
                                let port = self.next_server_port;
                                self.send_tftp(
                                    si,
                                    client,
                                    client_mac,
                                    src,
                                    port,
                                    u.sport,
                                    vec![b],
                                    reply_at,
                                );
                            }
                            Incoming::Ignore => {}
                        }
                    }
                    _ => {
                        let key = (u32::from(src), u.sport);
                        let Some(lt) = self.transfers.get_mut(&key) else {
                            return;
                        };
                        if lt.server_port != u.dport {
                            return;
                        }
                        let out = lt.t.on_packet(&u.payload, now);
                        let (port, server) = (lt.server_port, lt.server);
                        self.send_tftp(
                            server, client, client_mac, src, port, u.sport, out, reply_at,
                        );
                        self.arm_transfer(key.0, key.1);
                    }
                }
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn send_tftp(
        &mut self,
        server: usize,
        client: u64,
        mac: Mac,
        ip: Ipv4Addr,
        sport: u16,
        dport: u16,
        out: Vec<Vec<u8>>,
        at: i64,
    ) {
        let mut k = 0i64;
        for b in out {
            let (smac, sip) = (self.servers[server].mac, self.servers[server].ip);
            let f = udp_frame(smac, mac, sip, ip, sport, dport, &b);
            self.ip_id = self.ip_id.wrapping_add(1);
            for frame in fragment(f, self.ip_id) {
                // A window leaves at wire speed: 1500 bytes at 1 Gb/s is 12 µs.
                self.push(
                    at + k * 12_000,
                    Event::Wire {
                        client,
                        from_client: false,
                        frame,
                    },
                );
                k += 1;
            }
        }
    }

    fn arm_transfer(&mut self, ip: u32, port: u16) {
        let Some(lt) = self.transfers.get_mut(&(ip, port)) else {
            return;
        };
        match lt.t.poll_timeout() {
            Some(d) if d < lt.timer_at => {
                lt.timer_at = d;
                self.push(d, Event::TransferTimer(ip, port));
            }
            None => {
                // Finished (last ACK in) or given up: forget it.
                self.transfers.remove(&(ip, port));
            }
            _ => {}
        }
    }

    /// Deliver a server frame to its client.
    fn deliver_to_client(&mut self, client: u64, frame: &[u8], now: i64) {
        let Ok(d) = decode_frame(1, frame, &mut self.defrag, now) else {
            return;
        };
        let at = now + WIRE_NS;
        let Some(l) = self.live.get_mut(&client) else {
            return;
        };
        let out = match d {
            Decoded::Arp(a) => l.client.on_arp(at, &a),
            Decoded::Udp(u) => {
                let IpAddr::V4(src) = u.src else { return };
                if u.dport == 68 || u.sport == 4011 {
                    match Dhcp4::parse(&u.payload) {
                        Ok(m) => l.client.on_dhcp(
                            at,
                            &m,
                            u.link.src_mac.unwrap_or(SERVER_MAC),
                            src,
                            u.sport,
                        ),
                        Err(_) => vec![],
                    }
                } else {
                    l.client.on_udp(at, src, u.sport, u.dport, &u.payload)
                }
            }
            _ => vec![],
        };
        let r = &l.client.result;
        let fetch = (l.client.done() && r.ok && r.boot_url.is_some())
            .then_some(r.leased_ip)
            .flatten();
        self.client_frames(client, at, out);
        if let Some(ip) = fetch.filter(|_| uses_http(&self.cfg, client)) {
            self.start_http(client, ip, at);
        }
        self.retire(client);
    }

    /// An HTTP boot client got its URL: it connects to the server's port 80.
    fn start_http(&mut self, client: u64, ip: Ipv4Addr, at: i64) {
        let r = mix(self.cfg.seed ^ client ^ 0x7f4a_7c15);
        self.http.insert(
            client,
            LiveHttp {
                mac: plan(&self.cfg, client).0.mac,
                ip,
                port: 49152 + (client % 16_000) as u16,
                cseq: r as u32,
                sseq: (r >> 32) as u32,
                phase: HttpPhase::Connect,
                sent: 0,
            },
        );
        self.push(at + THINK_NS, Event::HttpStep(client));
    }

    /// One round trip of an HTTP download: the client's segment (SYN, request or ACK) and
    /// what the server sends back before it waits again; the next step is queued a round
    /// trip later, so only the downloads in progress are held, not their frames.
    fn http_step(&mut self, client: u64, now: i64) {
        let Some(mut h) = self.http.remove(&client) else {
            return;
        };
        let mut to_server: Vec<Vec<u8>> = vec![];
        let mut to_client: Vec<Vec<u8>> = vec![];
        // The client's last ACK (of the server's FIN) ends the connection.
        let closing = h.phase == HttpPhase::LastAck;
        let request = |method: &str| {
            format!(
                "{method} /{HTTP_FILE} HTTP/1.1\r\nHost: {SERVER_IP}\r\nAccept: */*\r\nUser-Agent: UefiHttpBoot/1.0\r\n\r\n"
            )
        };
        match h.phase {
            HttpPhase::Connect => {
                to_server.push(h.client_segment("S", &[]));
                to_client.push(h.server_segment("S", &[]));
                h.phase = HttpPhase::Head;
            }
            HttpPhase::Head => {
                to_server.push(h.client_segment("", request("HEAD").as_bytes()));
                to_client.push(h.server_segment("", &self.http_response[..self.http_head_len]));
                h.phase = HttpPhase::Get;
            }
            HttpPhase::Get => {
                to_server.push(h.client_segment("", request("GET").as_bytes()));
                h.phase = HttpPhase::Body;
            }
            HttpPhase::Body => {
                if h.sent > 0 {
                    // The client acknowledges the last window.
                    to_server.push(h.client_segment("", &[]));
                }
                let total = self.http_response.len();
                for seg in self.http_response[h.sent..].chunks(MSS).take(HTTP_WINDOW) {
                    to_client.push(h.server_segment("", seg));
                    h.sent += seg.len();
                }
                if h.sent >= total {
                    h.phase = HttpPhase::Close;
                }
            }
            HttpPhase::Close => {
                // The client has it all: it closes, and the server closes too.
                to_server.push(h.client_segment("F", &[]));
                to_client.push(h.server_segment("F", &[]));
                h.phase = HttpPhase::LastAck;
            }
            HttpPhase::LastAck => to_server.push(h.client_segment("", &[])),
        }
        let mut t = now;
        for frame in to_server {
            self.push(
                t,
                Event::Wire {
                    client,
                    from_client: true,
                    frame,
                },
            );
            t += 2_000;
        }
        let mut t = t + WIRE_NS + THINK_NS;
        for frame in to_client {
            self.push(
                t,
                Event::Wire {
                    client,
                    from_client: false,
                    frame,
                },
            );
            // 1500 bytes at 1 Gb/s: 12 µs apart.
            t += 12_000;
        }
        if !closing {
            self.http.insert(client, h);
            self.push(t + WIRE_NS + THINK_NS, Event::HttpStep(client));
        }
    }
}

impl Iterator for Storm {
    type Item = (i64, Vec<u8>);

    fn next(&mut self) -> Option<(i64, Vec<u8>)> {
        while let Some(Reverse((now, seq))) = self.queue.pop() {
            let Some(ev) = self.events.remove(&seq) else {
                continue;
            };
            match ev {
                Event::Start(i) => self.start_client(i, now),
                Event::ClientTimer(c) => {
                    let Some(l) = self.live.get_mut(&c) else {
                        continue;
                    };
                    l.timer_at = i64::MAX;
                    let frames = if l.client.deadline() <= now {
                        l.client.poll(now)
                    } else {
                        vec![]
                    };
                    self.client_frames(c, now, frames);
                    self.retire(c);
                }
                Event::HttpStep(c) => self.http_step(c, now),
                Event::TransferTimer(ip, port) => {
                    let Some(lt) = self.transfers.get_mut(&(ip, port)) else {
                        continue;
                    };
                    lt.timer_at = i64::MAX;
                    let due = lt.t.poll_timeout().is_some_and(|d| d <= now);
                    let out = if due { lt.t.on_timeout(now) } else { vec![] };
                    let (client, sport, server) = (lt.client, lt.server_port, lt.server);
                    let mac = plan(&self.cfg, client).0.mac;
                    self.send_tftp(
                        server,
                        client,
                        mac,
                        Ipv4Addr::from(ip),
                        sport,
                        port,
                        out,
                        now,
                    );
                    self.arm_transfer(ip, port);
                }
                Event::Wire {
                    client,
                    from_client,
                    frame,
                } => {
                    if from_client {
                        self.deliver_to_server(client, &frame, now);
                    } else {
                        self.deliver_to_client(client, &frame, now);
                    }
                    self.last_ns = now;
                    if self.cfg.vlans > 0 {
                        let vid = 100 + (client % u64::from(self.cfg.vlans)) as u16;
                        return Some((now, vlan_tag(frame, vid)));
                    }
                    return Some((now, frame));
                }
            }
        }
        // The capture keeps running for a while after the storm, as real ones do (a few
        // gratuitous ARPs from the server), so rules that wait for silence can judge the end.
        if self.trailer < TRAILER_SECS {
            self.trailer += 1;
            let t = self.last_ns + SEC;
            self.last_ns = t;
            return Some((
                t,
                arp_frame(1, SERVER_MAC, BROADCAST_MAC, SERVER_IP, [0; 6], SERVER_IP),
            ));
        }
        None
    }
}

/// The closed, diagnosed sessions of a storm, analysed in memory by the same pipeline as
/// `analyze` (frames numbered from 1, input 0): what unit tests of the outputs and sinks judge.
/// `root` receives the boot files and is removed afterwards.
pub fn analyzed_sessions(
    cfg: StormConfig,
    root: &Path,
) -> std::io::Result<Vec<crate::model::BootSession>> {
    use crate::diag::DiagConfig;
    use crate::pipeline::Pipeline;
    use crate::session::TrackerConfig;
    write_root(root, &cfg)?;
    let mut pipe = Pipeline::new(TrackerConfig::default(), DiagConfig::default());
    let mut sessions = Vec::new();
    for f in storm_frames(cfg, root)? {
        sessions.extend(pipe.push(&f));
    }
    sessions.extend(pipe.finish());
    let _ = std::fs::remove_dir_all(root);
    Ok(sessions)
}

/// A storm's frames as a capture reader would hand them over (input 0, numbered from 1,
/// Ethernet), for tests that drive pipelines themselves. `root` must hold the boot files
/// (`write_root`).
pub fn storm_frames(
    cfg: StormConfig,
    root: &Path,
) -> std::io::Result<impl Iterator<Item = crate::source::Frame>> {
    Ok(Storm::new(cfg, root, false)?
        .enumerate()
        .map(|(n, (ts, data))| crate::source::Frame {
            input: 0,
            number: n as u64 + 1,
            ts_ns: ts,
            linktype: 1,
            orig_len: data.len() as u32,
            data,
            offset: 0,
        }))
}

/// Adversarial scale: `n` DISCOVERs from `n` distinct MACs (PXE vendor class, BIOS and UEFI
/// alternating), `per_sec` of them a second, and nothing answering. What a DISCOVER flood with
/// random MACs, or a broken switch replaying traffic, looks like; analyze must stay bounded.
pub fn discover_flood(n: u64, per_sec: u64, seed: u64) -> impl Iterator<Item = (i64, Vec<u8>)> {
    let start = 1_767_225_600 * SEC;
    let gap = SEC / per_sec.max(1) as i64;
    (0..n).map(move |i| {
        let (id, _) = plan(
            &StormConfig {
                seed,
                ..StormConfig::default()
            },
            i,
        );
        let mut c = Client::new(
            Identity {
                arch: if i % 2 == 0 { 0 } else { 7 },
                ..id
            },
            ClientConfig::default(),
            mix(seed ^ i) as u32,
        );
        let frame = c.start(0).into_iter().next().unwrap_or_default();
        (start + i as i64 * gap, frame)
    })
}

/// Adversarial scale for transfers: one client sending `n` read requests, each from a new
/// port (a new TID), and a server answering each with one DATA block it never finishes.
pub fn tid_flood(n: u64, per_sec: u64) -> impl Iterator<Item = (i64, Vec<u8>)> {
    let start = 1_767_225_600 * SEC;
    let gap = SEC / per_sec.max(1) as i64;
    let client_mac: Mac = [0x02, 0x77, 0, 0, 0, 1];
    let client_ip = Ipv4Addr::new(10, 9, 0, 2);
    (0..n).flat_map(move |i| {
        let port = 1024 + (i % 64_000) as u16;
        let rrq = crate::wire::tftp::Tftp::Rrq(crate::wire::tftp::Request {
            filename: "undionly.kpxe".into(),
            mode: "octet".into(),
            options: vec![],
        })
        .encode();
        let data = crate::wire::tftp::Tftp::Data {
            block: 1,
            data: &[0x90; 512],
        }
        .encode();
        let t = start + i as i64 * gap;
        [
            (
                t,
                udp_frame(client_mac, SERVER_MAC, client_ip, SERVER_IP, port, 69, &rrq),
            ),
            (
                t + 1_000,
                udp_frame(
                    SERVER_MAC, client_mac, SERVER_IP, client_ip, 50_000, port, &data,
                ),
            ),
        ]
    })
}

/// Tests' storm: the sessions a default pipeline makes of `cfg`'s storm (its files written to a
/// temporary directory named by `tag`, removed after), in closing order, with its stats.
#[cfg(test)]
pub fn storm_sessions(
    cfg: StormConfig,
    tag: &str,
) -> (Vec<crate::model::BootSession>, crate::pipeline::Stats) {
    use crate::pipeline::Pipeline;
    let dir = std::env::temp_dir().join(format!("pxe-{tag}-{}", std::process::id()));
    write_root(&dir, &cfg).expect("root");
    let mut pipe = Pipeline::new(
        crate::session::TrackerConfig::default(),
        crate::diag::DiagConfig::default(),
    );
    let mut sessions = Vec::new();
    for f in storm_frames(cfg, &dir).expect("storm") {
        sessions.extend(pipe.push(&f));
    }
    sessions.extend(pipe.finish());
    let _ = std::fs::remove_dir_all(&dir);
    (sessions, pipe.stats.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_frames_other_seed_other_macs() {
        let root = std::env::temp_dir().join(format!("pxe-synth-unit-{}", std::process::id()));
        let cfg = StormConfig {
            clients: 6,
            efi_file_bytes: 50_000,
            bios_file_bytes: 20_000,
            ..StormConfig::default()
        };
        write_root(&root, &cfg).expect("root");
        let a: Vec<_> = Storm::new(cfg.clone(), &root, false)
            .expect("storm")
            .collect();
        let b: Vec<_> = Storm::new(cfg.clone(), &root, false)
            .expect("storm")
            .collect();
        assert!(a.len() > 6 * 10, "{} frames", a.len());
        assert_eq!(a, b);
        assert!(a.windows(2).all(|w| w[0].0 <= w[1].0), "time order");
        let c: Vec<_> = Storm::new(StormConfig { seed: 2, ..cfg }, &root, false)
            .expect("storm")
            .collect();
        assert_ne!(a, c);
    }
}
