//! Hostile input: not captures, truncated files, bit-flipped and cut real captures. The binary
//! must answer with a clear message and an exit code of 0, 1 or 2 — never a panic, never a hang.

mod common;
use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn tmpfile(name: &str, bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("pxe-inspect-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p.to_string_lossy().to_string()
}

#[test]
fn not_a_capture_exits_2_naming_file_and_magic() {
    let p = tmpfile("notes.pcap", b"hello, this is text\n");
    let out = run(&["analyze", &p]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("notes.pcap") && err.contains("not a pcap or pcapng") && err.contains("68 65 6c 6c"), "{err}");
    let p = tmpfile("empty.pcap", b"");
    assert_eq!(run(&["analyze", &p]).status.code(), Some(2));
    assert_eq!(run(&["analyze", "/nonexistent/x.pcap"]).status.code(), Some(2));
}

#[test]
fn unreadable_input_still_analyses_the_others() {
    let bad = tmpfile("bad.pcap", b"garbage!");
    let good = capture("rs_pxe-intel-uefi-x64-proxy4011.pcapng");
    let out = run(&["analyze", "-f", "json", &bad, &good]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["sessions"].as_array().map(|a| a.len()), Some(1));
    assert!(v["inputs"][0]["error"].as_str().is_some_and(|e| e.contains("bad.pcap")));
}

#[test]
fn truncated_capture_is_analysed_up_to_the_damage() {
    let bytes = std::fs::read(capture("rs_pxe-intel-bios-full-two-stage-ipxe-chainload.pcapng")).expect("read");
    for cut in [100_000usize, 777_777, 1_000_003] {
        let p = tmpfile(&format!("cut-{cut}.pcapng"), &bytes[..cut]);
        let (v, code) = analyze_json(&[&p], &[]);
        assert!(code == 0 || code == 1, "cut {cut}: exit {code}");
        let end = &v["inputs"][0]["end"];
        assert_eq!(end["clean"], false, "cut {cut}");
        assert!(end["message"].as_str().is_some_and(|m| m.contains("byte offset")), "{end}");
        assert!(all_finding_ids(&v).contains(&"analysis-truncated".to_string()));
        assert!(v["stats"]["frames"].as_u64().unwrap_or(0) > 10);
    }
    // A cut classic pcap, too.
    let bytes = std::fs::read(capture("spicy-tftp-rrq-rfc1350.pcap")).expect("read");
    let p = tmpfile("cut.pcap", &bytes[..bytes.len() - 100]);
    let (v, _) = analyze_json(&[&p], &[]);
    assert_eq!(v["inputs"][0]["end"]["clean"], false);
}

#[test]
fn bogus_record_length_is_reported() {
    let mut bytes = std::fs::read(capture("tcpdump-tftp-rrq-small.pcap")).expect("read");
    // First record's caplen (pcap header 24 bytes, then ts 8 bytes): claim 2 GB.
    bytes[24 + 8..24 + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let p = tmpfile("bogus-len.pcap", &bytes);
    let (v, code) = analyze_json(&[&p], &[]);
    assert_eq!(code, 0);
    assert_eq!(v["inputs"][0]["end"]["clean"], false);
    assert!(v["inputs"][0]["end"]["message"].as_str().is_some_and(|m| m.contains("byte offset 24")), "{}", v["inputs"][0]["end"]);
}

/// Deterministic mutation fuzzing over real captures: bit flips, byte smashes and cuts.
#[test]
fn mutated_real_captures_never_crash() {
    let corpus = [
        "rs_pxe-intel-uefi-x64-proxy4011.pcapng",
        "netboot-pixiecore-bios-proxy4011-nsec.pcap",
        "tianocore-bz767-dhcpv6-uefi-tftp-over-ipv6.pcapng",
        "rs_pxe-intel-uefi-x64-tftp-windowsize-oack.pcapng",
        "spicy-tftp-oack-blksize-loopback-null.pcap",
        "suricata-dhcp-option52-overload-both.pcap",
        "tcpdump-dhcpv6-relay-forw-solicit.pcap",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut files = vec![];
    for (ci, name) in corpus.iter().enumerate() {
        let orig = std::fs::read(capture(name)).expect("read");
        for k in 0..12 {
            let mut b = orig.clone();
            let n = 1 + (next() % 24) as usize;
            for _ in 0..n {
                // keep the magic most of the time so the mutation reaches the packet decoders
                let at = 24 + (next() as usize) % (b.len() - 24);
                b[at] = next() as u8;
            }
            if k % 4 == 3 {
                let cut = 24 + (next() as usize) % (b.len() - 24);
                b.truncate(cut);
            }
            files.push(tmpfile(&format!("mut-{ci}-{k}-{name}"), &b));
        }
    }
    // One process over many files keeps the test fast; each file is its own input.
    for chunk in files.chunks(20) {
        let mut args: Vec<&str> = vec!["analyze", "-f", "json"];
        args.extend(chunk.iter().map(|s| s.as_str()));
        let out = run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{err}");
        assert!(matches!(out.status.code(), Some(0..=2)), "{:?}: {err}", out.status);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("valid JSON even on damaged input");
    }
}

#[test]
fn stdin_gzip_and_merge() {
    let path = capture("rs_pxe-intel-bios-full-two-stage-ipxe-chainload.pcapng");
    let bytes = std::fs::read(&path).expect("read");
    // stdin
    let mut child = Command::new(bin()).args(["analyze", "-f", "json", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("join").expect("write stdin");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["sessions"][0]["tftp"][2]["bytes"], 1251776);
    // gzip
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&std::fs::read(&path).expect("read")).expect("gz");
        e.finish().expect("gz")
    };
    let p = tmpfile("boot.pcapng.gz", &gz);
    let (v, _) = analyze_json(&[&p], &[]);
    assert_eq!(v["inputs"][0]["compressed"], true);
    assert_eq!(v["sessions"][0]["tftp"][2]["bytes"], 1251776);
    // merge: DHCP excerpt + TFTP excerpt of the same client = one session, frames point home
    let dhcp = capture("rs_pxe-intel-uefi-x64-proxy4011.pcapng");
    let tftp = capture("rs_pxe-intel-uefi-x64-tftp-windowsize-oack.pcapng");
    let (v, _) = analyze_json(&[&dhcp, &tftp], &[]);
    let ss = sessions(&v);
    assert_eq!(ss.len(), 1, "one client across both files");
    let s = &ss[0];
    assert_eq!(s["stages"][0]["first_frame"], serde_json::json!({"input": 0, "frame": 1}));
    assert_eq!(s["tftp"][0]["first_frame"], serde_json::json!({"input": 1, "frame": 1}));
    assert_eq!(s["stages"][0]["transfers"], serde_json::json!([0, 1]), "transfers join the DHCP stage");
}

/// Classic pcap (nanosecond magic) of `frames`, written to `w` as they come.
fn stream_pcap(w: &mut dyn Write, frames: impl Iterator<Item = (i64, Vec<u8>)>) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, w);
    let mut h = vec![];
    h.extend(0xa1b23c4du32.to_le_bytes());
    h.extend([2, 0, 4, 0]);
    h.extend([0u8; 8]);
    h.extend(65535u32.to_le_bytes());
    h.extend(1u32.to_le_bytes());
    out.write_all(&h)?;
    for (ts, f) in frames {
        let mut r = Vec::with_capacity(16);
        r.extend(((ts / 1_000_000_000) as u32).to_le_bytes());
        r.extend(((ts % 1_000_000_000) as u32).to_le_bytes());
        r.extend((f.len() as u32).to_le_bytes());
        r.extend((f.len() as u32).to_le_bytes());
        out.write_all(&r)?;
        out.write_all(&f)?;
    }
    out.flush()
}

/// Run analyze over a generated stream on stdin; (peak RSS in KB when GNU time is there, the
/// jsonl lines' types counted, the capture-wide findings, exit code).
fn analyze_stream(frames: impl Iterator<Item = (i64, Vec<u8>)> + Send + 'static) -> (Option<u64>, std::collections::BTreeMap<String, u64>, Vec<serde_json::Value>, Option<i32>) {
    let time = std::path::Path::new("/usr/bin/time").exists();
    let rss_file = std::env::temp_dir().join(format!("pxe-rss-{}-{:?}", std::process::id(), std::thread::current().id()));
    let mut cmd = if time {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(bin());
        c
    } else {
        Command::new(bin())
    };
    let mut child = cmd.args(["analyze", "-f", "jsonl", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stream_pcap(&mut stdin, frames));
    let stdout = child.stdout.take().expect("stdout");
    let mut types = std::collections::BTreeMap::new();
    let mut capture_findings = vec![];
    for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
        let v: serde_json::Value = serde_json::from_str(&line).expect("jsonl line");
        let t = v["type"].as_str().unwrap_or("?").to_string();
        if t == "finding" {
            capture_findings.push(v.clone());
        }
        *types.entry(t).or_insert(0) += 1;
    }
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("join").expect("stream the capture");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    let rss = std::fs::read_to_string(&rss_file).ok().and_then(|s| s.trim().lines().last().and_then(|l| l.trim().parse().ok()));
    if !time {
        eprintln!("SKIP peak-RSS check: /usr/bin/time (GNU time) not installed");
    }
    (rss, types, capture_findings, out.status.code())
}

/// A million distinct client MACs (a DISCOVER flood, nothing answering) within 20 s: the session
/// cap holds memory down and a capture-wide `analysis-capped` finding says traffic went untracked.
#[test]
fn million_client_macs_keep_memory_bounded() {
    let (rss, types, findings, code) = analyze_stream(pxe_inspect::synth::discover_flood(1_000_000, 50_000, 5));
    assert!(matches!(code, Some(0..=1)), "{code:?}");
    let sessions = types.get("session").copied().unwrap_or(0);
    assert_eq!(sessions, 100_000, "the default cap of tracked clients: {types:?}");
    let capped: Vec<_> = findings.iter().filter(|f| f["id"] == "analysis-capped").collect();
    assert_eq!(capped.len(), 1, "{findings:?}");
    assert!(capped[0]["message"].as_str().is_some_and(|m| m.contains("900000 new clients")), "{}", capped[0]);
    if let Some(kb) = rss {
        eprintln!("1M MACs: peak RSS {kb} KB");
        assert!(kb < 350_000, "100,000 open sessions: peak RSS {kb} KB");
    }
}

/// A million TFTP TIDs from one client: the per-session transfer cap holds.
#[test]
fn million_tftp_tids_keep_memory_bounded() {
    let (rss, types, findings, code) = analyze_stream(pxe_inspect::synth::tid_flood(1_000_000, 100_000));
    assert!(matches!(code, Some(0..=1)), "{code:?}");
    assert!(types.get("session").copied().unwrap_or(0) >= 1, "{types:?}");
    assert!(findings.iter().any(|f| f["id"] == "analysis-capped"), "{findings:?}");
    if let Some(kb) = rss {
        eprintln!("1M TIDs: peak RSS {kb} KB");
        assert!(kb < 300_000, "peak RSS {kb} KB");
    }
}
