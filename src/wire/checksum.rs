//! The Internet checksum (RFC 1071) — IPv4 headers, UDP, ICMP and ICMPv6 — in one place for
//! everything that writes or rewrites packets (probe's frames, synth's fragments, anon).

/// Adds `data` as big-endian 16-bit words to `acc` (an odd last byte is padded with zero);
/// chain calls for a pseudo-header and a body.
pub fn sum(mut acc: u32, data: &[u8]) -> u32 {
    for c in data.chunks(2) {
        acc += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    acc
}

/// The checksum of `data` on top of a running `acc`: sum, fold the carries, complement.
pub fn checksum(acc: u32, data: &[u8]) -> u16 {
    let mut s = sum(acc, data);
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example_and_verification() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement: 220d).
        let d = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(checksum(0, &d), !0xddf2);
        // A header with its checksum in place sums to 0xffff, so checks to 0.
        let mut h = vec![
            0x45, 0, 0, 0x1c, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        let c = checksum(0, &h);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        assert_eq!(checksum(0, &h), 0);
    }
}
