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

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OptionIssue {
    pub code: Option<u8>,
    pub offset: usize,
    pub what: String,
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

/// Text of a NUL-terminated fixed field (sname/file) or option value, lossily decoded.
/// The end of a BOOTP message we build: magic cookie, options in the order given (long ones
/// split into several instances, RFC 3396), END, and padding to the 300-byte BOOTP minimum that
/// old PXE ROMs and some servers insist on.
pub fn put_options<'o>(b: &mut Vec<u8>, options: impl IntoIterator<Item = &'o (u8, Vec<u8>)>) {
    b.extend_from_slice(&MAGIC_COOKIE);
    for (code, data) in options {
        for chunk in data.chunks(255) {
            b.push(*code);
            b.push(chunk.len() as u8);
            b.extend_from_slice(chunk);
        }
    }
    b.push(255);
    if b.len() < 300 {
        b.resize(300, 0);
    }
}

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
            });
            return false;
        };
        if out.len() >= MAX_OPTIONS {
            issues.push(OptionIssue {
                code: None,
                offset: base + i,
                what: format!("more than {MAX_OPTIONS} options; rest ignored"),
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

    /// RFC 3396: a split long option is the concatenation of all its instances.
    pub fn opt_concat(&self, code: u8) -> Option<Vec<u8>> {
        let mut v = Vec::new();
        let mut any = false;
        for o in self.options.iter().filter(|o| o.code == code) {
            any = true;
            v.extend_from_slice(o.data);
        }
        any.then_some(v)
    }

    pub fn msg_type(&self) -> Option<u8> {
        self.opt(53).and_then(|d| d.first().copied())
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
            .map(|d| format!("{}.{}", d[1], d[2]))
    }

    /// Option 97: client machine UUID (type 0 + 16 bytes).
    pub fn uuid(&self) -> Option<String> {
        let d = self.opt(97)?;
        let u = if d.len() == 17 { &d[1..] } else { d };
        if u.len() != 16 {
            return Some(hex(d));
        }
        Some(format!(
            "{}-{}-{}-{}-{}",
            hex(&u[0..4]),
            hex(&u[4..6]),
            hex(&u[6..8]),
            hex(&u[8..10]),
            hex(&u[10..16])
        ))
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

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
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
    use std::fmt::Write;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
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
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
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

    fn base_msg(options: &[u8]) -> Vec<u8> {
        let mut m = vec![0u8; 236];
        m[0] = 1;
        m[1] = 1;
        m[2] = 6;
        m[28..34].copy_from_slice(&[0, 1, 2, 3, 4, 5]);
        m.extend(MAGIC_COOKIE);
        m.extend(options);
        m
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
            .any(|i| i.code == Some(93) && i.what.contains("claims 10")));
        assert!(d
            .issues
            .iter()
            .any(|i| i.code == Some(60) && i.what.contains("more than once")));
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
