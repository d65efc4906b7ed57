//! Sans-IO DHCP/proxyDHCP/boot-server responder. A request (bytes, where it came from, which
//! of our ports, packet time) goes in; replies with destination and delay come out. The runtime
//! owns sockets and timers. Faults are a layer over the decisions, named after the findings
//! they provoke.

use crate::proto::{is_ipxe_binary, Family, VendorClass};
use crate::wire::dhcp4::{Dhcp4, Dhcp4Repr, MessageType};
use crate::wire::link::{fmt_mac, parse_mac, Mac};
use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddrV4};

#[derive(Debug, Clone, Default)]
pub struct DhcpFaults {
    pub no_offer: bool,
    /// Ignore REQUESTs (offers still go out): `dhcp-no-ack`.
    pub no_ack: bool,
    pub slow_offer_ms: u64,
    pub no_boot_file: bool,
    pub proxy_missing_vendor_class: bool,
    pub proxy_unanswered: bool,
    pub proxy_offer_late_ms: u64,
    pub arch_mismatch: bool,
    pub ipxe_chainload_loop: bool,
    /// Hand plain PXE clients their boot file as an http:// URL: `boot-url-to-pxe-client`.
    pub boot_url: bool,
    /// Option 67 ends in a 0xFF byte: `boot-file-name-suspect`.
    pub name_suspect: bool,
    /// Answer relayed requests by broadcast on our own segment, not to giaddr:67:
    /// `relay-reply-misrouted`.
    pub relay_misrouted: bool,
}

#[derive(Debug, Clone)]
pub struct Pool {
    pub start: Ipv4Addr,
    pub end: Ipv4Addr,
    pub netmask: Ipv4Addr,
    pub router: Option<Ipv4Addr>,
    pub dns: Vec<Ipv4Addr>,
    pub lease_secs: u32,
    pub static_hosts: BTreeMap<Mac, Ipv4Addr>,
}

#[derive(Debug, Clone)]
pub struct DhcpConfig {
    pub server_ip: Ipv4Addr,
    /// None: proxy mode (never offers addresses).
    pub pool: Option<Pool>,
    pub boot: BTreeMap<Family, String>,
    /// Boot files by raw option-93 code (`--boot 22=FILE`), checked before the family.
    pub boot_codes: BTreeMap<u16, String>,
    pub ipxe_script: Option<String>,
    /// Boot URL for UEFI HTTP boot clients (vendor class HTTPClient).
    pub http_url: Option<String>,
    pub faults: DhcpFaults,
    /// Apply faults only to these clients (empty: all).
    pub fault_for: Vec<Mac>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub ip: Ipv4Addr,
    pub expires_ns: i64,
    /// Only offered (held for a REQUEST), not yet bound. Holds are what a DISCOVER flood
    /// creates; when the pool runs out, the oldest hold is given to the next client.
    pub offered: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub dst: SocketAddrV4,
    /// Our port to send from (67 for DHCP, 4011 for the boot server).
    pub from_port: u16,
    pub bytes: Vec<u8>,
    pub delay_ms: u64,
    /// One line for the log.
    pub note: String,
}

pub struct DhcpResponder {
    pub cfg: DhcpConfig,
    pub leases: HashMap<Mac, Lease>,
    /// Clients we handed an iPXE binary, with the xid of that exchange (chainload-loop breaker).
    handed_ipxe: HashMap<Mac, u32>,
    pub leases_changed: bool,
    /// Last IPv4 address seen for each client (ties TFTP, which has no MAC, to --fault-for).
    pub ip_of: HashMap<Mac, Ipv4Addr>,
    /// The client last seen at each address (TFTP and HTTP name clients by address only).
    pub mac_at: HashMap<Ipv4Addr, Mac>,
    /// Option-93 code and family each client last sent (per-client HTTP templates).
    pub seen: HashMap<Mac, (Option<u16>, Family)>,
    /// `http://IP:PORT` of serve's own HTTP server (--http-root without --http-url): UEFI HTTP
    /// boot clients get their family's boot file under it.
    pub http_base: Option<String>,
    /// `[[rule]]` tables, first match wins (rules.rs).
    pub rules: Vec<super::rules::Rule>,
    /// The rule each client last matched (TFTP and HTTP carry no MAC: their faults come from
    /// the rule of the client at that address).
    pub rule_of: HashMap<Mac, usize>,
    /// The rule of the request being handled.
    current_rule: Option<super::rules::Rule>,
    /// --pxe-service / --pxe-prompt: a boot menu instead of a file for the clients it lists.
    pub menu: Option<super::menu::Menu>,
}

/// A BOOTP reply to `req` of type `msg`: option 53 first, then `options` in the order given,
/// padded to the 300-byte BOOTP minimum old PXE ROMs need (the wire vocabulary's one writer,
/// `Dhcp4Repr::emit`). The file field keeps a NUL terminator (127 bytes at most).
pub fn encode_reply(
    req: &Dhcp4<'_>,
    msg: MessageType,
    yiaddr: Ipv4Addr,
    siaddr: Ipv4Addr,
    file: Option<&str>,
    options: &[(u8, Vec<u8>)],
) -> Vec<u8> {
    let mut r = Dhcp4Repr::reply_to(req, msg);
    r.yiaddr = yiaddr;
    r.siaddr = siaddr;
    if let Some(f) = file {
        r.file = f.as_bytes()[..f.len().min(127)].to_vec();
    }
    r.options.extend_from_slice(options);
    r.emit()
}

fn family_of(m: &Dhcp4<'_>) -> Family {
    let raw = m.opt_str(60);
    let vc = raw.as_deref().map(VendorClass::parse);
    let code = m.arch_list().first().copied().or(vc.and_then(|v| v.arch));
    // U-Boot x86/RISC-V send no option 93: their class names them.
    match crate::proto::identity_family(code, raw.as_deref()) {
        Family::Other => Family::Bios,
        f => f,
    }
}

/// Is this a network-boot client (PXE/HTTP firmware, or U-Boot's own DHCP, which asks for no
/// vendor options but needs next-server for `pxe get`)?
fn is_uboot(m: &Dhcp4<'_>) -> bool {
    m.opt_str(60).is_some_and(|v| v.starts_with("U-Boot"))
        || m.arch_list().first().is_some_and(|a| (21..=24).contains(a))
}

/// What every answer to one request is built from (decided once in `handle_request`).
struct Ctx<'a> {
    m: &'a Dhcp4<'a>,
    kind: MessageType,
    mac: Mac,
    src: SocketAddrV4,
    now: i64,
    dhcp_port: u16,
    bootserver_port: u16,
    /// Option 60 PXEClient or HTTPClient.
    pxe: bool,
    /// A network-boot client (PXE, HTTP boot or U-Boot): gets next-server.
    netboot: bool,
    faulty: bool,
    f: DhcpFaults,
    echo_97: Option<Vec<u8>>,
    http: bool,
    siaddr: Ipv4Addr,
    who: String,
}

/// Replies, and whether `--fault relay-reply-misrouted` may redirect them (not boot-server
/// ACKs and NAKs, as before the split).
enum Answer {
    AsIs(Vec<Reply>),
    Faultable(Vec<Reply>),
}

impl DhcpResponder {
    pub fn new(cfg: DhcpConfig) -> DhcpResponder {
        DhcpResponder {
            cfg,
            leases: HashMap::new(),
            handed_ipxe: HashMap::new(),
            leases_changed: false,
            ip_of: HashMap::new(),
            seen: HashMap::new(),
            mac_at: HashMap::new(),
            http_base: None,
            rules: Vec::new(),
            rule_of: HashMap::new(),
            current_rule: None,
            menu: None,
        }
    }

    fn learn_ip(&mut self, mac: Mac, ip: Ipv4Addr) {
        self.ip_of.insert(mac, ip);
        if self.mac_at.len() < 65_536 || self.mac_at.contains_key(&ip) {
            self.mac_at.insert(ip, mac);
        }
    }

    pub fn faulty(&self, mac: &Mac) -> bool {
        self.cfg.fault_for.is_empty() || self.cfg.fault_for.contains(mac)
    }

    /// The boot file for this client, after faults and iPXE awareness.
    pub fn boot_file(&mut self, m: &Dhcp4<'_>, mac: &Mac) -> Option<String> {
        let faulty = self.faulty(mac);
        let f = &self.cfg.faults;
        if faulty && f.no_boot_file {
            return None;
        }
        let vc = m.opt_str(60).unwrap_or_default();
        // A matching [[rule]]: its URL for HTTP boot, its script for iPXE; its boot file takes
        // the family's place below (so an iPXE binary still leads to the script, not a loop).
        let rule = self.current_rule.clone();
        if let Some(r) = &rule {
            if crate::proto::is_http_class(&vc) {
                if let Some(u) = &r.url {
                    return Some(u.clone());
                }
            } else if m.is_ipxe() && r.script.is_some() && r.boot.is_none() {
                return r.script.clone();
            }
        }
        let rule_boot = rule.as_ref().and_then(|r| r.boot.clone());
        let script = rule
            .as_ref()
            .and_then(|r| r.script.clone())
            .or_else(|| self.cfg.ipxe_script.clone());
        if crate::proto::is_http_class(&vc) {
            if self.cfg.http_url.is_none() {
                if let Some(base) = &self.http_base {
                    let fam = family_of(m);
                    let code = m.arch_list().first().copied();
                    let file = code
                        .and_then(|c| self.cfg.boot_codes.get(&c))
                        .or_else(|| self.cfg.boot.get(&fam))?;
                    return Some(format!("{base}/{}", file.trim_start_matches('/')));
                }
            }
            return self.cfg.http_url.clone();
        }
        let url_fault = faulty && f.boot_url && crate::proto::is_pxe_class(&vc) && !m.is_ipxe();
        if let Some(file) = m
            .arch_list()
            .first()
            .and_then(|c| self.cfg.boot_codes.get(c))
        {
            if !(faulty && f.arch_mismatch) && rule_boot.is_none() {
                return Some(file.clone());
            }
        }
        let mut fam = family_of(m);
        if faulty && f.arch_mismatch {
            fam = if fam == Family::Bios {
                Family::EfiX64
            } else {
                Family::Bios
            };
        }
        let file = rule_boot
            .or_else(|| self.cfg.boot.get(&fam).cloned())
            .or_else(|| {
                if faulty && f.arch_mismatch {
                    self.cfg.boot.values().next().cloned()
                } else {
                    None
                }
            })?;
        if is_ipxe_binary(&file) {
            // An iPXE ROM asking for its first file gets it; an iPXE we loaded gets the script.
            let loaded_before = self.handed_ipxe.get(mac).is_some_and(|x| *x != m.xid);
            if m.is_ipxe() && loaded_before && !(faulty && f.ipxe_chainload_loop) {
                if let Some(s) = script {
                    return Some(s);
                }
            }
            self.handed_ipxe.insert(*mac, m.xid);
        }
        if url_fault {
            return Some(format!("http://{}/{file}", self.cfg.server_ip));
        }
        Some(file)
    }

    fn allocate(&mut self, mac: &Mac, want: Option<Ipv4Addr>, now: i64) -> Option<Ipv4Addr> {
        let pool = self.cfg.pool.as_ref()?;
        if let Some(ip) = pool.static_hosts.get(mac) {
            return Some(*ip);
        }
        if let Some(l) = self.leases.get(mac) {
            return Some(l.ip);
        }
        let (s, e) = (u32::from(pool.start), u32::from(pool.end));
        // One pass over the leases per allocation (was one pass per candidate address: a pool
        // with thousands of leases made every DISCOVER quadratic).
        let in_use: std::collections::HashSet<Ipv4Addr> = self
            .leases
            .values()
            .filter(|l| l.expires_ns > now)
            .map(|l| l.ip)
            .chain(pool.static_hosts.values().copied())
            .collect();
        let taken = |ip: Ipv4Addr| in_use.contains(&ip);
        if let Some(w) = want {
            let n = u32::from(w);
            if n >= s && n <= e && !taken(w) {
                return Some(w);
            }
        }
        if let Some(ip) = (s..=e)
            .map(Ipv4Addr::from)
            .find(|ip| !taken(*ip) && *ip != self.cfg.server_ip)
        {
            return Some(ip);
        }
        // Pool exhausted: reclaim the oldest address that was only offered (flood protection:
        // random-MAC DISCOVERs cannot lock real clients out for the hold time).
        let victim = self
            .leases
            .iter()
            .filter(|(m, l)| l.offered && *m != mac)
            .min_by_key(|(_, l)| l.expires_ns)
            .map(|(m, l)| (*m, l.ip))?;
        self.leases.remove(&victim.0);
        Some(victim.1)
    }

    /// The BOOTP `file` field: empty under `--fault boot-file-name-suspect`, so the client reads
    /// the suspect option 67 (a clean file field beside it would let BIOS ROMs boot anyway and
    /// add a boot-file-conflict the fault is not about).
    fn file_field<'f>(&self, file: Option<&'f str>, mac: &Mac) -> Option<&'f str> {
        if self.faulty(mac) && self.cfg.faults.name_suspect {
            None
        } else {
            file
        }
    }

    /// Option 67's bytes for `file` (with the 0xFF of `--fault boot-file-name-suspect`).
    fn opt67(&self, file: &str, mac: &Mac) -> Vec<u8> {
        let mut v = file.as_bytes().to_vec();
        if self.faulty(mac) && self.cfg.faults.name_suspect {
            v.push(0xff);
        }
        v
    }

    fn dest(m: &Dhcp4<'_>, src: SocketAddrV4, to_4011: bool) -> SocketAddrV4 {
        if to_4011 {
            return src;
        }
        if !m.giaddr.is_unspecified() {
            return SocketAddrV4::new(m.giaddr, 67);
        }
        if !m.ciaddr.is_unspecified() {
            return SocketAddrV4::new(m.ciaddr, 68);
        }
        SocketAddrV4::new(Ipv4Addr::BROADCAST, 68)
    }

    #[allow(clippy::too_many_arguments)]
    fn options(
        &self,
        pxe_class: bool,
        http_class: bool,
        echo_97: Option<&[u8]>,
        lease: bool,
        faulty: bool,
    ) -> Vec<(u8, Vec<u8>)> {
        let mut o: Vec<(u8, Vec<u8>)> = vec![(54, self.cfg.server_ip.octets().to_vec())];
        if lease {
            if let Some(p) = &self.cfg.pool {
                o.push((51, p.lease_secs.to_be_bytes().to_vec()));
                o.push((1, p.netmask.octets().to_vec()));
                if let Some(r) = p.router {
                    o.push((3, r.octets().to_vec()));
                }
                if !p.dns.is_empty() {
                    o.push((6, p.dns.iter().flat_map(|d| d.octets()).collect()));
                }
            }
        }
        if pxe_class
            && !(faulty && self.cfg.faults.proxy_missing_vendor_class && self.cfg.pool.is_none())
        {
            o.push((60, b"PXEClient".to_vec()));
        }
        if http_class {
            // UEFI HTTP boot wants its own class echoed, or it ignores the offer.
            o.retain(|(c, _)| *c != 60);
            o.push((60, b"HTTPClient".to_vec()));
        }
        if let Some(u) = echo_97 {
            o.push((97, u.to_vec()));
        }
        o
    }

    /// Option 43 with the boot menu for this client (PXE clients whose arch has items; not
    /// iPXE, which would show the ROM's menu again).
    fn menu_offer(&self, m: &Dhcp4<'_>) -> Option<Vec<u8>> {
        let menu = self.menu.as_ref()?;
        let vc = m.opt_str(60).unwrap_or_default();
        if !crate::proto::is_pxe_class(&vc) || m.is_ipxe() {
            return None;
        }
        let items = menu.items(m.arch_list().first().copied(), family_of(m));
        menu.option43(&items, self.cfg.server_ip)
    }

    /// The menu item a boot-server request asks for (option 43 sub-option 71).
    fn menu_choice(&self, m: &Dhcp4<'_>) -> Option<(super::menu::Service, u16, u16)> {
        let menu = self.menu.as_ref()?;
        let (t, layer) = super::menu::boot_item(&m.opt_concat(43)?)?;
        menu.service(t).map(|s| (s.clone(), t, layer))
    }

    /// The rule this request's client matches (first match wins).
    pub fn rule_for(&self, m: &Dhcp4<'_>, mac: Mac) -> Option<usize> {
        if self.rules.is_empty() {
            return None;
        }
        let id = super::rules::ClientId::from_dhcp(m, mac, family_of(m));
        super::rules::decide(&self.rules, &id).map(|(i, _)| i)
    }

    /// Handle one request that arrived on `local_port` (67 or 4011) from `src`. A matching
    /// `[[rule]]` sets the boot file, script, URL, next-server and faults for it.
    pub fn handle(
        &mut self,
        bytes: &[u8],
        src: SocketAddrV4,
        local_port: u16,
        now: i64,
        dhcp_port: u16,
        bootserver_port: u16,
    ) -> Vec<Reply> {
        let matched = match Dhcp4::parse(bytes) {
            Ok(m) if !self.rules.is_empty() => m.mac().and_then(|mac| {
                let i = self.rule_for(&m, mac);
                match i {
                    Some(i) => {
                        if self.rule_of.len() < 65_536 || self.rule_of.contains_key(&mac) {
                            self.rule_of.insert(mac, i);
                        }
                    }
                    None => {
                        self.rule_of.remove(&mac);
                    }
                }
                i
            }),
            _ => None,
        };
        let Some(rule) = matched.and_then(|i| self.rules.get(i).cloned()) else {
            return self.handle_request(bytes, src, local_port, now, dhcp_port, bootserver_port);
        };
        // The rule's faults replace the global ones (and --fault-for) for this client.
        let saved = rule.faults.as_ref().map(|f| {
            (
                std::mem::replace(&mut self.cfg.faults, f.dhcp.clone()),
                std::mem::take(&mut self.cfg.fault_for),
            )
        });
        self.current_rule = Some(rule);
        let out = self.handle_request(bytes, src, local_port, now, dhcp_port, bootserver_port);
        self.current_rule = None;
        if let Some((f, ff)) = saved {
            self.cfg.faults = f;
            self.cfg.fault_for = ff;
        }
        out
    }

    // Long on purpose: what every answer needs is decided once here (client, class, faults,
    // next-server), then one method per message answers; the relay fault applies after.
    fn handle_request(
        &mut self,
        bytes: &[u8],
        src: SocketAddrV4,
        local_port: u16,
        now: i64,
        dhcp_port: u16,
        bootserver_port: u16,
    ) -> Vec<Reply> {
        let Ok(m) = Dhcp4::parse(bytes) else {
            return vec![];
        };
        if m.op != 1 {
            return vec![];
        }
        let Some(mac) = m.mac() else { return vec![] };
        let Some(kind) = m.message_type() else {
            return vec![];
        };
        let vc = m.opt_str(60).unwrap_or_default();
        if self.seen.len() < 65_536 || self.seen.contains_key(&mac) {
            self.seen
                .insert(mac, (m.arch_list().first().copied(), family_of(&m)));
        }
        let pxe = crate::proto::is_netboot_class(&vc);
        // Full DHCP answers every network-boot client with next-server (U-Boot's `pxe get`
        // needs only the server); option 60 PXEClient only for a menu's 4011 exchange.
        let netboot = pxe || is_uboot(&m);
        let faulty = self.faulty(&mac);
        let f = self.cfg.faults.clone();
        let to_4011 = local_port == bootserver_port && bootserver_port != dhcp_port;
        let echo_97 = m.opt(97).map(|d| d.to_vec());
        let http = crate::proto::is_http_class(&vc);
        let siaddr = self
            .current_rule
            .as_ref()
            .and_then(|r| r.next_server)
            .unwrap_or(self.cfg.server_ip);
        let who = fmt_mac(&mac);

        let c = Ctx {
            m: &m,
            kind,
            mac,
            src,
            now,
            dhcp_port,
            bootserver_port,
            pxe,
            netboot,
            faulty,
            f,
            echo_97,
            http,
            siaddr,
            who,
        };
        let answer = if to_4011 {
            self.boot_server_ack(&c)
        } else {
            match (kind, self.cfg.pool.is_some()) {
                (MessageType::Discover, false) => self.proxy_offer(&c),
                (MessageType::Discover, true) => self.offer(&c),
                (MessageType::Request, true) => self.ack(&c),
                (MessageType::Release, true) | (MessageType::Decline, true)
                    if self.leases.remove(&mac).is_some() =>
                {
                    self.leases_changed = true;
                    Answer::Faultable(vec![])
                }
                _ => Answer::Faultable(vec![]),
            }
        };
        let mut replies = match answer {
            Answer::AsIs(r) => return r,
            Answer::Faultable(r) => r,
        };
        let (m, f) = (c.m, &c.f);
        if c.faulty && f.relay_misrouted && !m.giaddr.is_unspecified() {
            // The field bug: answer a relayed request on our own segment, where the client
            // is not (the relay never sees it).
            for r in &mut replies {
                if *r.dst.ip() == m.giaddr {
                    r.dst = SocketAddrV4::new(Ipv4Addr::BROADCAST, 68);
                    r.note.push_str(" (fault: broadcast, not to the relay)");
                }
            }
        }
        replies
    }

    /// PXE boot server (port 4011): the ACK with the boot file (or the menu item chosen),
    /// from 4011 to the request's port.
    fn boot_server_ack(&mut self, c: &Ctx<'_>) -> Answer {
        let Ctx {
            m,
            mac,
            src,

            faulty,
            ref f,
            ref echo_97,
            http,
            siaddr,
            ref who,
            bootserver_port,
            ..
        } = *c;
        let mut replies = vec![];
        // PXE boot server (proxyDHCP spec 2.1): answer from 4011 to the request's port.
        if !matches!(c.kind, MessageType::Request | MessageType::Inform) {
            return Answer::AsIs(vec![]);
        }
        if !src.ip().is_unspecified() {
            self.learn_ip(mac, *src.ip());
        }
        if faulty && f.proxy_unanswered {
            return Answer::AsIs(vec![]);
        }
        let choice = self.menu_choice(m);
        let (file, item43, siaddr) = match &choice {
            Some((svc, t, layer)) => {
                let (t, l) = (t.to_be_bytes(), layer.to_be_bytes());
                (
                    svc.file.clone(),
                    Some(vec![71, 4, t[0], t[1], l[0], l[1], 255]),
                    svc.server.unwrap_or(siaddr),
                )
            }
            None => (self.boot_file(m, &mac), None, siaddr),
        };
        let mut opts = self.options(true, http, echo_97.as_deref(), false, faulty);
        if let Some(file) = &file {
            opts.push((67, self.opt67(file, &mac)));
        }
        if let Some(o) = item43 {
            opts.push((43, o));
        }
        let bytes = encode_reply(
            m,
            MessageType::Ack,
            Ipv4Addr::UNSPECIFIED,
            siaddr,
            self.file_field(file.as_deref(), &mac),
            &opts,
        );
        replies.push(Reply {
            dst: Self::dest(m, src, true),
            from_port: bootserver_port,
            bytes,
            delay_ms: 0,
            note: format!("{who} boot-server ACK file={}", file.unwrap_or_default()),
        });
        Answer::AsIs(replies)
    }

    /// Proxy mode: an OFFER without an address to PXE clients, the boot file or a menu.
    fn proxy_offer(&mut self, c: &Ctx<'_>) -> Answer {
        let Ctx {
            m,
            mac,
            src,
            dhcp_port,
            pxe,
            netboot,
            faulty,
            ref f,
            ref echo_97,
            http,
            siaddr,
            ref who,
            ..
        } = *c;
        let mut replies = vec![];
        // proxy mode: PXE clients only, never an address
        if !pxe || (faulty && f.no_offer) {
            return Answer::AsIs(vec![]);
        }
        // A boot menu replaces the file: the ROM shows it, then asks port 4011 for the
        // item chosen.
        let menu43 = self.menu_offer(m);
        let file = match menu43 {
            Some(_) => None,
            None => self.boot_file(m, &mac),
        };
        let mut opts = self.options(true, http, echo_97.as_deref(), false, faulty);
        if let Some(file) = &file {
            opts.push((67, self.opt67(file, &mac)));
        }
        let with_menu = menu43.is_some();
        if let Some(o) = menu43 {
            opts.push((43, o));
        }
        let bytes = encode_reply(
            m,
            MessageType::Offer,
            Ipv4Addr::UNSPECIFIED,
            if file.is_some() || (netboot && !(faulty && f.no_boot_file)) {
                siaddr
            } else {
                Ipv4Addr::UNSPECIFIED
            },
            self.file_field(file.as_deref(), &mac),
            &opts,
        );
        let delay = if faulty {
            f.slow_offer_ms.max(f.proxy_offer_late_ms)
        } else {
            0
        };
        replies.push(Reply {
            dst: Self::dest(m, src, false),
            from_port: dhcp_port,
            bytes,
            delay_ms: delay,
            note: if with_menu {
                format!("{who} proxy OFFER with a boot menu (option 43)")
            } else {
                format!("{who} proxy OFFER file={}", file.unwrap_or_default())
            },
        });
        Answer::Faultable(replies)
    }

    /// Full DHCP: an address (held until the REQUEST) and, for network-boot clients, the boot info.
    // Long on purpose: an OFFER in order (fault, address held, menu or file, options, reply),
    // each step reading the lease and the client decided before it.
    fn offer(&mut self, c: &Ctx<'_>) -> Answer {
        let Ctx {
            m,
            mac,
            src,
            now,
            dhcp_port,
            faulty,
            ref f,
            ref who,
            ..
        } = *c;
        let mut replies = vec![];
        if faulty && f.no_offer {
            return Answer::AsIs(vec![]);
        }
        let Some(ip) = self.allocate(&mac, m.requested_ip(), now) else {
            return Answer::AsIs(vec![]);
        };
        // Hold the address briefly for this client until it requests it.
        // Hold the address for this client's REQUEST (a bound lease keeps its expiry).
        if !self
            .leases
            .get(&mac)
            .is_some_and(|l| !l.offered && l.ip == ip)
        {
            self.leases.insert(
                mac,
                Lease {
                    ip,
                    expires_ns: now + 60_000_000_000,
                    offered: true,
                },
            );
        }
        let (bytes, file) = self.full_dhcp_reply(c, MessageType::Offer, ip);
        let delay = if faulty { f.slow_offer_ms } else { 0 };
        replies.push(Reply {
            dst: Self::dest(m, src, false),
            from_port: dhcp_port,
            bytes,
            delay_ms: delay,
            note: format!("{who} OFFER {ip} file={}", file.unwrap_or_default()),
        });
        Answer::Faultable(replies)
    }

    /// Full DHCP: the REQUEST's ACK (or NAK for an address that is not ours to give).
    // Long on purpose: a REQUEST in RFC 2131 order (another server's, NAK, lease, menu or file,
    // options, reply), each step reading the lease decided before it.
    fn ack(&mut self, c: &Ctx<'_>) -> Answer {
        let Ctx {
            m,
            mac,
            src,
            now,
            dhcp_port,
            faulty,
            ref f,
            ref who,
            ..
        } = *c;
        let mut replies = vec![];
        if faulty && f.no_ack {
            return Answer::AsIs(vec![]);
        }
        if let Some(sid) = m.server_id() {
            if sid != self.cfg.server_ip {
                // The client chose another server: release our hold.
                if self
                    .leases
                    .get(&mac)
                    .is_some_and(|l| l.expires_ns < now + 61_000_000_000)
                {
                    self.leases.remove(&mac);
                }
                return Answer::AsIs(vec![]);
            }
        }
        let want = m
            .requested_ip()
            .or((!m.ciaddr.is_unspecified()).then_some(m.ciaddr));
        let ours = self.allocate(&mac, want, now);
        let Some(pool) = self.cfg.pool.clone() else {
            return Answer::AsIs(vec![]);
        };
        if want.is_some() && want != ours {
            let opts = vec![(54, self.cfg.server_ip.octets().to_vec())];
            let bytes = encode_reply(
                m,
                MessageType::Nak,
                Ipv4Addr::UNSPECIFIED,
                Ipv4Addr::UNSPECIFIED,
                None,
                &opts,
            );
            replies.push(Reply {
                dst: Self::dest(m, src, false),
                from_port: dhcp_port,
                bytes,
                delay_ms: 0,
                note: format!(
                    "{who} NAK {}",
                    want.map(|w| w.to_string()).unwrap_or_default()
                ),
            });
            return Answer::AsIs(replies);
        }
        let Some(ip) = ours else {
            return Answer::AsIs(vec![]);
        };
        self.leases.insert(
            mac,
            Lease {
                ip,
                expires_ns: now + i64::from(pool.lease_secs) * 1_000_000_000,
                offered: false,
            },
        );
        self.leases_changed = true;
        self.learn_ip(mac, ip);
        let (bytes, file) = self.full_dhcp_reply(c, MessageType::Ack, ip);
        replies.push(Reply {
            dst: Self::dest(m, src, false),
            from_port: dhcp_port,
            bytes,
            delay_ms: 0,
            note: format!("{who} ACK {ip} file={}", file.unwrap_or_default()),
        });
        Answer::Faultable(replies)
    }

    /// Full DHCP's OFFER or ACK bytes for address `ip`, and the boot file named in them: a boot
    /// menu (--pxe-service) replaces the file, as in proxy offers; network-boot clients get
    /// next-server.
    fn full_dhcp_reply(
        &mut self,
        c: &Ctx<'_>,
        msg: MessageType,
        ip: Ipv4Addr,
    ) -> (Vec<u8>, Option<String>) {
        let Ctx {
            m,
            mac,
            pxe,
            netboot,
            faulty,
            ref f,
            ref echo_97,
            http,
            siaddr,
            ..
        } = *c;
        let menu43 = if netboot && !(faulty && f.no_boot_file) {
            self.menu_offer(m)
        } else {
            None
        };
        let file = if netboot && menu43.is_none() {
            self.boot_file(m, &mac)
        } else {
            None
        };
        // Option 60 PXEClient only where the client needs the 4011 exchange (a menu):
        // with the file in the offer, PXEClient only sends UEFI firmware on a needless
        // round trip to port 4011 (which relays and firewalls may not pass). Without a
        // boot file (dhcp-no-boot-file), answer like a server that knows nothing of PXE.
        let mut opts = self.options(
            pxe && menu43.is_some(),
            http && file.is_some(),
            echo_97.as_deref(),
            true,
            faulty,
        );
        if let Some(file) = &file {
            opts.push((67, self.opt67(file, &mac)));
        }
        if let Some(o) = menu43 {
            opts.push((43, o));
        }
        let bytes = encode_reply(
            m,
            msg,
            ip,
            if file.is_some() || (netboot && !(faulty && f.no_boot_file)) {
                siaddr
            } else {
                Ipv4Addr::UNSPECIFIED
            },
            self.file_field(file.as_deref(), &mac),
            &opts,
        );
        (bytes, file)
    }

    /// Lease file: one `MAC IP EXPIRES_NS` line per lease.
    pub fn leases_text(&self) -> String {
        let mut v: Vec<String> = self
            .leases
            .iter()
            .filter(|(_, l)| !l.offered)
            .map(|(m, l)| format!("{} {} {}", fmt_mac(m), l.ip, l.expires_ns))
            .collect();
        v.sort();
        v.join("\n") + "\n"
    }

    pub fn load_leases(&mut self, text: &str) {
        for line in text.lines() {
            let p: Vec<&str> = line.split_whitespace().collect();
            if p.len() != 3 {
                continue;
            }
            let (Some(mac), Ok(ip), Ok(exp)) = (parse_mac(p[0]), p[1].parse(), p[2].parse()) else {
                continue;
            };
            self.leases.insert(
                mac,
                Lease {
                    ip,
                    expires_ns: exp,
                    offered: false,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discover(
        vc: &str,
        arch: Option<u16>,
        user_class: Option<&str>,
        msg: u8,
        xid: u32,
    ) -> Vec<u8> {
        let mut m = Dhcp4Repr::request(MessageType::from(msg), xid, [0x52, 0x54, 0, 1, 2, 3])
            .with(60, vc.as_bytes());
        if let Some(a) = arch {
            m = m.with(93, a.to_be_bytes());
        }
        if let Some(u) = user_class {
            m = m.with(77, u.as_bytes());
        }
        let mut uuid = vec![0];
        uuid.extend([7u8; 16]);
        m.with(97, uuid).emit()
    }

    fn cfg(pool: bool) -> DhcpConfig {
        let mut boot = BTreeMap::new();
        boot.insert(Family::Bios, "undionly.kpxe".to_string());
        boot.insert(Family::EfiX64, "ipxe.efi".to_string());
        DhcpConfig {
            boot_codes: BTreeMap::new(),
            server_ip: Ipv4Addr::new(192, 168, 77, 1),
            pool: pool.then(|| Pool {
                start: Ipv4Addr::new(192, 168, 77, 100),
                end: Ipv4Addr::new(192, 168, 77, 101),
                netmask: Ipv4Addr::new(255, 255, 255, 0),
                router: None,
                dns: vec![],
                lease_secs: 3600,
                static_hosts: BTreeMap::new(),
            }),
            boot,
            ipxe_script: Some("boot.ipxe".into()),
            http_url: None,
            faults: DhcpFaults::default(),
            fault_for: vec![],
        }
    }

    const SRC: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68);

    #[test]
    fn proxy_offer_shape() {
        let mut r = DhcpResponder::new(cfg(false));
        let out = r.handle(
            &discover("PXEClient:Arch:00007:UNDI:003016", Some(7), None, 1, 1),
            SRC,
            67,
            0,
            67,
            4011,
        );
        assert_eq!(out.len(), 1);
        let b = &out[0].bytes;
        assert!(b.len() >= 300, "padded to the BOOTP minimum");
        let m = Dhcp4::parse(b).expect("parses");
        assert_eq!(m.options[0].code, 53, "option 53 first");
        assert_eq!(m.msg_type(), Some(2));
        assert!(m.yiaddr.is_unspecified(), "proxy never offers an address");
        assert_eq!(m.opt_str(60).as_deref(), Some("PXEClient"));
        assert_eq!(
            m.file().as_deref(),
            Some("ipxe.efi"),
            "arch 7 gets the efi-x64 file"
        );
        assert_eq!(m.opt(97).map(|d| d.len()), Some(17), "option 97 echoed");
        assert_eq!(out[0].dst, SocketAddrV4::new(Ipv4Addr::BROADCAST, 68));
        // non-PXE clients get nothing from a proxy
        assert!(r
            .handle(
                &discover("udhcp 1.35", None, None, 1, 2),
                SRC,
                67,
                0,
                67,
                4011
            )
            .is_empty());
        // dhcproto, an independent decoder, reads the same reply
        use dhcproto::{Decodable, Decoder};
        let d = dhcproto::v4::Message::decode(&mut Decoder::new(b))
            .expect("dhcproto decodes our reply");
        assert_eq!(d.xid(), 1);
        assert_eq!(d.opts().msg_type(), Some(dhcproto::v4::MessageType::Offer));
    }

    #[test]
    fn boot_server_answers_to_the_request_port() {
        let mut r = DhcpResponder::new(cfg(false));
        let src = SocketAddrV4::new(Ipv4Addr::new(192, 168, 77, 109), 4011);
        let out = r.handle(
            &discover("PXEClient:Arch:00007:UNDI:003000", Some(7), None, 3, 9),
            src,
            4011,
            0,
            67,
            4011,
        );
        assert_eq!(out[0].dst, src);
        assert_eq!(out[0].from_port, 4011);
        let m = Dhcp4::parse(&out[0].bytes).expect("parses");
        assert_eq!(m.msg_type(), Some(5));
    }

    #[test]
    fn ipxe_loop_breaker_and_faults() {
        let mut r = DhcpResponder::new(cfg(false));
        let first = r.handle(
            &discover(
                "PXEClient:Arch:00000:UNDI:002001",
                Some(0),
                Some("iPXE"),
                1,
                1,
            ),
            SRC,
            67,
            0,
            67,
            4011,
        );
        assert_eq!(
            Dhcp4::parse(&first[0].bytes).expect("p").file().as_deref(),
            Some("undionly.kpxe"),
            "the ROM gets its first file"
        );
        let second = r.handle(
            &discover(
                "PXEClient:Arch:00000:UNDI:002001",
                Some(0),
                Some("iPXE"),
                1,
                2,
            ),
            SRC,
            67,
            0,
            67,
            4011,
        );
        assert_eq!(
            Dhcp4::parse(&second[0].bytes).expect("p").file().as_deref(),
            Some("boot.ipxe"),
            "the loaded iPXE gets the script"
        );

        let mut c = cfg(false);
        c.faults.arch_mismatch = true;
        c.faults.proxy_missing_vendor_class = true;
        let mut r = DhcpResponder::new(c);
        let out = r.handle(
            &discover("PXEClient:Arch:00007:UNDI:003016", Some(7), None, 1, 1),
            SRC,
            67,
            0,
            67,
            4011,
        );
        let m = Dhcp4::parse(&out[0].bytes).expect("p");
        assert_eq!(m.file().as_deref(), Some("undionly.kpxe"));
        assert_eq!(m.opt(60), None);
    }

    #[test]
    fn dhcp_mode_leases_and_nak() {
        let mut r = DhcpResponder::new(cfg(true));
        let out = r.handle(
            &discover("PXEClient:Arch:00000:UNDI:002001", Some(0), None, 1, 1),
            SRC,
            67,
            0,
            67,
            4011,
        );
        let m = Dhcp4::parse(&out[0].bytes).expect("p");
        assert_eq!(m.yiaddr, Ipv4Addr::new(192, 168, 77, 100));
        let req = discover("PXEClient:Arch:00000:UNDI:002001", Some(0), None, 3, 1);
        let out = r.handle(&req, SRC, 67, 1, 67, 4011);
        assert_eq!(Dhcp4::parse(&out[0].bytes).expect("p").msg_type(), Some(5));
        let text = r.leases_text();
        let mut again = DhcpResponder::new(cfg(true));
        again.load_leases(&text);
        assert_eq!(again.leases, r.leases, "leases survive a restart");
        // Requesting an address that is not ours gets a NAK.
        let mut bad = discover("PXEClient:Arch:00000:UNDI:002001", Some(0), None, 3, 5);
        bad.pop();
        bad.extend([50, 4, 10, 0, 0, 9, 255]);
        let out = r.handle(&bad, SRC, 67, 2, 67, 4011);
        assert_eq!(Dhcp4::parse(&out[0].bytes).expect("p").msg_type(), Some(6));
    }
}
