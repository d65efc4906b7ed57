//! Closed sessions serialised on a second thread: on a boot storm of small files, turning each
//! session into JSON was a fifth of the analysing thread's work while the second core idled
//! (the read-ahead thread needs little of it there). The analysing thread hands sessions over
//! in batches and writes the bytes that come back, in the order it handed them over, so the
//! output is byte for byte what serialising in place writes (the golden tests run it).
//!
//! Memory stays bounded: at most `QUEUED` batches wait for the worker, and the analysing thread
//! takes what is ready each time it hands over a session, so what waits to be written is a few
//! batches too.

use super::json::session_fragment;
use super::jsonl::jsonl_line;
use crate::model::{BootSession, FrameRef, Severity};
use std::io;
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::thread::JoinHandle;

/// Sessions per hand-over: one channel message per 32 sessions, not one per session.
const BATCH: usize = 32;
/// Batches waiting for the worker before the analysing thread waits for it (64 × 4 held
/// ~4 MB more at the peak of a storm's json run than this).
const QUEUED: usize = 2;

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

pub struct Prerender {
    tx: Option<SyncSender<Vec<BootSession>>>,
    rx: Receiver<io::Result<Vec<Rendered>>>,
    worker: Option<JoinHandle<()>>,
    batch: Vec<BootSession>,
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

impl Prerender {
    pub fn spawn(form: Form) -> io::Result<Prerender> {
        let (tx, work) = mpsc::sync_channel::<Vec<BootSession>>(QUEUED);
        let (done, rx) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("pxe-render".into())
            .spawn(move || {
                for batch in work {
                    let out: io::Result<Vec<Rendered>> =
                        batch.iter().map(|s| render(form, s)).collect();
                    // The sessions are freed here too, off the analysing thread.
                    drop(batch);
                    if done.send(out).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Prerender {
            tx: Some(tx),
            rx,
            worker: Some(worker),
            batch: Vec::with_capacity(BATCH),
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
        match &self.tx {
            Some(tx) => tx
                .send(batch)
                .map_err(|_| io::Error::other("the rendering thread stopped")),
            None => Ok(()),
        }
    }

    /// Rendered batches: those ready now, or with `all` every one still to come.
    fn ready(&mut self, all: bool) -> io::Result<Vec<Rendered>> {
        let mut out = Vec::new();
        loop {
            let next = if all {
                self.rx.recv().map_err(|_| TryRecvError::Disconnected)
            } else {
                self.rx.try_recv()
            };
            match next {
                Ok(batch) => out.extend(batch?),
                Err(TryRecvError::Empty) => return Ok(out),
                Err(TryRecvError::Disconnected) => {
                    if let Some(w) = self.worker.take() {
                        if w.join().is_err() {
                            return Err(io::Error::other("the rendering thread panicked"));
                        }
                    }
                    return Ok(out);
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
