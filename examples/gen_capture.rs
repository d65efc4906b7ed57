//! Make a large capture from a real one: COPIES copies of every session in IN, each with its
//! client MAC and IPv4 address rewritten and its timestamps shifted, written as pcap to OUT.
//! Used by bench/run.sh and the tests. Usage: gen_capture IN OUT COPIES [CLIENT_MAC CLIENT_IP [FIRST]]
//! (FIRST numbers the copies from there, so two generated files can be merged without clashes).

use pxe_inspect::anon::Anonymizer;
use pxe_inspect::source::writer::CaptureWriter;
use pxe_inspect::source::CaptureReader;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: gen_capture IN OUT COPIES [CLIENT_MAC CLIENT_IP]");
        std::process::exit(2);
    }
    let copies: u32 = args[3].parse().unwrap_or(1);
    let first_copy: u32 = args.get(6).and_then(|f| f.parse().ok()).unwrap_or(0);
    let mac: Vec<u8> = args
        .get(4)
        .map(|m| {
            m.split(':')
                .filter_map(|x| u8::from_str_radix(x, 16).ok())
                .collect()
        })
        .unwrap_or_else(|| vec![0x52, 0x54, 0, 0x77, 0, 1]);
    let ip: Vec<u8> = args
        .get(5)
        .map(|m| m.split('.').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| vec![192, 168, 77, 100]);
    let mut frames = Vec::new();
    let mut r = match CaptureReader::open(&args[1], 0) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    while let Ok(Some(f)) = r.next_frame() {
        frames.push(f);
    }
    let Some(first) = frames.first() else { return };
    let span = frames.last().map(|l| l.ts_ns - first.ts_ns).unwrap_or(0) + 1_000_000_000;
    let mut w = match CaptureWriter::create(&args[2], first.linktype) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("{}: {e}", args[2]);
            std::process::exit(2);
        }
    };
    for n in 0..copies {
        // Overlap copies in time (a boot storm) but keep each client distinct.
        let shift = i64::from(n) * span / 8;
        let c = n + first_copy;
        let new_mac = [0x02, 0x50, (c >> 16) as u8, (c >> 8) as u8, c as u8, 0x01];
        let new_ip = [10, (c >> 16) as u8, (c >> 8) as u8, (c as u8).max(1)];
        for f in &frames {
            let mut d = f.data.clone();
            Anonymizer::replace(&mut d, &mac, &new_mac);
            Anonymizer::replace(&mut d, &ip, &new_ip);
            let _ = w.write(f.linktype, f.ts_ns + shift, &d, f.orig_len);
        }
    }
    let _ = w.flush();
}
