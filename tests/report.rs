//! Files people share: annotated pcapng read back by tshark, Mermaid diagrams, the HTML report
//! (rendered in headless Chromium by `html_report_renders_in_chromium`).

mod common;
use common::*;
use std::process::Command;

fn tmp(name: &str) -> String {
    std::env::temp_dir().join(format!("pxi-report-{}-{name}", std::process::id())).to_string_lossy().to_string()
}

/// tshark lists our comments on exactly the frames the findings cite, reads the file without
/// complaint, and sees every input frame.
#[test]
fn annotated_pcapng_comments_are_listed_by_tshark() {
    if skip_unless(have("tshark"), "needs tshark") {
        return;
    }
    for sample in ["samples/lab-fail-bios-file-not-found.pcap", "samples/lab-fail-uefi-arch-mismatch.pcap", "samples/lab-proxy-uefi.pcap"] {
        let out = tmp("annotated.pcapng");
        let (v, _) = analyze_json(&[sample], &["--annotate", &out]);
        let tsh = Command::new("tshark").args(["-r", &out, "-Y", "frame.comment", "-T", "fields", "-e", "frame.number", "-e", "frame.comment"]).output().expect("tshark");
        let stderr = String::from_utf8_lossy(&tsh.stderr);
        let complaints: Vec<&str> = stderr.lines().filter(|l| !l.contains("Running as user \"root\"")).collect();
        assert!(tsh.status.success() && complaints.is_empty(), "{sample}: tshark: {complaints:?}");
        let listed = String::from_utf8_lossy(&tsh.stdout).to_string();
        for s in sessions(&v) {
            let first = s["first_frame"]["frame"].as_u64().expect("frame");
            assert!(listed.lines().any(|l| l.starts_with(&format!("{first}\t")) && l.contains("pxe-inspect session")), "{sample}: session summary on frame {first}:\n{listed}");
            for f in s["findings"].as_array().expect("findings") {
                let id = f["id"].as_str().expect("id");
                for fr in f["frames"].as_array().expect("frames") {
                    let n = fr["frame"].as_u64().expect("n");
                    assert!(listed.lines().any(|l| l.starts_with(&format!("{n}\t")) && l.contains(id)), "{sample}: {id} on frame {n}:\n{listed}");
                }
            }
        }
        let count = Command::new("tshark").args(["-r", &out, "-T", "fields", "-e", "frame.number"]).output().expect("tshark");
        let orig = Command::new("tshark").args(["-r", sample, "-T", "fields", "-e", "frame.number"]).output().expect("tshark");
        assert_eq!(String::from_utf8_lossy(&count.stdout).lines().count(), String::from_utf8_lossy(&orig.stdout).lines().count(), "{sample}: every frame written");
        let _ = std::fs::remove_file(&out);
    }
    // Classic pcap cannot carry comments; stdin cannot be read twice.
    assert_eq!(run(&["analyze", "samples/lab-bios-dnsmasq.pcap", "--annotate", "/tmp/x.pcap"]).status.code(), Some(2));
    assert_eq!(run(&["analyze", "-", "--annotate", "/tmp/x.pcapng"]).status.code(), Some(2));
}

#[test]
fn mermaid_has_a_diagram_per_client_with_declared_parties() {
    let out = run(&["analyze", "-f", "mermaid", "samples/lab-proxy-bios.pcap", "samples/lab-fail-uefi-proxy-4011-blocked.pcap"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (v, _) = analyze_json(&["samples/lab-proxy-bios.pcap", "samples/lab-fail-uefi-proxy-4011-blocked.pcap"], &[]);
    assert_eq!(text.matches("```mermaid\nsequenceDiagram").count(), sessions(&v).len(), "a diagram per session: {text}");
    for block in text.split("```mermaid").skip(1) {
        let declared: Vec<&str> = block.lines().filter_map(|l| l.trim().strip_prefix("participant ")).filter_map(|l| l.split(" as ").next()).collect();
        for l in block.lines().map(str::trim).filter(|l| l.contains(">>")) {
            let (arrow_from, rest) = l.split_once(if l.contains("-->>") { "-->>" } else { "->>" }).expect("arrow");
            let to = rest.split(':').next().unwrap_or("");
            assert!(declared.contains(&arrow_from) && declared.contains(&to), "undeclared party in `{l}`");
            assert!(!l.contains(';'), "`;` would end the statement: {l}");
        }
    }
    assert!(text.contains("boot server 192.168.77.1"), "the 4011 exchange is drawn");
    assert!(text.contains("Note over C,") && text.contains("proxy-unanswered"), "findings as notes");
}
