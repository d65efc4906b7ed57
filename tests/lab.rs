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
    std::env::var_os("PXE_LAB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!("{}/../shared/lab", env!("CARGO_MANIFEST_DIR"))))
}

fn lab_ready() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    root && lab_dir().join("run-scenario").exists()
        && have("qemu-system-x86_64")
        && have("tcpdump")
        && std::path::Path::new("/dev/net/tun").exists()
}

/// Run a lab scenario; returns the capture path.
fn record(scenario: &str) -> String {
    record_with(scenario, &[])
}

fn record_with(scenario: &str, env: &[(&str, &str)]) -> String {
    let tag: String = env.iter().map(|(_, v)| v.len().to_string()).collect();
    let out = std::env::temp_dir().join(format!(
        "pxe-inspect-lab-{}-{scenario}-{tag}.pcap",
        std::process::id()
    ));
    let status = Command::new(lab_dir().join("run-scenario"))
        .args([scenario, &out.to_string_lossy()])
        .env(
            "LAB_SCENARIO_PATH",
            format!("{}/tests/lab-scenarios", env!("CARGO_MANIFEST_DIR")),
        )
        .env("LAB_NO_TSHARK", "1")
        .envs(env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .status()
        .expect("run-scenario starts");
    assert!(
        status.success(),
        "lab scenario {scenario} did not end as expected"
    );
    out.to_string_lossy().to_string()
}

#[test]
#[cfg_attr(
    not(all(pxe_root, pxe_qemu, pxe_shared_lab, has_tcpdump)),
    ignore = "needs root, QEMU, tcpdump, /dev/net/tun and ../shared/lab"
)]
fn lab_bios_boot_from_dnsmasq_is_healthy_and_seed_shaped() {
    if skip_unless(
        lab_ready(),
        "lab needs root, QEMU, tcpdump, /dev/net/tun and ../shared/lab",
    ) {
        return;
    }
    let _g = LAB_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let pcap = record("bios-dnsmasq");
    let (v, code) = analyze_json(&[&pcap], &["--fail-on", "warning"]);
    assert_eq!(code, 0, "{:?}", all_finding_ids(&v));
    let s = &sessions(&v)[0];
    assert_eq!(s["outcome"], "booted");
    assert_eq!(s["client"]["arch"]["code"], 0);
    let files: Vec<&str> = s["tftp"]
        .as_array()
        .expect("tftp")
        .iter()
        .map(|t| t["file"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(&files[..2], &["pxelinux.0", "ldlinux.c32"]);
    assert_eq!(files.last().copied(), Some("vmlinuz"));
}

#[test]
#[cfg_attr(
    not(all(pxe_root, pxe_qemu, pxe_shared_lab, has_tcpdump)),
    ignore = "needs root, QEMU, tcpdump, /dev/net/tun and ../shared/lab"
)]
fn lab_uefi_given_bios_loader_is_an_arch_mismatch() {
    if skip_unless(
        lab_ready(),
        "lab needs root, QEMU, tcpdump, /dev/net/tun and ../shared/lab",
    ) {
        return;
    }
    let _g = LAB_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let pcap = record("fail-uefi-arch-mismatch");
    let (v, code) = analyze_json(&[&pcap], &[]);
    assert_eq!(code, 1);
    let s = &sessions(&v)[0];
    assert_eq!(s["client"]["arch"]["code"], 7);
    assert_eq!(
        finding_ids(s).first().map(String::as_str),
        Some("arch-mismatch")
    );
}

fn serve_cmd(extra: &str) -> String {
    format!("{} serve --interface $LAB_IF --tftp-root $TFTP_ROOT --boot bios=pxelinux.0 --boot efi-x64=syslinux.efi --color never {extra}", bin().display())
}

/// `serve` boots real BIOS (iPXE ROM) and UEFI (OVMF) firmware to their last file, in proxy mode
/// next to a plain DHCP server and in full DHCP mode.
#[test]
#[cfg_attr(
    not(all(pxe_root, pxe_qemu, pxe_shared_lab, has_tcpdump)),
    ignore = "needs root, QEMU, tcpdump, /dev/net/tun and ../shared/lab"
)]
fn lab_real_firmware_boots_from_serve() {
    if skip_unless(
        lab_ready(),
        "lab needs root, QEMU, tcpdump, /dev/net/tun and ../shared/lab",
    ) {
        return;
    }
    let _g = LAB_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dhcp = serve_cmd("--dhcp-range $LAB_POOL_START,$LAB_POOL_END");
    // serve's observer (the capture machinery) writes what it saw: compared with tcpdump below.
    let observed = std::env::temp_dir().join(format!(
        "pxe-inspect-lab-{}-observed.pcapng",
        std::process::id()
    ));
    let proxy = serve_cmd(&format!("-w {}", observed.display()));
    for (scenario, cmd, with_dhcp, arch) in [
        ("custom-server-bios", proxy.as_str(), "1", 0),
        ("custom-server-uefi", proxy.as_str(), "1", 7),
        ("custom-server-bios", dhcp.as_str(), "0", 0),
        ("custom-server-uefi", dhcp.as_str(), "0", 7),
    ] {
        let pcap = record_with(scenario, &[("SERVER_CMD", cmd), ("WITH_DHCP", with_dhcp)]);
        let (v, code) = analyze_json(&[&pcap], &["--fail-on", "warning"]);
        assert_eq!(code, 0, "{scenario} {cmd}: {:?}", all_finding_ids(&v));
        let s = sessions(&v)
            .iter()
            .find(|s| s["pxe"] == true)
            .expect("a PXE session")
            .clone();
        assert_eq!(s["outcome"], "booted", "{scenario} {cmd}");
        assert_eq!(s["client"]["arch"]["code"], arch);
        assert!(
            transfers(&s, "vmlinuz")
                .iter()
                .any(|t| t["status"] == "complete"),
            "{scenario}: vmlinuz"
        );
        if cmd == proxy.as_str() && scenario.ends_with("bios") {
            let (o, _) = analyze_json(&[observed.to_str().expect("path")], &[]);
            let os = sessions(&o)
                .iter()
                .find(|s| s["pxe"] == true)
                .expect("observed session")
                .clone();
            assert_eq!(os["client"], s["client"]);
            assert_eq!(os["outcome"], s["outcome"]);
            // Frame numbers differ between the two files (different filters); what was fetched must not.
            let proj = |x: &serde_json::Value| -> Vec<String> {
                x["tftp"]
                    .as_array()
                    .expect("tftp")
                    .iter()
                    .map(|t| {
                        format!(
                            "{} {} {} {}",
                            t["file"], t["status"], t["bytes"], t["blocks"]
                        )
                    })
                    .collect()
            };
            assert_eq!(
                proj(&os),
                proj(&s),
                "pxe-inspect's own capture of a real boot agrees with tcpdump's"
            );
        }
        let kinds: Vec<&str> = s["stages"][0]["offers"]
            .as_array()
            .expect("offers")
            .iter()
            .filter_map(|o| o["kind"].as_str())
            .collect();
        if with_dhcp == "1" {
            assert!(
                kinds.contains(&"proxy"),
                "{scenario}: proxy offer from serve: {kinds:?}"
            );
        } else {
            assert!(
                kinds.contains(&"dhcp") && kinds.contains(&"ack"),
                "{scenario}: address from serve: {kinds:?}"
            );
        }
    }
}

/// Faults reproduced against real firmware, closing the loop with analyze.
#[test]
#[cfg_attr(
    not(all(pxe_root, pxe_qemu, pxe_shared_lab, has_tcpdump)),
    ignore = "needs root, QEMU, tcpdump, /dev/net/tun and ../shared/lab"
)]
fn lab_serve_faults_against_real_firmware() {
    if skip_unless(
        lab_ready(),
        "lab needs root, QEMU, tcpdump, /dev/net/tun and ../shared/lab",
    ) {
        return;
    }
    let _g = LAB_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    for (client, fault, with_dhcp, id) in [
        ("uefi", "arch-mismatch", "0", "arch-mismatch"),
        ("bios", "tftp-file-not-found", "0", "tftp-file-not-found"),
        (
            "bios",
            "proxy-missing-vendor-class",
            "1",
            "proxy-missing-vendor-class",
        ),
    ] {
        let extra = if with_dhcp == "1" {
            format!("--fault {fault}")
        } else {
            format!("--fault {fault} --dhcp-range $LAB_POOL_START,$LAB_POOL_END")
        };
        let cmd = serve_cmd(&extra);
        let pcap = record_with(
            "serve-fault",
            &[
                ("SERVER_CMD", &cmd),
                ("WITH_DHCP", with_dhcp),
                ("CLIENT", client),
            ],
        );
        let (v, code) = analyze_json(&[&pcap], &[]);
        assert_eq!(code, 1, "{fault}");
        let s = sessions(&v)
            .iter()
            .find(|s| s["pxe"] == true)
            .expect("a PXE session")
            .clone();
        assert!(
            finding_ids(&s).contains(&id.to_string()),
            "{fault}: {:?}",
            finding_ids(&s)
        );
    }
}

/// UEFI HTTP boot: OVMF falls through PXE to HTTP boot; serve hands HTTPClient a URL.
#[test]
#[cfg_attr(
    not(all(pxe_root, pxe_qemu, pxe_shared_lab, has_tcpdump, has_python3)),
    ignore = "needs root, QEMU, tcpdump, python3, /dev/net/tun and ../shared/lab"
)]
fn lab_uefi_http_boot() {
    if skip_unless(
        lab_ready() && have("python3"),
        "lab needs root, QEMU, tcpdump, python3, /dev/net/tun and ../shared/lab",
    ) {
        return;
    }
    let _g = LAB_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let b = bin();
    let pcap = record_with(
        "uefi-http-boot",
        &[("PXE_INSPECT", b.to_str().expect("bin"))],
    );
    let (v, _) = analyze_json(&[&pcap], &[]);
    let s = sessions(&v)
        .iter()
        .find(|s| s["pxe"] == true)
        .expect("session")
        .clone();
    assert_eq!(s["outcome"], "booted", "{:?}", finding_ids(&s));
    assert!(s["http"]
        .as_array()
        .expect("http")
        .iter()
        .any(|h| h["method"] == "GET" && h["status"] == "complete" && h["status_code"] == 200));
}
