//! More inputs and views: zstd, time windows, client filters, jsonl streaming with flat memory.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

#[test]
fn zstd_capture_is_read_by_magic() {
    let path = capture("rs_pxe-intel-bios-full-two-stage-ipxe-chainload.pcapng");
    let z = zstd::encode_all(&std::fs::read(&path).expect("read")[..], 3).expect("zstd");
    let p = std::env::temp_dir().join(format!("pxi-{}-boot.capture", std::process::id())); // no telling extension
    std::fs::write(&p, z).expect("write");
    let (v, _) = analyze_json(&[p.to_str().expect("path")], &[]);
    assert_eq!(v["inputs"][0]["compressed"], true);
    assert_eq!(v["sessions"][0]["tftp"][2]["bytes"], 1251776);
}

#[test]
fn since_until_and_client_filters() {
    let path = capture("rs_pxe-intel-bios-full-two-stage-ipxe-chainload.pcapng");
    let (all, _) = analyze_json(&[&path], &[]);
    let start = all["sessions"][0]["start"]
        .as_str()
        .expect("start")
        .to_string();
    // The iPXE stage starts ~23 s in: a window after 20 s sees only it.
    let t0 = pxe_inspect::model::Timestamp::parse(&start)
        .expect("parse")
        .0;
    let since = format!("{}", (t0 as f64 / 1e9) + 20.0);
    let (v, _) = analyze_json(&[&path], &["--since", &since]);
    let s = &sessions(&v)[0];
    assert_eq!(s["stages"].as_array().map(|a| a.len()), Some(1));
    assert_eq!(s["stages"][0]["ipxe"], true);
    let until = format!("{}", (t0 as f64 / 1e9) + 5.0);
    let (v, _) = analyze_json(&[&path], &["--until", &until]);
    assert_eq!(
        sessions(&v)[0]["stages"].as_array().map(|a| a.len()),
        Some(1)
    );
    assert_eq!(sessions(&v)[0]["stages"][0]["ipxe"], false);
    let (v, _) = analyze_json(&[&path], &["--client", "00-01-2E-91-F7-FE"]);
    assert_eq!(sessions(&v).len(), 1);
    let (v, _) = analyze_json(&[&path], &["--client", "00:00:00:00:00:01"]);
    assert_eq!(sessions(&v).len(), 0);
    assert_eq!(
        run(&["analyze", "--since", "last tuesday", &path])
            .status
            .code(),
        Some(2)
    );
}

/// A capture of `clients` copies of the lab's BIOS boot (gen_capture), in the temp dir.
fn lab_boot_copies(name: &str, clients: u32) -> std::path::PathBuf {
    let big = std::env::temp_dir().join(format!("pxi-{}-{name}.pcap", std::process::id()));
    let src = format!(
        "{}/samples/lab-bios-dnsmasq.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    assert!(Command::new(gen_capture_bin())
        .args([&src, big.to_str().expect("p"), &clients.to_string()])
        .status()
        .expect("gen")
        .success());
    big
}

/// A boot storm of ~600 clients (about 150 MB) streamed as jsonl: the first session line comes
/// long before the end and peak memory stays flat (sessions are written as they close).
#[test]
#[cfg_attr(not(has_gnu_time), ignore = "needs GNU time (apt-get install time)")]
fn jsonl_streams_large_captures_with_flat_memory() {
    if skip_unless(
        have("/usr/bin/time"),
        "GNU time not installed (apt-get install time)",
    ) {
        return;
    }
    let big = lab_boot_copies("storm", 600);
    let rss_file = std::env::temp_dir().join(format!("pxi-{}-rss", std::process::id()));
    let started = Instant::now();
    let mut child = Command::new("/usr/bin/time")
        .args([
            "-f",
            "%M",
            "-o",
            rss_file.to_str().expect("p"),
            bin().to_str().expect("bin"),
            "analyze",
            "-f",
            "jsonl",
            "--idle-timeout",
            "30",
            "--fail-on",
            "never",
            big.to_str().expect("p"),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("utf8");
    let first_at = started.elapsed();
    let n = 1 + lines.count();
    let total = started.elapsed();
    assert!(child.wait().expect("wait").success());
    let _ = std::fs::remove_file(&big);
    assert!(first.contains("\"type\":\"session\""), "{first}");
    assert!(n >= 600, "{n} lines");
    assert!(
        first_at.as_secs_f64() < total.as_secs_f64() * 0.6,
        "first line after {first_at:?} of {total:?}"
    );
    let rss_kb: u64 = std::fs::read_to_string(&rss_file)
        .expect("rss")
        .trim()
        .lines()
        .last()
        .unwrap_or("0")
        .parse()
        .unwrap_or(u64::MAX);
    assert!(
        rss_kb < 64 * 1024,
        "peak RSS {rss_kb} KB for a 150 MB capture"
    );
}

/// `analyze -f jsonl big.pcap | head -1`: the reader goes away after one line; analyze stops
/// quietly with exit 0 (it printed "Broken pipe" and exited 2).
#[test]
fn jsonl_into_a_closed_pipe_ends_quietly() {
    let big = lab_boot_copies("epipe", 300);
    let mut child = Command::new(bin())
        .args(["analyze", "-f", "jsonl", "--idle-timeout", "30"])
        .arg(&big)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("utf8");
    drop(lines);
    let out = child.wait_with_output().expect("wait");
    let _ = std::fs::remove_file(&big);
    assert!(first.contains("\"type\":\"session\""), "{first}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
}

/// The jsonl summary's `sessions` is the number of session lines written (CONTRACT), also when
/// a filter drops sessions: it used to count every session seen.
#[test]
fn jsonl_summary_counts_the_session_lines_written() {
    for (file, extra) in [
        (
            "zeek-dhcp-inform-ack-flood-many-relays.pcap",
            vec!["--pxe-only"],
        ),
        ("zeek-dhcp-inform-ack-flood-many-relays.pcap", vec![]),
        (
            "rs_pxe-intel-bios-full-two-stage-ipxe-chainload.pcapng",
            vec![],
        ),
    ] {
        let path = capture(file);
        let mut args = vec!["analyze", "-f", "jsonl"];
        args.extend(extra.iter().copied());
        args.push(&path);
        let out = run(&args);
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect();
        let summary = lines.last().expect("summary");
        assert_eq!(summary["type"], "summary");
        assert_eq!(summary["schema"], "pxe-inspect/jsonl/1");
        let n = lines.iter().filter(|l| l["type"] == "session").count();
        assert_eq!(summary["sessions"], n as u64, "{file} {extra:?}");
    }
}

/// `-f json` past 256 closed sessions spools them to disk (memory flat in finished sessions):
/// the document is byte for byte the one built in memory.
#[test]
fn json_spooled_sessions_are_byte_identical() {
    use pxe_inspect::source::writer::CaptureWriter;
    use pxe_inspect::synth::{write_root, Storm, StormConfig};
    let dir = std::env::temp_dir().join(format!("pxe-spool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let cfg = StormConfig {
        seed: 7,
        clients: 2_300,
        rate: 400.0,
        fail_percent: 20,
        bios_file_bytes: 3_000,
        efi_file_bytes: 5_000,
        ..StormConfig::default()
    };
    let root = dir.join("root");
    write_root(&root, &cfg).expect("root");
    let pcap = dir.join("s.pcap");
    let mut w = CaptureWriter::create(pcap.to_str().expect("utf-8"), 1).expect("create");
    for (ts, f) in Storm::new(cfg, &root, false).expect("storm") {
        w.write(1, ts, &f, f.len() as u32).expect("write");
    }
    w.flush().expect("flush");
    drop(w);
    let p = pcap.to_string_lossy().to_string();
    // A short idle timeout closes sessions during the read, so the spool really fills.
    let args = [
        "analyze",
        "-f",
        "json",
        "--fail-on",
        "never",
        "--idle-timeout",
        "2",
        p.as_str(),
    ];
    let spooled = run(&args);
    let in_memory = std::process::Command::new(bin())
        .args(args)
        .env("PXE_INSPECT_NO_SPOOL", "1")
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&spooled.stdout).expect("JSON");
    assert!(
        sessions(&v).len() > 2_048,
        "{} sessions",
        sessions(&v).len()
    );
    assert!(spooled.stdout == in_memory.stdout, "spooled output differs");
    // The spooled sessions' findings still decide the exit code (they once did not: exit 0
    // with a fifth of the clients failing).
    let code = |spool: bool| {
        let mut c = std::process::Command::new(bin());
        c.args(["analyze", "-f", "json", "--idle-timeout", "2", p.as_str()]);
        if !spool {
            c.env("PXE_INSPECT_NO_SPOOL", "1");
        }
        c.output().expect("runs").status.code()
    };
    assert_eq!(code(true), Some(1));
    assert_eq!(code(false), Some(1));
    // -f jsonl from a file is serialised on a second thread (render::prerender) and buffered;
    // from a pipe each line is written and flushed in place. Same bytes, same exit code.
    let jsonl = |from_pipe: bool| {
        let mut c = std::process::Command::new(bin());
        c.args(["analyze", "-f", "jsonl", "--idle-timeout", "2"]);
        if from_pipe {
            c.arg("-")
                .stdin(std::fs::File::open(&pcap).expect("open capture"));
        } else {
            c.arg(p.as_str());
        }
        c.output().expect("runs")
    };
    let (threaded, inline) = (jsonl(false), jsonl(true));
    assert_eq!(threaded.status.code(), Some(1));
    assert_eq!(inline.status.code(), Some(1));
    let lines = threaded.stdout.iter().filter(|b| **b == b'\n').count();
    assert!(lines > 2_300, "{lines} lines");
    // The summary line names the input: the path, or "-".
    let threaded = String::from_utf8_lossy(&threaded.stdout).replace(
        &format!("\"path\":{}", serde_json::json!(p)),
        "\"path\":\"-\"",
    );
    assert!(
        threaded == String::from_utf8_lossy(&inline.stdout),
        "threaded jsonl differs"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
