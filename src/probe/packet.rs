//! What a PXE client puts on the wire: DHCP requests as firmware builds them, and the Ethernet,
//! ARP, IPv4 and UDP framing around them (probe has no kernel address, so it frames by itself).

use crate::wire::dhcp4::{Dhcp4Repr, MessageType};
use crate::wire::link::Mac;
use etherparse::PacketBuilder;
use std::net::Ipv4Addr;

pub const BROADCAST_MAC: Mac = [0xff; 6];

/// An Ethernet II frame with IPv4 and UDP around `payload`.
pub fn udp_frame(
    src_mac: Mac,
    dst_mac: Mac,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    sport: u16,
    dport: u16,
    payload: &[u8],
) -> Vec<u8> {
    let b = PacketBuilder::ethernet2(src_mac, dst_mac)
        .ipv4(src.octets(), dst.octets(), 64)
        .udp(sport, dport);
    let mut out = Vec::with_capacity(b.size(payload.len()));
    // Writing into a Vec only fails when the payload exceeds an IPv4 datagram; our payloads
    // are DHCP/TFTP control packets, far below that. An empty frame is never sent.
    if b.write(&mut out, payload).is_err() {
        out.clear();
    }
    out
}

/// An ARP request (`target_mac` zero) or reply, padded to the 60-byte Ethernet minimum.
pub fn arp_frame(
    op: u16,
    src_mac: Mac,
    dst_mac: Mac,
    sender_ip: Ipv4Addr,
    target_mac: Mac,
    target_ip: Ipv4Addr,
) -> Vec<u8> {
    let mut f = Vec::with_capacity(60);
    f.extend_from_slice(&dst_mac);
    f.extend_from_slice(&src_mac);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4]);
    f.extend_from_slice(&op.to_be_bytes());
    f.extend_from_slice(&src_mac);
    f.extend_from_slice(&sender_ip.octets());
    f.extend_from_slice(&target_mac);
    f.extend_from_slice(&target_ip.octets());
    f.resize(60, 0);
    f
}

/// A BOOTP request from a client: option 53 (`msg`) first as firmware does, then `options` in
/// the order given, padded to the 300-byte BOOTP minimum some servers still insist on.
pub fn dhcp_request(
    msg: MessageType,
    xid: u32,
    secs: u16,
    broadcast: bool,
    ciaddr: Ipv4Addr,
    mac: Mac,
    options: &[(u8, Vec<u8>)],
) -> Vec<u8> {
    let mut r = Dhcp4Repr::request(msg, xid, mac);
    r.secs = secs;
    r.flags = if broadcast { 0x8000 } else { 0 };
    r.ciaddr = ciaddr;
    r.options.extend_from_slice(options);
    r.emit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::defrag::Defragmenter;
    use crate::wire::dhcp4::Dhcp4;
    use crate::wire::link::{decode_frame, Decoded};

    #[test]
    fn frames_decode_with_the_analyzer() {
        let mac = [2, 0x70, 0x78, 0, 0, 1];
        let d = dhcp_request(
            MessageType::Discover,
            0x1234_5678,
            4,
            true,
            Ipv4Addr::UNSPECIFIED,
            mac,
            &[(60, b"PXEClient:Arch:00007:UNDI:003016".to_vec())],
        );
        let f = udp_frame(
            mac,
            BROADCAST_MAC,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::BROADCAST,
            68,
            67,
            &d,
        );
        let mut defrag = Defragmenter::default();
        let Ok(Decoded::Udp(u)) = decode_frame(1, &f, &mut defrag, 0) else {
            panic!("not UDP")
        };
        assert_eq!((u.sport, u.dport), (68, 67));
        let m = Dhcp4::parse(&u.payload).expect("parses");
        assert_eq!(m.xid, 0x1234_5678);
        assert_eq!(m.message_type(), Some(MessageType::Discover));
        assert_eq!(m.mac(), Some(mac));
        assert_eq!(
            m.opt_str(60).as_deref(),
            Some("PXEClient:Arch:00007:UNDI:003016")
        );
        assert!(m.issues.is_empty(), "{:?}", m.issues);
        let a = arp_frame(
            1,
            mac,
            BROADCAST_MAC,
            Ipv4Addr::new(10, 0, 0, 5),
            [0; 6],
            Ipv4Addr::new(10, 0, 0, 1),
        );
        let Ok(Decoded::Arp(a)) = decode_frame(1, &a, &mut defrag, 0) else {
            panic!("not ARP")
        };
        assert_eq!(
            (a.op, a.sender_mac, a.sender_ip, a.target_ip),
            (
                1,
                mac,
                Ipv4Addr::new(10, 0, 0, 5),
                Ipv4Addr::new(10, 0, 0, 1)
            )
        );
    }
}
