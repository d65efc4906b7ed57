//! Every finding that fired on a failure capture before the stage-identity rework (taken from
//! the golden outputs of commit 43438ca) still fires: judging each stage by its own identity
//! may silence false alarms on healthy chains, never a real cause.

mod common;
use common::*;

const BEFORE: &[(&str, &[&str])] = &[
    (
        "tests/captures/derived-rs_pxe-bios-stage1-bigendian-usec.pcap",
        &["proxy-wrong-port"],
    ),
    (
        "tests/captures/derived-rs_pxe-bios-stage1-multi-if-eth-ns+sll-us.pcapng",
        &["proxy-wrong-port"],
    ),
    (
        "tests/captures/derived-rs_pxe-bios-stage1-qinq-s200-c100.pcap",
        &["proxy-wrong-port"],
    ),
    (
        "tests/captures/derived-rs_pxe-bios-stage1-sll.pcap",
        &["proxy-wrong-port"],
    ),
    (
        "tests/captures/derived-rs_pxe-bios-stage1-sll2.pcap",
        &["proxy-wrong-port"],
    ),
    (
        "tests/captures/derived-rs_pxe-bios-stage1-snaplen96.pcap",
        &["analysis-truncated"],
    ),
    (
        "tests/captures/derived-rs_pxe-bios-stage1-vlan100.pcap",
        &["proxy-wrong-port"],
    ),
    (
        "tests/captures/ndpi-tftp-merged-odd-timestamps-empty-filenames.pcapng",
        &["tftp-no-response"],
    ),
    (
        "tests/captures/netboot-pixiecore-bios-proxy4011-nsec.pcap",
        &["analysis-truncated"],
    ),
    (
        "tests/captures/netboot-pixiecore-bios-proxy4011-usec.pcap",
        &["analysis-truncated"],
    ),
    (
        "tests/captures/rs_pxe-intel-bios-full-two-stage-ipxe-chainload.pcapng",
        &["ipxe-chainload-loop", "proxy-wrong-port"],
    ),
    (
        "tests/captures/rs_pxe-intel-bios-ipxe-full-rrq-unanswered-at-end.pcapng",
        &[
            "analysis-truncated",
            "ipxe-chainload-loop",
            "proxy-wrong-port",
        ],
    ),
    (
        "tests/captures/rs_pxe-intel-bios-tftp-tsize-probe-blksize.pcapng",
        &["analysis-truncated"],
    ),
    (
        "tests/captures/rs_pxe-intel-uefi-x64-tftp-windowsize-oack.pcapng",
        &["analysis-truncated"],
    ),
    (
        "tests/captures/rs_pxe-ipxe-2nd-stage-tftp-blksize-tsize.pcapng",
        &["analysis-truncated"],
    ),
    (
        "tests/captures/tcpdump-bootp-asan-truncated-snaplen53.pcap",
        &["analysis-truncated"],
    ),
    (
        "tests/captures/tcpdump-tftp-heapoverflow-sll-malformed.pcap",
        &["analysis-truncated"],
    ),
    (
        "tests/captures/tianocore-bz435-dhcpv6-uefi-stateless-noaddrsavail.pcap",
        &["dhcpv6-no-boot-url"],
    ),
    (
        "tests/captures/tianocore-bz767-dhcpv6-uefi-tftp-over-ipv6.pcapng",
        &["tftp-no-response"],
    ),
    (
        "samples/lab-fail-bios-file-not-found.pcap",
        &["tftp-file-not-found"],
    ),
    (
        "samples/lab-fail-bios-no-boot-file.pcap",
        &["dhcp-no-boot-file"],
    ),
    ("samples/lab-fail-bios-no-dhcp.pcap", &["dhcp-no-offer"]),
    (
        "samples/lab-fail-uefi-arch-mismatch.pcap",
        &["arch-mismatch"],
    ),
    (
        "samples/lab-fail-uefi-proxy-4011-blocked.pcap",
        &["proxy-unanswered"],
    ),
    (
        "samples/lab-fail-uefi-tftp-blocked.pcap",
        &["tftp-no-response"],
    ),
];

#[test]
fn every_finding_that_fired_before_still_fires() {
    let mut missing = Vec::new();
    for (file, ids) in BEFORE {
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        let (v, _) = analyze_json(&[&path], &[]);
        let now = all_finding_ids(&v);
        for id in *ids {
            if !now.iter().any(|n| n == id) {
                missing.push(format!("{file}: {id} (now {now:?})"));
            }
        }
    }
    assert!(missing.is_empty(), "findings lost:\n{}", missing.join("\n"));
}
