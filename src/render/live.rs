//! What `capture` and `serve` print while they run: a line per progress event and per closed
//! session (text in the renderer's colours, or `-f jsonl` records naming rotated files).

use super::jsonl::jsonl_line;
use super::Style;
use crate::cli::Format;
use crate::model::BootSession;
use crate::session::Event;
use crate::source::rotate::Output;
use std::io::{self, Write};

pub fn time_of_day(ts: i64) -> String {
    let t = crate::model::Timestamp(ts).rfc3339();
    t.get(11..23).unwrap_or("").to_string()
}

/// A JSONL line; with rotated files, every frame reference also names its file
/// (`"in_file": {"file": NAME, "frame": N}`).
pub fn jsonl_record(
    out: &mut dyn Write,
    kind: &str,
    v: &impl serde::Serialize,
    files: Option<&Output>,
) -> io::Result<()> {
    match files.filter(|f| f.multi()) {
        Some(f) => {
            let mut val = serde_json::to_value(v).map_err(io::Error::other)?;
            f.annotate(&mut val);
            jsonl_line(out, kind, &val)
        }
        None => jsonl_line(out, kind, v),
    }
}

/// One line per progress event, in the renderer's colours.
pub fn write_event(
    out: &mut dyn Write,
    e: &Event,
    style: &Style,
    format: Format,
    files: Option<&Output>,
) -> io::Result<()> {
    if format == Format::Jsonl {
        return jsonl_record(out, "event", e, files);
    }
    writeln!(
        out,
        "{}  {} frame {:<6} {:<5} {}",
        style.dim(&time_of_day(e.time.0)),
        style.bold(&e.client),
        e.frame.frame,
        e.kind,
        e.text
    )
}

pub fn write_closed(
    out: &mut dyn Write,
    s: &BootSession,
    style: &Style,
    format: Format,
    files: Option<&Output>,
) -> io::Result<()> {
    if format == Format::Jsonl {
        return jsonl_record(out, "session", s, files);
    }
    writeln!(
        out,
        "{}  {} session closed ({}): {}, {} finding(s)",
        style.dim(&time_of_day(s.end.0)),
        style.bold(&s.label()),
        s.closed_by.name(),
        style.outcome(s.outcome),
        s.findings.len()
    )?;
    for f in &s.findings {
        writeln!(
            out,
            "      {} {} — {}",
            style.sev(f.severity),
            f.id,
            f.message
        )?;
    }
    Ok(())
}
