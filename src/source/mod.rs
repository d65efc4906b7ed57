//! Frame sources: capture files (pcap, pcapng, gzip-compressed, stdin), merged by timestamp.
//! Nothing downstream knows where a frame came from.

pub mod file;
pub mod live;
mod readahead;
pub mod rotate;
pub mod writer;

pub use file::{CaptureReader, OpenError, ReadEnd};

/// One captured frame, numbered exactly as tshark numbers it (1-based, per input).
#[derive(Debug, Clone)]
pub struct Frame {
    pub input: usize,
    pub number: u64,
    /// Nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    pub linktype: u32,
    pub data: Vec<u8>,
    pub orig_len: u32,
    /// Byte offset of the record in the (decompressed) file, for error messages.
    pub offset: u64,
}

impl Frame {
    pub fn meta(&self) -> file::FrameMeta {
        file::FrameMeta {
            input: self.input,
            number: self.number,
            ts_ns: self.ts_ns,
            linktype: self.linktype,
            orig_len: self.orig_len,
            offset: self.offset,
        }
    }
}

/// Reads several inputs at once and yields their frames in timestamp order (a k-way merge that
/// holds one frame per input), so captures from both ends of a boot form one analysis.
pub struct Merger {
    readers: Vec<CaptureReader>,
    heads: Vec<Option<Frame>>,
    pub ends: Vec<Option<ReadEnd>>,
}

impl Merger {
    pub fn new(readers: Vec<CaptureReader>) -> Merger {
        let n = readers.len();
        Merger {
            readers,
            heads: vec![None; n],
            ends: vec![None; n],
        }
    }

    fn fill(&mut self, i: usize) {
        if self.heads[i].is_none() && self.ends[i].is_none() {
            match self.readers[i].next_frame() {
                Ok(Some(f)) => self.heads[i] = Some(f),
                Ok(None) => self.ends[i] = Some(self.readers[i].end()),
                Err(e) => self.ends[i] = Some(e),
            }
        }
    }

    /// Hand a frame back when done with it: its buffer carries the next frame of its input.
    pub fn recycle(&mut self, f: Frame) {
        if let Some(r) = self.readers.get_mut(f.input) {
            r.recycle(f.data);
        }
    }

    pub fn reader_mut(&mut self, i: usize) -> Option<&mut CaptureReader> {
        self.readers.get_mut(i)
    }

    pub fn reader(&self, i: usize) -> &CaptureReader {
        &self.readers[i]
    }

    pub fn len(&self) -> usize {
        self.readers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.readers.is_empty()
    }
}

impl Iterator for Merger {
    type Item = Frame;
    fn next(&mut self) -> Option<Frame> {
        for i in 0..self.readers.len() {
            self.fill(i);
        }
        // Ties go to the lower input index, keeping a single file's order intact.
        let mut best: Option<usize> = None;
        for (i, h) in self.heads.iter().enumerate() {
            if let Some(f) = h {
                match best {
                    Some(b) if self.heads[b].as_ref().is_some_and(|bf| bf.ts_ns <= f.ts_ns) => {}
                    _ => best = Some(i),
                }
            }
        }
        let i = best?;
        self.heads[i].take()
    }
}
