//! `--html FILE`: one self-contained HTML report (inline CSS, SVG and a few lines of JS; no
//! network fetches) to attach to a ticket: the summary table, then per client a waterfall of
//! its boot (DHCP phases, 4011, each transfer as a bar with size and throughput, retransmission
//! bursts hatched, long gaps marked, findings pinned at their frames), a sequence diagram of the
//! exchanges, and the findings with their fixes. Filters by outcome, arch and text.

use super::esc;
use super::exchanges::{exchanges, parties, spans, time_of, CLIENT};
use super::table::arch_text;
use crate::model::*;
use crate::report::Report;
use std::fmt::Write as _;
use std::io::{self, Write};

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let t: String = s.chars().take(n.saturating_sub(1)).collect();
        format!("{t}…")
    }
}

fn human_bytes(b: u64) -> String {
    match b {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / 1048576.0),
        b if b >= 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:14px 24px}header h1{margin:0 0 4px;font-size:20px}
header p{margin:2px 0;color:#c9cfdb}main{padding:12px 24px}
.filters{margin:10px 0;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
.filters select,.filters input{padding:4px 6px;border:1px solid #b8bfcc;border-radius:4px}
table.sum{border-collapse:collapse;width:100%;background:#fff}table.sum th,table.sum td{border-bottom:1px solid #e3e6ec;padding:5px 8px;text-align:left;vertical-align:top}
table.sum th{background:#eef0f4;position:sticky;top:0}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}
.booted{background:#2e8b57}.failed{background:#c0392b}.incomplete{background:#d68910}.not-pxe{background:#7f8c8d}
.sev-error{color:#c0392b;font-weight:600}.sev-warning{color:#b9770e;font-weight:600}.sev-info{color:#2e6da4;font-weight:600}
section.client{background:#fff;margin:14px 0;border:1px solid #dfe3ea;border-radius:6px;padding:0 14px}
section.client>details>summary{cursor:pointer;padding:10px 0;font-weight:600}
h3{font-size:14px;margin:14px 0 6px;color:#4a5568}
.finding{margin:6px 0;padding:6px 10px;border-left:4px solid #c0392b;background:#fbf2f1}
.finding.warning{border-color:#d68910;background:#fdf6ec}.finding.info{border-color:#2e6da4;background:#eef4fb}
.finding .hint{color:#4a5568;font-size:13px}.frames{color:#718096;font-size:12px}
svg text{font:11px system-ui,sans-serif}svg .lbl{fill:#1d2330}svg .dim{fill:#718096}svg .inbar{fill:#fff}
.legend span{display:inline-block;margin-right:14px;font-size:12px}.legend i{display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:middle}
.scroll{overflow-x:auto}
"#;

const SCRIPT: &str = r#"
function applyFilters(){
  var o=document.getElementById('fo').value,a=document.getElementById('fa').value,q=document.getElementById('fq').value.toLowerCase();
  var shown=0;
  document.querySelectorAll('[data-outcome]').forEach(function(el){
    var ok=(!o||el.dataset.outcome===o)&&(!a||el.dataset.arch===a)&&(!q||el.dataset.text.indexOf(q)>=0);
    el.style.display=ok?'':'none'; if(ok&&el.tagName==='SECTION')shown++;
  });
  document.getElementById('shown').textContent=shown;
}
document.querySelectorAll('.filters select,.filters input').forEach(function(e){e.addEventListener('input',applyFilters)});
"#;

const COLORS: [(&str, &str); 6] = [
    ("dhcp", "#3b7dd8"),
    ("proxy", "#8e44ad"),
    ("bootserver", "#8e44ad"),
    ("tftp", "#2e8b57"),
    ("http", "#16a085"),
    ("tftp-expected-miss", "#a0aec0"),
];

fn color(kind: &str) -> &'static str {
    COLORS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, c)| *c)
        .unwrap_or("#7f8c8d")
}

// Long on purpose: the SVG's layers in drawing order (axis, bars and notes, gaps, finding pins),
// all on one x() scale and one set of geometry constants.
fn waterfall(s: &BootSession, out: &mut String) {
    let sp = spans(s);
    let t0 = s.start.0;
    let total = (s.end.0 - t0).max(1_000_000) as f64;
    let (label_w, bar_w, row) = (240.0, 640.0, 22.0);
    let pins: Vec<(f64, &Finding)> = s
        .findings
        .iter()
        .map(|f| {
            (
                f.frames
                    .first()
                    .map(|fr| time_of(s, fr).0)
                    .unwrap_or(s.end.0),
                f,
            )
        })
        .map(|(t, f)| (((t - t0) as f64 / total).clamp(0.0, 1.0), f))
        .collect();
    let rows_h = 34.0 + row * sp.len().max(1) as f64;
    let height = rows_h + 24.0;
    let x = |t: i64| label_w + ((t - t0) as f64 / total).clamp(0.0, 1.0) * bar_w;
    let _ = write!(
        out,
        r#"<div class="scroll"><svg class="waterfall" width="{}" height="{height}" role="img" aria-label="boot waterfall">"#,
        label_w + bar_w + 20.0
    );
    out.push_str(r##"<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#c0392b" stroke-width="2"/></pattern></defs>"##);
    // Time axis with 5 ticks.
    for i in 0..=5 {
        let tx = label_w + bar_w * i as f64 / 5.0;
        let secs = total / 1e9 * i as f64 / 5.0;
        let _ = write!(
            out,
            r##"<line x1="{tx}" y1="16" x2="{tx}" y2="{}" stroke="#e3e6ec"/><text x="{tx}" y="12" text-anchor="middle" class="dim">{secs:.2} s</text>"##,
            height - 6.0
        );
    }
    for (i, p) in sp.iter().enumerate() {
        let y = 24.0 + row * i as f64;
        let (x1, x2) = (x(p.start.0), x(p.end.0));
        let w = (x2 - x1).max(2.0);
        let stroke = if p.ok { "none" } else { "#c0392b" };
        let _ = write!(
            out,
            r#"<text x="4" y="{}" class="lbl">{}</text>"#,
            y + 13.0,
            esc(&short(&p.label, 34))
        );
        let _ = write!(
            out,
            r#"<rect x="{x1:.1}" y="{y}" width="{w:.1}" height="16" rx="2" fill="{}" stroke="{stroke}" stroke-width="2"><title>{} — {} (frame {}, +{:.3} s, {:.3} s long)</title></rect>"#,
            color(p.kind),
            esc(&p.label),
            esc(&p.detail),
            p.frame.frame,
            (p.start.0 - t0) as f64 / 1e9,
            (p.end.0 - p.start.0) as f64 / 1e9
        );
        if p.detail.contains("retransmit") && !p.detail.contains(" 0 retransmit") {
            let _ = write!(
                out,
                r#"<rect x="{x1:.1}" y="{y}" width="{w:.1}" height="16" fill="url(#hatch)" opacity="0.6"><title>retransmissions</title></rect>"#
            );
        }
        // The detail goes where it fits: right of the bar, else left of it, else inside it.
        let note = short(&p.detail, 70);
        let need = 6.0 * note.chars().count() as f64 + 8.0;
        let (tx, anchor, class) = if x2 + need <= label_w + bar_w + 20.0 {
            (x2 + 6.0, "start", "dim")
        } else if x1 - need >= label_w {
            (x1 - 6.0, "end", "dim")
        } else {
            (x1 + 4.0, "start", "inbar")
        };
        let _ = write!(
            out,
            r#"<text x="{tx:.1}" y="{}" text-anchor="{anchor}" class="{class}">{}</text>"#,
            y + 12.0,
            esc(&note)
        );
    }
    // Gaps of a second or more between consecutive activities.
    let mut sorted: Vec<&super::exchanges::Span> = sp.iter().collect();
    sorted.sort_by_key(|p| p.start.0);
    let mut reach = t0;
    for p in &sorted {
        if p.start.0 - reach >= 1_000_000_000 {
            let (a, b) = (x(reach), x(p.start.0));
            // Silence on the wire (firmware timeouts, prompts): a dashed line on the bottom row.
            let gy = rows_h + 2.0;
            let _ = write!(
                out,
                r##"<line x1="{a:.1}" y1="{gy}" x2="{b:.1}" y2="{gy}" stroke="#d68910" stroke-width="2" stroke-dasharray="4,3"/><text x="{:.1}" y="{}" text-anchor="middle" fill="#b9770e">gap {:.1} s</text>"##,
                (a + b) / 2.0,
                gy + 13.0,
                (p.start.0 - reach) as f64 / 1e9
            );
        }
        reach = reach.max(p.end.0);
    }
    for (r, f) in &pins {
        let px = label_w + r * bar_w;
        let col = match f.severity {
            Severity::Error => "#c0392b",
            Severity::Warning => "#d68910",
            Severity::Info => "#2e6da4",
        };
        let _ = write!(
            out,
            r#"<path d="M{:.1},16 l5,-9 l-10,0 z" fill="{col}"><title>{} {}: {}</title></path>"#,
            px,
            f.severity.name(),
            esc(&f.id),
            esc(&f.message)
        );
    }
    out.push_str("</svg></div>");
}

fn sequence(s: &BootSession, out: &mut String) {
    const MAX: usize = 150;
    let ex = exchanges(s);
    let ps = parties(&ex);
    let col = 190.0;
    let row = 22.0;
    let shown = ex.len().min(MAX);
    let width = col * ps.len() as f64 + 20.0;
    let height = 40.0 + row * shown as f64 + 10.0;
    let cx = |p: &str| 10.0 + col * ps.iter().position(|x| x == p).unwrap_or(0) as f64 + col / 2.0;
    let _ = write!(
        out,
        r#"<div class="scroll"><svg class="sequence" width="{width}" height="{height}" role="img" aria-label="sequence diagram">"#
    );
    out.push_str(r##"<defs><marker id="arr" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#4a5568"/></marker></defs>"##);
    for p in &ps {
        let name = if p == CLIENT {
            format!("client {}", s.client.mac.clone().unwrap_or_default())
        } else {
            p.clone()
        };
        let x = cx(p);
        let _ = write!(
            out,
            r##"<rect x="{:.1}" y="4" width="{}" height="20" rx="3" fill="#eef0f4" stroke="#b8bfcc"/><text x="{x:.1}" y="18" text-anchor="middle" class="lbl">{}</text><line x1="{x:.1}" y1="24" x2="{x:.1}" y2="{}" stroke="#b8bfcc" stroke-dasharray="4,3"/>"##,
            x - col / 2.0 + 6.0,
            col - 12.0,
            esc(&short(&name, 28)),
            height - 4.0
        );
    }
    for (i, e) in ex.iter().take(MAX).enumerate() {
        let y = 44.0 + row * i as f64;
        let (x1, x2) = (cx(&e.from), cx(&e.to));
        let dash = if e.reply {
            r#" stroke-dasharray="5,3""#
        } else {
            ""
        };
        let (x2a, mid) = if (x2 - x1).abs() < 1.0 {
            (x1 + 30.0, x1 + 34.0)
        } else {
            (x2, (x1 + x2) / 2.0)
        };
        let _ = write!(
            out,
            r##"<line x1="{x1:.1}" y1="{y}" x2="{x2a:.1}" y2="{y}" stroke="{}" stroke-width="1.5"{dash} marker-end="url(#arr)"/>"##,
            color(e.kind)
        );
        let _ = write!(
            out,
            r#"<text x="{mid:.1}" y="{}" text-anchor="middle" class="lbl"><title>frame {} +{:.3} s: {}</title>{}</text>"#,
            y - 4.0,
            e.frame.frame,
            e.time.secs_since(s.start),
            esc(&e.label),
            esc(&short(&e.label, 52))
        );
    }
    out.push_str("</svg></div>");
    if ex.len() > MAX {
        let _ = write!(
            out,
            "<p class=\"dim\">… {} more exchanges (the JSON output has them all)</p>",
            ex.len() - MAX
        );
    }
}

fn findings_html(fs: &[&Finding], multi: bool, out: &mut String) {
    for f in fs {
        let sev = f.severity.name();
        let _ = write!(
            out,
            r#"<div class="finding {sev}"><span class="sev-{sev}">{sev}</span> <b>{}</b> — {}<div class="hint">Fix: {}</div><div class="frames">{}</div></div>"#,
            esc(&f.id),
            esc(&f.message),
            esc(&f.hint),
            esc(&super::frames_text(&f.frames, multi))
        );
    }
}

/// The whole report as one string.
// Long on purpose: the page top to bottom in document order (header, filters, summaries, client
// sections); table rows and sections carry the same data-* attributes SCRIPT filters on.
pub fn render(r: &Report, title: &str) -> String {
    let multi = r.inputs.len() > 1;
    let mut o = String::with_capacity(64 * 1024);
    let count = |oc: Outcome| r.sessions.iter().filter(|s| s.outcome == oc).count();
    let _ = write!(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>{STYLE}</style></head><body>", esc(title));
    let inputs: Vec<String> = r
        .inputs
        .iter()
        .map(|i| format!("{} ({} frames)", i.path, i.frames))
        .collect();
    let _ = write!(
        o,
        "<header><h1>{}</h1><p>{}</p><p>{} client(s): {} booted, {} failed, {} incomplete, {} not PXE · {}</p></header><main>",
        esc(title),
        esc(&inputs.join(", ")),
        r.sessions.len(),
        count(Outcome::Booted),
        count(Outcome::Failed),
        count(Outcome::Incomplete),
        count(Outcome::NotPxe),
        esc(&r.tool)
    );
    let mut arches: Vec<String> = r.sessions.iter().map(arch_text).collect();
    arches.sort();
    arches.dedup();
    o.push_str(r#"<div class="filters">Outcome <select id="fo"><option value="">all</option><option>booted</option><option>failed</option><option>incomplete</option><option>not-pxe</option></select> Arch <select id="fa"><option value="">all</option>"#);
    for a in &arches {
        let _ = write!(o, "<option>{}</option>", esc(a));
    }
    let _ = write!(
        o,
        r#"</select> <input id="fq" placeholder="MAC, IP or file"> <span><span id="shown">{}</span> shown</span></div>"#,
        r.sessions.len()
    );
    o.push_str(r#"<div class="legend"><span><i style="background:#3b7dd8"></i>DHCP</span><span><i style="background:#8e44ad"></i>proxy / 4011</span><span><i style="background:#2e8b57"></i>TFTP</span><span><i style="background:#16a085"></i>HTTP</span><span><i style="background:#a0aec0"></i>not found, normal (config search)</span><span><i style="border:2px solid #c0392b"></i>failed</span><span><i style="background:repeating-linear-gradient(45deg,#c0392b 0 2px,#fff 2px 5px)"></i>retransmissions</span><span>▼ finding</span></div>"#);
    // Many clients: what went wrong, across clients, first; then problems first in the table.
    let many = r.sessions.len() > 20;
    if many {
        let mut by_id: Vec<(String, Severity, usize, u64)> = vec![];
        for s in &r.sessions {
            let mut seen: Vec<&str> = vec![];
            for f in &s.findings {
                if seen.contains(&f.id.as_str()) {
                    continue;
                }
                seen.push(&f.id);
                match by_id.iter_mut().find(|(id, ..)| *id == f.id) {
                    Some(e) => e.2 += 1,
                    None => by_id.push((f.id.clone(), f.severity, 1, s.id)),
                }
            }
        }
        by_id.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)));
        o.push_str("<h3>Findings across clients</h3><table class=\"sum\"><thead><tr><th>finding</th><th>severity</th><th>clients</th><th>first</th></tr></thead><tbody>");
        for (id, sev, n, first) in &by_id {
            let _ = write!(
                o,
                r##"<tr><td><b>{}</b></td><td class="sev-{}">{}</td><td>{n}</td><td><a href="#s{first}">client</a></td></tr>"##,
                esc(id),
                sev.name(),
                sev.name()
            );
        }
        if by_id.is_empty() {
            o.push_str("<tr><td colspan=4>none</td></tr>");
        }
        o.push_str("</tbody></table><h3>Clients (problems first)</h3>");
    }
    let rank = |oc: Outcome| match oc {
        Outcome::Failed => 0,
        Outcome::Incomplete => 1,
        Outcome::Booted => 2,
        Outcome::NotPxe => 3,
    };
    let mut order: Vec<&BootSession> = r.sessions.iter().collect();
    if many {
        order.sort_by_key(|s| rank(s.outcome));
    }
    o.push_str("<table class=\"sum\"><thead><tr><th>client</th><th>arch</th><th>ip</th><th>boot file(s)</th><th>transfers</th><th>duration</th><th>outcome</th><th>findings</th></tr></thead><tbody>");
    let text_of = |s: &BootSession| {
        format!(
            "{} {} {}",
            s.label(),
            s.ip.map(|i| i.to_string()).unwrap_or_default(),
            s.boot_files().join(" ")
        )
        .to_lowercase()
    };
    for s in &order {
        let ids: Vec<&str> = s.findings.iter().map(|f| f.id.as_str()).collect();
        let bytes = s.tftp_bytes() + s.http.iter().map(|h| h.bytes).sum::<u64>();
        let _ = write!(
            o,
            r##"<tr data-outcome="{}" data-arch="{}" data-text="{}"><td><a href="#s{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{} · {}</td><td>{:.1} s</td><td><span class="badge {}">{}</span></td><td>{}</td></tr>"##,
            s.outcome.name(),
            esc(&arch_text(s)),
            esc(&text_of(s)),
            s.id,
            esc(&s.label()),
            esc(&arch_text(s)),
            s.ip.map(|i| i.to_string()).unwrap_or_else(|| "-".into()),
            esc(&s.boot_files().join(", ")),
            s.tftp.len() + s.http.len(),
            human_bytes(bytes),
            s.duration_s,
            s.outcome.name(),
            s.outcome.name(),
            esc(&ids.join(", "))
        );
    }
    o.push_str("</tbody></table>");
    if !r.findings.is_empty() {
        o.push_str("<h3>Capture-wide findings</h3>");
        let fs: Vec<&Finding> = r.findings.iter().collect();
        findings_html(&fs, multi, &mut o);
    }
    // Many clients: details start closed so the page stays light to scroll.
    let open = if r.sessions.len() <= 20 { " open" } else { "" };
    for s in &r.sessions {
        let _ = write!(
            o,
            r#"<section class="client" id="s{}" data-outcome="{}" data-arch="{}" data-text="{}"><details{open}><summary>{} · {} · <span class="badge {}">{}</span> · {} finding(s)</summary>"#,
            s.id,
            s.outcome.name(),
            esc(&arch_text(s)),
            esc(&text_of(s)),
            esc(&s.label()),
            esc(&arch_text(s)),
            s.outcome.name(),
            s.outcome.name(),
            s.findings.len()
        );
        let vc = s.client.vendor_class.clone().unwrap_or_default();
        let _ = write!(
            o,
            "<p>vendor class <code>{}</code>{} · started {} · {} frames {}–{}</p>",
            esc(&vc),
            if s.client.ipxe { " · iPXE" } else { "" },
            esc(&s.start.rfc3339()),
            s.last_frame.frame.saturating_sub(s.first_frame.frame) + 1,
            s.first_frame.frame,
            s.last_frame.frame
        );
        o.push_str("<h3>Waterfall</h3>");
        waterfall(s, &mut o);
        o.push_str("<h3>Sequence</h3>");
        sequence(s, &mut o);
        if !s.findings.is_empty() {
            o.push_str("<h3>Findings</h3>");
            let fs: Vec<&Finding> = s.findings.iter().collect();
            findings_html(&fs, multi, &mut o);
        }
        o.push_str("</details></section>");
    }
    let _ = writeln!(o, "</main><script>{SCRIPT}</script></body></html>");
    o
}

pub fn write_file(path: &str, r: &Report) -> Result<(), String> {
    let title = format!(
        "pxe-inspect report: {}",
        r.inputs
            .iter()
            .map(|i| i.path.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let html = render(r, &title);
    let mut f = std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?;
    f.write_all(html.as_bytes())
        .map_err(|e: io::Error| format!("{path}: {e}"))
}
