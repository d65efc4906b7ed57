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
    // through serde_json::Value (a BTreeMap per object) halved the cost of -f jsonl. Into a
    // Vec of its own, not straight into `w` through an adapter that turns `{` into `,`: that
    // was slower (1.48 -> 2.01 s on a 40,000-client storm), a dynamic write per JSON token.
    // sonic-rs writes serde_json's bytes (tested in render::json) with SIMD string escaping.
    let body = sonic_rs::to_vec(&v).map_err(io::Error::other)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An object's fields after `"type"`, an empty object, and a non-object under `"value"`.
    #[test]
    fn lines_join_the_type_and_the_object() {
        #[derive(serde::Serialize)]
        struct Two {
            a: u8,
            b: &'static str,
        }
        #[derive(serde::Serialize)]
        struct Empty {}
        let line = |v: &dyn Erased| {
            let mut out = Vec::new();
            v.put(&mut out);
            String::from_utf8(out).expect("utf8")
        };
        trait Erased {
            fn put(&self, w: &mut Vec<u8>);
        }
        impl<T: serde::Serialize> Erased for T {
            fn put(&self, w: &mut Vec<u8>) {
                jsonl_line(w, "k", self).expect("line");
            }
        }
        assert_eq!(
            line(&Two { a: 1, b: "x\"y" }),
            "{\"type\":\"k\",\"a\":1,\"b\":\"x\\\"y\"}\n"
        );
        assert_eq!(line(&Empty {}), "{\"type\":\"k\"}\n");
        assert_eq!(line(&[1, 2]), "{\"type\":\"k\",\"value\":[1,2]}\n");
        assert_eq!(line(&"s"), "{\"type\":\"k\",\"value\":\"s\"}\n");
    }
}
