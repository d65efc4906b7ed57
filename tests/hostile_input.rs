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
    assert!(
        err.contains("notes.pcap")
            && err.contains("not a pcap or pcapng")
            && err.contains("68 65 6c 6c"),
        "{err}"
    );
    let p = tmpfile("empty.pcap", b"");
    assert_eq!(run(&["analyze", &p]).status.code(), Some(2));
    assert_eq!(
        run(&["analyze", "/nonexistent/x.pcap"]).status.code(),
        Some(2)
    );
}

#[test]
fn unreadable_input_still_analyses_the_others() {
    let bad = tmpfile("bad.pcap", b"garbage!");
    let good = capture("rs_pxe-intel-uefi-x64-proxy4011.pcapng");
    let out = run(&["analyze", "-f", "json", &bad, &good]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["sessions"].as_array().map(|a| a.len()), Some(1));
    assert!(v["inputs"][0]["error"]
        .as_str()
        .is_some_and(|e| e.contains("bad.pcap")));
}

#[test]
fn truncated_capture_is_analysed_up_to_the_damage() {
    let bytes = std::fs::read(capture(
        "rs_pxe-intel-bios-full-two-stage-ipxe-chainload.pcapng",
    ))
    .expect("read");
    for cut in [100_000usize, 777_777, 1_000_003] {
        let p = tmpfile(&format!("cut-{cut}.pcapng"), &bytes[..cut]);
        let (v, code) = analyze_json(&[&p], &[]);
        assert!(code == 0 || code == 1, "cut {cut}: exit {code}");
        let end = &v["inputs"][0]["end"];
        assert_eq!(end["clean"], false, "cut {cut}");
        assert!(
            end["message"]
                .as_str()
                .is_some_and(|m| m.contains("byte offset")),
            "{end}"
        );
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
    assert!(
        v["inputs"][0]["end"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("byte offset 24")),
        "{}",
        v["inputs"][0]["end"]
    );
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
    analyze_all_survive(&files);
}

#[test]
fn stdin_gzip_and_merge() {
    let path = capture("rs_pxe-intel-bios-full-two-stage-ipxe-chainload.pcapng");
    let bytes = std::fs::read(&path).expect("read");
    // stdin
    let mut child = Command::new(bin())
        .args(["analyze", "-f", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("join").expect("write stdin");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["sessions"][0]["tftp"][2]["bytes"], 1251776);
    // gzip
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&std::fs::read(&path).expect("read"))
            .expect("gz");
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
    assert_eq!(
        s["stages"][0]["first_frame"],
        serde_json::json!({"input": 0, "frame": 1})
    );
    assert_eq!(
        s["tftp"][0]["first_frame"],
        serde_json::json!({"input": 1, "frame": 1})
    );
    assert_eq!(
        s["stages"][0]["transfers"],
        serde_json::json!([0, 1]),
        "transfers join the DHCP stage"
    );
}

/// Classic pcap of `frames`, written to `out` as they come, by the project's own writer.
fn stream_pcap(
    out: Box<dyn Write + Send>,
    frames: impl Iterator<Item = (i64, Vec<u8>)>,
) -> std::io::Result<()> {
    let mut w = pxe_inspect::source::writer::CaptureWriter::to_stream(out, 1, false)?;
    for (ts, f) in frames {
        w.write(1, ts, &f, f.len() as u32)?;
    }
    w.flush()
}

/// Run analyze over a generated stream on stdin; (peak RSS in KB when GNU time is there, the
/// jsonl lines' types counted, the capture-wide findings, exit code).
fn analyze_stream(
    frames: impl Iterator<Item = (i64, Vec<u8>)> + Send + 'static,
) -> (
    Option<u64>,
    std::collections::BTreeMap<String, u64>,
    Vec<serde_json::Value>,
    Option<i32>,
) {
    let time = std::path::Path::new("/usr/bin/time").exists();
    let rss_file = std::env::temp_dir().join(format!(
        "pxe-rss-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let mut cmd = if time {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(bin());
        c
    } else {
        Command::new(bin())
    };
    let mut child = cmd
        .args(["analyze", "-f", "jsonl", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stream_pcap(Box::new(stdin), frames));
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
    let rss = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.trim().lines().last().and_then(|l| l.trim().parse().ok()));
    if !time {
        eprintln!("SKIP peak-RSS check: /usr/bin/time (GNU time) not installed");
    }
    (rss, types, capture_findings, out.status.code())
}

/// A million distinct client MACs (a DISCOVER flood, nothing answering) within 20 s: the session
/// cap holds memory down and a capture-wide `analysis-capped` finding says traffic went untracked.
#[test]
fn million_client_macs_keep_memory_bounded() {
    let (rss, types, findings, code) =
        analyze_stream(pxe_inspect::synth::discover_flood(1_000_000, 50_000, 5));
    assert!(matches!(code, Some(0..=1)), "{code:?}");
    let sessions = types.get("session").copied().unwrap_or(0);
    assert_eq!(
        sessions, 100_000,
        "the default cap of tracked clients: {types:?}"
    );
    let capped: Vec<_> = findings
        .iter()
        .filter(|f| f["id"] == "analysis-capped")
        .collect();
    assert_eq!(capped.len(), 1, "{findings:?}");
    assert!(
        capped[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("900000 new clients")),
        "{}",
        capped[0]
    );
    if let Some(kb) = rss {
        eprintln!("1M MACs: peak RSS {kb} KB");
        assert!(kb < 350_000, "100,000 open sessions: peak RSS {kb} KB");
    }
}

/// A million TFTP TIDs from one client: the per-session transfer cap holds.
#[test]
fn million_tftp_tids_keep_memory_bounded() {
    let (rss, types, findings, code) =
        analyze_stream(pxe_inspect::synth::tid_flood(1_000_000, 100_000));
    assert!(matches!(code, Some(0..=1)), "{code:?}");
    assert!(types.get("session").copied().unwrap_or(0) >= 1, "{types:?}");
    assert!(
        findings.iter().any(|f| f["id"] == "analysis-capped"),
        "{findings:?}"
    );
    if let Some(kb) = rss {
        eprintln!("1M TIDs: peak RSS {kb} KB");
        assert!(kb < 300_000, "peak RSS {kb} KB");
    }
}

fn write_pcap(name: &str, frames: impl Iterator<Item = (i64, Vec<u8>)>) -> String {
    let p = tmpfile(name, b"");
    stream_pcap(Box::new(std::fs::File::create(&p).expect("create")), frames).expect("pcap");
    p
}

/// analyze over many files in few processes (each file its own input, one process per 25 keeps
/// the tests fast): each answer is valid JSON, exit 0..=2, no panic.
fn analyze_all_survive(files: &[String]) {
    for chunk in files.chunks(25) {
        let mut args: Vec<&str> = vec!["analyze", "-f", "json"];
        args.extend(chunk.iter().map(|s| s.as_str()));
        let out = run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "{:?}: {err}",
            out.status
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("valid JSON");
    }
}

/// Every bundled sample cut at 40 offsets spread over the file plus the first 64 bytes one by
/// one (inside the file header and the first record header).
#[test]
fn every_sample_cut_at_many_offsets() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut files = vec![];
    let mut tried = 0;
    for e in std::fs::read_dir(&dir).expect("samples").flatten() {
        let p = e.path();
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng") || name.ends_with(".gz")) {
            continue;
        }
        let bytes = std::fs::read(&p).expect("read");
        let mut cuts: Vec<usize> = (0..64.min(bytes.len())).collect();
        cuts.extend((1..40).map(|k| bytes.len() * k / 40));
        for cut in cuts {
            files.push(tmpfile(&format!("cut-{cut}-{name}"), &bytes[..cut]));
            tried += 1;
        }
    }
    assert!(tried > 500, "{tried} cut files");
    analyze_all_survive(&files);
}

/// DHCP option areas built to hurt: lengths past the end, an option 52 overload whose file and
/// sname areas hold options with bad lengths and option 52 again (a loop, if followed), 255-byte
/// option floods, no end option, and a packet that is all pad. Each client still gets a session.
#[test]
fn dhcp_option_loops_and_bad_overload() {
    use pxe_inspect::probe::packet::{udp_frame, BROADCAST_MAC};
    use std::net::Ipv4Addr;
    let bootp = |mac: [u8; 6], options: &[u8], file: &[u8], sname: &[u8]| -> Vec<u8> {
        use pxe_inspect::wire::dhcp4::{Dhcp4Repr, MessageType};
        // The header through the magic cookie from the one writer; the option bytes raw, since
        // they are the broken part.
        let mut r = Dhcp4Repr::request(MessageType::Discover, 0x1234_5678, mac);
        r.options.clear();
        r.sname = sname.to_vec();
        r.file = file.to_vec();
        let mut b = r.emit();
        b.truncate(240);
        b.extend(options);
        b
    };
    let pxe = b"\x35\x01\x01\x3c\x20PXEClient:Arch:00007:UNDI:003016";
    let cases: Vec<Vec<u8>> = vec![
        // option 67 claims 200 bytes, 5 follow
        [pxe.as_slice(), b"\x43\xc8abcde"].concat(),
        // overload both areas; file holds option 52 again and a length running off its end
        [pxe.as_slice(), b"\x34\x01\x03\xff"].concat(),
        // a flood of 255-byte options, no end option
        [
            pxe.as_slice(),
            &[0x2b, 0xff],
            &[0x41; 255],
            &[0x2b, 0xff],
            &[0x42; 100],
        ]
        .concat(),
        // all pad after the message type, no end
        [b"\x35\x01\x01".as_slice(), &[0u8; 300]].concat(),
        // option 52 with an empty value, and with an unknown overload value
        [pxe.as_slice(), b"\x34\x00\x34\x01\x09\xff"].concat(),
        // a zero-length vendor class and a zero-length option 93
        b"\x35\x01\x01\x3c\x00\x5d\x00\xff".to_vec(),
        // a 6-byte UNDI field whose byte 3 falls inside a multi-byte character (the fuzzer's
        // first crash: serve and analyze both split it at byte 3)
        [
            b"\x35\x01\x01\x3c\x20PXEClient:Arch:00000:UNDI:0".as_slice(),
            "\u{20ac}".as_bytes(),
            b"20\xff",
        ]
        .concat(),
    ];
    let overload_file = [b"\x34\x01\x03\x43\x7fpxelinux.0".as_slice(), &[0x0c; 3]].concat();
    let overload_sname = b"\x42\xf0short\x34\x01\x01".to_vec();
    let mut frames = vec![];
    for (i, opts) in cases.iter().enumerate() {
        let mac = [0x02, 0xbb, 0, 0, 0, i as u8 + 1];
        let d = bootp(mac, opts, &overload_file, &overload_sname);
        frames.push((
            1_700_000_000_000_000_000 + i as i64 * 1_000_000_000,
            udp_frame(
                mac,
                BROADCAST_MAC,
                Ipv4Addr::UNSPECIFIED,
                Ipv4Addr::BROADCAST,
                68,
                67,
                &d,
            ),
        ));
    }
    let p = write_pcap("dhcp-option-torture.pcap", frames.into_iter());
    let (v, code) = analyze_json(&[&p], &[]);
    assert!(matches!(code, 0 | 1), "{code}");
    let macs: Vec<&str> = sessions(&v)
        .iter()
        .filter_map(|s| s["client"]["mac"].as_str())
        .collect();
    for i in 1..=cases.len() {
        assert!(
            macs.contains(&format!("02:bb:00:00:00:{i:02x}").as_str()),
            "client {i}: {macs:?}"
        );
    }
    // The damage is reported, not swallowed: option issues on the messages or malformed counts.
    let text = v.to_string();
    assert!(
        text.contains("issues")
            || v["stats"]["malformed"]
                .as_object()
                .is_some_and(|m| !m.is_empty()),
        "{}",
        v["stats"]
    );
}

/// A transfer of 70,001 blocks of 512 bytes: block numbers wrap past 65535 and the analysis
/// still counts every byte once, with no false retransmissions.
#[test]
fn tftp_block_numbers_wrap_past_65535() {
    use pxe_inspect::synth::{write_root, Storm, StormConfig};
    let cfg = StormConfig {
        seed: 11,
        clients: 1,
        uefi_percent: 0,
        fail_percent: 0,
        bios_file_bytes: 70_000 * 512 + 100,
        blksize: Some(512),
        ..StormConfig::default()
    };
    let root = std::env::temp_dir().join(format!("pxe-wrap-root-{}", std::process::id()));
    write_root(&root, &cfg).expect("root");
    let p = write_pcap("wrap.pcap", Storm::new(cfg, &root, false).expect("storm"));
    let (v, code) = analyze_json(&[&p], &[]);
    assert_eq!(code, 0, "{:?}", all_finding_ids(&v));
    let s = &sessions(&v)[0];
    let t = transfers(s, "undionly.kpxe");
    let t = t.last().expect("transfer");
    assert_eq!(t["status"], "complete");
    assert_eq!(t["bytes"], 70_000 * 512 + 100);
    assert_eq!(t["blocks"], 70_001);
    assert_eq!(t["retransmits"], 0);
    assert_eq!(s["outcome"], "booted");
}

/// Out-of-order and backwards timestamps (merged captures from skewed clocks, or a capture
/// whose clock stepped): counted, and the boots are still reconstructed.
#[test]
fn backwards_and_out_of_order_timestamps() {
    use pxe_inspect::synth::{write_root, Storm, StormConfig};
    let cfg = StormConfig {
        seed: 12,
        clients: 8,
        fail_percent: 0,
        bios_file_bytes: 20_000,
        efi_file_bytes: 60_000,
        ..StormConfig::default()
    };
    let root = std::env::temp_dir().join(format!("pxe-ts-root-{}", std::process::id()));
    write_root(&root, &cfg).expect("root");
    let mut frames: Vec<(i64, Vec<u8>)> = Storm::new(cfg, &root, false).expect("storm").collect();
    let n = frames.len();
    // swap neighbours every 50 frames, and step the clock back an hour for one frame in the middle
    for i in (10..n - 1).step_by(50) {
        let t = frames[i].0;
        frames[i].0 = frames[i + 1].0;
        frames[i + 1].0 = t;
    }
    frames[n / 2].0 -= 3_600_000_000_000;
    let p = write_pcap("backwards.pcap", frames.into_iter());
    let (v, code) = analyze_json(&[&p], &[]);
    assert!(matches!(code, 0 | 1), "{code}");
    assert!(
        v["stats"]["timestamps_backwards"].as_u64().unwrap_or(0) > 5,
        "{}",
        v["stats"]
    );
    let booted = sessions(&v)
        .iter()
        .filter(|s| s["outcome"] == "booted")
        .count();
    assert!(
        booted >= 7,
        "{booted} of 8 booted; {:?}",
        all_finding_ids(&v)
    );
}

/// A gzip capture cut early (its first 60 KiB: ~210 KB of pcap decompress before the damage)
/// still yields the frames before the cut, with an unclean end naming the offset. (Reading it
/// ahead on a second thread made the open fail: the decompression error reached pcap-parser's
/// second read while it was still opening the file.)
#[test]
fn truncated_gzip_yields_the_frames_before_the_cut() {
    let whole = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/lab-uefi-dnsmasq.pcap.gz"
    ))
    .expect("sample");
    let path = tmpfile("cut-early.pcap.gz", &whole[..60 << 10]);
    let (v, code) = analyze_json(&[&path], &[]);
    assert_ne!(code, 2, "the file opens");
    let input = &v["inputs"][0];
    assert!(input["frames"].as_u64().unwrap_or(0) > 100, "{input}");
    assert_eq!(input["end"]["clean"], false, "{input}");
    assert!(
        input["end"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("byte offset")),
        "{input}"
    );
}
