//! Every input that once crashed a fuzz target (fuzz/regressions/<target>/) and every seed of
//! real frames runs through the same target body again. A fixed bug that comes back fails here.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut n = 0;
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let bytes = std::fs::read(e.path()).expect("read regression input");
        eprintln!("{target}: {}", e.path().display());
        run(&bytes);
        n += 1;
    }
    n
}

#[test]
fn saved_crashers_no_longer_crash() {
    use pxe_inspect::fuzzing::*;
    let mut n = 0;
    n += replay("capture_reader", capture_reader::run);
    n += replay("frame_decode", frame_decode::run);
    n += replay("dhcp_session", dhcp_session::run);
    n += replay("tftp_codec", tftp_codec::run);
    n += replay("analyze_pipeline", analyze_pipeline::run);
    n += replay("serve_packet", serve_packet::run);
    eprintln!("{n} saved inputs replayed");
}

/// The targets on real bytes: each public capture whole (readers, pipeline) and each of its
/// frames (decoders). Keeps the target bodies honest when no fuzzer runs.
#[test]
fn targets_accept_real_captures() {
    use pxe_inspect::fuzzing::*;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut files = 0;
    for e in std::fs::read_dir(&dir).expect("samples").flatten() {
        let p = e.path();
        if !p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
            continue;
        }
        let bytes = std::fs::read(&p).expect("read");
        capture_reader::run(&bytes);
        analyze_pipeline::run(&bytes[..bytes.len().min(256 * 1024)]);
        files += 1;
        let Ok(mut r) = pxe_inspect::source::CaptureReader::open(&p.to_string_lossy(), 0) else {
            continue;
        };
        while let Ok(Some(f)) = r.next_frame() {
            if let Some(i) = frame_decode::LINKTYPES
                .iter()
                .position(|&l| l == f.linktype)
            {
                let mut seed = vec![i as u8];
                seed.extend_from_slice(&f.data);
                frame_decode::run(&seed);
            }
            // UDP payload of an Ethernet/IPv4 frame without options
            if f.data.len() > 42
                && f.data[12..14] == [8, 0]
                && f.data[14] == 0x45
                && f.data[23] == 17
            {
                let payload = &f.data[42..];
                tftp_codec::run(payload);
                let mut s = vec![0u8];
                s.extend_from_slice(payload);
                serve_packet::run(&s);
            }
        }
    }
    assert!(files >= 5, "samples/ holds captures");
}
