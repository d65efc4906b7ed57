//! The records `analyze`, `capture`, `serve` and the reports share. Their serde form *is* the
//! JSON schema (`pxe-inspect/analyze/2`, documented in docs/json-schema.json): change a field only
//! with a schema bump.

use crate::proto::{ArchInfo, FileKind};
use crate::wire::dhcp4::{OptionIssue, PxeOptions, RelayAgent};
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};

/// A DHCP transaction ID, written `0x` and lower-case hex: at least 8 digits for DHCPv4's 32
/// bits, at least 6 for DHCPv6's 24 (`format!("0x{:08x}")` / `"0x{:06x}"`). A number, not its
/// text: every DHCP record and stage holds one or more, and a string each was a heap object
/// each to encode cold, decode, clone and free.
#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Xid {
    value: u32,
    v6: bool,
}

impl Xid {
    pub fn v4(value: u32) -> Xid {
        Xid { value, v6: false }
    }
    pub fn v6(value: u32) -> Xid {
        Xid { value, v6: true }
    }

    /// Its text, on the stack.
    pub fn with_text<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let min = if self.v6 { 6 } else { 8 };
        let significant = (8 - self.value.leading_zeros() as usize / 4).max(1);
        let digits = significant.max(min);
        let mut b = [b'0'; 10];
        b[1] = b'x';
        for i in 0..digits {
            let nibble = (self.value >> (4 * (digits - 1 - i))) & 15;
            b[2 + i] = HEX[nibble as usize];
        }
        f(std::str::from_utf8(&b[..2 + digits]).unwrap_or("0x?"))
    }
}

impl std::fmt::Display for Xid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.with_text(|t| f.write_str(t))
    }
}

impl Serialize for Xid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.with_text(|t| s.serialize_str(t))
    }
}

/// A frame reference: 1-based frame `frame` of input file `input` (tshark's numbering).
#[derive(
    bitcode::Encode,
    bitcode::Decode,
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
)]
pub struct FrameRef {
    pub input: usize,
    pub frame: u64,
}

/// Nanoseconds since the Unix epoch; serialised as RFC 3339 UTC with nanoseconds.
#[derive(
    bitcode::Encode, bitcode::Decode, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default,
)]
pub struct Timestamp(pub i64);

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // From the stack: records carry several timestamps each.
        match self.fixed() {
            Some(b) => s.serialize_str(std::str::from_utf8(&b).unwrap_or_default()),
            None => s.serialize_str(&self.rfc3339()),
        }
    }
}

impl Timestamp {
    pub fn rfc3339(&self) -> String {
        if let Some(b) = self.fixed() {
            return String::from_utf8_lossy(&b).into_owned();
        }
        let (y, m, d, sod, nanos) = self.fields();
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        )
    }

    /// Year, month, day, second of the day and nanoseconds (UTC).
    fn fields(&self) -> (i64, u32, u32, i64, i64) {
        let secs = self.0.div_euclid(1_000_000_000);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        (
            y,
            m,
            d,
            secs.rem_euclid(86_400),
            self.0.rem_euclid(1_000_000_000),
        )
    }

    /// The RFC 3339 text of a year in 0..=9999, in fixed width; None for other years.
    fn fixed(&self) -> Option<[u8; 30]> {
        let (y, m, d, sod, nanos) = self.fields();
        if !(0..=9999).contains(&y) {
            return None;
        }
        // Fixed width, digit by digit: every record carries several of these, and the
        // formatting machinery was ~5 % of a many-clients storm's profile.
        let mut b = *b"0000-00-00T00:00:00.000000000Z";
        let mut put = |at: usize, width: usize, mut v: i64| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, y);
        put(5, 2, m as i64);
        put(8, 2, d as i64);
        put(11, 2, sod / 3600);
        put(14, 2, (sod / 60) % 60);
        put(17, 2, sod % 60);
        put(20, 9, nanos);
        Some(b)
    }

    /// Parse RFC 3339 UTC (`2026-11-22T23:32:24.5Z`, offset `Z` or `+00:00`) or Unix seconds.
    pub fn parse(s: &str) -> Option<Timestamp> {
        if let Ok(secs) = s.parse::<f64>() {
            return Some(Timestamp((secs * 1e9) as i64));
        }
        let s = s.trim_end_matches('Z').trim_end_matches("+00:00");
        let (date, time) = s.split_once(['T', ' '])?;
        let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
        let (y, m, dd) = (d.next()??, d.next()??, d.next()??);
        let mut t = time.split(':');
        let (hh, mm) = (
            t.next()?.parse::<i64>().ok()?,
            t.next()?.parse::<i64>().ok()?,
        );
        let sec: f64 = t.next().unwrap_or("0").parse().ok()?;
        // days_from_civil (Howard Hinnant)
        let y2 = if m <= 2 { y - 1 } else { y };
        let era = y2.div_euclid(400);
        let yoe = y2 - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + dd - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        Some(Timestamp(
            ((days * 86_400 + hh * 3600 + mm * 60) as f64 * 1e9 + sec * 1e9) as i64,
        ))
    }

    pub fn secs_since(&self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / 1e9
    }
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[derive(
    bitcode::Encode, bitcode::Decode, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub id: String,
    pub severity: Severity,
    pub frames: Vec<FrameRef>,
    pub message: String,
    pub hint: String,
}

/// Why a session record was closed (JSON `closed_by`).
#[derive(
    bitcode::Encode, bitcode::Decode, Debug, Clone, Copy, PartialEq, Eq, Serialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum ClosedBy {
    /// Still open: a live view's snapshot.
    #[default]
    Open,
    /// No packet for --idle-timeout of packet time.
    Idle,
    /// The capture ended.
    EndOfCapture,
}

impl ClosedBy {
    pub fn name(self) -> &'static str {
        match self {
            ClosedBy::Open => "open",
            ClosedBy::Idle => "idle",
            ClosedBy::EndOfCapture => "end-of-capture",
        }
    }
}

/// The DHCP a stage spoke (JSON `stages[].protocol`).
#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Dhcpv4,
    Dhcpv6,
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protocol::Dhcpv4 => "dhcpv4",
            Protocol::Dhcpv6 => "dhcpv6",
        })
    }
}

#[derive(
    bitcode::Encode, bitcode::Decode, Debug, Clone, Copy, PartialEq, Eq, Serialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Booted,
    Failed,
    #[default]
    Incomplete,
    NotPxe,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Booted => "booted",
            Outcome::Failed => "failed",
            Outcome::Incomplete => "incomplete",
            Outcome::NotPxe => "not-pxe",
        }
    }
}

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Serialize)]
pub struct Client {
    pub mac: Option<String>,
    pub duid: Option<String>,
    pub uuid: Option<String>,
    pub arch: ArchInfo,
    /// Every architecture in option 93 / DHCPv6 61 (firmware may list several).
    pub arch_list: Vec<u16>,
    /// Architecture from the vendor class's `Arch:` field, when present.
    pub vendor_class_arch: Option<u16>,
    pub vendor_class: Option<String>,
    pub user_class: Vec<String>,
    pub undi: Option<String>,
    /// True when any stage was iPXE (user class "iPXE" or option 175); in a stage's own
    /// `client`, whether that stage is.
    pub ipxe: bool,
    pub hostname: Option<String>,
    /// What sent this identity (a stage's own; the session's is its firmware's).
    pub loader: crate::proto::Loader,
}

impl Client {
    /// An identity nothing is known of yet.
    pub fn blank() -> Client {
        Client {
            mac: None,
            duid: None,
            uuid: None,
            arch: crate::proto::arch_unknown(),
            arch_list: vec![],
            vendor_class_arch: None,
            vendor_class: None,
            user_class: vec![],
            undi: None,
            ipxe: false,
            hostname: None,
            loader: crate::proto::Loader::Other,
        }
    }

    /// Is `other` the same DHCP identity (retries of one loader), not a new one?
    pub fn same_identity(&self, other: &Client) -> bool {
        self.loader == other.loader
            && self.vendor_class == other.vendor_class
            && self.arch_list == other.arch_list
            && self.ipxe == other.ipxe
            && self.user_class == other.user_class
    }

    /// Details a later message of the same identity adds (a REQUEST may say more).
    pub fn fill_from(&mut self, other: &Client) {
        if self.undi.is_none() {
            self.undi.clone_from(&other.undi);
        }
        if self.uuid.is_none() {
            self.uuid.clone_from(&other.uuid);
        }
        if self.hostname.is_none() {
            self.hostname.clone_from(&other.hostname);
        }
    }

    /// The firmware family this identity runs (U-Boot's from its class when it sends no code).
    pub fn family(&self) -> crate::proto::Family {
        self.arch.family
    }

    /// "arch 11 (ARM 64-bit UEFI)", or the class when no code was sent.
    pub fn arch_text(&self) -> String {
        match self.arch.code {
            Some(c) => format!("arch {c} ({})", self.arch.name()),
            None => match &self.vendor_class {
                Some(v) => format!("no arch code, class {v}"),
                None => "no arch code".to_string(),
            },
        }
    }
}

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OfferKind {
    /// An address offer from a DHCP server (may carry boot info too).
    Dhcp,
    /// A proxyDHCP offer: no address, vendor class PXEClient.
    Proxy,
    /// The DHCP server's ACK of the address.
    Ack,
    /// A boot server's reply to a port-4011 request.
    BootServer,
    /// DHCPv6 Advertise/Reply.
    Dhcpv6,
}

/// A DHCP message's name (`Discover`, `BOOTP Reply`, `Solicit`): by its type code, written
/// from the wire tables (every DHCP record and offer carries one; a String each was an
/// allocation each, made again at every cold-store wake).
#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageName {
    Dhcp4(u8),
    /// No option 53: BOOTP (a request, or a reply).
    Bootp {
        reply: bool,
    },
    Dhcp6(u8),
}

impl MessageName {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageName::Dhcp4(t) => crate::wire::dhcp4::msg_type_name(t),
            MessageName::Bootp { reply: false } => "BOOTP Request",
            MessageName::Bootp { reply: true } => "BOOTP Reply",
            MessageName::Dhcp6(t) => crate::wire::dhcp6::msg_type_name(t),
        }
    }
}

impl std::fmt::Display for MessageName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MessageName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Serialize)]
pub struct Offer {
    pub frame: FrameRef,
    pub time: Timestamp,
    pub kind: OfferKind,
    pub message: MessageName,
    pub server: IpAddr,
    pub server_id: Option<IpAddr>,
    pub src_port: u16,
    pub dst_port: u16,
    pub address: Option<IpAddr>,
    pub siaddr: Option<IpAddr>,
    pub sname: Option<String>,
    pub file: Option<String>,
    pub opt66: Option<String>,
    pub opt67: Option<String>,
    pub vendor_class: Option<String>,
    pub pxe: Option<PxeOptions>,
    pub boot_url: Option<String>,
    pub status: Option<String>,
    pub relay: Option<IpAddr>,
    /// Option 52 overload value when present.
    pub overload: Option<u8>,
    /// Where the reply was sent (giaddr:67 for a relayed request).
    pub to: IpAddr,
    /// What is odd about the offered boot file name's bytes, and those bytes in hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boot_file_issue: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boot_file_hex: Option<String>,
    /// DHCPv6 status code, and the IAID of the IA that carried it (None: top level).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_iaid: Option<u32>,
}

impl Offer {
    /// The boot file this message names: option 67 wins over the `file` field (what firmware does).
    pub fn boot_file(&self) -> Option<&str> {
        self.opt67
            .as_deref()
            .or(self.file.as_deref())
            .or(self.boot_url.as_deref())
    }
    pub fn boot_server(&self) -> Option<String> {
        if let Some(s) = &self.opt66 {
            return Some(s.clone());
        }
        if let Some(ip) = self.siaddr {
            return Some(ip.to_string());
        }
        self.sname.clone()
    }
    pub fn has_boot_info(&self) -> bool {
        self.boot_file().is_some()
    }
}

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Serialize)]
pub struct Stage {
    pub index: usize,
    pub protocol: Protocol,
    /// The first xid of the stage (`xids` holds every one: U-Boot retries with fresh xids).
    pub xid: Option<Xid>,
    pub xids: Vec<Xid>,
    /// This stage's own identity (CONTRACT.md: rules judge a stage by it).
    pub client: Client,
    pub first_frame: FrameRef,
    pub start: Timestamp,
    pub ipxe: bool,
    pub vendor_class: Option<String>,
    pub arch: Option<u16>,
    pub user_class: Vec<String>,
    /// DISCOVER/SOLICIT frames (retransmissions included).
    pub discovers: Vec<FrameRef>,
    pub requests: Vec<FrameRef>,
    /// Requests sent to a boot server on port 4011: frame, server, client source port.
    pub boot_server_requests: Vec<BootServerRequest>,
    pub offers: Vec<Offer>,
    pub naks: Vec<FrameRef>,
    pub declines: Vec<FrameRef>,
    pub address: Option<IpAddr>,
    pub boot_file: Option<String>,
    pub boot_server: Option<String>,
    /// Which message the boot file came from: dhcp-offer, dhcp-ack, proxy-offer, boot-server, dhcpv6.
    pub boot_file_source: Option<String>,
    pub boot_file_frame: Option<FrameRef>,
    /// Indexes into the session's `tftp` list.
    pub transfers: Vec<usize>,
    pub relay: Option<IpAddr>,
    pub relay_agent: Option<RelayAgent>,
    pub outcome: Outcome,
}

impl Stage {
    /// Has this stage got past discovery (an address bound, a 4011 request, a transfer)? A
    /// fresh xid from the same identity after that is a new attempt, not a retry.
    pub fn progressed(&self) -> bool {
        self.address.is_some()
            || !self.transfers.is_empty()
            || !self.boot_server_requests.is_empty()
    }

    /// Who sent this stage's DHCP, for a person ("U-Boot's EFI loader" when U-Boot's own DHCP
    /// came before it).
    pub fn who(&self, prev: Option<&Stage>) -> &'static str {
        use crate::proto::Loader;
        match (prev.map(|p| p.client.loader), self.client.loader) {
            (Some(Loader::Uboot), Loader::Firmware) => "U-Boot's EFI loader",
            (_, l) => l.describe(),
        }
    }

    /// "stage 3: now U-Boot's EFI loader, arch 11 (ARM 64-bit UEFI)" when this stage's DHCP
    /// identity differs from the one before it; None for a retry or another round of the same.
    pub fn identity_switch(&self, prev: &Stage) -> Option<String> {
        if self.client.same_identity(&prev.client) {
            return None;
        }
        let who = self.who(Some(prev));
        let v6 = if self.protocol == Protocol::Dhcpv6 {
            " over IPv6"
        } else {
            ""
        };
        Some(format!(
            "stage {}: now {who}{v6}, {}",
            self.index + 1,
            self.client.arch_text()
        ))
    }
}

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Serialize)]
pub struct BootServerRequest {
    pub frame: FrameRef,
    pub time: Timestamp,
    pub server: IpAddr,
    pub src_port: u16,
}

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Serialize)]
pub struct DhcpMessage {
    pub frame: FrameRef,
    pub time: Timestamp,
    pub version: u8,
    pub message: MessageName,
    pub xid: Xid,
    /// JSON: `"192.0.2.1:67"`, `"[fe80::1]:547"`.
    #[serde(serialize_with = "crate::textfmt::serialize_socket_addr")]
    pub src: SocketAddr,
    #[serde(serialize_with = "crate::textfmt::serialize_socket_addr")]
    pub dst: SocketAddr,
    pub from_client: bool,
    pub summary: String,
    /// Option 56, the message a client or server wrote (a DECLINE's reason, a NAK's cause).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<OptionIssue>,
}

#[derive(
    bitcode::Encode, bitcode::Decode, Debug, Clone, Copy, PartialEq, Eq, Serialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum TransferStatus {
    Complete,
    Error,
    Aborted,
    #[default]
    Incomplete,
}

impl TransferStatus {
    pub fn name(self) -> &'static str {
        match self {
            TransferStatus::Complete => "complete",
            TransferStatus::Error => "error",
            TransferStatus::Aborted => "aborted",
            TransferStatus::Incomplete => "incomplete",
        }
    }
}

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Serialize)]
pub struct TftpErrorInfo {
    pub code: u16,
    pub name: String,
    pub message: String,
    pub frame: FrameRef,
    /// "server" or "client".
    pub from: String,
}

/// Which way a TFTP transfer goes: a read (RRQ, what booting is) or a write (WRQ).
#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Read,
    Write,
}

/// TFTP options as name/value pairs in wire order, in one string (`name NUL value NUL …`:
/// wire strings hold no NUL). A list of String pairs cost ~9 allocations a request, and every
/// transfer keeps two lists. JSON: `[["blksize","1468"],…]`, as a list of pairs would be.
#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionList(String);

impl OptionList {
    pub fn push(&mut self, name: &str, value: &str) {
        self.0.push_str(name);
        self.0.push('\0');
        self.0.push_str(value);
        self.0.push('\0');
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let mut parts = self.0.split_terminator('\0');
        std::iter::from_fn(move || Some((parts.next()?, parts.next().unwrap_or(""))))
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `name=value,…` (timelines, findings).
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(self.0.len());
        for (i, (k, v)) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(k);
            out.push('=');
            out.push_str(v);
        }
        out
    }
}

impl<'a> FromIterator<(&'a str, &'a str)> for OptionList {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(it: I) -> OptionList {
        let mut l = OptionList::default();
        for (k, v) in it {
            l.push(k, v);
        }
        l
    }
}

impl<'a, S: AsRef<str>> From<&'a [(S, S)]> for OptionList {
    fn from(v: &'a [(S, S)]) -> OptionList {
        v.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect()
    }
}

impl Serialize for OptionList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(|(k, v)| [k, v]))
    }
}

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Serialize)]
pub struct Transfer {
    pub file: String,
    /// "read" (RRQ) or "write" (WRQ).
    pub direction: Direction,
    pub client: String,
    pub server: IpAddr,
    pub server_port: Option<u16>,
    pub mode: String,
    /// Options the client asked for, in wire order.
    pub requested: OptionList,
    /// Options the server acknowledged (None: no OACK at all).
    pub oack: Option<OptionList>,
    pub blksize: u64,
    pub tsize: Option<u64>,
    pub windowsize: u64,
    pub status: TransferStatus,
    pub bytes: u64,
    pub blocks: u64,
    pub missing_blocks: u64,
    pub retransmits: u64,
    /// Most times any one block was sent.
    pub max_block_sends: u64,
    pub rrq_count: u32,
    pub error: Option<TftpErrorInfo>,
    pub first_frame: FrameRef,
    pub last_frame: FrameRef,
    pub final_frame: Option<FrameRef>,
    pub start: Timestamp,
    pub end: Timestamp,
    pub duration_s: f64,
    pub throughput_bps: Option<f64>,
    pub file_kind: Option<FileKind>,
    /// Does the EFI image carry an Authenticode signature (PE data directory 4)? None when the
    /// first block did not say (not PE, not captured).
    pub signed: Option<bool>,
    /// What is odd about the requested name's bytes, and those bytes in hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_issue: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_hex: Option<String>,
    /// A reply to this request that came from another address than the one asked (NAT, a
    /// VIP, a multi-homed server): (frame, source, how many such packets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrong_source: Option<WrongSource>,
    /// Largest IP packet carrying this transfer's data (fragments are reassembled first).
    pub max_ip_len: usize,
    pub fragmented: bool,
    /// ICMP port/host unreachable that quote this transfer's packets.
    pub icmp_unreachable: Vec<FrameRef>,
    /// Did the server send anything at all?
    pub answered: bool,
    pub stage: Option<usize>,
    #[serde(skip)]
    pub last_block_raw: u16,
    #[serde(skip)]
    pub cur_block_sends: u64,
    #[serde(skip)]
    pub last_ts: i64,
    /// Blocks skipped over (raw numbers, bounded): a window restart that fills one counts it as
    /// data, not as a retransmission.
    #[serde(skip)]
    pub gaps: Vec<u16>,
    /// The short final block was seen while gaps remained.
    #[serde(skip)]
    pub final_seen: bool,
}

impl Transfer {
    pub fn ok(&self) -> bool {
        self.status == TransferStatus::Complete
    }
}

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Serialize)]
pub struct WrongSource {
    pub frame: FrameRef,
    pub from: IpAddr,
    pub port: u16,
    pub packets: u32,
}

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Serialize)]
pub struct ArpQuery {
    pub frame: FrameRef,
    pub time: Timestamp,
    pub target: IpAddr,
    pub answered: bool,
    pub count: u32,
}

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Serialize)]
pub struct IcmpNote {
    pub frame: FrameRef,
    pub time: Timestamp,
    pub from: IpAddr,
    pub code: u8,
    pub about: String,
    /// Repeats of the same error (same sender, code and quoted endpoints).
    pub count: u32,
    pub last_frame: FrameRef,
}

/// One HTTP boot download: a request on a TCP connection and its answer, as the tracker
/// followed the stream (`session::http`).
#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Serialize)]
pub struct HttpTransfer {
    pub url: String,
    pub method: String,
    pub client: String,
    pub server: IpAddr,
    pub server_port: u16,
    pub status_code: Option<u16>,
    pub content_length: Option<u64>,
    /// Body bytes seen (new bytes only; TCP retransmissions are not counted twice).
    pub bytes: u64,
    pub status: TransferStatus,
    /// The connection was reset (by either side) before the body was complete.
    pub reset: bool,
    pub first_frame: FrameRef,
    pub last_frame: FrameRef,
    pub start: Timestamp,
    pub end: Timestamp,
    pub duration_s: f64,
    /// When the server last sent bytes not seen before (a stall is measured from here: the
    /// client giving up later with a FIN does not make the transfer any less stalled).
    #[serde(skip)]
    pub last_progress: Timestamp,
    pub file_kind: Option<FileKind>,
    /// Authenticode signature present in the EFI image (see `Transfer::signed`).
    pub signed: Option<bool>,
    pub stage: Option<usize>,
}

impl HttpTransfer {
    pub fn new(
        client: String,
        server: IpAddr,
        server_port: u16,
        frame: FrameRef,
        ts: i64,
        stage: Option<usize>,
    ) -> HttpTransfer {
        HttpTransfer {
            url: String::new(),
            method: String::new(),
            client,
            server,
            server_port,
            status_code: None,
            content_length: None,
            bytes: 0,
            status: TransferStatus::Incomplete,
            reset: false,
            first_frame: frame,
            last_frame: frame,
            start: Timestamp(ts),
            end: Timestamp(ts),
            duration_s: 0.0,
            last_progress: Timestamp(ts),
            file_kind: None,
            signed: None,
            stage,
        }
    }
}

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Serialize)]
pub struct BootSession {
    pub id: u64,
    pub client: Client,
    pub ip: Option<IpAddr>,
    pub first_frame: FrameRef,
    pub last_frame: FrameRef,
    pub start: Timestamp,
    pub end: Timestamp,
    pub duration_s: f64,
    pub pxe: bool,
    pub stages: Vec<Stage>,
    pub dhcp: Vec<DhcpMessage>,
    pub dhcp_messages_dropped: u64,
    pub tftp: Vec<Transfer>,
    pub arp: Vec<ArpQuery>,
    pub icmp: Vec<IcmpNote>,
    /// HTTP boot downloads (UEFI HTTP boot, iPXE over HTTP).
    pub http: Vec<HttpTransfer>,
    /// "idle" (no packet for --idle-timeout of packet time) or "end-of-capture".
    pub closed_by: ClosedBy,
    pub outcome: Outcome,
    pub findings: Vec<Finding>,
    /// The capture point that saw it (`--sensor`); absent when none was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensor: Option<String>,
}

impl BootSession {
    /// The severity of its worst finding (None: no finding).
    pub fn worst_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    pub fn label(&self) -> String {
        if let Some(m) = &self.client.mac {
            m.clone()
        } else if let Some(d) = &self.client.duid {
            format!("duid:{d}")
        } else if let Some(ip) = self.ip {
            ip.to_string()
        } else {
            format!("session-{}", self.id)
        }
    }
    pub fn boot_files(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for s in &self.stages {
            if let Some(f) = &s.boot_file {
                if !v.contains(f) {
                    v.push(f.clone());
                }
            }
        }
        v
    }
    pub fn tftp_bytes(&self) -> u64 {
        self.tftp.iter().map(|t| t.bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn rfc3339() {
        assert_eq!(Timestamp(0).rfc3339(), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(Timestamp(-1).rfc3339(), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(
            Timestamp(i64::MAX).rfc3339(),
            "2262-04-11T23:47:16.854775807Z"
        );
        assert_eq!(
            Timestamp(1_795_000_000_123_456_789).rfc3339(),
            "2026-11-18T11:06:40.123456789Z"
        );
        assert_eq!(
            Timestamp::parse("2026-11-18T11:06:40.5Z"),
            Some(Timestamp(1_795_000_000_500_000_000))
        );
        assert_eq!(
            Timestamp::parse("1795000000"),
            Some(Timestamp(1_795_000_000_000_000_000))
        );
        assert_eq!(Timestamp::parse("yesterday"), None);
    }
}

#[cfg(test)]
mod xid_tests {
    use super::Xid;

    /// Its text is the `format!` the records used to hold, on DHCPv4's and DHCPv6's widths,
    /// and in JSON.
    #[test]
    fn xid_text_is_the_padded_hex() {
        for x in [
            0u32,
            1,
            0xabc,
            0x0012_3400,
            0xff_ffff,
            0x100_0000,
            0xdead_beef,
            u32::MAX,
        ] {
            assert_eq!(Xid::v4(x).to_string(), format!("0x{x:08x}"));
            assert_eq!(Xid::v6(x).to_string(), format!("0x{x:06x}"));
            assert_eq!(
                serde_json::to_string(&Xid::v4(x)).unwrap(),
                format!("\"0x{x:08x}\"")
            );
        }
    }
}
