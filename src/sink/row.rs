//! One closed session record, flattened into one row of `pxe_inspect.sessions`
//! (contrib/clickhouse/schema.sql). Pure: no I/O, no clock.
//!
//! ClickHouse 18.16's JSONEachRow takes no arrays of objects, so findings and transfers are
//! Nested columns sent as parallel arrays under dotted keys (`findings.id`, `findings.severity`,
//! `tftp.file`, `tftp.bytes`, ...), one element per finding or transfer.

use crate::model::{BootSession, Severity};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The row's key: the first 16 bytes of SHA-256 over (sensor, client identity, first-frame time
/// in nanoseconds), in hex. The same session seen by the same sensor always gets the same id,
/// so a batch sent twice replaces its rows (ReplacingMergeTree ORDER BY session_id).
pub fn session_id(sensor: &str, s: &BootSession) -> String {
    let identity = match (&s.client.mac, &s.client.duid) {
        (Some(m), _) => format!("mac:{m}"),
        (None, Some(d)) => format!("duid:{d}"),
        (None, None) => format!("label:{}", s.label()),
    };
    let mut h = Sha256::new();
    h.update(sensor.as_bytes());
    h.update([0]);
    h.update(identity.as_bytes());
    h.update([0]);
    h.update(s.start.0.to_be_bytes());
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Nanoseconds since the epoch as (DateTime seconds, nanoseconds in that second). DateTime is
/// an unsigned 32-bit count of seconds: times outside it are clamped.
pub fn split_time(ns: i64) -> (u32, u32) {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000) as u32;
    (secs.clamp(0, u32::MAX as i64) as u32, nanos)
}

/// A Float64 column takes no null: NaN and infinities (which serde_json writes as null) are 0.
fn finite(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

fn push_unique(v: &mut Vec<String>, x: String) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// The row for `s` as seen by `sensor`; `tool` is the writing program ("pxe-inspect 0.1.0").
// Long on purpose: one put per column of contrib/clickhouse/schema.sql, in the schema's order,
// so the two read side by side; each Nested sub-column is one parallel array, one put each.
pub fn row(s: &BootSession, sensor: &str, tool: &str) -> Value {
    let c = &s.client;
    let (start, start_ns) = split_time(s.start.0);
    let (end, _) = split_time(s.end.0);
    let mut xids = Vec::new();
    let mut servers = Vec::new();
    let mut boot_servers = Vec::new();
    let mut relays = Vec::new();
    for st in &s.stages {
        for x in &st.xids {
            push_unique(&mut xids, x.to_string());
        }
        for o in &st.offers {
            push_unique(&mut servers, o.server.to_string());
        }
        if let Some(b) = &st.boot_server {
            push_unique(&mut boot_servers, b.clone());
        }
        if let Some(r) = st.relay {
            push_unique(&mut relays, r.to_string());
        }
    }
    for t in &s.tftp {
        push_unique(&mut servers, t.server.to_string());
        push_unique(&mut boot_servers, t.server.to_string());
    }
    for h in &s.http {
        push_unique(&mut servers, h.server.to_string());
        push_unique(&mut boot_servers, h.server.to_string());
    }
    let worst = s.worst_severity();
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("session_id", json!(session_id(sensor, s)));
    put("sensor", json!(sensor));
    put("tool", json!(tool));
    put("mac", json!(c.mac.as_deref().unwrap_or("")));
    put("duid", json!(c.duid.as_deref().unwrap_or("")));
    put("uuid", json!(c.uuid.as_deref().unwrap_or("")));
    put("ip", json!(s.ip.map(|i| i.to_string()).unwrap_or_default()));
    put("hostname", json!(c.hostname.as_deref().unwrap_or("")));
    put("arch_code", json!(c.arch.code));
    put("arch_name", json!(c.arch.name()));
    put("arch_family", json!(c.arch.family.name()));
    put("http_boot", json!(u8::from(c.arch.http)));
    put(
        "vendor_class",
        json!(c.vendor_class.as_deref().unwrap_or("")),
    );
    put("user_class", json!(c.user_class));
    put("undi", json!(c.undi.as_deref().unwrap_or("")));
    put("ipxe", json!(u8::from(c.ipxe)));
    put("pxe", json!(u8::from(s.pxe)));
    put("outcome", json!(s.outcome.name()));
    put("closed_by", json!(s.closed_by.name()));
    put("start", json!(start));
    put("start_ns", json!(start_ns));
    put("end", json!(end));
    put("duration_s", json!(finite(s.duration_s)));
    put("stages", json!(s.stages.len().min(u16::MAX as usize)));
    put("xids", json!(xids));
    put("servers", json!(servers));
    put("boot_servers", json!(boot_servers));
    put("boot_files", json!(s.boot_files()));
    put("relays", json!(relays));
    put(
        "dhcp_messages",
        json!((s.dhcp.len() as u64 + s.dhcp_messages_dropped).min(u32::MAX as u64)),
    );
    put("tftp_bytes", json!(s.tftp_bytes()));
    put(
        "http_bytes",
        json!(s.http.iter().map(|h| h.bytes).sum::<u64>()),
    );
    put(
        "worst_severity",
        json!(worst.map(Severity::name).unwrap_or("")),
    );
    let f = &s.findings;
    put(
        "findings.id",
        json!(f.iter().map(|x| &x.id).collect::<Vec<_>>()),
    );
    put(
        "findings.severity",
        json!(f.iter().map(|x| x.severity.name()).collect::<Vec<_>>()),
    );
    put(
        "findings.message",
        json!(f.iter().map(|x| &x.message).collect::<Vec<_>>()),
    );
    let t = &s.tftp;
    put(
        "tftp.file",
        json!(t.iter().map(|x| &x.file).collect::<Vec<_>>()),
    );
    put(
        "tftp.server",
        json!(t.iter().map(|x| x.server.to_string()).collect::<Vec<_>>()),
    );
    put(
        "tftp.status",
        json!(t.iter().map(|x| x.status.name()).collect::<Vec<_>>()),
    );
    put(
        "tftp.bytes",
        json!(t.iter().map(|x| x.bytes).collect::<Vec<_>>()),
    );
    put(
        "tftp.tsize",
        json!(t.iter().map(|x| x.tsize).collect::<Vec<_>>()),
    );
    put(
        "tftp.blksize",
        json!(t.iter().map(|x| x.blksize).collect::<Vec<_>>()),
    );
    put(
        "tftp.retransmits",
        json!(t.iter().map(|x| x.retransmits).collect::<Vec<_>>()),
    );
    put(
        "tftp.error_code",
        json!(t
            .iter()
            .map(|x| x.error.as_ref().map(|e| e.code))
            .collect::<Vec<_>>()),
    );
    put(
        "tftp.error_message",
        json!(t
            .iter()
            .map(|x| x.error.as_ref().map(|e| e.message.as_str()).unwrap_or(""))
            .collect::<Vec<_>>()),
    );
    put(
        "tftp.duration_s",
        json!(t.iter().map(|x| finite(x.duration_s)).collect::<Vec<_>>()),
    );
    let h = &s.http;
    put(
        "http.url",
        json!(h.iter().map(|x| &x.url).collect::<Vec<_>>()),
    );
    put(
        "http.server",
        json!(h.iter().map(|x| x.server.to_string()).collect::<Vec<_>>()),
    );
    put(
        "http.status",
        json!(h.iter().map(|x| x.status.name()).collect::<Vec<_>>()),
    );
    put(
        "http.status_code",
        json!(h.iter().map(|x| x.status_code).collect::<Vec<_>>()),
    );
    put(
        "http.bytes",
        json!(h.iter().map(|x| x.bytes).collect::<Vec<_>>()),
    );
    put(
        "http.duration_s",
        json!(h.iter().map(|x| finite(x.duration_s)).collect::<Vec<_>>()),
    );
    Value::Object(m)
}

/// The row as one JSONEachRow line (with its newline).
pub fn row_line(s: &BootSession, sensor: &str, tool: &str) -> String {
    let mut line = row(s, sensor, tool).to_string();
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::StormConfig;

    /// The closed sessions of a small synthetic storm (with failures).
    pub(crate) fn storm_sessions(tag: &str) -> Vec<BootSession> {
        let dir = std::env::temp_dir().join(format!("pxe-sink-row-{tag}-{}", std::process::id()));
        let cfg = StormConfig {
            seed: 5,
            clients: 40,
            rate: 40.0,
            fail_percent: 40,
            bios_file_bytes: 3_000,
            efi_file_bytes: 6_000,
            ..StormConfig::default()
        };
        crate::synth::analyzed_sessions(cfg, &dir).expect("storm")
    }

    #[test]
    fn rows_are_flat_with_aligned_nested_arrays() {
        let sessions = storm_sessions("flat");
        assert!(sessions.len() >= 40);
        assert!(sessions.iter().any(|s| !s.findings.is_empty()));
        let mut ids = std::collections::HashSet::new();
        for s in &sessions {
            let r = row(s, "rack-1", "pxe-inspect test");
            let m = r.as_object().expect("object");
            // Flat: no value is an object, no array holds one (18.16's JSONEachRow).
            for (k, v) in m {
                assert!(!v.is_object(), "{k}");
                if let Some(a) = v.as_array() {
                    assert!(a.iter().all(|x| !x.is_object() && !x.is_array()), "{k}");
                }
            }
            for (group, n) in [("findings", s.findings.len()), ("tftp", s.tftp.len())] {
                for (k, v) in m
                    .iter()
                    .filter(|(k, _)| k.starts_with(&format!("{group}.")))
                {
                    assert_eq!(v.as_array().map(Vec::len), Some(n), "{k}");
                }
            }
            assert_eq!(m["session_id"], json!(session_id("rack-1", s)));
            assert_eq!(m["outcome"], json!(s.outcome.name()));
            let (secs, ns) = split_time(s.start.0);
            assert_eq!(
                i64::from(secs) * 1_000_000_000 + i64::from(ns),
                s.start.0,
                "start + start_ns is the first frame's time"
            );
            assert!(ids.insert(session_id("rack-1", s)), "session_id collides");
            assert_ne!(session_id("rack-1", s), session_id("rack-2", s));
            assert_eq!(session_id("rack-1", s).len(), 32);
            let line = row_line(s, "rack-1", "t");
            assert!(line.ends_with('\n') && !line[..line.len() - 1].contains('\n'));
        }
    }

    #[test]
    fn times_and_floats_fit_their_columns() {
        assert_eq!(
            split_time(1_795_000_000_123_456_789),
            (1_795_000_000, 123_456_789)
        );
        assert_eq!(split_time(-5), (0, 999_999_995));
        assert_eq!(split_time(i64::MAX).0, u32::MAX);
        assert_eq!(finite(f64::NAN), 0.0);
        assert_eq!(finite(1.5), 1.5);
    }
}
