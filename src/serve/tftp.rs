//! Sans-IO TFTP server: request validation (read-only root, traversal refused), option
//! negotiation (RFC 2347/2348/2349/7440) and one state machine per transfer. Packets and time in,
//! packets out; the runtime owns sockets and timers.

use crate::wire::tftp::{self, Request, Tftp};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Default)]
pub struct TftpFaults {
    /// Answer every RRQ with this TFTP error code (`tftp-error=CODE`; 1 for `tftp-file-not-found`).
    pub error_code: Option<u16>,
    /// Stop sending at this block (`tftp-incomplete=BLOCK`).
    pub stop_at_block: Option<u64>,
    /// Lose this share of blocks once (`tftp-retransmits=PERCENT`): the block is sent, its ACKs
    /// are treated as lost until the block goes out again (on the timeout, or on the client's
    /// late re-ask), which is what a lossy path looks like from either end of the wire. The
    /// client re-sending the same ACK on its own timer must not get past the loss: that raced
    /// our timer and made the fault vanish on some machines.
    pub drop_percent: u8,
    /// Ignore the client's options: no OACK (`tftp-options-ignored`).
    pub ignore_options: bool,
}

/// Root directory with a cache so a file is read once, not once per block or per client.
pub struct FileStore {
    root: PathBuf,
    cache: Mutex<HashMap<PathBuf, Arc<[u8]>>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: u16,
    pub message: String,
}

fn refuse(code: u16, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
    }
}

impl FileStore {
    pub fn new(root: &Path) -> std::io::Result<FileStore> {
        Ok(FileStore {
            root: root.canonicalize()?,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Resolve a requested name inside the root. Leading slashes are allowed (grub asks for
    /// `/grub/grub.cfg`) and mean the root; `..`, NUL bytes and symlinks leading outside are refused.
    pub fn resolve(&self, name: &str) -> Result<PathBuf, Refusal> {
        if name.is_empty() {
            return Err(refuse(2, "empty file name"));
        }
        if name.contains('\0') {
            return Err(refuse(2, "NUL in file name"));
        }
        let name = name.replace('\\', "/");
        let rel = Path::new(name.trim_start_matches('/'));
        let mut p = self.root.clone();
        for c in rel.components() {
            match c {
                Component::Normal(x) => p.push(x),
                Component::CurDir => {}
                _ => return Err(refuse(2, "path leaves the TFTP root")),
            }
        }
        let real = p.canonicalize().map_err(|_| refuse(1, "file not found"))?;
        if !real.starts_with(&self.root) {
            return Err(refuse(2, "path leaves the TFTP root"));
        }
        if !real.is_file() {
            return Err(refuse(1, "file not found"));
        }
        Ok(real)
    }

    pub fn load(&self, name: &str) -> Result<Arc<[u8]>, Refusal> {
        let path = self.resolve(name)?;
        if let Ok(c) = self.cache.lock() {
            if let Some(d) = c.get(&path) {
                return Ok(d.clone());
            }
        }
        let data: Arc<[u8]> = std::fs::read(&path)
            .map_err(|e| refuse(2, format!("cannot read: {e}")))?
            .into();
        if let Ok(mut c) = self.cache.lock() {
            c.insert(path, data.clone());
        }
        Ok(data)
    }
}

fn netascii(data: &[u8]) -> Vec<u8> {
    let mut o = Vec::with_capacity(data.len() + data.len() / 32);
    for &b in data {
        match b {
            b'\n' => o.extend_from_slice(b"\r\n"),
            b'\r' => o.extend_from_slice(b"\r\0"),
            x => o.push(x),
        }
    }
    o
}

pub const MAX_RETRIES: u32 = 5;

/// One read transfer, driven by ACKs and timeouts.
pub struct Transfer {
    data: Arc<[u8]>,
    pub file: String,
    pub blksize: usize,
    pub windowsize: u64,
    timeout_ns: i64,
    /// Waiting for ACK 0 of our OACK.
    awaiting_oack_ack: bool,
    oack: Option<Vec<u8>>,
    /// Next block the client has not acknowledged (unrolled, 1-based).
    base: u64,
    /// Highest block sent so far.
    sent_up_to: u64,
    total_blocks: u64,
    deadline: i64,
    retries: u32,
    pub done: bool,
    pub gave_up: bool,
    faults: TftpFaults,
    sends: u64,
    /// Blocks whose ACKs are ignored until they are sent again (simulated loss).
    lose_ack: std::collections::HashSet<u64>,
    max_sent: u64,
    /// When data last went out (a duplicate ACK soon after is an echo, later a plea).
    last_send: i64,
    /// The window start a duplicate ACK already made us resend.
    dup_resend_for: Option<u64>,
}

impl Transfer {
    /// Validate a request and start a transfer; returns the first packets to send, or an ERROR.
    // Long on purpose: an RRQ in RFC order (fault, mode, file, option negotiation, OACK or first
    // window); a quarter of it is the Transfer literal, one line per field.
    pub fn start(
        store: &FileStore,
        req: &Request<'_>,
        now: i64,
        faults: &TftpFaults,
    ) -> Result<(Transfer, Vec<Vec<u8>>), Vec<u8>> {
        let err = |r: Refusal| {
            Tftp::Error {
                code: r.code,
                message: r.message.into(),
            }
            .encode()
        };
        if let Some(code) = faults.error_code {
            let msg = if code == 1 {
                "file not found"
            } else {
                "injected error (pxe-inspect serve --fault)"
            };
            return Err(err(refuse(code, msg)));
        }
        let mode = req.mode.to_ascii_lowercase();
        if mode != "octet" && mode != "netascii" {
            return Err(err(refuse(4, format!("mode {mode} not supported"))));
        }
        let raw = store.load(&req.filename).map_err(err)?;
        let data: Arc<[u8]> = if mode == "netascii" {
            netascii(&raw).into()
        } else {
            raw
        };
        let mut t = Transfer {
            data,
            file: req.filename.to_string(),
            blksize: 512,
            windowsize: 1,
            timeout_ns: 1_000_000_000,
            awaiting_oack_ack: false,
            oack: None,
            base: 1,
            sent_up_to: 0,
            total_blocks: 0,
            deadline: now,
            retries: 0,
            done: false,
            gave_up: false,
            faults: faults.clone(),
            sends: 0,
            lose_ack: Default::default(),
            max_sent: 0,
            last_send: now,
            dup_resend_for: None,
        };
        let mut acked = Vec::new();
        if !faults.ignore_options {
            for (k, v) in &req.options {
                let n: Option<u64> = v.trim().parse().ok();
                match (k.to_ascii_lowercase().as_str(), n) {
                    ("blksize", Some(b)) if b >= 8 => {
                        t.blksize = b.min(65464) as usize;
                        acked.push((k.clone(), t.blksize.to_string().into()));
                    }
                    ("windowsize", Some(w)) if w >= 1 => {
                        t.windowsize = w.min(64);
                        acked.push((k.clone(), t.windowsize.to_string().into()));
                    }
                    ("timeout", Some(s)) if (1..=255).contains(&s) => {
                        t.timeout_ns = s as i64 * 1_000_000_000;
                        acked.push((k.clone(), s.to_string().into()));
                    }
                    ("tsize", Some(_)) => acked.push((k.clone(), t.data.len().to_string().into())),
                    _ => {} // unknown options are simply not acknowledged (RFC 2347)
                }
            }
        }
        t.total_blocks = t.data.len() as u64 / t.blksize as u64 + 1;
        let out = if acked.is_empty() {
            t.send_window(now)
        } else {
            t.awaiting_oack_ack = true;
            let o = Tftp::Oack { options: acked }.encode();
            t.oack = Some(o.clone());
            t.deadline = now + t.timeout_ns;
            vec![o]
        };
        Ok((t, out))
    }

    fn block(&self, k: u64) -> Vec<u8> {
        let start = ((k - 1) as usize)
            .saturating_mul(self.blksize)
            .min(self.data.len());
        let end = (start + self.blksize).min(self.data.len());
        Tftp::Data {
            block: (k % 65536) as u16,
            data: &self.data[start..end],
        }
        .encode()
    }

    /// Deterministic "random" loss for the retransmits fault (only on a block's first send).
    fn dropped(&mut self, k: u64) -> bool {
        self.sends += 1;
        if self.faults.drop_percent == 0 || k <= self.max_sent {
            return false;
        }
        let h = (k ^ (self.sends << 20)).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56;
        (h % 100) < u64::from(self.faults.drop_percent)
    }

    /// Send blocks from `base` (or after what is in flight) up to the window.
    fn send_window(&mut self, now: i64) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let last = (self.base + self.windowsize - 1).min(self.total_blocks);
        let from = (self.sent_up_to + 1).max(self.base);
        for k in from..=last {
            if self.faults.stop_at_block.is_some_and(|b| k >= b) {
                break; // injected stall: go silent
            }
            if self.dropped(k) {
                self.lose_ack.insert(k);
            } else if k <= self.max_sent {
                self.lose_ack.remove(&k); // this is the resend the loss asked for
            }
            out.push(self.block(k));
            self.sent_up_to = k;
            self.max_sent = self.max_sent.max(k);
        }
        if !out.is_empty() {
            self.last_send = now;
        }
        self.deadline = now + self.timeout_ns;
        out
    }

    /// Handle a packet from the client's TID.
    pub fn on_packet(&mut self, bytes: &[u8], now: i64) -> Vec<Vec<u8>> {
        if self.done {
            return vec![];
        }
        match Tftp::decode(bytes) {
            Ok(Tftp::Ack { block }) => {
                if self.awaiting_oack_ack {
                    if block != 0 {
                        return vec![];
                    }
                    self.awaiting_oack_ack = false;
                    self.retries = 0;
                    return self.send_window(now);
                }
                // Map the 16-bit number to the unrolled block in flight (rollover past 65535).
                let lo = self.base.saturating_sub(1);
                let k = (lo..=self.sent_up_to)
                    .rev()
                    .find(|k| k % 65536 == u64::from(block));
                let Some(k) = k else { return vec![] };
                if self.lose_ack.contains(&k) {
                    return vec![]; // injected loss: as if this ACK never arrived; the timer resends
                }
                if k < self.base {
                    // A duplicate ACK right after we sent is an echo: ignoring it is what keeps
                    // Sorcerer's Apprentice away. The same ACK half a timeout later is the client
                    // re-asking after its own timeout (our window was lost): resend now instead
                    // of waiting out our backoff, which can outlast the client's patience.
                    // RFC 7440 (windowsize > 1): the first duplicate of the last in-order ACK also
                    // means "a block of your window is missing, restart here" — once per window
                    // start, so duplicated ACKs cost at most one extra window. With windowsize 1
                    // only the late re-ask counts (the classic rule).
                    let first_for_base =
                        self.windowsize > 1 && self.dup_resend_for != Some(self.base);
                    if k + 1 == self.base
                        && self.base <= self.total_blocks
                        && (first_for_base || now - self.last_send >= self.timeout_ns / 2)
                    {
                        self.dup_resend_for = Some(self.base);
                        self.sent_up_to = self.base - 1;
                        return self.send_window(now);
                    }
                    return vec![];
                }
                self.base = k + 1;
                self.retries = 0;
                if self.base > self.total_blocks {
                    self.done = true;
                    return vec![];
                }
                if k < self.sent_up_to {
                    // RFC 7440: an ACK inside the window means loss after it: restart from there.
                    self.sent_up_to = k;
                }
                self.send_window(now)
            }
            Ok(Tftp::Error { .. }) => {
                self.done = true; // client abort (the tsize probe does this)
                vec![]
            }
            _ => vec![Tftp::Error {
                code: 4,
                message: "illegal TFTP operation".into(),
            }
            .encode()],
        }
    }

    pub fn poll_timeout(&self) -> Option<i64> {
        (!self.done).then_some(self.deadline)
    }

    /// Retransmit the unacknowledged window with exponential backoff, or give up.
    pub fn on_timeout(&mut self, now: i64) -> Vec<Vec<u8>> {
        if self.done || now < self.deadline {
            return vec![];
        }
        self.retries += 1;
        if self.retries > MAX_RETRIES {
            self.done = true;
            self.gave_up = true;
            return vec![];
        }
        let backoff = self.timeout_ns << self.retries.min(4);
        if self.awaiting_oack_ack {
            self.deadline = now + backoff;
            return self.oack.clone().into_iter().collect();
        }
        self.sent_up_to = self.base - 1;
        let out = self.send_window(now);
        self.deadline = now + backoff;
        out
    }
}

/// Decide what to do with a packet on the server port (69): a transfer to start or a reply.
pub enum Incoming {
    Start(Box<Transfer>, Vec<Vec<u8>>),
    Reply(Vec<u8>),
    Ignore,
}

pub fn on_request(
    store: &FileStore,
    bytes: &[u8],
    now: i64,
    faults: &TftpFaults,
    busy: bool,
) -> Incoming {
    match Tftp::decode(bytes) {
        Ok(Tftp::Rrq(req)) => {
            if busy {
                return Incoming::Reply(
                    Tftp::Error {
                        code: 0,
                        message: "server busy, try again".into(),
                    }
                    .encode(),
                );
            }
            match Transfer::start(store, &req, now, faults) {
                Ok((t, out)) => Incoming::Start(Box::new(t), out),
                Err(e) => Incoming::Reply(e),
            }
        }
        Ok(Tftp::Wrq(_)) => Incoming::Reply(
            Tftp::Error {
                code: 2,
                message: "read-only server: writes are refused".into(),
            }
            .encode(),
        ),
        Ok(_) => Incoming::Reply(
            Tftp::Error {
                code: 4,
                message: "expected a read request".into(),
            }
            .encode(),
        ),
        Err(_) => Incoming::Ignore,
    }
}

pub fn option_names(req: &Request<'_>) -> Vec<String> {
    req.options.iter().map(|(k, _)| k.to_string()).collect()
}

#[allow(dead_code)]
fn _uses(_: &tftp::Request<'_>) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(files: &[(&str, usize)]) -> (FileStore, PathBuf) {
        let d = std::env::temp_dir().join(format!(
            "pxi-tftp-{}-{}",
            std::process::id(),
            files
                .iter()
                .map(|(n, l)| format!("{n}{l}"))
                .collect::<String>()
        ));
        let _ = std::fs::create_dir_all(&d);
        for (n, len) in files {
            std::fs::write(d.join(n), (0..*len).map(|i| i as u8).collect::<Vec<u8>>())
                .expect("write");
        }
        (FileStore::new(&d).expect("store"), d)
    }

    fn rrq<'a>(name: &'a str, opts: &[(&'a str, &'a str)]) -> Request<'a> {
        Request {
            filename: name.into(),
            mode: "octet".into(),
            options: opts
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        }
    }

    fn blocks_of(pkts: &[Vec<u8>]) -> Vec<u16> {
        pkts.iter()
            .filter_map(|p| match Tftp::decode(p) {
                Ok(Tftp::Data { block, .. }) => Some(block),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn lockstep_transfer_and_duplicate_acks() {
        let (s, _) = store(&[("f", 1000)]);
        let (mut t, out) =
            Transfer::start(&s, &rrq("f", &[]), 0, &TftpFaults::default()).expect("starts");
        assert_eq!(blocks_of(&out), vec![1]);
        let next = t.on_packet(&Tftp::Ack { block: 1 }.encode(), 1);
        assert_eq!(blocks_of(&next), vec![2]);
        // A duplicate ACK 1 never causes a duplicate DATA 2 (Sorcerer's Apprentice).
        assert!(t.on_packet(&Tftp::Ack { block: 1 }.encode(), 2).is_empty());
        assert!(t.on_packet(&Tftp::Ack { block: 2 }.encode(), 3).is_empty());
        assert!(t.done);
    }

    #[test]
    fn oack_then_window_restart_on_early_ack() {
        let (s, _) = store(&[("w", 10_000)]);
        let (mut t, out) = Transfer::start(
            &s,
            &rrq(
                "w",
                &[
                    ("blksize", "1000"),
                    ("windowsize", "4"),
                    ("tsize", "0"),
                    ("msftwindow", "31416"),
                ],
            ),
            0,
            &TftpFaults::default(),
        )
        .expect("starts");
        match Tftp::decode(&out[0]) {
            Ok(Tftp::Oack { options }) => assert_eq!(
                options,
                tftp::Options::from([
                    ("blksize".into(), "1000".into()),
                    ("windowsize".into(), "4".into()),
                    ("tsize".into(), "10000".into())
                ])
            ),
            o => panic!("{o:?}"),
        }
        assert_eq!(
            blocks_of(&t.on_packet(&Tftp::Ack { block: 0 }.encode(), 1)),
            vec![1, 2, 3, 4]
        );
        // ACK 2: blocks 3 and 4 were lost, restart the window from 3.
        assert_eq!(
            blocks_of(&t.on_packet(&Tftp::Ack { block: 2 }.encode(), 2)),
            vec![3, 4, 5, 6]
        );
        // The client saw a gap after 2 again (block 3 lost twice): the first duplicate ACK 2
        // restarts the window, an echo of it right after does not (no Sorcerer's Apprentice), and
        // the same ACK after half a timeout (the client's own retry) does.
        assert_eq!(
            blocks_of(&t.on_packet(&Tftp::Ack { block: 2 }.encode(), 3)),
            vec![3, 4, 5, 6]
        );
        assert!(t.on_packet(&Tftp::Ack { block: 2 }.encode(), 4).is_empty());
        assert_eq!(
            blocks_of(&t.on_packet(&Tftp::Ack { block: 2 }.encode(), 600_000_000)),
            vec![3, 4, 5, 6]
        );
        assert_eq!(
            blocks_of(&t.on_packet(&Tftp::Ack { block: 6 }.encode(), 600_000_001)),
            vec![7, 8, 9, 10]
        );
        assert_eq!(
            blocks_of(&t.on_packet(&Tftp::Ack { block: 10 }.encode(), 600_000_002)),
            vec![11]
        );
        assert!(t
            .on_packet(&Tftp::Ack { block: 11 }.encode(), 600_000_003)
            .is_empty());
        assert!(t.done);
    }

    #[test]
    fn rollover_past_65535() {
        let (s, _) = store(&[("big", 70_000 * 8)]);
        let (mut t, _) = Transfer::start(
            &s,
            &rrq("big", &[("blksize", "8")]),
            0,
            &TftpFaults::default(),
        )
        .expect("starts");
        let _ = t.on_packet(&Tftp::Ack { block: 0 }.encode(), 0);
        let mut last = 0;
        for k in 1..=70_001u64 {
            let out = t.on_packet(
                &Tftp::Ack {
                    block: (k % 65536) as u16,
                }
                .encode(),
                k as i64,
            );
            if t.done {
                last = k;
                break;
            }
            assert_eq!(
                blocks_of(&out),
                vec![((k + 1) % 65536) as u16],
                "after ACK {k}"
            );
        }
        assert_eq!(last, 70_001, "70000 full blocks + an empty final one");
    }

    #[test]
    fn injected_loss_survives_the_clients_own_reack() {
        // CI saw tftp-retransmits=25 vanish: the client re-sent ACK k on its 1 s timer before
        // our 1 s timer fired, and that second ACK got past the "loss". Every block's ACK is
        // lost here; the client re-acks at once and again later, and each block still goes
        // out twice.
        let (s, _) = store(&[("l", 1500)]);
        let faults = TftpFaults {
            drop_percent: 100,
            ..TftpFaults::default()
        };
        let (mut t, out) = Transfer::start(&s, &rrq("l", &[]), 0, &faults).expect("starts");
        assert_eq!(blocks_of(&out), vec![1]);
        let mut sends = 1;
        let mut now = 0;
        for k in 1..=3u16 {
            for _ in 0..3 {
                now += 100_000_000;
                assert!(
                    t.on_packet(&Tftp::Ack { block: k }.encode(), now)
                        .is_empty(),
                    "ACK {k} is lost until block {k} is sent again"
                );
            }
            now = t.poll_timeout().expect("deadline");
            assert_eq!(
                blocks_of(&t.on_timeout(now)),
                vec![k],
                "resent on the timer"
            );
            sends += 1;
            let next = t.on_packet(&Tftp::Ack { block: k }.encode(), now + 1);
            if k < 3 {
                assert_eq!(blocks_of(&next), vec![k + 1]);
                sends += 1;
            }
        }
        // 1500 bytes at 512 = blocks 1, 2, 3 (476 bytes): the last ACK ends it.
        assert!(t.done);
        assert_eq!(sends, 6, "three blocks, each sent twice");
    }

    #[test]
    fn timeouts_retransmit_then_give_up() {
        let (s, _) = store(&[("t", 100)]);
        let (mut t, _) =
            Transfer::start(&s, &rrq("t", &[]), 0, &TftpFaults::default()).expect("starts");
        let mut now = 0;
        for _ in 0..MAX_RETRIES {
            now = t.poll_timeout().expect("deadline");
            assert_eq!(blocks_of(&t.on_timeout(now)), vec![1]);
        }
        now = t.poll_timeout().expect("deadline").max(now);
        assert!(t.on_timeout(now).is_empty());
        assert!(t.gave_up);
    }

    #[test]
    fn traversal_and_writes_are_refused() {
        let (s, d) = store(&[("ok", 10)]);
        for bad in ["../etc/passwd", "/../x", "a/../../b", "x\0y"] {
            assert_eq!(s.resolve(bad).map_err(|e| e.code), Err(2), "{bad:?}");
        }
        assert!(s.resolve("/ok").is_ok(), "leading slash means the root");
        #[cfg(unix)]
        {
            let _ = std::os::unix::fs::symlink("/etc/hostname", d.join("escape"));
            assert_eq!(s.resolve("escape").map_err(|e| e.code), Err(2));
        }
        assert_eq!(s.resolve("missing").map_err(|e| e.code), Err(1));
        // Overlong names (beyond PATH_MAX and NAME_MAX) and backslash traversal are refused, not panics.
        assert!(s.resolve(&"a".repeat(10_000)).is_err());
        assert!(s.resolve(&"d/".repeat(3_000)).is_err());
        assert_eq!(s.resolve("..\\..\\etc\\passwd").map_err(|e| e.code), Err(2));
        // Out-of-range option values are clamped or ignored, never trusted.
        for (k, v) in [
            ("blksize", "0"),
            ("blksize", "99999999999"),
            ("windowsize", "0"),
            ("windowsize", "70000"),
            ("tsize", "-1"),
            ("timeout", "0"),
        ] {
            let r = Transfer::start(&s, &rrq("ok", &[(k, v)]), 0, &TftpFaults::default());
            if let Ok((t, _)) = r {
                assert!(
                    (8..=65464).contains(&t.blksize) && (1..=65535).contains(&t.windowsize),
                    "{k}={v}"
                );
            }
        }
        let wrq = Tftp::Wrq(rrq("ok", &[])).encode();
        match on_request(&s, &wrq, 0, &TftpFaults::default(), false) {
            Incoming::Reply(r) => {
                assert!(matches!(Tftp::decode(&r), Ok(Tftp::Error { code: 2, .. })))
            }
            _ => panic!("WRQ must be refused"),
        }
    }

    #[test]
    fn faults_shape_the_transfer() {
        let (s, _) = store(&[("f", 5000)]);
        let stop = TftpFaults {
            stop_at_block: Some(3),
            ..Default::default()
        };
        let (mut t, out) = Transfer::start(&s, &rrq("f", &[]), 0, &stop).expect("starts");
        assert_eq!(blocks_of(&out), vec![1]);
        assert_eq!(
            blocks_of(&t.on_packet(&Tftp::Ack { block: 1 }.encode(), 1)),
            vec![2]
        );
        assert!(
            t.on_packet(&Tftp::Ack { block: 2 }.encode(), 2).is_empty(),
            "stalls at block 3"
        );
        let ign = TftpFaults {
            ignore_options: true,
            ..Default::default()
        };
        let (_, out) =
            Transfer::start(&s, &rrq("f", &[("blksize", "1400")]), 0, &ign).expect("starts");
        assert_eq!(blocks_of(&out), vec![1], "no OACK, straight to DATA 1");
        let e = Transfer::start(
            &s,
            &rrq("f", &[]),
            0,
            &TftpFaults {
                error_code: Some(3),
                ..Default::default()
            },
        );
        assert!(e.is_err());
    }
}
