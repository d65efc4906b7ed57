//! DHCPv4/BOOTP decoding with our own option walker.
//!
//! dhcproto's owned `Message` collapses duplicate options, drops broken trailing ones and ignores
//! option 52 overload (CRATES.md); a PXE analyser must see all of those, in wire order, so the
//! walker here keeps every option with where it came from and records every irregularity.

use std::net::Ipv4Addr;

pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
const FIXED_LEN: usize = 236;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptionSource {
    Options,
    File,
    Sname,
}

#[derive(Debug, Clone)]
pub struct DhcpOption<'a> {
    pub code: u8,
    pub data: &'a [u8],
    pub source: OptionSource,
    /// Byte offset of the option's code byte within the DHCP payload.
    pub offset: usize,
}

#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OptionIssue {
    pub code: Option<u8>,
    pub offset: usize,
    pub what: String,
    /// What callers act on; `what` is for people (and the JSON), never matched.
    #[serde(skip)]
    pub kind: IssueKind,
}

/// The kinds of irregularity a DHCP message can carry.
#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// An option code as the area's last byte, no length after it.
    NoLength,
    /// An option whose length runs past the end of its area.
    Overrun,
    /// More than [`MAX_OPTIONS`] options: the rest were not read.
    TooMany,
    /// The option area ends without END (255).
    NoEnd,
    /// No magic cookie: plain BOOTP.
    NoCookie,
    /// The same option code twice (legal only for RFC 3396 long options).
    Duplicate,
    /// The capture cut the message (snaplen): options not captured.
    CutBySnaplen,
    /// Reported by another decoder as text only (DHCPv6's option walker).
    Other,
}

impl IssueKind {
    /// Counted as a malformed DHCP message in the capture statistics.
    pub fn is_malformed(self) -> bool {
        matches!(
            self,
            IssueKind::NoLength | IssueKind::Overrun | IssueKind::Duplicate
        )
    }

    /// What a snaplen cut looks like from inside the message: an option running off the end.
    pub fn looks_cut(self) -> bool {
        matches!(self, IssueKind::NoLength | IssueKind::Overrun)
    }
}

#[derive(Debug, Clone)]
pub struct Dhcp4<'a> {
    pub op: u8,
    pub htype: u8,
    pub hlen: u8,
    pub hops: u8,
    pub xid: u32,
    pub secs: u16,
    pub flags: u16,
    pub ciaddr: Ipv4Addr,
    pub yiaddr: Ipv4Addr,
    pub siaddr: Ipv4Addr,
    pub giaddr: Ipv4Addr,
    pub chaddr: &'a [u8],
    pub sname_raw: &'a [u8],
    pub file_raw: &'a [u8],
    pub options: Vec<DhcpOption<'a>>,
    pub issues: Vec<OptionIssue>,
    /// Option 52's value when present (1 file, 2 sname, 3 both).
    pub overload: u8,
    pub has_cookie: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dhcp4Error {
    pub offset: usize,
    pub what: String,
}

fn ip_at(d: &[u8], at: usize) -> Ipv4Addr {
    match d.get(at..at + 4) {
        Some(b) => Ipv4Addr::new(b[0], b[1], b[2], b[3]),
        None => Ipv4Addr::UNSPECIFIED,
    }
}

/// The message types and option codes, typed (dhcproto's: `Unknown(n)` keeps any byte, and
/// `u8::from` / `MessageType::from` convert both ways). dhcproto's *codec* is not used to read or
/// write messages (CRATES.md): its `Message` sorts options, merges duplicates, drops broken ones
/// and does not pad, where an analyser must see wire order, duplicates and overload, and a
/// responder must put 53 first and pad to the BOOTP minimum old PXE ROMs need.
pub use dhcproto::v4::{MessageType, OptionCode};

/// The BOOTP minimum message length (RFC 951's 64-byte vendor area) that old PXE ROMs and some
/// servers insist on.
pub const BOOTP_MIN_LEN: usize = 300;

/// A BOOTP/DHCP message to put on the wire — the one writer every message we build goes through
/// (serve's replies, probe's and synth's clients, `--check-config`, the tests). Options are
/// written in the order given (long ones split into several instances, RFC 3396), then END, then
/// padding to [`BOOTP_MIN_LEN`]. Duplicates and odd orders are kept, so tests can rebuild what a
/// field report shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dhcp4Repr {
    pub op: u8,
    pub htype: u8,
    pub hlen: u8,
    pub hops: u8,
    pub xid: u32,
    pub secs: u16,
    pub flags: u16,
    pub ciaddr: Ipv4Addr,
    pub yiaddr: Ipv4Addr,
    pub siaddr: Ipv4Addr,
    pub giaddr: Ipv4Addr,
    pub chaddr: [u8; 16],
    /// Written into the 64-byte sname field, cut to fit.
    pub sname: Vec<u8>,
    /// Written into the 128-byte file field, cut to fit (callers that want a NUL terminator
    /// keep it to 127).
    pub file: Vec<u8>,
    /// In wire order. An empty value writes nothing: responders build optional values that may
    /// come out empty (an unset menu, a missing file) and an empty option confuses some ROMs.
    pub options: Vec<(u8, Vec<u8>)>,
}

impl Dhcp4Repr {
    /// A client's message (op 1, Ethernet) with option 53 first, as firmware sends it.
    pub fn request(msg: MessageType, xid: u32, mac: [u8; 6]) -> Dhcp4Repr {
        let mut chaddr = [0u8; 16];
        chaddr[..6].copy_from_slice(&mac);
        Dhcp4Repr {
            op: 1,
            htype: 1,
            hlen: 6,
            hops: 0,
            xid,
            secs: 0,
            flags: 0,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            chaddr,
            sname: vec![],
            file: vec![],
            options: vec![(OptionCode::MessageType.into(), vec![msg.into()])],
        }
    }

    /// A server's answer to `req` (op 2): hardware type and address, xid, flags, ciaddr and
    /// giaddr copied from the request (RFC 2131 table 3), option 53 first.
    pub fn reply_to(req: &Dhcp4<'_>, msg: MessageType) -> Dhcp4Repr {
        let mut chaddr = [0u8; 16];
        let n = req.chaddr.len().min(16);
        chaddr[..n].copy_from_slice(&req.chaddr[..n]);
        Dhcp4Repr {
            op: 2,
            htype: req.htype,
            hlen: req.hlen,
            xid: req.xid,
            flags: req.flags,
            ciaddr: req.ciaddr,
            giaddr: req.giaddr,
            chaddr,
            ..Dhcp4Repr::request(msg, req.xid, [0; 6])
        }
    }

    /// Every field and option of a decoded message, in wire order (options from the file and
    /// sname areas under overload are left where they were: in those fields' bytes).
    pub fn parse(m: &Dhcp4<'_>) -> Dhcp4Repr {
        let mut chaddr = [0u8; 16];
        let n = m.chaddr.len().min(16);
        chaddr[..n].copy_from_slice(&m.chaddr[..n]);
        let trim = |b: &[u8]| b[..b.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1)].to_vec();
        Dhcp4Repr {
            op: m.op,
            htype: m.htype,
            hlen: m.hlen,
            hops: m.hops,
            xid: m.xid,
            secs: m.secs,
            flags: m.flags,
            ciaddr: m.ciaddr,
            yiaddr: m.yiaddr,
            siaddr: m.siaddr,
            giaddr: m.giaddr,
            chaddr,
            sname: trim(m.sname_raw),
            file: trim(m.file_raw),
            options: m
                .options
                .iter()
                .filter(|o| o.source == OptionSource::Options)
                .map(|o| (o.code, o.data.to_vec()))
                .collect(),
        }
    }

    /// Appends an option (builder style).
    pub fn with(mut self, code: impl Into<u8>, value: impl Into<Vec<u8>>) -> Dhcp4Repr {
        self.options.push((code.into(), value.into()));
        self
    }

    pub fn emit(&self) -> Vec<u8> {
        let mut b = vec![0u8; FIXED_LEN];
        b[0] = self.op;
        b[1] = self.htype;
        b[2] = self.hlen;
        b[3] = self.hops;
        b[4..8].copy_from_slice(&self.xid.to_be_bytes());
        b[8..10].copy_from_slice(&self.secs.to_be_bytes());
        b[10..12].copy_from_slice(&self.flags.to_be_bytes());
        b[12..16].copy_from_slice(&self.ciaddr.octets());
        b[16..20].copy_from_slice(&self.yiaddr.octets());
        b[20..24].copy_from_slice(&self.siaddr.octets());
        b[24..28].copy_from_slice(&self.giaddr.octets());
        b[28..44].copy_from_slice(&self.chaddr);
        let sname = &self.sname[..self.sname.len().min(64)];
        b[44..44 + sname.len()].copy_from_slice(sname);
        let file = &self.file[..self.file.len().min(128)];
        b[108..108 + file.len()].copy_from_slice(file);
        b.extend_from_slice(&MAGIC_COOKIE);
        for (code, data) in &self.options {
            for chunk in data.chunks(255) {
                b.push(*code);
                b.push(chunk.len() as u8);
                b.extend_from_slice(chunk);
            }
        }
        b.push(255);
        if b.len() < BOOTP_MIN_LEN {
            b.resize(BOOTP_MIN_LEN, 0);
        }
        b
    }
}

/// Text of a NUL-terminated fixed field (sname/file) or option value, lossily decoded.
pub fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

pub const MAX_OPTIONS: usize = 512;

fn walk<'a>(
    area: &'a [u8],
    base: usize,
    source: OptionSource,
    out: &mut Vec<DhcpOption<'a>>,
    issues: &mut Vec<OptionIssue>,
) -> bool {
    // returns true when an END option was seen
    let mut i = 0;
    while i < area.len() {
        let code = area[i];
        match code {
            0 => {
                i += 1;
                continue;
            }
            255 => return true,
            _ => {}
        }
        let Some(&len) = area.get(i + 1) else {
            issues.push(OptionIssue {
                code: Some(code),
                offset: base + i,
                what: "option code without a length byte".into(),
                kind: IssueKind::NoLength,
            });
            return false;
        };
        let start = i + 2;
        let end = start + usize::from(len);
        let Some(data) = area.get(start..end) else {
            issues.push(OptionIssue {
                code: Some(code),
                offset: base + i,
                what: format!(
                    "option {code} claims {len} bytes, only {} left",
                    area.len().saturating_sub(start)
                ),
                kind: IssueKind::Overrun,
            });
            return false;
        };
        if out.len() >= MAX_OPTIONS {
            issues.push(OptionIssue {
                code: None,
                offset: base + i,
                what: format!("more than {MAX_OPTIONS} options; rest ignored"),
                kind: IssueKind::TooMany,
            });
            return false;
        }
        out.push(DhcpOption {
            code,
            data,
            source,
            offset: base + i,
        });
        i = end;
    }
    false
}

// Safe-lifetime variant: the walker borrows from the payload.
fn walk_into<'a>(
    area: &'a [u8],
    base: usize,
    source: OptionSource,
    out: &mut Vec<DhcpOption<'a>>,
    issues: &mut Vec<OptionIssue>,
) -> bool {
    walk(area, base, source, out, issues)
}

impl<'a> Dhcp4<'a> {
    // Long on purpose: RFC 2131's reading order (header, cookie, options, overloaded file/sname,
    // duplicates), each step adding its issues to the one message it builds.
    pub fn parse(d: &'a [u8]) -> Result<Dhcp4<'a>, Dhcp4Error> {
        if d.len() < FIXED_LEN {
            return Err(Dhcp4Error {
                offset: d.len(),
                what: format!(
                    "BOOTP header needs {FIXED_LEN} bytes, payload has {}",
                    d.len()
                ),
            });
        }
        let op = d[0];
        if op != 1 && op != 2 {
            return Err(Dhcp4Error {
                offset: 0,
                what: format!("BOOTP op {op} is neither request (1) nor reply (2)"),
            });
        }
        let mut m = Self::fixed_fields(d);
        match d.get(236..240) {
            Some(c) if c == MAGIC_COOKIE => m.has_cookie = true,
            Some(_) => {
                m.issues.push(OptionIssue {
                    code: None,
                    offset: 236,
                    what: "no DHCP magic cookie (plain BOOTP)".into(),
                    kind: IssueKind::NoCookie,
                });
                return Ok(m);
            }
            None => return Ok(m), // BOOTP without vendor area
        }
        let area = &d[240..];
        let saw_end = walk_into(
            area,
            240,
            OptionSource::Options,
            &mut m.options,
            &mut m.issues,
        );
        if !saw_end && m.issues.is_empty() {
            m.issues.push(OptionIssue {
                code: None,
                offset: d.len(),
                what: "options end without an END (255) option".into(),
                kind: IssueKind::NoEnd,
            });
        }
        if let Some(o) = m.options.iter().find(|o| o.code == 52) {
            m.overload = o.data.first().copied().unwrap_or(0);
        }
        // RFC 2131 4.1: file is read before sname. Options 52 inside these areas are not followed.
        if m.overload & 1 != 0 {
            walk_into(
                m.file_raw,
                108,
                OptionSource::File,
                &mut m.options,
                &mut m.issues,
            );
        }
        if m.overload & 2 != 0 {
            walk_into(
                m.sname_raw,
                44,
                OptionSource::Sname,
                &mut m.options,
                &mut m.issues,
            );
        }
        let mut seen = [0u8; 256];
        for o in &m.options {
            let n = &mut seen[usize::from(o.code)];
            *n = n.saturating_add(1);
            if *n == 2 {
                m.issues.push(OptionIssue {
                    code: Some(o.code),
                    offset: o.offset,
                    what: format!("option {} appears more than once", o.code),
                    kind: IssueKind::Duplicate,
                });
            }
        }
        Ok(m)
    }

    /// What can be read from a BOOTP header cut by snaplen: the fixed fields that fit
    /// (op, xid, addresses, chaddr need the first 44 bytes); no options.
    pub fn parse_truncated(d: &'a [u8]) -> Option<Dhcp4<'a>> {
        if d.len() < 44 || (d[0] != 1 && d[0] != 2) {
            return None;
        }
        let mut m = Self::fixed_fields(d);
        m.issues.push(OptionIssue {
            code: None,
            offset: d.len(),
            what: "message cut by snaplen: options not captured".into(),
            kind: IssueKind::CutBySnaplen,
        });
        Some(m)
    }

    /// The fixed BOOTP fields; needs at least the first 44 bytes (through chaddr).
    fn fixed_fields(d: &'a [u8]) -> Dhcp4<'a> {
        static ZEROS: [u8; 128] = [0; 128];
        Dhcp4 {
            op: d[0],
            htype: d[1],
            hlen: d[2],
            hops: d[3],
            xid: u32::from_be_bytes([d[4], d[5], d[6], d[7]]),
            secs: u16::from_be_bytes([d[8], d[9]]),
            flags: u16::from_be_bytes([d[10], d[11]]),
            ciaddr: ip_at(d, 12),
            yiaddr: ip_at(d, 16),
            siaddr: ip_at(d, 20),
            giaddr: ip_at(d, 24),
            chaddr: &d[28..44],
            sname_raw: d.get(44..108).unwrap_or(&ZEROS[..64]),
            file_raw: d.get(108..236).unwrap_or(&ZEROS[..]),
            options: Vec::new(),
            issues: Vec::new(),
            overload: 0,
            has_cookie: false,
        }
    }

    pub fn opt(&self, code: u8) -> Option<&'a [u8]> {
        self.options.iter().find(|o| o.code == code).map(|o| o.data)
    }

    /// RFC 3396: a split long option is the concatenation of all its instances (borrowed
    /// from the packet when there is one instance, as almost always).
    pub fn opt_concat(&self, code: u8) -> Option<std::borrow::Cow<'a, [u8]>> {
        let mut parts = self.options.iter().filter(|o| o.code == code);
        let first = parts.next()?.data;
        let Some(second) = parts.next() else {
            return Some(std::borrow::Cow::Borrowed(first));
        };
        let mut v = [first, second.data].concat();
        for o in parts {
            v.extend_from_slice(o.data);
        }
        Some(std::borrow::Cow::Owned(v))
    }

    pub fn msg_type(&self) -> Option<u8> {
        self.opt(53).and_then(|d| d.first().copied())
    }

    /// Option 53, typed.
    pub fn message_type(&self) -> Option<MessageType> {
        self.msg_type().map(MessageType::from)
    }

    pub fn mac(&self) -> Option<[u8; 6]> {
        if self.htype == 1 && self.hlen == 6 {
            self.chaddr.get(..6)?.try_into().ok()
        } else {
            None
        }
    }

    /// The boot file in the `file` field, unless that field carries options.
    pub fn file(&self) -> Option<String> {
        if self.overload & 1 != 0 {
            return None;
        }
        let s = cstr(self.file_raw);
        (!s.is_empty()).then_some(s)
    }

    pub fn sname(&self) -> Option<String> {
        if self.overload & 2 != 0 {
            return None;
        }
        let s = cstr(self.sname_raw);
        (!s.is_empty()).then_some(s)
    }

    pub fn opt_str(&self, code: u8) -> Option<String> {
        self.opt_concat(code)
            .map(|v| cstr(&v))
            .filter(|s| !s.is_empty())
    }

    pub fn server_id(&self) -> Option<Ipv4Addr> {
        self.opt(54)
            .filter(|d| d.len() == 4)
            .map(|d| Ipv4Addr::new(d[0], d[1], d[2], d[3]))
    }

    /// Option 93: every architecture the client lists (dhcproto keeps only the first).
    pub fn arch_list(&self) -> Vec<u16> {
        self.opt(93)
            .map(|d| {
                d.chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Option 94: UNDI type, major, minor.
    pub fn undi(&self) -> Option<String> {
        self.opt(94)
            .filter(|d| d.len() == 3)
            .map(|d| crate::textfmt::dotted_pair(d[1].into(), d[2].into()))
    }

    /// Option 97: client machine UUID (type 0 + 16 bytes).
    pub fn uuid(&self) -> Option<String> {
        let d = self.opt(97)?;
        let u = if d.len() == 17 { &d[1..] } else { d };
        if u.len() != 16 {
            return Some(hex(d));
        }
        let mut s = String::with_capacity(36);
        for (i, part) in [&u[0..4], &u[4..6], &u[6..8], &u[8..10], &u[10..16]]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                s.push('-');
            }
            crate::textfmt::push_hex(&mut s, part);
        }
        Some(s)
    }

    /// Option 77: RFC 3004 list of length-prefixed classes, or a plain string as iPXE sends it.
    pub fn user_classes(&self) -> Vec<String> {
        match self.opt_concat(77) {
            Some(d) => parse_user_class(&d),
            None => Vec::new(),
        }
    }

    pub fn is_ipxe(&self) -> bool {
        self.opt(175).is_some() || self.user_classes().iter().any(|c| c == "iPXE")
    }

    pub fn requested_ip(&self) -> Option<Ipv4Addr> {
        self.opt(50)
            .filter(|d| d.len() == 4)
            .map(|d| Ipv4Addr::new(d[0], d[1], d[2], d[3]))
    }

    pub fn relay_agent(&self) -> Option<RelayAgent> {
        let d = self.opt(82)?;
        let mut ra = RelayAgent::default();
        let mut i = 0;
        while i + 1 < d.len() {
            let (sub, len) = (d[i], usize::from(d[i + 1]));
            let Some(v) = d.get(i + 2..i + 2 + len) else {
                break;
            };
            match sub {
                1 => ra.circuit_id = Some(printable(v)),
                2 => ra.remote_id = Some(printable(v)),
                _ => {}
            }
            i += 2 + len;
        }
        Some(ra)
    }

    pub fn pxe_options(&self) -> Option<PxeOptions> {
        self.opt_concat(43).map(|d| PxeOptions::parse(&d))
    }
}

#[derive(
    bitcode::Encode, bitcode::Decode, Debug, Clone, Default, PartialEq, Eq, serde::Serialize,
)]
pub struct RelayAgent {
    pub circuit_id: Option<String>,
    pub remote_id: Option<String>,
}

pub fn parse_user_class(d: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut rfc3004 = !d.is_empty();
    while i < d.len() {
        let len = usize::from(d[i]);
        if len == 0 || i + 1 + len > d.len() {
            rfc3004 = false;
            break;
        }
        out.push(printable(&d[i + 1..i + 1 + len]));
        i += 1 + len;
    }
    if rfc3004 {
        out
    } else {
        vec![printable(d)]
    }
}

pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    crate::textfmt::push_hex(&mut s, b);
    s
}

/// Text if printable, else hex (for circuit ids and other binary-or-text fields).
pub fn printable(b: &[u8]) -> String {
    let t = b.strip_suffix(&[0]).unwrap_or(b);
    if !t.is_empty() && t.iter().all(|c| (0x20..0x7f).contains(c)) {
        String::from_utf8_lossy(t).into_owned()
    } else {
        format!("0x{}", hex(b))
    }
}

/// PXE option 43 sub-options (PXE spec 2.1 table 2-1).
#[derive(
    bitcode::Encode, bitcode::Decode, Debug, Clone, Default, PartialEq, Eq, serde::Serialize,
)]
pub struct PxeOptions {
    pub discovery_control: Option<u8>,
    pub boot_servers: Vec<String>,
    pub menu: Vec<String>,
    pub prompt: Option<String>,
    pub boot_item: Option<String>,
    pub other: Vec<u8>,
}

impl PxeOptions {
    pub fn parse(d: &[u8]) -> PxeOptions {
        let mut p = PxeOptions::default();
        let mut i = 0;
        while i < d.len() {
            let code = d[i];
            if code == 0 {
                i += 1;
                continue;
            }
            if code == 255 {
                break;
            }
            let Some(&len) = d.get(i + 1) else { break };
            let Some(v) = d.get(i + 2..i + 2 + usize::from(len)) else {
                break;
            };
            match code {
                6 => p.discovery_control = v.first().copied(),
                8 => {
                    // type(2) count(1) ips(4*count) ...
                    let mut j = 0;
                    while j + 3 <= v.len() {
                        let ty = u16::from_be_bytes([v[j], v[j + 1]]);
                        let n = usize::from(v[j + 2]);
                        for k in 0..n {
                            let at = j + 3 + 4 * k;
                            if let Some(ip) = v.get(at..at + 4) {
                                p.boot_servers.push(format!(
                                    "type {ty:#06x}: {}.{}.{}.{}",
                                    ip[0], ip[1], ip[2], ip[3]
                                ));
                            }
                        }
                        j += 3 + 4 * n;
                    }
                }
                9 => {
                    let mut j = 0;
                    while j + 3 <= v.len() {
                        let n = usize::from(v[j + 2]);
                        let desc = v.get(j + 3..j + 3 + n).map(printable).unwrap_or_default();
                        p.menu.push(desc);
                        j += 3 + n;
                    }
                }
                10 => p.prompt = Some(printable(v.get(1..).unwrap_or(&[]))),
                71 => p.boot_item = Some(hex(v)),
                c => p.other.push(c),
            }
            i += 2 + usize::from(len);
        }
        p
    }
}

pub fn msg_type_name(t: u8) -> &'static str {
    match t {
        1 => "Discover",
        2 => "Offer",
        3 => "Request",
        4 => "Decline",
        5 => "ACK",
        6 => "NAK",
        7 => "Release",
        8 => "Inform",
        9 => "ForceRenew",
        10 => "LeaseQuery",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header and cookie from the one writer; the option bytes raw (they are the test).
    fn base_msg(options: &[u8]) -> Vec<u8> {
        let mut r = Dhcp4Repr::request(MessageType::Discover, 0, [0, 1, 2, 3, 4, 5]);
        r.options.clear();
        let mut m = r.emit();
        m.truncate(240);
        m.extend(options);
        m
    }

    #[test]
    fn repr_writes_53_first_splits_long_options_and_pads() {
        let long = vec![b'x'; 300];
        let b = Dhcp4Repr::request(MessageType::Request, 7, [2, 0, 0, 0, 0, 1])
            .with(OptionCode::ClassIdentifier, b"PXEClient".to_vec())
            .with(67, long.clone())
            .emit();
        assert!(b.len() >= BOOTP_MIN_LEN);
        let m = Dhcp4::parse(&b).expect("parses");
        assert_eq!(m.message_type(), Some(MessageType::Request));
        assert_eq!(m.options[0].code, 53);
        assert_eq!(
            m.opt_concat(67).as_deref(),
            Some(long.as_slice()),
            "RFC 3396: split and rejoined"
        );
        assert_eq!(m.options.iter().filter(|o| o.code == 67).count(), 2);
        assert_eq!(
            u8::from(MessageType::from(200)),
            200,
            "unknown types keep their byte"
        );
    }

    #[test]
    fn duplicates_and_broken_options_are_reported() {
        let m = base_msg(&[53, 1, 1, 60, 3, b'a', b'b', b'c', 60, 1, b'x', 93, 10, 0]);
        let d = Dhcp4::parse(&m).expect("parses");
        assert_eq!(d.msg_type(), Some(1));
        assert_eq!(d.options.len(), 3);
        assert!(d
            .issues
            .iter()
            .any(|i| i.code == Some(93) && i.kind == IssueKind::Overrun));
        assert!(d
            .issues
            .iter()
            .any(|i| i.code == Some(60) && i.kind == IssueKind::Duplicate));
    }

    #[test]
    fn overload_reads_file_and_sname() {
        let mut m = base_msg(&[53, 1, 1, 52, 1, 3, 255]);
        m[108..112].copy_from_slice(&[67, 2, b'f', b'n']);
        m[112] = 255;
        m[44..48].copy_from_slice(&[66, 2, b's', b'n']);
        m[48] = 255;
        let d = Dhcp4::parse(&m).expect("parses");
        assert_eq!(d.opt_str(67).as_deref(), Some("fn"));
        assert_eq!(d.opt_str(66).as_deref(), Some("sn"));
        assert_eq!(d.file(), None, "the file field holds options, not a name");
    }

    #[test]
    fn user_class_forms() {
        assert_eq!(parse_user_class(b"iPXE"), vec!["iPXE"]);
        assert_eq!(parse_user_class(&[2, b'a', b'b', 1, b'c']), vec!["ab", "c"]);
    }

    #[test]
    fn truncated_header_is_an_error() {
        assert!(Dhcp4::parse(&[1u8; 100]).is_err());
        assert!(Dhcp4::parse(&[]).is_err());
    }
}
