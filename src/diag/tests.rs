//! Each rule on hand-built session records: it fires on the failure and stays quiet on the
//! normal pattern next to it. Real-capture tests are in tests/ (samples, public corpus, serve).

use super::*;
use crate::proto::{arch_info, FileKind};
use std::net::{IpAddr, Ipv4Addr};

fn fr(n: u64) -> FrameRef {
    FrameRef { input: 0, frame: n }
}
fn t(secs: f64) -> Timestamp {
    Timestamp((secs * 1e9) as i64)
}
fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

fn session(arch: Option<u16>, vc: &str) -> BootSession {
    BootSession {
        id: 1,
        client: Client {
            mac: Some("52:54:00:00:00:01".into()),
            duid: None,
            uuid: None,
            arch: arch
                .map(arch_info)
                .unwrap_or_else(crate::proto::arch_unknown),
            arch_list: arch.into_iter().collect(),
            vendor_class_arch: arch,
            vendor_class: Some(vc.into()),
            user_class: vec![],
            undi: None,
            ipxe: false,
            hostname: None,
            loader: crate::proto::Loader::classify(Some(vc), arch, false, false),
        },
        ip: Some(ip(100)),
        first_frame: fr(1),
        last_frame: fr(100),
        start: t(0.0),
        end: t(60.0),
        duration_s: 60.0,
        pxe: true,
        stages: vec![],
        dhcp: vec![],
        dhcp_messages_dropped: 0,
        tftp: vec![],
        arp: vec![],
        icmp: vec![],
        http: vec![],
        closed_by: ClosedBy::Idle,
        outcome: Outcome::Incomplete,
        findings: vec![],
        sensor: None,
    }
}

fn stage(s: &mut BootSession, first: u64, discover_at: f64) -> &mut Stage {
    let idx = s.stages.len();
    let mut st = crate::session::tests_support::empty_stage(
        idx,
        Protocol::Dhcpv4,
        Some(Xid::v4(idx as u32)),
        fr(first),
        (discover_at * 1e9) as i64,
    );
    st.vendor_class = s.client.vendor_class.clone();
    st.arch = s.client.arch.code;
    st.client = s.client.clone();
    st.discovers.push(fr(first));
    s.dhcp.push(DhcpMessage {
        frame: fr(first),
        time: t(discover_at),
        version: 4,
        message: MessageName::Dhcp4(1),
        xid: Xid::v4(0),
        src: "0.0.0.0:68".parse().expect("addr"),
        dst: "255.255.255.255:67".parse().expect("addr"),
        from_client: true,
        summary: String::new(),
        issues: vec![],
        text: None,
    });
    s.stages.push(st);
    s.stages.last_mut().expect("stage")
}

fn offer(
    kind: OfferKind,
    frame: u64,
    at: f64,
    server: u8,
    addr: bool,
    file: Option<&str>,
) -> Offer {
    Offer {
        frame: fr(frame),
        time: t(at),
        kind,
        message: MessageName::Dhcp4(2),
        server: ip(server),
        server_id: None,
        src_port: if kind == OfferKind::BootServer {
            4011
        } else {
            67
        },
        dst_port: 68,
        address: addr.then(|| ip(100)),
        siaddr: file.map(|_| ip(server)),
        sname: None,
        file: file.map(str::to_string),
        opt66: None,
        opt67: None,
        vendor_class: (kind == OfferKind::Proxy || kind == OfferKind::BootServer)
            .then(|| "PXEClient".into()),
        pxe: None,
        boot_url: None,
        status: None,
        relay: None,
        overload: None,
        to: ip(100),
        boot_file_issue: None,
        boot_file_hex: None,
        status_code: None,
        status_iaid: None,
    }
}

fn transfer(file: &str, status: TransferStatus, first: u64, blocks: u64) -> Transfer {
    Transfer {
        file: file.into(),
        direction: Direction::Read,
        client: "192.0.2.100:2000".into(),
        server: ip(1),
        server_port: Some(50_000),
        mode: "octet".into(),
        requested: OptionList::default(),
        oack: None,
        blksize: 512,
        tsize: None,
        windowsize: 1,
        status,
        bytes: blocks * 512,
        blocks,
        missing_blocks: 0,
        retransmits: 0,
        max_block_sends: 1,
        rrq_count: 1,
        error: None,
        first_frame: fr(first),
        last_frame: fr(first + blocks * 2),
        final_frame: None,
        start: t(10.0),
        end: t(11.0),
        duration_s: 1.0,
        throughput_bps: None,
        file_kind: None,
        signed: None,
        file_issue: None,
        file_hex: None,
        wrong_source: None,
        max_ip_len: 600,
        fragmented: false,
        icmp_unreachable: vec![],
        answered: true,
        stage: Some(0),
        last_block_raw: 0,
        cur_block_sends: 0,
        last_ts: (11.0 * 1e9) as i64,
        gaps: Vec::new(),
        final_seen: false,
    }
}

fn ids(s: &mut BootSession) -> Vec<String> {
    let end = s.end.0;
    diagnose(
        s,
        &DiagConfig {
            capture_end_ns: end,
            ..Default::default()
        },
    );
    s.findings.iter().map(|f| f.id.clone()).collect()
}

/// A healthy BIOS boot: DHCP offer with boot file, ACK, complete transfer.
fn healthy() -> BootSession {
    let mut s = session(Some(0), "PXEClient:Arch:00000:UNDI:002001");
    let st = stage(&mut s, 1, 0.0);
    st.offers
        .push(offer(OfferKind::Dhcp, 2, 3.0, 1, true, Some("pxelinux.0")));
    st.offers
        .push(offer(OfferKind::Ack, 4, 3.1, 1, true, Some("pxelinux.0")));
    st.boot_file = Some("pxelinux.0".into());
    st.boot_file_frame = Some(fr(4));
    st.transfers.push(0);
    s.tftp
        .push(transfer("pxelinux.0", TransferStatus::Complete, 10, 80));
    s
}

#[test]
fn healthy_boot_is_quiet_and_booted() {
    let mut s = healthy();
    assert!(ids(&mut s).is_empty(), "{:?}", s.findings);
    assert_eq!(s.outcome, Outcome::Booted);
}

#[test]
fn dhcp_rules() {
    let mut s = session(Some(0), "PXEClient:Arch:00000:UNDI:002001");
    stage(&mut s, 1, 0.0);
    assert_eq!(ids(&mut s), vec!["dhcp-no-offer"]);
    assert_eq!(s.outcome, Outcome::Failed);

    let mut s = healthy();
    s.stages[0].offers[0].time = t(12.0);
    assert!(ids(&mut s).contains(&"dhcp-slow-offer".into()));
    let mut s = healthy();
    s.stages[0].offers[0].time = t(3.0); // dnsmasq's ping delay: normal
    assert!(!ids(&mut s).contains(&"dhcp-slow-offer".into()));

    let mut s = healthy();
    for o in &mut s.stages[0].offers {
        o.file = None;
        o.siaddr = None;
    }
    s.stages[0].boot_file = None;
    s.stages[0].transfers.clear();
    s.tftp.clear();
    assert!(ids(&mut s).contains(&"dhcp-no-boot-file".into()));

    let mut s = healthy();
    s.stages[0]
        .offers
        .push(offer(OfferKind::Dhcp, 3, 3.0, 9, true, None));
    assert!(ids(&mut s).contains(&"dhcp-multiple-servers".into()));
    let mut s = healthy();
    s.stages[0].offers.push(offer(
        OfferKind::Proxy,
        3,
        3.0,
        9,
        false,
        Some("pxelinux.0"),
    ));
    assert!(
        !ids(&mut s).contains(&"dhcp-multiple-servers".into()),
        "DHCP + proxy is normal"
    );
    let mut s = healthy();
    s.stages[0]
        .offers
        .push(offer(OfferKind::Dhcp, 3, 3.0, 1, true, Some("pxelinux.0")));
    assert!(
        !ids(&mut s).contains(&"dhcp-multiple-servers".into()),
        "repeated offers from one server"
    );

    let mut s = healthy();
    s.stages[0].naks.push(fr(5));
    s.stages[0].declines.push(fr(6));
    let got = ids(&mut s);
    assert!(got.contains(&"dhcp-nak".into()) && got.contains(&"dhcp-decline".into()));

    let mut s = healthy();
    s.stages[0].offers[1].opt67 = Some("other.0".into());
    assert!(ids(&mut s).contains(&"boot-file-conflict".into()));
    let mut s = healthy();
    s.stages[0].offers[1].opt66 = Some("192.0.2.77".into());
    assert!(ids(&mut s).contains(&"boot-file-conflict".into()));
}

#[test]
fn proxy_rules() {
    let mut s = healthy();
    let mut p = offer(OfferKind::Proxy, 3, 0.5, 2, false, Some("pxelinux.0"));
    p.vendor_class = None;
    s.stages[0].offers.push(p);
    assert!(ids(&mut s).contains(&"proxy-missing-vendor-class".into()));

    let mut s = healthy();
    s.stages[0].boot_server_requests.push(BootServerRequest {
        frame: fr(6),
        time: t(4.0),
        server: ip(2),
        src_port: 4011,
    });
    assert!(ids(&mut s).contains(&"proxy-unanswered".into()));
    let mut bs = offer(OfferKind::BootServer, 7, 4.1, 2, false, Some("pxelinux.0"));
    bs.dst_port = 4011;
    s.stages[0].offers.push(bs.clone());
    assert!(
        ids(&mut s).is_empty(),
        "4011 -> 4011 is normal: {:?}",
        s.findings
    );
    s.stages[0].offers.pop();
    bs.src_port = 67;
    s.stages[0].offers.push(bs);
    assert!(ids(&mut s).contains(&"proxy-wrong-port".into()));

    let mut s = healthy();
    for o in &mut s.stages[0].offers {
        o.file = None;
    }
    s.stages[0].requests.push(fr(3));
    s.dhcp.push(DhcpMessage {
        frame: fr(3),
        time: t(3.05),
        version: 4,
        message: MessageName::Dhcp4(3),
        xid: Xid::v4(0),
        src: "0.0.0.0:68".parse().expect("addr"),
        dst: "255.255.255.255:67".parse().expect("addr"),
        from_client: true,
        summary: String::new(),
        issues: vec![],
        text: None,
    });
    s.stages[0].offers.push(offer(
        OfferKind::Proxy,
        8,
        5.0,
        2,
        false,
        Some("pxelinux.0"),
    ));
    assert!(ids(&mut s).contains(&"proxy-offer-late".into()));
}

#[test]
fn arch_rules() {
    let mut s = healthy();
    s.client.arch = crate::proto::arch_unknown();
    s.client.arch_list.clear();
    s.client.vendor_class_arch = None;
    assert!(ids(&mut s).contains(&"arch-unknown".into()));
    let mut s = healthy();
    s.client.vendor_class_arch = Some(7);
    assert!(
        ids(&mut s).contains(&"arch-unknown".into()),
        "93 says BIOS, 60 says x64"
    );
    let mut s = healthy();
    s.client.arch_list = vec![9];
    s.client.vendor_class_arch = Some(7);
    s.client.arch = arch_info(9);
    s.stages[0].arch = Some(9);
    s.stages[0].client = s.client.clone();
    s.tftp[0].file_kind = Some(FileKind::Pe {
        machine: 0x8664,
        machine_name: "x86-64".into(),
        subsystem: 10,
        efi: true,
        family: crate::proto::Family::EfiX64,
    });
    s.stages[0].boot_file = Some("pxelinux.0".into());
    let got = ids(&mut s);
    assert!(
        !got.contains(&"arch-unknown".into()) && !got.contains(&"arch-mismatch".into()),
        "7 and 9 are both x64 UEFI: {got:?}"
    );

    // bytes: BIOS given a PE image
    let mut s = healthy();
    s.tftp[0].file_kind = Some(FileKind::Pe {
        machine: 0x8664,
        machine_name: "x86-64".into(),
        subsystem: 10,
        efi: true,
        family: crate::proto::Family::EfiX64,
    });
    assert!(ids(&mut s).contains(&"arch-mismatch".into()));
    // bytes: x64 UEFI given an AArch64 image
    let mut s = healthy();
    s.client.arch = arch_info(7);
    s.stages[0].arch = Some(7);
    s.stages[0].client = s.client.clone();
    s.tftp[0].file_kind = Some(FileKind::Pe {
        machine: 0xaa64,
        machine_name: "AArch64".into(),
        subsystem: 10,
        efi: true,
        family: crate::proto::Family::EfiArm64,
    });
    assert!(ids(&mut s).contains(&"arch-mismatch".into()));
    // name only: UEFI asked for a .0 file whose bytes were not captured
    let mut s = healthy();
    s.client.arch = arch_info(7);
    s.stages[0].arch = Some(7);
    s.stages[0].client = s.client.clone();
    s.tftp[0].status = TransferStatus::Incomplete;
    s.tftp[0].blocks = 0;
    let got = ids(&mut s);
    assert!(got.contains(&"arch-mismatch".into()), "{got:?}");
    assert!(s.findings.iter().any(|f| f.message.contains("name only")));
    // ... and the hint names the client's own code, not x64's
    let f = s
        .findings
        .iter()
        .find(|f| f.id == "arch-mismatch")
        .expect("finding");
    assert!(f.hint.contains("client-arch,7"), "{}", f.hint);
    // An offer nobody fetched is no evidence against the client.
    let mut s = healthy();
    s.client.arch = arch_info(7);
    s.stages[0].arch = Some(7);
    s.stages[0].client = s.client.clone();
    s.tftp.clear();
    s.stages[0].transfers.clear();
    assert!(!ids(&mut s).contains(&"arch-mismatch".into()));
}

/// One MAC, two identities: U-Boot's own DHCP (arch 22) offered pxelinux.0 it never fetched,
/// then its EFI loader (arch 11) fetched an AArch64 image. Nothing is wrong; handing the EFI
/// stage an x64 image is, and is reported on that stage with an ARM64 hint.
#[test]
fn each_stage_is_judged_by_its_own_identity() {
    let mut s = session(Some(22), "U-Boot.armv8");
    let st = stage(&mut s, 1, 0.0);
    st.offers
        .push(offer(OfferKind::Ack, 2, 1.0, 1, true, Some("pxelinux.0")));
    st.boot_file = Some("pxelinux.0".into());
    st.address = Some(ip(100));
    let st = stage(&mut s, 5, 4.0);
    st.client.arch = arch_info(11);
    st.client.arch_list = vec![11];
    st.client.vendor_class = Some("PXEClient:Arch:00011:UNDI:003000".into());
    st.client.loader = crate::proto::Loader::Firmware;
    st.arch = Some(11);
    st.offers.push(offer(
        OfferKind::Ack,
        6,
        4.5,
        1,
        true,
        Some("grubnetaa64.efi"),
    ));
    st.boot_file = Some("grubnetaa64.efi".into());
    st.boot_file_frame = Some(fr(6));
    st.transfers.push(0);
    let mut t = transfer("grubnetaa64.efi", TransferStatus::Complete, 10, 80);
    t.stage = Some(1);
    t.file_kind = Some(FileKind::Pe {
        machine: 0xaa64,
        machine_name: "AArch64".into(),
        subsystem: 10,
        efi: true,
        family: crate::proto::Family::EfiArm64,
    });
    s.tftp.push(t);
    let got = ids(&mut s);
    assert!(got.is_empty(), "{got:?}");
    assert_eq!(s.outcome, Outcome::Booted);

    s.tftp[0].file_kind = Some(FileKind::Pe {
        machine: 0x8664,
        machine_name: "x86-64".into(),
        subsystem: 10,
        efi: true,
        family: crate::proto::Family::EfiX64,
    });
    let got = ids(&mut s);
    assert_eq!(got, vec!["arch-mismatch".to_string()]);
    let f = &s.findings[0];
    assert!(
        f.message.contains("stage 2") && f.message.contains("arch 11"),
        "{}",
        f.message
    );
    assert!(
        f.hint.contains("client-arch,11") && f.hint.contains("AArch64"),
        "{}",
        f.hint
    );
    assert_eq!(s.outcome, Outcome::Failed);
}

#[test]
fn tftp_rules() {
    // required file not found vs. a recovered cascade
    let mut s = healthy();
    s.tftp[0].status = TransferStatus::Error;
    s.tftp[0].error = Some(TftpErrorInfo {
        code: 1,
        name: "file not found".into(),
        message: "nope".into(),
        frame: fr(11),
        from: "server".into(),
    });
    assert!(ids(&mut s).contains(&"tftp-file-not-found".into()));
    let mut s = healthy();
    let mut cfg = transfer(
        "pxelinux.cfg/01-52-54-00-00-00-01",
        TransferStatus::Error,
        200,
        0,
    );
    cfg.error = Some(TftpErrorInfo {
        code: 1,
        name: "file not found".into(),
        message: "nope".into(),
        frame: fr(201),
        from: "server".into(),
    });
    s.tftp.push(cfg);
    s.tftp.push(transfer(
        "pxelinux.cfg/default",
        TransferStatus::Complete,
        210,
        1,
    ));
    assert!(
        ids(&mut s).is_empty(),
        "cascade is normal: {:?}",
        s.findings
    );
    let mut s = healthy();
    s.tftp[0].status = TransferStatus::Error;
    s.tftp[0].error = Some(TftpErrorInfo {
        code: 2,
        name: "access violation".into(),
        message: "perm".into(),
        frame: fr(11),
        from: "server".into(),
    });
    assert!(ids(&mut s).contains(&"tftp-error".into()));
    // tsize probe abort is normal
    let mut s = healthy();
    let mut probe = transfer("pxelinux.0", TransferStatus::Aborted, 8, 0);
    probe.error = Some(TftpErrorInfo {
        code: 8,
        name: "option negotiation refused".into(),
        message: "User aborted".into(),
        frame: fr(9),
        from: "client".into(),
    });
    s.tftp.insert(0, probe);
    s.stages[0].transfers = vec![0, 1];
    assert!(ids(&mut s).is_empty(), "{:?}", s.findings);
    // no response
    let mut s = healthy();
    s.tftp[0].answered = false;
    s.tftp[0].status = TransferStatus::Incomplete;
    s.tftp[0].rrq_count = 4;
    assert!(ids(&mut s).contains(&"tftp-no-response".into()));
    // stall
    let mut s = healthy();
    s.tftp[0].status = TransferStatus::Incomplete;
    assert!(ids(&mut s).contains(&"tftp-incomplete".into()));
    // capture ended mid-transfer: partial, not an error
    let mut s = healthy();
    s.tftp[0].status = TransferStatus::Incomplete;
    s.closed_by = ClosedBy::EndOfCapture;
    s.end = t(11.5);
    let got = ids(&mut s);
    assert_eq!(got, vec!["analysis-truncated"]);
    assert_eq!(s.outcome, Outcome::Incomplete);
    // retransmits: 5 % threshold and 3 sends of one block
    let mut s = healthy();
    s.tftp[0].retransmits = 4;
    assert!(
        ids(&mut s).contains(&"tftp-retransmits".into()),
        "4 of 80 = 5 %"
    );
    let mut s = healthy();
    s.tftp[0].retransmits = 3;
    assert!(!ids(&mut s).contains(&"tftp-retransmits".into()));
    s.tftp[0].max_block_sends = 3;
    assert!(ids(&mut s).contains(&"tftp-retransmits".into()));
    // fragmentation
    let mut s = healthy();
    s.tftp[0].fragmented = true;
    s.tftp[0].max_ip_len = 8220;
    assert!(ids(&mut s).contains(&"tftp-blksize-fragmented".into()));
    // options ignored (no OACK at all) vs. partial OACK
    let mut s = healthy();
    s.tftp[0].requested = [("blksize", "1432")].into_iter().collect();
    assert!(ids(&mut s).contains(&"tftp-options-ignored".into()));
    s.tftp[0].requested.push("windowsize", "4");
    s.tftp[0].oack = Some([("blksize", "1432")].into_iter().collect());
    assert!(ids(&mut s).is_empty(), "a partial OACK is legal");
}

#[test]
fn arp_ipxe_http_v6_rules() {
    let mut s = healthy();
    s.stages[0].boot_server = Some("192.0.2.1".into());
    s.tftp[0].server = ip(1);
    s.tftp[0].answered = false;
    s.tftp[0].status = TransferStatus::Incomplete;
    s.arp.push(ArpQuery {
        frame: fr(9),
        time: t(9.0),
        target: ip(1),
        answered: false,
        count: 3,
    });
    assert!(ids(&mut s).contains(&"arp-unanswered".into()));

    let mut s = healthy();
    s.stages[0].boot_file = Some("undionly.kpxe".into());
    let st = stage(&mut s, 300, 20.0);
    st.ipxe = true;
    st.boot_file = Some("undionly.kpxe".into());
    assert!(ids(&mut s).contains(&"ipxe-chainload-loop".into()));
    s.stages[1].boot_file = Some("boot.ipxe".into());
    assert!(
        !ids(&mut s).contains(&"ipxe-chainload-loop".into()),
        "a script breaks the loop"
    );

    let mut s = session(Some(16), "HTTPClient:Arch:00016:UNDI:003001");
    let st = stage(&mut s, 1, 0.0);
    st.offers
        .push(offer(OfferKind::Dhcp, 2, 1.0, 1, true, None));
    assert!(ids(&mut s).contains(&"http-boot-no-url".into()));

    let mut s = session(Some(7), "PXEClient:Arch:00007:UNDI:003000");
    let st = stage(&mut s, 1, 0.0);
    st.protocol = Protocol::Dhcpv6;
    st.offers
        .push(offer(OfferKind::Dhcpv6, 2, 1.0, 1, false, None));
    assert!(ids(&mut s).contains(&"dhcpv6-no-boot-url".into()));
    s.stages[0].offers[0].boot_url = Some("tftp://[2001:db8::1]/bootx64.efi".into());
    assert!(!ids(&mut s).contains(&"dhcpv6-no-boot-url".into()));
}

#[test]
fn allow_and_deny() {
    let mut s = healthy();
    s.tftp[0].retransmits = 10;
    let end = s.end.0;
    diagnose(
        &mut s,
        &DiagConfig {
            deny: ["tftp-retransmits".to_string()].into(),
            capture_end_ns: end,
            ..Default::default()
        },
    );
    assert_eq!(s.findings[0].severity, Severity::Error);
    assert_eq!(s.outcome, Outcome::Failed);
    diagnose(
        &mut s,
        &DiagConfig {
            allow: ["tftp-retransmits".to_string()].into(),
            capture_end_ns: end,
            ..Default::default()
        },
    );
    assert!(s.findings.is_empty());
    assert_eq!(s.outcome, Outcome::Booted);
}

#[test]
fn every_registered_rule_is_documented() {
    for r in registry::RULES {
        assert!(!r.trigger.is_empty() && !r.fix.is_empty(), "{}", r.id);
        assert!(
            r.id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{}",
            r.id
        );
    }
}

/// Every finding that `explain` names for a screen message exists in the registry.
#[test]
fn screen_messages_name_registered_findings_only() {
    use crate::diag::screens::{PXE_CODES, SCREEN_TEXTS};
    let mut bad = vec![];
    for p in PXE_CODES {
        bad.extend(
            p.findings
                .iter()
                .filter(|f| super::registry::rule(f).is_none())
                .map(|f| format!("{}: {f}", p.code)),
        );
    }
    for t in SCREEN_TEXTS {
        bad.extend(
            t.findings
                .iter()
                .filter(|f| super::registry::rule(f).is_none())
                .map(|f| format!("{}: {f}", t.text)),
        );
    }
    for code in ["3c126083", "7f048281", "2d0c613b", "040ee119", "4c0a6035"] {
        let e = crate::diag::screens::decode_ipxe(code).expect("decodes");
        bad.extend(
            e.findings
                .iter()
                .filter(|f| super::registry::rule(f).is_none())
                .map(|f| format!("{code}: {f}")),
        );
    }
    assert!(bad.is_empty(), "unregistered IDs: {bad:?}");
}

/// Every ID a rule or the output layer raises is registered (`finding()` would otherwise give it
/// a made-up severity and no fix): scan the sources for `finding("…"` and `finding_with_hint("…"`.
#[test]
fn every_raised_finding_id_is_registered() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).expect("src").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = vec![];
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut raised = std::collections::BTreeSet::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        for pat in ["finding(", "finding_with_hint("] {
            for (i, _) in text.match_indices(pat) {
                let rest = text[i + pat.len()..].trim_start();
                if let Some(r) = rest.strip_prefix('"') {
                    if let Some(end) = r.find('"') {
                        let id = &r[..end];
                        if !id.is_empty()
                            && id
                                .bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                        {
                            raised.insert(id.to_string());
                        }
                    }
                }
            }
        }
    }
    assert!(raised.len() >= 30, "the scan found too few IDs: {raised:?}");
    let missing: Vec<&String> = raised
        .iter()
        .filter(|id| super::registry::rule(id).is_none())
        .collect();
    assert!(missing.is_empty(), "raised but not registered: {missing:?}");
}
