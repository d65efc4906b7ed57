//! Reading a capture file on a second thread while the first one analyses it.
//!
//! On a cached capture the kernel's copy into our buffer was a quarter of `analyze`'s time; it
//! now overlaps with the analysis. (Compressed files are not read ahead: see `CaptureReader`.) The
//! thread owns a few fixed-size chunks that travel to the reader and back, so memory stays
//! bounded (`CHUNKS` × `CHUNK`) whatever the file's size. (A memory map was measured first: it
//! removed the copy but left the analysing thread to fault in and miss on every page, and was
//! slower than read(2).)

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

/// Measured on a 1 GB capture: 64 KiB chunks cost more hand-overs, 4 MiB ones fall out of the
/// caches between the two threads; 256 KiB–1 MiB are best.
const CHUNK: usize = 256 << 10;
const CHUNKS: usize = 4;

pub struct ReadAhead {
    full: Receiver<io::Result<Vec<u8>>>,
    empty: SyncSender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
    ended: bool,
}

impl ReadAhead {
    /// Start reading `inner` on its own thread. Falls back to reading in place (`Err` gives the
    /// stream back) when no thread can be started.
    pub fn spawn(inner: Box<dyn Read + Send>) -> Result<ReadAhead, Box<dyn Read + Send>> {
        let (full_tx, full) = sync_channel::<io::Result<Vec<u8>>>(CHUNKS);
        let (empty, empty_rx) = sync_channel::<Vec<u8>>(CHUNKS + 1);
        for _ in 0..CHUNKS {
            let _ = empty.try_send(Vec::with_capacity(CHUNK));
        }
        // The stream waits in a slot the thread empties: if no thread starts, it is taken back.
        let handoff = Arc::new(Mutex::new(Some(inner)));
        let slot = handoff.clone();
        let spawned = std::thread::Builder::new()
            .name("capture-read".into())
            .spawn(move || {
                let Some(mut inner) = slot.lock().ok().and_then(|mut g| g.take()) else {
                    return;
                };
                while let Ok(mut buf) = empty_rx.recv() {
                    // A chunk that came back full keeps its length: only a new (or short) one
                    // is zeroed, not 256 KiB per hand-over that read(2) overwrites anyway.
                    if buf.len() != CHUNK {
                        buf.resize(CHUNK, 0);
                    }
                    let mut filled = 0;
                    // Fill the chunk: pipes and decoders return short reads.
                    let res = loop {
                        match inner.read(&mut buf[filled..]) {
                            Ok(0) => break Ok(()),
                            Ok(n) => {
                                filled += n;
                                if filled == buf.len() {
                                    break Ok(());
                                }
                            }
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => break Err(e),
                        }
                    };
                    buf.truncate(filled);
                    // The bytes before an error or the end go out first; then the error, or an
                    // empty chunk for the end (a short chunk alone does not say which).
                    let end = match res {
                        Ok(()) if filled == CHUNK => None, // full: more may come
                        Ok(()) => Some(Ok(Vec::new())),
                        Err(e) => Some(Err(e)),
                    };
                    if filled > 0 && full_tx.send(Ok(buf)).is_err() {
                        return;
                    }
                    if let Some(last) = end {
                        let _ = full_tx.send(last);
                        return;
                    }
                }
            });
        match spawned {
            Ok(_) => Ok(ReadAhead {
                full,
                empty,
                cur: Vec::new(),
                pos: 0,
                ended: false,
            }),
            Err(_) => Err(handoff
                .lock()
                .ok()
                .and_then(|mut g| g.take())
                .unwrap_or_else(|| Box::new(io::empty()))),
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            if self.ended {
                return Ok(0);
            }
            let spent = std::mem::take(&mut self.cur);
            if spent.capacity() > 0 {
                let _ = self.empty.try_send(spent);
            }
            self.pos = 0;
            match self.full.recv() {
                Ok(Ok(chunk)) if chunk.is_empty() => {
                    self.ended = true;
                    return Ok(0);
                }
                Ok(Ok(chunk)) => self.cur = chunk,
                Ok(Err(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                Err(_) => {
                    self.ended = true;
                    return Ok(0);
                }
            }
        }
        let n = out.len().min(self.cur.len() - self.pos);
        out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        // A real capture, repeated past several chunks so hand-overs and the short last chunk run.
        let one = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/samples/lab-fail-uefi-http-syslinux-exits.pcap"
        ))
        .expect("sample");
        let mut all = Vec::new();
        while all.len() < 3 * CHUNK + 12345 {
            all.extend_from_slice(&one);
        }
        all
    }

    /// Hands out at most `step` bytes per read, then fails with `fail` if set.
    struct Dribble {
        data: Vec<u8>,
        pos: usize,
        step: usize,
        fail_at: Option<usize>,
    }

    impl Read for Dribble {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.fail_at.is_some_and(|f| self.pos >= f) {
                return Err(io::Error::other("disk on fire"));
            }
            let end = self
                .pos
                .saturating_add(self.step)
                .min(self.data.len())
                .min(self.fail_at.unwrap_or(usize::MAX));
            let n = (end - self.pos).min(out.len());
            out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn read_all(r: &mut impl Read, step: usize) -> (Vec<u8>, Option<io::Error>) {
        let mut got = Vec::new();
        let mut buf = vec![0u8; step];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (got, None),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => return (got, Some(e)),
            }
        }
    }

    #[test]
    fn every_byte_arrives_in_order_whatever_the_read_sizes() {
        let data = sample();
        for (inner_step, outer_step) in [
            (usize::MAX, 1 << 20),
            (7, 4096),
            (CHUNK, 13),
            (CHUNK + 1, CHUNK),
        ] {
            let src = Dribble {
                data: data.clone(),
                pos: 0,
                step: inner_step,
                fail_at: None,
            };
            let Ok(mut ra) = ReadAhead::spawn(Box::new(src)) else {
                panic!("no thread")
            };
            let (got, err) = read_all(&mut ra, outer_step);
            assert!(err.is_none());
            assert!(
                got == data,
                "inner {inner_step} outer {outer_step}: {} of {} bytes",
                got.len(),
                data.len()
            );
        }
    }

    #[test]
    fn a_read_error_arrives_after_the_bytes_before_it() {
        let data = sample();
        let fail_at = 2 * CHUNK + 100;
        let src = Dribble {
            data: data.clone(),
            pos: 0,
            step: 5000,
            fail_at: Some(fail_at),
        };
        let Ok(mut ra) = ReadAhead::spawn(Box::new(src)) else {
            panic!("no thread")
        };
        let (got, err) = read_all(&mut ra, 4096);
        // Every byte before the failure arrives, then the error: not swallowed, not early.
        assert!(err.is_some_and(|e| e.to_string().contains("disk on fire")));
        assert!(got[..] == data[..got.len()]);
        assert_eq!(got.len(), fail_at, "every byte before the error");
    }

    #[test]
    fn a_reader_dropped_early_stops_the_thread() {
        let src = Dribble {
            data: sample(),
            pos: 0,
            step: usize::MAX,
            fail_at: None,
        };
        let Ok(mut ra) = ReadAhead::spawn(Box::new(src)) else {
            panic!("no thread")
        };
        let mut b = [0u8; 10];
        assert_eq!(ra.read(&mut b).ok(), Some(10));
        drop(ra); // the thread's next send fails and it returns; nothing hangs
    }
}
