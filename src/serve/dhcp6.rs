//! DHCPv6 netboot responder (RFC 8415, RFC 5970): SOLICIT → ADVERTISE, REQUEST / RENEW /
//! REBIND / CONFIRM → REPLY, RELEASE → REPLY, INFORMATION-REQUEST → REPLY, each with an IA_NA
//! address from the pool and option 59, the boot file URL chosen by option 61 (client arch):
//! `tftp://[server]/file` for PXE clients, `--http-url` for HTTP boot clients (with vendor class
//! HTTPClient, as UEFI HTTP boot wants). Relay-Forw messages are answered with Relay-Repl to the
//! relay, the interface-id echoed. Sans-IO and clock-free, like the DHCPv4 responder: bytes and
//! time in, replies out; the runtime owns the socket.

use crate::proto::{arch_info, Family};
pub use crate::wire::dhcp6::duid_ll;
use crate::wire::dhcp6::{be16, put_option as put, status_value as status};
use std::collections::BTreeMap;
use std::net::{Ipv6Addr, SocketAddrV6};

// The wire vocabulary's typed names, shortened for the matches below.
use crate::wire::dhcp6::{MessageType as M, OptionCode as O};

/// Status codes (RFC 8415 §21.13).
pub const STATUS_NO_ADDRS_AVAIL: u16 = 2;

#[derive(Debug, Clone)]
pub struct Pool6 {
    pub start: Ipv6Addr,
    pub end: Ipv6Addr,
    pub preferred_secs: u32,
    pub valid_secs: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Dhcp6Faults {
    /// Leave option 59 out (`dhcpv6-no-boot-url`).
    pub no_boot_url: bool,
    /// Answer REQUESTs with this status code in the IA_NA (`dhcpv6-status-error`).
    pub status_error: Option<u16>,
}

#[derive(Debug, Clone)]
pub struct Dhcp6Config {
    /// Our DUID (DUID-LL of the interface's MAC).
    pub server_duid: Vec<u8>,
    /// The address TFTP URLs name.
    pub server_ip: Ipv6Addr,
    pub pool: Pool6,
    pub boot: BTreeMap<Family, String>,
    pub boot_codes: BTreeMap<u16, String>,
    /// What HTTP boot clients (arch 16, 19, …) are handed.
    pub http_url: Option<String>,
    pub faults: Dhcp6Faults,
}

/// One answer: the bytes and where they go (the client's address, or the relay's).
#[derive(Debug, Clone)]
pub struct Dhcp6Reply {
    pub bytes: Vec<u8>,
    pub dst: SocketAddrV6,
    /// For serve's log: what was answered and with what.
    pub note: String,
}

struct Lease {
    addr: Ipv6Addr,
    expires_ns: i64,
}

pub struct Dhcp6Responder {
    cfg: Dhcp6Config,
    /// `http://[server]:port` of serve's own HTTP server (--http-root without --http-url): HTTP
    /// boot clients get it and their family's boot file.
    pub http_base: Option<String>,
    /// By client DUID.
    leases: BTreeMap<Vec<u8>, Lease>,
}

/// (code, value) of an option area, by the analyzer's own reader (which stops at the first
/// option that overruns); what it notes about malformed options is not ours to report.
fn options(d: &[u8]) -> Vec<(u16, &[u8])> {
    crate::wire::dhcp6::options(d, &mut Vec::new())
}

impl Dhcp6Responder {
    pub fn new(cfg: Dhcp6Config) -> Dhcp6Responder {
        Dhcp6Responder {
            cfg,
            http_base: None,
            leases: BTreeMap::new(),
        }
    }

    /// The boot URL for a client of arch `code` (None when nothing is configured for it).
    fn boot_url(&self, arch: Option<u16>) -> Option<String> {
        // No option 61 (some firmware leaves it out of DHCPv6): an x64 UEFI PXE client.
        let info = arch_info(arch.unwrap_or(7));
        let file = arch
            .and_then(|c| self.cfg.boot_codes.get(&c))
            .or_else(|| self.cfg.boot.get(&info.family));
        if info.http {
            return match (&self.cfg.http_url, &self.http_base, file) {
                (Some(u), _, _) => Some(u.clone()),
                (None, Some(base), Some(f)) => {
                    Some(format!("{base}/{}", f.trim_start_matches('/')))
                }
                _ => None,
            };
        }
        let file = file?;
        if file.contains("://") {
            return Some(file.clone());
        }
        Some(format!(
            "tftp://[{}]/{}",
            self.cfg.server_ip,
            file.trim_start_matches('/')
        ))
    }

    fn allocate(&mut self, duid: &[u8], now: i64) -> Option<Ipv6Addr> {
        let valid_ns = i64::from(self.cfg.pool.valid_secs) * 1_000_000_000;
        if let Some(l) = self.leases.get_mut(duid) {
            l.expires_ns = now + valid_ns;
            return Some(l.addr);
        }
        let (s, e) = (
            u128::from(self.cfg.pool.start),
            u128::from(self.cfg.pool.end),
        );
        // Expired leases go back to the pool first; then the first address nobody holds
        // (bounded: a pool is scanned at most 65,536 addresses deep).
        self.leases.retain(|_, l| l.expires_ns > now);
        let taken: std::collections::BTreeSet<u128> =
            self.leases.values().map(|l| u128::from(l.addr)).collect();
        let a = (s..=e).take(65_536).find(|a| !taken.contains(a))?;
        let addr = Ipv6Addr::from(a);
        self.leases.insert(
            duid.to_vec(),
            Lease {
                addr,
                expires_ns: now + valid_ns,
            },
        );
        Some(addr)
    }

    /// Answer one datagram from `from` (port 546 for clients, 547 for relays).
    pub fn handle(&mut self, payload: &[u8], from: SocketAddrV6, now: i64) -> Vec<Dhcp6Reply> {
        match payload.first() {
            Some(&b) if M::from(b) == M::RelayForw => self.relayed(payload, from, now, 0),
            Some(_) => self
                .answer(payload, now)
                .map(|(bytes, note)| Dhcp6Reply {
                    bytes,
                    dst: SocketAddrV6::new(*from.ip(), 546, 0, from.scope_id()),
                    note,
                })
                .into_iter()
                .collect(),
            None => vec![],
        }
    }

    /// Relay-Forw: answer the inner message, wrap the answer in Relay-Repl (hop count, link
    /// and peer addresses, interface-id echoed), back to the relay's port 547.
    fn relayed(
        &mut self,
        msg: &[u8],
        from: SocketAddrV6,
        now: i64,
        depth: usize,
    ) -> Vec<Dhcp6Reply> {
        if msg.len() < 34 || depth > 8 {
            return vec![];
        }
        let opts = options(&msg[34..]);
        let Some(inner) = opts
            .iter()
            .find(|(c, _)| *c == u16::from(O::RelayMsg))
            .map(|(_, v)| *v)
        else {
            return vec![];
        };
        let inner_answer = if inner.first().map(|&b| M::from(b)) == Some(M::RelayForw) {
            // nested relays: the inner Relay-Repl goes inside ours
            self.relayed(inner, from, now, depth + 1)
                .into_iter()
                .next()
                .map(|r| (r.bytes, r.note))
        } else {
            self.answer(inner, now)
        };
        let Some((bytes, note)) = inner_answer else {
            return vec![];
        };
        let mut out = vec![u8::from(M::RelayRepl)];
        out.extend_from_slice(&msg[1..34]); // hop count, link address, peer address
        if let Some((_, id)) = opts.iter().find(|(c, _)| *c == u16::from(O::InterfaceId)) {
            put(&mut out, O::InterfaceId, id);
        }
        put(&mut out, O::RelayMsg, &bytes);
        let link = Ipv6Addr::from(<[u8; 16]>::try_from(&msg[2..18]).unwrap_or([0; 16]));
        vec![Dhcp6Reply {
            bytes: out,
            dst: SocketAddrV6::new(*from.ip(), 547, 0, from.scope_id()),
            note: format!("{note} (through relay {}, link {link})", from.ip()),
        }]
    }

    /// A client message → (reply bytes, note), or nothing to say.
    // Long on purpose: one reply built in option order (ids, IA_NA, vendor class, boot URL), the
    // note grown beside each option it describes; all read the same parsed request options.
    fn answer(&mut self, msg: &[u8], now: i64) -> Option<(Vec<u8>, String)> {
        if msg.len() < 4 {
            return None;
        }
        let kind = M::from(msg[0]);
        let opts = options(&msg[4..]);
        let get = |c: O| {
            opts.iter()
                .find(|(k, _)| *k == u16::from(c))
                .map(|(_, v)| *v)
        };
        let client_duid = get(O::ClientId)?;
        // A message for another server is not ours to answer (RFC 8415 §16).
        if let Some(sid) = get(O::ServerId) {
            if sid != self.cfg.server_duid.as_slice() {
                return None;
            }
        }
        let reply_kind = match kind {
            M::Solicit => M::Advertise,
            M::Request
            | M::Confirm
            | M::Renew
            | M::Rebind
            | M::Release
            | M::Decline
            | M::InformationRequest => M::Reply,
            _ => return None,
        };
        let arch = get(O::ClientArchType).and_then(|v| be16(v, 0));
        let netboot = arch.is_some()
            || get(O::VendorClass).is_some_and(|v| {
                let s = String::from_utf8_lossy(v);
                s.contains("PXEClient") || s.contains("HTTPClient")
            });
        let mut out = vec![u8::from(reply_kind), msg[1], msg[2], msg[3]];
        put(&mut out, O::ServerId, &self.cfg.server_duid);
        put(&mut out, O::ClientId, client_duid);
        let mut note = format!(
            "{} → {}",
            crate::wire::dhcp6::msg_type_name(kind.into()),
            crate::wire::dhcp6::msg_type_name(reply_kind.into())
        );
        if let Some(ia) = get(O::IANA).filter(|v| v.len() >= 12) {
            let iaid = &ia[..4];
            let mut v = iaid.to_vec();
            let p = self.cfg.pool.clone();
            match kind {
                M::Release | M::Decline => {
                    self.leases.remove(client_duid);
                    v.extend_from_slice(&[0; 8]);
                    put(&mut v, O::StatusCode, &status(0, "released"));
                }
                M::Request if self.cfg.faults.status_error.is_some() => {
                    let code = self
                        .cfg
                        .faults
                        .status_error
                        .unwrap_or(STATUS_NO_ADDRS_AVAIL);
                    v.extend_from_slice(&[0; 8]);
                    let name = crate::wire::dhcp6::status_name(code);
                    put(
                        &mut v,
                        O::StatusCode,
                        &status(code, &format!("{name} (fault)")),
                    );
                    note.push_str(&format!(" status {code} {name} (fault)"));
                }
                _ => {
                    let (t1, t2) = (p.preferred_secs / 2, p.preferred_secs / 5 * 4);
                    v.extend_from_slice(&t1.to_be_bytes());
                    v.extend_from_slice(&t2.to_be_bytes());
                    match self.allocate(client_duid, now) {
                        Some(a) => {
                            let mut addr = a.octets().to_vec();
                            addr.extend_from_slice(&p.preferred_secs.to_be_bytes());
                            addr.extend_from_slice(&p.valid_secs.to_be_bytes());
                            put(&mut v, O::IAAddr, &addr);
                            note.push_str(&format!(" addr={a}"));
                        }
                        None => {
                            put(
                                &mut v,
                                O::StatusCode,
                                &status(STATUS_NO_ADDRS_AVAIL, "pool exhausted"),
                            );
                            note.push_str(" NoAddrsAvail (pool exhausted)");
                        }
                    }
                }
            }
            put(&mut out, O::IANA, &v);
        }
        if netboot && !matches!(kind, M::Release | M::Decline) {
            if arch.is_some_and(|c| arch_info(c).http) {
                // UEFI HTTP boot takes only answers that name the HTTPClient class
                let mut vc = 343u32.to_be_bytes().to_vec();
                vc.extend_from_slice(&10u16.to_be_bytes());
                vc.extend_from_slice(b"HTTPClient");
                put(&mut out, O::VendorClass, &vc);
            }
            match (self.cfg.faults.no_boot_url, self.boot_url(arch)) {
                (false, Some(url)) => {
                    note.push_str(&format!(" boot-url={url}"));
                    put(&mut out, O::OptBootfileUrl, url.as_bytes());
                }
                (true, _) => note.push_str(" no boot URL (fault)"),
                (false, None) => note.push_str(" no boot file for this architecture"),
            }
        }
        Some((out, note))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::client::{ClientConfig, Identity};
    use crate::probe::client6::Client6;
    use crate::wire::dhcp6::Dhcp6;
    use crate::wire::link::{decode_frame, Decoded};

    const SERVER: Ipv6Addr = Ipv6Addr::new(0xfd77, 0, 0, 0, 0, 0, 0, 1);

    fn responder(faults: Dhcp6Faults) -> Dhcp6Responder {
        let mut boot = BTreeMap::new();
        boot.insert(Family::EfiX64, "grubnetx64.efi".to_string());
        boot.insert(Family::EfiArm64, "grubnetaa64.efi".to_string());
        Dhcp6Responder::new(Dhcp6Config {
            server_duid: duid_ll([2, 0, 0, 0, 0, 1]),
            server_ip: SERVER,
            pool: Pool6 {
                start: "fd77::100".parse().expect("addr"),
                end: "fd77::101".parse().expect("addr"),
                preferred_secs: 3600,
                valid_secs: 7200,
            },
            boot,
            boot_codes: BTreeMap::new(),
            http_url: Some("http://[fd77::1]/grubnetx64.efi".into()),
            faults,
        })
    }

    /// probe's DHCPv6 firmware client against the responder, in memory: frames from the client
    /// are decoded as analyze decodes them, answers parsed by the analyzer's parser.
    fn boot(r: &mut Dhcp6Responder, mac: [u8; 6], arch: u16) -> crate::probe::client::ProbeResult {
        let id = Identity {
            mac,
            arch,
            ipxe: false,
            uuid: [7; 16],
        };
        let mut c = Client6::new(id, ClientConfig::default(), 0x00ab_cdef ^ u32::from(mac[5]));
        let mut now = 1_000_000_000;
        let mut frames = c.start(now);
        let mut defrag = crate::wire::defrag::Defragmenter::default();
        for _ in 0..20 {
            let mut next = vec![];
            for f in frames.drain(..) {
                let Ok(Decoded::Udp(u)) = decode_frame(1, &f, &mut defrag, now) else {
                    continue;
                };
                let std::net::IpAddr::V6(src) = u.src else {
                    continue;
                };
                assert_eq!(u.dport, 547);
                for reply in r.handle(&u.payload, SocketAddrV6::new(src, u.sport, 0, 0), now) {
                    let m = Dhcp6::parse(&reply.bytes).expect("the analyzer parses our reply");
                    next.extend(c.on_dhcp6(now + 1_000_000, &m, [2, 0, 0, 0, 0, 1], SERVER));
                }
            }
            now += 100_000_000;
            if next.is_empty() {
                // (the RELEASE after the REPLY went out above: done now)
                if c.done() {
                    break;
                }
                next = c.poll(c.deadline().max(now));
            }
            frames = next;
        }
        c.result
    }

    #[test]
    fn firmware_clients_get_an_address_and_their_architectures_url() {
        let mut r = responder(Dhcp6Faults::default());
        let x64 = boot(&mut r, [2, 0, 0, 0, 0, 0x10], 7);
        assert!(x64.ok, "{:?}", x64.failure);
        assert_eq!(
            x64.boot_url.as_deref(),
            Some("tftp://[fd77::1]/grubnetx64.efi")
        );
        assert_eq!(x64.leased_ip6, Some("fd77::100".parse().expect("addr")));
        let arm = boot(&mut r, [2, 0, 0, 0, 0, 0x11], 11);
        assert_eq!(
            arm.boot_url.as_deref(),
            Some("tftp://[fd77::1]/grubnetaa64.efi")
        );
        // the first client released its address at the end (probe's default): it is free again
        assert_eq!(arm.leased_ip6, Some("fd77::100".parse().expect("addr")));
        let http = boot(&mut r, [2, 0, 0, 0, 0, 0x12], 16);
        assert_eq!(
            http.boot_url.as_deref(),
            Some("http://[fd77::1]/grubnetx64.efi")
        );
        // no file for BIOS: answered, but without a URL — what dhcpv6-no-boot-url reports
        let none = boot(&mut r, [2, 0, 0, 0, 0, 0x13], 0);
        assert!(
            !none.ok
                && none
                    .failure
                    .as_deref()
                    .is_some_and(|f| f.contains("option 59"))
        );
    }

    #[test]
    fn faults_name_their_findings() {
        let mut r = responder(Dhcp6Faults {
            no_boot_url: true,
            ..Default::default()
        });
        let res = boot(&mut r, [2, 0, 0, 0, 0, 0x20], 7);
        assert!(
            res.failure
                .as_deref()
                .is_some_and(|f| f.contains("option 59")),
            "{res:?}"
        );
        let mut r = responder(Dhcp6Faults {
            status_error: Some(STATUS_NO_ADDRS_AVAIL),
            ..Default::default()
        });
        let res = boot(&mut r, [2, 0, 0, 0, 0, 0x21], 7);
        assert!(
            res.failure
                .as_deref()
                .is_some_and(|f| f.contains("status 2")),
            "{res:?}"
        );
    }

    #[test]
    fn relayed_solicit_is_answered_to_the_relay_with_its_interface_id() {
        let mut r = responder(Dhcp6Faults::default());
        let mut inner = vec![u8::from(M::Solicit), 1, 2, 3];
        put(&mut inner, O::ClientId, &duid_ll([2, 0, 0, 0, 0, 0x30]));
        put(&mut inner, O::IANA, &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        put(&mut inner, O::ClientArchType, &7u16.to_be_bytes());
        let link: Ipv6Addr = "fd88::1".parse().expect("addr");
        let peer: Ipv6Addr = "fe80::30".parse().expect("addr");
        let mut fw = vec![u8::from(M::RelayForw), 0];
        fw.extend_from_slice(&link.octets());
        fw.extend_from_slice(&peer.octets());
        put(&mut fw, O::InterfaceId, b"eth7");
        put(&mut fw, O::RelayMsg, &inner);
        let relay: Ipv6Addr = "fd77::fe".parse().expect("addr");
        let out = r.handle(&fw, SocketAddrV6::new(relay, 547, 0, 0), 0);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].dst, SocketAddrV6::new(relay, 547, 0, 0));
        assert_eq!(out[0].bytes[0], u8::from(M::RelayRepl));
        assert_eq!(&out[0].bytes[2..18], &link.octets());
        let m = Dhcp6::parse(&out[0].bytes).expect("parses");
        assert_eq!(m.message_type(), M::Advertise);
        assert_eq!(m.relays, vec![(link, peer)]);
        assert_eq!(
            m.boot_url.as_deref(),
            Some("tftp://[fd77::1]/grubnetx64.efi")
        );
        assert!(
            out[0].bytes.windows(4).any(|w| w == b"eth7"),
            "interface-id echoed"
        );
    }

    #[test]
    fn hostile_messages_get_no_answer_and_no_panic() {
        let mut r = responder(Dhcp6Faults::default());
        let from = SocketAddrV6::new(Ipv6Addr::LOCALHOST, 546, 0, 0);
        for m in [
            &[][..],
            &[u8::from(M::Solicit)],
            &[u8::from(M::Solicit), 0, 0, 0, 0, 1, 0xff, 0xff],
            &[u8::from(M::RelayForw); 40],
            &[
                u8::from(M::Request),
                0,
                0,
                0,
                0,
                1,
                0,
                2,
                0,
                1,
                0,
                3,
                0,
                2,
                0,
                0,
            ],
        ] {
            let _ = r.handle(m, from, 0);
        }
        // a u8::from(M::Solicit) without a client DUID is not answered
        assert!(r
            .handle(&[u8::from(M::Solicit), 0, 0, 1], from, 0)
            .is_empty());
        // nested relays end at depth 8 without recursion trouble
        let mut m = vec![u8::from(M::Solicit), 0, 0, 1];
        put(&mut m, O::ClientId, &[0, 3, 0, 1, 1, 2, 3, 4, 5, 6]);
        for _ in 0..20 {
            let mut w = vec![u8::from(M::RelayForw), 0];
            w.extend_from_slice(&[0; 32]);
            put(&mut w, O::RelayMsg, &m);
            m = w;
        }
        assert!(r.handle(&m, from, 0).is_empty());
    }
}
