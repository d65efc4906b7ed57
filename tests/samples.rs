//! Real firmware recorded in the lab: healthy boots are quiet, each failure scenario produces
//! its finding, the BIOS boot has the seed-001 shape; CI mode (expectations, JUnit) on top.

mod common;
use common::*;

fn sample(name: &str) -> String {
    format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn bios_boot_has_the_seed_001_shape() {
    let (v, code) = analyze_json(&[&sample("lab-bios-dnsmasq.pcap")], &[]);
    assert_eq!(code, 0);
    let s = &sessions(&v)[0];
    let msgs: Vec<&str> = s["dhcp"]
        .as_array()
        .expect("dhcp")
        .iter()
        .map(|m| m["message"].as_str().unwrap_or(""))
        .collect();
    // Discover (retransmitted), Offer, Request, ACK: dnsmasq's ~3 s ping delay is normal.
    let mut dedup = msgs.clone();
    dedup.dedup();
    assert_eq!(dedup, vec!["Discover", "Offer", "Request", "ACK"]);
    let files: Vec<&str> = s["tftp"]
        .as_array()
        .expect("tftp")
        .iter()
        .map(|t| t["file"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(files[0], "pxelinux.0");
    assert_eq!(files[1], "ldlinux.c32");
    assert!(
        files[2].starts_with("pxelinux.cfg/01-52-54-00"),
        "{files:?}"
    );
    assert_eq!(
        files
            .iter()
            .filter(|f| f.starts_with("pxelinux.cfg/C"))
            .count(),
        8,
        "the C0A84D64..C cascade"
    );
    assert_eq!(files[files.len() - 2], "pxelinux.cfg/default");
    assert_eq!(files[files.len() - 1], "vmlinuz");
    let first = &s["tftp"][0];
    assert_eq!(
        first["requested"],
        serde_json::json!([["blksize", "1432"], ["tsize", "0"]])
    );
    assert_eq!(s["tftp"][files.len() - 1]["bytes"], 60000);
    assert_eq!(s["outcome"], "booted");
    assert!(finding_ids(s).is_empty(), "{:?}", finding_ids(s));

    // The timeline lines a reader matches to the tshark trace.
    let out = run(&[
        "analyze",
        "-f",
        "timeline",
        &sample("lab-bios-dnsmasq.pcap"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "DHCP   Discover xid 0x",
        "DHCP   Offer xid 0x",
        "boot=pxelinux.0 next-server=192.168.77.1",
        "TFTP   RRQ pxelinux.0 [blksize=1432,tsize=0]",
        "TFTP   RRQ pxelinux.cfg/default",
        "(file not found)",
    ] {
        assert!(text.contains(needle), "timeline lacks {needle:?}:\n{text}");
    }
}

#[test]
fn healthy_real_firmware_boots_have_no_warnings_or_errors() {
    for f in [
        "lab-bios-dnsmasq.pcap",
        "lab-uefi-dnsmasq.pcap.gz",
        "lab-proxy-bios.pcap",
        "lab-proxy-uefi.pcap",
    ] {
        let (v, code) = analyze_json(&[&sample(f)], &["--fail-on", "warning"]);
        assert_eq!(code, 0, "{f}: {:?}", all_finding_ids(&v));
        let ss = sessions(&v);
        assert_eq!(ss.len(), 1, "{f}");
        assert_eq!(ss[0]["outcome"], "booted", "{f}");
        assert!(
            all_finding_ids(&v).is_empty(),
            "{f}: {:?}",
            all_finding_ids(&v)
        );
    }
    // UEFI details: arch 7 is x64 UEFI, the probe is an abort, windowsize dropped by dnsmasq.
    let (v, _) = analyze_json(&[&sample("lab-uefi-dnsmasq.pcap.gz")], &[]);
    let s = &sessions(&v)[0];
    assert_eq!(s["client"]["arch"]["code"], 7);
    assert_eq!(s["client"]["arch"]["name"], "x64 UEFI");
    let g = transfers(s, "grubnetx64.efi");
    assert_eq!(g[0]["status"], "aborted");
    assert_eq!(g[0]["error"]["code"], 8);
    assert_eq!(g[1]["status"], "complete");
    assert_eq!(g[1]["file_kind"]["kind"], "pe");
    assert_eq!(g[1]["file_kind"]["machine_name"], "x86-64");
    assert_eq!(
        g[1]["oack"],
        serde_json::json!([["blksize", "1468"]]),
        "partial OACK without windowsize is legal"
    );
    // proxy UEFI: 4011 -> 4011 boot-server exchange
    let (v, _) = analyze_json(&[&sample("lab-proxy-uefi.pcap")], &[]);
    let s = &sessions(&v)[0];
    assert_eq!(s["stages"][0]["boot_file_source"], "boot-server");
    assert_eq!(s["stages"][0]["boot_file"], "syslinux.efi");
}

#[test]
fn each_failure_scenario_produces_its_finding() {
    for (f, id) in [
        ("lab-fail-uefi-arch-mismatch.pcap", "arch-mismatch"),
        ("lab-fail-bios-file-not-found.pcap", "tftp-file-not-found"),
        ("lab-fail-bios-no-boot-file.pcap", "dhcp-no-boot-file"),
        ("lab-fail-uefi-tftp-blocked.pcap", "tftp-no-response"),
        ("lab-fail-uefi-proxy-4011-blocked.pcap", "proxy-unanswered"),
        ("lab-fail-bios-no-dhcp.pcap", "dhcp-no-offer"),
    ] {
        let (v, code) = analyze_json(&[&sample(f)], &[]);
        assert_eq!(code, 1, "{f}");
        let s = &sessions(&v)[0];
        let ids = finding_ids(s);
        assert_eq!(
            ids.first().map(String::as_str),
            Some(id),
            "{f}: the first (most severe) finding: {ids:?}"
        );
        let errors: Vec<&String> = ids
            .iter()
            .filter(|i| *i != id && !i.starts_with("analysis-"))
            .collect();
        assert!(
            errors.is_empty(),
            "{f}: only the cause is reported, got {ids:?}"
        );
        assert_eq!(s["outcome"], "failed");
        let fnd = &s["findings"][0];
        assert!(
            !fnd["frames"].as_array().expect("frames").is_empty(),
            "{f}: evidence frames"
        );
        assert!(!fnd["hint"].as_str().unwrap_or("").is_empty());
        // --allow silences, and the outcome follows
        let (v, code) = analyze_json(&[&sample(f)], &["--allow", id]);
        assert!(!all_finding_ids(&v).contains(&id.to_string()));
        assert_eq!(code, 0, "{f}: nothing else at error level");
    }
    let arch = {
        let (v, _) = analyze_json(&[&sample("lab-fail-uefi-arch-mismatch.pcap")], &[]);
        sessions(&v)[0]["findings"][0]["message"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert!(arch.contains("from the file's bytes"), "{arch}");
}

#[test]
fn deny_promotes_and_fail_on_sets_the_threshold() {
    let f = capture("rs_pxe-intel-bios-ipxe-full-rrq-unanswered-at-end.pcapng");
    let (_, code) = analyze_json(&[&f], &["--allow", "ipxe-chainload-loop"]);
    assert_eq!(code, 0, "only warnings left");
    let (_, code) = analyze_json(
        &[&f],
        &["--allow", "ipxe-chainload-loop", "--fail-on", "warning"],
    );
    assert_eq!(code, 1);
    let (v, code) = analyze_json(
        &[&f],
        &[
            "--allow",
            "ipxe-chainload-loop",
            "--deny",
            "proxy-wrong-port",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(sessions(&v)[0]["findings"][0]["severity"], "error");
    let (_, code) = analyze_json(&[&f], &["--fail-on", "never"]);
    assert_eq!(code, 0);
    let out = run(&["analyze", "--allow", "no-such-rule", &f]);
    assert_eq!(out.status.code(), Some(2));
}

fn write_tmp(name: &str, text: &str) -> String {
    let p = std::env::temp_dir().join(format!("pxe-inspect-{}-{name}", std::process::id()));
    std::fs::write(&p, text).expect("write");
    p.to_string_lossy().to_string()
}

#[test]
fn expectations_and_junit() {
    let good = write_tmp(
        "good.toml",
        r#"
[[client]]
mac = "52:54:00:77:00:01"
arch = 0
outcome = "booted"
fetched = ["pxelinux.0", "vmlinuz"]
absent = ["tftp-retransmits"]
"#,
    );
    let junit = write_tmp("report.xml", "");
    let (v, code) = analyze_json(
        &[&sample("lab-bios-dnsmasq.pcap")],
        &["--expect", &good, "--junit", &junit],
    );
    assert_eq!(code, 0, "{:?}", all_finding_ids(&v));
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(
        xml.contains("<testsuite name=") && xml.contains("tests=\"2\" failures=\"0\""),
        "{xml}"
    );

    let bad = write_tmp(
        "bad.toml",
        r#"
[[client]]
mac = "any"
outcome = "booted"
fetched = ["grubx64.efi"]
findings = ["arch-mismatch"]
"#,
    );
    let (v, code) = analyze_json(
        &[&sample("lab-fail-bios-file-not-found.pcap")],
        &[
            "--expect",
            &bad,
            "--junit",
            &junit,
            "--allow",
            "tftp-file-not-found",
        ],
    );
    assert_eq!(code, 1, "failed expectations exit 1");
    let msg = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == "expectation-failed")
        .expect("reported like a finding")["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        msg.contains("grubx64.efi") && msg.contains("arch-mismatch") && msg.contains("outcome is"),
        "{msg}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(
        xml.contains("failures=\"1\"") && xml.contains("<failure"),
        "{xml}"
    );

    if !skip_unless(have("xmllint"), "xmllint (libxml2-utils) not installed") {
        let xsd = format!("{}/tests/junit.xsd", env!("CARGO_MANIFEST_DIR"));
        let out = std::process::Command::new("xmllint")
            .args(["--noout", "--schema", &xsd, &junit])
            .output()
            .expect("xmllint");
        assert!(
            out.status.success(),
            "JUnit XML invalid: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let broken = write_tmp(
        "broken.toml",
        "[[client]]\nmac = \"any\"\noutcome = \"fine\"\n",
    );
    let out = run(&[
        "analyze",
        "--expect",
        &broken,
        &sample("lab-bios-dnsmasq.pcap"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("outcome `fine`"));
}

#[test]
fn readme_catalogue_is_generated_from_the_registry() {
    let readme = std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR")))
        .expect("README");
    let out = run(&["explain", "--markdown"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        readme.contains(table.as_ref()),
        "README's findings table differs from `pxe-inspect explain --markdown`; regenerate it"
    );
    let out = run(&["explain", "tftp-file-not-found"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("tftp-file-not-found [error]"));
    let out = run(&["explain", "PXE-E53"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("dhcp-no-boot-file"));
    assert_eq!(run(&["explain", "nonsense-thing"]).status.code(), Some(2));
}

#[test]
fn uefi_http_boot_session() {
    let (v, code) = analyze_json(
        &[&sample("lab-uefi-http-boot.pcap.gz")],
        &["--fail-on", "warning"],
    );
    assert_eq!(code, 0, "{:?}", all_finding_ids(&v));
    let s = &sessions(&v)[0];
    assert_eq!(s["outcome"], "booted");
    // The session's client is the firmware (its PXE attempt, arch 7); the HTTP boot fallback
    // is a stage with its own identity (arch 16, HTTPClient).
    assert_eq!(s["client"]["arch"]["code"], 7);
    assert_eq!(s["client"]["loader"], "firmware");
    let http_stage = s["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|st| st["client"]["loader"] == "http-boot")
        .expect("an HTTP boot stage");
    assert_eq!(http_stage["client"]["arch"]["code"], 16);
    assert_eq!(http_stage["client"]["arch"]["http"], true);
    let files: Vec<&str> = s["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|st| st["boot_file"].as_str())
        .collect();
    assert_eq!(files, vec!["http://192.168.77.1:8080/grubnetx64.efi"]);
    let get = s["http"]
        .as_array()
        .expect("http")
        .iter()
        .find(|h| h["method"] == "GET")
        .expect("GET")
        .clone();
    assert_eq!(get["url"], "http://192.168.77.1:8080/grubnetx64.efi");
    assert_eq!(get["status_code"], 200);
    assert_eq!(get["status"], "complete");
    assert_eq!(get["bytes"], get["content_length"]);
    assert_eq!(get["file_kind"]["machine_name"], "x86-64");
    let out = run(&[
        "analyze",
        "-f",
        "timeline",
        &sample("lab-uefi-http-boot.pcap.gz"),
    ]);
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("HTTP   GET http://192.168.77.1:8080/grubnetx64.efi → HTTP 200, complete"));
    // syslinux.efi served the same way exits at once (it needs PXE/TFTP) and the firmware moves
    // on to HTTP boot over IPv6 without asking for anything: not a boot.
    let (v, _) = analyze_json(&[&sample("lab-fail-uefi-http-syslinux-exits.pcap")], &[]);
    let s = &sessions(&v)[0];
    assert_eq!(finding_ids(s), vec!["nbp-rejected"]);
    assert_eq!(s["outcome"], "failed");
}

/// Through a real relay (lab/ RELAY=1: ISC dhcrelay in a router namespace, serve one hop away,
/// recorded on the server's side): BIOS and UEFI boot, each stage knows its relay, the address
/// comes from the relayed segment's pool. With serve's `--fault relay-reply-misrouted` (the
/// field bug: answering a relayed request by broadcast on the server's own segment) real iPXE
/// never hears an offer, and the server-side capture says exactly `relay-reply-misrouted`.
#[test]
fn boots_through_a_real_relay_and_the_misrouted_reply() {
    for f in ["lab-bios-serve-relay.pcap", "lab-uefi-serve-relay.pcap.gz"] {
        let (v, code) = analyze_json(&[&sample(f)], &["--fail-on", "warning"]);
        assert_eq!(code, 0, "{f}: {:?}", all_finding_ids(&v));
        let ss = sessions(&v);
        assert_eq!(ss.len(), 1, "{f}");
        let s = &ss[0];
        assert_eq!(s["outcome"], "booted", "{f}");
        assert!(
            s["ip"].as_str().unwrap_or("").starts_with("192.168.88."),
            "{f}: {}",
            s["ip"]
        );
        for st in s["stages"].as_array().expect("stages") {
            assert_eq!(st["relay"], "192.168.88.1", "{f}");
        }
        // every relayed answer went to the relay, not to the client's broadcast address (the
        // UEFI client's 4011 exchange is unicast and routed, to and from the client itself)
        let offers = s["stages"][0]["offers"].as_array().expect("offers");
        assert!(offers.iter().any(|o| o["relay"] == "192.168.88.1"), "{f}");
        for o in offers.iter().filter(|o| !o["relay"].is_null()) {
            assert_eq!(o["to"], "192.168.88.1", "{f}: {o}");
        }
    }
    let (v, code) = analyze_json(&[&sample("lab-fail-bios-serve-relay-misrouted.pcap")], &[]);
    assert_eq!(code, 1);
    let s = &sessions(&v)[0];
    assert_eq!(finding_ids(s), vec!["relay-reply-misrouted"]);
    assert_eq!(s["outcome"], "failed");
}

/// serve as the whole boot infrastructure, HTTP included (lab/ cells recorded 2026-12-02):
/// UEFI HTTP boot with the URL serve derives for its built-in HTTP server (GRUB, its module
/// lists, grub.cfg and the kernel over HTTP), and the iPXE chain whose script (a per-client
/// template) and kernel come from serve's HTTP server. Both booted, no finding.
#[test]
fn serve_alone_boots_http_chains() {
    let (v, code) = analyze_json(
        &[&sample("lab-uefi-http-serve-builtin.pcap.gz")],
        &["--fail-on", "warning"],
    );
    assert_eq!(code, 0, "{:?}", all_finding_ids(&v));
    let s = &sessions(&v)[0];
    assert_eq!(s["outcome"], "booted");
    let http = s["http"].as_array().expect("http");
    assert!(http.len() >= 7, "{http:?}");
    assert!(http.iter().all(|h| h["status"] == "complete"), "{http:?}");
    assert!(http
        .iter()
        .any(|h| h["url"] == "http://192.168.77.1/vmlinuz-x86"));
    let (v, code) = analyze_json(
        &[&sample("lab-ipxe-efi-serve-http.pcap.gz")],
        &["--fail-on", "warning"],
    );
    assert_eq!(code, 0, "{:?}", all_finding_ids(&v));
    let s = &sessions(&v)[0];
    assert_eq!(s["outcome"], "booted");
    let stages = s["stages"].as_array().expect("stages");
    assert_eq!(stages[0]["boot_file"], "ipxe.efi");
    assert_eq!(stages[1]["client"]["loader"], "ipxe");
    assert_eq!(
        stages[1]["boot_file"],
        "http://192.168.77.1:8080/boot-http.ipxe"
    );
    let urls: Vec<&str> = s["http"]
        .as_array()
        .expect("http")
        .iter()
        .filter(|h| h["status"] == "complete")
        .filter_map(|h| h["url"].as_str())
        .collect();
    assert_eq!(
        urls,
        vec![
            "http://192.168.77.1:8080/boot-http.ipxe",
            "http://192.168.77.1:8080/vmlinuz"
        ]
    );
}

/// serve's `--fault boot-file-name-suspect` (option 67 ends in 0xFF): OVMF asks TFTP for the
/// name with the 0xFF and is refused. The cause is the name, so the first finding says so — as an
/// error, carrying the refused request's frames — and the consequence is not listed beside it;
/// `--allow boot-file-name-suspect` brings the plain `tftp-file-not-found` back.
#[test]
fn a_refused_suspect_name_is_reported_as_the_cause() {
    let f = sample("lab-fail-uefi-serve-name-suspect.pcap");
    let (v, code) = analyze_json(&[&f], &[]);
    assert_eq!(code, 1);
    let s = &sessions(&v)[0];
    assert_eq!(finding_ids(s), vec!["boot-file-name-suspect"]);
    assert_eq!(s["outcome"], "failed");
    let fnd = &s["findings"][0];
    assert_eq!(fnd["severity"], "error");
    assert!(
        fnd["frames"].as_array().expect("frames").len() >= 3,
        "{fnd}"
    );
    assert!(
        fnd["message"]
            .as_str()
            .unwrap_or("")
            .contains("was refused"),
        "{fnd}"
    );
    let (v, code) = analyze_json(&[&f], &["--allow", "boot-file-name-suspect"]);
    assert_eq!(code, 1);
    assert_eq!(finding_ids(&sessions(&v)[0]), vec!["tftp-file-not-found"]);
}

/// GRUB over HTTP resends each GET about 1 ms after the server's ACK (tshark: "TCP Spurious
/// Retransmission", same seq, same bytes), often while the answer is already on the wire. A
/// resent segment is not a second request: one transfer per GET, each complete, outcome booted
/// (it was an extra, empty, `incomplete` GET and sometimes an `incomplete` outcome).
#[test]
fn a_resent_http_get_segment_is_not_a_second_request() {
    let file = sample("lab-uefi-http-grub-resent-get.pcap.gz");
    let (v, code) = analyze_json(&[&file], &["--fail-on", "warning"]);
    assert_eq!(code, 0, "{:?}", all_finding_ids(&v));
    let s = &sessions(&v)[0];
    assert_eq!(s["outcome"], "booted");
    let http = s["http"].as_array().expect("http");
    let urls: Vec<&str> = http
        .iter()
        .map(|h| h["url"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(http.len(), 8, "{urls:?}");
    for h in http {
        assert_eq!(h["status"], "complete", "{h}");
    }
    let mut seen = std::collections::HashSet::new();
    for h in http {
        let key = (h["method"].as_str(), h["url"].as_str());
        assert!(seen.insert(key), "{key:?} listed twice");
    }
}

/// OVMF HTTP boot tries IPv4 first (4 DISCOVERs, nobody answers: serve's IPv4 DHCP was moved
/// off port 67), then IPv6: serve's DHCPv6 hands http://[fd77::1]/grubhttpx64.efi and its HTTP
/// server over IPv6 the files; GRUB loads the kernel. The silent IPv4 attempt is the fallback's
/// cause, not a failure: booted, no dhcp-no-offer (it was `failed` with one).
#[test]
fn an_unanswered_ipv4_attempt_before_an_ipv6_boot_is_not_a_failure() {
    let file = sample("lab-uefi-http6-serve.pcap.gz");
    let (v, code) = analyze_json(&[&file], &["--fail-on", "warning"]);
    assert_eq!(code, 0, "{:?}", all_finding_ids(&v));
    let s = &sessions(&v)[0];
    assert_eq!(sessions(&v).len(), 1);
    assert_eq!(s["outcome"], "booted");
    let http = s["http"].as_array().expect("http");
    assert!(
        http.iter().all(|h| h["url"]
            .as_str()
            .unwrap_or("")
            .starts_with("http://[fd77::1]")),
        "every request over IPv6"
    );
    assert!(http.iter().all(|h| h["status"] == "complete"));
}

/// Secure Boot on, an unsigned GRUB downloaded completely, then "Access Denied" and the
/// firmware's fallbacks (IPv6 PXE, HTTP boot): `nbp-rejected`, the image reported unsigned, and
/// no finding for the fallbacks that follow.
#[test]
fn secure_boot_refusing_an_unsigned_image_is_nbp_rejected() {
    let (v, code) = analyze_json(&[&sample("lab-fail-uefi-sb-unsigned.pcap.gz")], &[]);
    assert_eq!(code, 1);
    let s = &sessions(&v)[0];
    assert_eq!(finding_ids(s), vec!["nbp-rejected"]);
    assert_eq!(s["outcome"], "failed");
    let m = s["findings"][0]["message"].as_str().unwrap_or("");
    assert!(
        m.contains("grubnetx64-unsigned.efi") && m.contains("no Authenticode signature"),
        "{m}"
    );
    let t = s["tftp"]
        .as_array()
        .expect("tftp")
        .iter()
        .find(|t| t["status"] == "complete")
        .expect("the transfer");
    assert_eq!(t["signed"], false);
    // The signed shim of the healthy Secure Boot boot carries a signature.
    let (v, _) = analyze_json(&[&sample("lab-uefi-sb-shim-dnsmasq.pcap.gz")], &[]);
    let shim = sessions(&v)[0]["tftp"]
        .as_array()
        .expect("tftp")
        .iter()
        .find(|t| t["file"] == "shimx64.efi" && t["status"] == "complete")
        .expect("shim")
        .clone();
    assert_eq!(shim["signed"], true);
}

/// Real firmware of every family the lab boots (recorded against dnsmasq with a per-arch
/// config, see samples/README.md): each boot is `booted` with no warning or error, the
/// session's client is the firmware, and each stage carries its own identity.
#[test]
fn every_firmware_family_boots_clean_and_each_stage_has_its_identity() {
    // file, session family, the loaders of its stages in order
    let cases: &[(&str, &str, &[&str])] = &[
        ("lab-arm64-uefi-dnsmasq.pcap.gz", "efi-arm64", &["firmware"]),
        ("lab-arm32-uefi-dnsmasq.pcap.gz", "efi-arm32", &["firmware"]),
        ("lab-uefi-ia32-dnsmasq.pcap.gz", "efi-ia32", &["firmware"]),
        ("lab-uefi-sb-shim-dnsmasq.pcap.gz", "efi-x64", &["firmware"]),
        (
            "lab-uboot-arm64-pxe-dnsmasq.pcap",
            "uboot-arm64",
            &["uboot"],
        ),
        ("lab-uboot-arm-pxe-dnsmasq.pcap", "uboot-arm", &["uboot"]),
        ("lab-uboot-riscv64-pxe-dnsmasq.pcap", "uboot", &["uboot"]),
        ("lab-uboot-x86-pxe-dnsmasq.pcap", "uboot", &["uboot"]),
        (
            "lab-uboot-arm64-efi-grub-dnsmasq.pcap.gz",
            "uboot-arm64",
            &["uboot", "firmware"],
        ),
        (
            "lab-uefi-grub-own-dhcp.pcap.gz",
            "efi-x64",
            &["firmware", "grub"],
        ),
        (
            "lab-arm64-uefi-http-boot.pcap.gz",
            "efi-arm64",
            &["firmware", "firmware", "http-boot"],
        ),
        // Other servers, with the per-architecture configuration people write for them
        // (lab/configs/): QEMU's BIOS ROM is iPXE.
        ("lab-bios-isc-dhcpd.pcap", "bios", &["ipxe"]),
        ("lab-uefi-isc-dhcpd.pcap.gz", "efi-x64", &["firmware"]),
        ("lab-bios-kea.pcap", "bios", &["ipxe"]),
        ("lab-uefi-kea.pcap.gz", "efi-x64", &["firmware"]),
        ("lab-uboot-arm64-pxe-serve.pcap", "uboot-arm64", &["uboot"]),
    ];
    for (f, family, loaders) in cases {
        let (v, code) = analyze_json(&[&sample(f)], &["--fail-on", "warning"]);
        assert_eq!(code, 0, "{f}: {:?}", all_finding_ids(&v));
        let ss = sessions(&v);
        assert_eq!(ss.len(), 1, "{f}");
        let s = &ss[0];
        assert_eq!(s["outcome"], "booted", "{f}");
        assert!(
            all_finding_ids(&v).is_empty(),
            "{f}: {:?}",
            all_finding_ids(&v)
        );
        assert_eq!(s["client"]["arch"]["family"], *family, "{f}");
        let got: Vec<&str> = s["stages"]
            .as_array()
            .expect("stages")
            .iter()
            .map(|st| st["client"]["loader"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(got, *loaders, "{f}: stage identities");
    }
    // U-Boot retries each DISCOVER with a fresh xid: one stage, every xid kept.
    let (v, _) = analyze_json(&[&sample("lab-uboot-x86-pxe-dnsmasq.pcap")], &[]);
    let st = &sessions(&v)[0]["stages"][0];
    assert!(st["xids"].as_array().expect("xids").len() >= 2, "{st}");
    assert_eq!(st["client"]["vendor_class"], "U-Boot");
    assert_eq!(st["client"]["arch"]["code"], serde_json::Value::Null);
    // ARM64 HTTP boot: the session is the firmware (arch 11), the HTTP stage is arch 19; the
    // HEAD size probe is shown as such, the GET as the complete download.
    let (v, _) = analyze_json(&[&sample("lab-arm64-uefi-http-boot.pcap.gz")], &[]);
    let s = &sessions(&v)[0];
    assert_eq!(s["client"]["arch"]["code"], 11);
    assert_eq!(s["stages"][2]["client"]["arch"]["code"], 19);
    let out = run(&[
        "analyze",
        "-f",
        "timeline",
        &sample("lab-arm64-uefi-http-boot.pcap.gz"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("HEAD http://192.168.77.1:8080/grubnetaa64.efi → HTTP 200, headers only"),
        "{text}"
    );
    assert!(
        text.contains(
            "GET http://192.168.77.1:8080/grubnetaa64.efi → HTTP 200, complete: 3966400 bytes"
        ),
        "{text}"
    );
    assert!(
        text.contains("STAGE  stage 3: now UEFI HTTP boot, arch 19"),
        "{text}"
    );
    // The identity switch is shown where it happens.
    let out = run(&[
        "analyze",
        "-f",
        "timeline",
        &sample("lab-uboot-arm64-efi-grub-dnsmasq.pcap.gz"),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("stage 2: now U-Boot's EFI loader, arch 11 (ARM 64-bit UEFI)"),
        "{text}"
    );
}

/// The same firmware handed another family's image: `arch-mismatch`, on the stage that
/// fetched it, naming that stage's own code and an image of its family.
#[test]
fn another_familys_image_is_an_arch_mismatch_on_the_right_stage() {
    for (f, stage, code, image) in [
        ("lab-fail-arm64-arch-mismatch.pcap.gz", 1, 11, "AArch64"),
        (
            "lab-fail-uboot-arm64-efi-arch-mismatch.pcap.gz",
            2,
            11,
            "AArch64",
        ),
        ("lab-fail-uefi-ia32-arch-mismatch.pcap.gz", 1, 6, "ia32"),
        ("lab-fail-uefi-x64-given-arm64-image.pcap.gz", 1, 7, "x64"),
        (
            "lab-fail-bios-given-efi-image.pcap.gz",
            1,
            0,
            "undionly.kpxe",
        ),
    ] {
        let (v, exit) = analyze_json(&[&sample(f)], &[]);
        assert_eq!(exit, 1, "{f}");
        let s = &sessions(&v)[0];
        assert_eq!(s["outcome"], "failed", "{f}");
        let ids = finding_ids(s);
        assert_eq!(ids, vec!["arch-mismatch"], "{f}: only the cause");
        let fnd = &s["findings"][0];
        let msg = fnd["message"].as_str().unwrap_or("");
        assert!(msg.starts_with(&format!("stage {stage} ")), "{f}: {msg}");
        assert!(msg.contains(&format!("arch {code} ")), "{f}: {msg}");
        assert!(msg.contains("from the file's bytes"), "{f}: {msg}");
        let hint = fnd["hint"].as_str().unwrap_or("");
        assert!(
            hint.contains(&format!("client-arch,{code}")) && hint.contains(image),
            "{f}: {hint}"
        );
        assert!(
            code == 7 || !hint.contains("client-arch,7"),
            "{f}: an x64 hint for a non-x64 client: {hint}"
        );
    }
}

/// U-Boot riscv64's distro boot: its own DHCP probes boot.scr.uimg (not found: an optional
/// probe), then its EFI loader (arch 27) gets an address and no boot file. The failed probe is
/// no boot; the EFI stage's missing file is the cause.
#[test]
fn an_efi_stage_without_a_boot_file_after_optional_probes_is_dhcp_no_boot_file() {
    let (v, code) = analyze_json(
        &[&sample("lab-fail-uboot-riscv64-efi-no-boot-file.pcap")],
        &[],
    );
    assert_eq!(code, 1);
    let s = &sessions(&v)[0];
    assert_eq!(finding_ids(s), vec!["dhcp-no-boot-file"]);
    assert_eq!(s["stages"][1]["client"]["arch"]["code"], 27);
    assert_eq!(s["stages"][1]["client"]["arch"]["family"], "efi-riscv64");
}
