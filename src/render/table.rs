//! The default view: one row per client, then the findings.

use super::{frames_text, Style};
use crate::model::*;
use crate::report::Report;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use std::io::{self, Write};

fn human_bytes(b: u64) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64)
    } else if b >= 1024 {
        format!("{:.1} KiB", b as f64 / 1024.0)
    } else {
        format!("{b} B")
    }
}

pub fn arch_text(s: &BootSession) -> String {
    match s.client.arch.code {
        Some(c) => format!("{c} {}", s.client.arch.name),
        None => "?".into(),
    }
}

fn servers(s: &BootSession) -> String {
    let mut v: Vec<String> = Vec::new();
    for st in &s.stages {
        for o in &st.offers {
            let tag = match o.kind {
                OfferKind::Proxy => format!("{} (proxy)", o.server),
                OfferKind::BootServer => format!("{} (4011)", o.server),
                OfferKind::Dhcpv6 => format!("{} (v6)", o.server),
                _ => o.server.to_string(),
            };
            if !v.contains(&tag) {
                v.push(tag);
            }
        }
    }
    if v.len() > 4 {
        let more = v.len() - 3;
        v.truncate(3);
        v.push(format!("… {more} more"));
    }
    v.join("\n")
}

pub fn session_table(sessions: &[&BootSession], style: &Style) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t.set_header(vec![
        "client",
        "arch",
        "ip",
        "servers",
        "boot file(s)",
        "transfers",
        "duration",
        "outcome",
        "findings",
    ]);
    for s in sessions {
        let files = s.boot_files();
        let done = s.tftp.iter().filter(|x| x.ok()).count()
            + s.http
                .iter()
                .filter(|h| h.status == TransferStatus::Complete)
                .count();
        let n = s.tftp.len() + s.http.len();
        let bytes = s.tftp_bytes() + s.http.iter().map(|h| h.bytes).sum::<u64>();
        let tftp = if n == 0 {
            "-".to_string()
        } else {
            format!("{done}/{n} files\n{}", human_bytes(bytes))
        };
        let (e, w) = (
            s.findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count(),
            s.findings
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .count(),
        );
        let i = s.findings.len() - e - w;
        let mut label = s.label();
        if s.client.ipxe {
            label.push_str("\niPXE");
        }
        t.add_row(vec![
            Cell::new(label),
            Cell::new(arch_text(s)),
            Cell::new(s.ip.map(|i| i.to_string()).unwrap_or_else(|| "-".into())),
            Cell::new(servers(s)),
            Cell::new(if files.is_empty() {
                "-".into()
            } else {
                files.join("\n")
            }),
            Cell::new(tftp),
            Cell::new(format!("{:.1} s", s.duration_s)),
            Cell::new(style.outcome(s.outcome)),
            Cell::new(if s.findings.is_empty() {
                "-".into()
            } else {
                format!("{e} error\n{w} warning\n{i} info")
            }),
        ]);
    }
    t
}

pub fn write_findings(
    w: &mut dyn Write,
    title: &str,
    findings: &[&Finding],
    style: &Style,
    multi: bool,
) -> io::Result<()> {
    if findings.is_empty() {
        return Ok(());
    }
    writeln!(w, "\n{}", style.bold(title))?;
    for f in findings {
        writeln!(
            w,
            "  {} {} [{}]",
            style.sev(f.severity),
            style.bold(&f.id),
            frames_text(&f.frames, multi)
        )?;
        writeln!(w, "      {}", f.message)?;
        writeln!(w, "      {} {}", style.dim("fix:"), f.hint)?;
    }
    Ok(())
}

pub fn write(w: &mut dyn Write, r: &Report, style: &Style, show_not_pxe: bool) -> io::Result<()> {
    let multi = r.inputs.len() > 1;
    let shown: Vec<&BootSession> = r
        .sessions
        .iter()
        .filter(|s| show_not_pxe || s.pxe)
        .collect();
    let hidden = r.sessions.len() - shown.len();
    let files: Vec<&str> = r.inputs.iter().map(|i| i.path.as_str()).collect();
    writeln!(
        w,
        "{} — {} frames, {} client session(s){}",
        files.join(", "),
        r.stats.frames,
        shown.len(),
        if hidden > 0 {
            format!(" ({hidden} non-PXE hidden)")
        } else {
            String::new()
        }
    )?;
    if !shown.is_empty() {
        writeln!(w, "{}", session_table(&shown, style))?;
    }
    for s in &shown {
        let f: Vec<&Finding> = s.findings.iter().collect();
        write_findings(
            w,
            &format!("Findings for {} ({})", s.label(), style.outcome(s.outcome)),
            &f,
            style,
            multi,
        )?;
    }
    let cw: Vec<&Finding> = r.findings.iter().collect();
    write_findings(w, "Capture findings", &cw, style, multi)?;
    write_decode_notes(w, r, style)?;
    Ok(())
}

pub fn write_decode_notes(w: &mut dyn Write, r: &Report, style: &Style) -> io::Result<()> {
    let st = &r.stats;
    if st.malformed.is_empty() && st.unknown_linktypes.is_empty() && st.timestamps_backwards == 0 {
        return Ok(());
    }
    writeln!(w, "\n{}", style.bold("Decoding notes"))?;
    for (layer, n) in &st.malformed {
        writeln!(w, "  {n} malformed or cut {layer} packet(s)")?;
    }
    for m in st.malformed_samples.iter().take(5) {
        let file = r
            .inputs
            .get(m.input)
            .map(|i| i.path.as_str())
            .unwrap_or("?");
        writeln!(
            w,
            "    {file} frame {} byte {}: {} — {}",
            m.frame,
            m.offset,
            m.layer.name(),
            m.what
        )?;
    }
    for (lt, n) in &st.unknown_linktypes {
        writeln!(w, "  {n} frame(s) with unsupported link type {lt} skipped")?;
    }
    if st.timestamps_backwards > 0 {
        writeln!(w, "  {} frame(s) with timestamps earlier than a previous frame (merged or re-clocked capture)", st.timestamps_backwards)?;
    }
    Ok(())
}
