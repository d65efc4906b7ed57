//! DHCPv6 decoding (RFC 8415) for netboot: client/server DUIDs, IA_NA addresses, status, vendor
//! class (16), boot URL (59), boot parameters (60), client arch (61), NII (62), relay messages
//! with option 79 (client link-layer address). Relay nesting is bounded.

use std::net::Ipv6Addr;

/// Message types and option codes, typed (dhcproto's, with `Unknown(n)`; `u8::from` /
/// `u16::from` give the wire values). As for DHCPv4, dhcproto's codec itself is not used: the
/// analyser must see malformed and duplicate options and relay nesting as they are.
pub use dhcproto::v6::{MessageType, OptionCode};

/// Appends one option: code, length, value (cut at 65,535 bytes).
pub fn put_option(out: &mut Vec<u8>, code: impl Into<u16>, v: &[u8]) {
    let v = &v[..v.len().min(0xffff)];
    out.extend_from_slice(&code.into().to_be_bytes());
    out.extend_from_slice(&(v.len() as u16).to_be_bytes());
    out.extend_from_slice(v);
}

/// DUID-LL (type 3, hardware type 1) from a MAC: what firmware and serve use.
pub fn duid_ll(mac: [u8; 6]) -> Vec<u8> {
    let mut d = vec![0, 3, 0, 1];
    d.extend_from_slice(&mac);
    d
}

/// A Status Code option's value (RFC 8415 §21.13).
pub fn status_value(code: u16, text: &str) -> Vec<u8> {
    let mut v = code.to_be_bytes().to_vec();
    v.extend_from_slice(text.as_bytes());
    v
}

/// A client/server DHCPv6 message to put on the wire (relay messages are built with
/// [`put_option`] around one of these): type, 24-bit transaction id, options in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dhcp6Repr {
    pub msg_type: MessageType,
    pub xid: u32,
    pub options: Vec<(u16, Vec<u8>)>,
}

impl Dhcp6Repr {
    pub fn new(msg_type: MessageType, xid: u32) -> Dhcp6Repr {
        Dhcp6Repr {
            msg_type,
            xid: xid & 0x00ff_ffff,
            options: vec![],
        }
    }

    /// Appends an option (builder style).
    pub fn with(mut self, code: impl Into<u16>, value: impl Into<Vec<u8>>) -> Dhcp6Repr {
        self.options.push((code.into(), value.into()));
        self
    }

    pub fn emit(&self) -> Vec<u8> {
        let x = self.xid.to_be_bytes();
        let mut m = vec![self.msg_type.into(), x[1], x[2], x[3]];
        for (code, v) in &self.options {
            put_option(&mut m, *code, v);
        }
        m
    }
}

#[derive(Debug, Clone, Default)]
pub struct Dhcp6 {
    pub msg_type: u8,
    pub xid: u32,
    pub client_duid: Option<Vec<u8>>,
    pub server_duid: Option<Vec<u8>>,
    pub addresses: Vec<Ipv6Addr>,
    pub status: Option<(u16, String)>,
    /// The IAID of the IA_NA that carried `status`; None when it was top level.
    pub status_iaid: Option<u32>,
    pub vendor_class: Vec<String>,
    pub user_class: Vec<String>,
    pub boot_url: Option<String>,
    pub boot_params: Vec<String>,
    pub arch: Vec<u16>,
    pub nii: Option<String>,
    pub oro: Vec<u16>,
    /// Relay hops walked to reach the client message (outermost first): (link, peer).
    pub relays: Vec<(Ipv6Addr, Ipv6Addr)>,
    pub relay_client_mac: Option<[u8; 6]>,
    pub issues: Vec<String>,
}

pub(crate) fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn addr(d: &[u8]) -> Option<Ipv6Addr> {
    let a: [u8; 16] = d.get(..16)?.try_into().ok()?;
    Some(Ipv6Addr::from(a))
}

/// Iterate (code, value) over a DHCPv6 option area, recording overruns.
pub(crate) fn options<'a>(d: &'a [u8], issues: &mut Vec<String>) -> Vec<(u16, &'a [u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= d.len() && out.len() < 256 {
        let code = be16(d, i).unwrap_or(0);
        let len = usize::from(be16(d, i + 2).unwrap_or(0));
        match d.get(i + 4..i + 4 + len) {
            Some(v) => out.push((code, v)),
            None => {
                issues.push(format!(
                    "option {code} at offset {i} claims {len} bytes, {} left",
                    d.len() - i - 4
                ));
                return out;
            }
        }
        i += 4 + len;
    }
    if i < d.len() && i + 4 > d.len() {
        issues.push(format!("{} stray bytes after the last option", d.len() - i));
    }
    out
}

fn strings16(v: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(n) = be16(v, i) {
        let n = usize::from(n);
        match v.get(i + 2..i + 2 + n) {
            Some(s) => out.push(super::dhcp4::printable(s)),
            None => break,
        }
        i += 2 + n;
    }
    out
}

impl Dhcp6 {
    // Long on purpose: relay layers unwrapped first, then a table of cases: one match arm per
    // option code, each filling its field of the message.
    pub fn parse(d: &[u8]) -> Result<Dhcp6, String> {
        let mut m = Dhcp6::default();
        let mut cur = d;
        // Unwrap Relay-Forw / Relay-Repl down to the client's message.
        for _ in 0..8 {
            let t = *cur.first().ok_or("empty DHCPv6 message")?;
            if t != 12 && t != 13 {
                break;
            }
            if cur.len() < 34 {
                return Err(format!("relay message needs 34 bytes, has {}", cur.len()));
            }
            let link = addr(&cur[2..]).ok_or("relay link address")?;
            let peer = addr(&cur[18..]).ok_or("relay peer address")?;
            m.relays.push((link, peer));
            let opts = options(&cur[34..], &mut m.issues);
            for (code, v) in &opts {
                if *code == 79 && v.len() == 8 && be16(v, 0) == Some(1) {
                    m.relay_client_mac = v[2..8].try_into().ok();
                }
            }
            match opts.iter().find(|(c, _)| *c == 9) {
                Some((_, inner)) => cur = inner,
                None => {
                    m.msg_type = t;
                    return Ok(m);
                }
            }
        }
        if cur.len() < 4 {
            return Err(format!("DHCPv6 message needs 4 bytes, has {}", cur.len()));
        }
        m.msg_type = cur[0];
        m.xid = u32::from_be_bytes([0, cur[1], cur[2], cur[3]]);
        let opts = options(&cur[4..], &mut m.issues);
        for (code, v) in opts {
            match code {
                1 => m.client_duid = Some(v.to_vec()),
                2 => m.server_duid = Some(v.to_vec()),
                3 => {
                    // IAID(4) T1(4) T2(4) options: IAADDR (5), status (13)
                    let mut inner_issues = Vec::new();
                    for (c, iv) in options(v.get(12..).unwrap_or(&[]), &mut inner_issues) {
                        if c == 5 {
                            if let Some(a) = addr(iv) {
                                m.addresses.push(a);
                            }
                        } else if c == 13 {
                            m.status = status(iv);
                            m.status_iaid = v
                                .get(..4)
                                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                        }
                    }
                    m.issues.extend(inner_issues);
                }
                6 => {
                    m.oro = v
                        .chunks_exact(2)
                        .map(|c| u16::from_be_bytes([c[0], c[1]]))
                        .collect()
                }
                13 => {
                    m.status = status(v);
                    m.status_iaid = None;
                }
                15 => m.user_class = strings16(v),
                16 => m.vendor_class = strings16(v.get(4..).unwrap_or(&[])),
                59 => m.boot_url = Some(String::from_utf8_lossy(v).into_owned()),
                60 => m.boot_params = strings16(v),
                61 => {
                    m.arch = v
                        .chunks_exact(2)
                        .map(|c| u16::from_be_bytes([c[0], c[1]]))
                        .collect()
                }
                62 if v.len() == 3 => m.nii = Some(format!("{}.{}", v[1], v[2])),
                _ => {}
            }
        }
        Ok(m)
    }

    /// The client's MAC when the DUID embeds one (DUID-LLT / DUID-LL with hardware type 1).
    /// The message type, typed.
    pub fn message_type(&self) -> MessageType {
        MessageType::from(self.msg_type)
    }

    pub fn client_mac(&self) -> Option<[u8; 6]> {
        if let Some(m) = self.relay_client_mac {
            return Some(m);
        }
        duid_mac(self.client_duid.as_deref()?)
    }
}

pub fn duid_mac(d: &[u8]) -> Option<[u8; 6]> {
    match (be16(d, 0)?, be16(d, 2)?) {
        (1, 1) if d.len() == 14 => d[8..14].try_into().ok(),
        (3, 1) if d.len() == 10 => d[4..10].try_into().ok(),
        _ => None,
    }
}

/// MAC from a modified EUI-64 link-local address (fe80::xxff:fexx:xxxx).
pub fn eui64_mac(a: &Ipv6Addr) -> Option<[u8; 6]> {
    let o = a.octets();
    if o[0] != 0xfe || o[1] & 0xc0 != 0x80 || o[11] != 0xff || o[12] != 0xfe {
        return None;
    }
    Some([o[8] ^ 0x02, o[9], o[10], o[13], o[14], o[15]])
}

fn status(v: &[u8]) -> Option<(u16, String)> {
    Some((
        be16(v, 0)?,
        String::from_utf8_lossy(v.get(2..).unwrap_or(&[])).into_owned(),
    ))
}

pub fn msg_type_name(t: u8) -> &'static str {
    match t {
        1 => "Solicit",
        2 => "Advertise",
        3 => "Request",
        4 => "Confirm",
        5 => "Renew",
        6 => "Rebind",
        7 => "Reply",
        8 => "Release",
        9 => "Decline",
        10 => "Reconfigure",
        11 => "Information-Request",
        12 => "Relay-Forw",
        13 => "Relay-Repl",
        _ => "Unknown",
    }
}

pub fn status_name(code: u16) -> &'static str {
    match code {
        0 => "Success",
        1 => "UnspecFail",
        2 => "NoAddrsAvail",
        3 => "NoBinding",
        4 => "NotOnLink",
        5 => "UseMulticast",
        6 => "NoPrefixAvail",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eui64_round_trip() {
        let a: Ipv6Addr = "fe80::215:5dff:fefe:5a0b".parse().expect("addr");
        assert_eq!(eui64_mac(&a), Some([0x00, 0x15, 0x5d, 0xfe, 0x5a, 0x0b]));
    }

    #[test]
    fn hostile_lengths_do_not_panic() {
        for n in 0..40 {
            let v = vec![12u8; n];
            let _ = Dhcp6::parse(&v);
            let v = vec![0xffu8; n];
            let _ = Dhcp6::parse(&v);
        }
    }
}
