//! session::Tracker — a sans-IO, clock-free state machine. Fed decoded packets with their frame
//! reference and capture time, it keeps one open `BootSession` per client (CONTRACT.md: keyed by
//! MAC, else DUID; TFTP joins by client IP), ties TFTP TIDs to the RRQ that started them, and
//! closes sessions after an idle period of *packet* time. The same tracker runs in `analyze`,
//! `capture`, `serve` and `probe`.
//!
//! This file is the tracker's core (sessions, their keys, closing and `finalize`); each protocol
//! has a room of its own: `dhcp4`, `dhcp6`, `tftp`, `http` (TCP) and `arp` (ARP and ICMP).

mod arp;
mod cold;
mod dhcp4;
mod dhcp6;
mod http;
mod tftp;

use crate::model::*;
use crate::wire::dhcp4::hex;
use crate::wire::link::{fmt_mac, Mac};
// FxHash: the keys are MACs, IPs and ports from our own parsing (no HashDoS surface worth
// SipHash's cost per frame: it was 10 % of analyze time); every map is capped anyway.
use rustc_hash::FxHashMap as HashMap;
use std::net::IpAddr;

pub use cold::{ColdStore, MemoryStore};

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
    /// With a cold store set, sessions quiet for `COLD_QUIET_NS` go to it while more than this
    /// many are in memory (`cold`).
    pub cold_after: usize,
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
            cold_after: 1_024,
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

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct TKey {
    client: IpAddr,
    client_port: u16,
    server: IpAddr,
}

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, PartialEq, Eq, Hash)]
enum ClientKey {
    Mac(Mac),
    Duid(Vec<u8>),
    Ip(IpAddr),
}

#[derive(bitcode::Encode, bitcode::Decode)]
struct Open {
    s: BootSession,
    last_ts: i64,
    keys: Vec<ClientKey>,
    tkeys: Vec<TKey>,
    /// Addresses this session entered in `by_ip`: closing removes exactly these (a scan of
    /// `by_ip` per close made ending 20,000 open sessions quadratic).
    ips: Vec<IpAddr>,
    /// Its lists were shrunk to their length after it went quiet (`compact`).
    compacted: bool,
    /// The stream state of each HTTP transfer, beside its record: `http_flows[i]` follows
    /// `s.http[i]` (it is tracker state, not part of the record).
    http_flows: Vec<http::Flow>,
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
    /// Sessions in memory. Boxed: the map's spare slots then cost a pointer, not a whole
    /// session each.
    open: HashMap<u64, Box<Open>>,
    /// Open sessions in the cold store: the blob each is in and the time of its last packet.
    /// Every index below may name one: `wake` brings it back before it is used.
    cold: HashMap<u64, (u64, i64)>,
    next_blob: u64,
    store: Option<Box<dyn ColdStore>>,
    codec: bitcode::Buffer,
    /// What went wrong with the cold store (a session that could not be read back is lost):
    /// the edge reports these.
    pub cold_errors: Vec<String>,
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
    last_chill: i64,
    pub stats: TrackerStats,
    pub events: Vec<Event>,
    /// Collect progress events (live views only; analyze leaves this off).
    pub want_events: bool,
}

/// How long a session is quiet before `compact` shrinks it.
const QUIET_NS: i64 = 3_000_000_000;
/// How long a session is quiet before it may go cold (only past `cold_after` in memory; 1 s
/// kept 15 % more memory on a storm and was no faster).
const COLD_QUIET_NS: i64 = 300_000_000;
/// How often (packet time) quiet sessions are looked for to go cold.
const COLD_EVERY_NS: i64 = 250_000_000;
/// Sessions per cold blob.
const COLD_BATCH: usize = 16;
/// Sessions per cold blob for those that have fetched nothing yet: most of them will wake for
/// a retry (a storm's failing clients go on asking), and a wake brings back its whole blob
/// only for the others to go cold again (waking 16 for one was 7 % of a 40,000-client storm).
const PENDING_BATCH: usize = 4;

/// Has it fetched a file whole (TFTP or HTTP)? Then it is probably done, and waits only for
/// its idle timeout (`PENDING_BATCH`).
fn fetched_something(s: &BootSession) -> bool {
    use crate::model::TransferStatus::Complete;
    s.tftp.iter().any(|t| t.status == Complete) || s.http.iter().any(|h| h.status == Complete)
}

/// Shrink a session's lists to their lengths (it grows again, by doubling, if it wakes up).
fn compact(s: &mut BootSession) {
    s.dhcp.shrink_to_fit();
    s.stages.shrink_to_fit();
    s.tftp.shrink_to_fit();
    s.arp.shrink_to_fit();
    for st in &mut s.stages {
        st.offers.shrink_to_fit();
        st.xids.shrink_to_fit();
        st.discovers.shrink_to_fit();
        st.requests.shrink_to_fit();
        st.transfers.shrink_to_fit();
    }
    for t in &mut s.tftp {
        t.gaps.shrink_to_fit();
    }
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

impl Tracker {
    pub fn new(cfg: TrackerConfig) -> Tracker {
        Tracker {
            cfg,
            open: HashMap::default(),
            cold: HashMap::default(),
            next_blob: 0,
            store: None,
            codec: bitcode::Buffer::new(),
            cold_errors: Vec::new(),
            by_key: HashMap::default(),
            by_ip: HashMap::default(),
            transfers: HashMap::default(),
            http: HashMap::default(),
            awaiting: HashMap::default(),
            arp_waiting: HashMap::default(),
            next_id: 1,
            max_ts: i64::MIN,
            last_sweep: i64::MIN,
            last_chill: i64::MIN,
            stats: TrackerStats::default(),
            events: Vec::new(),
            want_events: false,
        }
    }

    /// Where quiet sessions go once more than `cold_after` are in memory (`cold`).
    pub fn set_cold_store(&mut self, store: Box<dyn ColdStore>) {
        self.store = Some(store);
    }

    pub fn open_sessions(&self) -> usize {
        self.open.len() + self.cold.len()
    }

    /// Open sessions in the cold store.
    pub fn cold_sessions(&self) -> usize {
        self.cold.len()
    }

    /// Move these sessions to the cold store, `COLD_BATCH` to a blob: bitcode costs much per
    /// call (one session a call cost ~20 µs on a storm), while a large blob makes each early
    /// wake bring many sessions back (64 cost more than 16). They stay in memory when the
    /// store fails (and no more go cold; those there still wake).
    fn chill(&mut self, ids: &[u64], batch: usize) {
        for chunk in ids.chunks(batch) {
            let Some(store) = self.store.as_mut() else {
                return;
            };
            let batch: Vec<Box<Open>> =
                chunk.iter().filter_map(|id| self.open.remove(id)).collect();
            let blob = self.next_blob;
            self.next_blob += 1;
            match store.put(blob, self.codec.encode(&batch)) {
                Ok(()) => {
                    for o in &batch {
                        self.cold.insert(o.s.id, (blob, o.last_ts));
                    }
                }
                Err(e) => {
                    // No more go cold; those already there can still be read back.
                    self.cold_errors
                        .push(format!("cold session store: {e}; sessions stay in memory"));
                    self.cfg.cold_after = usize::MAX;
                    for o in batch {
                        self.open.insert(o.s.id, o);
                    }
                    return;
                }
            }
        }
    }

    /// Bring session `id` back from the cold store, if it is there, with the rest of its blob
    /// (sessions that went quiet together mostly wake together: at their idle timeout or the
    /// end of the capture; the others go cold again at the next sweep if still quiet).
    fn wake(&mut self, id: u64) {
        let Some(&(blob, _)) = self.cold.get(&id) else {
            return;
        };
        let Some(store) = self.store.as_mut() else {
            return;
        };
        let back = store.take(blob).and_then(|b| {
            let b = b.ok_or_else(|| std::io::Error::other("not in the store"))?;
            self.codec
                .decode::<Vec<Box<Open>>>(&b)
                .map_err(std::io::Error::other)
        });
        match back {
            Ok(batch) => {
                for o in batch {
                    self.cold.remove(&o.s.id);
                    self.open.insert(o.s.id, o);
                }
            }
            Err(e) => {
                self.cold.retain(|_, (b, _)| *b != blob);
                self.cold_errors.push(format!(
                    "cold session store: sessions lost with session {id}: {e}"
                ));
            }
        }
    }

    /// Advance packet time; returns sessions idle for longer than the timeout, closed.
    /// Backwards timestamps never move time back (so they cannot resurrect or split sessions).
    pub fn advance(&mut self, ts: i64, closed: &mut Vec<BootSession>) {
        if ts > self.max_ts {
            self.max_ts = ts;
        }
        // In a storm most open sessions are done and only wait out the timeout: past
        // `cold_after` in memory, those quiet for COLD_QUIET_NS go cold, looked for four times
        // as often as idle ones (what stays in memory is the last 0.3–0.55 s of clients).
        if self.store.is_some()
            && self.open.len() > self.cfg.cold_after
            && self.max_ts.saturating_sub(self.last_chill) >= COLD_EVERY_NS
        {
            self.last_chill = self.max_ts;
            let cold_quiet = self.max_ts.saturating_sub(COLD_QUIET_NS);
            let (mut done, mut pending) = (Vec::new(), Vec::new());
            for (id, o) in self.open.iter().filter(|(_, o)| o.last_ts < cold_quiet) {
                if fetched_something(&o.s) {
                    done.push(*id);
                } else {
                    pending.push(*id);
                }
            }
            done.sort_unstable();
            pending.sort_unstable();
            self.chill(&done, COLD_BATCH);
            self.chill(&pending, PENDING_BATCH);
        }
        if self.max_ts.saturating_sub(self.last_sweep) < 1_000_000_000 {
            return;
        }
        self.last_sweep = self.max_ts;
        let limit = self.max_ts.saturating_sub(self.cfg.idle_timeout_ns);
        // A session quiet for a few seconds has usually done its boot and waits out the idle
        // timeout (300 s: in a storm that is every client at once): its lists give back the
        // spare capacity their doubling left (a DHCP list of 5 holds 8 slots).
        let quiet = self.max_ts.saturating_sub(QUIET_NS);
        let mut idle: Vec<u64> = Vec::new();
        for (id, o) in self.open.iter_mut() {
            if o.last_ts < limit {
                idle.push(*id);
            } else if !o.compacted && o.last_ts < quiet {
                compact(&mut o.s);
                o.compacted = true;
            }
        }
        idle.extend(
            self.cold
                .iter()
                .filter(|(_, c)| c.1 < limit)
                .map(|(id, _)| *id),
        );
        // Sessions idle at the same sweep close in the order they opened (not the maps' order,
        // which depends on which of them went cold).
        idle.sort_unstable();
        for id in idle {
            if let Some(s) = self.close(id, ClosedBy::Idle) {
                closed.push(s);
            }
        }
    }

    /// Close every open session (end of capture) in order, handing each over as it closes, so
    /// a caller that streams them never holds the tracker's sessions and their copies at once.
    pub fn finish_each(&mut self, mut emit: impl FnMut(BootSession)) {
        let mut ids: Vec<u64> = self.open.keys().chain(self.cold.keys()).copied().collect();
        ids.sort_unstable();
        for id in ids {
            if let Some(s) = self.close(id, ClosedBy::EndOfCapture) {
                emit(s);
            }
        }
        self.open.shrink_to_fit();
        self.cold.shrink_to_fit();
    }

    /// A finalized copy of an open session (live views ask "has it booted yet?").
    pub fn snapshot(&self, id: u64) -> Option<BootSession> {
        let mut s = match self.open.get(&id) {
            Some(o) => o.s.clone(),
            None => {
                let b = self.store.as_ref()?.peek(self.cold.get(&id)?.0).ok()??;
                let batch = bitcode::decode::<Vec<Box<Open>>>(&b).ok()?;
                batch.into_iter().find(|o| o.s.id == id)?.s
            }
        };
        s.closed_by = ClosedBy::Open;
        finalize(&mut s);
        Some(s)
    }

    fn close(&mut self, id: u64, why: ClosedBy) -> Option<BootSession> {
        self.wake(id);
        let o = self.open.remove(&id)?;
        for k in &o.keys {
            if self.by_key.get(k) == Some(&id) {
                self.by_key.remove(k);
            }
        }
        for ip in &o.ips {
            if self.by_ip.get(ip) == Some(&id) {
                self.by_ip.remove(ip);
            }
        }
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
        if self.open_sessions() >= self.cfg.max_sessions {
            self.stats.sessions_capped += 1;
            return None;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.stats.sessions_opened += 1;
        let mut client = Client::blank();
        match &key {
            ClientKey::Mac(m) => client.mac = Some(fmt_mac(m)),
            ClientKey::Duid(d) => client.duid = Some(hex(d)),
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
        let mut ips = vec![];
        if let ClientKey::Ip(ip) = key {
            self.by_ip.insert(ip, id);
            ips.push(ip);
        }
        self.open.insert(
            id,
            Box::new(Open {
                s,
                last_ts: ts,
                keys: vec![key],
                tkeys: vec![],
                ips,
                compacted: false,
                http_flows: vec![],
            }),
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
            self.wake(id);
            if let Some(o) = self.open.get_mut(&id) {
                push_lean(&mut o.keys, key);
            }
        }
    }

    fn touch(&mut self, id: u64, frame: FrameRef, ts: i64) -> Option<&mut Open> {
        self.wake(id);
        let o = self.open.get_mut(&id)?;
        o.last_ts = o.last_ts.max(ts);
        o.compacted = false;
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
        self.wake(id);
        if let Some(o) = self.open.get_mut(&id) {
            if !o.ips.contains(&ip) {
                push_lean(&mut o.ips, ip);
            }
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
}

pub(crate) fn empty_stage(
    index: usize,
    protocol: Protocol,
    xid: Option<crate::model::Xid>,
    frame: FrameRef,
    ts: i64,
) -> Stage {
    Stage {
        index,
        protocol,
        xids: xid.into_iter().collect(),
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
