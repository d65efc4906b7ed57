//! Per-client chronological trace, in the spirit of a tshark trace: one line per DHCP message,
//! one per TFTP *transfer* (not per block) with its outcome, findings inline at their frames.

use super::{frames_text, Style};
use crate::model::*;
use crate::report::Report;
use std::io::{self, Write};

struct Line {
    frame: FrameRef,
    time: Timestamp,
    text: String,
}

fn transfer_line(t: &Transfer) -> String {
    let opts = t.requested.text();
    let mut s = format!(
        "TFTP {} {}{}",
        if t.direction == Direction::Read {
            "RRQ"
        } else {
            "WRQ"
        },
        t.file,
        if opts.is_empty() {
            String::new()
        } else {
            format!(" [{opts}]")
        }
    );
    if t.rrq_count > 1 {
        s.push_str(&format!(" (sent {}×)", t.rrq_count));
    }
    match &t.oack {
        Some(o) => s.push_str(&format!(" → OACK [{}]", o.text())),
        None if !t.requested.is_empty() && t.answered && t.status != TransferStatus::Error => {
            s.push_str(" → no OACK")
        }
        None => {}
    }
    let port = t
        .server_port
        .map(|p| format!(" port {p}"))
        .unwrap_or_default();
    match t.status {
        TransferStatus::Complete => s.push_str(&format!(
            " → complete: {} bytes, {} blocks of {}{port}, {:.2} s",
            t.bytes, t.blocks, t.blksize, t.duration_s
        )),
        TransferStatus::Error => {
            if let Some(e) = &t.error {
                s.push_str(&format!(
                    " → ERROR {} ({}) \"{}\" (frame {})",
                    e.code, e.name, e.message, e.frame.frame
                ));
            }
        }
        TransferStatus::Aborted => {
            let e = t.error.as_ref();
            let probe = t.blocks == 0;
            s.push_str(&format!(
                " → aborted by client: ERROR {} \"{}\"{}",
                e.map(|e| e.code).unwrap_or(0),
                e.map(|e| e.message.clone()).unwrap_or_default(),
                if probe { " (tsize probe: normal)" } else { "" }
            ));
        }
        TransferStatus::Incomplete if !t.answered => s.push_str(" → no answer"),
        TransferStatus::Incomplete => s.push_str(&format!(
            " → incomplete: {} bytes, {} blocks",
            t.bytes, t.blocks
        )),
    }
    if t.retransmits > 0 {
        s.push_str(&format!(", {} retransmitted", t.retransmits));
    }
    s
}

// Long on purpose: one block per record kind (stage switch, DHCP, TFTP, HTTP, ARP, ICMP) into one
// line list, then one frame-ordered print that slots each finding after its last cited frame.
pub fn write_session(
    w: &mut dyn Write,
    s: &BootSession,
    style: &Style,
    multi: bool,
) -> io::Result<()> {
    let arch = super::table::arch_text(s);
    let mut head = format!("Client {}  arch {arch}", s.label());
    if let Some(v) = &s.client.vendor_class {
        head.push_str(&format!("  class {v}"));
    }
    if let Some(ip) = s.ip {
        head.push_str(&format!("  ip {ip}"));
    }
    writeln!(w, "{}  → {}", style.bold(&head), style.outcome(s.outcome))?;
    let mut lines: Vec<Line> = Vec::new();
    // Where the DHCP identity changes (firmware → U-Boot's EFI loader → GRUB …), say so: each
    // stage is judged as its own identity.
    for (prev, st) in s.stages.iter().zip(s.stages.iter().skip(1)) {
        if let Some(text) = st.identity_switch(prev) {
            lines.push(Line {
                frame: st.first_frame,
                time: st.start,
                text: format!("{:<44} {:<6} {text}", "", "STAGE"),
            });
        }
    }
    for m in &s.dhcp {
        let dir = format!("{} → {}", m.src, m.dst);
        let proto = if m.version == 6 { "DHCPv6" } else { "DHCP" };
        lines.push(Line {
            frame: m.frame,
            time: m.time,
            text: format!(
                "{dir:<44} {proto:<6} {}",
                m.summary
                    .trim_start_matches("DHCP ")
                    .trim_start_matches("DHCPv6 ")
            ),
        });
    }
    for t in &s.tftp {
        let dir = format!("{} → {}", t.client, t.server);
        lines.push(Line {
            frame: t.first_frame,
            time: t.start,
            text: format!(
                "{dir:<44} {:<6} {}",
                "TFTP",
                transfer_line(t).trim_start_matches("TFTP ")
            ),
        });
    }
    for h in &s.http {
        let dir = format!("{} → {}:{}", h.client, h.server, h.server_port);
        let code = h
            .status_code
            .map(|c| format!("HTTP {c}"))
            .unwrap_or_else(|| "no response".into());
        let len = h
            .content_length
            .map(|c| format!(" of {c}"))
            .unwrap_or_default();
        // A HEAD is the firmware's size probe: headers only, never "complete: 0 bytes".
        let how = if h.method == "HEAD" {
            format!(
                "headers only (size probe){}",
                h.content_length
                    .map(|c| format!(", size {c}"))
                    .unwrap_or_default()
            )
        } else if h.reset {
            format!("reset after {} bytes{len}", h.bytes)
        } else {
            format!("{}: {} bytes{len}", h.status.name(), h.bytes)
        };
        lines.push(Line {
            frame: h.first_frame,
            time: h.start,
            text: format!(
                "{dir:<44} {:<6} {} {} → {code}, {how}, {:.2} s",
                "HTTP",
                if h.method.is_empty() { "?" } else { &h.method },
                h.url,
                h.duration_s
            ),
        });
    }
    for q in &s.arp {
        lines.push(Line {
            frame: q.frame,
            time: q.time,
            text: format!(
                "{:<44} {:<6} who has {}? ({}×{})",
                "",
                "ARP",
                q.target,
                q.count,
                if q.answered {
                    ", answered"
                } else {
                    ", no reply"
                }
            ),
        });
    }
    for i in &s.icmp {
        lines.push(Line {
            frame: i.frame,
            time: i.time,
            text: format!(
                "{:<44} {:<6} unreachable (code {}) for {}{}",
                i.from.to_string(),
                "ICMP",
                i.code,
                i.about,
                if i.count > 1 {
                    format!(" ({}×, last frame {})", i.count, i.last_frame.frame)
                } else {
                    String::new()
                }
            ),
        });
    }
    lines.sort_by_key(|l| l.frame);
    let t0 = s.start;
    let mut findings: Vec<&Finding> = s.findings.iter().collect();
    findings.sort_by_key(|f| f.frames.last().copied());
    let mut fi = 0;
    for l in &lines {
        let when = if style.absolute_time {
            l.time.rfc3339()
        } else {
            format!("{:>10.6}", l.time.secs_since(t0))
        };
        let frame = if multi {
            format!("{}:{}", l.frame.input, l.frame.frame)
        } else {
            l.frame.frame.to_string()
        };
        writeln!(w, "{frame:>7} {when}  {}", l.text)?;
        // Findings go right after the last frame they cite that has been printed.
        while fi < findings.len() && findings[fi].frames.last().is_none_or(|f| *f <= l.frame) {
            let f = findings[fi];
            writeln!(
                w,
                "        {} {} {} — {}",
                style.sev(f.severity),
                f.id,
                style.dim(&format!("[{}]", frames_text(&f.frames, multi))),
                f.message
            )?;
            fi += 1;
        }
    }
    for f in &findings[fi..] {
        writeln!(
            w,
            "        {} {} {} — {}",
            style.sev(f.severity),
            f.id,
            style.dim(&format!("[{}]", frames_text(&f.frames, multi))),
            f.message
        )?;
    }
    writeln!(w)?;
    Ok(())
}

pub fn write(w: &mut dyn Write, r: &Report, style: &Style, show_not_pxe: bool) -> io::Result<()> {
    let multi = r.inputs.len() > 1;
    let files: Vec<&str> = r.inputs.iter().map(|i| i.path.as_str()).collect();
    let n = r.sessions.iter().filter(|s| show_not_pxe || s.pxe).count();
    writeln!(
        w,
        "{} — {} frames, {n} client session(s)\n",
        files.join(", "),
        r.stats.frames
    )?;
    for s in r.sessions.iter().filter(|s| show_not_pxe || s.pxe) {
        write_session(w, s, style, multi)?;
    }
    let cw: Vec<&Finding> = r.findings.iter().collect();
    super::table::write_findings(w, "Capture findings", &cw, style, multi)?;
    super::table::write_decode_notes(w, r, style)?;
    Ok(())
}
