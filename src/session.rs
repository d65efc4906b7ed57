//! session::Tracker — a sans-IO, clock-free state machine. Fed decoded packets with their frame
//! reference and capture time, it keeps one open `BootSession` per client (CONTRACT.md: keyed by
//! MAC, else DUID; TFTP joins by client IP), ties TFTP TIDs to the RRQ that started them, and
//! closes sessions after an idle period of *packet* time. The same tracker runs in `analyze`,
//! `capture`, `serve` and `probe`.

use crate::model::*;
use crate::proto::{
    arch_info, arch_unknown, identity_family, ArchInfo, Family, FileKind, Loader, VendorClass,
};
use crate::wire::dhcp4::{self, Dhcp4};
use crate::wire::dhcp6::{self, Dhcp6};
use crate::wire::link::{fmt_mac, ArpPacket, IcmpUnreachable, Mac, UdpDatagram};
use crate::wire::tftp::{self, Tftp};
// FxHash: the keys are MACs, IPs and ports from our own parsing (no HashDoS surface worth
// SipHash's cost per frame: it was 10 % of analyze time); every map is capped anyway.
use rustc_hash::FxHashMap as HashMap;
use std::net::IpAddr;

#[derive(Debug, Clone)]
pub struct TrackerConfig {
    pub idle_timeout_ns: i64,
    /// Server ports on which a TFTP request is recognised (69, plus e.g. serve --tftp-port).
    pub tftp_ports: Vec<u16>,
    pub max_sessions: usize,
    pub max_dhcp_per_session: usize,
    pub max_transfers_per_session: usize,
    /// `--sensor`: stamped on every session and event.
    pub sensor: Option<String>,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            idle_timeout_ns: 300_000_000_000,
            tftp_ports: vec![69],
            max_sessions: 100_000,
            max_dhcp_per_session: 2_000,
            max_transfers_per_session: 2_000,
            sensor: None,
        }
    }
}

/// What `Tracker::on_udp_tftp` made of a datagram.
#[derive(Debug)]
pub enum TftpVerdict {
    NotTftp,
    Tftp,
    Malformed(crate::wire::tftp::TftpError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct TKey {
    client: IpAddr,
    client_port: u16,
    server: IpAddr,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ClientKey {
    Mac(Mac),
    Duid(Vec<u8>),
    Ip(IpAddr),
}

struct Open {
    s: BootSession,
    last_ts: i64,
    keys: Vec<ClientKey>,
    tkeys: Vec<TKey>,
}

/// Progress notices for live views (capture/serve): what just happened in which session.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Event {
    pub session: u64,
    pub client: String,
    pub frame: FrameRef,
    pub time: Timestamp,
    pub kind: String,
    pub text: String,
    /// The capture point (`--sensor`); absent when none was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensor: Option<String>,
}

#[derive(Default, Debug, Clone, serde::Serialize)]
pub struct TrackerStats {
    pub sessions_opened: u64,
    pub sessions_capped: u64,
    /// DHCP messages and transfers not recorded because a session's cap was reached.
    pub records_capped: u64,
    pub tftp_unmatched: u64,
    pub tftp_malformed: u64,
    pub tftp_foreign_tid: u64,
}

pub struct Tracker {
    cfg: TrackerConfig,
    open: HashMap<u64, Open>,
    by_key: HashMap<ClientKey, u64>,
    by_ip: HashMap<IpAddr, u64>,
    transfers: HashMap<TKey, (u64, usize)>,
    http: HashMap<TKey, (u64, usize)>,
    /// Reads not answered yet, by the client's endpoint: a reply from another address than
    /// the request went to (NAT, VIP) is found through this (`tftp-reply-wrong-source`).
    awaiting: HashMap<(IpAddr, u16), (u64, usize)>,
    /// Open sessions with an unanswered ARP request for an address: a reply then touches only
    /// those (scanning every open session per reply was 3 % of a boot storm's time).
    arp_waiting: HashMap<IpAddr, Vec<u64>>,
    next_id: u64,
    max_ts: i64,
    last_sweep: i64,
    pub stats: TrackerStats,
    pub events: Vec<Event>,
    /// Collect progress events (live views only; analyze leaves this off).
    pub want_events: bool,
}

/// Push, starting an empty Vec at capacity 1 instead of std's 4: most sessions hold one stage
/// and a few DHCP messages, and with 100,000 clients open the spare slots were most of the
/// tracker's memory.
fn push_lean<T>(v: &mut Vec<T>, x: T) {
    if v.capacity() == 0 {
        v.reserve_exact(1);
    }
    v.push(x);
}

fn hex_xid(x: u32) -> String {
    format!("0x{x:08x}")
}

impl Tracker {
    pub fn new(cfg: TrackerConfig) -> Tracker {
        Tracker {
            cfg,
            open: HashMap::default(),
            by_key: HashMap::default(),
            by_ip: HashMap::default(),
            transfers: HashMap::default(),
            http: HashMap::default(),
            awaiting: HashMap::default(),
            arp_waiting: HashMap::default(),
            next_id: 1,
            max_ts: i64::MIN,
            last_sweep: i64::MIN,
            stats: TrackerStats::default(),
            events: Vec::new(),
            want_events: false,
        }
    }

    pub fn open_sessions(&self) -> usize {
        self.open.len()
    }

    /// Advance packet time; returns sessions idle for longer than the timeout, closed.
    /// Backwards timestamps never move time back (so they cannot resurrect or split sessions).
    pub fn advance(&mut self, ts: i64, closed: &mut Vec<BootSession>) {
        if ts > self.max_ts {
            self.max_ts = ts;
        }
        if self.max_ts.saturating_sub(self.last_sweep) < 1_000_000_000 {
            return;
        }
        self.last_sweep = self.max_ts;
        let limit = self.max_ts.saturating_sub(self.cfg.idle_timeout_ns);
        let idle: Vec<u64> = self
            .open
            .iter()
            .filter(|(_, o)| o.last_ts < limit)
            .map(|(id, _)| *id)
            .collect();
        for id in idle {
            if let Some(s) = self.close(id, ClosedBy::Idle) {
                closed.push(s);
            }
        }
    }

    /// Close every open session (end of capture) in order, handing each over as it closes, so
    /// a caller that streams them never holds the tracker's sessions and their copies at once.
    pub fn finish_each(&mut self, mut emit: impl FnMut(BootSession)) {
        let mut ids: Vec<u64> = self.open.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            if let Some(s) = self.close(id, ClosedBy::EndOfCapture) {
                emit(s);
            }
        }
        self.open.shrink_to_fit();
    }

    /// A finalized copy of an open session (live views ask "has it booted yet?").
    pub fn snapshot(&self, id: u64) -> Option<BootSession> {
        let mut s = self.open.get(&id)?.s.clone();
        s.closed_by = ClosedBy::Open;
        finalize(&mut s);
        Some(s)
    }

    fn close(&mut self, id: u64, why: ClosedBy) -> Option<BootSession> {
        let o = self.open.remove(&id)?;
        for k in &o.keys {
            if self.by_key.get(k) == Some(&id) {
                self.by_key.remove(k);
            }
        }
        self.by_ip.retain(|_, v| *v != id);
        for t in &o.tkeys {
            self.transfers.remove(t);
            self.http.remove(t);
            if self
                .awaiting
                .get(&(t.client, t.client_port))
                .is_some_and(|v| v.0 == id)
            {
                self.awaiting.remove(&(t.client, t.client_port));
            }
        }
        for q in o.s.arp.iter().filter(|q| !q.answered) {
            if let Some(waiting) = self.arp_waiting.get_mut(&q.target) {
                waiting.retain(|w| *w != id);
                if waiting.is_empty() {
                    self.arp_waiting.remove(&q.target);
                }
            }
        }
        let mut s = o.s;
        self.stats.records_capped += s.dhcp_messages_dropped;
        s.closed_by = why;
        finalize(&mut s);
        Some(s)
    }

    fn new_session(&mut self, key: ClientKey, frame: FrameRef, ts: i64) -> Option<u64> {
        if self.open.len() >= self.cfg.max_sessions {
            self.stats.sessions_capped += 1;
            return None;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.stats.sessions_opened += 1;
        let mut client = Client::blank();
        match &key {
            ClientKey::Mac(m) => client.mac = Some(fmt_mac(m)),
            ClientKey::Duid(d) => client.duid = Some(dhcp4::hex(d)),
            ClientKey::Ip(_) => {}
        }
        let s = BootSession {
            id,
            client,
            ip: None,
            first_frame: frame,
            last_frame: frame,
            start: Timestamp(ts),
            end: Timestamp(ts),
            duration_s: 0.0,
            pxe: false,
            stages: vec![],
            dhcp: vec![],
            dhcp_messages_dropped: 0,
            tftp: vec![],
            arp: vec![],
            icmp: vec![],
            http: vec![],
            closed_by: ClosedBy::Open,
            outcome: Outcome::Incomplete,
            findings: vec![],
            sensor: self.cfg.sensor.clone(),
        };
        self.by_key.insert(key.clone(), id);
        if let ClientKey::Ip(ip) = key {
            self.by_ip.insert(ip, id);
        }
        self.open.insert(
            id,
            Open {
                s,
                last_ts: ts,
                keys: vec![key],
                tkeys: vec![],
            },
        );
        Some(id)
    }

    fn session_for(&mut self, key: ClientKey, frame: FrameRef, ts: i64) -> Option<u64> {
        match self.by_key.get(&key) {
            Some(id) => Some(*id),
            None => self.new_session(key, frame, ts),
        }
    }

    fn add_key(&mut self, id: u64, key: ClientKey) {
        if let std::collections::hash_map::Entry::Vacant(e) = self.by_key.entry(key.clone()) {
            e.insert(id);
            if let Some(o) = self.open.get_mut(&id) {
                o.keys.push(key);
            }
        }
    }

    fn touch(&mut self, id: u64, frame: FrameRef, ts: i64) -> Option<&mut Open> {
        let o = self.open.get_mut(&id)?;
        o.last_ts = o.last_ts.max(ts);
        o.s.last_frame = frame;
        if ts > o.s.end.0 {
            o.s.end = Timestamp(ts);
        }
        Some(o)
    }

    fn bind_ip(&mut self, id: u64, ip: IpAddr) {
        if ip.is_unspecified() {
            return;
        }
        self.by_ip.insert(ip, id);
        if let Some(o) = self.open.get_mut(&id) {
            if o.s.ip.is_none() || matches!((o.s.ip, ip), (Some(IpAddr::V6(_)), IpAddr::V4(_))) {
                o.s.ip = Some(ip);
            }
        }
    }

    fn event(&mut self, id: u64, frame: FrameRef, ts: i64, kind: &str, text: String) {
        if !self.want_events {
            return;
        }
        let client = self.open.get(&id).map(|o| o.s.label()).unwrap_or_default();
        self.events.push(Event {
            session: id,
            client,
            frame,
            time: Timestamp(ts),
            kind: kind.to_string(),
            text,
            sensor: self.cfg.sensor.clone(),
        });
    }

    // ---------------------------------------------------------------------------------------
    // DHCPv4

    pub fn on_dhcp4(&mut self, frame: FrameRef, ts: i64, udp: &UdpDatagram<'_>, m: &Dhcp4<'_>) {
        let Some(mac) = m.mac().or(if m.op == 1 {
            udp.link.src_mac
        } else {
            udp.link.dst_mac
        }) else {
            return;
        };
        let Some(id) = self.session_for(ClientKey::Mac(mac), frame, ts) else {
            return;
        };
        let msg_type = m.msg_type().unwrap_or(0);
        let name = if m.msg_type().is_some() {
            dhcp4::msg_type_name(msg_type)
        } else if m.op == 1 {
            "BOOTP Request"
        } else {
            "BOOTP Reply"
        };
        let from_client = m.op == 1;
        let vendor_class = m.opt_str(60);
        let summary = dhcp4_summary(m, name, vendor_class.as_deref());
        let xid = hex_xid(m.xid);
        let to_4011 = udp.dport == 4011;
        let from_4011 = udp.sport == 4011;
        let mut bind: Option<IpAddr> = None;
        let mut ev: Option<(String, String)> = None;
        {
            let cap_dhcp = self.cfg.max_dhcp_per_session;
            let Some(o) = self.touch(id, frame, ts) else {
                return;
            };
            let s = &mut o.s;
            if s.dhcp.len() < cap_dhcp {
                push_lean(
                    &mut s.dhcp,
                    DhcpMessage {
                        frame,
                        time: Timestamp(ts),
                        version: 4,
                        message: name.to_string(),
                        xid: xid.clone(),
                        src: format!("{}:{}", udp.src, udp.sport),
                        dst: format!("{}:{}", udp.dst, udp.dport),
                        from_client,
                        summary: summary.clone(),
                        issues: m.issues.clone(),
                        text: m.opt_str(56),
                    },
                );
            } else {
                s.dhcp_messages_dropped += 1;
            }
            if from_client {
                // This message's identity: each stage keeps its own (CONTRACT.md, Stages).
                let vc = vendor_class.as_deref().map(VendorClass::parse);
                let arches = m.arch_list();
                let arch = arches.first().copied().or(vc.as_ref().and_then(|v| v.arch));
                let uc = m.user_classes();
                let ipxe = m.is_ipxe();
                let after_grub = s.tftp.iter().any(|t| is_grub_image(&t.file));
                let mut ident = Client::blank();
                ident.mac = s.client.mac.clone();
                ident.loader = Loader::classify(vendor_class.as_deref(), arch, ipxe, after_grub);
                ident.arch = identity_arch(arch, vendor_class.as_deref());
                ident.arch_list = arches;
                ident.vendor_class_arch = vc.as_ref().and_then(|v| v.arch);
                ident.vendor_class = vc.as_ref().map(|v| v.raw.clone());
                ident.undi = m.undi().or(vc.as_ref().and_then(|v| v.undi.clone()));
                ident.uuid = m.uuid();
                ident.hostname = m.opt_str(12);
                ident.user_class = uc.clone();
                ident.ipxe = ipxe;
                if vc.as_ref().is_some_and(|v| v.is_pxe() || v.is_http())
                    || ident.loader == Loader::Uboot
                {
                    s.pxe = true;
                }
                let stage_idx = s.stages.iter().rposition(|st| st.xids.contains(&xid));
                // A fresh xid from the identity the last stage is still discovering for is a
                // retry of that stage (U-Boot changes xid on every DISCOVER).
                let retry_of_last = stage_idx.is_none()
                    && matches!(msg_type, 1 | 3 | 8)
                    && !to_4011
                    && s.stages.last().is_some_and(|st| {
                        st.protocol == Protocol::Dhcpv4
                            && st.client.same_identity(&ident)
                            && !st.progressed()
                    });
                let starts_stage = match msg_type {
                    1 => stage_idx.is_none() && !retry_of_last,
                    3 | 8 => stage_idx.is_none() && !to_4011 && !retry_of_last,
                    _ => false,
                } || (s.stages.is_empty() && !matches!(msg_type, 7));
                let idx = if starts_stage {
                    let index = s.stages.len();
                    let mut st = empty_stage(index, Protocol::Dhcpv4, Some(xid.clone()), frame, ts);
                    st.ipxe = ipxe;
                    st.vendor_class = vendor_class.clone();
                    st.arch = arch;
                    st.user_class = uc;
                    st.client = ident;
                    let text = match s.stages.last().and_then(|p| st.identity_switch(p)) {
                        Some(switch) => format!("{switch}: {summary}"),
                        None => format!("stage {} starts: {summary}", index + 1),
                    };
                    push_lean(&mut s.stages, st);
                    ev = Some(("stage".into(), text));
                    index
                } else {
                    let i = stage_idx.unwrap_or(s.stages.len().saturating_sub(1));
                    if let Some(st) = s.stages.get_mut(i) {
                        if retry_of_last {
                            push_lean(&mut st.xids, xid.clone());
                        }
                        st.client.fill_from(&ident);
                    }
                    i
                };
                if let Some(st) = s.stages.get_mut(idx) {
                    if !m.giaddr.is_unspecified() {
                        st.relay = Some(IpAddr::V4(m.giaddr));
                    }
                    if let Some(ra) = m.relay_agent() {
                        st.relay_agent = Some(ra);
                    }
                    match msg_type {
                        1 => push_lean(&mut st.discovers, frame),
                        3 if to_4011 => st.boot_server_requests.push(BootServerRequest {
                            frame,
                            time: Timestamp(ts),
                            server: udp.dst,
                            src_port: udp.sport,
                        }),
                        3 | 8 => st.requests.push(frame),
                        4 => st.declines.push(frame),
                        _ => {}
                    }
                }
            } else {
                // Server message: attach to the stage with this xid, else the latest.
                let idx = match s.stages.iter().rposition(|st| st.xids.contains(&xid)) {
                    Some(i) => i,
                    None => {
                        if s.stages.is_empty() {
                            let index = 0;
                            push_lean(
                                &mut s.stages,
                                empty_stage(index, Protocol::Dhcpv4, Some(xid.clone()), frame, ts),
                            );
                        }
                        s.stages.len() - 1
                    }
                };
                let server_vc = vendor_class.clone();
                if server_vc
                    .as_deref()
                    .is_some_and(|v| v.starts_with("PXEClient") || v.starts_with("HTTPClient"))
                {
                    s.pxe = true;
                }
                let Some(st) = s.stages.get_mut(idx) else {
                    return;
                };
                let yiaddr = (!m.yiaddr.is_unspecified()).then_some(IpAddr::V4(m.yiaddr));
                let pending_4011 = st.boot_server_requests.iter().any(|r| r.server == udp.src);
                let kind = match msg_type {
                    2 if from_4011 || to_4011 => OfferKind::BootServer,
                    2 if yiaddr.is_none() => OfferKind::Proxy,
                    2 => OfferKind::Dhcp,
                    5 if from_4011 || to_4011 => OfferKind::BootServer,
                    // A reply to a 4011 request sent back from port 67 (seen in the wild): still the
                    // boot server's answer, flagged by proxy-wrong-port.
                    5 if pending_4011 && yiaddr.is_none() => OfferKind::BootServer,
                    5 => OfferKind::Ack,
                    6 => {
                        st.naks.push(frame);
                        OfferKind::Ack
                    }
                    _ if m.msg_type().is_none() => OfferKind::Ack, // BOOTP reply
                    _ => OfferKind::Ack,
                };
                if msg_type != 6 {
                    let offer = Offer {
                        frame,
                        time: Timestamp(ts),
                        kind,
                        message: name.to_string(),
                        server: udp.src,
                        server_id: m.server_id().map(IpAddr::V4),
                        src_port: udp.sport,
                        dst_port: udp.dport,
                        address: yiaddr,
                        siaddr: (!m.siaddr.is_unspecified()).then_some(IpAddr::V4(m.siaddr)),
                        sname: m.sname(),
                        file: m.file(),
                        opt66: m.opt_str(66),
                        opt67: m.opt_str(67),
                        vendor_class: server_vc,
                        pxe: m.pxe_options(),
                        boot_url: None,
                        status: None,
                        relay: (!m.giaddr.is_unspecified()).then_some(IpAddr::V4(m.giaddr)),
                        overload: (m.overload != 0).then_some(m.overload),
                        to: udp.dst,
                        boot_file_issue: None,
                        boot_file_hex: None,
                        status_code: None,
                        status_iaid: None,
                    };
                    // The name's bytes as sent: option 67 whole, else the `file` field up to
                    // its NUL (a field with no NUL at all is itself suspect).
                    let raw_name: Option<Vec<u8>> = m.opt_concat(67).or_else(|| {
                        (m.overload & 1 == 0 && m.file_raw.iter().any(|&b| b != 0)).then(|| {
                            let end = m.file_raw.iter().position(|&b| b == 0);
                            m.file_raw[..end.unwrap_or(m.file_raw.len())].to_vec()
                        })
                    });
                    let mut offer = offer;
                    if let Some(raw) = raw_name {
                        let no_nul = m.opt(67).is_none()
                            && !m.file_raw.is_empty()
                            && !m.file_raw.contains(&0);
                        let issue = crate::proto::name_bytes_issue(&raw).or(no_nul
                            .then(|| "no NUL terminator in the 128-byte file field".to_string()));
                        if let Some(i) = issue {
                            offer.boot_file_issue = Some(i);
                            offer.boot_file_hex = Some(crate::proto::hex_bytes(&raw));
                        }
                    }
                    if kind == OfferKind::Ack {
                        if let Some(a) = yiaddr {
                            st.address = Some(a);
                            bind = Some(a);
                        }
                    }
                    ev = Some(("dhcp".into(), summary.clone()));
                    if st.offers.len() < 200 {
                        st.offers.push(offer);
                    }
                }
                if !m.ciaddr.is_unspecified() && msg_type == 5 {
                    bind = bind.or(Some(IpAddr::V4(m.ciaddr)));
                }
            }
        }
        if from_client && !m.ciaddr.is_unspecified() {
            bind = Some(IpAddr::V4(m.ciaddr));
        }
        if let Some(ip) = bind {
            self.bind_ip(id, ip);
        }
        if let Some((k, t)) = ev {
            self.event(id, frame, ts, &k, t);
        }
    }

    // ---------------------------------------------------------------------------------------
    // DHCPv6

    pub fn on_dhcp6(&mut self, frame: FrameRef, ts: i64, udp: &UdpDatagram<'_>, m: &Dhcp6) {
        let from_client = matches!(m.msg_type, 1 | 3 | 4 | 5 | 6 | 8 | 9 | 11 | 12);
        let ll = if from_client { udp.src } else { udp.dst };
        let mac = m.client_mac().or(match ll {
            IpAddr::V6(a) => dhcp6::eui64_mac(&a),
            _ => None,
        });
        let key = match (mac, &m.client_duid) {
            (Some(mac), _) => ClientKey::Mac(mac),
            (None, Some(d)) => ClientKey::Duid(d.clone()),
            (None, None) => return,
        };
        // A DUID-keyed reply may belong to a MAC-keyed session: look up the DUID too.
        let id = match m
            .client_duid
            .as_ref()
            .and_then(|d| self.by_key.get(&ClientKey::Duid(d.clone())).copied())
        {
            Some(id) if !self.by_key.contains_key(&key) => Some(id),
            _ => self.session_for(key, frame, ts),
        };
        let Some(id) = id else { return };
        if let Some(d) = &m.client_duid {
            self.add_key(id, ClientKey::Duid(d.clone()));
        }
        let name = dhcp6::msg_type_name(m.msg_type);
        let xid = format!("0x{:06x}", m.xid);
        let mut summary = format!("DHCPv6 {name} xid {xid}");
        if !m.arch.is_empty() {
            summary.push_str(&format!(
                " arch={}",
                m.arch
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ));
        }
        if let Some(u) = &m.boot_url {
            summary.push_str(&format!(" boot-url={u}"));
        }
        if let Some((c, t)) = &m.status {
            summary.push_str(&format!(" status={}({c}) {t}", dhcp6::status_name(*c)));
        }
        if !m.relays.is_empty() {
            summary.push_str(&format!(" via relay {}", m.relays[0].0));
        }
        let mut bind = None;
        let mut ev = None;
        {
            let cap_dhcp = self.cfg.max_dhcp_per_session;
            let Some(o) = self.touch(id, frame, ts) else {
                return;
            };
            let s = &mut o.s;
            if let Some(d) = &m.client_duid {
                s.client.duid = Some(dhcp4::hex(d));
            }
            if s.dhcp.len() < cap_dhcp {
                push_lean(
                    &mut s.dhcp,
                    DhcpMessage {
                        frame,
                        time: Timestamp(ts),
                        version: 6,
                        message: name.to_string(),
                        xid: xid.clone(),
                        src: format!("[{}]:{}", udp.src, udp.sport),
                        dst: format!("[{}]:{}", udp.dst, udp.dport),
                        from_client,
                        summary: summary.clone(),
                        issues: m
                            .issues
                            .iter()
                            .map(|w| dhcp4::OptionIssue {
                                code: None,
                                offset: 0,
                                what: w.clone(),
                                kind: dhcp4::IssueKind::Other,
                            })
                            .collect(),
                        text: None,
                    },
                );
            } else {
                s.dhcp_messages_dropped += 1;
            }
            if from_client {
                let vc = m.vendor_class.first().map(|v| VendorClass::parse(v));
                if vc.as_ref().is_some_and(|v| v.is_pxe() || v.is_http())
                    || !m.arch.is_empty()
                    || m.oro.contains(&59)
                {
                    s.pxe = true;
                }
                let arch = m.arch.first().copied().or(vc.as_ref().and_then(|v| v.arch));
                let mut ident = Client::blank();
                ident.mac = s.client.mac.clone();
                ident.duid.clone_from(&s.client.duid);
                ident.loader =
                    Loader::classify(vc.as_ref().map(|v| v.raw.as_str()), arch, false, false);
                ident.arch = identity_arch(arch, vc.as_ref().map(|v| v.raw.as_str()));
                ident.arch_list = m.arch.clone();
                ident.vendor_class_arch = vc.as_ref().and_then(|v| v.arch);
                ident.vendor_class = vc.as_ref().map(|v| v.raw.clone());
                ident.undi.clone_from(&m.nii);
                ident.user_class = m.user_class.clone();
                let known = s.stages.iter().rposition(|st| st.xids.contains(&xid));
                let retry_of_last = known.is_none()
                    && m.msg_type == 1
                    && s.stages.last().is_some_and(|st| {
                        st.protocol == Protocol::Dhcpv6
                            && st.client.same_identity(&ident)
                            && !st.progressed()
                    });
                if retry_of_last {
                    if let Some(st) = s.stages.last_mut() {
                        push_lean(&mut st.xids, xid.clone());
                    }
                } else if (m.msg_type == 1 && known.is_none()) || s.stages.is_empty() {
                    let index = s.stages.len();
                    let mut st = empty_stage(index, Protocol::Dhcpv6, Some(xid.clone()), frame, ts);
                    st.vendor_class = vc.map(|v| v.raw);
                    st.arch = m.arch.first().copied();
                    st.user_class = m.user_class.clone();
                    st.client = ident;
                    if !m.relays.is_empty() {
                        st.relay = Some(udp.src); // the relay agent that forwarded it
                    }
                    let text = match s.stages.last().and_then(|p| st.identity_switch(p)) {
                        Some(switch) => format!("{switch}: {summary}"),
                        None => format!("stage {} starts: {summary}", index + 1),
                    };
                    push_lean(&mut s.stages, st);
                    ev = Some(("stage".to_string(), text));
                }
                let idx = known.unwrap_or(s.stages.len().saturating_sub(1));
                if let Some(st) = s.stages.get_mut(idx) {
                    match m.msg_type {
                        1 => push_lean(&mut st.discovers, frame),
                        3 | 5 | 6 | 11 => st.requests.push(frame),
                        9 => st.declines.push(frame),
                        _ => {}
                    }
                }
            } else {
                let idx = s
                    .stages
                    .iter()
                    .rposition(|st| st.xids.contains(&xid))
                    .unwrap_or(s.stages.len().saturating_sub(1));
                if s.stages.is_empty() {
                    push_lean(
                        &mut s.stages,
                        empty_stage(0, Protocol::Dhcpv6, Some(xid.clone()), frame, ts),
                    );
                }
                if let Some(st) = s.stages.get_mut(idx) {
                    let address = m.addresses.first().map(|a| IpAddr::V6(*a));
                    if m.msg_type == 7 {
                        if let Some(a) = address {
                            st.address = Some(a);
                            bind = Some(a);
                        }
                    }
                    st.offers.push(Offer {
                        frame,
                        time: Timestamp(ts),
                        kind: OfferKind::Dhcpv6,
                        message: name.to_string(),
                        server: udp.src,
                        server_id: None,
                        src_port: udp.sport,
                        dst_port: udp.dport,
                        address,
                        siaddr: None,
                        sname: None,
                        file: None,
                        opt66: None,
                        opt67: None,
                        vendor_class: m.vendor_class.first().cloned(),
                        pxe: None,
                        boot_url: m.boot_url.clone(),
                        status: m
                            .status
                            .as_ref()
                            .map(|(c, t)| format!("{} {t}", dhcp6::status_name(*c))),
                        relay: m.relays.first().map(|(l, _)| IpAddr::V6(*l)),
                        overload: None,
                        to: udp.dst,
                        boot_file_issue: None,
                        boot_file_hex: None,
                        status_code: m.status.as_ref().map(|(c, _)| *c),
                        status_iaid: m.status_iaid,
                    });
                    ev = Some(("dhcp".to_string(), summary.clone()));
                }
            }
        }
        if let Some(ip) = bind {
            self.bind_ip(id, ip);
        }
        if let Some((k, t)) = ev {
            self.event(id, frame, ts, &k, t);
        }
    }

    // ---------------------------------------------------------------------------------------
    // TFTP

    pub fn is_tftp_port(&self, port: u16) -> bool {
        self.cfg.tftp_ports.contains(&port)
    }

    /// Is this UDP datagram part of a TFTP exchange we track, or a new request?
    pub fn is_tftp(&self, udp: &UdpDatagram<'_>) -> bool {
        self.cfg.tftp_ports.contains(&udp.dport)
            || self.transfers.contains_key(&TKey {
                client: udp.src,
                client_port: udp.sport,
                server: udp.dst,
            })
            || self.transfers.contains_key(&TKey {
                client: udp.dst,
                client_port: udp.dport,
                server: udp.src,
            })
    }

    fn session_for_tftp_client(
        &mut self,
        ip: IpAddr,
        mac: Option<Mac>,
        frame: FrameRef,
        ts: i64,
    ) -> Option<u64> {
        if let Some(id) = self.by_ip.get(&ip) {
            return Some(*id);
        }
        // No lease seen: fall back to the Ethernet source (CONTRACT.md), else the IP itself.
        let id = match mac {
            Some(m) => self.session_for(ClientKey::Mac(m), frame, ts)?,
            None => self.session_for(ClientKey::Ip(ip), frame, ts)?,
        };
        self.bind_ip(id, ip);
        Some(id)
    }

    /// One UDP datagram that may be TFTP: a request to a TFTP port, anything on a tracked
    /// transfer's ports, or a reply from a TFTP port. Each transfer is looked up once and the
    /// packet decoded once (this is the per-DATA-block path, most of a boot's frames).
    pub fn on_udp_tftp(&mut self, frame: FrameRef, ts: i64, udp: &UdpDatagram<'_>) -> TftpVerdict {
        let s2c = TKey {
            client: udp.dst,
            client_port: udp.dport,
            server: udp.src,
        };
        let c2s = TKey {
            client: udp.src,
            client_port: udp.sport,
            server: udp.dst,
        };
        let tracked = match self.transfers.get(&s2c) {
            Some(&v) => Some((true, v)),
            None => self.transfers.get(&c2s).map(|&v| (false, v)),
        };
        let to_tftp_port = self.cfg.tftp_ports.contains(&udp.dport);
        if tracked.is_none() && !to_tftp_port {
            if let Some(&(id, ti)) = self.awaiting.get(&(udp.dst, udp.dport)) {
                if self.on_wrong_source(frame, udp, id, ti) {
                    return TftpVerdict::Tftp;
                }
            }
        }
        if tracked.is_none() && !to_tftp_port && !self.cfg.tftp_ports.contains(&udp.sport) {
            return TftpVerdict::NotTftp;
        }
        match Tftp::decode(&udp.payload) {
            Ok(Tftp::Rrq(req)) | Ok(Tftp::Wrq(req)) if to_tftp_port => {
                let write = tftp::opcode(&udp.payload) == Some(tftp::OP_WRQ);
                self.on_request(frame, ts, udp, req, write);
            }
            Ok(other) => match tracked {
                Some((from_server, (id, ti))) => {
                    self.on_transfer_packet(frame, ts, udp, other, from_server, id, ti)
                }
                None => self.stats.tftp_unmatched += 1,
            },
            Err(e) => {
                self.stats.tftp_malformed += 1;
                return TftpVerdict::Malformed(e);
            }
        }
        TftpVerdict::Tftp
    }

    /// A TFTP reply to a waiting read that came from another address than the request went to.
    /// The client's stack drops it (wrong TID); recorded so the finding names the real cause.
    fn on_wrong_source(
        &mut self,
        frame: FrameRef,
        udp: &UdpDatagram<'_>,
        id: u64,
        ti: usize,
    ) -> bool {
        let is_reply = matches!(
            Tftp::decode(&udp.payload),
            Ok(Tftp::Oack { .. } | Tftp::Data { .. } | Tftp::Error { .. })
        );
        let Some(t) = self.open.get_mut(&id).and_then(|o| o.s.tftp.get_mut(ti)) else {
            return false;
        };
        if !is_reply || t.answered || t.server == udp.src {
            return false;
        }
        match &mut t.wrong_source {
            Some(w) => w.packets += 1,
            None => {
                t.wrong_source = Some(WrongSource {
                    frame,
                    from: udp.src,
                    port: udp.sport,
                    packets: 1,
                })
            }
        }
        true
    }

    /// A packet of a tracked transfer (`ti` in session `id`), either direction.
    #[allow(clippy::too_many_arguments)]
    fn on_transfer_packet(
        &mut self,
        frame: FrameRef,
        ts: i64,
        udp: &UdpDatagram<'_>,
        other: Tftp<'_>,
        from_server: bool,
        id: u64,
        ti: usize,
    ) {
        let ip_len = udp.ip_len;
        let fragmented = udp.reassembled;
        let mut ev = None;
        let mut answered_now = false;
        {
            let Some(o) = self.touch(id, frame, ts) else {
                return;
            };
            let Some(t) = o.s.tftp.get_mut(ti) else {
                return;
            };
            let server_port = if from_server { udp.sport } else { udp.dport };
            if let Some(p) = t.server_port {
                if p != server_port && !(p == 69 && t.blocks == 0) {
                    // Another TID talking to the client port (RFC 1350 says: ERROR 5).
                    return;
                }
            }
            if from_server {
                if !t.answered {
                    answered_now = true;
                }
                t.answered = true;
                if t.server_port.is_none() || t.blocks == 0 {
                    t.server_port = Some(udp.sport);
                }
            }
            t.last_frame = frame;
            t.last_ts = ts;
            if ts > t.end.0 {
                t.end = Timestamp(ts);
            }
            match other {
                Tftp::Oack { options } => {
                    t.blksize = tftp::option_num(&options, "blksize").unwrap_or(512);
                    t.windowsize = tftp::option_num(&options, "windowsize").unwrap_or(1);
                    if let Some(ts) = tftp::option_num(&options, "tsize") {
                        t.tsize = Some(ts);
                    }
                    ev = Some(format!("OACK {}", opts_text(&options)));
                    t.oack = Some(options);
                }
                Tftp::Data { block, data } => {
                    // The real block length, even when the capture cut the packet (snaplen):
                    // the UDP header still says how long it was.
                    let declared = if udp.truncated {
                        data.len().max(udp.udp_len.saturating_sub(4))
                    } else {
                        data.len()
                    } as u64;
                    let data_from_sender = from_server == (t.direction == "read");
                    if !data_from_sender {
                        return;
                    }
                    if ip_len > t.max_ip_len {
                        t.max_ip_len = ip_len;
                    }
                    if fragmented {
                        t.fragmented = true;
                    }
                    let expected = t.last_block_raw.wrapping_add(1);
                    let is_new = if t.blocks == 0 {
                        block == 1 || block == 0
                    } else {
                        block == expected || (t.last_block_raw == 65535 && block == 1) || {
                            let ahead = block.wrapping_sub(t.last_block_raw);
                            ahead > 1 && ahead < 1024
                        }
                    };
                    if is_new {
                        let ahead = if t.blocks == 0 {
                            1
                        } else {
                            u64::from(block.wrapping_sub(t.last_block_raw)).max(1)
                        };
                        if ahead > 1 && !(t.last_block_raw == 65535 && block == 1) {
                            t.missing_blocks += ahead - 1;
                            // Remember what was skipped: a windowed server resends it.
                            let mut b = t.last_block_raw.wrapping_add(1);
                            while b != block && t.gaps.len() < 4096 {
                                t.gaps.push(b);
                                b = b.wrapping_add(1);
                            }
                        }
                        if t.blocks == 0 {
                            t.head = data.get(..data.len().min(1024)).unwrap_or(&[]).to_vec();
                            t.file_kind = FileKind::sniff(&t.head);
                            t.signed = crate::proto::pe_signed(&t.head);
                        }
                        t.blocks += 1;
                        t.bytes += declared;
                        t.last_block_raw = block;
                        t.cur_block_sends = 1;
                        t.max_block_sends = t.max_block_sends.max(1);
                        if declared < t.blksize && t.status == TransferStatus::Incomplete {
                            if t.gaps.is_empty() {
                                t.status = TransferStatus::Complete;
                                t.final_frame = Some(frame);
                                ev = Some(format!(
                                    "complete: {} bytes in {} blocks",
                                    t.bytes, t.blocks
                                ));
                            } else {
                                t.final_seen = true;
                            }
                        }
                    } else if let Some(gi) = t.gaps.iter().position(|g| *g == block) {
                        // A skipped block arrives after all (window restart): it is data.
                        t.gaps.swap_remove(gi);
                        t.missing_blocks = t.missing_blocks.saturating_sub(1);
                        t.blocks += 1;
                        t.bytes += declared;
                        if t.final_seen
                            && t.gaps.is_empty()
                            && t.status == TransferStatus::Incomplete
                        {
                            t.status = TransferStatus::Complete;
                            t.final_frame = Some(frame);
                            ev = Some(format!(
                                "complete: {} bytes in {} blocks",
                                t.bytes, t.blocks
                            ));
                        }
                    } else {
                        t.retransmits += 1;
                        if block == t.last_block_raw {
                            t.cur_block_sends += 1;
                            t.max_block_sends = t.max_block_sends.max(t.cur_block_sends);
                        }
                    }
                }
                Tftp::Ack { .. } => {}
                Tftp::Error { code, message } => {
                    let from = if from_server { "server" } else { "client" };
                    if t.status == TransferStatus::Incomplete {
                        t.status = if from_server {
                            TransferStatus::Error
                        } else {
                            TransferStatus::Aborted
                        };
                    }
                    ev = Some(format!(
                        "ERROR {code} ({}) from {from}: {message}",
                        tftp::error_name(code)
                    ));
                    t.error = Some(TftpErrorInfo {
                        code,
                        name: tftp::error_name(code).to_string(),
                        message,
                        frame,
                        from: from.to_string(),
                    });
                }
                Tftp::Rrq(_) | Tftp::Wrq(_) => {}
            }
        }
        if answered_now && !self.awaiting.is_empty() {
            let ep = (udp.dst, udp.dport);
            if self.awaiting.get(&ep) == Some(&(id, ti)) {
                self.awaiting.remove(&ep);
            }
        }
        if let Some(text) = ev {
            let file = self
                .open
                .get(&id)
                .and_then(|o| o.s.tftp.get(ti))
                .map(|t| t.file.clone())
                .unwrap_or_default();
            self.event(id, frame, ts, "tftp", format!("{file}: {text}"));
        }
    }

    fn on_request(
        &mut self,
        frame: FrameRef,
        ts: i64,
        udp: &UdpDatagram<'_>,
        req: tftp::Request,
        write: bool,
    ) {
        let key = TKey {
            client: udp.src,
            client_port: udp.sport,
            server: udp.dst,
        };
        let Some(id) = self.session_for_tftp_client(udp.src, udp.link.src_mac, frame, ts) else {
            return;
        };
        // A retransmitted request: same endpoints, same file, nothing answered yet.
        if let Some(&(sid, ti)) = self.transfers.get(&key) {
            if let Some(t) = self.open.get_mut(&sid).and_then(|o| o.s.tftp.get_mut(ti)) {
                if t.file == req.filename && !t.answered {
                    t.rrq_count += 1;
                    t.last_frame = frame;
                    return;
                }
            }
        }
        let cap = self.cfg.max_transfers_per_session;
        let ev;
        let ti = {
            let Some(o) = self.touch(id, frame, ts) else {
                return;
            };
            let s = &mut o.s;
            if s.tftp.len() >= cap {
                self.stats.records_capped += 1;
                return;
            }
            if !write {
                s.pxe = true; // a read is boot traffic; a write (WRQ) is not
            }
            let stage = s.stages.len().checked_sub(1);
            let tsize = tftp::option_num(&req.options, "tsize").filter(|v| *v > 0);
            let t = Transfer {
                file: req.filename.clone(),
                direction: if write { "write" } else { "read" }.into(),
                client: format!("{}:{}", udp.src, udp.sport),
                server: udp.dst,
                server_port: None,
                mode: req.mode.to_ascii_lowercase(),
                requested: req.options.clone(),
                oack: None,
                blksize: 512,
                tsize,
                windowsize: 1,
                status: TransferStatus::Incomplete,
                bytes: 0,
                blocks: 0,
                missing_blocks: 0,
                retransmits: 0,
                max_block_sends: 0,
                rrq_count: 1,
                error: None,
                first_frame: frame,
                last_frame: frame,
                final_frame: None,
                start: Timestamp(ts),
                end: Timestamp(ts),
                duration_s: 0.0,
                throughput_bps: None,
                file_kind: None,
                signed: None,
                file_issue: None,
                file_hex: None,
                wrong_source: None,
                max_ip_len: 0,
                fragmented: false,
                icmp_unreachable: vec![],
                answered: false,
                stage,
                head: vec![],
                last_block_raw: 0,
                cur_block_sends: 0,
                last_ts: ts,
                gaps: Vec::new(),
                final_seen: false,
            };
            let mut t = t;
            // The name's bytes as sent (the decoded name is lossy UTF-8).
            let raw = udp.payload.get(2..).unwrap_or(&[]);
            let raw = &raw[..raw.iter().position(|&b| b == 0).unwrap_or(raw.len())];
            if let Some(i) = crate::proto::name_bytes_issue(raw) {
                t.file_issue = Some(i);
                t.file_hex = Some(crate::proto::hex_bytes(raw));
            }
            s.tftp.push(t);
            let ti = s.tftp.len() - 1;
            if let Some(st) = stage.and_then(|i| s.stages.get_mut(i)) {
                st.transfers.push(ti);
            }
            ev = Some(format!(
                "{} {} {}",
                if write { "WRQ" } else { "RRQ" },
                req.filename,
                opts_text(&req.options)
            ));
            ti
        };
        if let Some(o) = self.open.get_mut(&id) {
            o.tkeys.push(key);
        }
        self.transfers.insert(key, (id, ti));
        if !write && self.awaiting.len() < 100_000 {
            self.awaiting.insert((udp.src, udp.sport), (id, ti));
        }
        if let Some(t) = ev {
            self.event(id, frame, ts, "tftp", t);
        }
    }

    // ---------------------------------------------------------------------------------------
    // HTTP boot

    /// Follow HTTP downloads of clients that have a PXE/HTTP-boot session. Returns whether the
    /// segment belonged to such a flow.
    pub fn on_tcp(
        &mut self,
        frame: FrameRef,
        ts: i64,
        t: &crate::wire::link::TcpSegment<'_>,
    ) -> bool {
        let c2s = TKey {
            client: t.src,
            client_port: t.sport,
            server: t.dst,
        };
        let s2c = TKey {
            client: t.dst,
            client_port: t.dport,
            server: t.src,
        };
        let (key, from_server) = if self.http.contains_key(&c2s) {
            (c2s, false)
        } else if self.http.contains_key(&s2c) {
            (s2c, true)
        } else {
            if !crate::http::is_request(t.payload) {
                return false;
            }
            let Some(&id) = self.by_ip.get(&t.src) else {
                return false;
            };
            let Some(o) = self.open.get_mut(&id) else {
                return false;
            };
            if !o.s.pxe || o.s.http.len() >= 256 || self.http.len() >= 100_000 {
                return false;
            }
            let stage = o.s.stages.len().checked_sub(1);
            o.s.http.push(crate::http::HttpTransfer::new(
                format!("{}:{}", t.src, t.sport),
                t.dst,
                t.dport,
                frame,
                ts,
                stage,
            ));
            let idx = o.s.http.len() - 1;
            o.tkeys.push(c2s);
            self.http.insert(c2s, (id, idx));
            (c2s, false)
        };
        let Some(&(id, mut idx)) = self.http.get(&key) else {
            return false;
        };
        // A client segment whose bytes were all seen before is a TCP retransmission: it is
        // neither a new request nor more of this one (GRUB resends its GET ~1 ms after the ACK).
        let mut retransmitted = false;
        if !from_server && !t.payload.is_empty() {
            if let Some(h) = self.open.get_mut(&id).and_then(|o| o.s.http.get_mut(idx)) {
                retransmitted = h.flow.client_segment(t.seq, t.payload.len())
                    == crate::http::ClientSegment::Retransmitted;
            }
        }
        // Keep-alive: a second request on the same connection (UEFI HTTP boot sends HEAD, then
        // GET) is a transfer of its own; the bytes after it answer it, not the first one.
        if !from_server && !retransmitted && crate::http::is_request(t.payload) {
            if let Some(o) = self.open.get_mut(&id) {
                let busy = o.s.http.get(idx).is_some_and(|h| !h.method.is_empty());
                if busy && o.s.http.len() < 256 {
                    let client_next = o.s.http.get(idx).and_then(|h| h.flow.client_next);
                    let stage = o.s.stages.len().checked_sub(1);
                    o.s.http.push(crate::http::HttpTransfer::new(
                        format!("{}:{}", t.src, t.sport),
                        t.dst,
                        t.dport,
                        frame,
                        ts,
                        stage,
                    ));
                    idx = o.s.http.len() - 1;
                    if let Some(h) = o.s.http.get_mut(idx) {
                        h.flow.client_next = client_next;
                    }
                    self.http.insert(key, (id, idx));
                }
            }
        }
        let mut ev = None;
        {
            let Some(o) = self.touch(id, frame, ts) else {
                return true;
            };
            let Some(h) = o.s.http.get_mut(idx) else {
                return true;
            };
            h.last_frame = frame;
            if ts > h.end.0 {
                h.end = Timestamp(ts);
            }
            let before = h.status;
            if from_server {
                if h.on_server_data(t.seq, t.payload) {
                    h.last_progress = Timestamp(ts);
                }
            } else if !t.payload.is_empty() && !retransmitted {
                let had = !h.method.is_empty();
                h.on_client_data(t.payload);
                if !had && !h.method.is_empty() {
                    ev = Some(format!("{} {}", h.method, h.url));
                }
            }
            if t.fin {
                h.on_fin(from_server);
            }
            if t.rst {
                h.on_rst();
            }
            if h.status != before {
                ev = Some(format!(
                    "{}: {} ({} bytes, HTTP {})",
                    h.url,
                    h.status.name(),
                    h.bytes,
                    h.status_code
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "-".into())
                ));
            }
        }
        if let Some(text) = ev {
            self.event(id, frame, ts, "http", text);
        }
        true
    }

    // ---------------------------------------------------------------------------------------
    // ARP and ICMP: evidence for PXE-E11 and for unanswered requests.

    pub fn on_arp(&mut self, frame: FrameRef, ts: i64, a: &ArpPacket) {
        match a.op {
            1 => {
                let Some(&id) = self.by_key.get(&ClientKey::Mac(a.sender_mac)) else {
                    return;
                };
                if a.target_ip == a.sender_ip {
                    return; // gratuitous / probe of own address
                }
                let Some(o) = self.touch(id, frame, ts) else {
                    return;
                };
                let target = IpAddr::V4(a.target_ip);
                if let Some(q) =
                    o.s.arp
                        .iter_mut()
                        .find(|q| q.target == target && !q.answered)
                {
                    q.count += 1;
                } else if o.s.arp.len() < 64 {
                    o.s.arp.push(ArpQuery {
                        frame,
                        time: Timestamp(ts),
                        target,
                        answered: false,
                        count: 1,
                    });
                    let waiting = self.arp_waiting.entry(target).or_default();
                    if !waiting.contains(&id) {
                        waiting.push(id);
                    }
                }
            }
            2 => {
                let sender = IpAddr::V4(a.sender_ip);
                for id in self.arp_waiting.remove(&sender).unwrap_or_default() {
                    if let Some(o) = self.open.get_mut(&id) {
                        for q in o.s.arp.iter_mut().filter(|q| q.target == sender) {
                            q.answered = true;
                        }
                    }
                }
            }
            _ => {}
        }
    }

    pub fn on_icmp(&mut self, frame: FrameRef, ts: i64, i: &IcmpUnreachable) {
        let tk1 = TKey {
            client: i.orig_src,
            client_port: i.orig_sport,
            server: i.orig_dst,
        };
        let tk2 = TKey {
            client: i.orig_dst,
            client_port: i.orig_dport,
            server: i.orig_src,
        };
        let about = format!(
            "{}:{} -> {}:{}",
            i.orig_src, i.orig_sport, i.orig_dst, i.orig_dport
        );
        let hit = self
            .transfers
            .get(&tk1)
            .or(self.transfers.get(&tk2))
            .copied();
        let id = match hit {
            Some((id, _)) => Some(id),
            None => self
                .by_ip
                .get(&i.orig_src)
                .or(self.by_ip.get(&i.orig_dst))
                .copied(),
        };
        let Some(id) = id else { return };
        let Some(o) = self.touch(id, frame, ts) else {
            return;
        };
        if let Some((_, ti)) = hit {
            if let Some(t) = o.s.tftp.get_mut(ti) {
                t.icmp_unreachable.push(frame);
            }
        }
        if let Some(n) =
            o.s.icmp
                .iter_mut()
                .find(|n| n.about == about && n.from == i.from && n.code == i.code)
        {
            n.count += 1;
            n.last_frame = frame;
        } else if o.s.icmp.len() < 64 {
            o.s.icmp.push(IcmpNote {
                frame,
                time: Timestamp(ts),
                from: i.from,
                code: i.code,
                about,
                count: 1,
                last_frame: frame,
            });
        }
    }
}

/// The architecture of one identity: its code, or for U-Boot without one, the family its class
/// names.
fn identity_arch(code: Option<u16>, vendor_class: Option<&str>) -> ArchInfo {
    if let Some(c) = code {
        return arch_info(c);
    }
    match identity_family(None, vendor_class) {
        f @ (Family::Uboot | Family::UbootArm | Family::UbootArm64) => ArchInfo {
            code: None,
            name: "U-Boot (no arch code sent)".to_string(),
            family: f,
            http: false,
            rfc_name: None,
        },
        _ => arch_unknown(),
    }
}

/// Did the session fetch something of GRUB's (its image or its files)? GRUB's own DHCP
/// carries no marker of its own, so this is how its identity is told.
fn is_grub_image(file: &str) -> bool {
    file.to_ascii_lowercase().contains("grub")
}

pub(crate) fn empty_stage(
    index: usize,
    protocol: Protocol,
    xid: Option<String>,
    frame: FrameRef,
    ts: i64,
) -> Stage {
    Stage {
        index,
        protocol,
        xids: xid.iter().cloned().collect(),
        xid,
        client: Client::blank(),
        first_frame: frame,
        start: Timestamp(ts),
        ipxe: false,
        vendor_class: None,
        arch: None,
        user_class: vec![],
        discovers: vec![],
        requests: vec![],
        boot_server_requests: vec![],
        offers: vec![],
        naks: vec![],
        declines: vec![],
        address: None,
        boot_file: None,
        boot_server: None,
        boot_file_source: None,
        boot_file_frame: None,
        transfers: vec![],
        relay: None,
        relay_agent: None,
        outcome: Outcome::Incomplete,
    }
}

pub fn opts_text(o: &[(String, String)]) -> String {
    o.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn dhcp4_summary(m: &Dhcp4<'_>, name: &str, vc: Option<&str>) -> String {
    let mut s = format!("DHCP {name} xid 0x{:08x}", m.xid);
    if !m.yiaddr.is_unspecified() {
        s.push_str(&format!(" addr={}", m.yiaddr));
    }
    if m.op == 1 {
        let arches = m.arch_list();
        if !arches.is_empty() {
            s.push_str(&format!(
                " arch={}",
                arches
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ));
        }
        if let Some(v) = vc {
            s.push_str(&format!(" class={v}"));
        }
        if m.is_ipxe() {
            s.push_str(" iPXE");
        }
    } else {
        if let Some(f) = m.opt_str(67).or(m.file()) {
            s.push_str(&format!(" boot={f}"));
        }
        if !m.siaddr.is_unspecified() {
            s.push_str(&format!(" next-server={}", m.siaddr));
        }
        if let Some(t) = m.opt_str(66) {
            s.push_str(&format!(" tftp-server={t}"));
        }
        if let Some(v) = vc {
            s.push_str(&format!(" class={v}"));
        }
        if m.opt(43).is_some() {
            s.push_str(" opt43");
        }
    }
    if !m.giaddr.is_unspecified() {
        s.push_str(&format!(" relay={}", m.giaddr));
    }
    s
}

/// Derived fields once a session is closed: boot file per stage, transfer figures.
fn finalize(s: &mut BootSession) {
    s.duration_s = s.end.secs_since(s.start);
    // The session's client is the machine's firmware: the first stage that sent an arch code,
    // else the first stage (CONTRACT.md). Later loaders keep their identity in their stage.
    let firmware = s
        .stages
        .iter()
        .find(|st| st.client.arch.code.is_some())
        .or(s.stages.first())
        .map(|st| st.client.clone());
    if let Some(mut c) = firmware {
        c.mac = s.client.mac.take();
        c.duid = s.client.duid.take();
        c.ipxe = s.stages.iter().any(|st| st.client.ipxe);
        let first = |f: fn(&Client) -> Option<String>| s.stages.iter().find_map(|st| f(&st.client));
        if c.uuid.is_none() {
            c.uuid = first(|x| x.uuid.clone());
        }
        if c.hostname.is_none() {
            c.hostname = first(|x| x.hostname.clone());
        }
        if c.user_class.is_empty() {
            c.user_class = s
                .stages
                .iter()
                .find(|st| !st.client.user_class.is_empty())
                .map(|st| st.client.user_class.clone())
                .unwrap_or_default();
        }
        s.client = c;
    }
    for h in &mut s.http {
        h.duration_s = h.end.secs_since(h.start).max(0.0);
    }
    for t in &mut s.tftp {
        t.duration_s = t.end.secs_since(t.start).max(0.0);
        if t.duration_s > 0.0 && t.bytes > 0 {
            t.throughput_bps = Some(t.bytes as f64 / t.duration_s);
        }
    }
    for st in &mut s.stages {
        let pick = |kind: OfferKind| {
            st.offers
                .iter()
                .rev()
                .find(|o| o.kind == kind && o.has_boot_info())
        };
        let chosen = pick(OfferKind::BootServer)
            .map(|o| (o, "boot-server"))
            .or(pick(OfferKind::Ack).map(|o| (o, "dhcp-ack")))
            .or(pick(OfferKind::Proxy).map(|o| (o, "proxy-offer")))
            .or(pick(OfferKind::Dhcp).map(|o| (o, "dhcp-offer")))
            .or(pick(OfferKind::Dhcpv6).map(|o| (o, "dhcpv6")));
        if let Some((o, src)) = chosen {
            let (file, server) = match &o.boot_url {
                Some(url) if o.opt67.is_none() && o.file.is_none() => split_url(url),
                _ => (
                    o.boot_file().map(str::to_string),
                    o.boot_server().or(Some(o.server.to_string())),
                ),
            };
            st.boot_file = file;
            st.boot_server = server;
            st.boot_file_source = Some(src.to_string());
            st.boot_file_frame = Some(o.frame);
        }
    }
}

/// `tftp://[2001:db8::1]/path/file.efi` -> (path/file.efi, 2001:db8::1)
pub fn split_url(url: &str) -> (Option<String>, Option<String>) {
    let Some((_scheme, rest)) = url.split_once("://") else {
        return (Some(url.to_string()), None);
    };
    let (host, path) = match rest.split_once('/') {
        Some((h, p)) => (h, p),
        None => (rest, ""),
    };
    let host = host.trim_start_matches('[');
    let host = match host.rsplit_once(']') {
        Some((h, _port)) => h,
        None => host.split(':').next().unwrap_or(host),
    };
    let path = if url.starts_with("tftp") {
        path.to_string()
    } else {
        url.to_string()
    };
    (Some(path), Some(host.to_string()))
}

/// Builders the rule tests use to make records by hand.
#[cfg(test)]
pub(crate) mod tests_support {
    pub(crate) use super::empty_stage;
}
