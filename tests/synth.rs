//! The synthetic boot-storm generator (src/synth.rs, examples/storm.rs): probe's clients
//! booting against serve's responders in memory. What it writes must be a capture tshark reads
//! without a malformed packet, and `analyze` must find in it exactly the failures that were
//! injected, client by client.

mod common;
use common::*;
use pxe_inspect::source::writer::CaptureWriter;
use pxe_inspect::synth::{write_root, Planned, Scenario, Storm, StormConfig};
use std::collections::{BTreeMap, HashMap};

fn generate(name: &str, cfg: StormConfig) -> (String, Vec<Planned>, BTreeMap<Scenario, u64>) {
    let dir = std::env::temp_dir().join(format!("pxe-synth-{}-{name}", std::process::id()));
    write_root(&dir.join("root"), &cfg).expect("root");
    let path = dir
        .join(format!("{name}.pcap"))
        .to_string_lossy()
        .to_string();
    let mut storm = Storm::new(cfg, &dir.join("root"), true).expect("storm");
    let mut w = CaptureWriter::create(&path, 1).expect("create");
    for (ts, f) in storm.by_ref() {
        w.write(1, ts, &f, f.len() as u32).expect("write");
    }
    w.flush().expect("flush");
    (
        path,
        storm.manifest.take().unwrap_or_default(),
        storm.expected().clone(),
    )
}

#[test]
fn storm_findings_match_the_injected_failures_client_by_client() {
    let cfg = StormConfig {
        seed: 7,
        clients: 150,
        rate: 40.0,
        uefi_percent: 50,
        fail_percent: 40,
        bios_file_bytes: 40_000,
        efi_file_bytes: 200_000,
        ..StormConfig::default()
    };
    let (path, manifest, expected) = generate("mixed", cfg);
    assert_eq!(manifest.len(), 150);
    // The seed spreads clients over every scenario and both architectures.
    assert_eq!(expected.len(), 7, "{expected:?}");
    assert!(manifest.iter().any(|p| p.arch == 0) && manifest.iter().any(|p| p.arch == 7));
    let (v, code) = analyze_json(&[&path], &[]);
    assert_eq!(code, 1, "failures present");
    let by_mac: HashMap<String, &serde_json::Value> = sessions(&v)
        .iter()
        .filter_map(|s| Some((s["client"]["mac"].as_str()?.to_string(), s)))
        .collect();
    assert_eq!(by_mac.len(), 150, "one session per client");
    for p in &manifest {
        let s = by_mac
            .get(&p.mac)
            .unwrap_or_else(|| panic!("no session for {}", p.mac));
        let ids = finding_ids(s);
        match p.scenario.finding() {
            None => {
                assert_eq!(
                    s["outcome"], "booted",
                    "{} {:?}: {ids:?}",
                    p.mac, p.scenario
                );
                assert!(
                    s["findings"]
                        .as_array()
                        .is_some_and(|f| f.iter().all(|f| f["severity"] != "error")),
                    "{}: {ids:?}",
                    p.mac
                );
            }
            Some(id) => {
                assert_eq!(
                    s["outcome"], "failed",
                    "{} {:?}: {ids:?}",
                    p.mac, p.scenario
                );
                assert!(
                    ids.iter().any(|i| i == id),
                    "{} {:?} must report {id}: {ids:?}",
                    p.mac,
                    p.scenario
                );
            }
        }
        // Identity as firmware sends it: option 93 and the vendor class agree.
        assert_eq!(s["client"]["arch"]["code"], p.arch, "{}", p.mac);
    }
    assert!(
        !all_finding_ids(&v)
            .iter()
            .any(|i| i == "analysis-truncated"),
        "the storm ends cleanly"
    );
}

/// The mixed shape's knobs (bench part 2): 802.1Q tags on every frame, a share of clients whose
/// blksize 8192 sends every DATA block as IPv4 fragments, a share that runs iPXE and comes back
/// for a script. Judged client by client: the injected failures as before; fragment clients'
/// transfers reassembled and complete (with the fragmentation warning, nothing worse); iPXE
/// clients a second stage of their own that fetched boot.ipxe.
#[test]
fn mixed_storm_vlans_fragments_and_ipxe_stages_client_by_client() {
    let cfg = StormConfig {
        seed: 5,
        clients: 120,
        rate: 40.0,
        fail_percent: 20,
        bios_file_bytes: 30_000,
        efi_file_bytes: 60_000,
        vlans: 3,
        fragment_percent: 30,
        ipxe_percent: 30,
        ..StormConfig::default()
    };
    let (path, manifest, _) = generate("mixed-knobs", cfg);
    assert!(manifest
        .iter()
        .any(|p| p.fragments && p.scenario == Scenario::Healthy));
    assert!(manifest.iter().any(|p| p.ipxe));
    // Every frame carries its client's tag (the trailer's ARPs are the server's, untagged).
    let mut r = pxe_inspect::source::CaptureReader::open(&path, 0).expect("open");
    let (mut tagged, mut frames) = (0, 0);
    while let Ok(Some(f)) = r.next_frame() {
        frames += 1;
        tagged += usize::from(f.data.get(12..14) == Some(&[0x81, 0x00]));
    }
    assert!(
        tagged + 10 >= frames && tagged > 0,
        "{tagged} of {frames} tagged"
    );
    let (v, _) = analyze_json(&[&path], &[]);
    let by_mac: HashMap<String, &serde_json::Value> = sessions(&v)
        .iter()
        .filter_map(|s| Some((s["client"]["mac"].as_str()?.to_string(), s)))
        .collect();
    assert_eq!(
        by_mac.len(),
        120,
        "one session per client, whatever its VLAN"
    );
    for p in &manifest {
        let s = by_mac
            .get(&p.mac)
            .unwrap_or_else(|| panic!("no session for {}", p.mac));
        let ids = finding_ids(s);
        match p.scenario.finding() {
            Some(id) => assert!(
                ids.iter().any(|i| i == id),
                "{} {:?}: {ids:?}",
                p.mac,
                p.scenario
            ),
            None => {
                assert_eq!(s["outcome"], "booted", "{} {p:?}: {ids:?}", p.mac);
                if p.fragments {
                    assert!(
                        ids.iter().any(|i| i == "tftp-blksize-fragmented"),
                        "{ids:?}"
                    );
                    // (after the firmware's tsize probe, which it aborts)
                    let tftp = s["tftp"].as_array().expect("tftp");
                    let t = tftp
                        .iter()
                        .find(|t| t["status"] == "complete")
                        .unwrap_or_else(|| panic!("{}: nothing complete: {tftp:?}", p.mac));
                    assert_eq!(t["fragmented"], true, "{t}");
                    assert_eq!(t["blksize"], 8192, "{t}");
                }
                if p.ipxe {
                    let stages = s["stages"].as_array().expect("stages");
                    let ipxe = stages
                        .iter()
                        .find(|st| st["client"]["loader"] == "ipxe")
                        .unwrap_or_else(|| panic!("{}: no iPXE stage", p.mac));
                    assert_eq!(ipxe["boot_file"], "boot.ipxe");
                    assert!(s["tftp"]
                        .as_array()
                        .expect("tftp")
                        .iter()
                        .any(|t| t["file"] == "boot.ipxe" && t["status"] == "complete"));
                } else {
                    assert_eq!(s["stages"].as_array().map(Vec::len), Some(1), "{}", p.mac);
                }
            }
        }
    }
}

/// --proxy-share (bench part 2's mixed shape): those clients get an address from 10.0.0.1
/// and their boot file from a proxyDHCP server at 10.0.0.2, UEFI firmware asking it again on
/// port 4011, and fetch the file from the proxy. Each must boot without a finding, its
/// offers and transfers naming the proxy; the other clients never see it.
#[test]
fn proxy_share_clients_boot_through_proxy_dhcp_and_4011() {
    let cfg = StormConfig {
        seed: 7,
        clients: 60,
        rate: 40.0,
        fail_percent: 10,
        bios_file_bytes: 20_000,
        efi_file_bytes: 30_000,
        proxy_percent: 50,
        ..StormConfig::default()
    };
    let (path, manifest, _) = generate("proxy-share", cfg);
    assert!(manifest.iter().filter(|p| p.proxy).count() >= 10);
    assert!(manifest
        .iter()
        .all(|p| !p.proxy || p.scenario == Scenario::Healthy));
    let (v, _) = analyze_json(&[&path], &[]);
    let by_mac: HashMap<String, &serde_json::Value> = sessions(&v)
        .iter()
        .filter_map(|s| Some((s["client"]["mac"].as_str()?.to_string(), s)))
        .collect();
    let mut uefi_4011 = 0;
    for p in &manifest {
        let s = by_mac
            .get(&p.mac)
            .unwrap_or_else(|| panic!("no session for {}", p.mac));
        let stage = &s["stages"][0];
        let offers = stage["offers"].as_array().expect("offers");
        let proxied = offers
            .iter()
            .any(|o| o["kind"] == "proxy" && o["server"] == "10.0.0.2");
        assert_eq!(proxied, p.proxy, "{} {p:?}: {offers:?}", p.mac);
        if !p.proxy {
            continue;
        }
        assert_eq!(s["outcome"], "booted", "{}: {:?}", p.mac, finding_ids(s));
        assert!(finding_ids(s).is_empty(), "{}: {:?}", p.mac, finding_ids(s));
        assert_eq!(stage["boot_server"], "10.0.0.2", "{stage}");
        let tftp = s["tftp"].as_array().expect("tftp");
        assert!(tftp
            .iter()
            .any(|t| t["server"] == "10.0.0.2" && t["status"] == "complete"));
        if p.arch == 7 {
            let asked = stage["boot_server_requests"].as_array().map_or(0, Vec::len);
            assert!(asked > 0, "{}: UEFI did not ask 4011", p.mac);
            uefi_4011 += 1;
        }
    }
    assert!(uefi_4011 > 0, "no UEFI proxy client");
}

/// --http-share (the mixed shape's HTTP boot): those UEFI clients send vendor class
/// HTTPClient (arch 16), are handed http://10.0.0.1/ipxe.efi and fetch it over TCP, HEAD then
/// GET on one connection. analyze must follow each download to the end (status 200, every
/// byte, a PE32+ x64 body) and find nothing wrong; no other client has HTTP traffic.
#[test]
fn http_share_clients_download_their_url_over_tcp() {
    let cfg = StormConfig {
        seed: 11,
        clients: 60,
        rate: 40.0,
        fail_percent: 10,
        bios_file_bytes: 20_000,
        efi_file_bytes: 45_000,
        http_percent: 60,
        ..StormConfig::default()
    };
    let (path, manifest, _) = generate("http-share", cfg);
    let http: Vec<_> = manifest.iter().filter(|p| p.http).collect();
    assert!(http.len() >= 8, "only {} HTTP clients", http.len());
    assert!(http
        .iter()
        .all(|p| p.scenario == Scenario::Healthy && p.arch == 16));
    let (v, _) = analyze_json(&[&path], &[]);
    let by_mac: HashMap<String, &serde_json::Value> = sessions(&v)
        .iter()
        .filter_map(|s| Some((s["client"]["mac"].as_str()?.to_string(), s)))
        .collect();
    for p in &manifest {
        let s = by_mac
            .get(&p.mac)
            .unwrap_or_else(|| panic!("no session for {}", p.mac));
        let transfers = s["http"].as_array().map_or(&[][..], Vec::as_slice);
        if !p.http {
            assert!(transfers.is_empty(), "{}: {transfers:?}", p.mac);
            continue;
        }
        assert_eq!(s["outcome"], "booted", "{}: {:?}", p.mac, finding_ids(s));
        assert!(finding_ids(s).is_empty(), "{}: {:?}", p.mac, finding_ids(s));
        let methods: Vec<&str> = transfers
            .iter()
            .filter_map(|t| t["method"].as_str())
            .collect();
        assert_eq!(methods, ["HEAD", "GET"], "{}", p.mac);
        let get = &transfers[1];
        assert_eq!(get["url"], "http://10.0.0.1/ipxe.efi");
        assert_eq!(get["status_code"], 200);
        assert_eq!(get["status"], "complete", "{get}");
        assert_eq!(get["bytes"], 45_000);
        assert_eq!(get["file_kind"]["family"], "efi-x64", "{get}");
    }
}

#[test]
#[cfg_attr(not(has_tshark), ignore = "needs tshark")]
fn storm_is_clean_for_tshark_and_exercises_tftp_options() {
    if skip_unless(have("tshark"), "tshark not installed") {
        return;
    }
    let cfg = StormConfig {
        seed: 3,
        clients: 30,
        fail_percent: 20,
        bios_file_bytes: 30_000,
        efi_file_bytes: 100_000,
        windowsize: Some(8),
        // the mixed shape's frames too: 802.1Q tags, IPv4 fragments, iPXE stages, HTTP boot
        vlans: 2,
        fragment_percent: 30,
        ipxe_percent: 30,
        http_percent: 30,
        ..StormConfig::default()
    };
    let (path, _, _) = generate("tshark", cfg);
    let out = std::process::Command::new("tshark")
        .args([
            "-r",
            &path,
            "-Y",
            "_ws.malformed || _ws.expert.severity >= error",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ])
        .output()
        .expect("tshark");
    let bad = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && bad.trim().is_empty(),
        "malformed frames: {bad}"
    );
    let opts = std::process::Command::new("tshark")
        .args([
            "-r",
            &path,
            "-Y",
            "tftp.option.name",
            "-T",
            "fields",
            "-e",
            "tftp.option.name",
        ])
        .output()
        .expect("tshark");
    let names = String::from_utf8_lossy(&opts.stdout);
    for o in ["blksize", "tsize", "windowsize"] {
        assert!(names.contains(o), "tshark sees TFTP option {o}");
    }
    let dhcp = std::process::Command::new("tshark").args(["-r", &path, "-Y", "dhcp.option.type == 97 && dhcp.option.type == 94 && dhcp.option.type == 93 && dhcp.option.vendor_class_id", "-T", "fields", "-e", "dhcp.option.vendor_class_id"]).output().expect("tshark");
    let vc = String::from_utf8_lossy(&dhcp.stdout);
    assert!(
        vc.contains("PXEClient:Arch:00000:UNDI:002001")
            && vc.contains("PXEClient:Arch:00007:UNDI:003016"),
        "{vc}"
    );
}

/// ARP bookkeeping on a storm: each client ARPs for its boot server. With the replies in the
/// capture every query is answered; with the replies cut out (same frames otherwise) none is,
/// and those clients are not reported as booted without their server. (Replies are matched
/// through an index of waiting sessions, not a scan of every open one.)
#[test]
fn storm_arp_replies_answer_every_waiting_client() {
    let cfg = StormConfig {
        seed: 11,
        clients: 60,
        rate: 30.0,
        uefi_percent: 50,
        fail_percent: 0,
        bios_file_bytes: 20_000,
        efi_file_bytes: 40_000,
        ..StormConfig::default()
    };
    let (path, _, _) = generate("arp", cfg);
    let arp_queries = |v: &serde_json::Value| -> (usize, usize) {
        let qs: Vec<serde_json::Value> = sessions(v)
            .iter()
            .flat_map(|s| s["arp"].as_array().cloned().unwrap_or_default())
            .collect();
        (
            qs.len(),
            qs.iter().filter(|q| q["answered"] == true).count(),
        )
    };
    let (v, _) = analyze_json(&[&path], &[]);
    let (asked, answered) = arp_queries(&v);
    assert!(asked >= 60, "every client ARPs for its server: {asked}");
    assert_eq!(answered, asked, "every query has its reply in the capture");

    // The same capture without ARP replies (opcode 2 at Ethernet offset 20).
    let mut r = pxe_inspect::source::CaptureReader::open(&path, 0).expect("open");
    let cut = format!("{path}.no-replies.pcap");
    let mut w = CaptureWriter::create(&cut, 1).expect("create");
    let mut replies = 0;
    while let Ok(Some(f)) = r.next_frame() {
        if f.data.get(12..14) == Some(&[0x08, 0x06]) && f.data.get(20..22) == Some(&[0, 2]) {
            replies += 1;
            continue;
        }
        w.write(1, f.ts_ns, &f.data, f.orig_len).expect("write");
    }
    w.flush().expect("flush");
    assert!(replies >= 60, "{replies} replies cut");
    let (v, _) = analyze_json(&[&cut], &[]);
    let (asked, answered) = arp_queries(&v);
    assert!(asked >= 60);
    assert_eq!(answered, 0, "no reply, no answered query");
}
