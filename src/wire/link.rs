//! Layer 2 to layer 4: turn one captured frame into the packets PXE analysis cares about.
//!
//! The link layer is walked by hand because etherparse stops silently after three VLAN tags,
//! rejects non-Ethernet SLL and has no SLL2 (CRATES.md); from the ether type on, etherparse's
//! lax slicer does IPv4/IPv6/UDP so snaplen-cut packets still give their headers.

use super::defrag::{Defragmenter, FragKey};
use super::Layer;
use etherparse::{EtherType, LaxIpv4Slice, LaxNetSlice, LaxSlicedPacket, UdpSlice};
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Link-layer types we understand (values from the tcpdump.org LINKTYPE registry).
pub mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    pub const RAW: u32 = 101;
    pub const RAW_OPENBSD: u32 = 12;
    pub const RAW_ALT: u32 = 14;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
}

pub type Mac = [u8; 6];

/// `aa:bb:cc:dd:ee:ff` or `aa-bb-…` (any case) → the six bytes (the inverse of `fmt_mac`).
pub fn parse_mac(s: &str) -> Option<Mac> {
    let parts: Vec<u8> = s
        .split([':', '-'])
        .filter_map(|x| u8::from_str_radix(x, 16).ok())
        .collect();
    parts.try_into().ok()
}

pub fn fmt_mac(m: &Mac) -> String {
    // By hand, not `format!("{:02x}:…")`: padded hex through core::fmt cost ~2,500
    // instructions, once per client and again per identity it shows.
    let mut s = String::with_capacity(17);
    for (i, b) in m.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        crate::textfmt::push_hex(&mut s, &[*b]);
    }
    s
}

/// What the link layer told us about a frame.
#[derive(Debug, Clone, Default)]
pub struct LinkInfo {
    pub src_mac: Option<Mac>,
    pub dst_mac: Option<Mac>,
    pub vlans: Vec<u16>,
}

#[derive(Debug, Clone)]
pub struct UdpDatagram<'a> {
    pub link: LinkInfo,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub payload: Cow<'a, [u8]>,
    /// The capture holds fewer payload bytes than the UDP header announces (snaplen cut).
    pub truncated: bool,
    /// The IPv4 datagram was reassembled from fragments.
    pub reassembled: bool,
    /// Largest IP packet size seen for this datagram (fragment size when fragmented).
    pub ip_len: usize,
    /// Payload length the UDP header declares (more than `payload.len()` when cut by snaplen).
    pub udp_len: usize,
}

#[derive(Debug, Clone)]
pub struct ArpPacket {
    pub link: LinkInfo,
    pub op: u16,
    pub sender_mac: Mac,
    pub sender_ip: Ipv4Addr,
    pub target_ip: Ipv4Addr,
}

/// ICMP/ICMPv6 destination unreachable quoting a UDP datagram.
#[derive(Debug, Clone)]
pub struct IcmpUnreachable {
    pub link: LinkInfo,
    pub from: IpAddr,
    pub code: u8,
    pub v6: bool,
    /// The quoted datagram's endpoints: (src, sport) -> (dst, dport).
    pub orig_src: IpAddr,
    pub orig_dst: IpAddr,
    pub orig_sport: u16,
    pub orig_dport: u16,
}

#[derive(Debug, Clone)]
pub enum Decoded<'a> {
    Udp(UdpDatagram<'a>),
    Arp(ArpPacket),
    Icmp(IcmpUnreachable),
    /// A TCP segment (kept minimal: HTTP boot needs endpoints, flags and payload).
    Tcp(TcpSegment<'a>),
    /// Part of a fragmented datagram; nothing to analyse yet.
    Fragment,
    /// Decoded fine, but nothing PXE analysis looks at.
    Ignored,
}

#[derive(Debug, Clone)]
pub struct TcpSegment<'a> {
    pub link: LinkInfo,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub layer: Layer,
    pub offset: usize,
    pub what: String,
    /// What callers act on (never the text).
    pub kind: DecodeErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The bytes are wrong or too few for the layer.
    Malformed,
    /// A link type we do not read: counted per type, not a malformed frame.
    UnsupportedLinkType,
}

impl DecodeError {
    fn new(layer: Layer, offset: usize, what: impl Into<String>) -> Self {
        DecodeError {
            layer,
            offset,
            what: what.into(),
            kind: DecodeErrorKind::Malformed,
        }
    }
}

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn mac_at(d: &[u8], at: usize) -> Option<Mac> {
    d.get(at..at + 6)?.try_into().ok()
}

const MAX_VLAN_DEPTH: usize = 16;

/// Strip the link layer. Returns the ether type, the offset of the network layer and link facts.
// Long on purpose: a table of cases, one match arm per pcap link type, each with its own header
// layout, length check and error message.
pub fn strip_link(linktype: u32, data: &[u8]) -> Result<(u16, usize, LinkInfo), DecodeError> {
    let mut info = LinkInfo::default();
    match linktype {
        linktype::ETHERNET => {
            if data.len() < 14 {
                return Err(DecodeError::new(
                    Layer::Link,
                    0,
                    format!("Ethernet header needs 14 bytes, frame has {}", data.len()),
                ));
            }
            info.dst_mac = mac_at(data, 0);
            info.src_mac = mac_at(data, 6);
            walk_ethertypes(data, 12, info)
        }
        linktype::LINUX_SLL => {
            // pkttype(2) arphrd(2) addrlen(2) addr(8) protocol(2)
            if data.len() < 16 {
                return Err(DecodeError::new(
                    Layer::Link,
                    0,
                    "Linux SLL header needs 16 bytes",
                ));
            }
            let alen = be16(data, 4).unwrap_or(0);
            if alen == 6 {
                info.src_mac = mac_at(data, 6);
            }
            walk_ethertypes(data, 14, info)
        }
        linktype::LINUX_SLL2 => {
            // protocol(2) reserved(2) ifindex(4) arphrd(2) pkttype(1) addrlen(1) addr(8)
            if data.len() < 20 {
                return Err(DecodeError::new(
                    Layer::Link,
                    0,
                    "Linux SLL2 header needs 20 bytes",
                ));
            }
            if data.get(11) == Some(&6) {
                info.src_mac = mac_at(data, 12);
            }
            let proto = be16(data, 0).unwrap_or(0);
            finish_ethertype(data, proto, 20, info)
        }
        linktype::NULL | linktype::LOOP => {
            let fam = data
                .get(0..4)
                .ok_or_else(|| DecodeError::new(Layer::Link, 0, "loopback header needs 4 bytes"))?;
            // The family is in the capturing host's byte order (LOOP: always big-endian).
            let v = if fam[0] == 0 && fam[1] == 0 {
                u32::from_be_bytes([fam[0], fam[1], fam[2], fam[3]])
            } else {
                u32::from_le_bytes([fam[0], fam[1], fam[2], fam[3]])
            };
            match v {
                2 => Ok((0x0800, 4, info)),
                24 | 28 | 30 => Ok((0x86dd, 4, info)),
                other => Err(DecodeError::new(
                    Layer::Link,
                    0,
                    format!("loopback address family {other} is not IP"),
                )),
            }
        }
        linktype::RAW
        | linktype::RAW_OPENBSD
        | linktype::RAW_ALT
        | linktype::IPV4
        | linktype::IPV6 => match data.first().map(|b| b >> 4) {
            Some(4) => Ok((0x0800, 0, info)),
            Some(6) => Ok((0x86dd, 0, info)),
            _ => Err(DecodeError::new(
                Layer::Network,
                0,
                "raw IP frame with no IP version 4 or 6",
            )),
        },
        other => Err(DecodeError {
            kind: DecodeErrorKind::UnsupportedLinkType,
            ..DecodeError::new(Layer::Link, 0, format!("unsupported link type {other}"))
        }),
    }
}

fn walk_ethertypes(
    data: &[u8],
    mut at: usize,
    mut info: LinkInfo,
) -> Result<(u16, usize, LinkInfo), DecodeError> {
    let mut ethertype = be16(data, at)
        .ok_or_else(|| DecodeError::new(Layer::Link, at, "frame ends inside the ether type"))?;
    at += 2;
    let mut depth = 0;
    while matches!(ethertype, 0x8100 | 0x88a8 | 0x9100 | 0x9200) {
        depth += 1;
        if depth > MAX_VLAN_DEPTH {
            return Err(DecodeError::new(Layer::Link, at, "more than 16 VLAN tags"));
        }
        let tci = be16(data, at)
            .ok_or_else(|| DecodeError::new(Layer::Link, at, "frame ends inside a VLAN tag"))?;
        info.vlans.push(tci & 0x0fff);
        ethertype = be16(data, at + 2)
            .ok_or_else(|| DecodeError::new(Layer::Link, at + 2, "frame ends inside a VLAN tag"))?;
        at += 4;
    }
    finish_ethertype(data, ethertype, at, info)
}

fn finish_ethertype(
    _data: &[u8],
    ethertype: u16,
    at: usize,
    info: LinkInfo,
) -> Result<(u16, usize, LinkInfo), DecodeError> {
    Ok((ethertype, at, info))
}

/// Decode one frame. `defrag` holds IPv4 fragments between calls; `now_ns` expires them.
pub fn decode_frame<'a>(
    linktype: u32,
    data: &'a [u8],
    defrag: &mut Defragmenter,
    now_ns: i64,
) -> Result<Decoded<'a>, DecodeError> {
    if linktype == linktype::ETHERNET {
        if let Some(d) = plain_udp4(data) {
            return Ok(d);
        }
    }
    decode_frame_general(linktype, data, defrag, now_ns)
}

/// The frame almost every packet of a boot is — Ethernet without a VLAN tag, a 20-byte IPv4
/// header, whole and unfragmented, UDP with a length that fits — sliced in one go: the general
/// path (link walk, etherparse's lax slicers) was a fifth of analyze's per-frame time on a boot
/// storm. Anything else returns `None` and takes the general path; a test checks that both give
/// the same result on every frame of every bundled capture.
pub(crate) fn plain_udp4(data: &[u8]) -> Option<Decoded<'_>> {
    let h = data.get(..42)?;
    if h[12..14] != [0x08, 0x00] || h[14] != 0x45 || h[23] != 17 {
        return None;
    }
    if be16(h, 20)? & 0x3fff != 0 {
        return None; // more fragments, or a fragment offset
    }
    let total = usize::from(be16(h, 16)?);
    if total < 28 || 14 + total > data.len() {
        return None;
    }
    let udp_len = usize::from(be16(h, 38)?);
    if udp_len < 8 || udp_len > total - 20 {
        return None;
    }
    Some(Decoded::Udp(UdpDatagram {
        link: LinkInfo {
            dst_mac: mac_at(h, 0),
            src_mac: mac_at(h, 6),
            vlans: Vec::new(),
        },
        src: IpAddr::V4(Ipv4Addr::new(h[26], h[27], h[28], h[29])),
        dst: IpAddr::V4(Ipv4Addr::new(h[30], h[31], h[32], h[33])),
        sport: be16(h, 34)?,
        dport: be16(h, 36)?,
        payload: Cow::Borrowed(data.get(42..34 + udp_len)?),
        truncated: false,
        reassembled: false,
        ip_len: total,
        udp_len: udp_len - 8,
    }))
}

/// Every link type, tags, IPv4 options and fragments, IPv6, ARP, ICMP, TCP.
pub fn decode_frame_general<'a>(
    linktype: u32,
    data: &'a [u8],
    defrag: &mut Defragmenter,
    now_ns: i64,
) -> Result<Decoded<'a>, DecodeError> {
    let (ethertype, at, link) = strip_link(linktype, data)?;
    let l3 = data.get(at..).unwrap_or(&[]);
    match ethertype {
        0x0806 => decode_arp(l3, at, link),
        0x0800 | 0x86dd => decode_ip(ethertype, l3, at, link, defrag, now_ns),
        _ => Ok(Decoded::Ignored),
    }
}

fn decode_arp(d: &[u8], base: usize, link: LinkInfo) -> Result<Decoded<'static>, DecodeError> {
    // Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
    if d.len() < 28 {
        return Err(DecodeError::new(
            Layer::Network,
            base,
            format!("ARP packet needs 28 bytes, has {}", d.len()),
        ));
    }
    if be16(d, 0) != Some(1)
        || be16(d, 2) != Some(0x0800)
        || d.get(4) != Some(&6)
        || d.get(5) != Some(&4)
    {
        return Ok(Decoded::Ignored);
    }
    let op = be16(d, 6).unwrap_or(0);
    let sender_mac = mac_at(d, 8).unwrap_or_default();
    let ip = |at: usize| -> Ipv4Addr {
        let b = d.get(at..at + 4).unwrap_or(&[0, 0, 0, 0]);
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    };
    Ok(Decoded::Arp(ArpPacket {
        link,
        op,
        sender_mac,
        sender_ip: ip(14),
        target_ip: ip(24),
    }))
}

// Long on purpose: one frame's path from IP header to UDP/TCP/ICMP, on the hot path; the IPv4
// fragment cases return early, the rest falls through to one match on the IP protocol number.
fn decode_ip<'a>(
    ethertype: u16,
    d: &'a [u8],
    base: usize,
    link: LinkInfo,
    defrag: &mut Defragmenter,
    now_ns: i64,
) -> Result<Decoded<'a>, DecodeError> {
    // IPv4 is sliced on its own (etherparse's LaxIpv4Slice): the full LaxSlicedPacket is a large
    // value whose copies were the single biggest cost per frame. IPv6 keeps the full slicer
    // (extension headers).
    let v4_only = if ethertype == 0x0800 {
        Some(LaxIpv4Slice::from_slice(d))
    } else {
        None
    };
    let sliced = if v4_only.is_none() {
        Some(LaxSlicedPacket::from_ether_type(EtherType(ethertype), d))
    } else {
        None
    };
    let net = match (&v4_only, &sliced) {
        (Some(Ok((v4, _))), _) => Some(LaxNetSlice::Ipv4(v4.clone())),
        (_, Some(s)) => s.net.clone(),
        _ => None,
    };
    let (src, dst, ip_payload, ip_len) = match &net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            let p = v4.payload();
            let src = IpAddr::V4(h.source_addr());
            let dst = IpAddr::V4(h.destination_addr());
            let offset0 = h.fragments_offset().value() == 0;
            if p.fragmented && offset0 && p.incomplete && h.protocol().0 == 17 {
                // A first fragment cut by snaplen can never be reassembled: show what it has.
                let udp = UdpSlice::from_slice_lax(p.payload).map_err(|e| {
                    DecodeError::new(
                        Layer::Transport,
                        base,
                        format!("UDP header of a cut fragment: {e}"),
                    )
                })?;
                let declared = usize::from(udp.length()).saturating_sub(8);
                return Ok(Decoded::Udp(UdpDatagram {
                    link,
                    src,
                    dst,
                    sport: udp.source_port(),
                    dport: udp.destination_port(),
                    payload: Cow::Borrowed(udp.payload()),
                    truncated: true,
                    reassembled: false,
                    ip_len: usize::from(h.total_len()),
                    udp_len: declared,
                }));
            }
            if p.fragmented {
                let key = FragKey {
                    src: h.source(),
                    dst: h.destination(),
                    id: h.identification(),
                    proto: h.protocol().0,
                };
                let offset = usize::from(h.fragments_offset().value()) * 8;
                let frag_len = usize::from(h.total_len());
                return match defrag.add(key, offset, h.more_fragments(), p.payload, now_ns) {
                    Some(whole) if h.protocol().0 == 17 => {
                        let udp = UdpSlice::from_slice_lax(&whole).map_err(|e| {
                            DecodeError::new(
                                Layer::Transport,
                                base,
                                format!("reassembled UDP: {e}"),
                            )
                        })?;
                        let (sport, dport) = (udp.source_port(), udp.destination_port());
                        let declared = usize::from(udp.length()).saturating_sub(8);
                        let payload = udp.payload().to_vec();
                        let truncated = payload.len() < declared;
                        Ok(Decoded::Udp(UdpDatagram {
                            link,
                            src,
                            dst,
                            sport,
                            dport,
                            payload: Cow::Owned(payload),
                            truncated,
                            reassembled: true,
                            ip_len: frag_len,
                            udp_len: declared,
                        }))
                    }
                    _ => Ok(Decoded::Fragment),
                };
            }
            (src, dst, p, usize::from(h.total_len()))
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                v6.payload(),
                usize::from(h.payload_length()) + 40,
            )
        }
        Some(LaxNetSlice::Arp(_)) => return Ok(Decoded::Ignored),
        None => {
            let what = match (&v4_only, sliced.as_ref().and_then(|s| s.stop_err.as_ref())) {
                (Some(Err(e)), _) => format!("{e}"),
                (_, Some((e, _))) => format!("{e}"),
                _ => "no IP header".to_string(),
            };
            return Err(DecodeError::new(Layer::Network, base, what));
        }
    };
    let ipp = ip_payload.payload;
    let ip_payload_off = base + (d.len() - ipp.len()).min(d.len());
    match ip_payload.ip_number.0 {
        17 => match UdpSlice::from_slice_lax(ipp) {
            Ok(udp) => {
                let declared = usize::from(udp.length()).saturating_sub(8);
                let payload = udp.payload();
                let truncated = payload.len() < declared || ip_payload.incomplete;
                Ok(Decoded::Udp(UdpDatagram {
                    link,
                    src,
                    dst,
                    sport: udp.source_port(),
                    dport: udp.destination_port(),
                    payload: Cow::Borrowed(payload),
                    truncated,
                    reassembled: false,
                    ip_len,
                    udp_len: declared,
                }))
            }
            _ => Err(DecodeError::new(
                Layer::Transport,
                ip_payload_off,
                format!("UDP header cut short ({} bytes captured)", ipp.len()),
            )),
        },
        6 => decode_tcp(ipp, ip_payload_off, link, src, dst),
        1 if ipp.first() == Some(&3) => Ok(quoted_udp(ipp, false)
            .map(|q| {
                Decoded::Icmp(IcmpUnreachable {
                    link,
                    from: src,
                    ..q
                })
            })
            .unwrap_or(Decoded::Ignored)),
        58 if ipp.first() == Some(&1) => Ok(quoted_udp(ipp, true)
            .map(|q| {
                Decoded::Icmp(IcmpUnreachable {
                    link,
                    from: src,
                    ..q
                })
            })
            .unwrap_or(Decoded::Ignored)),
        _ => Ok(Decoded::Ignored),
    }
}

fn decode_tcp<'a>(
    d: &'a [u8],
    off: usize,
    link: LinkInfo,
    src: IpAddr,
    dst: IpAddr,
) -> Result<Decoded<'a>, DecodeError> {
    if d.len() < 20 {
        return Err(DecodeError::new(
            Layer::Transport,
            off,
            "TCP header cut short",
        ));
    }
    let data_off = usize::from(d[12] >> 4) * 4;
    let flags = d[13];
    let payload = d.get(data_off..).unwrap_or(&[]);
    Ok(Decoded::Tcp(TcpSegment {
        link,
        src,
        dst,
        sport: be16(d, 0).unwrap_or(0),
        dport: be16(d, 2).unwrap_or(0),
        seq: u32::from_be_bytes([d[4], d[5], d[6], d[7]]),
        syn: flags & 0x02 != 0,
        fin: flags & 0x01 != 0,
        rst: flags & 0x04 != 0,
        payload,
    }))
}

/// The UDP endpoints quoted inside an ICMP error (type, code, 4 unused bytes, then the packet).
fn quoted_udp(icmp: &[u8], v6: bool) -> Option<IcmpUnreachable> {
    let code = *icmp.get(1)?;
    let q = icmp.get(8..)?;
    let (orig_src, orig_dst, udp) = if v6 {
        if q.len() < 48 || q[6] != 17 {
            return None;
        }
        let s: [u8; 16] = q.get(8..24)?.try_into().ok()?;
        let t: [u8; 16] = q.get(24..40)?.try_into().ok()?;
        (
            IpAddr::V6(Ipv6Addr::from(s)),
            IpAddr::V6(Ipv6Addr::from(t)),
            q.get(40..)?,
        )
    } else {
        let ihl = usize::from(q.first()? & 0x0f) * 4;
        if ihl < 20 || *q.get(9)? != 17 {
            return None;
        }
        let s: [u8; 4] = q.get(12..16)?.try_into().ok()?;
        let t: [u8; 4] = q.get(16..20)?.try_into().ok()?;
        (
            IpAddr::V4(Ipv4Addr::from(s)),
            IpAddr::V4(Ipv4Addr::from(t)),
            q.get(ihl..)?,
        )
    };
    Some(IcmpUnreachable {
        link: LinkInfo::default(),
        from: orig_dst,
        code,
        v6,
        orig_src,
        orig_dst,
        orig_sport: be16(udp, 0)?,
        orig_dport: be16(udp, 2)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain-UDP fast path must say exactly what the general path says, on every frame of
    /// every bundled capture and on each of them with its IP and UDP lengths, fragment bits and
    /// capture length bent (a fast path that took a frame it should not would differ here).
    #[test]
    fn plain_udp4_agrees_with_the_general_path() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut files: Vec<std::path::PathBuf> = Vec::new();
        for dir in ["samples", "tests/captures"] {
            for e in std::fs::read_dir(format!("{root}/{dir}"))
                .expect("dir")
                .flatten()
            {
                let p = e.path();
                if p.to_string_lossy().contains(".pcap") {
                    files.push(p);
                }
            }
        }
        let (mut fast, mut checked) = (0u64, 0u64);
        let mut same = |data: &[u8]| {
            checked += 1;
            if let Some(d) = plain_udp4(data) {
                fast += 1;
                let general =
                    decode_frame_general(linktype::ETHERNET, data, &mut Defragmenter::default(), 0);
                assert_eq!(
                    format!("{:?}", Ok::<_, DecodeError>(d)),
                    format!("{general:?}"),
                    "frame {data:02x?}"
                );
            }
        };
        for path in &files {
            let Ok(mut r) = crate::source::CaptureReader::open(&path.to_string_lossy(), 0) else {
                continue;
            };
            while let Ok(Some(f)) = r.next_frame() {
                if f.linktype != linktype::ETHERNET {
                    continue;
                }
                same(&f.data);
                if f.data.len() < 42 {
                    continue;
                }
                for cut in [
                    f.data.len() - 1,
                    42,
                    41,
                    34 + usize::from(u16::from_be_bytes([f.data[38], f.data[39]]))
                        .min(f.data.len()),
                ] {
                    same(&f.data[..cut.min(f.data.len())]);
                }
                for (at, bytes) in [
                    (16usize, [0u8, 27]),
                    (16, [0, 28]),
                    (16, [0xff, 0xff]),
                    (38, [0, 7]),
                    (38, [0, 8]),
                    (38, [0xff, 0xff]),
                    (20, [0x20, 0]),
                    (20, [0, 1]),
                    (20, [0x40, 0]),
                    (14, [0x46, 0]),
                ] {
                    let mut g = f.data.clone();
                    g[at] = bytes[0];
                    if at != 14 {
                        g[at + 1] = bytes[1];
                    }
                    same(&g);
                }
            }
        }
        assert!(
            fast > 10_000 && checked > fast,
            "fast path taken {fast} times of {checked}"
        );
    }

    #[test]
    fn deep_vlan_stack_is_walked() {
        let mut f = vec![0xffu8; 6];
        f.extend([0, 1, 2, 3, 4, 5]);
        for vid in [30u16, 20, 10, 5] {
            f.extend([0x81, 0x00]);
            f.extend(vid.to_be_bytes());
        }
        f.extend([0x08, 0x06]);
        let (et, at, info) = strip_link(linktype::ETHERNET, &f).expect("walks");
        assert_eq!(et, 0x0806);
        assert_eq!(at, f.len());
        assert_eq!(info.vlans, vec![30, 20, 10, 5]);
    }

    #[test]
    fn short_frames_are_errors_not_panics() {
        for lt in [0, 1, 101, 113, 276, 999] {
            for n in 0..24 {
                let f = vec![0x81u8; n];
                let mut d = Defragmenter::default();
                let _ = decode_frame(lt, &f, &mut d, 0);
            }
        }
    }
}
