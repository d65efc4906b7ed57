//! `capture` on a veth in test-made namespaces: dnsmasq serves a PXE-classed udhcpc and atftp.
//! The live view shows the session, the -w file holds every DATA block (compared with a tcpdump
//! reference taken at the same time), and analyze of the file agrees with the live summary.

mod common;
use common::netns::*;
use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

fn lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn data_frames(file: &str) -> u64 {
    let (v, _) = analyze_json(&[file], &[]);
    sessions(&v)
        .iter()
        .flat_map(|s| s["tftp"].as_array().cloned().unwrap_or_default())
        .map(|t| t["blocks"].as_u64().unwrap_or(0) + t["retransmits"].as_u64().unwrap_or(0))
        .sum()
}

#[test]
#[cfg_attr(
    not(all(pxe_root, has_dnsmasq, has_busybox, has_atftp, has_tcpdump)),
    ignore = "needs root, ip netns, dnsmasq, busybox, atftp, tcpdump"
)]
fn live_capture_in_namespaces() {
    if skip_unless(
        can_netns() && have("dnsmasq") && have("busybox") && have("atftp") && have("tcpdump"),
        "needs root, ip netns, dnsmasq, busybox, atftp, tcpdump",
    ) {
        return;
    }
    let n = Netns::new("cap");
    let root = n.path("tftp");
    std::fs::create_dir_all(&root).expect("root");
    let body: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
    std::fs::write(format!("{root}/boot.bin"), &body).expect("file");
    let _dnsmasq = Reaped(n.dnsmasq(&root, "boot.bin"));
    let written = n.path("live.pcapng");
    let reference = n.path("ref.pcap");
    let mut tcpdump = n.spawn(
        &n.srv,
        &[
            "tcpdump", "-i", "vs0", "-s", "0", "-U", "-w", &reference, "udp",
        ],
        "tcpdump.log",
    );
    let bin = bin();
    let cap = n
        .exec(
            &n.srv,
            &[
                bin.to_str().expect("path"),
                "capture",
                "vs0",
                "-w",
                &written,
                "-f",
                "jsonl",
                "--until-booted",
                "1",
                "--duration",
                "40",
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("capture starts");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        n.pxe_dhcp("PXEClient:Arch:00000:UNDI:002001"),
        "udhcpc got a lease from dnsmasq"
    );
    let got = n.path("got.bin");
    let st = n
        .exec(
            &n.cli,
            &[
                "atftp",
                "--option",
                "blksize 1024",
                "--option",
                "tsize 0",
                "--get",
                "-r",
                "boot.bin",
                "-l",
                &got,
                SRV_IP,
            ],
        )
        .status()
        .expect("atftp");
    assert!(st.success(), "atftp fetched the file");
    assert_eq!(std::fs::read(&got).expect("got"), body);
    let out = cap
        .wait_with_output()
        .expect("capture ends by --until-booted");
    std::thread::sleep(Duration::from_millis(500));
    // SIGINT lets tcpdump drain its ring and flush; SIGKILL lost the tail under load.
    let _ = Command::new("kill")
        .args(["-INT", &tcpdump.id().to_string()])
        .status();
    let _ = tcpdump.wait();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "capture exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let ls = lines(&stdout);
    assert!(
        ls.iter()
            .any(|l| l["type"] == "event" && l["kind"] == "dhcp"),
        "live DHCP events:\n{stdout}"
    );
    assert!(
        ls.iter().any(|l| l["type"] == "event"
            && l["text"]
                .as_str()
                .is_some_and(|t| t.contains("boot.bin: complete"))),
        "live transfer end:\n{stdout}"
    );
    let live: Vec<&serde_json::Value> = ls
        .iter()
        .filter(|l| l["type"] == "session" && l["pxe"] == true)
        .collect();
    assert_eq!(live.len(), 1, "{stdout}");
    let live = live[0];
    assert_eq!(live["outcome"], "booted");
    assert_eq!(
        live["client"]["vendor_class"],
        "PXEClient:Arch:00000:UNDI:002001"
    );
    let t = transfers(live, "boot.bin");
    assert_eq!(t[0]["bytes"], 300_000);
    assert_eq!(ls.last().expect("summary")["type"], "summary");
    // The written file holds every DATA block the reference capture saw (tcpdump, the
    // reference, may itself drop on a loaded machine: ours must not have fewer).
    assert!(
        data_frames(&written) >= data_frames(&reference),
        "ours {} < tcpdump's {}",
        data_frames(&written),
        data_frames(&reference)
    );
    assert!(
        data_frames(&written) >= 293,
        "300000 bytes in 1024-byte blocks"
    );
    // analyze of the written file gives the same session.
    let (v, _) = analyze_json(&[&written], &[]);
    let s = sessions(&v)
        .iter()
        .find(|s| s["pxe"] == true)
        .expect("session")
        .clone();
    for k in ["client", "ip", "outcome", "tftp", "stages"] {
        assert_eq!(s[k], live[k], "{k}");
    }
}

#[test]
#[cfg_attr(
    not(all(pxe_root, has_dnsmasq, has_atftp)),
    ignore = "needs root, ip netns, dnsmasq, atftp"
)]
fn ctrl_c_mid_transfer_leaves_a_valid_file_and_prints_the_summary() {
    if skip_unless(
        can_netns() && have("dnsmasq") && have("atftp"),
        "needs root, ip netns, dnsmasq, atftp",
    ) {
        return;
    }
    let n = Netns::new("int");
    let root = n.path("tftp");
    std::fs::create_dir_all(&root).expect("root");
    std::fs::write(format!("{root}/big.bin"), vec![0x5au8; 40_000_000]).expect("file");
    let _dnsmasq = Reaped(n.dnsmasq(&root, "big.bin"));
    assert!(std::process::Command::new("ip")
        .args([
            "-n",
            &n.cli,
            "addr",
            "add",
            "192.168.78.99/24",
            "dev",
            "vc0"
        ])
        .status()
        .expect("ip")
        .success());
    let written = n.path("int.pcap");
    let bin = bin();
    let cap = n
        .exec(
            &n.srv,
            &[
                bin.to_str().expect("path"),
                "capture",
                "vs0",
                "-w",
                &written,
                "--color",
                "never",
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("capture");
    std::thread::sleep(Duration::from_millis(1200));
    let mut atftp = n
        .exec(
            &n.cli,
            &["atftp", "--get", "-r", "big.bin", "-l", "/dev/null", SRV_IP],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("atftp");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        atftp.try_wait().expect("poll").is_none(),
        "transfer still running when we interrupt"
    );
    let _ = std::process::Command::new("kill")
        .args(["-INT", &cap.id().to_string()])
        .status();
    let out = cap.wait_with_output().expect("capture stops on SIGINT");
    let _ = atftp.kill();
    let _ = atftp.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{:?}",
        out.status
    );
    assert!(
        stdout.contains("client session(s)") && stdout.contains("192.168.78.99"),
        "summary printed:\n{stdout}"
    );
    let (v, _) = analyze_json(&[&written], &[]);
    assert_eq!(
        v["inputs"][0]["end"]["clean"], true,
        "the file written up to Ctrl-C is a valid capture"
    );
    let t = &sessions(&v)[0]["tftp"][0];
    assert_eq!(t["file"], "big.bin");
    assert!(t["blocks"].as_u64().unwrap_or(0) > 10);
    assert_eq!(t["status"], "incomplete");
}

#[test]
fn capture_errors_are_clear() {
    let out = run(&["capture", "no-such-if0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no such interface")
            || err.contains("permission")
            || err.contains("cap_net_raw"),
        "{err}"
    );
    let out = run(&["capture", "--list"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("lo"));
    assert_eq!(run(&["capture"]).status.code(), Some(2));
}

/// `capture` beside 240 clients at windowsize 16 with 8 KiB blocks (six IP fragments each),
/// twice (serve, probe as the clients): nothing may be dropped. Immediate mode gave every ring
/// slot 64 KiB on this offloading veth, so the 64 MiB ring held ~1,000 frames and lost
/// 2,680-2,850 of these 96,720; packed TPACKET_V3 blocks hold ~40,000.
#[test]
#[cfg_attr(
    not(all(pxe_root, pxe_ipxe_pkg)),
    ignore = "needs root, ip netns and the ipxe package"
)]
fn capture_keeps_up_with_a_windowed_storm() {
    if skip_unless(
        can_netns() && std::path::Path::new("/usr/lib/ipxe/ipxe.efi").exists(),
        "needs root, ip netns and the ipxe package",
    ) {
        return;
    }
    let n = Netns::new("cst");
    let root = n.path("tftp");
    std::fs::create_dir_all(&root).expect("root");
    let body: Vec<u8> = (0..262_144u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    std::fs::write(format!("{root}/bench.bin"), &body).expect("file");
    let b = bin().to_string_lossy().to_string();
    let mut serve = n.spawn(
        &n.srv.clone(),
        &[
            b.as_str(),
            "serve",
            "-i",
            "vs0",
            "--tftp-root",
            &root,
            "--boot",
            "efi-x64=bench.bin",
            "--no-observe",
            "--max-transfers",
            "2000",
            "--duration",
            "120",
        ],
        "serve.log",
    );
    // Output to a file: a pipe nobody reads until the end would stall capture, not its ring.
    let out_path = n.path("storm.jsonl");
    let out_file = std::fs::File::create(&out_path).expect("output file");
    let mut cap = n
        .exec(
            &n.srv,
            &[
                b.as_str(),
                "capture",
                "vs0",
                "-f",
                "jsonl",
                "--duration",
                "6",
            ],
        )
        .stdout(Stdio::from(out_file))
        .stderr(Stdio::null())
        .spawn()
        .expect("capture starts");
    std::thread::sleep(Duration::from_millis(800));
    for run in 1..=2 {
        let out = n
            .exec(
                &n.cli,
                &[
                    b.as_str(),
                    "probe",
                    "vc0",
                    "--tftp-server",
                    SRV_IP,
                    "--file",
                    "bench.bin",
                    "--ip-start",
                    "192.168.78.10",
                    "--clients",
                    "240",
                    "--rate",
                    "100000",
                    "--tftp-profile",
                    "ipxe",
                    "--blksize",
                    "8192",
                    "--windowsize",
                    "16",
                    "--timeout",
                    "60",
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
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("probe json");
        assert_eq!(
            v["probe"]["summary"]["ok"], 240,
            "run {run}: the storm itself completes: {}",
            v["probe"]["summary"]
        );
    }
    let _ = cap.wait();
    let _ = serve.kill();
    let _ = serve.wait();
    let all = lines(&std::fs::read_to_string(&out_path).expect("capture output"));
    let summary = all
        .iter()
        .rev()
        .find(|l| l["type"] == "summary")
        .expect("summary line");
    assert!(
        summary["stats"]["frames"].as_u64().unwrap_or(0) > 80_000,
        "{}",
        summary["stats"]["frames"]
    );
    assert_eq!(
        summary["pcap"]["dropped"], 0,
        "capture's ring dropped frames: {}",
        summary["pcap"]
    );
}

/// `capture -f json` writes one JSON document on stdout: live progress goes to stderr (it used
/// to print event lines before the document, so `json.load` failed at line 1).
#[test]
#[cfg_attr(
    not(all(pxe_root, has_dnsmasq, has_busybox)),
    ignore = "needs root, ip netns, dnsmasq, busybox"
)]
fn capture_json_is_one_document() {
    if skip_unless(
        can_netns() && have("dnsmasq") && have("busybox"),
        "needs root, ip netns, dnsmasq, busybox",
    ) {
        return;
    }
    let n = Netns::new("cjs");
    let root = n.path("tftp");
    std::fs::create_dir_all(&root).expect("root");
    std::fs::write(format!("{root}/boot.bin"), vec![1u8; 4000]).expect("file");
    let _dnsmasq = Reaped(n.dnsmasq(&root, "boot.bin"));
    std::thread::sleep(std::time::Duration::from_millis(500));
    let b = bin();
    let cap = n
        .exec(
            &n.srv,
            &[
                b.to_str().expect("bin"),
                "capture",
                "vs0",
                "-f",
                "json",
                "--duration",
                "4",
            ],
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("capture starts");
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert!(n.pxe_dhcp("PXEClient:Arch:00000:UNDI:002001"), "a lease");
    let out = cap.wait_with_output().expect("capture ends");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(v["schema"], "pxe-inspect/analyze/2");
    assert!(!sessions(&v).is_empty(), "the DHCP exchange is a session");
    // The progress went to stderr.
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("dhcp"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
