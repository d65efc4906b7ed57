//! A session as a list of exchanges between named parties (client, DHCP server, proxy, boot
//! server, TFTP/HTTP server), in frame order: what the sequence diagrams (mermaid, HTML) and the
//! HTML waterfall draw. Built from the session model only, so every view says the same thing.

use crate::model::*;
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
pub struct Exchange {
    pub frame: FrameRef,
    pub time: Timestamp,
    pub from: String,
    pub to: String,
    pub label: String,
    /// dhcp, proxy, bootserver, tftp, http, arp
    pub kind: &'static str,
    /// A reply (drawn dashed).
    pub reply: bool,
}

/// A span of time on the waterfall: a DHCP phase or one transfer.
#[derive(Debug, Clone)]
pub struct Span {
    pub label: String,
    pub kind: &'static str,
    pub start: Timestamp,
    pub end: Timestamp,
    pub ok: bool,
    pub detail: String,
    pub frame: FrameRef,
}

pub const CLIENT: &str = "client";

/// The name a server gets in the diagrams.
fn party(s: &BootSession, ip: &str, port: u16) -> String {
    if port == 4011 {
        return format!("boot server {ip}");
    }
    let proxy = s
        .stages
        .iter()
        .flat_map(|st| &st.offers)
        .any(|o| o.kind == OfferKind::Proxy && o.server.to_string() == ip);
    let dhcp = s.stages.iter().flat_map(|st| &st.offers).any(|o| {
        matches!(o.kind, OfferKind::Dhcp | OfferKind::Ack | OfferKind::Dhcpv6)
            && o.server.to_string() == ip
    });
    if proxy && !dhcp {
        format!("proxy {ip}")
    } else {
        format!("DHCP {ip}")
    }
}

// Long on purpose: one loop per record kind (DHCP, TFTP, HTTP, unanswered ARP), each pushing its
// arrows as Exchange literals; one sort by frame at the end orders them all.
pub fn exchanges(s: &BootSession) -> Vec<Exchange> {
    let mut v = Vec::new();
    for m in &s.dhcp {
        let kind = if m.dst.port() == 4011 || m.src.port() == 4011 {
            "bootserver"
        } else {
            "dhcp"
        };
        let (from, to) = if m.from_client {
            let dst_ip = m.dst.ip().to_string();
            let to = if dst_ip == "255.255.255.255" || dst_ip.starts_with("ff02") {
                "broadcast".to_string()
            } else {
                party(s, &dst_ip, m.dst.port())
            };
            (CLIENT.to_string(), to)
        } else {
            (
                party(s, &m.src.ip().to_string(), m.src.port()),
                CLIENT.to_string(),
            )
        };
        let kind = if !m.from_client && from.starts_with("proxy") {
            "proxy"
        } else {
            kind
        };
        v.push(Exchange {
            frame: m.frame,
            time: m.time,
            from,
            to,
            label: if m.summary.is_empty() {
                m.message.to_string()
            } else {
                m.summary.clone()
            },
            kind,
            reply: !m.from_client,
        });
    }
    for t in &s.tftp {
        let server = format!("TFTP {}", t.server);
        v.push(Exchange {
            frame: t.first_frame,
            time: t.start,
            from: CLIENT.into(),
            to: server.clone(),
            label: format!("RRQ {} [{}]", t.file, t.requested.text()),
            kind: "tftp",
            reply: false,
        });
        let by_client = t.error.as_ref().is_some_and(|e| e.from == "client");
        let end = match &t.error {
            Some(e) => format!("ERROR {} ({}) {}", e.code, e.name, e.message),
            None => format!(
                "{}: {} bytes in {} blocks",
                t.status.name(),
                t.bytes,
                t.blocks
            ),
        };
        let (from, to) = if by_client {
            (CLIENT.to_string(), server)
        } else {
            (server, CLIENT.to_string())
        };
        v.push(Exchange {
            frame: t
                .error
                .as_ref()
                .map(|e| e.frame)
                .or(t.final_frame)
                .unwrap_or(t.last_frame),
            time: t.end,
            from,
            to,
            label: end,
            kind: "tftp",
            reply: !by_client,
        });
    }
    for h in &s.http {
        let server = format!("HTTP {}:{}", h.server, h.server_port);
        v.push(Exchange {
            frame: h.first_frame,
            time: h.start,
            from: CLIENT.into(),
            to: server.clone(),
            label: format!("{} {}", h.method, h.url),
            kind: "http",
            reply: false,
        });
        let end = format!(
            "{} {}: {} bytes{}",
            h.status_code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into()),
            h.status.name(),
            h.bytes,
            if h.reset { ", reset" } else { "" }
        );
        v.push(Exchange {
            frame: h.last_frame,
            time: h.end,
            from: server,
            to: CLIENT.into(),
            label: end,
            kind: "http",
            reply: true,
        });
    }
    for a in s.arp.iter().filter(|a| !a.answered) {
        v.push(Exchange {
            frame: a.frame,
            time: a.time,
            from: CLIENT.into(),
            to: "broadcast".into(),
            label: format!("ARP who-has {} ×{} (unanswered)", a.target, a.count),
            kind: "arp",
            reply: false,
        });
    }
    v.sort_by_key(|e| (e.frame.input, e.frame.frame, e.reply));
    v
}

/// Parties in order of first appearance (client first).
pub fn parties(ex: &[Exchange]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = vec![CLIENT.to_string()];
    seen.insert(CLIENT.to_string());
    for e in ex {
        for p in [&e.from, &e.to] {
            if seen.insert(p.clone()) {
                out.push(p.clone());
            }
        }
    }
    out
}

/// The waterfall: a DHCP span per stage (first DISCOVER to ACK or last message), a 4011 span,
/// and one per transfer.
// Long on purpose: one loop per record kind (DHCP and 4011 per stage, TFTP, HTTP), each pushing
// whole Span literals; most of the lines are the label and detail text of each bar.
pub fn spans(s: &BootSession) -> Vec<Span> {
    let mut out = Vec::new();
    for (i, st) in s.stages.iter().enumerate() {
        let msgs: Vec<&DhcpMessage> = s
            .dhcp
            .iter()
            .filter(|m| m.time.0 >= st.start.0 && m.dst.port() != 4011 && m.src.port() != 4011)
            .collect();
        let next_start = s.stages.get(i + 1).map(|n| n.start.0).unwrap_or(i64::MAX);
        let msgs: Vec<&&DhcpMessage> = msgs.iter().filter(|m| m.time.0 < next_start).collect();
        let end = msgs
            .iter()
            .filter(|m| m.message.as_str().contains("ACK") || m.message.as_str().contains("Reply"))
            .map(|m| m.time)
            .next()
            .or(msgs.last().map(|m| m.time))
            .unwrap_or(st.start);
        let ok = st.address.is_some();
        out.push(Span {
            label: format!(
                "{} stage {}: {}",
                st.protocol,
                i + 1,
                st.who(i.checked_sub(1).and_then(|p| s.stages.get(p)))
            ),
            kind: "dhcp",
            start: st.start,
            end,
            ok,
            detail: format!(
                "{}{} offer(s){}{}",
                i.checked_sub(1)
                    .and_then(|p| s.stages.get(p))
                    .and_then(|p| st.identity_switch(p))
                    .map(|t| format!("{t}; "))
                    .unwrap_or_default(),
                st.offers.len(),
                st.address
                    .map(|a| format!(", address {a}"))
                    .unwrap_or_default(),
                st.boot_file
                    .as_ref()
                    .map(|f| format!(", boot file {f}"))
                    .unwrap_or_default()
            ),
            frame: st.first_frame,
        });
        if let Some(first) = st.boot_server_requests.first() {
            let reply = st.offers.iter().find(|o| o.kind == OfferKind::BootServer);
            out.push(Span {
                label: format!("4011 stage {}", i + 1),
                kind: "bootserver",
                start: first.time,
                end: reply.map(|r| r.time).unwrap_or(first.time),
                ok: reply.is_some(),
                detail: format!(
                    "{} request(s) to {}{}",
                    st.boot_server_requests.len(),
                    first.server,
                    if reply.is_some() { "" } else { ", unanswered" }
                ),
                frame: first.frame,
            });
        }
    }
    for (i, t) in s.tftp.iter().enumerate() {
        let rate = t
            .throughput_bps
            .map(|b| format!(", {:.1} MB/s", b / 1e6))
            .unwrap_or_default();
        // pxelinux.cfg/01-MAC, grub *.lst: not found and then something else loads. Normal.
        let expected_miss =
            t.error.as_ref().is_some_and(|e| e.code == 1) && s.tftp[i + 1..].iter().any(|u| u.ok());
        out.push(Span {
            label: t.file.clone(),
            kind: if expected_miss {
                "tftp-expected-miss"
            } else {
                "tftp"
            },
            start: t.start,
            end: t.end,
            ok: expected_miss
                || t.ok()
                || (t.blocks == 0 && t.error.as_ref().is_some_and(|e| e.from == "client")),
            detail: format!(
                "TFTP {}: {} bytes, blksize {}{}, {} retransmit(s){}",
                t.status.name(),
                t.bytes,
                t.blksize,
                rate,
                t.retransmits,
                t.error
                    .as_ref()
                    .map(|e| format!(", error {} {}", e.code, e.message))
                    .unwrap_or_default()
            ),
            frame: t.first_frame,
        });
    }
    for h in &s.http {
        out.push(Span {
            label: h.url.clone(),
            kind: "http",
            start: h.start,
            end: h.end,
            ok: h.status == TransferStatus::Complete,
            detail: format!(
                "HTTP {}: {} bytes, status {}",
                h.status.name(),
                h.bytes,
                h.status_code
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "-".into())
            ),
            frame: h.first_frame,
        });
    }
    out
}

/// When a frame happened, from whatever in the session names it (findings carry frames only).
pub fn time_of(s: &BootSession, f: &FrameRef) -> Timestamp {
    if let Some(m) = s.dhcp.iter().find(|m| m.frame == *f) {
        return m.time;
    }
    for t in &s.tftp {
        if t.first_frame == *f {
            return t.start;
        }
        if t.last_frame == *f
            || t.final_frame == Some(*f)
            || t.error.as_ref().is_some_and(|e| e.frame == *f)
        {
            return t.end;
        }
    }
    for h in &s.http {
        if h.first_frame == *f {
            return h.start;
        }
        if h.last_frame == *f {
            return h.end;
        }
    }
    if let Some(a) = s.arp.iter().find(|a| a.frame == *f) {
        return a.time;
    }
    // Interpolate between the session's ends by frame number.
    let (a, b) = (
        s.first_frame.frame as f64,
        s.last_frame.frame.max(s.first_frame.frame + 1) as f64,
    );
    let r = ((f.frame as f64 - a) / (b - a)).clamp(0.0, 1.0);
    Timestamp(s.start.0 + ((s.end.0 - s.start.0) as f64 * r) as i64)
}
