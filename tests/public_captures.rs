//! Every public capture is analysed without a crash, and what we rebuild matches what its
//! MANIFEST (made with tshark) says.

mod common;
use common::*;
use serde_json::Value;

const BIOS_MAC: &str = "00:01:2e:91:f7:fe";

#[test]
fn every_public_capture_analyses_without_panic() {
    let dir = format!("{}/tests/captures", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("dir") {
        let p = e.expect("entry").path();
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng")) {
            continue;
        }
        let path = p.to_string_lossy().to_string();
        let (_v, code) = analyze_json(&[&path], &[]);
        assert!(code == 0 || code == 1, "{name}: exit {code}");
        for fmt in ["table", "timeline", "jsonl"] {
            let out = run(&["analyze", "-f", fmt, &path]);
            assert!(
                !String::from_utf8_lossy(&out.stderr).contains("panicked"),
                "{name} {fmt}"
            );
            assert!(!out.stdout.is_empty(), "{name} {fmt}: no output");
        }
        n += 1;
    }
    assert_eq!(n, 35, "the corpus has 35 captures");
}

/// The derived files hold the same packets as frames 1-489 of the full boot, re-encapsulated:
/// the session must be identical whatever the link type, byte order or pcapng layout.
#[test]
fn derived_link_type_variants_give_the_same_session() {
    for f in [
        "derived-rs_pxe-bios-stage1-bigendian-usec.pcap",
        "derived-rs_pxe-bios-stage1-multi-if-eth-ns+sll-us.pcapng",
        "derived-rs_pxe-bios-stage1-qinq-s200-c100.pcap",
        "derived-rs_pxe-bios-stage1-sll.pcap",
        "derived-rs_pxe-bios-stage1-sll2.pcap",
        "derived-rs_pxe-bios-stage1-vlan100.pcap",
        "derived-rs_pxe-bios-stage1-snaplen96.pcap",
    ] {
        let (v, _) = analyze_json(&[&capture(f)], &[]);
        let ss = sessions(&v);
        assert_eq!(ss.len(), 1, "{f}");
        let s = &ss[0];
        assert_eq!(s["client"]["mac"], BIOS_MAC, "{f}");
        assert_eq!(s["ip"], "192.168.178.75", "{f}");
        let t = transfers(s, "ipxe.pxe");
        assert_eq!(t.len(), 2, "{f}: tsize probe + real transfer");
        assert_eq!(t[0]["status"], "aborted", "{f}");
        assert_eq!(t[1]["status"], "complete", "{f}");
        assert_eq!(t[1]["bytes"], 345455, "{f}");
        assert_eq!(t[1]["blocks"], 238, "{f}");
        assert_eq!(t[1]["blksize"], 1456, "{f}");
        assert_eq!(s["outcome"], "booted", "{f}");
        if f.contains("snaplen") {
            assert!(all_finding_ids(&v).contains(&"analysis-truncated".to_string()));
            assert_eq!(
                s["client"]["arch"]["code"],
                Value::Null,
                "options were cut off"
            );
        } else {
            assert_eq!(s["client"]["arch"]["code"], 0, "{f}");
            assert_eq!(s["stages"][0]["boot_file"], "ipxe.pxe", "{f}");
            assert_eq!(s["stages"][0]["boot_file_source"], "boot-server", "{f}");
        }
    }
}

#[test]
fn full_two_stage_boot_is_an_ipxe_chainload_loop() {
    let (v, code) = analyze_json(
        &[&capture(
            "rs_pxe-intel-bios-full-two-stage-ipxe-chainload.pcapng",
        )],
        &[],
    );
    assert_eq!(code, 1, "an error finding exits 1");
    let s = &sessions(&v)[0];
    assert_eq!(s["stages"].as_array().map(|a| a.len()), Some(2));
    assert_eq!(s["stages"][1]["ipxe"], true);
    assert_eq!(s["client"]["ipxe"], true);
    let t = transfers(s, "ipxe.pxe");
    assert_eq!(t.len(), 3);
    assert_eq!(t[2]["bytes"], 1251776);
    assert_eq!(t[2]["blocks"], 875);
    assert_eq!(t[2]["status"], "complete");
    let ids = finding_ids(s);
    assert!(ids.contains(&"ipxe-chainload-loop".to_string()), "{ids:?}");
    assert!(
        ids.contains(&"proxy-wrong-port".to_string()),
        "proxy ACK came from port 67: {ids:?}"
    );
    assert_eq!(s["outcome"], "failed");
}

#[test]
fn uefi_proxy_4011_exchange_is_normal() {
    let (v, code) = analyze_json(&[&capture("rs_pxe-intel-uefi-x64-proxy4011.pcapng")], &[]);
    assert_eq!(code, 0);
    let s = &sessions(&v)[0];
    assert_eq!(s["client"]["mac"], "a8:a1:59:b7:4c:3b");
    assert_eq!(s["client"]["arch"]["code"], 7);
    assert_eq!(s["client"]["arch"]["family"], "efi-x64");
    assert_eq!(
        s["client"]["vendor_class"],
        "PXEClient:Arch:00007:UNDI:003016"
    );
    let st = &s["stages"][0];
    assert_eq!(st["boot_file"], "ipxe.efi");
    let bs: Vec<&Value> = st["offers"]
        .as_array()
        .expect("offers")
        .iter()
        .filter(|o| o["kind"] == "boot-server")
        .collect();
    assert_eq!(bs.len(), 1);
    assert_eq!(bs[0]["src_port"], 4011);
    assert_eq!(bs[0]["dst_port"], 4011);
    assert!(
        finding_ids(s).is_empty(),
        "4011->4011 is normal: {:?}",
        finding_ids(s)
    );
}

#[test]
fn tsize_probes_are_normal_aborts() {
    let (v, _) = analyze_json(
        &[&capture(
            "rs_pxe-intel-uefi-x64-tftp-windowsize-oack.pcapng",
        )],
        &[],
    );
    let s = &sessions(&v)[0];
    let t = transfers(s, "ipxe.efi");
    assert_eq!(t[0]["status"], "aborted");
    assert_eq!(t[0]["error"]["code"], 8);
    assert_eq!(t[0]["tsize"], 1052672);
    assert_eq!(t[0]["windowsize"], 1, "server downgraded windowsize 4 -> 1");
    assert_eq!(t[1]["blksize"], 1468);
    let ids = finding_ids(s);
    assert!(!ids.iter().any(|i| i.starts_with("tftp-")), "{ids:?}");

    let (v, _) = analyze_json(
        &[&capture(
            "rs_pxe-intel-bios-tftp-tsize-probe-blksize.pcapng",
        )],
        &[],
    );
    let s = &sessions(&v)[0];
    let t = transfers(s, "ipxe.pxe");
    assert_eq!(t[0]["error"]["code"], 0);
    assert_eq!(t[0]["error"]["message"], "TFTP Aborted");
    assert_eq!(t[0]["status"], "aborted");
    assert_eq!(
        t[1]["server_port"], 69,
        "server answers from port 69 (no new TID)"
    );
}

#[test]
fn nanosecond_and_microsecond_pcaps_agree() {
    let (a, _) = analyze_json(
        &[&capture("netboot-pixiecore-bios-proxy4011-nsec.pcap")],
        &[],
    );
    let (b, _) = analyze_json(
        &[&capture("netboot-pixiecore-bios-proxy4011-usec.pcap")],
        &[],
    );
    let (sa, sb) = (&sessions(&a)[0], &sessions(&b)[0]);
    for k in ["client", "ip", "outcome"] {
        assert_eq!(sa[k], sb[k], "{k}");
    }
    assert_eq!(sa["stages"][0]["boot_file"], "boot");
    assert_eq!(sa["stages"][0]["boot_file"], sb["stages"][0]["boot_file"]);
    let start = sa["start"].as_str().expect("start");
    assert!(
        start.ends_with('Z') && start.len() == 30,
        "RFC 3339 with nanoseconds: {start}"
    );
    let proxy = sa["stages"][0]["offers"]
        .as_array()
        .expect("offers")
        .iter()
        .find(|o| o["kind"] == "proxy")
        .expect("proxy offer")
        .clone();
    assert_eq!(proxy["pxe"]["discovery_control"], 3);
    assert!(proxy["pxe"]["boot_servers"][0]
        .as_str()
        .expect("boot server")
        .contains("192.168.16.10"));
}

#[test]
fn plain_tftp_transfers_are_counted_exactly() {
    for (f, file, bytes, blocks, blksize) in [
        (
            "spicy-tftp-oack-blksize-loopback-null.pcap",
            "hello.txt",
            446,
            2,
            256,
        ),
        ("spicy-tftp-rrq-rfc1350.pcap", "rfc1350.txt", 24599, 49, 512),
        ("tcpdump-tftp-rrq-small.pcap", "file1", 1129, 3, 512),
    ] {
        let (v, _) = analyze_json(&[&capture(f)], &[]);
        let s = &sessions(&v)[0];
        let t = transfers(s, file);
        assert_eq!(t.len(), 1, "{f}");
        assert_eq!(t[0]["status"], "complete", "{f}");
        assert_eq!(t[0]["bytes"], bytes, "{f}");
        assert_eq!(t[0]["blocks"], blocks, "{f}");
        assert_eq!(t[0]["blksize"], blksize, "{f}");
    }
    let (v, _) = analyze_json(
        &[&capture("spicy-tftp-oack-blksize-loopback-null.pcap")],
        &[],
    );
    assert_eq!(sessions(&v)[0]["tftp"][0]["server_port"], 50012);
}

#[test]
fn tftp_write_is_not_a_boot() {
    let (v, _) = analyze_json(&[&capture("spicy-tftp-wrq-rfc1350.pcap")], &[]);
    let s = &sessions(&v)[0];
    assert_eq!(s["outcome"], "not-pxe");
    assert_eq!(s["tftp"][0]["direction"], "write");
    assert_eq!(s["tftp"][0]["bytes"], 24599);
}

#[test]
fn dhcpv6_netboot_sessions() {
    let (v, code) = analyze_json(
        &[&capture(
            "tianocore-bz435-dhcpv6-uefi-stateless-noaddrsavail.pcap",
        )],
        &[],
    );
    assert_eq!(code, 1);
    let s = &sessions(&v)[0];
    assert_eq!(s["client"]["arch"]["code"], 7);
    assert!(finding_ids(s).contains(&"dhcpv6-no-boot-url".to_string()));

    let (v, _) = analyze_json(
        &[&capture(
            "tianocore-bz767-dhcpv6-uefi-tftp-over-ipv6.pcapng",
        )],
        &[],
    );
    let s = &sessions(&v)[0];
    assert_eq!(s["client"]["mac"], "00:15:5d:fe:5a:0b");
    assert_eq!(
        s["client"]["vendor_class"],
        "PXEClient:Arch:00007:UNDI:003000"
    );
    assert_eq!(
        s["stages"][0]["boot_file"],
        "winpe/10.0/retail.amd64/ISO/EFI/Boot/bootx64.efi"
    );
    let t = &s["tftp"][0];
    assert_eq!(t["server"], "2001:4898:e0:52:e56f:8a66:92cc:5f01");
    assert_eq!(t["status"], "incomplete");
    assert!(!finding_ids(s).contains(&"dhcpv6-no-boot-url".to_string()));

    let (v, _) = analyze_json(
        &[&capture(
            "netboot-dhcpv6-solicit-advertise-request-reply.pcap",
        )],
        &[],
    );
    assert_eq!(sessions(&v)[0]["outcome"], "not-pxe");
    let (v, _) = analyze_json(&[&capture("tcpdump-dhcpv6-relay-forw-solicit.pcap")], &[]);
    assert_eq!(sessions(&v)[0]["outcome"], "not-pxe");
    assert_eq!(
        sessions(&v)[0]["stages"][0]["relay"],
        "2001:8a8:1006:4:223:ebff:fe10:2c29"
    );
}

#[test]
fn non_pxe_and_decoding_fixtures() {
    for f in [
        "zeek-linux-sll2-nonpxe.pcap",
        "zeek-vlan-qinqinq-nonpxe-http.pcap",
    ] {
        let (v, code) = analyze_json(&[&capture(f)], &[]);
        assert_eq!(code, 0);
        assert_eq!(sessions(&v).len(), 0, "{f}");
        assert!(
            v["stats"]["malformed"]
                .as_object()
                .is_some_and(|m| m.is_empty()),
            "{f}: {}",
            v["stats"]["malformed"]
        );
        assert!(
            v["stats"]["unknown_linktypes"]
                .as_object()
                .is_some_and(|m| m.is_empty()),
            "{f}"
        );
    }
    let (v, _) = analyze_json(&[&capture("zeek-dhcp-ack-bootfile-pxelinux0.pcap")], &[]);
    assert_eq!(sessions(&v)[0]["stages"][0]["boot_file"], "pxelinux.0");
    let (v, _) = analyze_json(&[&capture("tcpdump-dhcp-rfc3004-user-class.pcap")], &[]);
    assert_eq!(
        sessions(&v)[0]["client"]["user_class"],
        serde_json::json!(["subopt1", "subopt2-123456789", "subopt3-12"])
    );
    assert_eq!(sessions(&v)[0]["outcome"], "not-pxe");
    let (v, _) = analyze_json(
        &[&capture(
            "ndpi-tftp-merged-odd-timestamps-empty-filenames.pcapng",
        )],
        &[],
    );
    assert!(v["stats"]["timestamps_backwards"].as_u64().unwrap_or(0) > 0);
}

#[test]
fn option_overload_options_are_read_and_duplicates_reported() {
    let (v, _) = analyze_json(
        &[&capture("suricata-dhcp-option52-overload-both.pcap")],
        &[],
    );
    let s = &sessions(&v)[0];
    assert_eq!(s["client"]["mac"], "00:00:6c:82:dc:4e");
    let issues = &s["dhcp"][0]["issues"];
    assert!(
        issues
            .as_array()
            .is_some_and(|a| a.iter().any(|i| i["code"] == 56)),
        "option 56 from both file and sname: {issues}"
    );
}

#[test]
fn malformed_fuzzer_artefacts_are_reported_not_fatal() {
    let (v, code) = analyze_json(
        &[&capture("tcpdump-bootp-asan-truncated-snaplen53.pcap")],
        &[],
    );
    assert_eq!(code, 0);
    let sample = &v["stats"]["malformed_samples"][0];
    assert_eq!(sample["frame"], 1);
    assert_eq!(sample["layer"], "dhcp");
    let (v, _) = analyze_json(
        &[&capture("tcpdump-tftp-heapoverflow-sll-malformed.pcap")],
        &[],
    );
    assert_eq!(v["stats"]["malformed_samples"][0]["layer"], "tftp");
    assert_eq!(v["inputs"][0]["linktypes"][0], 113);
}

#[test]
fn proxy_offer_with_option_43_leads_to_4011() {
    let (v, _) = analyze_json(
        &[&capture(
            "netboot-pixiecore-bios-proxy-offer-opt43-nsec.pcap",
        )],
        &[],
    );
    let ss = sessions(&v);
    assert_eq!(ss.len(), 2, "the late unrelated REQUEST is its own client");
    assert!(
        !finding_ids(&ss[0]).contains(&"dhcp-no-boot-file".to_string()),
        "a PXEClient proxy offer sends the client to 4011"
    );
}
