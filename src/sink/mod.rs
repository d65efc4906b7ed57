//! `--sink`: every closed session record, flattened into one SQL row ([`row`]), sent in batches
//! to ClickHouse's HTTP interface ([`clickhouse`]) from a thread of its own, so a slow or
//! stopped ClickHouse never holds up packet processing.
//!
//! Delivery: rows wait in a bounded in-memory queue. The sink thread sends a batch when it is
//! full or a second old; a failed send is retried with exponential backoff (0.25 s doubling to
//! 30 s). While ClickHouse is down, rows spill to spool files under `--sink-spool DIR` (whoever
//! finds the queue full writes them: a local append, never a network wait), and once it answers
//! again the spool files go first, oldest first, each deleted only after its INSERT was
//! acknowledged. A file sent but not yet deleted when the process dies is sent again by the next
//! run: that is why each row's key (`session_id`) is derived from the session itself and the
//! table is a ReplacingMergeTree: a resent row replaces, never duplicates ("exactly once after
//! recovery": `count() FINAL` = `uniqExact(session_id)` = sessions sent).
//!
//! A sink failure never changes an exit code and never stops a capture: it is reported once on
//! stderr and counted in [`SinkStats`] (for `--metrics`).

pub mod clickhouse;
pub mod row;

use clickhouse::{Credentials, InsertError, Target};
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How a sink behaves; [`SinkConfig::new`] has the defaults the CLI uses.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    pub target: Target,
    pub credentials: Credentials,
    pub spool_dir: Option<PathBuf>,
    /// The `sensor` column, part of `session_id`.
    pub sensor: String,
    pub tool: String,
    /// Rows per INSERT.
    pub batch_rows: usize,
    /// A non-empty batch is sent after this long even when not full.
    pub flush_interval: Duration,
    /// Rows held in memory at most; past it they spill to the spool (or, without one, are
    /// dropped and counted).
    pub memory_rows: usize,
    /// Rows per spool file at most.
    pub spool_file_rows: usize,
    /// Connect, write and read timeout of one INSERT.
    pub timeout: Duration,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// How long `finish` keeps trying to deliver what is left.
    pub finish_deadline: Duration,
    /// Report the first failure when it happens (capture, serve: long runs) rather than once at
    /// the end (analyze).
    pub report_at_once: bool,
    /// Count into these (shared with a `--metrics` endpoint) rather than fresh ones.
    pub stats: Option<Arc<SinkStats>>,
}

impl SinkConfig {
    pub fn new(target: Target, sensor: String) -> SinkConfig {
        SinkConfig {
            target,
            credentials: Credentials::from_env(),
            spool_dir: None,
            sensor,
            tool: crate::report::tool_version(),
            batch_rows: 1000,
            flush_interval: Duration::from_secs(1),
            memory_rows: 20_000,
            spool_file_rows: 5000,
            timeout: Duration::from_secs(10),
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(30),
            finish_deadline: Duration::from_secs(5),
            report_at_once: true,
            stats: None,
        }
    }
}

/// Counters a `--metrics` endpoint can read while the sink runs.
#[derive(Debug, Default)]
pub struct SinkStats {
    /// Rows handed to the sink.
    pub rows: AtomicU64,
    /// Rows ClickHouse acknowledged (a row resent from the spool counts again).
    pub sent: AtomicU64,
    /// Failed INSERT attempts.
    pub errors: AtomicU64,
    /// Rows written to spool files.
    pub spooled: AtomicU64,
    /// Rows lost: the memory queue was full and there is no spool, or ClickHouse refused them
    /// as data (a spool file is then kept as `*.rejected`).
    pub dropped: AtomicU64,
}

/// What `finish` says about the run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SinkSummary {
    pub rows: u64,
    pub sent: u64,
    pub errors: u64,
    pub dropped: u64,
    /// Rows left in spool files for the next run.
    pub left_in_spool: u64,
}

/// The spool directory: `pxe-inspect-sink-*.jsonl` files of JSONEachRow lines, each one INSERT's
/// body; the one being written is a hidden `.part` until it is sealed.
struct Spool {
    dir: PathBuf,
    seq: u64,
    open: Option<(PathBuf, io::BufWriter<std::fs::File>, usize)>,
}

const SPOOL_PREFIX: &str = "pxe-inspect-sink-";

impl Spool {
    fn new(dir: &Path) -> io::Result<Spool> {
        std::fs::create_dir_all(dir)?;
        let sp = Spool {
            dir: dir.to_path_buf(),
            seq: 0,
            open: None,
        };
        sp.recover()?;
        Ok(sp)
    }

    /// A `.part` left by a process that died: keep its complete lines as a sealed file.
    fn recover(&self) -> io::Result<()> {
        for e in std::fs::read_dir(&self.dir)?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".part")) else {
                continue;
            };
            if !stem.starts_with(SPOOL_PREFIX) {
                continue;
            }
            let bytes = std::fs::read(e.path())?;
            let keep = bytes
                .iter()
                .rposition(|b| *b == b'\n')
                .map(|i| i + 1)
                .unwrap_or(0);
            if keep > 0 {
                std::fs::write(self.dir.join(format!("{stem}.jsonl")), &bytes[..keep])?;
            }
            std::fs::remove_file(e.path())?;
        }
        Ok(())
    }

    fn append(&mut self, rows: &[String], max_rows: usize) -> io::Result<()> {
        for r in rows {
            if self.open.is_none() {
                self.seq += 1;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                let stem = format!(
                    "{SPOOL_PREFIX}{now:020}-{}-{:06}",
                    std::process::id(),
                    self.seq
                );
                let path = self.dir.join(format!(".{stem}.part"));
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)?;
                self.open = Some((path, io::BufWriter::new(f), 0));
            }
            if let Some((_, w, n)) = self.open.as_mut() {
                w.write_all(r.as_bytes())?;
                *n += 1;
                if *n >= max_rows {
                    self.seal()?;
                }
            }
        }
        if let Some((_, w, _)) = self.open.as_mut() {
            w.flush()?;
        }
        Ok(())
    }

    /// The open `.part` becomes a sealed file that the sender picks up.
    fn seal(&mut self) -> io::Result<()> {
        if let Some((path, mut w, _)) = self.open.take() {
            w.flush()?;
            drop(w);
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let sealed = name
                .trim_start_matches('.')
                .trim_end_matches(".part")
                .to_string();
            std::fs::rename(&path, self.dir.join(format!("{sealed}.jsonl")))?;
        }
        Ok(())
    }

    /// Sealed files, oldest first (their names start with the time they were opened).
    fn sealed(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name().is_some_and(|n| {
                            let n = n.to_string_lossy();
                            n.starts_with(SPOOL_PREFIX) && n.ends_with(".jsonl")
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}

fn count_lines(path: &Path) -> u64 {
    std::fs::File::open(path)
        .map(|f| io::BufReader::new(f).lines().count() as u64)
        .unwrap_or(0)
}

struct Queue {
    rows: Vec<String>,
    /// When the oldest row in `rows` arrived.
    since: Option<Instant>,
    spool: Option<Spool>,
    closing: bool,
}

struct Shared {
    q: Mutex<Queue>,
    cv: Condvar,
    stats: Arc<SinkStats>,
    cfg: SinkConfig,
    /// The first failure's text (reported once).
    first_error: Mutex<Option<String>>,
    reported: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic elsewhere while holding the lock leaves the rows intact: keep using them.
        self.q.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn where_rows_wait(&self) -> String {
        match &self.cfg.spool_dir {
            Some(d) => format!("sessions wait in the spool {}", d.display()),
            None => format!(
                "sessions wait in memory ({} at most; --sink-spool DIR keeps more)",
                self.cfg.memory_rows
            ),
        }
    }

    fn failed(&self, e: &InsertError) {
        self.stats.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
        if first.is_none() {
            *first = Some(e.to_string());
            if self.cfg.report_at_once && !self.reported.swap(true, Ordering::SeqCst) {
                crate::say!(
                    "pxe-inspect: sink error: ClickHouse at {}: {e}; retrying with backoff, {} (reported once)",
                    self.cfg.target.authority(),
                    self.where_rows_wait()
                );
            }
        }
    }

    /// Rows that could not be sent now: to the spool, else back into memory (bounded).
    fn keep(&self, q: &mut Queue, rows: Vec<String>) {
        if rows.is_empty() {
            return;
        }
        let n = rows.len() as u64;
        if let Some(sp) = q.spool.as_mut() {
            match sp.append(&rows, self.cfg.spool_file_rows) {
                Ok(()) => {
                    self.stats.spooled.fetch_add(n, Ordering::Relaxed);
                    return;
                }
                Err(e) => self.failed(&InsertError::Retry(format!("spool: {e}"))),
            }
        }
        let room = self.cfg.memory_rows.saturating_sub(q.rows.len());
        let lost = rows.len().saturating_sub(room);
        let mut rows = rows;
        rows.truncate(room);
        if q.rows.is_empty() && !rows.is_empty() {
            q.since = Some(Instant::now());
        }
        rows.append(&mut q.rows);
        q.rows = rows;
        self.stats.dropped.fetch_add(lost as u64, Ordering::Relaxed);
    }
}

/// The handle `analyze`, `capture` and `serve` hold: `push` each closed session, `finish` at
/// the end.
pub struct Sink {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sink {
    pub fn start(cfg: SinkConfig) -> Result<Sink, String> {
        let spool = match &cfg.spool_dir {
            Some(d) => {
                Some(Spool::new(d).map_err(|e| format!("--sink-spool {}: {e}", d.display()))?)
            }
            None => None,
        };
        let shared = Arc::new(Shared {
            q: Mutex::new(Queue {
                rows: Vec::new(),
                since: None,
                spool,
                closing: false,
            }),
            cv: Condvar::new(),
            stats: cfg.stats.clone().unwrap_or_default(),
            cfg,
            first_error: Mutex::new(None),
            reported: AtomicBool::new(false),
        });
        let sh = shared.clone();
        let thread = std::thread::Builder::new()
            .name("pxe-inspect-sink".into())
            .spawn(move || run(&sh))
            .map_err(|e| format!("sink thread: {e}"))?;
        Ok(Sink {
            shared,
            thread: Some(thread),
        })
    }

    /// The counters (errors, rows sent, ...), shared with the sink thread.
    pub fn stats(&self) -> Arc<SinkStats> {
        self.shared.stats.clone()
    }

    /// Queues one closed session. Never waits for the network: at worst it appends to a local
    /// spool file.
    pub fn push(&self, s: &crate::model::BootSession) {
        let line = row::row_line(s, &self.shared.cfg.sensor, &self.shared.cfg.tool);
        self.push_line(line);
    }

    /// Queues one ready row (a JSONEachRow line ending in a newline).
    pub fn push_line(&self, line: String) {
        let sh = &self.shared;
        sh.stats.rows.fetch_add(1, Ordering::Relaxed);
        let mut q = sh.lock();
        if q.rows.is_empty() {
            q.since = Some(Instant::now());
        }
        q.rows.push(line);
        if q.rows.len() >= sh.cfg.memory_rows {
            let rows = std::mem::take(&mut q.rows);
            q.since = None;
            if q.spool.is_some() {
                sh.keep(&mut q, rows);
            } else {
                // No spool: the newest row is the one that does not fit.
                let mut rows = rows;
                rows.pop();
                sh.stats.dropped.fetch_add(1, Ordering::Relaxed);
                q.since = Some(Instant::now());
                q.rows = rows;
            }
        }
        if q.rows.len() >= sh.cfg.batch_rows {
            sh.cv.notify_one();
        }
    }

    /// Delivers what is left (trying for at most `finish_deadline`), stops the thread, and
    /// reports on stderr what did not get through. Never fails: the caller's exit code stays.
    pub fn finish(mut self) -> SinkSummary {
        {
            let mut q = self.shared.lock();
            q.closing = true;
        }
        self.shared.cv.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let sh = &self.shared;
        let left_in_spool = {
            let q = sh.lock();
            q.spool
                .as_ref()
                .map(|sp| sp.sealed().iter().map(|p| count_lines(p)).sum())
                .unwrap_or(0)
        };
        let st = &sh.stats;
        let summary = SinkSummary {
            rows: st.rows.load(Ordering::Relaxed),
            sent: st.sent.load(Ordering::Relaxed),
            errors: st.errors.load(Ordering::Relaxed),
            dropped: st.dropped.load(Ordering::Relaxed),
            left_in_spool,
        };
        let first = sh
            .first_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let fate = match (summary.left_in_spool, summary.dropped) {
            (0, 0) => "all sessions delivered".to_string(),
            (k, 0) => format!(
                "{k} sessions kept in the spool for the next run with the same --sink-spool"
            ),
            (0, d) => format!("{d} sessions lost"),
            (k, d) => format!("{k} sessions kept in the spool, {d} lost"),
        };
        if let Some(e) = first {
            if !sh.reported.swap(true, Ordering::SeqCst) {
                crate::say!(
                    "pxe-inspect: sink error: ClickHouse at {}: {e} ({} failed attempts); {fate}",
                    sh.cfg.target.authority(),
                    summary.errors
                );
            } else if summary.left_in_spool > 0 || summary.dropped > 0 {
                crate::say!("pxe-inspect: sink: {fate}");
            }
        } else if summary.dropped > 0 {
            crate::say!("pxe-inspect: sink: {fate}");
        }
        summary
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // Dropped without finish (an early error return): stop the thread, keep what is queued
        // in the spool if there is one.
        if let Some(t) = self.thread.take() {
            self.shared.lock().closing = true;
            self.shared.cv.notify_all();
            let _ = t.join();
        }
    }
}

/// One delivery round: the spool's sealed files oldest first, then the queued rows. Ok(true)
/// when everything was delivered.
fn deliver(sh: &Shared) -> Result<bool, InsertError> {
    let cfg = &sh.cfg;
    let (files, batch) = {
        let mut q = sh.lock();
        let files = match q.spool.as_mut() {
            Some(sp) => {
                if let Err(e) = sp.seal() {
                    sh.failed(&InsertError::Retry(format!("spool: {e}")));
                }
                sp.sealed()
            }
            None => vec![],
        };
        let n = q.rows.len().min(cfg.batch_rows);
        let batch: Vec<String> = q.rows.drain(..n).collect();
        q.since = (!q.rows.is_empty()).then(Instant::now);
        (files, batch)
    };
    for f in files {
        let body = match std::fs::read(&f) {
            Ok(b) => b,
            Err(_) => continue, // another process took it
        };
        let lines = body.iter().filter(|b| **b == b'\n').count() as u64;
        match clickhouse::insert(&cfg.target, &cfg.credentials, &body, cfg.timeout) {
            Ok(()) => {
                sh.stats.sent.fetch_add(lines, Ordering::Relaxed);
                let _ = std::fs::remove_file(&f);
            }
            Err(InsertError::Rejected(m)) => {
                sh.failed(&InsertError::Rejected(m));
                sh.stats.dropped.fetch_add(lines, Ordering::Relaxed);
                let _ = std::fs::rename(&f, f.with_extension("rejected"));
            }
            Err(e) => {
                let mut q = sh.lock();
                sh.keep(&mut q, batch);
                return Err(e);
            }
        }
    }
    if batch.is_empty() {
        return Ok(sh.lock().rows.is_empty());
    }
    let body = batch.concat();
    match clickhouse::insert(&cfg.target, &cfg.credentials, body.as_bytes(), cfg.timeout) {
        Ok(()) => {
            sh.stats
                .sent
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            Ok(sh.lock().rows.is_empty())
        }
        Err(InsertError::Rejected(m)) => {
            // One bad row must not sink the batch: send them one by one, lose only the bad.
            sh.failed(&InsertError::Rejected(m));
            for r in batch {
                match clickhouse::insert(&cfg.target, &cfg.credentials, r.as_bytes(), cfg.timeout) {
                    Ok(()) => {
                        sh.stats.sent.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        sh.stats.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Ok(sh.lock().rows.is_empty())
        }
        Err(e) => {
            let mut q = sh.lock();
            sh.keep(&mut q, batch);
            Err(e)
        }
    }
}

fn has_spooled(q: &Queue) -> bool {
    q.spool
        .as_ref()
        .is_some_and(|sp| sp.open.is_some() || !sp.sealed().is_empty())
}

/// The sink thread.
fn run(sh: &Shared) {
    let cfg = &sh.cfg;
    let mut backoff = cfg.backoff_min;
    let mut retry_at: Option<Instant> = None;
    // Files from an earlier run go out as soon as the server answers.
    let mut spool_pending = has_spooled(&sh.lock());
    let mut closing_since: Option<Instant> = None;
    loop {
        {
            let mut q = sh.lock();
            loop {
                if q.closing {
                    closing_since.get_or_insert_with(Instant::now);
                    break;
                }
                let now = Instant::now();
                let backing_off = retry_at.is_some_and(|t| now < t);
                let due = q.rows.len() >= cfg.batch_rows
                    || q.since
                        .is_some_and(|t| now.duration_since(t) >= cfg.flush_interval)
                    || spool_pending
                    || q.spool.as_ref().is_some_and(|sp| sp.open.is_some());
                if due && !backing_off {
                    break;
                }
                let wait = match retry_at {
                    Some(t) if backing_off => t.saturating_duration_since(now),
                    _ => Duration::from_millis(100),
                }
                .min(Duration::from_millis(100));
                q = sh
                    .cv
                    .wait_timeout(q, wait)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0);
            }
        }
        match deliver(sh) {
            Ok(done) => {
                backoff = cfg.backoff_min;
                retry_at = None;
                spool_pending = has_spooled(&sh.lock());
                if closing_since.is_some() && done && !spool_pending {
                    return;
                }
            }
            Err(e) => {
                sh.failed(&e);
                spool_pending = true;
                retry_at = Some(Instant::now() + backoff);
                backoff = (backoff * 2).min(cfg.backoff_max);
            }
        }
        if let Some(t) = closing_since {
            if t.elapsed() >= cfg.finish_deadline {
                // Out of time: what is still in memory goes to the spool (if any) for next time.
                let mut q = sh.lock();
                let rows = std::mem::take(&mut q.rows);
                let n = rows.len();
                if q.spool.is_some() {
                    sh.keep(&mut q, rows);
                    if let Some(sp) = q.spool.as_mut() {
                        let _ = sp.seal();
                    }
                } else {
                    sh.stats.dropped.fetch_add(n as u64, Ordering::Relaxed);
                }
                return;
            }
            if let Some(r) = retry_at {
                let left = cfg.finish_deadline.saturating_sub(t.elapsed());
                std::thread::sleep(r.saturating_duration_since(Instant::now()).min(left));
            }
        }
    }
}

/// This machine's host name (the default `--sensor`).
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into the buffer we own.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    match (rc, std::str::from_utf8(&buf[..end])) {
        (0, Ok(h)) if !h.is_empty() => h.to_string(),
        _ => "unknown".to_string(),
    }
}

/// The sink `--sink`/`--sink-spool` ask for, started, its rows stamped with the subcommand's
/// `--sensor` (default: the host name); None without `--sink`.
pub fn from_args(
    a: &crate::cli::SinkArgs,
    sensor: Option<&str>,
    report_at_once: bool,
) -> Result<Option<Sink>, String> {
    let Some(url) = &a.sink else {
        return Ok(None);
    };
    let target = Target::parse(url)?;
    let sensor = sensor.map(str::to_string).unwrap_or_else(host_name);
    let mut cfg = SinkConfig::new(target, sensor);
    cfg.spool_dir = a.sink_spool.as_ref().map(PathBuf::from);
    cfg.report_at_once = report_at_once;
    cfg.stats = a.stats.clone();
    Sink::start(cfg).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;
    use std::sync::atomic::AtomicUsize;

    /// A stand-in for ClickHouse's HTTP interface on loopback: records each INSERT body;
    /// answers 500 `Code: 27` to a body holding `"bad"`, else 200. Stops after `max` requests.
    struct Fake {
        port: u16,
        bodies: Arc<Mutex<Vec<String>>>,
        served: Arc<AtomicUsize>,
    }

    fn fake(max: usize) -> Fake {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let served = Arc::new(AtomicUsize::new(0));
        let (b, n) = (bodies.clone(), served.clone());
        std::thread::spawn(move || {
            for c in l.incoming().take(max) {
                let Ok(mut c) = c else { continue };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                // Head, then Content-Length bytes of body.
                let body = loop {
                    let Ok(k) = c.read(&mut chunk) else {
                        break None;
                    };
                    if k == 0 {
                        break None;
                    }
                    buf.extend_from_slice(&chunk[..k]);
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("Content-Length: "))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        if rest.len() >= len {
                            break Some(rest.to_string());
                        }
                    }
                };
                let body = body.unwrap_or_default();
                let answer: &[u8] = if body.contains("\"bad\"") {
                    b"HTTP/1.0 500 Internal Server Error\r\n\r\nCode: 27, e.displayText() = DB::Exception: Cannot parse input\n"
                } else {
                    b"HTTP/1.0 200 OK\r\n\r\n"
                };
                let _ = c.write_all(answer);
                b.lock().expect("bodies").push(body);
                n.fetch_add(1, Ordering::SeqCst);
            }
        });
        Fake {
            port,
            bodies,
            served,
        }
    }

    fn cfg(port: u16, spool: Option<&Path>) -> SinkConfig {
        let url = format!("clickhouse+http://127.0.0.1:{port}/db.t");
        let mut c = SinkConfig::new(Target::parse(&url).expect("url"), "test".into());
        c.credentials = Credentials::default();
        c.spool_dir = spool.map(Path::to_path_buf);
        c.batch_rows = 10;
        c.flush_interval = Duration::from_millis(50);
        c.backoff_min = Duration::from_millis(20);
        c.finish_deadline = Duration::from_millis(300);
        c.timeout = Duration::from_secs(2);
        c.report_at_once = false;
        c
    }

    fn closed_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port")
    }

    fn rows(n: usize, tag: &str) -> Vec<String> {
        (0..n)
            .map(|i| format!("{{\"session_id\":\"{tag}{i}\"}}\n"))
            .collect()
    }

    fn files(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn batches_reach_the_server() {
        let f = fake(100);
        let sink = Sink::start(cfg(f.port, None)).expect("start");
        for r in rows(35, "a") {
            sink.push_line(r);
        }
        let s = sink.finish();
        assert_eq!((s.rows, s.sent, s.errors, s.dropped), (35, 35, 0, 0));
        let bodies = f.bodies.lock().expect("bodies").clone();
        assert!(bodies.len() >= 4, "batches of 10: {}", bodies.len());
        assert_eq!(bodies.concat().lines().count(), 35);
    }

    /// Down for a whole run: everything waits in the spool; the next run (server up) sends it
    /// first and leaves the spool empty.
    #[test]
    fn spool_survives_the_run_and_is_replayed_by_the_next() {
        let dir = std::env::temp_dir().join(format!("pxe-sink-spool-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let sink = Sink::start(cfg(closed_port(), Some(&dir))).expect("start");
        for r in rows(25, "b") {
            sink.push_line(r);
        }
        let s = sink.finish();
        assert_eq!((s.sent, s.dropped, s.left_in_spool), (0, 0, 25), "{s:?}");
        assert!(s.errors >= 1);
        assert!(
            files(&dir).iter().all(|n| n.ends_with(".jsonl")),
            "{:?}",
            files(&dir)
        );
        let f = fake(100);
        let sink = Sink::start(cfg(f.port, Some(&dir))).expect("start");
        for r in rows(3, "c") {
            sink.push_line(r);
        }
        let s = sink.finish();
        assert_eq!((s.sent, s.errors, s.left_in_spool), (28, 0, 0), "{s:?}");
        assert!(files(&dir).is_empty(), "{:?}", files(&dir));
        let all = f.bodies.lock().expect("bodies").concat();
        for r in rows(25, "b").iter().chain(&rows(3, "c")) {
            assert!(all.contains(r.as_str()), "{r}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A `.part` a killed process left keeps its complete lines.
    #[test]
    fn a_torn_spool_file_keeps_its_whole_lines() {
        let dir = std::env::temp_dir().join(format!("pxe-sink-torn-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(
            dir.join(format!(".{SPOOL_PREFIX}1-1-000001.part")),
            "{\"session_id\":\"x1\"}\n{\"session_id\":\"x2\"}\n{\"sess",
        )
        .expect("part");
        let f = fake(100);
        let s = Sink::start(cfg(f.port, Some(&dir)))
            .expect("start")
            .finish();
        assert_eq!((s.sent, s.left_in_spool), (2, 0), "{s:?}");
        assert!(files(&dir).is_empty(), "{:?}", files(&dir));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Rows the server refuses as data are dropped one by one, not retried forever, and the
    /// good rows of the same batch still arrive.
    #[test]
    fn a_refused_row_costs_only_itself() {
        let f = fake(100);
        let sink = Sink::start(cfg(f.port, None)).expect("start");
        let mut r = rows(5, "d");
        r.insert(2, "{\"session_id\":\"bad\"}\n".into());
        for x in r {
            sink.push_line(x);
        }
        let s = sink.finish();
        assert_eq!((s.sent, s.dropped), (5, 1), "{s:?}");
        assert!(f.served.load(Ordering::SeqCst) >= 7);
    }

    /// --sink, --sink-spool and --sensor sit beside every other flag of analyze, capture and
    /// serve without a clash (clap checks this only in debug builds otherwise).
    #[test]
    fn sink_flags_fit_the_cli() {
        use clap::CommandFactory;
        crate::cli::Cli::command().debug_assert();
    }

    /// A caller (--metrics) that hands in its counters reads the sink's numbers there.
    #[test]
    fn shared_counters_are_the_sinks() {
        let stats = Arc::new(SinkStats::default());
        let args = crate::cli::SinkArgs {
            sink: Some(format!(
                "clickhouse+http://127.0.0.1:{}/db.t",
                closed_port()
            )),
            sink_spool: None,
            stats: Some(stats.clone()),
        };
        let sink = from_args(&args, Some("m"), false)
            .expect("start")
            .expect("a sink");
        assert!(Arc::ptr_eq(&sink.stats(), &stats));
        sink.push_line("{}\n".into());
        assert_eq!(stats.rows.load(Ordering::Relaxed), 1);
        drop(sink);
    }

    /// Without a spool, the memory queue is bounded: what does not fit is dropped and counted.
    #[test]
    fn memory_queue_is_bounded_without_a_spool() {
        let mut c = cfg(closed_port(), None);
        c.memory_rows = 50;
        c.flush_interval = Duration::from_secs(60);
        c.batch_rows = 1000;
        let sink = Sink::start(c).expect("start");
        for r in rows(80, "e") {
            sink.push_line(r);
        }
        let s = sink.finish();
        assert_eq!(s.sent, 0);
        assert_eq!(s.dropped, 80, "{s:?}");
        assert!(s.errors >= 1);
    }
}
