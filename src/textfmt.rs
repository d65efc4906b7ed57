//! Text the session records hold, written without the `format!` machinery: on a boot storm of
//! small files, formatting addresses, ports and hex numbers through `core::fmt` was a sixth of
//! the analysing thread's time. Each function writes exactly what the `Display` / `{:x}` it
//! replaces writes (tested against them).

use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `n` in decimal, as `{n}` writes it.
pub fn push_num(s: &mut String, n: u64) {
    let mut b = itoa::Buffer::new();
    s.push_str(b.format(n));
}

/// `format!("{a}.{b}")` (UNDI versions).
pub fn dotted_pair(a: u64, b: u64) -> String {
    let mut s = String::with_capacity(7);
    push_num(&mut s, a);
    s.push('.');
    push_num(&mut s, b);
    s
}

/// A dotted quad, as `Ipv4Addr`'s `Display` writes it, piece by piece to `put`.
fn ipv4_pieces(ip: Ipv4Addr, mut put: impl FnMut(&str)) {
    let mut d = itoa::Buffer::new();
    for (i, o) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            put(".");
        }
        put(d.format(o));
    }
}

/// A dotted quad, as `Ipv4Addr`'s `Display` writes it.
pub fn push_ipv4(s: &mut String, ip: Ipv4Addr) {
    ipv4_pieces(ip, |p| s.push_str(p));
}

/// An address as `IpAddr`'s `Display` writes it (IPv6 through `Display` itself).
pub fn push_ip(s: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => push_ipv4(s, v4),
        IpAddr::V6(v6) => {
            let _ = write!(s, "{v6}");
        }
    }
}

/// `{v4}:{port}` on the stack: at most 15 + 1 + 5 bytes (255.255.255.255:65535).
struct V4Port {
    b: [u8; 21],
    n: usize,
}

impl V4Port {
    fn new(v4: Ipv4Addr, port: u16) -> V4Port {
        let mut t = V4Port { b: [0; 21], n: 0 };
        let mut put = |piece: &str| {
            t.b[t.n..t.n + piece.len()].copy_from_slice(piece.as_bytes());
            t.n += piece.len();
        };
        ipv4_pieces(v4, &mut put);
        put(":");
        put(itoa::Buffer::new().format(port));
        t
    }
    fn as_str(&self) -> &str {
        // Only ASCII digits, dots and a colon were written.
        std::str::from_utf8(&self.b[..self.n]).unwrap_or_default()
    }
}

/// `format!("{ip}:{port}")`, allocated to its exact length (records keep these by the
/// thousand: spare capacity would be memory of every open session).
pub fn ip_port(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => V4Port::new(v4, port).as_str().to_owned(),
        IpAddr::V6(_) => format!("{ip}:{port}"),
    }
}

/// serde `serialize_with` for a `SocketAddr` in JSON: the string serde's own impl writes
/// (`192.0.2.1:67`, `[fe80::1]:547`), an IPv4 one without `core::fmt`, which serde's impl goes
/// through (1,400 instructions a call, 6 % of a storm's whole run: two per DHCP record).
pub fn serialize_socket_addr<S: serde::Serializer>(
    a: &std::net::SocketAddr,
    s: S,
) -> Result<S::Ok, S::Error> {
    match a {
        std::net::SocketAddr::V4(v4) => s.serialize_str(V4Port::new(*v4.ip(), v4.port()).as_str()),
        std::net::SocketAddr::V6(_) => serde::Serialize::serialize(a, s),
    }
}

/// Lower-case hex of each byte, two digits each (`{:02x}` per byte).
pub fn push_hex(s: &mut String, b: &[u8]) {
    for x in b {
        s.push(HEX[usize::from(x >> 4)] as char);
        s.push(HEX[usize::from(x & 15)] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_writes_what_format_writes() {
        for ip in ["0.0.0.0", "255.255.255.255", "10.1.0.9", "192.168.100.1"] {
            let v4: Ipv4Addr = ip.parse().unwrap();
            for port in [0u16, 7, 67, 4011, 65535] {
                let s = ip_port(IpAddr::V4(v4), port);
                assert_eq!(s, format!("{v4}:{port}"));
                assert_eq!(s.capacity(), s.len());
            }
        }
        let v6: IpAddr = "fe80::1:2".parse().unwrap();
        assert_eq!(ip_port(v6, 547), format!("{v6}:547"));
        #[derive(serde::Serialize)]
        struct Ours(#[serde(serialize_with = "serialize_socket_addr")] std::net::SocketAddr);
        for a in [
            "0.0.0.0:0",
            "255.255.255.255:65535",
            "10.1.0.9:68",
            "[fe80::1]:547",
            "[fe80::1%3]:546",
            "[::ffff:10.0.0.1]:67",
        ] {
            let a: std::net::SocketAddr = a.parse().unwrap();
            let theirs = serde_json::to_string(&a).unwrap();
            assert_eq!(serde_json::to_string(&Ours(a)).unwrap(), theirs);
            assert_eq!(sonic_rs::to_string(&Ours(a)).unwrap(), theirs);
        }
        let mut s = String::new();
        push_hex(&mut s, &[0, 0x0f, 0xf0, 0xab]);
        assert_eq!(s, "000ff0ab");
        assert_eq!(dotted_pair(3, 16), format!("{}.{}", 3, 16));
        assert_eq!(dotted_pair(0, 255), "0.255");
        let mac = [0x02, 0xf2, 0, 0x0a, 0xff, 0x10];
        assert_eq!(
            crate::wire::link::fmt_mac(&mac),
            format!(
                "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]
            )
        );
        for n in [0u64, 9, 10, 99, 100, 12345, u64::MAX] {
            let mut s = String::new();
            push_num(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
