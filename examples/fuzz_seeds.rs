//! Seed the fuzz corpora (fuzz/corpus/<target>/) from real captures: whole files for the
//! readers and the pipeline, single frames for frame decoding, UDP payloads for the DHCP,
//! TFTP and serve targets. Usage: fuzz_seeds OUT_DIR CAPTURE…  (see fuzz/README.md)

use pxe_inspect::source::CaptureReader;
use pxe_inspect::wire::defrag::Defragmenter;
use pxe_inspect::wire::link::{decode_frame, Decoded};
use std::collections::HashSet;
use std::path::Path;

use pxe_inspect::fuzzing::frame_decode::LINKTYPES;
const PER_TARGET: usize = 400;

struct Corpus {
    dir: std::path::PathBuf,
    seen: HashSet<Vec<u8>>,
}

impl Corpus {
    fn new(out: &Path, target: &str) -> Corpus {
        let dir = out.join(target);
        let _ = std::fs::create_dir_all(&dir);
        Corpus {
            dir,
            seen: HashSet::new(),
        }
    }
    fn add(&mut self, bytes: Vec<u8>) {
        if self.seen.len() >= PER_TARGET || bytes.is_empty() || !self.seen.insert(bytes.clone()) {
            return;
        }
        let _ = std::fs::write(self.dir.join(format!("seed-{:04}", self.seen.len())), bytes);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: fuzz_seeds OUT_DIR CAPTURE…");
        std::process::exit(2);
    }
    let out = Path::new(&args[1]);
    let mut files = Corpus::new(out, "capture_reader");
    let mut pipeline = Corpus::new(out, "analyze_pipeline");
    let mut frames = Corpus::new(out, "frame_decode");
    let mut dhcp = Corpus::new(out, "dhcp_session");
    let mut tftp = Corpus::new(out, "tftp_codec");
    let mut serve = Corpus::new(out, "serve_packet");
    for path in &args[2..] {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        // Large files are cut: the fuzzer works on the first 64 KiB anyway (-max_len).
        let head = bytes[..bytes.len().min(65_536)].to_vec();
        files.add(head.clone());
        pipeline.add(head);
        let Ok(mut r) = CaptureReader::open(path, 0) else {
            continue;
        };
        let mut defrag = Defragmenter::default();
        let mut session = Vec::new();
        while let Ok(Some(f)) = r.next_frame() {
            if let Some(i) = LINKTYPES.iter().position(|&l| l == f.linktype) {
                let mut seed = vec![i as u8];
                seed.extend_from_slice(&f.data);
                frames.add(seed);
            }
            let Ok(Decoded::Udp(u)) = decode_frame(f.linktype, &f.data, &mut defrag, f.ts_ns)
            else {
                continue;
            };
            let p = &u.payload[..u.payload.len().min(1020)];
            let kind = match (u.sport, u.dport) {
                (68, 67) => 0,
                (67, 68) => 1,
                (_, 4011) => 2,
                (4011, _) => 3,
                (_, 69) => 4,
                (546, 547) => 7,
                (547, 546) => 8,
                _ if p.first() == Some(&0) && matches!(p.get(1), Some(3 | 6 | 5)) => 5,
                _ if p.first() == Some(&0) && p.get(1) == Some(&4) => 6,
                _ => continue,
            };
            // dhcp_session packets are [kind][len/4][payload], the payload padded to a multiple of 4.
            let mut padded = p.to_vec();
            padded.resize(p.len().div_ceil(4) * 4, 0);
            if session.len() < 4000 {
                session.push(kind);
                session.push((padded.len() / 4) as u8);
                session.extend_from_slice(&padded);
            }
            match kind {
                0..=3 => {
                    let mut s = vec![0u8];
                    s.extend_from_slice(p);
                    serve.add(s);
                }
                4..=6 => {
                    tftp.add(p.to_vec());
                    if kind == 4 {
                        let mut s = vec![0u8];
                        s.extend_from_slice(p);
                        serve.add(s);
                    }
                }
                _ => {}
            }
        }
        dhcp.add(session);
    }
    for c in [&files, &pipeline, &frames, &dhcp, &tftp, &serve] {
        println!("{}: {} seeds", c.dir.display(), c.seen.len());
    }
}
