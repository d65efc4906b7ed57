//! Closed sessions serialised on a second thread: on a boot storm of small files, turning each
//! session into JSON was a fifth of the analysing thread's work while the second core idled
//! (the read-ahead thread needs little of it there). The analysing thread hands sessions over
//! in batches and writes the bytes that come back, in the order it handed them over, so the
//! output is byte for byte what serialising in place writes (the golden tests run it).
//!
//! When the worker is behind (its queue is full), the analysing thread renders the batch
//! itself instead of waiting: at the end of a storm every client closes at once, and closing
//! one costs a third of rendering it, so the analysing thread would otherwise idle for two
//! thirds of that phase. Batches carry a sequence number and leave in it.
//!
//! Memory stays bounded: at most `QUEUED` batches wait for the worker, at most `HELD` rendered
//! batches wait for an earlier one, and the analysing thread takes what is ready each time it
//! hands over a session, so what waits to be written is a few batches too.

use super::json::session_fragment;
use super::jsonl::jsonl_line;
use crate::model::{BootSession, FrameRef, Severity};
use std::collections::BTreeMap;
use std::io;
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::thread::JoinHandle;

/// Sessions per hand-over: one channel message per 32 sessions, not one per session.
const BATCH: usize = 32;
/// Batches waiting for the worker before the analysing thread waits for it (64 × 4 held
/// ~4 MB more at the peak of a storm's json run than this).
const QUEUED: usize = 2;
/// Batches the analysing thread rendered itself that wait for the worker's earlier ones; past
/// this it waits for the worker.
const HELD: usize = 4;

/// What the bytes of a session are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A `-f jsonl` line: `{"type":"session",…}` and a newline.
    JsonlLine,
    /// The session as it sits inside `-f json`'s `sessions` array (`SessionSpool`).
    JsonFragment,
}

/// One serialised session, with what the writer needs to know without the session.
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub first_frame: FrameRef,
    pub worst: Option<Severity>,
}

type Done = (u64, io::Result<Vec<Rendered>>);

pub struct Prerender {
    form: Form,
    tx: Option<SyncSender<(u64, Vec<BootSession>)>>,
    rx: Receiver<Done>,
    worker: Option<JoinHandle<()>>,
    batch: Vec<BootSession>,
    /// The sequence number of the next batch handed over, and of the next to be given out.
    next_in: u64,
    next_out: u64,
    /// Rendered batches not given out yet (an earlier one is still with the worker).
    held: BTreeMap<u64, io::Result<Vec<Rendered>>>,
}

fn render(form: Form, s: &BootSession) -> io::Result<Rendered> {
    let bytes = match form {
        Form::JsonlLine => {
            let mut b = Vec::with_capacity(8 << 10);
            jsonl_line(&mut b, "session", s)?;
            b
        }
        Form::JsonFragment => {
            session_fragment(s).ok_or_else(|| io::Error::other("session to JSON"))?
        }
    };
    Ok(Rendered {
        bytes,
        first_frame: s.first_frame,
        worst: s.worst_severity(),
    })
}

/// A batch rendered, its sessions freed by the thread that rendered it.
fn render_all(form: Form, batch: Vec<BootSession>) -> io::Result<Vec<Rendered>> {
    batch.iter().map(|s| render(form, s)).collect()
}

impl Prerender {
    pub fn spawn(form: Form) -> io::Result<Prerender> {
        let (tx, work) = mpsc::sync_channel::<(u64, Vec<BootSession>)>(QUEUED);
        let (done, rx) = mpsc::channel::<Done>();
        let worker = std::thread::Builder::new()
            .name("pxe-render".into())
            .spawn(move || {
                for (seq, batch) in work {
                    let out = render_all(form, batch);
                    if done.send((seq, out)).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Prerender {
            form,
            tx: Some(tx),
            rx,
            worker: Some(worker),
            batch: Vec::with_capacity(BATCH),
            next_in: 0,
            next_out: 0,
            held: BTreeMap::new(),
        })
    }

    /// Hand a session over; returns what is ready to be written (in hand-over order).
    pub fn push(&mut self, s: BootSession) -> io::Result<Vec<Rendered>> {
        self.batch.push(s);
        if self.batch.len() >= BATCH {
            self.send()?;
        }
        self.ready(false)
    }

    fn send(&mut self) -> io::Result<()> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        if batch.is_empty() {
            return Ok(());
        }
        let Some(tx) = &self.tx else {
            return Ok(());
        };
        let seq = self.next_in;
        self.next_in += 1;
        let stopped = || io::Error::other("the rendering thread stopped");
        match tx.try_send((seq, batch)) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full((seq, batch))) if self.held.len() < HELD => {
                self.held.insert(seq, render_all(self.form, batch));
                Ok(())
            }
            Err(TrySendError::Full(work)) => tx.send(work).map_err(|_| stopped()),
            Err(TrySendError::Disconnected(_)) => Err(stopped()),
        }
    }

    /// Rendered batches in hand-over order: those ready now, or with `all` every one still to
    /// come.
    fn ready(&mut self, all: bool) -> io::Result<Vec<Rendered>> {
        let mut out = Vec::new();
        loop {
            while let Some(batch) = self.held.remove(&self.next_out) {
                self.next_out += 1;
                out.extend(batch?);
            }
            if self.next_out == self.next_in {
                return Ok(out);
            }
            let next = if all {
                self.rx.recv().map_err(|_| TryRecvError::Disconnected)
            } else {
                self.rx.try_recv()
            };
            match next {
                Ok((seq, batch)) => {
                    self.held.insert(seq, batch);
                }
                Err(TryRecvError::Empty) => return Ok(out),
                Err(TryRecvError::Disconnected) => {
                    if let Some(w) = self.worker.take() {
                        if w.join().is_err() {
                            return Err(io::Error::other("the rendering thread panicked"));
                        }
                    }
                    // Everything it sent is in `held` and was given out above.
                    return if self.next_out == self.next_in {
                        Ok(out)
                    } else {
                        Err(io::Error::other("the rendering thread stopped early"))
                    };
                }
            }
        }
    }

    /// Everything still in flight, after which the worker has stopped.
    pub fn finish(&mut self) -> io::Result<Vec<Rendered>> {
        self.send()?;
        self.tx = None;
        self.ready(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{storm_sessions, StormConfig};

    /// Sessions pushed faster than the worker renders them (so the pushing thread renders
    /// batches too, held until the worker's earlier ones are back) come out in the order they
    /// went in, each the bytes rendering it in place gives.
    #[test]
    fn shared_rendering_keeps_hand_over_order() {
        let cfg = StormConfig {
            seed: 5,
            clients: 120,
            rate: 60.0,
            fail_percent: 30,
            bios_file_bytes: 4_000,
            efi_file_bytes: 4_000,
            ..StormConfig::default()
        };
        let (sessions, _) = storm_sessions(cfg, "prerender");
        // Ten rounds of the storm's sessions: 1,200 sessions, ~38 batches.
        let all: Vec<BootSession> = (0..10).flat_map(|_| sessions.iter().cloned()).collect();
        for form in [Form::JsonlLine, Form::JsonFragment] {
            let want: Vec<Vec<u8>> = all
                .iter()
                .map(|s| render(form, s).expect("render").bytes)
                .collect();
            let mut pre = Prerender::spawn(form).expect("spawn");
            let mut got = Vec::new();
            for s in all.iter().cloned() {
                got.extend(pre.push(s).expect("push").into_iter().map(|r| r.bytes));
            }
            got.extend(pre.finish().expect("finish").into_iter().map(|r| r.bytes));
            assert_eq!(got.len(), want.len(), "{form:?}");
            assert!(got == want, "{form:?}: bytes or order differ");
        }
    }
}
