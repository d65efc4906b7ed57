//! Our decoding compared with tshark's on the same captures: option 93, TFTP file names, OACK
//! values and DATA block counts. Skips without tshark on a laptop; CI installs it.

mod common;
use common::*;
use std::process::Command;

fn tshark(file: &str, fields: &[&str], filter: &str) -> Vec<Vec<String>> {
    let mut args = vec![
        "-r",
        file,
        "-Y",
        filter,
        "-T",
        "fields",
        "-E",
        "separator=\t",
    ];
    for f in fields {
        args.push("-e");
        args.push(f);
    }
    let out = Command::new("tshark")
        .args(&args)
        .output()
        .expect("tshark runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

const FILES: &[&str] = &[
    "rs_pxe-intel-bios-full-two-stage-ipxe-chainload.pcapng",
    "rs_pxe-intel-bios-ipxe-full-rrq-unanswered-at-end.pcapng",
    "rs_pxe-intel-bios-tftp-tsize-probe-blksize.pcapng",
    "rs_pxe-intel-uefi-x64-proxy4011.pcapng",
    "rs_pxe-intel-uefi-x64-tftp-windowsize-oack.pcapng",
    "rs_pxe-ipxe-2nd-stage-tftp-blksize-tsize.pcapng",
    "rs_pxe-ipxe-2nd-stage-dhcp-userclass-ipxe.pcapng",
    "netboot-pixiecore-bios-proxy4011-nsec.pcap",
    "spicy-tftp-rrq-rfc1350.pcap",
    "spicy-tftp-oack-blksize-loopback-null.pcap",
    "tcpdump-tftp-rrq-small.pcap",
    "derived-rs_pxe-bios-stage1-sll2.pcap",
    "derived-rs_pxe-bios-stage1-qinq-s200-c100.pcap",
    "tianocore-bz767-dhcpv6-uefi-tftp-over-ipv6.pcapng",
];

#[test]
#[cfg_attr(not(has_tshark), ignore = "needs tshark")]
fn decoding_matches_tshark() {
    if skip_unless(have("tshark"), "tshark not installed") {
        return;
    }
    for name in FILES {
        let path = capture(name);
        let (v, _) = analyze_json(&[&path], &[]);
        let ss = sessions(&v);

        // Option 93 values the clients sent.
        let mut theirs: Vec<u64> = tshark(
            &path,
            &["dhcp.option.client_system_architecture"],
            "dhcp.option.client_system_architecture",
        )
        .into_iter()
        .flat_map(|r| {
            r.into_iter().flat_map(|c| {
                c.split(',')
                    .filter_map(|x| x.parse().ok())
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
        theirs.sort();
        theirs.dedup();
        let v4 = |s: &&serde_json::Value| {
            s["dhcp"]
                .as_array()
                .is_some_and(|a| a.iter().any(|m| m["version"] == 4))
        };
        let mut ours: Vec<u64> = ss
            .iter()
            .filter(v4)
            .flat_map(|s| {
                s["client"]["arch_list"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|x| x.as_u64())
            .collect();
        ours.sort();
        ours.dedup();
        assert_eq!(ours, theirs, "{name}: option 93");

        // RRQ file names, in order (our retransmitted RRQs are folded into one transfer).
        let rrqs: Vec<(u64, String)> = tshark(
            &path,
            &["frame.number", "tftp.source_file"],
            "tftp.opcode == 1",
        )
        .into_iter()
        .map(|r| {
            (
                r[0].parse().unwrap_or(0),
                r.get(1).cloned().unwrap_or_default(),
            )
        })
        .collect();
        let transfers: Vec<serde_json::Value> = ss
            .iter()
            .flat_map(|s| s["tftp"].as_array().cloned().unwrap_or_default())
            .collect();
        let our_rrq_total: u64 = transfers
            .iter()
            .map(|t| t["rrq_count"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(our_rrq_total as usize, rrqs.len(), "{name}: RRQ count");
        for t in &transfers {
            let f = t["first_frame"]["frame"].as_u64().unwrap_or(0);
            let theirs = rrqs.iter().find(|(n, _)| *n == f).map(|(_, s)| s.clone());
            assert_eq!(
                theirs.as_deref(),
                t["file"].as_str(),
                "{name}: file of RRQ frame {f}"
            );
        }

        // OACK option values, in wire order.
        let oacks: Vec<(Vec<String>, Vec<String>)> = tshark(
            &path,
            &["tftp.option.name", "tftp.option.value"],
            "tftp.opcode == 6",
        )
        .into_iter()
        .map(|r| {
            (
                r[0].split(',').map(str::to_string).collect(),
                r.get(1)
                    .map(|x| x.split(',').map(str::to_string).collect())
                    .unwrap_or_default(),
            )
        })
        .collect();
        let ours: Vec<(Vec<String>, Vec<String>)> = transfers
            .iter()
            .filter_map(|t| t["oack"].as_array())
            .map(|o| {
                (
                    o.iter()
                        .map(|p| p[0].as_str().unwrap_or("").to_string())
                        .collect(),
                    o.iter()
                        .map(|p| p[1].as_str().unwrap_or("").to_string())
                        .collect(),
                )
            })
            .collect();
        assert_eq!(ours, oacks, "{name}: OACK options");

        // Every DATA frame tshark sees is a new block or a retransmission in ours.
        let data_frames = tshark(&path, &["frame.number"], "tftp.opcode == 3").len() as u64;
        let ours: u64 = transfers
            .iter()
            .map(|t| t["blocks"].as_u64().unwrap_or(0) + t["retransmits"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(ours, data_frames, "{name}: DATA frames");
    }
}
