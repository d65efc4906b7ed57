//! Probes what the environment-dependent tests need (root, network namespaces, the QEMU systems
//! the lab boots, tshark, chromium, ...) and sets a `cfg` for each, so that a test whose
//! prerequisite is missing is compiled `#[ignore = "needs ..."]` and shows up as *ignored* in cargo test's
//! summary, never as passed. Under CI=true every cfg is set: nothing is ignored, and a missing
//! prerequisite makes its test fail (tests/common's `skip_unless` panics there).
//!
//! The probe runs when build.rs, CI or PATH change; after installing a tool, `touch build.rs`.

use std::path::Path;
use std::process::{Command, Stdio};

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CI");
    println!("cargo:rerun-if-env-changed=PATH");
    println!("cargo:rerun-if-env-changed=PXE_LAB");
    let probes: Vec<(&str, bool)> = vec![
        (
            "pxe_root",
            root() && have("ip") && Path::new("/dev/net/tun").exists(),
        ),
        (
            "pxe_qemu",
            [
                "qemu-system-x86_64",
                "qemu-system-i386",
                "qemu-system-aarch64",
                "qemu-system-arm",
            ]
            .iter()
            .all(|q| have(q)),
        ),
        (
            "pxe_ipxe_pkg",
            Path::new("/usr/lib/ipxe/ipxe.efi").exists()
                && Path::new("/usr/lib/ipxe/undionly.kpxe").exists(),
        ),
        (
            "pxe_syslinux_efi",
            Path::new("/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi").exists(),
        ),
        ("has_dnsmasq", have("dnsmasq")),
        ("has_busybox", have("busybox")),
        ("has_atftp", have("atftp")),
        ("has_tftp", have("tftp")),
        ("has_tcpdump", have("tcpdump")),
        ("has_tshark", have("tshark")),
        ("has_python3", have("python3")),
        ("has_chromium", have("chromium")),
        ("has_nft", have("nft")),
        ("has_gnu_time", Path::new("/usr/bin/time").exists()),
        ("has_curl", have("curl")),
        ("has_clickhouse", have("clickhouse-server")),
        ("has_prometheus", have("prometheus")),
        ("has_promtool", have("promtool")),
        ("has_systemd_analyze", have("systemd-analyze")),
        ("has_setpriv", have("setpriv")),
    ];
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    for (name, ok) in probes {
        println!("cargo::rustc-check-cfg=cfg({name})");
        if ok || ci {
            println!("cargo:rustc-cfg={name}");
        }
    }
    // The project's real-firmware lab (tests/lab_matrix.rs) boots QEMU for minutes and needs
    // `sudo lab/setup` first: it runs when asked for with PXE_LAB=1 (also in CI), else its tests
    // are reported as ignored with that reason.
    println!("cargo::rustc-check-cfg=cfg(pxe_lab)");
    if std::env::var("PXE_LAB").is_ok_and(|v| v == "1") {
        println!("cargo:rustc-cfg=pxe_lab");
    }
}
