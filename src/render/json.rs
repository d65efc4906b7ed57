//! `-f json`: the `pxe-inspect/analyze/2` document, pretty-printed exactly as serde_json does,
//! with sessions rendered on two threads or spooled to disk when there are many.

use crate::model::*;
use crate::pipeline::Stats;
use crate::report::{InputInfo, Report};
use serde::Serialize;

/// serde_json's pretty layout (two-space indent, `": "`, one value per line) starting `depth`
/// levels deep, so a value serialised on its own can be spliced into a bigger document.
/// Written by sonic-rs's serializer (a port of serde_json's with SIMD string escaping and the
/// same float formatter, zmij): the bytes are serde_json's (tested), a storm's sessions render
/// ~8 % faster end to end.
#[derive(Clone)]
struct Nested {
    depth: usize,
    has_value: bool,
}

impl Nested {
    fn line_break<W: ?Sized + std::io::Write>(
        &self,
        w: &mut W,
        comma: bool,
    ) -> std::io::Result<()> {
        w.write_all(if comma { b",\n" } else { b"\n" })?;
        (0..self.depth).try_for_each(|_| w.write_all(b"  "))
    }

    /// `[` or `{`: one level deeper, nothing in it yet.
    fn open<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// `]` or `}`: on a line of its own unless the container was empty.
    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        if self.has_value {
            self.line_break(w, false)?;
        }
        w.write_all(bracket)
    }
}

impl sonic_rs::format::Formatter for Nested {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.line_break(w, !first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.line_break(w, !first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// One session as it sits in `"sessions": [ … ]` of `-f json` (two levels deep). Bytes, not
/// a `RawValue`: making one validates by parsing the whole fragment again, which was a second
/// decode of every session's JSON.
pub(super) fn session_fragment(s: &BootSession) -> Option<Vec<u8>> {
    let mut buf = Vec::with_capacity(16 << 10);
    let mut ser = sonic_rs::Serializer::with_formatter(
        &mut buf,
        Nested {
            depth: 2,
            has_value: false,
        },
    );
    s.serialize(&mut ser).ok()?;
    Some(buf)
}

/// The fields of `Report` in its order, with no sessions: the frame the fragments go into.
#[derive(Serialize)]
struct WithoutSessions<'a> {
    schema: &'static str,
    tool: &'a str,
    inputs: &'a [InputInfo],
    sessions: [(); 0],
    findings: &'a [Finding],
    stats: &'a Stats,
}

/// The pretty document with its sessions spliced in: the report written with an empty
/// `"sessions": []`, and the fragments put between the brackets with the separators serde's
/// pretty printer writes for array elements two levels deep (`\n    `, `,\n    `, `\n  ]`).
/// (The first `"sessions": []` is the key's: a string value holding it would have its quotes
/// escaped.)
fn write_spliced(
    w: &mut dyn std::io::Write,
    r: &Report,
    mut fragments: impl FnMut(&mut Vec<u8>) -> std::io::Result<bool>,
) -> std::io::Result<()> {
    use std::io::Write;
    let doc = WithoutSessions {
        schema: r.schema,
        tool: &r.tool,
        inputs: &r.inputs,
        sessions: [],
        findings: &r.findings,
        stats: &r.stats,
    };
    let frame = serde_json::to_vec_pretty(&doc).map_err(std::io::Error::other)?;
    const KEY: &[u8] = b"\"sessions\": [";
    let at = frame
        .windows(KEY.len() + 1)
        .position(|x| x.starts_with(KEY) && x[KEY.len()] == b']')
        .ok_or_else(|| std::io::Error::other("no sessions key in the document"))?
        + KEY.len();
    // serde_json writes a few bytes at a time: through `&mut dyn Write` each was a virtual call
    // into stdout's BufWriter; a concrete buffer inlines them.
    let mut w = std::io::BufWriter::with_capacity(256 << 10, w);
    w.write_all(&frame[..at])?;
    let mut buf = Vec::new();
    let mut any = false;
    while fragments(&mut buf)? {
        w.write_all(if any { b",\n    " } else { b"\n    " })?;
        w.write_all(&buf)?;
        any = true;
    }
    if any {
        w.write_all(b"\n  ")?;
    }
    w.write_all(&frame[at..])?;
    w.write_all(b"\n")?;
    w.flush()
}

/// `-f json`: byte for byte `serde_json::to_writer_pretty(r)` plus a newline (tested), with the
/// sessions — nearly all of the bytes — serialised by two threads: after the last frame the
/// reading thread's core is idle, and rendering a boot storm's 18 MB took a sixth of the run.
pub fn write_json(w: &mut dyn std::io::Write, r: &Report) -> std::io::Result<()> {
    if r.sessions.len() < 64 {
        use std::io::Write;
        let mut w = std::io::BufWriter::with_capacity(256 << 10, w);
        serde_json::to_writer_pretty(&mut w, r).map_err(std::io::Error::other)?;
        w.write_all(b"\n")?;
        return w.flush();
    }
    let (a, b) = r.sessions.split_at(r.sessions.len() / 2);
    let some = |ss: &[BootSession]| ss.iter().map(session_fragment).collect::<Option<Vec<_>>>();
    let all = std::thread::scope(|sc| {
        let first = sc.spawn(|| some(a));
        let second = some(b);
        let mut all = first.join().ok().flatten()?;
        all.extend(second?);
        Some(all)
    })
    .ok_or_else(|| std::io::Error::other("session to JSON"))?;
    let mut next = all.iter();
    write_spliced(w, r, |buf| {
        buf.clear();
        Ok(next.next().map(|f| buf.extend_from_slice(f)).is_some())
    })?;
    // The fragments are freed by the process's exit, like the report (analyze forgets it).
    std::mem::forget(all);
    Ok(())
}

/// Closed sessions of `-f json` kept on disk instead of in memory once there are many: each is
/// serialised as it closes (the same bytes `write_json` would produce for it) into an unlinked
/// temporary file, and only (first frame, offset, length) stays in memory — 24 bytes a session
/// instead of the session. The document is written in first-frame order at the end, byte for
/// byte what `write_json` writes (tested).
pub struct SessionSpool {
    /// Buffered: a write (and at the end a seek and a read) per session was a syscall each.
    file: std::io::BufWriter<std::fs::File>,
    len: u64,
    index: Vec<(FrameRef, u64, u32)>,
}

impl SessionSpool {
    pub fn new() -> std::io::Result<SessionSpool> {
        Ok(SessionSpool {
            file: std::io::BufWriter::with_capacity(256 << 10, crate::spool::unlinked_temp_file()?),
            len: 0,
            index: Vec::new(),
        })
    }

    pub fn push(&mut self, s: &BootSession) -> std::io::Result<()> {
        let bytes = session_fragment(s).ok_or_else(|| std::io::Error::other("session to JSON"))?;
        self.push_rendered(s.first_frame, &bytes)
    }

    /// A session `session_fragment` serialised elsewhere (the rendering thread).
    pub fn push_rendered(&mut self, first_frame: FrameRef, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        self.file.write_all(bytes)?;
        self.index.push((first_frame, self.len, bytes.len() as u32));
        self.len += bytes.len() as u64;
        Ok(())
    }

    pub fn count(&self) -> usize {
        self.index.len()
    }

    /// `write_json` for a report whose sessions are the spooled ones (`r.sessions` is empty).
    pub fn write_json(mut self, w: &mut dyn std::io::Write, r: &Report) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        // Same order as sorting the sessions: stable, by first frame.
        self.index.sort_by_key(|(f, _, _)| *f);
        let mut next = self.index.iter();
        let file = self.file.into_inner().map_err(|e| e.into_error())?;
        // Sessions mostly close in first-frame order, so reads are mostly sequential: seek
        // only where the next one is not where the last one ended.
        let mut file = std::io::BufReader::with_capacity(256 << 10, file);
        file.seek(SeekFrom::Start(0))?;
        let mut at = 0u64;
        write_spliced(w, r, |buf| {
            let Some(&(_, off, len)) = next.next() else {
                return Ok(false);
            };
            buf.resize(len as usize, 0);
            if off != at {
                file.seek(SeekFrom::Start(off))?;
            }
            file.read_exact(buf)?;
            at = off + u64::from(len);
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{tool_version, SCHEMA};
    use crate::synth::{storm_sessions, StormConfig};

    /// sonic-rs (sessions) and serde_json (the rest of the document) must write the same bytes
    /// for everything a session can hold: every ASCII byte and some beyond in strings and map
    /// keys, floats from tiny to huge, integer extremes, integer map keys, enums and empties.
    #[test]
    fn sonic_writes_serde_json_bytes() {
        #[derive(Serialize)]
        enum Kind {
            Unit,
            New(u8),
            Tuple(u8, bool),
            Struct { a: Option<u8> },
        }
        #[derive(Serialize)]
        struct Every {
            strings: Vec<String>,
            keys: std::collections::BTreeMap<String, u8>,
            numbers: std::collections::BTreeMap<u32, f64>,
            floats: Vec<f64>,
            ints: (u64, i64, i64, u8, i8, u128),
            chars: Vec<char>,
            kinds: Vec<Kind>,
            none: Option<String>,
            empty: (Vec<u8>, std::collections::BTreeMap<String, u8>, ()),
            nested: Vec<Vec<Option<bool>>>,
        }
        let ascii: String = (0u8..=0x7f).map(char::from).collect();
        let strings = vec![
            ascii.clone(),
            String::new(),
            "é€😀 \u{2028}\u{2029}\u{feff} \"quoted\" back\\slash /".into(),
            "x".repeat(100) + "\n" + &"y".repeat(33),
        ];
        let floats = vec![
            0.0,
            -0.0,
            0.1,
            1.5,
            0.002068,
            5681818.181818182,
            1e-7,
            1e15,
            1e16,
            1e17,
            1e21,
            1e22,
            123456789012345680.0,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            -2.5e-10,
            f64::NAN,
            f64::INFINITY,
        ];
        let v = Every {
            strings: strings.clone(),
            keys: strings.iter().map(|s| (s.clone(), 1)).collect(),
            numbers: [(0, 1.0), (7, 0.25), (u32::MAX, -3.0)]
                .into_iter()
                .collect(),
            floats,
            ints: (u64::MAX, i64::MIN, -1, 255, -128, u128::MAX),
            chars: ascii.chars().chain(['é', '😀']).collect(),
            kinds: vec![
                Kind::Unit,
                Kind::New(3),
                Kind::Tuple(1, false),
                Kind::Struct { a: None },
                Kind::Struct { a: Some(2) },
            ],
            none: None,
            empty: (vec![], Default::default(), ()),
            nested: vec![vec![], vec![None, Some(true)], vec![Some(false)]],
        };
        let compact = sonic_rs::to_vec(&v).expect("sonic");
        assert_eq!(
            String::from_utf8_lossy(&compact),
            String::from_utf8_lossy(&serde_json::to_vec(&v).expect("serde"))
        );
        let mut pretty = Vec::new();
        let nested = Nested {
            depth: 0,
            has_value: false,
        };
        v.serialize(&mut sonic_rs::Serializer::with_formatter(
            &mut pretty,
            nested,
        ))
        .expect("sonic pretty");
        assert_eq!(
            String::from_utf8_lossy(&pretty),
            String::from_utf8_lossy(&serde_json::to_vec_pretty(&v).expect("serde"))
        );
    }

    /// The two-thread `-f json` writer against serde_json's own pretty printer, on a storm of
    /// 150 sessions (the split path) and on a small report (the plain path): same bytes.
    #[test]
    fn write_json_is_serde_jsons_pretty_output() {
        let cfg = StormConfig {
            seed: 3,
            clients: 150,
            rate: 60.0,
            fail_percent: 30,
            bios_file_bytes: 8_000,
            efi_file_bytes: 20_000,
            ..StormConfig::default()
        };
        let (mut sessions, stats) = storm_sessions(cfg, "report-json");
        sessions.sort_by_key(|s| s.first_frame);
        assert!(sessions.len() >= 150, "{} sessions", sessions.len());
        let mut r = Report {
            schema: SCHEMA,
            tool: tool_version(),
            inputs: vec![],
            sessions,
            findings: vec![],
            stats,
        };
        for _ in 0..2 {
            let mut ours = Vec::new();
            write_json(&mut ours, &r).expect("write");
            let mut theirs = serde_json::to_vec_pretty(&r).expect("serde");
            theirs.push(b'\n');
            assert!(
                ours == theirs,
                "{} sessions: {} vs {} bytes",
                r.sessions.len(),
                ours.len(),
                theirs.len()
            );
            r.sessions.truncate(5);
        }
    }
}
