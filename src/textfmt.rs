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

/// `format!("{ip}:{port}")`, allocated to its exact length (records keep these by the
/// thousand: spare capacity would be memory of every open session).
pub fn ip_port(ip: IpAddr, port: u16) -> String {
    let IpAddr::V4(v4) = ip else {
        return format!("{ip}:{port}");
    };
    // At most 15 + 1 + 5 bytes: 255.255.255.255:65535.
    let mut b = [0u8; 21];
    let mut n = 0;
    let mut put = |piece: &str| {
        b[n..n + piece.len()].copy_from_slice(piece.as_bytes());
        n += piece.len();
    };
    ipv4_pieces(v4, &mut put);
    put(":");
    put(itoa::Buffer::new().format(port));
    String::from_utf8_lossy(&b[..n]).into_owned()
}

/// Lower-case hex of each byte, two digits each (`{:02x}` per byte).
pub fn push_hex(s: &mut String, b: &[u8]) {
    for x in b {
        s.push(HEX[usize::from(x >> 4)] as char);
        s.push(HEX[usize::from(x & 15)] as char);
    }
}

/// `format!("0x{x:08x}")`.
pub fn hex_u32(x: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push_str("0x");
    push_hex(&mut s, &x.to_be_bytes());
    s
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
        for x in [0u32, 1, 0xdead_beef, u32::MAX, 0x0012_3400] {
            assert_eq!(hex_u32(x), format!("0x{x:08x}"));
        }
        let mut s = String::new();
        push_hex(&mut s, &[0, 0x0f, 0xf0, 0xab]);
        assert_eq!(s, "000ff0ab");
        for n in [0u64, 9, 10, 99, 100, 12345, u64::MAX] {
            let mut s = String::new();
            push_num(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
