//! The wire vocabulary against bytes we did not write: every DHCPv4 message in the bundled
//! samples and captures (real firmware, dnsmasq, ISC dhcpd, Kea, Windows, field reports)
//! decodes, re-encodes through `Dhcp4Repr::emit` and decodes to the same fields and options;
//! where the original was a plain message (no overload, no broken option, zero padding), the
//! re-encoded bytes are the original bytes.

mod common;
use pxe_inspect::source::file::CaptureReader;
use pxe_inspect::wire::defrag::Defragmenter;
use pxe_inspect::wire::dhcp4::{Dhcp4, Dhcp4Repr};
use pxe_inspect::wire::link::{decode_frame, Decoded};
use std::path::{Path, PathBuf};

fn captures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(".pcap"))
            {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = vec![];
    walk(&root.join("samples"), &mut out);
    walk(&root.join("tests/captures"), &mut out);
    out.sort();
    out
}

#[derive(Default, Debug)]
struct Tally {
    messages: u64,
    same_repr: u64,
    same_bytes: u64,
    plain: u64,
}

fn each_dhcp4(path: &Path, t: &mut Tally) {
    let Ok(mut r) = CaptureReader::open(&path.to_string_lossy(), 0) else {
        return;
    };
    let mut defrag = Defragmenter::default();
    while let Ok(Some(f)) = r.next_frame() {
        let Ok(Decoded::Udp(u)) = decode_frame(f.linktype, &f.data, &mut defrag, f.ts_ns) else {
            continue;
        };
        let dhcp_port = |p: u16| matches!(p, 67 | 68 | 4011);
        if !(dhcp_port(u.sport) || dhcp_port(u.dport)) || u.truncated {
            continue;
        }
        let Ok(m) = Dhcp4::parse(&u.payload) else {
            continue;
        };
        t.messages += 1;
        let repr = Dhcp4Repr::parse(&m);
        let bytes = repr.emit();
        let again = Dhcp4::parse(&bytes).unwrap_or_else(|e| {
            panic!(
                "{}: frame {}: re-encoded message does not parse: {e:?}",
                path.display(),
                f.number
            )
        });
        // An empty option value writes nothing (documented); compare without them.
        let mut want = repr.clone();
        want.options.retain(|(_, v)| !v.is_empty());
        let got = Dhcp4Repr::parse(&again);
        assert_eq!(got, want, "{}: frame {}", path.display(), f.number);
        t.same_repr += 1;
        let original: &[u8] = &u.payload;
        let plain = m.issues.is_empty()
            && m.overload == 0
            && m.options.iter().all(|o| !o.data.is_empty())
            && original.len() >= bytes.len()
            && original[bytes.len()..].iter().all(|&b| b == 0);
        if plain {
            t.plain += 1;
            if bytes[..] == original[..bytes.len()] {
                t.same_bytes += 1;
            } else {
                let at = bytes.iter().zip(original).position(|(a, b)| a != b);
                panic!(
                    "{}: frame {}: bytes differ at {at:?}",
                    path.display(),
                    f.number
                );
            }
        }
    }
}

#[test]
fn every_captured_dhcp4_message_reencodes_to_itself() {
    let mut t = Tally::default();
    let files = captures();
    assert!(files.len() > 40, "{} captures", files.len());
    for p in &files {
        each_dhcp4(p, &mut t);
    }
    eprintln!("{t:?} over {} captures", files.len());
    assert!(t.messages > 500, "{t:?}");
    assert_eq!(t.same_repr, t.messages);
    // Most real messages are plain; those must come back byte for byte.
    assert!(t.plain * 2 > t.messages, "{t:?}");
    assert_eq!(t.same_bytes, t.plain);
}
