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
        &[&sample("lab-uefi-http-boot.pcap")],
        &["--fail-on", "warning"],
    );
    assert_eq!(code, 0, "{:?}", all_finding_ids(&v));
    let s = &sessions(&v)[0];
    assert_eq!(s["outcome"], "booted");
    assert_eq!(s["client"]["arch"]["code"], 16);
    assert_eq!(s["client"]["arch"]["http"], true);
    let files: Vec<&str> = s["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|st| st["boot_file"].as_str())
        .collect();
    assert_eq!(files, vec!["http://192.168.77.1:8080/syslinux.efi"]);
    let get = s["http"]
        .as_array()
        .expect("http")
        .iter()
        .find(|h| h["method"] == "GET")
        .expect("GET")
        .clone();
    assert_eq!(get["url"], "http://192.168.77.1:8080/syslinux.efi");
    assert_eq!(get["status_code"], 200);
    assert_eq!(get["status"], "complete");
    assert_eq!(get["bytes"], get["content_length"]);
    assert_eq!(get["file_kind"]["machine_name"], "x86-64");
    let out = run(&[
        "analyze",
        "-f",
        "timeline",
        &sample("lab-uefi-http-boot.pcap"),
    ]);
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("HTTP   GET http://192.168.77.1:8080/syslinux.efi → HTTP 200, complete"));
}
