//! `--anonymize`: every frame is rewritten before analysis, so every output (tables, JSON, HTML,
//! Mermaid, the annotated pcapng) carries the same pseudonyms and nothing else can leak.
//! Pseudonyms are keyed hashes (same input and key → same pseudonym): MACs (locally
//! administered, unicast/multicast kept), IPv4 (same /24 stays the same /24; every octet keeps
//! its number of digits so dotted text in payloads keeps its length), IPv6, option 97 UUIDs and
//! host names. Rewritten where PXE traffic carries them: Ethernet, ARP, IPv4/IPv6 headers (and
//! the IPs quoted in ICMP errors), DHCPv4 fixed fields and options 3/6/12/50/54/61/66/67/97,
//! DHCPv6 DUIDs and addresses, TFTP file names (`01-<mac>`, hex-IP config names) and HTTP
//! request text. Checksums are recomputed (IPv4 header, ICMP, TCP, UDP over IPv6) or cleared
//! (UDP over IPv4, where zero means "none"). Broadcast, multicast and unspecified addresses are
//! kept so the analysis still sees what firmware sent to whom.

use crate::wire::checksum::{checksum, sum};
use crate::wire::link::Mac;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

pub struct Anonymizer {
    key: Vec<u8>,
    macs: HashMap<Mac, Mac>,
    v4: HashMap<[u8; 4], [u8; 4]>,
    v6: HashMap<[u8; 16], [u8; 16]>,
}

const DEFAULT_KEY: &str = "pxe-inspect anonymize v1";

fn digits(n: u8) -> usize {
    if n >= 100 {
        3
    } else if n >= 10 {
        2
    } else {
        1
    }
}

/// An octet with the same number of decimal digits, from hash byte `h`.
fn same_width_octet(orig: u8, h: u8, avoid_edges: bool) -> u8 {
    let (lo, hi) = match digits(orig) {
        1 => (if avoid_edges { 1 } else { 0 }, 9),
        2 => (10, 99),
        _ => (100, if avoid_edges { 254 } else { 255 }),
    };
    lo + (h as u16 % (hi - lo + 1) as u16) as u8
}

impl Anonymizer {
    pub fn new(key: Option<&str>) -> Anonymizer {
        Anonymizer {
            key: key.unwrap_or(DEFAULT_KEY).as_bytes().to_vec(),
            macs: HashMap::new(),
            v4: HashMap::new(),
            v6: HashMap::new(),
        }
    }

    fn hash(&self, what: &[u8], input: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(&self.key);
        h.update(what);
        h.update(input);
        h.finalize().into()
    }

    pub fn mac(&mut self, m: &Mac) -> Mac {
        if m[0] & 1 == 1 || *m == [0; 6] {
            return *m; // broadcast, multicast, unset
        }
        if let Some(x) = self.macs.get(m) {
            return *x;
        }
        let h = self.hash(b"mac", m);
        let out = [(h[0] & 0xfc) | 0x02, h[1], h[2], h[3], h[4], h[5]];
        self.macs.insert(*m, out);
        out
    }

    pub fn v4(&mut self, a: [u8; 4]) -> [u8; 4] {
        let ip = Ipv4Addr::from(a);
        if ip.is_unspecified()
            || ip.is_broadcast()
            || ip.is_multicast()
            || ip.is_loopback()
            || a[3] == 255
        {
            return a;
        }
        if let Some(x) = self.v4.get(&a) {
            return *x;
        }
        let net = self.hash(b"v4net", &a[..3]);
        let host = self.hash(b"v4host", &a);
        let out = [
            same_width_octet(a[0], net[0], true),
            same_width_octet(a[1], net[1], false),
            same_width_octet(a[2], net[2], false),
            same_width_octet(a[3], host[0], true),
        ];
        // 127/8 and 224+/4 pseudonyms would change meaning: nudge the first octet.
        let out = if out[0] == 127 || out[0] >= 224 {
            [
                if digits(a[0]) == 3 { 172 } else { out[0] },
                out[1],
                out[2],
                out[3],
            ]
        } else {
            out
        };
        self.v4.insert(a, out);
        out
    }

    pub fn v6(&mut self, a: [u8; 16]) -> [u8; 16] {
        let ip = Ipv6Addr::from(a);
        if ip.is_unspecified() || ip.is_multicast() || ip.is_loopback() {
            return a;
        }
        if let Some(x) = self.v6.get(&a) {
            return *x;
        }
        let mut out = a;
        if a[0] == 0xfe && a[1] & 0xc0 == 0x80 && a[11] == 0xff && a[12] == 0xfe {
            // Link-local EUI-64: derive it from the MAC's pseudonym, as the host would.
            let mac = [a[8] ^ 0x02, a[9], a[10], a[13], a[14], a[15]];
            let p = self.mac(&mac);
            out[8..16].copy_from_slice(&[p[0] ^ 0x02, p[1], p[2], 0xff, 0xfe, p[3], p[4], p[5]]);
        } else {
            let h = self.hash(b"v6", &a);
            let keep = if a[0] == 0xfe { 8 } else { 4 };
            out[keep..].copy_from_slice(&h[..16 - keep]);
            let net = self.hash(b"v6net", &a[..keep]);
            if a[0] != 0xfe {
                out[..4].copy_from_slice(&[0xfd, net[0], net[1], net[2]]);
            }
        }
        self.v6.insert(a, out);
        out
    }

    /// Replace `from` with `to` everywhere in `buf` (same length).
    pub fn replace(buf: &mut [u8], from: &[u8], to: &[u8]) {
        if from.is_empty() || from.len() != to.len() || from == to {
            return;
        }
        let mut i = 0;
        while i + from.len() <= buf.len() {
            if &buf[i..i + from.len()] == from {
                buf[i..i + from.len()].copy_from_slice(to);
                i += from.len();
            } else {
                i += 1;
            }
        }
    }

    /// Text forms of every address seen so far, replaced in a text-bearing payload (TFTP file
    /// names, HTTP requests, DHCP strings): `aa-bb-cc-dd-ee-ff`, `aa:bb:…`, hex IPs
    /// (`C0A84D64`, and pxelinux's shortened prefixes are covered by the full form only),
    /// dotted IPs.
    fn text(&self, buf: &mut [u8]) {
        for (m, p) in &self.macs {
            for (sep, upper) in [("-", false), ("-", true), (":", false), (":", true)] {
                let f = |x: &Mac| {
                    let v: Vec<String> = x
                        .iter()
                        .map(|b| {
                            if upper {
                                format!("{b:02X}")
                            } else {
                                format!("{b:02x}")
                            }
                        })
                        .collect();
                    v.join(sep)
                };
                Self::replace(buf, f(m).as_bytes(), f(p).as_bytes());
            }
        }
        let mut v4: Vec<(&[u8; 4], &[u8; 4])> = self.v4.iter().collect();
        // Longest dotted forms first, so 10.0.0.1 does not bite into 10.0.0.10.
        v4.sort_by_key(|(a, _)| std::cmp::Reverse(Ipv4Addr::from(**a).to_string().len()));
        for (a, p) in v4 {
            let hex = |x: &[u8; 4]| x.iter().map(|b| format!("{b:02X}")).collect::<String>();
            Self::replace(buf, hex(a).as_bytes(), hex(p).as_bytes());
            // pxelinux's search shortens the hex IP one digit at a time: `/C0A84D6\0` ...
            let (ha, hp) = (hex(a), hex(p));
            for k in (2..8).rev() {
                for end in ["\0", " "] {
                    let f = format!("/{}{end}", &ha[..k]);
                    let t = format!("/{}{end}", &hp[..k]);
                    Self::replace(buf, f.as_bytes(), t.as_bytes());
                }
            }
            let dot = |x: &[u8; 4]| Ipv4Addr::from(*x).to_string();
            Self::replace(buf, dot(a).as_bytes(), dot(p).as_bytes());
        }
    }

    fn host_name(&self, name: &mut [u8]) {
        let h = self.hash(b"host", name);
        let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
        let pseudo = format!("host-{hex}");
        for (i, b) in name.iter_mut().enumerate() {
            *b = pseudo.as_bytes().get(i).copied().unwrap_or(b'x');
        }
    }

    fn dhcp4(&mut self, p: &mut [u8]) {
        if p.len() < 240 {
            return;
        }
        for at in [12, 16, 20, 24] {
            let a: [u8; 4] = [p[at], p[at + 1], p[at + 2], p[at + 3]];
            let x = self.v4(a);
            p[at..at + 4].copy_from_slice(&x);
        }
        if p[1] == 1 && p[2] == 6 {
            let m: Mac = [p[28], p[29], p[30], p[31], p[32], p[33]];
            let x = self.mac(&m);
            p[28..34].copy_from_slice(&x);
        }
        // Where each option's value sits, from the analyzer's own walker (it also finds options
        // overloaded into sname/file); rewritten in place afterwards.
        let spans: Vec<(u8, usize, usize)> = match crate::wire::dhcp4::Dhcp4::parse(p) {
            Ok(m) => m
                .options
                .iter()
                .map(|o| (o.code, o.offset + 2, o.data.len()))
                .collect(),
            Err(_) => Vec::new(),
        };
        for (code, s, len) in spans {
            let e = (s + len).min(p.len());
            if s > e {
                continue;
            }
            match code {
                3 | 6 | 28 | 50 | 54 => {
                    let mut j = s;
                    while j + 4 <= e {
                        let a = [p[j], p[j + 1], p[j + 2], p[j + 3]];
                        let x = self.v4(a);
                        p[j..j + 4].copy_from_slice(&x);
                        j += 4;
                    }
                }
                97 if e - s == 17 => {
                    let h = self.hash(b"uuid", &p[s + 1..e]);
                    p[s + 1..e].copy_from_slice(&h[..16]);
                }
                61 if e - s == 7 && p[s] == 1 => {
                    let m: Mac = [p[s + 1], p[s + 2], p[s + 3], p[s + 4], p[s + 5], p[s + 6]];
                    let x = self.mac(&m);
                    p[s + 1..e].copy_from_slice(&x);
                }
                61 => {
                    let h = self.hash(b"clientid", &p[s..e]);
                    for (k, b) in p[s..e].iter_mut().enumerate() {
                        *b = h[k % 32];
                    }
                }
                12 | 81 => self.host_name(&mut p[s..e]),
                66 | 67 => self.text(&mut p[s..e]),
                _ => {}
            }
        }
        // sname/file fields carry next-server names and boot file names.
        self.text(&mut p[44..236]);
    }

    fn dhcp6(&mut self, p: &mut [u8]) {
        let macs: Vec<Mac> = self.macs.keys().copied().collect();
        // DUIDs embed the MAC (DUID-LL/LLT); addresses in IA_NA; learn MACs from the DUID first.
        if let Ok(m) = crate::wire::dhcp6::Dhcp6::parse(p) {
            if let Some(mac) = m.client_mac() {
                let x = self.mac(&mac);
                Self::replace(p, &mac, &x);
            }
            for a in m.addresses {
                let x = self.v6(a.octets());
                Self::replace(p, &a.octets(), &x);
            }
        }
        for m in macs {
            let x = self.mac(&m);
            Self::replace(p, &m, &x);
        }
        self.text(p);
    }

    /// Rewrite one frame in place. Link types other than Ethernet keep their link header.
    pub fn frame(&mut self, linktype: u32, data: &mut [u8]) {
        let Ok((ethertype, off, _)) = crate::wire::link::strip_link(linktype, data) else {
            return;
        };
        if linktype == 1 && data.len() >= 12 {
            for at in [0, 6] {
                let m: Mac = [
                    data[at],
                    data[at + 1],
                    data[at + 2],
                    data[at + 3],
                    data[at + 4],
                    data[at + 5],
                ];
                let x = self.mac(&m);
                data[at..at + 6].copy_from_slice(&x);
            }
        }
        let Some(l3) = data.get_mut(off..) else {
            return;
        };
        match ethertype {
            0x0806 if l3.len() >= 28 => {
                for (at, is_mac) in [(8, true), (14, false), (18, true), (24, false)] {
                    if is_mac {
                        let m: Mac = [
                            l3[at],
                            l3[at + 1],
                            l3[at + 2],
                            l3[at + 3],
                            l3[at + 4],
                            l3[at + 5],
                        ];
                        let x = self.mac(&m);
                        l3[at..at + 6].copy_from_slice(&x);
                    } else {
                        let a = [l3[at], l3[at + 1], l3[at + 2], l3[at + 3]];
                        let x = self.v4(a);
                        l3[at..at + 4].copy_from_slice(&x);
                    }
                }
            }
            0x0800 => self.ipv4(l3),
            0x86dd => self.ipv6(l3),
            _ => {}
        }
    }

    fn ipv4(&mut self, ip: &mut [u8]) {
        if ip.len() < 20 || ip[0] >> 4 != 4 {
            return;
        }
        let ihl = usize::from(ip[0] & 0x0f) * 4;
        if ihl < 20 || ip.len() < ihl {
            return;
        }
        for at in [12, 16] {
            let a = [ip[at], ip[at + 1], ip[at + 2], ip[at + 3]];
            let x = self.v4(a);
            ip[at..at + 4].copy_from_slice(&x);
        }
        ip[10] = 0;
        ip[11] = 0;
        let c = checksum(0, &ip[..ihl]);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        let first_fragment = u16::from_be_bytes([ip[6], ip[7]]) & 0x1fff == 0;
        let proto = ip[9];
        let (src, dst) = (
            [ip[12], ip[13], ip[14], ip[15]],
            [ip[16], ip[17], ip[18], ip[19]],
        );
        let total = usize::from(u16::from_be_bytes([ip[2], ip[3]])).clamp(ihl, ip.len());
        let body = &mut ip[ihl..total];
        if !first_fragment {
            return;
        }
        match proto {
            17 if body.len() >= 8 => {
                let (sp, dp) = (
                    u16::from_be_bytes([body[0], body[1]]),
                    u16::from_be_bytes([body[2], body[3]]),
                );
                let payload = &mut body[8..];
                if matches!(sp, 67 | 68 | 4011) || matches!(dp, 67 | 68 | 4011) {
                    self.dhcp4(payload);
                } else if payload.len() >= 2
                    && matches!(u16::from_be_bytes([payload[0], payload[1]]), 1 | 2 | 5 | 6)
                {
                    self.text(payload); // TFTP requests, errors and OACKs: file names and messages
                }
                body[6] = 0; // UDP over IPv4: zero checksum means "not computed"
                body[7] = 0;
            }
            6 if body.len() >= 20 => {
                let doff = usize::from(body[12] >> 4) * 4;
                if let Some(p) = body.get_mut(doff..) {
                    self.text(p);
                }
                body[16] = 0;
                body[17] = 0;
                let mut pseudo = Vec::with_capacity(12);
                pseudo.extend_from_slice(&src);
                pseudo.extend_from_slice(&dst);
                pseudo.extend_from_slice(&[0, 6]);
                pseudo.extend_from_slice(&(body.len() as u16).to_be_bytes());
                let c = checksum(sum(0, &pseudo), body);
                body[16..18].copy_from_slice(&c.to_be_bytes());
            }
            1 if body.len() >= 28 && body[0] == 3 => {
                // The quoted header of the packet the error is about.
                let inner = &mut body[8..];
                for at in [12, 16] {
                    let a = [inner[at], inner[at + 1], inner[at + 2], inner[at + 3]];
                    let x = self.v4(a);
                    inner[at..at + 4].copy_from_slice(&x);
                }
                body[2] = 0;
                body[3] = 0;
                let c = checksum(0, body);
                body[2..4].copy_from_slice(&c.to_be_bytes());
            }
            _ => {}
        }
    }

    fn ipv6(&mut self, ip: &mut [u8]) {
        if ip.len() < 40 || ip[0] >> 4 != 6 {
            return;
        }
        for at in [8, 24] {
            let mut a = [0u8; 16];
            a.copy_from_slice(&ip[at..at + 16]);
            let x = self.v6(a);
            ip[at..at + 16].copy_from_slice(&x);
        }
        let next = ip[6];
        if next != 17 && next != 58 {
            return; // extension headers: the addresses in the header are enough
        }
        let (src, dst): ([u8; 16], [u8; 16]) = match (ip[8..24].try_into(), ip[24..40].try_into()) {
            (Ok(s), Ok(d)) => (s, d),
            _ => return,
        };
        let plen = usize::from(u16::from_be_bytes([ip[4], ip[5]]));
        let Some(body) = ip.get_mut(40..40 + plen) else {
            return;
        };
        let pseudo = |len: usize, nh: u8| {
            let mut p = Vec::with_capacity(40);
            p.extend_from_slice(&src);
            p.extend_from_slice(&dst);
            p.extend_from_slice(&(len as u32).to_be_bytes());
            p.extend_from_slice(&[0, 0, 0, nh]);
            p
        };
        if next == 58 {
            // Neighbour discovery carries link-layer address options and target addresses.
            if body.len() < 8 {
                return;
            }
            let macs: Vec<(Mac, Mac)> = self.macs.iter().map(|(a, b)| (*a, *b)).collect();
            for (a, b) in macs {
                Self::replace(&mut body[4..], &a, &b);
            }
            if body.len() >= 24 && matches!(body[0], 135 | 136) {
                let mut t = [0u8; 16];
                t.copy_from_slice(&body[8..24]);
                let x = self.v6(t);
                body[8..24].copy_from_slice(&x);
            }
            body[2] = 0;
            body[3] = 0;
            let c = checksum(sum(0, &pseudo(body.len(), 58)), body);
            body[2..4].copy_from_slice(&c.to_be_bytes());
            return;
        }
        let udp = body;
        if udp.len() < 8 {
            return;
        }
        let (sp, dp) = (
            u16::from_be_bytes([udp[0], udp[1]]),
            u16::from_be_bytes([udp[2], udp[3]]),
        );
        if matches!(sp, 546 | 547) || matches!(dp, 546 | 547) {
            self.dhcp6(&mut udp[8..]);
        }
        udp[6] = 0;
        udp[7] = 0;
        let c = checksum(sum(0, &pseudo(udp.len(), 17)), udp);
        udp[6..8].copy_from_slice(&(if c == 0 { 0xffff } else { c }).to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_and_shaped_like_the_original() {
        let mut a = Anonymizer::new(None);
        let mut b = Anonymizer::new(None);
        let m = [0x52, 0x54, 0, 0x77, 0, 1];
        assert_eq!(a.mac(&m), b.mac(&m), "same input, same pseudonym");
        assert_ne!(a.mac(&m), m);
        assert_eq!(a.mac(&m)[0] & 0x03, 0x02, "locally administered unicast");
        assert_eq!(a.mac(&[0xff; 6]), [0xff; 6]);
        let ip = [192, 168, 77, 100];
        let p = a.v4(ip);
        assert_ne!(p, ip);
        assert_eq!(
            Ipv4Addr::from(p).to_string().len(),
            Ipv4Addr::from(ip).to_string().len(),
            "dotted length kept"
        );
        assert_eq!(
            a.v4([192, 168, 77, 1])[..3],
            p[..3],
            "same /24 stays together"
        );
        assert_eq!(a.v4([255, 255, 255, 255]), [255; 4]);
        assert_ne!(
            Anonymizer::new(Some("other")).mac(&m),
            a.mac(&m),
            "the key matters"
        );
    }
}
