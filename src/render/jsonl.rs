//! `-f jsonl`: one JSON object a line (`type` first), the same for analyze, capture, serve and
//! probe; the stream ends with one summary line (schema `pxe-inspect/jsonl/1`).

use crate::report::{Report, JSONL_SCHEMA};
use std::io::{self, Write};

/// The last line of every `-f jsonl` stream (analyze, capture, serve, probe): one writer, so
/// they agree. `sessions` is the number of `session` lines this stream wrote; `extra` adds a
/// subcommand's own key (capture's `pcap` counters, probe's `probe` summary).
pub fn write_jsonl_summary(
    out: &mut dyn std::io::Write,
    r: &Report,
    sessions_written: u64,
    extra: Option<(&str, serde_json::Value)>,
) -> std::io::Result<()> {
    let mut v = serde_json::json!({
        "schema": JSONL_SCHEMA,
        "tool": r.tool,
        "inputs": r.inputs,
        "stats": r.stats,
        "sessions": sessions_written,
    });
    if let (Some((k, x)), serde_json::Value::Object(m)) = (extra, &mut v) {
        m.insert(k.to_string(), x);
    }
    jsonl_line(out, "summary", v)
}

/// One `-f jsonl` line: `{"type":KIND,` then the object's own fields.
pub fn jsonl_line(w: &mut dyn Write, kind: &str, v: impl serde::Serialize) -> io::Result<()> {
    // `{"type":KIND,` + the object's own fields: serialising straight to bytes instead of
    // through serde_json::Value (a BTreeMap per object) halved the cost of -f jsonl.
    let body = serde_json::to_vec(&v).map_err(io::Error::other)?;
    match body.split_first() {
        Some((b'{', rest)) => {
            w.write_all(b"{\"type\":")?;
            serde_json::to_writer(&mut *w, kind).map_err(io::Error::other)?;
            if rest != b"}" {
                w.write_all(b",")?;
            }
            w.write_all(rest)?;
        }
        _ => {
            serde_json::to_writer(&mut *w, &serde_json::json!({"type": kind, "value": serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default()})).map_err(io::Error::other)?;
        }
    }
    w.write_all(b"\n")
}
