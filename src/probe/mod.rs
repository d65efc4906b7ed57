//! `pxe-inspect probe`: synthetic PXE clients at layer 2. The clients are sans-IO state machines
//! (client.rs); this edge owns the pcap handle (inject + capture, no kernel address needed),
//! the clock, dispatch of frames to clients, and the report. Every frame sent or received also
//! goes through the analyze pipeline, so the boot sessions and findings are the ones `analyze`
//! would print for a capture of the same traffic (and `-w` writes exactly that capture).

pub mod client;
pub mod client6;
pub mod packet;

use crate::analyze::diag_config;
use crate::cli::ProbeArgs;
use crate::exit;
use crate::pipeline::Pipeline;
use crate::render::sink::style_for;
use crate::render::sink::{Extras, Output, OutputConfig, SessionPolicy};
use crate::report::{self, InputInfo, Report};
use crate::session::TrackerConfig;
use crate::source::writer::CaptureWriter;
use crate::source::Frame;
use crate::wire::defrag::Defragmenter;
use crate::wire::dhcp4::Dhcp4;
use crate::wire::link::{decode_frame, fmt_mac, Decoded, Mac};
use client::{Client, ClientConfig, Identity, ProbeResult, TftpProfile};
use client6::Client6;
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub const SCHEMA: &str = "pxe-inspect/probe/1";
const MAX_CLIENTS: usize = 10_000;
const DEFAULT_MAC: Mac = [0x02, 0x70, 0x78, 0x00, 0x00, 0x01];

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// `--arch` names as users type them, or a numeric option-93 code.
pub fn parse_arch(s: &str) -> Result<u16, String> {
    Ok(match s {
        "bios" => 0,
        "efi-ia32" => 6,
        "efi-x64" => 7,
        "efi-arm32" => 10,
        "efi-arm64" => 11,
        "http-ia32" => 15,
        "http-x64" => 16,
        "http-arm64" => 19,
        "efi-riscv64" => 27,
        n => n.parse().map_err(|_| format!("--arch {n}: use bios, efi-x64, efi-ia32, efi-arm64, efi-arm32, http-x64, http-arm64, efi-riscv64 or a number"))?,
    })
}

fn nth_mac(base: Mac, i: usize) -> Mac {
    let low =
        u32::from_be_bytes([0, base[3], base[4], base[5]]).wrapping_add(i as u32) & 0x00ff_ffff;
    let b = low.to_be_bytes();
    [base[0], base[1], base[2], b[1], b[2], b[3]]
}

fn parse_uuid(s: &str) -> Result<[u8; 16], String> {
    let hex: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    if hex.len() != 32 {
        return Err(format!("--uuid {s}: 32 hex digits (dashes allowed)"));
    }
    let mut u = [0u8; 16];
    for (i, b) in u.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
            .map_err(|_| format!("--uuid {s}: not hex"))?;
    }
    Ok(u)
}

/// Per-phase latency figures over the clients that reached that phase.
#[derive(Debug, Clone, Serialize)]
pub struct Percentiles {
    pub phase: &'static str,
    pub count: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeSummary {
    pub clients: usize,
    pub ok: usize,
    pub failed: usize,
    pub failures: Vec<(String, usize)>,
    pub latency: Vec<Percentiles>,
    pub wall_s: f64,
    pub frames_sent: u64,
    pub frames_received: u64,
    /// Frames the capture ring or the interface dropped before probe read them (libpcap's
    /// ps_drop + ps_ifdrop); a client waiting for one of them times out and retries.
    pub capture_dropped: Option<u64>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn summarize(results: &[ProbeResult], wall_s: f64, sent: u64, received: u64) -> ProbeSummary {
    let mut failures: Vec<(String, usize)> = vec![];
    for r in results.iter().filter(|r| !r.ok) {
        let why = r.failure.clone().unwrap_or_else(|| "failed".into());
        // Group by reason without the per-client byte counts.
        let key: String = why.split(" after ").next().unwrap_or(&why).to_string();
        match failures.iter_mut().find(|(k, _)| *k == key) {
            Some(e) => e.1 += 1,
            None => failures.push((key, 1)),
        }
    }
    type Phase = (&'static str, fn(&ProbeResult) -> Option<f64>);
    let phases: [Phase; 6] = [
        ("offer", |r| r.timings.offer_ms),
        ("ack", |r| r.timings.ack_ms),
        ("boot-server", |r| r.timings.boot_server_ms),
        ("tftp-first-byte", |r| r.timings.tftp_first_byte_ms),
        ("transfer", |r| r.timings.transfer_ms),
        ("total", |r| if r.ok { r.timings.total_ms } else { None }),
    ];
    let mut latency = vec![];
    for (phase, get) in phases {
        let mut v: Vec<f64> = results.iter().filter_map(get).collect();
        if v.is_empty() {
            continue;
        }
        v.sort_by(|a, b| a.total_cmp(b));
        latency.push(Percentiles {
            phase,
            count: v.len(),
            p50_ms: percentile(&v, 50.0),
            p90_ms: percentile(&v, 90.0),
            p99_ms: percentile(&v, 99.0),
            max_ms: percentile(&v, 100.0),
        });
    }
    let ok = results.iter().filter(|r| r.ok).count();
    ProbeSummary {
        clients: results.len(),
        ok,
        failed: results.len() - ok,
        failures,
        latency,
        wall_s,
        frames_sent: sent,
        frames_received: received,
        capture_dropped: None,
    }
}

/// What `probe` needs from the command line, checked.
struct Plan {
    iface: String,
    identities: Vec<Identity>,
    cfg: ClientConfig,
    rate: f64,
    /// --tftp-server/--file/--ip-start: skip DHCP.
    tftp_only: Option<(Ipv4Addr, String, Ipv4Addr)>,
}

// Long on purpose: one flag after another into the plan (interface, identities, TFTP-only,
// timeouts), each refused with its own message; later checks read earlier results.
fn plan(a: &ProbeArgs) -> Result<Plan, String> {
    let iface = match (&a.iface, &a.interface) {
        (Some(x), None) | (None, Some(x)) => x.clone(),
        (Some(x), Some(y)) if x == y => x.clone(),
        (Some(_), Some(_)) => {
            return Err("give the interface once (positional or --interface)".into())
        }
        (None, None) => {
            return Err(
                "probe needs an interface (it sends DHCP broadcasts there and nowhere else)".into(),
            )
        }
    };
    if iface == "any" {
        return Err("probe sends frames: name one interface, not `any`".into());
    }
    let n = a.clients.unwrap_or(1);
    if n == 0 || n > MAX_CLIENTS {
        return Err(format!("--clients: 1 to {MAX_CLIENTS}"));
    }
    let arches: Vec<u16> = if a.arch.is_empty() {
        vec![0]
    } else {
        a.arch
            .iter()
            .map(|s| parse_arch(s))
            .collect::<Result<_, _>>()?
    };
    let base = match &a.mac {
        Some(m) => crate::wire::link::parse_mac(m)
            .ok_or_else(|| format!("--mac {m}: not a MAC address"))?,
        None => DEFAULT_MAC,
    };
    let uuid = a.uuid.as_deref().map(parse_uuid).transpose()?;
    let identities = (0..n)
        .map(|i| {
            let mac = nth_mac(base, i);
            let mut u = [
                0x70, 0x78, 0x69, 0x2d, 0x70, 0x72, 0x6f, 0x62, 0x65, 0, mac[0], mac[1], mac[2],
                mac[3], mac[4], mac[5],
            ];
            if let (Some(x), 0) = (uuid, i) {
                u = x;
            }
            Identity {
                mac,
                arch: arches[i % arches.len()],
                ipxe: a.ipxe,
                uuid: u,
            }
        })
        .collect();
    let profile = match a.tftp_profile.as_deref() {
        None | Some("auto") => None,
        Some("ovmf") => Some(TftpProfile::Ovmf),
        Some("pxe") => Some(TftpProfile::Pxe),
        Some("ipxe") => Some(TftpProfile::Ipxe),
        Some("plain") => Some(TftpProfile::Plain),
        Some(o) => {
            return Err(format!(
                "--tftp-profile {o}: auto, ovmf, pxe, ipxe or plain"
            ))
        }
    };
    if a.blksize.is_some_and(|b| !(8..=65464).contains(&b)) {
        return Err("--blksize: 8 to 65464 (RFC 2348)".into());
    }
    if a.windowsize == Some(0) {
        return Err("--windowsize: 1 to 65535 (RFC 7440)".into());
    }
    let cfg = ClientConfig {
        offer_wait_ns: (a.offer_wait * 1e9) as i64,
        timeout_ns: (a.timeout * 1e9) as i64,
        retry_ns: (a.retry_interval * 1e9) as i64,
        retries: a.retries,
        profile: profile.unwrap_or(TftpProfile::Ovmf),
        blksize: a.blksize,
        windowsize: a.windowsize,
        fetch: !a.no_tftp,
        release: !a.keep_leases,
        verify_arch: a.verify_arch,
        keep_data: a.save.is_some(),
        tftp_port: a.tftp_port.unwrap_or(69),
        chain: a.chain,
        discover_only: a.discover_only,
    };
    let tftp_only = match (&a.tftp_server, &a.file, &a.ip_start) {
        (Some(s), Some(f), Some(ip)) => {
            let server: Ipv4Addr = s
                .parse()
                .map_err(|_| format!("--tftp-server {s}: not an IPv4 address"))?;
            let first: Ipv4Addr = ip
                .parse()
                .map_err(|_| format!("--ip-start {ip}: not an IPv4 address"))?;
            Some((server, f.clone(), first))
        }
        _ => None,
    };
    if tftp_only.is_some() && a.dhcpv6 {
        return Err("--tftp-server is DHCPv4-less TFTP; it does not mix with --dhcpv6".into());
    }
    Ok(Plan {
        iface,
        identities,
        cfg,
        rate: a.rate.unwrap_or(50.0).max(0.01),
        tftp_only,
    })
}

fn auto_profile(a: &ProbeArgs, id: &Identity, cfg: &ClientConfig) -> TftpProfile {
    match a.tftp_profile.as_deref() {
        None | Some("auto") => {
            if id.ipxe {
                TftpProfile::Ipxe
            } else if id.arch == 0 {
                TftpProfile::Pxe
            } else {
                TftpProfile::Ovmf
            }
        }
        _ => cfg.profile,
    }
}

pub fn run(a: &ProbeArgs) -> i32 {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        if let Err(e) = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst)) {
            crate::say!("pxe-inspect: {e}");
            return exit::USAGE;
        }
    }
    match run_inner(a, &mut io::stdout().lock(), stop) {
        Ok(c) => c,
        Err(e) => {
            crate::say!("pxe-inspect: {e}");
            exit::USAGE
        }
    }
}

fn permission_hint(e: String) -> String {
    if e.contains("ermission") || e.contains("not permitted") {
        format!("{e}\nhint: probe injects frames: run as root or give the binary cap_net_raw,cap_net_admin")
    } else {
        e
    }
}

/// One synthetic client: DHCPv4 (+4011, ARP, TFTP) or DHCPv6. Not boxed: a run holds at most
/// 10,000 of them in one Vec and the v4 client is the common case.
#[allow(clippy::large_enum_variant)]
pub enum Agent {
    V4(Client),
    V6(Client6),
}

impl Agent {
    fn start(&mut self, now: i64) -> Vec<Vec<u8>> {
        match self {
            Agent::V4(c) => c.start(now),
            Agent::V6(c) => c.start(now),
        }
    }
    fn poll(&mut self, now: i64) -> Vec<Vec<u8>> {
        match self {
            Agent::V4(c) => c.poll(now),
            Agent::V6(c) => c.poll(now),
        }
    }
    fn deadline(&self) -> i64 {
        match self {
            Agent::V4(c) => c.deadline(),
            Agent::V6(c) => c.deadline(),
        }
    }
    fn done(&self) -> bool {
        match self {
            Agent::V4(c) => c.done(),
            Agent::V6(c) => c.done(),
        }
    }
    fn result(&self) -> &ProbeResult {
        match self {
            Agent::V4(c) => &c.result,
            Agent::V6(c) => &c.result,
        }
    }
    fn result_mut(&mut self) -> &mut ProbeResult {
        match self {
            Agent::V4(c) => &mut c.result,
            Agent::V6(c) => &mut c.result,
        }
    }
    fn mac(&self) -> Mac {
        match self {
            Agent::V4(c) => c.id.mac,
            Agent::V6(c) => c.id.mac,
        }
    }
    fn leased_ip(&self) -> Option<Ipv4Addr> {
        match self {
            Agent::V4(c) => c.leased_ip(),
            Agent::V6(_) => None,
        }
    }
    fn v4(&mut self) -> Option<&mut Client> {
        match self {
            Agent::V4(c) => Some(c),
            Agent::V6(_) => None,
        }
    }
}

/// What an HTTP boot download gave.
struct HttpFetch {
    status: Option<u16>,
    body_len: u64,
    sha256: Option<String>,
    head: Vec<u8>,
    error: Option<String>,
}

/// GET the boot URL with the kernel's TCP (firmware's HTTP boot, minus TLS): status, length,
/// sha256 and the first bytes for the arch check.
// Long on purpose: one blocking HTTP/1.1 GET by hand (connect, request, status, headers,
// body with its hash), each step failing with its own message.
fn http_fetch(url: &str) -> HttpFetch {
    use sha2::Digest;
    use std::io::Read;
    use std::net::{TcpStream, ToSocketAddrs};
    let fail = |e: String| HttpFetch {
        status: None,
        body_len: 0,
        sha256: None,
        head: vec![],
        error: Some(e),
    };
    let Some(rest) = url.strip_prefix("http://") else {
        return fail(format!("{url}: only http:// is fetched"));
    };
    let (hostport, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let target = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:80")
    };
    let Some(addr) = target.to_socket_addrs().ok().and_then(|mut a| a.next()) else {
        return fail(format!("{hostport}: cannot resolve"));
    };
    let t = std::time::Duration::from_secs(30);
    let mut s = match TcpStream::connect_timeout(&addr, t) {
        Ok(s) => s,
        Err(e) => return fail(format!("connect {addr}: {e}")),
    };
    let _ = s.set_read_timeout(Some(t));
    let req = format!("GET {path} HTTP/1.1\r\nHost: {hostport}\r\nUser-Agent: UefiHttpBoot/1.0 (pxe-inspect probe)\r\nAccept: */*\r\nConnection: close\r\n\r\n");
    if let Err(e) = std::io::Write::write_all(&mut s, req.as_bytes()) {
        return fail(format!("send: {e}"));
    }
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut hasher = sha2::Sha256::new();
    let mut header_end: Option<usize> = None;
    let mut body_len = 0u64;
    let mut head = Vec::new();
    loop {
        let n = match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                return HttpFetch {
                    error: Some(format!("read: {e}")),
                    ..fail(String::new())
                }
            }
        };
        let data = &chunk[..n];
        let body: &[u8] = match header_end {
            Some(_) => data,
            None => {
                buf.extend_from_slice(data);
                match buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    Some(p) => {
                        header_end = Some(p + 4);
                        &buf[p + 4..]
                    }
                    None if buf.len() > 64 * 1024 => return fail("HTTP header over 64 KiB".into()),
                    None => continue,
                }
            }
        };
        hasher.update(body);
        body_len += body.len() as u64;
        if head.len() < 4096 {
            head.extend_from_slice(&body[..body.len().min(4096 - head.len())]);
        }
    }
    let status = std::str::from_utf8(&buf[..header_end.unwrap_or(buf.len()).min(buf.len())])
        .ok()
        .and_then(|h| h.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok());
    let digest = hasher.finalize();
    HttpFetch {
        status,
        body_len,
        sha256: Some(digest.iter().map(|b| format!("{b:02x}")).collect()),
        head,
        error: None,
    }
}

/// The interface's MTU (Linux sysfs), if it can be read.
fn iface_mtu(iface: &str) -> Option<i32> {
    let mtu: i32 = std::fs::read_to_string(format!("/sys/class/net/{iface}/mtu"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (68..=65_535).contains(&mtu).then_some(mtu)
}

/// Where a received frame goes: which client, by chaddr (DHCP), leased IP (UDP) or ARP target.
struct Index {
    by_mac: HashMap<Mac, usize>,
    by_ip: HashMap<Ipv4Addr, usize>,
}

// Long on purpose: the event loop (start clients at the rate, drain received frames, fire
// timers, HTTP downloads, linger); its counters and handles are shared by every step.
pub fn run_inner(a: &ProbeArgs, out: &mut dyn Write, stop: Arc<AtomicBool>) -> Result<i32, String> {
    let p = plan(a)?;
    let diag = diag_config(&a.diag)?;
    let (mut cap, linktype, fetch_http) = open_capture(&p)?;
    let mut writer = match &a.write {
        Some(w) => Some(CaptureWriter::create(w, linktype).map_err(|e| format!("{w}: {e}"))?),
        None => None,
    };
    let mut tcfg = TrackerConfig::default();
    if let Some(port) = a.tftp_port {
        tcfg.tftp_ports.push(port);
    }
    let mut pipe = Pipeline::new(tcfg, diag.clone());
    let mut defrag = Defragmenter::default();
    let mut clients = new_clients(a, &p);
    let mut idx = Index {
        by_mac: clients
            .iter()
            .enumerate()
            .map(|(i, c)| (c.mac(), i))
            .collect(),
        by_ip: HashMap::new(),
    };
    let ours: std::collections::HashSet<Mac> = idx.by_mac.keys().copied().collect();
    crate::say!(
        "pxe-inspect: probing on {} with {} client(s){}",
        p.iface,
        clients.len(),
        a.write
            .as_ref()
            .map(|w| format!(", writing {w}"))
            .unwrap_or_default()
    );
    let t0 = now_ns();
    // Storms on a terminal: a progress line (started, finished, ok).
    let progress =
        (clients.len() > 1 && std::io::IsTerminal::is_terminal(&io::stderr())).then(|| {
            let pb = indicatif::ProgressBar::new(clients.len() as u64);
            pb.set_style(
                indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} clients done {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            pb
        });
    let mut last_progress = 0i64;
    let mut started = 0usize;
    let mut number = 0u64;
    let (mut sent, mut received) = (0u64, 0u64);
    let mut send_err: Option<String> = None;
    let mut last_ts = 0i64;
    let mut all_done_at: Option<i64> = None;
    let (fetch_tx, fetch_rx) = std::sync::mpsc::channel::<(usize, HttpFetch)>();
    let mut fetching: std::collections::HashSet<usize> = Default::default();
    let mut fetched = 0usize;
    let fd = cap.as_raw_fd();
    let mut emit = |frames: Vec<Vec<u8>>,
                    cap: &mut pcap::Capture<pcap::Active>,
                    pipe: &mut Pipeline,
                    writer: &mut Option<CaptureWriter>,
                    number: &mut u64,
                    last_ts: &mut i64|
     -> Result<(), String> {
        for f in frames {
            if f.is_empty() {
                continue;
            }
            if let Err(e) = cap.sendpacket(&f[..]) {
                if send_err.is_none() {
                    send_err = Some(e.to_string());
                    crate::say!("pxe-inspect: sending on the interface failed: {e}");
                }
                continue;
            }
            sent += 1;
            *number += 1;
            let ts = now_ns().max(*last_ts);
            *last_ts = ts;
            if let Some(w) = writer.as_mut() {
                w.write(linktype, ts, &f, f.len() as u32)
                    .map_err(|e| format!("writing capture: {e}"))?;
            }
            let _ = pipe.push(&Frame {
                input: 0,
                number: *number,
                ts_ns: ts,
                linktype,
                data: f,
                orig_len: 0,
                offset: 0,
            });
        }
        Ok(())
    };
    loop {
        let now = now_ns();
        if stop.load(Ordering::SeqCst) {
            break;
        }
        // Start clients at the requested rate.
        let due = if clients.len() == 1 {
            1
        } else {
            (((now - t0) as f64 / 1e9) * p.rate).floor() as usize + 1
        };
        while started < clients.len() && started < due {
            let frames = match (&p.tftp_only, &mut clients[started]) {
                (Some((server, file, first)), Agent::V4(c)) => {
                    let ip = Ipv4Addr::from(u32::from(*first).wrapping_add(started as u32));
                    idx.by_ip.insert(ip, started);
                    c.start_static(now, ip, *server, file)
                }
                (_, c) => c.start(now),
            };
            emit(
                frames,
                &mut cap,
                &mut pipe,
                &mut writer,
                &mut number,
                &mut last_ts,
            )?;
            started += 1;
        }
        // Drain what arrived.
        let mut got = 0;
        while got < 512 {
            let (data, ts, orig_len) = match cap.next_packet() {
                Ok(pk) => (
                    pk.data.to_vec(),
                    pk.header.ts.tv_sec * 1_000_000_000 + pk.header.ts.tv_usec,
                    pk.header.len,
                ),
                Err(pcap::Error::TimeoutExpired) | Err(pcap::Error::NoMorePackets) => break,
                Err(e) => return Err(format!("capture on {} failed: {e}", p.iface)),
            };
            got += 1;
            let src_mac: Option<Mac> = data.get(6..12).and_then(|s| s.try_into().ok());
            if src_mac.is_some_and(|m| ours.contains(&m)) {
                continue; // our own frames, already analysed as sent
            }
            received += 1;
            number += 1;
            // The kernel stamped it on arrival, possibly before a frame we sent since; the
            // capture we write stays in order.
            let ts = ts.max(last_ts);
            last_ts = ts;
            if let Some(w) = writer.as_mut() {
                w.write(linktype, ts, &data, orig_len)
                    .map_err(|e| format!("writing capture: {e}"))?;
            }
            let now = now_ns();
            let (to, replies) = dispatch(&mut clients, &idx, &mut defrag, linktype, &data, now);
            if let Some((ip, i)) = to.and_then(|i| clients[i].leased_ip().map(|ip| (ip, i))) {
                // A released address is handed to the next client: the newest holder owns it.
                if !clients[i].done() {
                    idx.by_ip.insert(ip, i);
                }
            }
            let _ = pipe.push(&Frame {
                input: 0,
                number,
                ts_ns: ts,
                linktype,
                data,
                orig_len,
                offset: 0,
            });
            emit(
                replies,
                &mut cap,
                &mut pipe,
                &mut writer,
                &mut number,
                &mut last_ts,
            )?;
        }
        // Timers.
        let now = now_ns();
        let mut next = i64::MAX;
        for c in clients.iter_mut().take(started) {
            if c.deadline() <= now {
                let frames = c.poll(now);
                emit(
                    frames,
                    &mut cap,
                    &mut pipe,
                    &mut writer,
                    &mut number,
                    &mut last_ts,
                )?;
            }
            next = next.min(c.deadline());
        }
        if let Some(pb) = &progress {
            if now - last_progress > 100_000_000 {
                last_progress = now;
                let done = clients.iter().filter(|c| c.done()).count();
                let ok = clients.iter().filter(|c| c.done() && c.result().ok).count();
                pb.set_position(done as u64);
                pb.set_message(format!("({started} started, {ok} ok)"));
            }
        }
        if fetch_http {
            for (i, c) in clients.iter().enumerate() {
                let r = c.result();
                if c.done() && r.ok && !fetching.contains(&i) {
                    if let Some(url) = r.boot_url.clone().filter(|u| u.starts_with("http://")) {
                        fetching.insert(i);
                        let tx = fetch_tx.clone();
                        std::thread::spawn(move || {
                            let _ = tx.send((i, http_fetch(&url)));
                        });
                    }
                }
            }
            while let Ok((i, f)) = fetch_rx.try_recv() {
                fetched += 1;
                if let Agent::V4(c) = &mut clients[i] {
                    apply_fetch(&mut c.result, f, a.verify_arch);
                }
            }
        }
        let http_pending = fetching.len() > fetched;
        if started == clients.len() && !http_pending && clients.iter().all(|c| c.done()) {
            // Keep listening a little: late answers (a slow proxy, a server still
            // retransmitting) belong in the analysis.
            let until = *all_done_at.get_or_insert(now + (a.linger * 1e9) as i64);
            if now >= until {
                break;
            }
            next = next.min(until);
        }
        if got == 0 {
            // Sleep until a frame arrives or the next timer (or client start) is due.
            let start_due = if started < clients.len() {
                t0 + ((started as f64 / p.rate) * 1e9) as i64
            } else {
                i64::MAX
            };
            let wait_ms = ((next.min(start_due) - now_ns()) / 1_000_000).clamp(0, 50) as i32;
            let mut pfd = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for the duration of the call.
            unsafe { libc::poll(&mut pfd, 1, wait_ms.max(1)) };
        }
    }
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    let interrupted = stop.load(Ordering::SeqCst);
    let end = now_ns();
    for c in clients.iter_mut().filter(|c| !c.done()) {
        c.result_mut().failure = Some(if interrupted {
            "interrupted".into()
        } else {
            "not started".into()
        });
    }
    if let Some(w) = writer.as_mut() {
        w.finish(end).map_err(|e| format!("writing capture: {e}"))?;
    }
    if let Some(dir) = &a.save {
        std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
        for c in clients
            .iter()
            .filter_map(|c| if let Agent::V4(c) = c { Some(c) } else { None })
        {
            if let (Some(d), Some(f)) = (&c.data, &c.result.boot_file) {
                let base = f.rsplit(['/', '\\']).next().unwrap_or("file");
                let path = std::path::Path::new(dir)
                    .join(format!("{}-{base}", fmt_mac(&c.id.mac).replace(':', "")));
                std::fs::write(&path, d).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
    }
    let results: Vec<ProbeResult> = clients.iter().map(|c| c.result().clone()).collect();
    let mut summary = summarize(&results, (end - t0) as f64 / 1e9, sent, received);
    summary.capture_dropped = cap
        .stats()
        .ok()
        .map(|st| u64::from(st.dropped) + u64::from(st.if_dropped));
    if let Some(d) = summary.capture_dropped.filter(|d| *d > 0) {
        crate::say!("pxe-inspect: the capture dropped {d} frames before probe read them; clients waiting for them timed out and retried");
    }
    report(
        a,
        &p,
        &mut pipe,
        Listened {
            end,
            linktype,
            frames: number,
        },
        &results,
        &summary,
        out,
    )
}

/// Opens the probe's interface: promiscuous (servers answer the synthetic MACs), Ethernet only,
/// snaplen by MTU; and says whether HTTP boot downloads will be fetched and captured.
fn open_capture(p: &Plan) -> Result<(pcap::Capture<pcap::Active>, u32, bool), String> {
    let devs = pcap::Device::list().map_err(|e| permission_hint(e.to_string()))?;
    let Some(dev) = devs.into_iter().find(|d| d.name == p.iface) else {
        return Err(format!(
            "no such interface `{}` (see `pxe-inspect capture --list`)",
            p.iface
        ));
    };
    let dev_has_v4 = dev.addresses.iter().any(|a| a.addr.is_ipv4());
    if !dev.flags.is_up() {
        return Err(format!(
            "interface `{}` is down (ip link set {} up)",
            p.iface, p.iface
        ));
    }
    // HTTP boot downloads use the kernel's TCP: keep web ports in the capture for the analysis.
    let fetch_http = dev_has_v4 && p.identities.iter().any(|i| i.http());
    // libpcap sizes every ring slot for the largest frame it might see, and with receive
    // offloads on (veth, most NICs) that is 64 KiB: a 32 MiB ring held ~500 frames, fewer than
    // 50 clients' 16-block TFTP windows in flight, and whole windows were lost (a 1 s stall per
    // client, found with bench/serve.sh). The clients' own traffic never exceeds the MTU, so
    // the slots are sized to it unless HTTP downloads (TCP, merged by GRO) are captured too.
    let snaplen = match iface_mtu(&p.iface) {
        Some(mtu) if !fetch_http => mtu + 14 + 8 + 4, // Ethernet, two VLAN tags, FCS
        _ => 65_535,
    };
    let cap = pcap::Capture::from_device(dev)
        .map_err(|e| e.to_string())?
        // Servers answer the synthetic MACs, not the interface's own.
        .promisc(true)
        .snaplen(snaplen)
        .buffer_size(64 << 20)
        .immediate_mode(true)
        .precision(pcap::Precision::Nano)
        .open()
        .map_err(|e| permission_hint(format!("cannot open `{}`: {e}", p.iface)))?;
    let mut cap = cap.setnonblock().map_err(|e| e.to_string())?;
    let linktype = cap.get_datalink().0 as u32;
    if linktype != 1 {
        return Err(format!(
            "`{}` is not an Ethernet interface (link type {linktype}); probe speaks Ethernet",
            p.iface
        ));
    }
    let filter = if fetch_http {
        "arp or udp or (ip and ip[6:2] & 0x1fff != 0) or icmp or icmp6 or tcp port 80 or tcp port 8080"
    } else {
        "arp or udp or (ip and ip[6:2] & 0x1fff != 0) or icmp or icmp6"
    };
    cap.filter(filter, true)
        .map_err(|e| format!("filter: {e}"))?;
    Ok((cap, linktype, fetch_http))
}

/// One client per identity, each with its TFTP profile and its own transaction id.
fn new_clients(a: &ProbeArgs, p: &Plan) -> Vec<Agent> {
    let seed = now_ns() as u32;
    p.identities
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let mut cfg = p.cfg.clone();
            cfg.profile = auto_profile(a, id, &p.cfg);
            let xid = seed.wrapping_add((i as u32).wrapping_mul(0x9e37_79b9));
            if a.dhcpv6 {
                Agent::V6(Client6::new(id.clone(), cfg, xid))
            } else {
                Agent::V4(Client::new(id.clone(), cfg, xid))
            }
        })
        .collect()
}

/// An HTTP boot download's outcome into the client's result (`--verify-arch` checks the image).
fn apply_fetch(r: &mut ProbeResult, f: HttpFetch, verify: bool) {
    r.http_status = f.status;
    r.bytes = f.body_len;
    r.sha256 = f.sha256;
    r.file_kind = crate::proto::FileKind::sniff(&f.head);
    if let Some(e) = f.error {
        r.ok = false;
        r.failure = Some(format!(
            "HTTP download of {}: {e}",
            r.boot_url.clone().unwrap_or_default()
        ));
    } else if f.status.is_none_or(|s| !(200..300).contains(&s)) {
        r.ok = false;
        r.failure = Some(format!(
            "HTTP status {} for {}",
            f.status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "?".into()),
            r.boot_url.clone().unwrap_or_default()
        ));
    } else if verify {
        let fam = crate::proto::arch_info(r.arch).family;
        let misfit = r
            .file_kind
            .as_ref()
            .and_then(|k| crate::proto::file_misfit(fam, k));
        r.arch_ok = Some(misfit.is_none());
        if let Some(why) = misfit {
            r.ok = false;
            r.failure = Some(format!("--verify-arch: {why}"));
        }
    }
}

/// How long and on what the probe listened.
struct Listened {
    end: i64,
    linktype: u32,
    frames: u64,
}

/// The run's document through the one output layer: the client table above the session
/// table, the client records in jsonl and json.
fn report(
    a: &ProbeArgs,
    p: &Plan,
    pipe: &mut Pipeline,
    l: Listened,
    results: &[ProbeResult],
    summary: &ProbeSummary,
    out: &mut dyn Write,
) -> Result<i32, String> {
    let diag = diag_config(&a.diag)?;
    let style = style_for(&a.output);
    let (end, linktype, number) = (l.end, l.linktype, l.frames);
    // We listened until now: quiet time after the last frame is capture time for the rules
    // that wait (no offer after 3 s, a stall of 5 s).
    let mut sessions = pipe.tick(end);
    sessions.extend(pipe.finish());
    sessions.sort_by_key(|s| s.first_frame);
    let input = InputInfo {
        index: 0,
        path: a
            .write
            .clone()
            .unwrap_or_else(|| format!("probe:{}", p.iface)),
        format: "live".into(),
        compressed: false,
        linktypes: vec![linktype],
        frames: number,
        end: None,
        error: None,
    };
    let mut findings =
        crate::diag::capture::capture_findings(std::slice::from_ref(&input), &pipe.stats);
    crate::diag::apply_policy(&mut findings, &diag);
    let r = Report {
        schema: SCHEMA,
        tool: report::tool_version(),
        inputs: vec![input],
        sessions,
        findings,
        stats: pipe.stats.clone(),
    };
    // The client table above the session table, the client records in jsonl and json: probe's
    // own part of the one output layer's document.
    let clients_json = |c: &ProbeResult| serde_json::to_value(c).unwrap_or_default();
    let extras = Extras {
        jsonl_records: results
            .iter()
            .map(|c| ("probe-client", clients_json(c)))
            .collect(),
        summary_key: Some(("probe", serde_json::json!(summary))),
        json_key: Some((
            "probe",
            serde_json::json!({"interface": p.iface, "clients": results, "summary": summary}),
        )),
        text_preamble: Some(Box::new(|w: &mut dyn Write| {
            crate::render::probe::write_results(w, results, summary, &style)
        })),
        blank_before_text: true,
        failed: summary.failed > 0,
        ..Extras::default()
    };
    let output = Output::new(
        OutputConfig::from_args(&a.output, &a.diag),
        SessionPolicy::Keep,
    );
    output.finish(out, &r, extras)
}

/// Hand one received frame to the client it is for; returns what that client sends back.
// Long on purpose: a table of cases, one arm per frame kind a client answers (ARP, NDP, DHCPv4,
// DHCPv6, TFTP), each finding its client by MAC, address or port.
fn dispatch(
    clients: &mut [Agent],
    idx: &Index,
    defrag: &mut Defragmenter,
    linktype: u32,
    data: &[u8],
    now: i64,
) -> (Option<usize>, Vec<Vec<u8>>) {
    if let Some((from_mac, from_ip, target)) = client6::neighbor_solicitation(data) {
        let who = crate::wire::dhcp6::eui64_mac(&target).and_then(|m| idx.by_mac.get(&m).copied());
        if let Some(i) = who {
            if let Agent::V6(c) = &mut clients[i] {
                return (
                    Some(i),
                    c.on_neighbor_solicitation(from_mac, from_ip, target),
                );
            }
        }
        return (None, vec![]);
    }
    let Ok(d) = decode_frame(linktype, data, defrag, now) else {
        return (None, vec![]);
    };
    match d {
        Decoded::Udp(u) if u.dport == 546 => {
            let (Ok(m), IpAddr::V6(src)) = (crate::wire::dhcp6::Dhcp6::parse(&u.payload), u.src)
            else {
                return (None, vec![]);
            };
            let Some(i) = m.client_mac().and_then(|mac| idx.by_mac.get(&mac).copied()) else {
                return (None, vec![]);
            };
            match &mut clients[i] {
                Agent::V6(c) => (
                    Some(i),
                    c.on_dhcp6(now, &m, u.link.src_mac.unwrap_or([0; 6]), src),
                ),
                Agent::V4(_) => (None, vec![]),
            }
        }
        Decoded::Udp(u) => {
            let (IpAddr::V4(src), IpAddr::V4(dst)) = (u.src, u.dst) else {
                return (None, vec![]);
            };
            let src_mac = u.link.src_mac.unwrap_or([0; 6]);
            if u.dport == 68 || (u.sport == 4011 && u.payload.first() == Some(&2)) {
                if let Ok(m) = Dhcp4::parse(&u.payload) {
                    if let Some(i) = m.mac().and_then(|mac| idx.by_mac.get(&mac).copied()) {
                        let out = clients[i]
                            .v4()
                            .map(|c| c.on_dhcp(now, &m, src_mac, src, u.sport))
                            .unwrap_or_default();
                        return (Some(i), out);
                    }
                }
                return (None, vec![]);
            }
            if let Some(&i) = idx.by_ip.get(&dst) {
                let out = clients[i]
                    .v4()
                    .map(|c| c.on_udp(now, src, u.sport, u.dport, &u.payload))
                    .unwrap_or_default();
                return (Some(i), out);
            }
            (None, vec![])
        }
        Decoded::Arp(a) => {
            if a.op == 1 {
                if let Some(&i) = idx.by_ip.get(&a.target_ip) {
                    let out = clients[i]
                        .v4()
                        .map(|c| c.on_arp(now, &a))
                        .unwrap_or_default();
                    return (Some(i), out);
                }
                return (None, vec![]);
            }
            let mut out = vec![];
            for c in clients
                .iter_mut()
                .filter_map(|c| c.v4())
                .filter(|c| c.resolving() == Some(a.sender_ip))
            {
                out.extend(c.on_arp(now, &a));
            }
            (None, out)
        }
        _ => (None, vec![]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_names_and_macs() {
        assert_eq!(parse_arch("efi-x64"), Ok(7));
        assert_eq!(parse_arch("9"), Ok(9));
        assert!(parse_arch("x86").is_err());
        assert_eq!(nth_mac([2, 0, 0, 0, 0, 0xff], 1), [2, 0, 0, 0, 1, 0]);
        assert_eq!(
            parse_uuid("00112233-4455-6677-8899-aabbccddeeff").map(|u| u[15]),
            Ok(0xff)
        );
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
