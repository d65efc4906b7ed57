//! `capture -w` for long runs: the output file rotated by size and/or age, the oldest removed
//! beyond `--rotate-keep`, and reopened on SIGHUP. Each file is a capture of its own (section
//! header, interfaces, statistics at its end), so Wireshark, tshark and `analyze` open any one
//! of them alone.
//!
//! Files are named `BASE-YYYYmmddTHHMMSSZ-NNNN.pcapng` (BASE is the `-w` path without its
//! extension; the time is when the file was opened, UTC; NNNN counts from 0001). Frames keep one
//! numbering since start (the session records' `frame`); `locate` says which file holds a frame
//! and its number inside that file.

use super::writer::CaptureWriter;
use std::collections::VecDeque;
use std::io;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RotateConfig {
    /// Start a new file once this many bytes were written to the current one.
    pub size: Option<u64>,
    /// Start a new file once the current one is this old.
    pub seconds: Option<f64>,
    /// Keep only the newest N files (the current one included).
    pub keep: Option<usize>,
}

impl RotateConfig {
    pub fn rotating(&self) -> bool {
        self.size.is_some() || self.seconds.is_some() || self.keep.is_some()
    }
}

/// How many files' first frame numbers are remembered for `locate` (older frames: no file).
const INDEX_MAX: usize = 10_000;

pub struct Output {
    path: String,
    base: String,
    ext: &'static str,
    cfg: RotateConfig,
    linktype: u32,
    /// None between a file closed by age on a quiet interface and the next frame.
    writer: Option<CaptureWriter>,
    opened: Instant,
    seq: u32,
    /// (first global frame number, file name) of each file opened, oldest first.
    index: VecDeque<(u64, String)>,
    /// Files on disk that `--rotate-keep` may remove, oldest first.
    kept: VecDeque<String>,
    /// Set once frames span more than one file (rotation, or a SIGHUP reopen).
    multi: bool,
    /// Errors removing old files: said once.
    prune_error_said: bool,
}

/// `YYYYmmddTHHMMSSZ` of a Unix time in nanoseconds.
pub fn stamp(ns: i64) -> String {
    let t = crate::model::Timestamp(ns).rfc3339();
    let t: String = t
        .get(..19)
        .unwrap_or("")
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    format!("{t}Z")
}

impl Output {
    /// Open the first file: `path` itself without rotation, else the first numbered file.
    pub fn create(path: &str, linktype: u32, cfg: RotateConfig, now_ns: i64) -> io::Result<Output> {
        let (base, ext) = match path.rsplit_once('.') {
            Some((b, "pcap")) if !b.is_empty() => (b.to_string(), "pcap"),
            Some((b, "pcapng")) if !b.is_empty() => (b.to_string(), "pcapng"),
            _ => (path.to_string(), "pcapng"),
        };
        let first = if cfg.rotating() {
            format!("{base}-{}-0001.{ext}", stamp(now_ns))
        } else {
            path.to_string()
        };
        let mut o = Output {
            path: path.to_string(),
            base,
            ext,
            cfg,
            linktype,
            writer: Some(CaptureWriter::create(&first, linktype)?),
            opened: Instant::now(),
            seq: 1,
            index: VecDeque::from([(1, first.clone())]),
            kept: VecDeque::new(),
            multi: cfg.rotating(),
            prune_error_said: false,
        };
        if cfg.rotating() {
            o.kept.push_back(first);
        }
        Ok(o)
    }

    fn next_name(&mut self, now_ns: i64) -> String {
        self.seq += 1;
        format!(
            "{}-{}-{:04}.{}",
            self.base,
            stamp(now_ns),
            self.seq,
            self.ext
        )
    }

    fn open_next(&mut self, first_frame: u64, now_ns: i64) -> io::Result<()> {
        let name = self.next_name(now_ns);
        self.writer = Some(CaptureWriter::create(&name, self.linktype)?);
        self.opened = Instant::now();
        self.index.push_back((first_frame, name.clone()));
        if self.index.len() > INDEX_MAX {
            self.index.pop_front();
        }
        self.kept.push_back(name);
        if let Some(n) = self.cfg.keep {
            while self.kept.len() > n.max(1) {
                if let Some(old) = self.kept.pop_front() {
                    if let Err(e) = std::fs::remove_file(&old) {
                        if !self.prune_error_said {
                            self.prune_error_said = true;
                            crate::say!("pxe-inspect: --rotate-keep: cannot remove {old}: {e}");
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Is the current file full or old enough to be closed (and has something in it)?
    pub fn due(&self) -> bool {
        let Some(w) = &self.writer else { return false };
        let old = |s: f64| self.opened.elapsed() >= Duration::from_secs_f64(s.max(0.001));
        w.frames > 0
            && (self.cfg.size.is_some_and(|s| w.bytes >= s) || self.cfg.seconds.is_some_and(old))
    }

    /// Close the current file and start the next; `next_frame` is the number of the next frame
    /// to be written. Without rotation (SIGHUP on a plain `-w FILE`), FILE is created anew: move
    /// it away first, as logrotate does.
    pub fn rotate(&mut self, next_frame: u64, now_ns: i64) -> io::Result<()> {
        if let Some(w) = self.writer.as_mut() {
            w.finish(now_ns)?;
        }
        if self.cfg.rotating() {
            self.open_next(next_frame, now_ns)
        } else {
            self.writer = Some(CaptureWriter::create(&self.path, self.linktype)?);
            self.opened = Instant::now();
            self.multi = true;
            self.index.push_back((next_frame, self.path.clone()));
            if self.index.len() > INDEX_MAX {
                self.index.pop_front();
            }
            Ok(())
        }
    }

    /// Write frame `number` (numbered since start), rotating first when the file is due.
    pub fn write(
        &mut self,
        number: u64,
        linktype: u32,
        ts_ns: i64,
        data: &[u8],
        orig_len: u32,
        now_ns: i64,
    ) -> io::Result<()> {
        if self.due() {
            self.rotate(number, now_ns)?;
        }
        if self.writer.is_none() {
            self.open_next(number, now_ns)?;
        }
        match self.writer.as_mut() {
            Some(w) => w.write(linktype, ts_ns, data, orig_len),
            None => Ok(()),
        }
    }

    /// On a quiet interface: close a file that is old enough even when no frame comes; the
    /// next file opens with the next frame (no empty files).
    pub fn tick(&mut self, now_ns: i64) -> io::Result<()> {
        if self.cfg.rotating() && self.due() {
            if let Some(mut w) = self.writer.take() {
                w.finish(now_ns)?;
            }
            return Ok(());
        }
        match self.writer.as_mut() {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }

    pub fn finish(&mut self, now_ns: i64) -> io::Result<()> {
        match self.writer.as_mut() {
            Some(w) => w.finish(now_ns),
            None => Ok(()),
        }
    }

    /// Do frame references need a file name (frames span files)?
    pub fn multi(&self) -> bool {
        self.multi
    }

    /// The file holding frame `number` and its 1-based number inside that file.
    pub fn locate(&self, number: u64) -> Option<(&str, u64)> {
        let i = self.index.partition_point(|(first, _)| *first <= number);
        let (first, name) = self.index.get(i.checked_sub(1)?)?;
        Some((name.as_str(), number - first + 1))
    }

    /// Files currently kept on disk (rotation), oldest first.
    pub fn files(&self) -> Vec<String> {
        if self.cfg.rotating() {
            self.kept.iter().cloned().collect()
        } else {
            vec![self.path.clone()]
        }
    }

    /// Add `"in_file": {"file": NAME, "frame": N}` beside every frame reference
    /// (`{"input": 0, "frame": N}`) in `v`.
    pub fn annotate(&self, v: &mut serde_json::Value) {
        use serde_json::Value;
        match v {
            Value::Object(m) => {
                let is_ref = m.len() == 2
                    && m.get("input").is_some_and(Value::is_u64)
                    && m.get("frame").is_some_and(Value::is_u64);
                if is_ref {
                    if let Some((f, n)) = m
                        .get("frame")
                        .and_then(Value::as_u64)
                        .and_then(|n| self.locate(n))
                    {
                        m.insert("in_file".into(), serde_json::json!({"file": f, "frame": n}));
                    }
                    return;
                }
                for x in m.values_mut() {
                    self.annotate(x);
                }
            }
            Value::Array(a) => {
                for x in a {
                    self.annotate(x);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::CaptureReader;

    #[test]
    fn names_sizes_keep_and_locate() {
        let dir = std::env::temp_dir().join(format!("pxe-rotate-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let base = dir.join("cap.pcapng").to_string_lossy().to_string();
        let cfg = RotateConfig {
            size: Some(300),
            seconds: None,
            keep: Some(2),
        };
        let t0 = 1_795_000_000_000_000_000;
        let mut o = Output::create(&base, 1, cfg, t0).expect("create");
        for n in 1..=10u64 {
            o.write(n, 1, t0 + n as i64, &[n as u8; 100], 100, t0)
                .expect("write");
        }
        o.finish(t0 + 100).expect("finish");
        let files = o.files();
        assert_eq!(files.len(), 2, "{files:?}");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("ls")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
            .collect();
        names.sort();
        // Header (28 + 32) + 2 frames of 132 = 324 >= 300: two frames a file, five files.
        assert_eq!(
            names,
            vec![
                "cap-20261118T110640Z-0004.pcapng".to_string(),
                "cap-20261118T110640Z-0005.pcapng".to_string()
            ]
        );
        // Each file stands alone, and locate() agrees with its numbering.
        let last = &files[1];
        let mut r = CaptureReader::open(last, 0).expect("open");
        let mut n = 0;
        while let Ok(Some(f)) = r.next_frame() {
            n += 1;
            assert_eq!(f.data[0] as u64, 8 + n, "frame {n} of {last}");
        }
        assert_eq!(n, 2);
        assert!(r.end().clean);
        assert_eq!(o.locate(10), Some((last.as_str(), 2)));
        assert_eq!(o.locate(1).map(|x| x.1), Some(1));
        let mut v = serde_json::json!({"a": [{"input": 0, "frame": 10}], "b": {"input": 0, "frame": 4, "x": 1}});
        o.annotate(&mut v);
        assert_eq!(v["a"][0]["in_file"]["frame"], 2);
        assert!(v["b"].get("in_file").is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_quiet_interface_closes_by_age_and_opens_with_the_next_frame() {
        let dir = std::env::temp_dir().join(format!("pxe-rotate-age-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let base = dir.join("q.pcap").to_string_lossy().to_string();
        let cfg = RotateConfig {
            size: None,
            seconds: Some(0.05),
            keep: None,
        };
        let t0 = 1_795_000_000_000_000_000;
        let mut o = Output::create(&base, 1, cfg, t0).expect("create");
        o.write(1, 1, t0, &[1; 60], 60, t0).expect("write");
        std::thread::sleep(Duration::from_millis(80));
        o.tick(t0).expect("tick");
        o.tick(t0).expect("tick");
        assert_eq!(o.files().len(), 1, "no empty file while quiet");
        o.write(2, 1, t0, &[2; 60], 60, t0).expect("write");
        o.finish(t0).expect("finish");
        let files = o.files();
        assert_eq!(files.len(), 2, "{files:?}");
        assert!(files[1].ends_with("-0002.pcap"), "{files:?}");
        assert_eq!(o.locate(2), Some((files[1].as_str(), 1)));
        for f in &files {
            let mut r = CaptureReader::open(f, 0).expect("open");
            assert!(r.next_frame().expect("ok").is_some(), "{f}");
            assert!(r.next_frame().expect("ok").is_none(), "{f}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn stamp_format() {
        assert_eq!(stamp(1_795_000_000_123_456_789), "20261118T110640Z");
    }
}
