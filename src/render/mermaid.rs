//! `--format mermaid`: one sequence diagram per client, for pasting into Markdown tickets
//! (GitHub, GitLab and most wikis render ```mermaid blocks).

use super::exchanges::{exchanges, parties, CLIENT};
use crate::model::BootSession;
use crate::report::Report;
use std::io::{self, Write};

/// Mermaid message text: no `;`, `#` or line breaks (they end or escape the statement).
fn text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ';' => ',',
            '#' => '№',
            '\n' | '\r' => ' ',
            c => c,
        })
        .collect()
}

fn alias(i: usize) -> String {
    if i == 0 {
        "C".into()
    } else {
        format!("P{i}")
    }
}

pub fn write_session(w: &mut dyn Write, s: &BootSession) -> io::Result<()> {
    let ex = exchanges(s);
    let ps = parties(&ex);
    let id = |p: &str| {
        ps.iter()
            .position(|x| x == p)
            .map(alias)
            .unwrap_or_else(|| "C".into())
    };
    writeln!(w, "```mermaid")?;
    writeln!(w, "sequenceDiagram")?;
    writeln!(w, "    title {} — {}", text(&s.label()), s.outcome.name())?;
    for (i, p) in ps.iter().enumerate() {
        let name = if p == CLIENT {
            format!("client {}", s.client.mac.clone().unwrap_or_default())
        } else {
            p.clone()
        };
        writeln!(w, "    participant {} as {}", alias(i), text(&name))?;
    }
    let t0 = s.start;
    for e in &ex {
        let arrow = if e.reply { "-->>" } else { "->>" };
        writeln!(
            w,
            "    {}{arrow}{}: {} (frame {}, +{:.3} s)",
            id(&e.from),
            id(&e.to),
            text(&e.label),
            e.frame.frame,
            e.time.secs_since(t0)
        )?;
    }
    let last = alias(ps.len().saturating_sub(1));
    for f in &s.findings {
        writeln!(
            w,
            "    Note over C,{last}: {} {}: {}",
            f.severity.name(),
            f.id,
            text(&f.message)
        )?;
    }
    writeln!(w, "```")
}

pub fn write(w: &mut dyn Write, r: &Report, show_not_pxe: bool) -> io::Result<()> {
    for s in r.sessions.iter().filter(|s| show_not_pxe || s.pxe) {
        write_session(w, s)?;
        writeln!(w)?;
    }
    Ok(())
}
