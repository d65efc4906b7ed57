//! Capture-file writers for `capture -w` and `serve --write`: pcapng (default) or classic pcap
//! (by extension), nanosecond timestamps. Written here because the `pcap` crate writes only
//! classic pcap and a minimal pcapng writer (SHB, one IDB per link type, EPBs) is ~60 lines.

use std::fs::File;
use std::io::{self, BufWriter, Write};

pub struct CaptureWriter {
    out: BufWriter<Box<dyn Write + Send>>,
    pcapng: bool,
    /// Link type of each pcapng interface written so far.
    ifaces: Vec<u32>,
    pub frames: u64,
    /// Bytes written so far (headers included): `--rotate-size` compares with it.
    pub bytes: u64,
}

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

impl CaptureWriter {
    /// `linktype` is the first interface's; pcapng gets more interfaces as new link types appear.
    pub fn create(path: &str, linktype: u32) -> io::Result<CaptureWriter> {
        Self::to_stream(
            Box::new(File::create(path)?),
            linktype,
            !path.ends_with(".pcap"),
        )
    }

    /// As `create`, onto any stream (a pipe into `analyze -`, memory), pcapng or classic pcap.
    pub fn to_stream(
        out: Box<dyn Write + Send>,
        linktype: u32,
        pcapng: bool,
    ) -> io::Result<CaptureWriter> {
        let mut w = CaptureWriter {
            out: BufWriter::with_capacity(1 << 20, out),
            pcapng,
            ifaces: vec![],
            frames: 0,
            bytes: 0,
        };
        if pcapng {
            // Section header block: type, length, byte-order magic, version 1.0, section length -1.
            let mut b = Vec::new();
            b.extend(0x0A0D0D0Au32.to_le_bytes());
            b.extend(28u32.to_le_bytes());
            b.extend(0x1A2B3C4Du32.to_le_bytes());
            b.extend(1u16.to_le_bytes());
            b.extend(0u16.to_le_bytes());
            b.extend((-1i64).to_le_bytes());
            b.extend(28u32.to_le_bytes());
            w.out.write_all(&b)?;
            w.bytes += b.len() as u64;
            w.iface(linktype)?;
        } else {
            // Classic pcap, nanosecond magic.
            let mut b = Vec::new();
            b.extend(0xa1b23c4du32.to_le_bytes());
            b.extend(2u16.to_le_bytes());
            b.extend(4u16.to_le_bytes());
            b.extend(0i32.to_le_bytes());
            b.extend(0u32.to_le_bytes());
            b.extend(262_144u32.to_le_bytes());
            b.extend(linktype.to_le_bytes());
            w.out.write_all(&b)?;
            w.bytes += b.len() as u64;
            w.ifaces.push(linktype);
        }
        Ok(w)
    }

    fn iface(&mut self, linktype: u32) -> io::Result<usize> {
        if let Some(i) = self.ifaces.iter().position(|l| *l == linktype) {
            return Ok(i);
        }
        if !self.pcapng {
            return Ok(0); // classic pcap has one link type; frames of others are written as is
        }
        // IDB with if_tsresol = 9 (nanoseconds).
        let mut b = Vec::new();
        b.extend(1u32.to_le_bytes());
        b.extend(32u32.to_le_bytes());
        b.extend((linktype as u16).to_le_bytes());
        b.extend(0u16.to_le_bytes());
        b.extend(262_144u32.to_le_bytes());
        b.extend(9u16.to_le_bytes()); // if_tsresol
        b.extend(1u16.to_le_bytes());
        b.extend([9u8, 0, 0, 0]);
        b.extend(0u32.to_le_bytes()); // opt_endofopt
        b.extend(32u32.to_le_bytes());
        self.out.write_all(&b)?;
        self.bytes += b.len() as u64;
        self.ifaces.push(linktype);
        Ok(self.ifaces.len() - 1)
    }

    pub fn write(
        &mut self,
        linktype: u32,
        ts_ns: i64,
        data: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        self.write_commented(linktype, ts_ns, data, orig_len, &[])
    }

    /// As `write`, with pcapng packet comments (opt_comment), which Wireshark shows and
    /// `tshark -Y frame.comment` filters on. Classic pcap has no comments: they are dropped.
    pub fn write_commented(
        &mut self,
        linktype: u32,
        ts_ns: i64,
        data: &[u8],
        orig_len: u32,
        comments: &[String],
    ) -> io::Result<()> {
        let if_id = self.iface(linktype)?;
        self.frames += 1;
        let ts = ts_ns.max(0) as u64;
        if self.pcapng {
            let mut opts = Vec::new();
            for c in comments {
                let c = &c.as_bytes()[..c.len().min(65_000)];
                opts.extend(1u16.to_le_bytes());
                opts.extend((c.len() as u16).to_le_bytes());
                opts.extend(c);
                opts.extend(std::iter::repeat_n(0u8, pad4(c.len())));
            }
            if !opts.is_empty() {
                opts.extend([0u8; 4]); // opt_endofopt
            }
            let total = 32 + data.len() + pad4(data.len()) + opts.len();
            let mut b = Vec::with_capacity(total);
            b.extend(6u32.to_le_bytes());
            b.extend((total as u32).to_le_bytes());
            b.extend((if_id as u32).to_le_bytes());
            b.extend(((ts >> 32) as u32).to_le_bytes());
            b.extend((ts as u32).to_le_bytes());
            b.extend((data.len() as u32).to_le_bytes());
            b.extend(orig_len.to_le_bytes());
            b.extend(data);
            b.extend(std::iter::repeat_n(0u8, pad4(data.len())));
            b.extend(&opts);
            b.extend((total as u32).to_le_bytes());
            self.bytes += b.len() as u64;
            self.out.write_all(&b)
        } else {
            let mut b = Vec::with_capacity(16 + data.len());
            b.extend(((ts / 1_000_000_000) as u32).to_le_bytes());
            b.extend(((ts % 1_000_000_000) as u32).to_le_bytes());
            b.extend((data.len() as u32).to_le_bytes());
            b.extend(orig_len.to_le_bytes());
            b.extend(data);
            self.bytes += b.len() as u64;
            self.out.write_all(&b)
        }
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// End the capture at `end_ns`, the moment we stopped listening: pcapng gets an Interface
    /// Statistics Block per interface with isb_endtime (as dumpcap writes), so a later analysis
    /// knows the capture ran on after its last frame ("no offer within 3 s" needs that silence).
    /// Classic pcap has no place for it.
    pub fn finish(&mut self, end_ns: i64) -> io::Result<()> {
        if self.pcapng {
            let ts = end_ns.max(0) as u64;
            for if_id in 0..self.ifaces.len() {
                let mut b = Vec::with_capacity(40);
                b.extend(5u32.to_le_bytes());
                b.extend(40u32.to_le_bytes());
                b.extend((if_id as u32).to_le_bytes());
                b.extend(((ts >> 32) as u32).to_le_bytes());
                b.extend((ts as u32).to_le_bytes());
                b.extend(3u16.to_le_bytes()); // isb_endtime
                b.extend(8u16.to_le_bytes());
                b.extend(((ts >> 32) as u32).to_le_bytes());
                b.extend((ts as u32).to_le_bytes());
                b.extend(0u32.to_le_bytes()); // opt_endofopt
                b.extend(40u32.to_le_bytes());
                self.out.write_all(&b)?;
            }
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::CaptureReader;

    #[test]
    fn written_files_read_back_identically() {
        for ext in ["pcapng", "pcap"] {
            let p = std::env::temp_dir()
                .join(format!("pxe-inspect-writer-{}.{ext}", std::process::id()));
            let path = p.to_string_lossy().to_string();
            let mut w = CaptureWriter::create(&path, 1).expect("create");
            w.write(1, 1_700_000_000_123_456_789, &[1, 2, 3, 4, 5], 9)
                .expect("write");
            w.write(1, 1_700_000_001_000_000_001, &[9; 61], 61)
                .expect("write");
            w.finish(1_700_000_009_500_000_000).expect("finish");
            drop(w);
            let mut r = CaptureReader::open(&path, 0).expect("open");
            let a = r.next_frame().expect("ok").expect("frame");
            assert_eq!(
                (a.ts_ns, a.data.as_slice(), a.orig_len, a.linktype, a.number),
                (1_700_000_000_123_456_789, &[1u8, 2, 3, 4, 5][..], 9, 1, 1)
            );
            let b = r.next_frame().expect("ok").expect("frame");
            assert_eq!((b.ts_ns, b.data.len()), (1_700_000_001_000_000_001, 61));
            assert!(r.next_frame().expect("ok").is_none());
            assert!(r.end().clean, "{ext}");
            // pcapng says how long the capture listened after its last frame; pcap cannot.
            assert_eq!(
                r.listened_until(),
                (ext == "pcapng").then_some(1_700_000_009_500_000_000)
            );
            let _ = std::fs::remove_file(p);
        }
    }
}
