//! Streaming capture-file reader on pcap-parser (about twice libpcap's speed and happy with
//! pcapng files whose interfaces have different link types; CRATES.md). Format is detected by
//! magic bytes; gzip and zstd are unwrapped transparently. Damage ends the file with a `ReadEnd` that says
//! where, after every frame before it has been delivered.

use super::readahead::ReadAhead;
use super::Frame;
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{create_reader, PcapBlockOwned, PcapError};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

const INITIAL_BUFFER: usize = 1 << 20;
/// Records larger than this are treated as corrupt lengths, not as packets to buffer.
const MAX_RECORD: usize = 16 << 20;

/// PXE_INSPECT_READ_AHEAD=0 reads on the analysing thread (for measuring what the second one buys).
fn read_ahead_enabled() -> bool {
    std::env::var_os("PXE_INSPECT_READ_AHEAD").is_none_or(|v| v != "0")
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{file}: cannot open: {source}")]
    Io { file: String, source: io::Error },
    #[error("{file}: not a pcap or pcapng capture (first bytes: {magic})")]
    NotCapture { file: String, magic: String },
    #[error("{file}: empty file")]
    Empty { file: String },
}

/// How a capture ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReadEnd {
    /// True when the file ended cleanly.
    pub clean: bool,
    /// Byte offset where reading stopped (in the decompressed stream).
    pub offset: u64,
    pub frames: u64,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct Iface {
    linktype: u32,
    /// Units per second.
    resolution: u64,
    offset_s: i64,
}

impl Iface {
    /// An interface no IDB described (a damaged file): microseconds, link type unknown.
    const UNKNOWN: Iface = Iface {
        linktype: u32::MAX,
        resolution: 1_000_000,
        offset_s: 0,
    };

    /// A pcapng timestamp (high and low 32 bits, in this interface's units) in ns since the epoch.
    fn ts_ns(&self, high: u32, low: u32) -> i64 {
        let raw = (u128::from(high) << 32) | u128::from(low);
        let ns = raw.saturating_mul(1_000_000_000) / u128::from(self.resolution);
        i64::try_from(ns)
            .unwrap_or(i64::MAX)
            .saturating_add(self.offset_s.saturating_mul(1_000_000_000))
    }
}

pub struct CaptureReader {
    pub name: String,
    pub compressed: bool,
    reader: Box<dyn PcapReaderIterator + Send>,
    st: State,
    /// Link types seen (for the inputs section of the report).
    pub linktypes: Vec<u32>,
    done: Option<ReadEnd>,
    buffer_cap: usize,
    pub format: &'static str,
    /// Bytes of the block last handed out by `next_view`, consumed on the next call (the view
    /// borrows them until then).
    pending_consume: usize,
}

/// A frame's place and time; its bytes come with it (`next_view`) or in a `Frame`.
#[derive(Debug, Clone, Copy)]
pub struct FrameMeta {
    pub input: usize,
    pub number: u64,
    pub ts_ns: i64,
    pub linktype: u32,
    pub orig_len: u32,
    pub offset: u64,
}

/// Per-file decoding state, apart from the reader so blocks borrowed from it can update it.
struct State {
    input: usize,
    format: &'static str,
    ifaces: Vec<Iface>,
    legacy: Option<(u32, bool)>,
    frame_no: u64,
    last_ts: i64,
    /// The latest isb_endtime (pcapng Interface Statistics Block): when the capturing program
    /// stopped listening, which may be well after the last frame.
    listened_until: Option<i64>,
    /// Frame buffers handed back by the consumer (`Merger::recycle`): allocation and free per
    /// frame were a fifth of analyze's time.
    spare: Vec<Vec<u8>>,
}

fn hexdump(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

impl CaptureReader {
    /// Open a file, or standard input for "-".
    pub fn open(path: &str, input: usize) -> Result<CaptureReader, OpenError> {
        let raw: Box<dyn Read + Send> = if path == "-" {
            Box::new(io::stdin())
        } else {
            Box::new(File::open(Path::new(path)).map_err(|e| OpenError::Io {
                file: path.to_string(),
                source: e,
            })?)
        };
        Self::build(path, input, raw, INITIAL_BUFFER, read_ahead_enabled())
    }

    pub fn from_read(
        name: &str,
        input: usize,
        raw: Box<dyn Read + Send>,
    ) -> Result<CaptureReader, OpenError> {
        Self::from_read_sized(name, input, raw, INITIAL_BUFFER)
    }

    /// As `from_read`, starting with a `buffer`-byte record buffer (it grows for big records).
    /// The fuzz targets use a small one: a fresh 1 MiB per input was most of their time.
    pub fn from_read_sized(
        name: &str,
        input: usize,
        raw: Box<dyn Read + Send>,
        buffer: usize,
    ) -> Result<CaptureReader, OpenError> {
        Self::build(name, input, raw, buffer, false)
    }

    /// `read_ahead`: read an uncompressed file on a second thread (`readahead`).
    fn build(
        name: &str,
        input: usize,
        raw: Box<dyn Read + Send>,
        buffer: usize,
        read_ahead: bool,
    ) -> Result<CaptureReader, OpenError> {
        let buffer = buffer.clamp(4096, MAX_RECORD);
        let mut buf = BufReader::with_capacity(64 * 1024, raw);
        let head = buf
            .fill_buf()
            .map_err(|e| OpenError::Io {
                file: name.to_string(),
                source: e,
            })?
            .to_vec();
        if head.is_empty() {
            return Err(OpenError::Empty {
                file: name.to_string(),
            });
        }
        let gzip = head.starts_with(&[0x1f, 0x8b]);
        let zst = head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
        let compressed = gzip || zst;
        let stream: Box<dyn Read + Send> = if gzip {
            Box::new(flate2::read::MultiGzDecoder::new(buf))
        } else if zst {
            Box::new(
                zstd::stream::read::Decoder::with_buffer(buf).map_err(|e| OpenError::Io {
                    file: name.to_string(),
                    source: e,
                })?,
            )
        } else {
            Box::new(buf)
        };
        // Compressed streams stay on this thread: pcap-parser reads twice while opening, and a
        // truncated gzip read ahead reports its error on the second read, so the file failed to
        // open instead of yielding the frames before the damage.
        let stream = if read_ahead && !compressed {
            ReadAhead::spawn(stream).map_or_else(|s| s, |r| Box::new(r) as Box<dyn Read + Send>)
        } else {
            stream
        };
        let reader = match create_reader(buffer, stream) {
            Ok(r) => r,
            Err(PcapError::Eof) => {
                return Err(OpenError::Empty {
                    file: name.to_string(),
                })
            }
            Err(_) => {
                return Err(OpenError::NotCapture {
                    file: name.to_string(),
                    magic: hexdump(&head[..head.len().min(8)]),
                });
            }
        };
        Ok(CaptureReader {
            name: name.to_string(),
            compressed,
            reader,
            st: State {
                input,
                format: "unknown",
                ifaces: Vec::new(),
                legacy: None,
                frame_no: 0,
                last_ts: 0,
                listened_until: None,
                spare: Vec::new(),
            },
            format: "unknown",
            linktypes: Vec::new(),
            done: None,
            buffer_cap: buffer,
            pending_consume: 0,
        })
    }

    pub fn frames_read(&self) -> u64 {
        self.st.frame_no
    }

    /// Take a frame's buffer back for the next frame.
    pub fn recycle(&mut self, data: Vec<u8>) {
        if self.st.spare.len() < 4 {
            self.st.spare.push(data);
        }
    }

    pub fn end(&self) -> ReadEnd {
        self.done.clone().unwrap_or(ReadEnd {
            clean: true,
            offset: self.reader.consumed() as u64,
            frames: self.st.frame_no,
            message: None,
        })
    }

    fn finish(&mut self, clean: bool, message: Option<String>) {
        let offset = self.reader.consumed() as u64;
        self.done = Some(ReadEnd {
            clean,
            offset,
            frames: self.st.frame_no,
            message,
        });
    }

    fn note_linktype(&mut self, lt: u32) {
        if !self.linktypes.contains(&lt) {
            self.linktypes.push(lt);
        }
    }

    /// Next frame, `Ok(None)` at the end (clean or not: see `end()`), `Err` never after the
    /// first call succeeds except to report the end once more.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, ReadEnd> {
        let mut buf = self.st.spare.pop().unwrap_or_default();
        buf.clear();
        let meta = match self.next_view()? {
            Some((meta, data)) => {
                buf.extend_from_slice(data);
                meta
            }
            None => {
                self.st.spare.push(buf);
                return Ok(None);
            }
        };
        Ok(Some(Frame {
            input: meta.input,
            number: meta.number,
            ts_ns: meta.ts_ns,
            linktype: meta.linktype,
            data: buf,
            orig_len: meta.orig_len,
            offset: meta.offset,
        }))
    }

    /// Next frame without copying it: its bytes borrow the read buffer until the next call.
    /// (`analyze` of one file reads this way; the copy was a tenth of its time.)
    // Long on purpose: the read loop, one arm per PcapError deciding refill, grow or end, each with
    // its own message; the lent slice is cut from the buffer in the same loop that filled it.
    pub fn next_view(&mut self) -> Result<Option<(FrameMeta, &[u8])>, ReadEnd> {
        if self.pending_consume > 0 {
            // No shift here: circular::Buffer::consume moves the unread rest to the front every time
            // half the buffer is read (a second copy of the whole file); refill shifts only
            // the partial record left at the end.
            self.reader.consume_noshift(self.pending_consume);
            self.pending_consume = 0;
        }
        loop {
            if self.done.is_some() {
                return Ok(None);
            }
            let offset = self.reader.consumed() as u64;
            // Where the frame's bytes sit in the buffer (next() parses in place, it does not
            // move the buffer), so they can be lent out after the block borrowing it is gone.
            let base = self.reader_base();
            let (used, frame) = match self.reader.next() {
                Ok((used, block)) => {
                    let f = self.st.block_meta(&block, offset).map(|(meta, data)| {
                        (
                            meta,
                            (data.as_ptr() as usize).wrapping_sub(base),
                            data.len(),
                        )
                    });
                    (used, f)
                }
                Err(PcapError::Eof) => {
                    self.finish(true, None);
                    return Ok(None);
                }
                Err(PcapError::Incomplete(_)) => {
                    let before = self.reader.data().len();
                    if self.reader.refill().is_err() {
                        self.finish(false, Some(format!("read error at byte offset {offset}")));
                        return Ok(None);
                    }
                    let after = self.reader.data().len();
                    if after > before {
                        continue; // pipes deliver data in pieces
                    }
                    // Nothing more came although the buffer has room: that is the end of the
                    // input. Only a full buffer means the record is bigger than the buffer.
                    if after + 4096 >= self.buffer_cap {
                        // The record is larger than the buffer: grow, within reason.
                        if self.buffer_cap < MAX_RECORD && self.reader.grow(self.buffer_cap * 4) {
                            self.buffer_cap *= 4;
                            continue;
                        }
                        self.finish(false, Some(format!("record at byte offset {offset} claims more than {} MiB (corrupt length)", MAX_RECORD >> 20)));
                        return Ok(None);
                    }
                    if after == 0 {
                        self.finish(true, None);
                    } else {
                        self.finish(false, Some(format!("file ends inside the record at byte offset {offset}, with only {after} bytes of it present (truncated capture)")));
                    }
                    return Ok(None);
                }
                Err(PcapError::BufferTooSmall) => {
                    // When the rest of the file already sits in the buffer, a bigger buffer
                    // cannot complete the record: say so now instead of allocating up to
                    // MAX_RECORD for a corrupt length.
                    let before = self.reader.data().len();
                    if self.reader.refill().is_ok() && self.reader.data().len() > before {
                        continue;
                    }
                    if self.reader.data().len() + 4096 < self.buffer_cap {
                        self.finish(false, Some(format!("record at byte offset {offset} claims more bytes than the rest of the file holds (corrupt length or truncated capture)")));
                        return Ok(None);
                    }
                    if self.buffer_cap >= MAX_RECORD || !self.reader.grow(self.buffer_cap * 4) {
                        self.finish(false, Some(format!("record at byte offset {offset} claims more than {} MiB (corrupt length)", MAX_RECORD >> 20)));
                        return Ok(None);
                    }
                    self.buffer_cap *= 4;
                    continue;
                }
                Err(PcapError::UnexpectedEof) => {
                    self.finish(false, Some(format!("file ends inside the record at byte offset {offset} (truncated capture)")));
                    return Ok(None);
                }
                Err(e) => {
                    let msg = format!("unreadable record at byte offset {offset}: {e:?}");
                    self.finish(false, Some(msg));
                    return Ok(None);
                }
            };
            self.format = self.st.format;
            let Some((meta, start, len)) = frame else {
                self.reader.consume_noshift(used);
                continue;
            };
            self.note_linktype(meta.linktype);
            self.pending_consume = used;
            let end = start.saturating_add(len);
            if end > self.reader.data().len() {
                self.finish(
                    false,
                    Some(format!(
                        "record at byte offset {offset}: frame data outside the read buffer"
                    )),
                );
                return Ok(None);
            }
            return Ok(Some((meta, &self.reader.data()[start..end])));
        }
    }

    /// When the program that wrote this capture stopped listening, if it said so (pcapng
    /// isb_endtime); known once the file has been read to its end.
    pub fn listened_until(&self) -> Option<i64> {
        self.st.listened_until
    }

    fn reader_base(&self) -> usize {
        self.reader.data().as_ptr() as usize
    }
}

impl State {
    // Long on purpose: a table of cases, one match arm per pcap/pcapng block type, each updating
    // the reader state it owns (format, interfaces, frame count, last time) or yielding a frame.
    fn block_meta<'b>(
        &mut self,
        block: &'b PcapBlockOwned<'_>,
        offset: u64,
    ) -> Option<(FrameMeta, &'b [u8])> {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                self.format = if h.is_nanosecond_precision() {
                    "pcap (ns)"
                } else {
                    "pcap (us)"
                };
                // The upper bits of the link-type field carry FCS information (pcap spec), not the type.
                self.legacy = Some(((h.network.0 as u32) & 0xffff, h.is_nanosecond_precision()));
                None
            }
            PcapBlockOwned::Legacy(b) => {
                let (lt, ns) = self.legacy.unwrap_or((1, false));
                let frac = if ns {
                    i64::from(b.ts_usec)
                } else {
                    i64::from(b.ts_usec) * 1000
                };
                let ts = i64::from(b.ts_sec) * 1_000_000_000 + frac;
                self.frame_no += 1;
                self.last_ts = ts;
                let len = (b.caplen as usize).min(b.data.len());
                Some((
                    FrameMeta {
                        input: self.input,
                        number: self.frame_no,
                        ts_ns: ts,
                        linktype: lt,
                        orig_len: b.origlen,
                        offset,
                    },
                    &b.data[..len],
                ))
            }
            PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                self.format = "pcapng";
                self.ifaces.clear();
                None
            }
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                let resolution = idb.ts_resolution().unwrap_or(1_000_000).max(1);
                self.ifaces.push(Iface {
                    linktype: idb.linktype.0 as u32,
                    resolution,
                    offset_s: idb.ts_offset(),
                });
                None
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                let iface = self
                    .ifaces
                    .get(epb.if_id as usize)
                    .copied()
                    .unwrap_or(Iface::UNKNOWN);
                let ts = iface.ts_ns(epb.ts_high, epb.ts_low);
                self.frame_no += 1;
                self.last_ts = ts;
                let len = (epb.caplen as usize).min(epb.data.len());
                Some((
                    FrameMeta {
                        input: self.input,
                        number: self.frame_no,
                        ts_ns: ts,
                        linktype: iface.linktype,
                        orig_len: epb.origlen,
                        offset,
                    },
                    &epb.data[..len],
                ))
            }
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                let lt = self.ifaces.first().map(|i| i.linktype).unwrap_or(u32::MAX);
                self.frame_no += 1;
                let len = (spb.origlen as usize).min(spb.data.len());
                Some((
                    FrameMeta {
                        input: self.input,
                        number: self.frame_no,
                        ts_ns: self.last_ts,
                        linktype: lt,
                        orig_len: spb.origlen,
                        offset,
                    },
                    &spb.data[..len],
                ))
            }
            PcapBlockOwned::NG(Block::InterfaceStatistics(isb)) => {
                let iface = self
                    .ifaces
                    .get(isb.if_id as usize)
                    .copied()
                    .unwrap_or(Iface::UNKNOWN);
                let (hi, lo) = match isb.isb_endtime() {
                    Some(Ok(t)) => t,
                    _ => (isb.ts_high, isb.ts_low),
                };
                let ts = iface.ts_ns(hi, lo);
                self.listened_until = Some(self.listened_until.map_or(ts, |l| l.max(ts)));
                None
            }
            PcapBlockOwned::NG(_) => None,
        }
    }
}
