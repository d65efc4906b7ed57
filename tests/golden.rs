//! Golden outputs: every output format of `analyze` over every sample, every public capture and
//! three small deterministic storms, compared byte for byte with `tests/golden/`.
//!
//! A change that alters output on purpose regenerates them in the same commit:
//! `PXE_INSPECT_UPDATE_GOLDEN=1 cargo test --release --test golden`, and the commit message says
//! why the diff is what it is. Any other change must leave them untouched.

mod common;
use common::bin;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const FORMATS: &[&str] = &["table", "timeline", "json", "jsonl", "mermaid"];

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn updating() -> bool {
    std::env::var_os("PXE_INSPECT_UPDATE_GOLDEN").is_some_and(|v| v == "1")
}

/// `analyze -f FORMAT NAME` in `dir`: its stdout and exit code.
fn run(dir: &Path, name: &str, format: &str, cold_after: Option<&str>) -> Vec<u8> {
    let mut cmd = Command::new(bin());
    cmd.current_dir(dir)
        .args(["analyze", "--color", "never", "-f", format, name])
        .env("NO_COLOR", "1")
        .env_remove("PXE_INSPECT_COLD_AFTER")
        .stdin(Stdio::null());
    if let Some(n) = cold_after {
        cmd.env("PXE_INSPECT_COLD_AFTER", n);
    }
    let out = cmd.output().expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{name} -f {format}: {stderr}");
    let mut bytes = out.stdout;
    // The exit code is part of the contract too.
    bytes.extend_from_slice(format!("\n# exit {:?}\n", out.status.code()).as_bytes());
    bytes
}

/// Run analyze in `dir` on `name` (a relative path, so outputs hold no machine's paths).
fn outputs(dir: &Path, name: &str) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for f in FORMATS {
        let bytes = run(dir, name, f, None);
        // Every quiet session through the cold store and back (session::cold) changes nothing.
        let cold = run(dir, name, f, Some("0"));
        assert!(
            cold == bytes,
            "{name} -f {f}: output differs with PXE_INSPECT_COLD_AFTER=0"
        );
        v.push((format!("{f}.out"), bytes));
    }
    // One exit code whatever the format (-f jsonl once exited 0 on failing boots: its sessions
    // were streamed and the exit code only saw the capture-wide findings).
    let codes: Vec<&[u8]> = v
        .iter()
        .map(|(_, b)| b.rsplit(|&c| c == b'\n').nth(1).unwrap_or_default())
        .collect();
    assert!(
        codes.windows(2).all(|w| w[0] == w[1]),
        "{name}: exit codes differ between formats: {:?}",
        codes
            .iter()
            .map(|c| String::from_utf8_lossy(c))
            .collect::<Vec<_>>()
    );
    let html = std::env::temp_dir().join(format!(
        "pxe-golden-{}-{}.html",
        std::process::id(),
        name.replace('/', "_")
    ));
    let out = Command::new(bin())
        .current_dir(dir)
        .args(["analyze", "--color", "never", "-f", "jsonl", "--html"])
        .arg(&html)
        .arg(name)
        .stdin(Stdio::null())
        .output()
        .expect("binary runs");
    assert!(out.status.code().is_some());
    let page = std::fs::read(&html).unwrap_or_default();
    let _ = std::fs::remove_file(&html);
    v.push(("html.out".into(), page));
    v
}

/// Compare (or, when updating, write) the golden files of one input; returns what differs.
fn check(dir: &Path, name: &str, key: &str) -> Vec<String> {
    let gdir = manifest().join("tests/golden").join(key);
    let mut bad = Vec::new();
    for (file, bytes) in outputs(dir, name) {
        let path = gdir.join(&file);
        if updating() {
            std::fs::create_dir_all(&gdir).expect("golden dir");
            std::fs::write(&path, &bytes).expect("write golden");
            continue;
        }
        match std::fs::read(&path) {
            Ok(want) if want == bytes => {}
            Ok(want) => {
                let (w, g) = (
                    String::from_utf8_lossy(&want),
                    String::from_utf8_lossy(&bytes),
                );
                let line = w
                    .lines()
                    .zip(g.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(w.lines().count().min(g.lines().count()));
                bad.push(format!(
                    "{key}/{file}: differs from line {} (golden: {:?}, now: {:?})",
                    line + 1,
                    w.lines().nth(line).unwrap_or("<end>"),
                    g.lines().nth(line).unwrap_or("<end>")
                ));
            }
            Err(_) => bad.push(format!(
                "{key}/{file}: no golden file (run with PXE_INSPECT_UPDATE_GOLDEN=1)"
            )),
        }
    }
    bad
}

fn captures_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".pcap"))
        .collect();
    v.sort();
    v
}

fn run_dir(rel: &str, prefix: &str) {
    let dir = manifest().join(rel);
    let mut bad = Vec::new();
    let names = captures_in(&dir);
    assert!(!names.is_empty(), "no captures in {rel}");
    for n in &names {
        bad.extend(check(&dir, n, &format!("{prefix}/{n}")));
    }
    assert!(bad.is_empty(), "golden outputs differ:\n{}", bad.join("\n"));
}

#[test]
fn golden_samples() {
    run_dir("samples", "samples");
}

#[test]
fn golden_public_captures() {
    run_dir("tests/captures", "public");
}

#[test]
fn golden_field_reports() {
    run_dir("tests/captures/field", "field");
}

#[test]
fn golden_storms() {
    use pxe_inspect::source::writer::CaptureWriter;
    use pxe_inspect::synth::{write_root, Storm, StormConfig};
    let tmp = std::env::temp_dir().join(format!("pxe-golden-storms-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp");
    let mut bad = Vec::new();
    for seed in 1..=3u64 {
        // Small enough to keep in git, large enough to hold every failure kind the generator has.
        let cfg = StormConfig {
            seed,
            clients: 24,
            fail_percent: 40,
            bios_file_bytes: 20_000,
            efi_file_bytes: 60_000,
            ..StormConfig::default()
        };
        let root = tmp.join(format!("root-{seed}"));
        write_root(&root, &cfg).expect("storm root");
        let name = format!("storm-seed{seed}.pcap");
        let mut w = CaptureWriter::create(tmp.join(&name).to_str().expect("utf-8"), 1)
            .expect("create storm");
        for (ts, f) in Storm::new(cfg, &root, false).expect("storm") {
            w.write(1, ts, &f, f.len() as u32).expect("write");
        }
        w.flush().expect("flush");
        drop(w);
        bad.extend(check(&tmp, &name, &format!("storms/{name}")));
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(bad.is_empty(), "golden outputs differ:\n{}", bad.join("\n"));
}
