//! The DHCPv6 netboot client (UEFI's IPv6 PXE / HTTP boot), sans-IO like the v4 one:
//! SOLICIT with DUID-LL, IA_NA, option 61 (arch), 62 (NII), 16 (vendor class) and an ORO asking
//! for 59/60 (boot file URL and parameters); ADVERTISEs collected for a while; REQUEST to the
//! chosen server; REPLY gives the address and the boot URL; RELEASE at the end. It answers
//! Neighbor Solicitations for its link-local address (the server resolves it before replying),
//! since the interface's kernel knows nothing of it. The URL is reported, not fetched.

use super::client::{ClientConfig, Identity, ProbeResult};
use crate::wire::checksum;
use crate::wire::dhcp6::{duid_ll, Dhcp6, Dhcp6Repr, MessageType, OptionCode};
use crate::wire::link::Mac;
use etherparse::PacketBuilder;
use std::net::Ipv6Addr;

const SEC: i64 = 1_000_000_000;
const ALL_DHCP: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);
const ALL_DHCP_MAC: Mac = [0x33, 0x33, 0, 1, 0, 2];

/// fe80::/64 with the modified EUI-64 of the MAC (what firmware uses).
pub fn link_local(mac: &Mac) -> Ipv6Addr {
    let o = [
        0xfe,
        0x80,
        0,
        0,
        0,
        0,
        0,
        0,
        mac[0] ^ 0x02,
        mac[1],
        mac[2],
        0xff,
        0xfe,
        mac[3],
        mac[4],
        mac[5],
    ];
    Ipv6Addr::from(o)
}

fn udp6(src_mac: Mac, dst_mac: Mac, src: Ipv6Addr, dst: Ipv6Addr, payload: &[u8]) -> Vec<u8> {
    let b = PacketBuilder::ethernet2(src_mac, dst_mac)
        .ipv6(src.octets(), dst.octets(), 1)
        .udp(546, 547);
    let mut out = Vec::with_capacity(b.size(payload.len()));
    if b.write(&mut out, payload).is_err() {
        out.clear();
    }
    out
}

/// A Neighbor Advertisement for `target` (solicited, override) with our MAC as the target
/// link-layer address option. Hand-built: etherparse has no ND option builder.
pub fn neighbor_advertisement(mac: Mac, target: Ipv6Addr, to_mac: Mac, to_ip: Ipv6Addr) -> Vec<u8> {
    let mut icmp = vec![136u8, 0, 0, 0, 0x60, 0, 0, 0];
    icmp.extend_from_slice(&target.octets());
    icmp.extend_from_slice(&[2, 1]);
    icmp.extend_from_slice(&mac);
    let len = icmp.len() as u32;
    let pseudo = checksum::sum(checksum::sum(len + 58, &target.octets()), &to_ip.octets());
    let c = checksum::checksum(pseudo, &icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    let mut f = Vec::with_capacity(14 + 40 + icmp.len());
    f.extend_from_slice(&to_mac);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0]);
    f.extend_from_slice(&(icmp.len() as u16).to_be_bytes());
    f.extend_from_slice(&[58, 255]);
    f.extend_from_slice(&target.octets());
    f.extend_from_slice(&to_ip.octets());
    f.extend_from_slice(&icmp);
    f
}

/// A Neighbor Solicitation in an untagged Ethernet frame: (sender MAC, sender IP, target).
pub fn neighbor_solicitation(frame: &[u8]) -> Option<(Mac, Ipv6Addr, Ipv6Addr)> {
    if frame.get(12..14)? != [0x86, 0xdd] || *frame.get(20)? != 58 {
        return None;
    }
    let icmp = frame.get(54..)?;
    if *icmp.first()? != 135 {
        return None;
    }
    let src: [u8; 16] = frame.get(22..38)?.try_into().ok()?;
    let target: [u8; 16] = icmp.get(8..24)?.try_into().ok()?;
    Some((
        frame.get(6..12)?.try_into().ok()?,
        Ipv6Addr::from(src),
        Ipv6Addr::from(target),
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Soliciting,
    Requesting,
    Done,
}

#[derive(Debug, Clone)]
struct Advert {
    from_mac: Mac,
    from_ip: Ipv6Addr,
    server_duid: Vec<u8>,
    address: Option<Ipv6Addr>,
    boot_url: Option<String>,
}

pub struct Client6 {
    pub id: Identity,
    cfg: ClientConfig,
    phase: Phase,
    xid: u32,
    start_ns: i64,
    deadline: i64,
    attempt: u32,
    adverts: Vec<Advert>,
    chosen: Option<Advert>,
    last: Vec<u8>,
    pub result: ProbeResult,
}

impl Client6 {
    pub fn new(id: Identity, cfg: ClientConfig, xid: u32) -> Client6 {
        let result = ProbeResult::for_identity(&id);
        Client6 {
            id,
            cfg,
            phase: Phase::Idle,
            xid: xid & 0x00ff_ffff,
            start_ns: 0,
            deadline: i64::MAX,
            attempt: 0,
            adverts: vec![],
            chosen: None,
            last: vec![],
            result,
        }
    }

    pub fn done(&self) -> bool {
        self.phase == Phase::Done
    }

    pub fn deadline(&self) -> i64 {
        super::client::next_deadline(
            self.done(),
            self.deadline,
            self.start_ns,
            self.cfg.timeout_ns,
        )
    }

    pub fn link_local(&self) -> Ipv6Addr {
        link_local(&self.id.mac)
    }

    fn duid(&self) -> Vec<u8> {
        duid_ll(self.id.mac)
    }

    fn ia_na(&self, addr: Option<Ipv6Addr>) -> Vec<u8> {
        let mut v = self.id.mac[2..6].to_vec(); // IAID
        v.extend_from_slice(&[0; 8]); // T1, T2: the server decides
        if let Some(a) = addr {
            v.extend_from_slice(&5u16.to_be_bytes());
            v.extend_from_slice(&24u16.to_be_bytes());
            v.extend_from_slice(&a.octets());
            v.extend_from_slice(&[0; 8]);
        }
        v
    }

    fn message(&self, kind: MessageType, now: i64, extra: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let elapsed = ((now - self.start_ns) / 10_000_000).clamp(0, 0xffff) as u16;
        let vc = self.id.vendor_class();
        let mut vendor = 343u32.to_be_bytes().to_vec(); // Intel's enterprise number, as firmware sends
        vendor.extend_from_slice(&(vc.len() as u16).to_be_bytes());
        vendor.extend_from_slice(vc.as_bytes());
        let oro: Vec<u8> = [23u16, 24, 59, 60]
            .iter()
            .flat_map(|c| c.to_be_bytes())
            .collect();
        let mut m = Dhcp6Repr::new(kind, self.xid).with(OptionCode::ClientId, self.duid());
        m.options.extend_from_slice(extra);
        let mut m = m
            .with(OptionCode::ElapsedTime, elapsed.to_be_bytes())
            .with(OptionCode::ORO, oro)
            .with(OptionCode::ClientArchType, self.id.arch.to_be_bytes())
            .with(62u16, vec![1, 3, 16]) // NII: UNDI 3.16
            .with(OptionCode::VendorClass, vendor);
        if self.id.ipxe {
            m = m.with(OptionCode::UserClass, vec![0, 4, b'i', b'P', b'X', b'E']);
        }
        m.emit()
    }

    fn multicast(&self, payload: &[u8]) -> Vec<u8> {
        udp6(
            self.id.mac,
            ALL_DHCP_MAC,
            self.link_local(),
            ALL_DHCP,
            payload,
        )
    }

    fn solicit(&mut self, now: i64) -> Vec<Vec<u8>> {
        let m = self.message(MessageType::Solicit, now, &[(3, self.ia_na(None))]);
        let f = self.multicast(&m);
        // RFC 8415: SOL_TIMEOUT 1 s, doubling; firmware gives up after a few rounds.
        self.deadline = now + (SEC << self.attempt.min(4));
        self.attempt += 1;
        vec![f]
    }

    pub fn start(&mut self, now: i64) -> Vec<Vec<u8>> {
        self.start_ns = now;
        self.phase = Phase::Soliciting;
        self.solicit(now)
    }

    fn request(&mut self, now: i64) -> Vec<Vec<u8>> {
        let Some(a) = self
            .adverts
            .iter()
            .find(|a| a.boot_url.is_some())
            .or(self.adverts.first())
            .cloned()
        else {
            return vec![];
        };
        self.phase = Phase::Requesting;
        let m = self.message(
            MessageType::Request,
            now,
            &[(2, a.server_duid.clone()), (3, self.ia_na(a.address))],
        );
        let f = self.multicast(&m);
        self.last = f.clone();
        self.chosen = Some(a);
        self.attempt = 0;
        self.deadline = now + SEC;
        vec![f]
    }

    fn finish(&mut self, now: i64, failure: Option<String>) -> Vec<Vec<u8>> {
        self.phase = Phase::Done;
        self.result.ok = failure.is_none();
        self.result.failure = failure;
        self.result.timings.total_ms = Some((now - self.start_ns) as f64 / 1e6);
        let mut out = vec![];
        if let (true, Some(c), Some(_)) = (
            self.cfg.release,
            self.chosen.clone(),
            self.result.leased_ip6,
        ) {
            let m = self.message(
                MessageType::Release,
                now,
                &[
                    (2, c.server_duid.clone()),
                    (3, self.ia_na(self.result.leased_ip6)),
                ],
            );
            out.push(self.multicast(&m));
            self.result.released = true;
        }
        out
    }

    /// A DHCPv6 message from a server to us (matched by our DUID).
    pub fn on_dhcp6(
        &mut self,
        now: i64,
        m: &Dhcp6,
        from_mac: Mac,
        from_ip: Ipv6Addr,
    ) -> Vec<Vec<u8>> {
        if m.xid != self.xid || m.client_duid.as_deref() != Some(&self.duid()[..]) {
            return vec![];
        }
        let Some(server_duid) = m.server_duid.clone() else {
            return vec![];
        };
        let ad = Advert {
            from_mac,
            from_ip,
            server_duid,
            address: m.addresses.first().copied(),
            boot_url: m.boot_url.clone(),
        };
        match (self.phase, m.message_type()) {
            (Phase::Soliciting, MessageType::Advertise) => {
                self.result.offers += 1;
                if self.adverts.is_empty() {
                    self.result.timings.offer_ms = Some((now - self.start_ns) as f64 / 1e6);
                    self.deadline = now + self.cfg.offer_wait_ns;
                }
                let has_url = ad.boot_url.is_some();
                self.adverts.push(ad);
                if has_url {
                    return self.request(now);
                }
                vec![]
            }
            (Phase::Requesting, MessageType::Reply) => {
                let _ = (&ad.from_mac, &ad.from_ip);
                self.result.timings.ack_ms = Some((now - self.start_ns) as f64 / 1e6);
                self.result.leased_ip6 = ad.address;
                let url = ad
                    .boot_url
                    .clone()
                    .or_else(|| self.chosen.as_ref().and_then(|c| c.boot_url.clone()));
                self.result.boot_url = url.clone();
                self.result.boot_file = url.clone();
                if let Some((code, msg)) = &m.status {
                    if *code != 0 {
                        return self.finish(now, Some(format!("DHCPv6 status {code}: {msg}")));
                    }
                }
                match url {
                    Some(_) => self.finish(now, None),
                    None => self.finish(
                        now,
                        Some("no boot file URL (option 59) in the DHCPv6 reply (PXE-E16)".into()),
                    ),
                }
            }
            _ => vec![],
        }
    }

    /// Neighbor Solicitation for our link-local address: answer it.
    pub fn on_neighbor_solicitation(
        &mut self,
        from_mac: Mac,
        from_ip: Ipv6Addr,
        target: Ipv6Addr,
    ) -> Vec<Vec<u8>> {
        if target != self.link_local() || self.phase == Phase::Idle {
            return vec![];
        }
        vec![neighbor_advertisement(
            self.id.mac,
            target,
            from_mac,
            from_ip,
        )]
    }

    pub fn poll(&mut self, now: i64) -> Vec<Vec<u8>> {
        if self.done() {
            return vec![];
        }
        if now >= self.start_ns.saturating_add(self.cfg.timeout_ns) {
            let why = match self.phase {
                Phase::Soliciting if self.adverts.is_empty() => {
                    "no DHCPv6 ADVERTISE received (PXE-E16)"
                }
                Phase::Requesting => "no DHCPv6 REPLY received",
                _ => "timed out",
            };
            return self.finish(now, Some(why.into()));
        }
        if now < self.deadline {
            return vec![];
        }
        match self.phase {
            Phase::Soliciting if self.adverts.is_empty() => self.solicit(now),
            Phase::Soliciting => self.request(now),
            Phase::Requesting => {
                self.attempt += 1;
                if self.attempt > 4 {
                    return self.finish(now, Some("no DHCPv6 REPLY received".into()));
                }
                self.result.retransmits += 1;
                self.deadline = now + SEC;
                vec![self.last.clone()]
            }
            Phase::Idle | Phase::Done => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::defrag::Defragmenter;
    use crate::wire::link::{decode_frame, Decoded};

    #[test]
    fn solicit_decodes_with_the_analyzer_and_na_checksums() {
        let id = Identity {
            mac: [2, 0x70, 0x78, 0, 0, 1],
            arch: 7,
            ipxe: false,
            uuid: [0; 16],
        };
        let mut c = Client6::new(id, ClientConfig::default(), 0xabcdef);
        let f = c.start(0).remove(0);
        let mut d = Defragmenter::default();
        let Ok(Decoded::Udp(u)) = decode_frame(1, &f, &mut d, 0) else {
            panic!("not UDP")
        };
        let m = Dhcp6::parse(&u.payload).expect("parses");
        assert_eq!((m.msg_type, m.xid, m.arch.clone()), (1, 0xabcdef, vec![7]));
        assert_eq!(m.client_mac(), Some([2, 0x70, 0x78, 0, 0, 1]));
        assert_eq!(
            m.vendor_class,
            vec!["PXEClient:Arch:00007:UNDI:003016".to_string()]
        );
        assert!(m.oro.contains(&59));
        // The NA's ICMPv6 checksum verifies (sum over pseudo-header + message is 0xffff).
        let ll = link_local(&[2, 0x70, 0x78, 0, 0, 1]);
        let peer: Ipv6Addr = "fe80::1".parse().expect("addr");
        let na = neighbor_advertisement([2, 0x70, 0x78, 0, 0, 1], ll, [2, 0, 0, 0, 0, 9], peer);
        let icmp = &na[54..];
        let pseudo = checksum::sum(
            checksum::sum(icmp.len() as u32 + 58, &ll.octets()),
            &peer.octets(),
        );
        assert_eq!(checksum::checksum(pseudo, icmp), 0);
        assert_eq!(ll.to_string(), "fe80::70:78ff:fe00:1");
    }
}
