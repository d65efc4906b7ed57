//! Rules about discovery: DHCPv4/v6 offers, proxyDHCP, port 4011, architectures.

use super::{dhcp_time, finding, Ctx};
use crate::model::*;
use crate::proto::arch_info;
use std::collections::BTreeSet;
use std::net::IpAddr;

fn answered(st: &Stage) -> bool {
    st.offers.iter().any(|o| {
        matches!(
            o.kind,
            OfferKind::Dhcp | OfferKind::Proxy | OfferKind::Dhcpv6 | OfferKind::Ack
        )
    })
}

/// UEFI firmware falls back to DHCPv6 after its IPv4 attempt fails; on networks without DHCPv6
/// that unanswered SOLICIT is a consequence, not a cause, so it is not reported.
pub fn is_v6_fallback(s: &BootSession, st: &Stage) -> bool {
    (st.protocol == Protocol::Dhcpv6
        && s.stages[..st.index.min(s.stages.len())]
            .iter()
            .any(|p| p.protocol == Protocol::Dhcpv4 && answered(p)))
        || after_completed_fetch(s, st)
}

/// An unanswered IPv4 attempt that the same firmware followed with a DHCPv6 one that was
/// answered: UEFI tries IPv4 first and falls back to IPv6 (an IPv6-only boot network, PXE or
/// HTTP boot). The boot's fate is the IPv6 stage's; the silence on IPv4 is expected there, not
/// the cause (lab cell uefi-http6-serve: booted over IPv6, was reported failed for it).
fn gave_way_to_v6(s: &BootSession, st: &Stage) -> bool {
    st.protocol == Protocol::Dhcpv4
        && !answered(st)
        && s.stages
            .iter()
            .skip(st.index + 1)
            .any(|n| n.protocol == Protocol::Dhcpv6 && answered(n))
}

/// Did an earlier stage fetch a file completely? Then this stage is a fallback (UEFI tries
/// IPv6 PXE and HTTP boot after its IPv4 boot started a loader, or after its NBP was refused):
/// what it lacks is a consequence, not the cause (CONTRACT.md, Outcomes).
pub fn after_completed_fetch(s: &BootSession, st: &Stage) -> bool {
    let earlier = st.index.min(s.stages.len());
    s.stages[..earlier].iter().any(|p| {
        p.transfers
            .iter()
            .filter_map(|&i| s.tftp.get(i))
            .any(|t| t.direction == Direction::Read && t.ok())
    }) || s.http.iter().any(|h| {
        h.stage.is_some_and(|i| i < earlier)
            && h.status == TransferStatus::Complete
            && h.method != "HEAD"
    })
}

pub fn no_offer(s: &BootSession, ctx: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        let Some(first) = st.discovers.first() else {
            continue;
        };
        if is_v6_fallback(s, st) || gave_way_to_v6(s, st) {
            continue;
        }
        let t0 = dhcp_time(s, first).unwrap_or(st.start);
        if !answered(st) && ctx.observed_after(s, t0) >= 3.0 {
            out.push(finding(
                "dhcp-no-offer",
                st.discovers.clone(),
                format!(
                    "{} {} sent {} time(s) and never answered by any DHCP or proxyDHCP server",
                    if st.protocol == Protocol::Dhcpv6 {
                        "SOLICIT"
                    } else {
                        "DISCOVER"
                    },
                    st.xid.map_or_else(|| "?".to_string(), |x| x.to_string()),
                    st.discovers.len()
                ),
            ));
        }
    }
    out
}

/// The client sent REQUEST for an offered address and nothing answered it (no ACK, no NAK)
/// while the capture went on for 3 s: the client restarts discovery or gives up (PXE-E51/E55 on
/// screen). Typical of lossy paths, a server that crashed or ran out of leases between OFFER
/// and REQUEST, or a firewall passing broadcasts but not the server's unicast ACK.
pub fn no_ack(s: &BootSession, ctx: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        if st.protocol != Protocol::Dhcpv4 {
            continue;
        }
        let Some(first) = st.requests.first() else {
            continue;
        };
        let acked = st
            .offers
            .iter()
            .any(|o| o.kind == OfferKind::Ack && o.frame > *first);
        if acked || !st.naks.is_empty() {
            continue;
        }
        let last = st.requests.last().unwrap_or(first);
        let t_last = dhcp_time(s, last).unwrap_or(st.start);
        if ctx.observed_after(s, t_last) < 3.0 {
            continue;
        }
        let server = st
            .offers
            .iter()
            .filter(|o| o.kind == OfferKind::Dhcp)
            .map(|o| o.server_id.unwrap_or(o.server).to_string())
            .next();
        out.push(finding(
            "dhcp-no-ack",
            st.requests.clone(),
            format!(
                "REQUEST {} sent {} time(s){} and never answered with ACK or NAK",
                st.xid.map_or_else(|| "?".to_string(), |x| x.to_string()),
                st.requests.len(),
                server
                    .map(|s| format!(" for the offer from {s}"))
                    .unwrap_or_default()
            ),
        ));
    }
    out
}

/// The first answer that is usable: with what the client already holds, it then has an address
/// and a way to its boot file (a file/URL, or the proxy/4011 path). Loaders that fetch by name
/// themselves (U-Boot's `pxe get`, GRUB, an installer) need only the address.
pub fn slow_offer(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    use crate::proto::Loader;
    let mut out = vec![];
    for st in &s.stages {
        let Some(first) = st.discovers.first() else {
            continue;
        };
        let t0 = dhcp_time(s, first).unwrap_or(st.start);
        let needs_boot = matches!(
            st.client.loader,
            Loader::Firmware | Loader::HttpBoot | Loader::Ipxe
        );
        let mut offers: Vec<&Offer> = st
            .offers
            .iter()
            .filter(|o| {
                matches!(
                    o.kind,
                    OfferKind::Dhcp | OfferKind::Proxy | OfferKind::Dhcpv6
                ) && o.frame > *first
            })
            .collect();
        offers.sort_by_key(|o| o.time);
        let (mut addr, mut boot) = (false, !needs_boot);
        let usable = offers.iter().find(|o| {
            addr |= o.address.is_some();
            boot |= offers_boot(o) || o.kind == OfferKind::Dhcpv6;
            addr && boot
        });
        let Some(o) = usable else { continue };
        let delay = o.time.secs_since(t0);
        if delay < 10.0 {
            continue;
        }
        let before = st.discovers.iter().filter(|d| **d < o.frame).count();
        let server = o.server_id.unwrap_or(o.server);
        let unanswered = st
            .discovers
            .iter()
            .enumerate()
            .filter(|(i, d)| {
                **d < o.frame
                    && !st.offers.iter().any(|x| {
                        x.server_id.unwrap_or(x.server) == server
                            && x.frame > **d
                            && st.discovers.get(i + 1).is_none_or(|n| x.frame < *n)
                    })
            })
            .count();
        out.push(finding(
            "dhcp-slow-offer",
            vec![*first, o.frame],
            format!(
                "the first usable answer ({} from {server}, {}) came {delay:.1} s after the first \
                 DISCOVER, at DISCOVER round {before}; {server} left {unanswered} round(s) unanswered",
                o.message,
                carried(o)
            ),
        ));
    }
    out
}

// Long on purpose: per DHCPv4 stage, one exclusion after another, each `continue` leaving the
// case to the rule that names it (ipxe-no-script, proxy-unanswered, http-boot-no-url).
pub fn no_boot_file(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        if st.protocol != Protocol::Dhcpv4 {
            continue;
        }
        let got_address = st
            .offers
            .iter()
            .find(|o| o.address.is_some() && matches!(o.kind, OfferKind::Dhcp | OfferKind::Ack));
        let Some(addr_msg) = got_address else {
            continue;
        };
        let pxe_stage = st
            .vendor_class
            .as_deref()
            .is_some_and(crate::proto::is_pxe_class)
            || st.ipxe;
        // Transfers that were only optional probes that failed (U-Boot's boot.scr.uimg, dtb/)
        // mean nothing was booted from this stage.
        let fetched = st
            .transfers
            .iter()
            .filter_map(|&i| s.tftp.get(i))
            .any(|t| t.ok() || !super::tftp::is_optional_probe(&t.file));
        if !pxe_stage || st.boot_file.is_some() || fetched {
            continue;
        }
        // A chainloaded iPXE (an earlier stage loaded it) without a file: ipxe-no-script.
        if st.client.ipxe
            && s.stages[..st.index].iter().any(|p| {
                p.transfers
                    .iter()
                    .filter_map(|&i| s.tftp.get(i))
                    .any(|t| t.ok())
            })
        {
            continue;
        }
        // Firmware falls back (PXE -> HTTP boot, IPv4 -> IPv6): a later stage that got a boot
        // file means this one was not where the client was meant to boot.
        if s.stages[st.index + 1..]
            .iter()
            .any(|later| later.boot_file.is_some())
        {
            continue;
        }
        // A PXEClient offer without a file sends the client on to a boot server (port 4011,
        // option 43): proxy-unanswered covers that path.
        // A proxyDHCP offer (or option 43 boot servers) sends the client on to a boot server
        // on port 4011: proxy-unanswered covers that path. A DHCP offer that merely carries
        // option 60 PXEClient and a next-server but no file is no boot file.
        let boot_server_replied = st.offers.iter().any(|o| o.kind == OfferKind::BootServer);
        if !boot_server_replied
            && st.offers.iter().any(|o| {
                o.kind == OfferKind::Proxy || (o.kind == OfferKind::Dhcp && o.pxe.is_some())
            })
        {
            continue;
        }
        if st
            .vendor_class
            .as_deref()
            .is_some_and(crate::proto::is_http_class)
        {
            continue; // http-boot-no-url covers it
        }
        let mut frames: Vec<FrameRef> = st.offers.iter().map(|o| o.frame).collect();
        frames.extend(st.discovers.first());
        out.push(finding(
            "dhcp-no-boot-file",
            frames,
            format!(
                "got address {} from {} but no offer named a boot file (option 67 / file){}",
                addr_msg.address.map(|a| a.to_string()).unwrap_or_default(),
                addr_msg.server,
                match st
                    .offers
                    .iter()
                    .find_map(|o| o.siaddr.or(o.opt66.as_deref().and_then(|x| x.parse().ok())))
                {
                    Some(ns) => format!("; a next-server ({ns}) alone is not enough"),
                    None => String::new(),
                }
            ),
        ));
    }
    out
}

pub fn multiple_servers(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        // Most stages hear one server: the sets below (text, sorted as text) only for more.
        let mut first: Option<IpAddr> = None;
        let several = st.offers.iter().any(|o| {
            if !matches!(o.kind, OfferKind::Dhcp | OfferKind::Proxy) {
                return false;
            }
            let server = o.server_id.unwrap_or(o.server);
            *first.get_or_insert(server) != server
        });
        if !several {
            continue;
        }
        let addr_servers: BTreeSet<String> = st
            .offers
            .iter()
            .filter(|o| o.kind == OfferKind::Dhcp)
            .map(|o| o.server_id.unwrap_or(o.server).to_string())
            .collect();
        let boot: BTreeSet<(String, String)> = st
            .offers
            .iter()
            .filter(|o| matches!(o.kind, OfferKind::Dhcp | OfferKind::Proxy))
            .filter_map(|o| {
                o.boot_file()
                    .map(|f| (f.to_string(), o.server_id.unwrap_or(o.server).to_string()))
            })
            .collect();
        let files: BTreeSet<&String> = boot.iter().map(|(f, _)| f).collect();
        let boot_servers: BTreeSet<&String> = boot.iter().map(|(_, s)| s).collect();
        let frames: Vec<FrameRef> = st
            .offers
            .iter()
            .filter(|o| matches!(o.kind, OfferKind::Dhcp | OfferKind::Proxy))
            .map(|o| o.frame)
            .collect();
        if addr_servers.len() > 1 {
            out.push(finding(
                "dhcp-multiple-servers",
                frames,
                format!(
                    "{} DHCP servers offered addresses: {}",
                    addr_servers.len(),
                    addr_servers.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            ));
        } else if files.len() > 1 && boot_servers.len() > 1 {
            out.push(finding(
                "dhcp-multiple-servers",
                frames,
                format!(
                    "servers offered conflicting boot files: {}",
                    boot.iter()
                        .map(|(f, s)| format!("{s} -> {f}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    out
}

pub fn nak_decline(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        if !st.naks.is_empty() {
            out.push(finding(
                "dhcp-nak",
                st.naks.clone(),
                format!("{} NAK(s) refused the client's REQUEST", st.naks.len()),
            ));
        }
        if !st.declines.is_empty() {
            let reason = s
                .dhcp
                .iter()
                .filter(|m| st.declines.contains(&m.frame))
                .find_map(|m| m.text.clone());
            let addr = st
                .offers
                .iter()
                .filter(|o| o.kind == OfferKind::Ack)
                .find_map(|o| o.address);
            out.push(finding(
                "dhcp-decline",
                st.declines.clone(),
                format!(
                    "the client declined the address{} it was given{}",
                    addr.map(|a| format!(" {a}")).unwrap_or_default(),
                    match reason {
                        Some(r) => format!("; its reason (option 56): \"{r}\""),
                        None => "; it gave no reason (no option 56) — usually an ARP probe found \
                                 the address in use"
                            .to_string(),
                    }
                ),
            ));
        }
    }
    out
}

pub fn boot_file_conflict(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        for o in &st.offers {
            if let (Some(a), Some(b)) = (&o.opt67, &o.file) {
                if a != b {
                    out.push(finding("boot-file-conflict", vec![o.frame], format!("{} from {}: option 67 says `{a}` but the file field says `{b}`; firmware differs in which it uses", o.message, o.server)));
                }
            }
            if let (Some(a), Some(b)) = (&o.opt66, o.siaddr) {
                if a.parse::<std::net::IpAddr>().is_ok_and(|ip| ip != b) {
                    out.push(finding(
                        "boot-file-conflict",
                        vec![o.frame],
                        format!(
                            "{} from {}: option 66 says {a} but next-server (siaddr) is {b}",
                            o.message, o.server
                        ),
                    ));
                }
            }
            if let Some(ov) = o.overload {
                if o.kind != OfferKind::Ack || o.has_boot_info() {
                    out.push(finding(
                        "boot-file-conflict",
                        vec![o.frame],
                        format!("{} from {} uses option 52 overload ({ov}): the {} field(s) hold options, which many PXE ROMs do not read", o.message, o.server, match ov { 1 => "file", 2 => "sname", _ => "file and sname" }),
                    ));
                }
            }
        }
    }
    out
}

pub fn proxy_missing_vendor_class(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        for o in st.offers.iter().filter(|o| o.kind == OfferKind::Proxy) {
            if !o
                .vendor_class
                .as_deref()
                .is_some_and(crate::proto::is_netboot_class)
            {
                out.push(finding("proxy-missing-vendor-class", vec![o.frame], format!("offer without an address from {} has no option 60 PXEClient; PXE firmware ignores it", o.server)));
            }
        }
    }
    out
}

pub fn proxy_unanswered(s: &BootSession, ctx: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        let Some(first) = st.boot_server_requests.first() else {
            continue;
        };
        let replied = st.offers.iter().any(|o| o.kind == OfferKind::BootServer);
        if !replied && ctx.observed_after(s, first.time) >= 3.0 {
            out.push(finding(
                "proxy-unanswered",
                st.boot_server_requests.iter().map(|r| r.frame).collect(),
                format!(
                    "{} REQUEST(s) to boot server {}:4011 got no reply",
                    st.boot_server_requests.len(),
                    first.server
                ),
            ));
        }
    }
    out
}

pub fn proxy_wrong_port(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        for o in st.offers.iter().filter(|o| o.kind == OfferKind::BootServer) {
            let req = st
                .boot_server_requests
                .iter()
                .rev()
                .find(|r| r.server == o.server && r.time <= o.time);
            let mut why = vec![];
            if o.src_port != 4011 {
                why.push(format!("came from port {} instead of 4011", o.src_port));
            }
            if let Some(r) = req {
                if o.dst_port != r.src_port {
                    why.push(format!(
                        "went to port {} but the request came from port {}",
                        o.dst_port, r.src_port
                    ));
                }
            }
            if !why.is_empty() {
                let mut frames = vec![o.frame];
                frames.extend(req.map(|r| r.frame));
                out.push(finding(
                    "proxy-wrong-port",
                    frames,
                    format!("boot-server reply from {} {}", o.server, why.join(" and ")),
                ));
            }
        }
    }
    out
}

pub fn proxy_offer_late(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        let Some(req) = st.requests.first() else {
            continue;
        };
        let Some(req_time) = dhcp_time(s, req) else {
            continue;
        };
        let dhcp_has_boot = st
            .offers
            .iter()
            .any(|o| o.kind == OfferKind::Dhcp && o.has_boot_info() && o.time <= req_time);
        let early_proxy = st
            .offers
            .iter()
            .any(|o| o.kind == OfferKind::Proxy && o.time <= req_time);
        if dhcp_has_boot || early_proxy {
            continue;
        }
        if let Some(p) = st
            .offers
            .iter()
            .find(|o| o.kind == OfferKind::Proxy && o.time > req_time)
        {
            out.push(finding(
                "proxy-offer-late",
                vec![*req, p.frame],
                format!(
                    "proxy offer from {} arrived {:.2} s after the client's REQUEST",
                    p.server,
                    p.time.secs_since(req_time)
                ),
            ));
        }
    }
    out
}

pub fn arch_unknown(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let c = &s.client;
    let is_pxe_class = c
        .vendor_class
        .as_deref()
        .is_some_and(crate::proto::is_netboot_class);
    if !is_pxe_class {
        return vec![];
    }
    let frames: Vec<FrameRef> = s
        .dhcp
        .iter()
        .filter(|m| m.from_client)
        .map(|m| m.frame)
        .take(1)
        .collect();
    match (c.arch_list.first(), c.vendor_class_arch) {
        (None, None) => vec![finding(
            "arch-unknown",
            frames,
            "the client sent no architecture (option 93 or Arch: in option 60)".into(),
        )],
        (Some(a), Some(b)) if arch_info(*a).family != arch_info(b).family => vec![finding(
            "arch-unknown",
            frames,
            format!(
                "option 93 says {a} ({}) but option 60 says Arch:{b:05} ({})",
                arch_info(*a).name(),
                arch_info(b).name()
            ),
        )],
        _ => vec![],
    }
}

pub fn http_boot_no_url(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        if !st
            .vendor_class
            .as_deref()
            .is_some_and(crate::proto::is_http_class)
        {
            continue;
        }
        if !answered(st) || after_completed_fetch(s, st) {
            continue;
        }
        let url = st
            .offers
            .iter()
            .filter_map(|o| o.boot_file())
            .find(|f| f.contains("://"));
        if url.is_none() {
            out.push(finding(
                "http-boot-no-url",
                st.offers.iter().map(|o| o.frame).collect(),
                "HTTP boot client got offers but none carried a boot URL (option 67 http://…)"
                    .into(),
            ));
        }
    }
    out
}

/// A DHCPv6 stage of a netboot client (option 61 arch, or a PXE/HTTP vendor class).
fn is_v6_netboot(st: &Stage) -> bool {
    st.protocol == Protocol::Dhcpv6
        && (st.arch.is_some()
            || st
                .vendor_class
                .as_deref()
                .is_some_and(crate::proto::is_netboot_class))
}

pub fn dhcpv6_no_boot_url(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        if !is_v6_netboot(st) || st.offers.is_empty() || after_completed_fetch(s, st) {
            continue;
        }
        match st
            .offers
            .iter()
            .filter_map(|o| o.boot_url.as_deref())
            .next()
        {
            None => {
                let status = st.offers.iter().filter_map(|o| o.status.clone()).next();
                out.push(finding(
                    "dhcpv6-no-boot-url",
                    st.offers.iter().map(|o| o.frame).collect(),
                    format!(
                        "DHCPv6 netboot client got {} answer(s) without option 59 boot-file-url{}",
                        st.offers.len(),
                        status.map(|s| format!(" (status {s})")).unwrap_or_default()
                    ),
                ));
            }
            Some(u) if !u.contains("://") => {
                out.push(finding(
                    "dhcpv6-no-boot-url",
                    st.offers.iter().map(|o| o.frame).collect(),
                    format!("option 59 `{u}` is not a URL"),
                ));
            }
            _ => {}
        }
    }
    out
}

/// What one offer carried, for a person: "address 192.0.2.100 only" / "boot info (file
/// `x`, option 60 PXEClient, option 54 192.0.2.1) and no address".
fn carried(o: &Offer) -> String {
    let mut parts = vec![];
    if let Some(a) = o.address {
        parts.push(format!("address {a}"));
    }
    if let Some(f) = o.boot_file() {
        parts.push(format!("file `{f}`"));
    }
    if let Some(v) = &o.vendor_class {
        parts.push(format!("option 60 {v}"));
    }
    if o.pxe.is_some() {
        parts.push("option 43".to_string());
    }
    if let Some(sid) = o.server_id {
        parts.push(format!("option 54 {sid}"));
    }
    if parts.is_empty() {
        "nothing usable".to_string()
    } else {
        parts.join(", ")
    }
}

/// Does an offer point the client at a boot (a file, a URL, or the proxyDHCP/4011 path)?
fn offers_boot(o: &Offer) -> bool {
    o.has_boot_info()
        || o.pxe.is_some()
        || (o.kind == OfferKind::Proxy
            && o.vendor_class
                .as_deref()
                .is_some_and(crate::proto::is_netboot_class))
}

/// How many DISCOVER rounds got at least one offer before the next DISCOVER.
fn answered_rounds(st: &Stage) -> usize {
    st.discovers
        .iter()
        .enumerate()
        .filter(|(i, d)| {
            let next = st.discovers.get(i + 1);
            st.offers.iter().any(|o| {
                matches!(o.kind, OfferKind::Dhcp | OfferKind::Proxy)
                    && o.frame > **d
                    && next.is_none_or(|n| o.frame < *n)
            })
        })
        .count()
}

/// Offers reached the client, round after round, and it never asked for one (no REQUEST, no
/// 4011): PXE-E18/E16. The classic cause is the "dual offer" — an address from one server, the
/// boot info from a proxyDHCP — on firmware that does not merge them.
// Long on purpose: per stage, exclusions first (each `continue` a case another rule explains),
// then one cause picked from what the offers carried; both read the same offer list.
pub fn offers_ignored(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        if st.protocol != Protocol::Dhcpv4
            || !st.requests.is_empty()
            || !st.boot_server_requests.is_empty()
            || !st.transfers.is_empty()
            || s.http.iter().any(|h| h.stage == Some(st.index))
        {
            continue;
        }
        let offers: Vec<&Offer> = st
            .offers
            .iter()
            .filter(|o| matches!(o.kind, OfferKind::Dhcp | OfferKind::Proxy))
            .collect();
        if answered_rounds(st) < 2 || offers.is_empty() {
            continue;
        }
        // No offer pointed at a boot at all: dhcp-no-boot-file says that.
        if !offers.iter().any(|o| offers_boot(o)) {
            continue;
        }
        // The client asked later, under this identity, in another stage: not ignored.
        if s.stages[st.index + 1..]
            .iter()
            .any(|l| l.client.same_identity(&st.client) && !l.requests.is_empty())
        {
            continue;
        }
        // Explained by another rule: firmware ignores proxy offers without option 60, and a
        // reply broadcast on the server's segment never reached the relay.
        let explained = offers.iter().any(|o| {
            (o.kind == OfferKind::Proxy
                && (!offers_boot(o)
                    || !o
                        .vendor_class
                        .as_deref()
                        .is_some_and(crate::proto::is_netboot_class)))
                || misrouted(o).is_some()
        });
        if explained {
            continue;
        }
        let mut by_server: Vec<(String, String)> = vec![];
        for o in &offers {
            let who = o.server_id.unwrap_or(o.server).to_string();
            if !by_server.iter().any(|(w, _)| *w == who) {
                by_server.push((who, carried(o)));
            }
        }
        let addr_only = offers
            .iter()
            .any(|o| o.address.is_some() && !offers_boot(o));
        let boot_no_addr = offers.iter().any(|o| o.address.is_none() && offers_boot(o));
        let wrong_port = offers.iter().find(|o| o.dst_port != 68);
        let cause = if let Some(o) = wrong_port {
            format!(
                "the replies went to port {} instead of 68, where the client does not listen",
                o.dst_port
            )
        } else if addr_only && boot_no_addr {
            "the address and the boot info came in separate offers and this firmware does not \
             merge a DHCP offer with a proxyDHCP offer (the \"dual offer\" problem)"
                .to_string()
        } else {
            "the firmware found no offer it could use (check what each one carried)".to_string()
        };
        let mut frames: Vec<FrameRef> = st.discovers.iter().take(2).copied().collect();
        frames.extend(offers.iter().map(|o| o.frame).take(6));
        out.push(finding(
            "dhcp-offers-ignored",
            frames,
            format!(
                "{} DISCOVER rounds were answered and the client never sent a REQUEST or a 4011 \
                 request; offers: {}; likely cause: {cause}",
                answered_rounds(st),
                by_server
                    .iter()
                    .map(|(w, c)| format!("{w}: {c}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ));
    }
    out
}

/// Why a reply to a relayed request does not reach the relay, or None when it does. The
/// relay's own copy to the client (sent from giaddr) is the normal second leg.
fn misrouted(o: &Offer) -> Option<String> {
    let g = o.relay?;
    if o.server == g || o.kind == OfferKind::Dhcpv6 {
        return None;
    }
    if o.to != g || o.dst_port != 67 {
        Some(format!(
            "{} from {} answered a request relayed by {g} but went to {}:{} instead of {g}:67",
            o.message, o.server, o.to, o.dst_port
        ))
    } else {
        None
    }
}

pub fn relay_reply_misrouted(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        let bad: Vec<(&Offer, String)> = st
            .offers
            .iter()
            .filter_map(|o| misrouted(o).map(|w| (o, w)))
            .collect();
        if let Some((_, why)) = bad.first() {
            out.push(finding(
                "relay-reply-misrouted",
                bad.iter().map(|(o, _)| o.frame).collect(),
                format!(
                    "{why}; the client on the relay's segment never hears it ({} such repl{})",
                    bad.len(),
                    if bad.len() == 1 { "y" } else { "ies" }
                ),
            ));
        }
    }
    out
}

/// A URL handed as the boot file to firmware that can only fetch files by TFTP.
pub fn boot_url_to_pxe_client(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    use crate::proto::Loader;
    let mut out = vec![];
    for st in &s.stages {
        if st.protocol != Protocol::Dhcpv4 || st.client.loader != Loader::Firmware || st.client.ipxe
        {
            continue;
        }
        let Some(url) = st
            .offers
            .iter()
            .filter_map(|o| o.boot_file())
            .find(|f| crate::proto::is_url(f))
        else {
            continue;
        };
        let mut frames: Vec<FrameRef> = st.boot_file_frame.into_iter().collect();
        frames.extend(
            st.offers
                .iter()
                .filter(|o| o.boot_file() == Some(url))
                .map(|o| o.frame)
                .take(2),
        );
        let rrq = st
            .transfers
            .iter()
            .filter_map(|&i| s.tftp.get(i))
            .find(|t| t.file.contains("://"));
        frames.extend(rrq.map(|t| t.first_frame));
        out.push(finding(
            "boot-url-to-pxe-client",
            frames,
            format!(
                "the boot file `{url}` is a URL, but this client ({}, {}) fetches boot files by TFTP \
                 only{}",
                st.client.vendor_class.as_deref().unwrap_or("PXE firmware"),
                st.client.arch_text(),
                match rrq {
                    Some(t) => format!("; it asked {} by TFTP for the URL itself", t.server),
                    None => String::new(),
                }
            ),
        ));
    }
    out
}

/// DHCPv6 netboot client answered with a failure status and no address.
pub fn dhcpv6_status_error(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        if !is_v6_netboot(st) || st.address.is_some() {
            continue;
        }
        let failed: Vec<&Offer> = st
            .offers
            .iter()
            .filter(|o| o.status_code.is_some_and(|c| c != 0) && o.address.is_none())
            .collect();
        let Some(first) = failed.first() else {
            continue;
        };
        let other = s
            .stages
            .iter()
            .filter(|o| o.index != st.index && o.protocol == Protocol::Dhcpv6)
            .find_map(|o| o.address);
        let where_ = match first.status_iaid {
            Some(iaid) => format!("inside IA_NA {iaid:#010x}"),
            None => "at the top level".to_string(),
        };
        out.push(finding(
            "dhcpv6-status-error",
            failed.iter().map(|o| o.frame).take(6).collect(),
            format!(
                "{} from {} answered with status {} {where_} and no address ({} such answer(s)){}",
                first.message,
                first.server,
                first.status.as_deref().unwrap_or("?"),
                failed.len(),
                match other {
                    Some(a) => format!("; another IA of the same DUID holds {a}"),
                    None => "; no IA of this DUID holds an address".to_string(),
                }
            ),
        ));
    }
    out
}
