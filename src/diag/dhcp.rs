//! Rules about discovery: DHCPv4/v6 offers, proxyDHCP, port 4011, architectures.

use super::{dhcp_time, finding, Ctx};
use crate::model::*;
use crate::proto::arch_info;
use std::collections::BTreeSet;

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
    (st.protocol == "dhcpv6"
        && s.stages[..st.index.min(s.stages.len())]
            .iter()
            .any(|p| p.protocol == "dhcpv4" && answered(p)))
        || after_completed_fetch(s, st)
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
            .any(|t| t.direction == "read" && t.ok())
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
        if is_v6_fallback(s, st) {
            continue;
        }
        let t0 = dhcp_time(s, first).unwrap_or(st.start);
        if !answered(st) && ctx.observed_after(s, t0) >= 3.0 {
            out.push(finding(
                "dhcp-no-offer",
                st.discovers.clone(),
                format!(
                    "{} {} sent {} time(s) and never answered by any DHCP or proxyDHCP server",
                    if st.protocol == "dhcpv6" {
                        "SOLICIT"
                    } else {
                        "DISCOVER"
                    },
                    st.xid.as_deref().unwrap_or("?"),
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
        if st.protocol != "dhcpv4" {
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
                st.xid.as_deref().unwrap_or("?"),
                st.requests.len(),
                server
                    .map(|s| format!(" for the offer from {s}"))
                    .unwrap_or_default()
            ),
        ));
    }
    out
}

pub fn slow_offer(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        let Some(first) = st.discovers.first() else {
            continue;
        };
        let t0 = dhcp_time(s, first).unwrap_or(st.start);
        let usable = st
            .offers
            .iter()
            .filter(|o| {
                matches!(
                    o.kind,
                    OfferKind::Dhcp | OfferKind::Proxy | OfferKind::Dhcpv6
                ) && o.frame > *first
            })
            .min_by_key(|o| o.time);
        if let Some(o) = usable {
            let delay = o.time.secs_since(t0);
            if delay >= 10.0 {
                out.push(finding(
                    "dhcp-slow-offer",
                    vec![*first, o.frame],
                    format!(
                        "first offer ({} from {}) came {delay:.1} s after the first DISCOVER",
                        o.message, o.server
                    ),
                ));
            }
        }
    }
    out
}

pub fn no_boot_file(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        if st.protocol != "dhcpv4" {
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
            .is_some_and(|v| v.starts_with("PXEClient"))
            || st.ipxe;
        if !pxe_stage || st.boot_file.is_some() || !st.transfers.is_empty() {
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
        let boot_server_replied = st.offers.iter().any(|o| o.kind == OfferKind::BootServer);
        if !boot_server_replied
            && st.offers.iter().any(|o| {
                o.vendor_class
                    .as_deref()
                    .is_some_and(|v| v.starts_with("PXEClient"))
                    && o.kind != OfferKind::Ack
            })
        {
            continue;
        }
        if st
            .vendor_class
            .as_deref()
            .is_some_and(|v| v.starts_with("HTTPClient"))
        {
            continue; // http-boot-no-url covers it
        }
        let mut frames: Vec<FrameRef> = st.offers.iter().map(|o| o.frame).collect();
        frames.extend(st.discovers.first());
        out.push(finding(
            "dhcp-no-boot-file",
            frames,
            format!("got address {} from {} but no offer named a boot file (option 67 / file) or boot server", addr_msg.address.map(|a| a.to_string()).unwrap_or_default(), addr_msg.server),
        ));
    }
    out
}

pub fn multiple_servers(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
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
            out.push(finding(
                "dhcp-decline",
                st.declines.clone(),
                "the client declined the offered address (already in use on the network)"
                    .to_string(),
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
                .is_some_and(|v| v.starts_with("PXEClient") || v.starts_with("HTTPClient"))
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
        .is_some_and(|v| v.starts_with("PXEClient") || v.starts_with("HTTPClient"));
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
                arch_info(*a).name,
                arch_info(b).name
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
            .is_some_and(|v| v.starts_with("HTTPClient"))
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

pub fn dhcpv6_no_boot_url(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        if st.protocol != "dhcpv6" {
            continue;
        }
        let netboot = st.arch.is_some()
            || st
                .vendor_class
                .as_deref()
                .is_some_and(|v| v.starts_with("PXEClient") || v.starts_with("HTTPClient"));
        if !netboot || st.offers.is_empty() || after_completed_fetch(s, st) {
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
