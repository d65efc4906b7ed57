#![allow(dead_code)]
pub mod netns;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pxe-inspect"))
}

pub fn capture(name: &str) -> String {
    format!("{}/tests/captures/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("binary runs")
}

/// Analyse one capture to JSON; asserts the process did not crash.
pub fn analyze_json(files: &[&str], extra: &[&str]) -> (Value, i32) {
    let mut args = vec!["analyze", "-f", "json"];
    args.extend_from_slice(extra);
    args.extend_from_slice(files);
    let out = run(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let code = out.status.code().expect("exited, not killed by a signal");
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(v["schema"], "pxe-inspect/analyze/2");
    (v, code)
}

pub fn sessions(v: &Value) -> &Vec<Value> {
    v["sessions"].as_array().expect("sessions array")
}

pub fn finding_ids(s: &Value) -> Vec<String> {
    s["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

pub fn all_finding_ids(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = sessions(v).iter().flat_map(finding_ids).collect();
    ids.extend(
        v["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| f["id"].as_str().unwrap_or("").to_string())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    );
    ids
}

pub fn transfers<'a>(s: &'a Value, file: &str) -> Vec<&'a Value> {
    s["tftp"]
        .as_array()
        .map(|a| a.iter().filter(|t| t["file"] == file).collect())
        .unwrap_or_default()
}

pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Skip (return true) when a prerequisite is missing on a laptop; under CI=true it is a failure.
pub fn skip_unless(ok: bool, what: &str) -> bool {
    if ok {
        return false;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but prerequisite missing: {what}");
    }
    eprintln!("SKIP: {what}");
    true
}

/// The `gen_capture` example (copies of a real capture's sessions, re-addressed), built on demand.
pub fn gen_capture_bin() -> PathBuf {
    let gen = PathBuf::from(env!("CARGO_BIN_EXE_pxe-inspect"))
        .with_file_name("examples")
        .join("gen_capture");
    if !gen.exists() {
        let st = Command::new(env!("CARGO"))
            .args(["build", "--release", "-q", "--example", "gen_capture"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo");
        assert!(st.success());
    }
    if gen.exists() {
        gen
    } else {
        PathBuf::from(format!(
            "{}/target/release/examples/gen_capture",
            env!("CARGO_MANIFEST_DIR")
        ))
    }
}

/// A child process killed and reaped when the test is done with it (also on panic).
pub struct Reaped(pub std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
