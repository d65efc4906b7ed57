//! Failures people report in the trackers of pixiecore, smee, netboot.xyz, iVentoy, shim, edk2
//! and dnsmasq, built as captures the way the reports describe them (tests/captures/field/,
//! README there names each thread): each gives the one finding that names its cause, first.

mod common;
use common::*;

fn field(name: &str) -> String {
    format!("{}/tests/captures/field/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// capture, the finding that must come first (the most severe, earliest), other findings allowed
const CASES: &[(&str, &str, &[&str])] = &[
    ("dual-offer-ignored.pcap", "dhcp-offers-ignored", &[]),
    ("relay-reply-misrouted.pcap", "relay-reply-misrouted", &[]),
    // The file is not there under the exact name asked: not a spelling problem on the wire.
    // When it is one (the RRQ spells the offered name otherwise and is refused), the spelling is
    // the cause and the refusal is folded into it (boot-file-name-suspect, as an error).
    ("boot-file-case-mismatch.pcap", "tftp-file-not-found", &[]),
    ("boot-file-trailing-ff.pcap", "boot-file-name-suspect", &[]),
    ("boot-file-no-nul.pcap", "boot-file-name-suspect", &[]),
    (
        "boot-file-leading-slash-case.pcap",
        "boot-file-name-suspect",
        &[],
    ),
    ("boot-url-to-pxe-client.pcap", "boot-url-to-pxe-client", &[]),
    (
        "boot-url-to-pxe-client-bios.pcap",
        "boot-url-to-pxe-client",
        &[],
    ),
    (
        "tftp-reply-wrong-source.pcap",
        "tftp-reply-wrong-source",
        &[],
    ),
    ("dhcpv6-status-error.pcap", "dhcpv6-status-error", &[]),
    (
        "dhcpv6-status-error-toplevel.pcap",
        "dhcpv6-no-boot-url",
        &["dhcpv6-status-error"],
    ),
    ("ipxe-no-script.pcap", "ipxe-no-script", &[]),
    ("ipxe-no-script-bios.pcap", "ipxe-no-script", &[]),
    ("proxy-slow-7th-discover.pcap", "dhcp-slow-offer", &[]),
    ("dhcp-decline-reason.pcap", "dhcp-decline", &[]),
    ("next-server-no-file.pcap", "dhcp-no-boot-file", &[]),
    ("next-server-no-file-bios.pcap", "dhcp-no-boot-file", &[]),
];

#[test]
fn each_field_report_names_its_cause() {
    let mut bad = Vec::new();
    for (file, first, also) in CASES {
        let (v, _) = analyze_json(&[&field(file)], &[]);
        let ss = sessions(&v);
        if ss.len() != 1 {
            bad.push(format!("{file}: {} sessions", ss.len()));
            continue;
        }
        let ids = finding_ids(&ss[0]);
        let extra: Vec<&String> = ids
            .iter()
            .filter(|i| *i != first && !also.contains(&i.as_str()))
            .collect();
        if ids.first().map(String::as_str) != Some(*first) || !extra.is_empty() {
            bad.push(format!(
                "{file}: want {first} first (+{also:?}), got {ids:?}"
            ));
        }
        let f = &ss[0]["findings"][0];
        if f["frames"].as_array().is_none_or(|a| a.is_empty()) || f["hint"] == "" {
            bad.push(format!("{file}: no evidence frames or hint"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_healthy_counterpart_is_quiet() {
    let (v, code) = analyze_json(&[&field("relay-reply-ok.pcap")], &["--fail-on", "warning"]);
    assert_eq!(code, 0, "{:?}", all_finding_ids(&v));
    assert_eq!(sessions(&v)[0]["outcome"], "booted");
}

/// The messages carry what a person needs: who offered what, both spellings in hex, the status.
#[test]
fn messages_name_servers_files_and_bytes() {
    let msg = |file: &str, id: &str| -> String {
        let (v, _) = analyze_json(&[&field(file)], &[]);
        sessions(&v)[0]["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["id"] == id)
            .and_then(|f| f["message"].as_str())
            .unwrap_or("")
            .to_string()
    };
    let m = msg("dual-offer-ignored.pcap", "dhcp-offers-ignored");
    assert!(
        m.contains("192.168.77.1") && m.contains("192.168.77.2") && m.contains("dual offer"),
        "{m}"
    );
    let m = msg("boot-file-trailing-ff.pcap", "boot-file-name-suspect");
    assert!(m.contains("70 78 65 6c 69 6e 75 78 2e 30 ff"), "{m}");
    let m = msg("boot-file-trailing-ff.pcap", "boot-file-name-suspect");
    assert!(
        m.contains("offered as") && m.contains("requested as"),
        "{m}"
    );
    let m = msg("dhcpv6-status-error.pcap", "dhcpv6-status-error");
    assert!(m.contains("NoAddrsAvail") && m.contains("IA_NA"), "{m}");
    let m = msg("dhcp-decline-reason.pcap", "dhcp-decline");
    assert!(m.contains("address conflicts with the router"), "{m}");
    let m = msg("proxy-slow-7th-discover.pcap", "dhcp-slow-offer");
    assert!(
        m.contains("192.168.77.1") && m.contains("unanswered"),
        "{m}"
    );
    let m = msg("tftp-reply-wrong-source.pcap", "tftp-reply-wrong-source");
    assert!(m.contains("172.17.0.2"), "{m}");
    let m = msg("relay-reply-misrouted.pcap", "relay-reply-misrouted");
    assert!(m.contains("10.20.0.1:67"), "{m}");
}

/// `explain` knows the screens: PXE-Exx codes, iPXE's error numbers, firmware texts.
#[test]
fn explain_knows_the_screens() {
    let text = |args: &[&str]| {
        let o = run(args);
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (c, t) = text(&["explain", "PXE-E18"]);
    assert_eq!(c, Some(0));
    assert!(
        t.contains("Server response timeout") || t.contains("server response timeout"),
        "{t}"
    );
    assert!(
        t.contains("dhcp-offers-ignored") && t.contains("tftp-reply-wrong-source"),
        "{t}"
    );
    let (c, t) = text(&["explain", "http://ipxe.org/3c126083"]);
    assert_eq!(c, Some(0));
    assert!(
        t.contains("Operation not supported") && t.contains("net/udp/tftp.c"),
        "{t}"
    );
    let (_, t) = text(&["explain", "NBP filesize is 0 Bytes"]);
    assert!(t.contains("boot-url-to-pxe-client"), "{t}");
    let (_, t) = text(&["explain", "Access Denied"]);
    assert!(t.contains("nbp-rejected"), "{t}");
    let (_, t) = text(&["explain", "Machine type 0xaa64 is not supported"]);
    assert!(t.contains("arch-mismatch"), "{t}");
    // A code that maps to no finding still says what it means.
    let (c, t) = text(&["explain", "PXE-E00"]);
    assert_eq!(c, Some(0));
    assert!(t.contains("memory"), "{t}");
    assert_eq!(text(&["explain", "no-such-thing-at-all"]).0, Some(2));
}
