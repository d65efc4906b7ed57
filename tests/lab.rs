//! Real firmware against real servers, recorded by ../shared/lab (QEMU + network namespaces, as
//! root). Skips on a laptop without root/QEMU/the lab; under CI=true a missing piece fails.
//! QEMU boots run one at a time (2 cores): a process-wide lock serialises them.

mod common;
use common::*;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

static LAB_LOCK: Mutex<()> = Mutex::new(());

fn lab_dir() -> PathBuf {
    std::env::var_os("PXE_LAB_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(format!("{}/../shared/lab", env!("CARGO_MANIFEST_DIR"))))
}

fn lab_ready() -> bool {
    let root = Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false);
    root && lab_dir().join("run-scenario").exists() && have("qemu-system-x86_64") && have("tcpdump") && std::path::Path::new("/dev/net/tun").exists()
}

/// Run a lab scenario; returns the capture path.
fn record(scenario: &str) -> String {
    let out = std::env::temp_dir().join(format!("pxe-inspect-lab-{}-{scenario}.pcap", std::process::id()));
    let status = Command::new(lab_dir().join("run-scenario"))
        .args([scenario, &out.to_string_lossy()])
        .env("LAB_SCENARIO_PATH", format!("{}/tests/lab-scenarios", env!("CARGO_MANIFEST_DIR")))
        .env("LAB_NO_TSHARK", "1")
        .status()
        .expect("run-scenario starts");
    assert!(status.success(), "lab scenario {scenario} did not end as expected");
    out.to_string_lossy().to_string()
}

#[test]
fn lab_bios_boot_from_dnsmasq_is_healthy_and_seed_shaped() {
    if skip_unless(lab_ready(), "lab needs root, QEMU, tcpdump, /dev/net/tun and ../shared/lab") {
        return;
    }
    let _g = LAB_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let pcap = record("bios-dnsmasq");
    let (v, code) = analyze_json(&[&pcap], &["--fail-on", "warning"]);
    assert_eq!(code, 0, "{:?}", all_finding_ids(&v));
    let s = &sessions(&v)[0];
    assert_eq!(s["outcome"], "booted");
    assert_eq!(s["client"]["arch"]["code"], 0);
    let files: Vec<&str> = s["tftp"].as_array().expect("tftp").iter().map(|t| t["file"].as_str().unwrap_or("")).collect();
    assert_eq!(&files[..2], &["pxelinux.0", "ldlinux.c32"]);
    assert_eq!(files.last().copied(), Some("vmlinuz"));
}

#[test]
fn lab_uefi_given_bios_loader_is_an_arch_mismatch() {
    if skip_unless(lab_ready(), "lab needs root, QEMU, tcpdump, /dev/net/tun and ../shared/lab") {
        return;
    }
    let _g = LAB_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let pcap = record("fail-uefi-arch-mismatch");
    let (v, code) = analyze_json(&[&pcap], &[]);
    assert_eq!(code, 1);
    let s = &sessions(&v)[0];
    assert_eq!(s["client"]["arch"]["code"], 7);
    assert_eq!(finding_ids(s).first().map(String::as_str), Some("arch-mismatch"));
}
