//! `serve --dnsmasq-conf`: a dnsmasq configuration's PXE subset served as it is written. Real
//! serve and real probe clients in test-made namespaces: each architecture gets the file its
//! dnsmasq tags give it, a dhcp-host gets its address, and what serve does not take over is
//! printed with its line. (The lab boots real firmware from seed 001's file: lab/ scenarios
//! `bios-serve-dnsmasq-conf` and `fail-serve-dnsmasq-conf-seed001-uefi`.)

mod common;
use common::netns::*;
use common::*;
use std::process::Stdio;
use std::time::Duration;

#[test]
#[cfg_attr(not(pxe_root), ignore = "needs root (network namespaces)")]
fn serve_reads_a_dnsmasq_configuration() {
    if skip_unless(can_netns(), "needs root and ip (network namespaces)") {
        return;
    }
    let n = Netns::new("dnsc");
    let root = n.path("tftp");
    std::fs::create_dir_all(&root).expect("root");
    for (f, len) in [("undionly.kpxe", 30_000), ("ipxe.efi", 50_000)] {
        std::fs::write(format!("{root}/{f}"), vec![0x5a; len]).expect("file");
    }
    let conf = n.path("dnsmasq.conf");
    std::fs::write(
        &conf,
        format!(
            "# a lab's dnsmasq.conf\n\
             interface=vs0\n\
             bind-interfaces\n\
             dhcp-range=192.168.78.100,192.168.78.150,255.255.255.0,2h\n\
             dhcp-host=02:70:78:00:00:02,192.168.78.42\n\
             dhcp-match=set:efi64,option:client-arch,7\n\
             dhcp-boot=tag:efi64,ipxe.efi\n\
             dhcp-boot=tag:!efi64,undionly.kpxe\n\
             enable-tftp\n\
             tftp-root={root}\n\
             log-dhcp\n"
        ),
    )
    .expect("conf");
    let b = bin().to_string_lossy().to_string();
    let mut serve = n
        .exec(
            &n.srv,
            &[
                &b,
                "serve",
                "--dnsmasq-conf",
                &conf,
                "--no-observe",
                "--duration",
                "60",
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    std::thread::sleep(Duration::from_millis(800));
    let out = n
        .exec(
            &n.cli,
            &[
                &b,
                "probe",
                "vc0",
                "--arch",
                "bios",
                "--arch",
                "efi-x64",
                "--clients",
                "2",
                "--timeout",
                "20",
                "--linger",
                "0",
                "--fail-on",
                "never",
                "-f",
                "json",
            ],
        )
        .stderr(Stdio::null())
        .output()
        .expect("probe runs");
    let _ = serve.kill();
    let served = serve.wait_with_output().expect("serve output");
    let log = String::from_utf8_lossy(&served.stderr);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let clients = v["probe"]["clients"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(clients.len(), 2, "{}", v["probe"]);
    for c in &clients {
        let (arch, want) = match c["arch"].as_u64() {
            Some(0) => (0, "undionly.kpxe"),
            _ => (7, "ipxe.efi"),
        };
        assert_eq!(c["boot_file"], want, "arch {arch}: {c}");
        assert_eq!(c["ok"], true, "arch {arch}: {c}");
        assert_eq!(c["bytes"], if arch == 0 { 30_000 } else { 50_000 }, "{c}");
    }
    // 02:70:78:00:00:02 is the second client: its dhcp-host address
    assert!(
        clients.iter().any(|c| c["leased_ip"] == "192.168.78.42"),
        "{:?}",
        clients
            .iter()
            .map(|c| c["leased_ip"].clone())
            .collect::<Vec<_>>()
    );
    // what serve does not take over, line by line
    assert!(
        log.contains("dnsmasq.conf:3: `bind-interfaces` is outside"),
        "{log}"
    );
    assert!(
        log.contains("dnsmasq.conf:11: `log-dhcp` is outside"),
        "{log}"
    );
}

#[test]
fn dnsmasq_conf_errors_name_the_file() {
    let out = run(&["serve", "--dnsmasq-conf", "/nonexistent/dnsmasq.conf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/dnsmasq.conf"));
    let out = run(&["serve", "--dnsmasq-conf", "/x", "--config", "/y"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "--config and --dnsmasq-conf conflict"
    );
}
