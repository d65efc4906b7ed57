//! `probe`'s table: one row per synthetic client (the first 50), the failure reasons counted,
//! and per-phase latency percentiles when there were several clients.

use super::Style;
use crate::probe::client::ProbeResult;
use crate::probe::ProbeSummary;
use std::io::{self, Write};

// Long on purpose: probe's output top to bottom (client table, totals, failure counts, latency
// table); the sections share only `out` and `s`, and their order is the output's.
pub fn write_results(
    out: &mut dyn Write,
    results: &[ProbeResult],
    s: &ProbeSummary,
    style: &Style,
) -> io::Result<()> {
    use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
    const SHOW: usize = 50;
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t.set_header(vec![
        "client",
        "arch",
        "address",
        "boot from",
        "file",
        "bytes",
        "result",
    ]);
    for r in results.iter().take(SHOW) {
        let result = if r.ok {
            style.outcome(crate::model::Outcome::Booted)
        } else {
            style.outcome(crate::model::Outcome::Failed)
        };
        let why = r.failure.clone().unwrap_or_else(|| {
            r.timings
                .total_ms
                .map(|t| format!("{:.0} ms", t))
                .unwrap_or_default()
        });
        let from = match (r.boot_server, r.proxy_server) {
            (Some(b), Some(p)) if b != p => format!("{b} (proxy {p})"),
            (Some(b), _) => b.to_string(),
            (None, _) => r
                .dhcp_server
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into()),
        };
        t.add_row(vec![
            Cell::new(format!("{}{}", r.mac, if r.ipxe { " iPXE" } else { "" })),
            Cell::new(format!("{} {}", r.arch, r.arch_name)),
            Cell::new(
                r.leased_ip
                    .map(|i| i.to_string())
                    .or(r.leased_ip6.map(|i| i.to_string()))
                    .unwrap_or_else(|| "-".into()),
            ),
            Cell::new(from),
            Cell::new(
                r.boot_url
                    .clone()
                    .or_else(|| r.boot_file.clone())
                    .unwrap_or_else(|| "-".into()),
            ),
            Cell::new(r.bytes),
            Cell::new(format!("{result} {why}")),
        ]);
    }
    writeln!(out, "{t}")?;
    if results.len() > SHOW {
        writeln!(
            out,
            "… and {} more client(s) (--format json lists all)",
            results.len() - SHOW
        )?;
    }
    writeln!(
        out,
        "{} client(s): {} ok, {} failed in {:.1} s ({} frames sent, {} received)",
        s.clients, s.ok, s.failed, s.wall_s, s.frames_sent, s.frames_received
    )?;
    for (why, n) in &s.failures {
        writeln!(out, "  {n} × {why}")?;
    }
    if s.clients > 1 && !s.latency.is_empty() {
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED);
        t.set_header(vec![
            "phase (ms from DISCOVER)",
            "clients",
            "p50",
            "p90",
            "p99",
            "max",
        ]);
        for l in &s.latency {
            t.add_row(vec![
                l.phase.to_string(),
                l.count.to_string(),
                format!("{:.1}", l.p50_ms),
                format!("{:.1}", l.p90_ms),
                format!("{:.1}", l.p99_ms),
                format!("{:.1}", l.max_ms),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    Ok(())
}
