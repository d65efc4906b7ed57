//! Files people share: annotated pcapng read back by tshark, Mermaid diagrams, the HTML report
//! (rendered in headless Chromium by `html_report_renders_in_chromium`).

mod common;
use common::*;
use std::process::Command;

fn tmp(name: &str) -> String {
    std::env::temp_dir()
        .join(format!("pxi-report-{}-{name}", std::process::id()))
        .to_string_lossy()
        .to_string()
}

/// tshark lists our comments on exactly the frames the findings cite, reads the file without
/// complaint, and sees every input frame.
#[test]
#[cfg_attr(not(has_tshark), ignore = "needs tshark")]
fn annotated_pcapng_comments_are_listed_by_tshark() {
    if skip_unless(have("tshark"), "needs tshark") {
        return;
    }
    for sample in [
        "samples/lab-fail-bios-file-not-found.pcap",
        "samples/lab-fail-uefi-arch-mismatch.pcap",
        "samples/lab-proxy-uefi.pcap",
    ] {
        let out = tmp("annotated.pcapng");
        let (v, _) = analyze_json(&[sample], &["--annotate", &out]);
        let tsh = Command::new("tshark")
            .args([
                "-r",
                &out,
                "-Y",
                "frame.comment",
                "-T",
                "fields",
                "-e",
                "frame.number",
                "-e",
                "frame.comment",
            ])
            .output()
            .expect("tshark");
        let stderr = String::from_utf8_lossy(&tsh.stderr);
        let complaints: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.contains("Running as user \"root\""))
            .collect();
        assert!(
            tsh.status.success() && complaints.is_empty(),
            "{sample}: tshark: {complaints:?}"
        );
        let listed = String::from_utf8_lossy(&tsh.stdout).to_string();
        for s in sessions(&v) {
            let first = s["first_frame"]["frame"].as_u64().expect("frame");
            assert!(
                listed
                    .lines()
                    .any(|l| l.starts_with(&format!("{first}\t"))
                        && l.contains("pxe-inspect session")),
                "{sample}: session summary on frame {first}:\n{listed}"
            );
            for f in s["findings"].as_array().expect("findings") {
                let id = f["id"].as_str().expect("id");
                for fr in f["frames"].as_array().expect("frames") {
                    let n = fr["frame"].as_u64().expect("n");
                    assert!(
                        listed
                            .lines()
                            .any(|l| l.starts_with(&format!("{n}\t")) && l.contains(id)),
                        "{sample}: {id} on frame {n}:\n{listed}"
                    );
                }
            }
        }
        let count = Command::new("tshark")
            .args(["-r", &out, "-T", "fields", "-e", "frame.number"])
            .output()
            .expect("tshark");
        let orig = Command::new("tshark")
            .args(["-r", sample, "-T", "fields", "-e", "frame.number"])
            .output()
            .expect("tshark");
        assert_eq!(
            String::from_utf8_lossy(&count.stdout).lines().count(),
            String::from_utf8_lossy(&orig.stdout).lines().count(),
            "{sample}: every frame written"
        );
        let _ = std::fs::remove_file(&out);
    }
    // Classic pcap cannot carry comments; stdin cannot be read twice.
    assert_eq!(
        run(&[
            "analyze",
            "samples/lab-bios-dnsmasq.pcap",
            "--annotate",
            "/tmp/x.pcap"
        ])
        .status
        .code(),
        Some(2)
    );
    assert_eq!(
        run(&["analyze", "-", "--annotate", "/tmp/x.pcapng"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn mermaid_has_a_diagram_per_client_with_declared_parties() {
    let out = run(&[
        "analyze",
        "-f",
        "mermaid",
        "samples/lab-proxy-bios.pcap",
        "samples/lab-fail-uefi-proxy-4011-blocked.pcap",
    ]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (v, _) = analyze_json(
        &[
            "samples/lab-proxy-bios.pcap",
            "samples/lab-fail-uefi-proxy-4011-blocked.pcap",
        ],
        &[],
    );
    assert_eq!(
        text.matches("```mermaid\nsequenceDiagram").count(),
        sessions(&v).len(),
        "a diagram per session: {text}"
    );
    for block in text.split("```mermaid").skip(1) {
        let declared: Vec<&str> = block
            .lines()
            .filter_map(|l| l.trim().strip_prefix("participant "))
            .filter_map(|l| l.split(" as ").next())
            .collect();
        for l in block.lines().map(str::trim).filter(|l| l.contains(">>")) {
            let (arrow_from, rest) = l
                .split_once(if l.contains("-->>") { "-->>" } else { "->>" })
                .expect("arrow");
            let to = rest.split(':').next().unwrap_or("");
            assert!(
                declared.contains(&arrow_from) && declared.contains(&to),
                "undeclared party in `{l}`"
            );
            assert!(!l.contains(';'), "`;` would end the statement: {l}");
        }
    }
    assert!(
        text.contains("boot server 192.168.77.1"),
        "the 4011 exchange is drawn"
    );
    assert!(
        text.contains("Note over C,") && text.contains("proxy-unanswered"),
        "findings as notes"
    );
}

fn html_of(files: &[&str], name: &str) -> (String, serde_json::Value) {
    let out = tmp(name);
    let (v, _) = analyze_json(files, &["--html", &out]);
    (std::fs::read_to_string(&out).expect("html written"), v)
}

/// One file, nothing fetched from anywhere, every session and finding in it.
#[test]
fn html_report_is_self_contained_and_complete() {
    let (html, v) = html_of(
        &[
            "samples/lab-proxy-uefi.pcap",
            "samples/lab-fail-uefi-proxy-4011-blocked.pcap",
            "samples/lab-fail-bios-file-not-found.pcap",
        ],
        "complete.html",
    );
    for bad in [
        "<link",
        "src=\"http",
        "src='http",
        "url(http",
        "@import",
        "<iframe",
    ] {
        assert!(!html.contains(bad), "external reference `{bad}`");
    }
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    let n = sessions(&v).len();
    assert_eq!(
        html.matches("<section class=\"client\"").count(),
        n,
        "a section per session"
    );
    assert_eq!(
        html.matches("<svg class=\"waterfall\"").count(),
        n,
        "a waterfall per session"
    );
    assert_eq!(
        html.matches("<svg class=\"sequence\"").count(),
        n,
        "a sequence diagram per session"
    );
    for id in all_finding_ids(&v) {
        assert!(
            html.contains(&format!("<b>{id}</b>")),
            "finding {id} listed"
        );
    }
    for s in sessions(&v) {
        let mac = s["client"]["mac"].as_str().unwrap_or("");
        assert!(html.contains(mac), "{mac}");
    }
    // The transfer bars carry size and throughput; the 4011 exchange and its failure are drawn.
    assert!(html.contains("171456 bytes") && html.contains("MB/s"));
    assert!(html.contains("boot server 192.168.77.1") && html.contains("unanswered"));
    // Untrusted strings from the capture are escaped (vendor classes, file names, error texts).
    assert!(!html.contains("<script>alert"));
    // capture/probe/serve share the option; analyze with -f jsonl still writes the file.
    let out = tmp("jsonl.html");
    let o = run(&[
        "analyze",
        "-f",
        "jsonl",
        "--html",
        &out,
        "samples/lab-bios-dnsmasq.pcap",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(std::path::Path::new(&out).exists());
}

/// Count pixels of a colour (±8 per channel) in a PNG screenshot.
fn pixels_like(png_path: &str, rgb: [u8; 3]) -> usize {
    let dec = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).expect("png"),
    ));
    let mut r = dec.read_info().expect("png header");
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).expect("png frame");
    let step = match info.color_type {
        png::ColorType::Rgba => 4,
        png::ColorType::Rgb => 3,
        _ => return 0,
    };
    buf[..info.buffer_size()]
        .chunks(step)
        .filter(|p| p.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 8))
        .count()
}

fn screenshot(html: &str, png: &str, height: u32) {
    let st = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            &format!("--window-size=1280,{height}"),
            &format!("--screenshot={png}"),
            &format!("file://{html}"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("chromium");
    assert!(
        st.success() && std::path::Path::new(png).exists(),
        "chromium screenshot of {html}"
    );
}

/// The report as a browser draws it: a healthy lab boot, a failing one and a 500-client storm.
/// Screenshots are kept in target/report-screenshots/ for people to look at.
#[test]
#[cfg_attr(not(has_chromium), ignore = "needs chromium")]
fn html_report_renders_in_chromium() {
    if skip_unless(
        have("chromium"),
        "needs Debian's chromium (apt-get install chromium)",
    ) {
        return;
    }
    let dir = format!("{}/target/report-screenshots", env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(&dir).expect("dir");
    let green = [0x2e, 0x8b, 0x57];
    let red = [0xc0, 0x39, 0x2b];
    let blue = [0x3b, 0x7d, 0xd8];
    // healthy
    let healthy = tmp("healthy.html");
    analyze_json(&["samples/lab-bios-dnsmasq.pcap"], &["--html", &healthy]);
    let png = format!("{dir}/healthy.png");
    screenshot(&healthy, &png, 1400);
    assert!(
        pixels_like(&png, green) > 500,
        "TFTP bars and the booted badge are green"
    );
    assert!(pixels_like(&png, blue) > 500, "DHCP bars are blue");
    let legend_red = pixels_like(&png, red);
    assert!(
        legend_red < 400,
        "nothing failed: only the legend is red ({legend_red} px)"
    );
    // failing
    let failing = tmp("failing.html");
    analyze_json(
        &["samples/lab-fail-uefi-proxy-4011-blocked.pcap"],
        &["--html", &failing],
    );
    let png = format!("{dir}/failing.png");
    screenshot(&failing, &png, 1000);
    let failed_red = pixels_like(&png, red);
    assert!(
        failed_red > legend_red + 400,
        "failed badge, failed 4011 bar and the finding are red ({failed_red} px vs {legend_red})"
    );
    // 500 clients: 300 healthy and 200 failing boots, re-addressed copies of real ones.
    let gen = gen_capture_bin();
    let (a, b) = (tmp("storm-ok.pcap"), tmp("storm-fail.pcap"));
    assert!(Command::new(&gen)
        .args(["samples/lab-bios-dnsmasq.pcap", &a, "300"])
        .status()
        .expect("gen")
        .success());
    assert!(Command::new(&gen)
        .args([
            "samples/lab-fail-bios-file-not-found.pcap",
            &b,
            "200",
            "52:54:00:77:00:01",
            "192.168.77.100",
            "300"
        ])
        .status()
        .expect("gen")
        .success());
    let storm = tmp("storm.html");
    let (v, _) = analyze_json(&[&a, &b], &["--html", &storm]);
    assert_eq!(sessions(&v).len(), 500);
    let size = std::fs::metadata(&storm).expect("html").len();
    assert!(
        size < 40 << 20,
        "500 clients stay a reasonable file: {size} bytes"
    );
    let html = std::fs::read_to_string(&storm).expect("read");
    assert_eq!(
        html.matches("<details open>").count(),
        0,
        "with many clients the details start closed"
    );
    let png = format!("{dir}/storm-500.png");
    screenshot(&storm, &png, 1400);
    assert!(
        html.contains("Findings across clients") && html.contains("<td>200</td>"),
        "the 200 failures are counted across clients"
    );
    let storm_red = pixels_like(&png, red);
    assert!(
        storm_red > legend_red + 400,
        "failed clients come first in the summary ({storm_red} red px)"
    );
    eprintln!("screenshots in {dir}; storm report {size} bytes");
}

/// `diff` names where a failing boot departs from a working one, and nothing for the same boot.
#[test]
fn diff_finds_where_boots_part() {
    let diff = |g: &str, b: &str| -> (serde_json::Value, i32) {
        let o = run(&["diff", "-f", "json", g, b]);
        (
            serde_json::from_slice(&o.stdout).expect("json"),
            o.status.code().unwrap_or(-1),
        )
    };
    let (v, code) = diff(
        "samples/lab-bios-dnsmasq.pcap",
        "samples/lab-fail-bios-file-not-found.pcap",
    );
    assert_eq!(code, 1);
    assert_eq!(v["schema"], "pxe-inspect/diff/1");
    assert_eq!(v["first_difference"]["aspect"], "stage 1: boot file");
    assert!(v["first_difference"]["bad"]
        .as_str()
        .is_some_and(|b| b.contains("missing.0")));
    let (v, _) = diff(
        "samples/lab-proxy-uefi.pcap",
        "samples/lab-fail-uefi-proxy-4011-blocked.pcap",
    );
    let rows = v["rows"].as_array().expect("rows");
    let port = rows
        .iter()
        .find(|r| r["aspect"] == "stage 1: port 4011")
        .expect("4011 row");
    assert_eq!(port["differs"], true);
    assert!(
        port["bad"]
            .as_str()
            .is_some_and(|b| b.contains("unanswered"))
            && port["good"]
                .as_str()
                .is_some_and(|g| g.contains("answered"))
    );
    let (v, code) = diff(
        "samples/lab-bios-dnsmasq.pcap",
        "samples/lab-bios-dnsmasq.pcap",
    );
    assert_eq!(code, 0);
    assert!(v["first_difference"].is_null());
    assert!(v["rows"]
        .as_array()
        .is_some_and(|r| r.iter().all(|x| x["differs"] == false)));
    let table = run(&[
        "diff",
        "samples/lab-uefi-dnsmasq.pcap.gz",
        "samples/lab-fail-uefi-arch-mismatch.pcap",
    ]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("The boots part at"), "{text}");
    assert_eq!(
        run(&[
            "diff",
            "samples/lab-bios-dnsmasq.pcap",
            "samples/lab-bios-dnsmasq.pcap",
            "--client",
            "00:11:22:33:44:55"
        ])
        .status
        .code(),
        Some(2)
    );
}

/// `--anonymize`: no MAC, IP or UUID of the capture survives in any output, the analysis is
/// otherwise the same, pseudonyms are stable, and the annotated pcapng is clean for tshark.
#[test]
fn anonymize_leaves_nothing_identifying_in_any_output() {
    let samples = [
        "samples/lab-bios-dnsmasq.pcap",
        "samples/lab-proxy-uefi.pcap",
        "samples/lab-fail-uefi-proxy-4011-blocked.pcap",
        "samples/lab-uefi-http-boot.pcap.gz",
    ];
    for sample in samples {
        let (plain, _) = analyze_json(&[sample], &[]);
        let mut secrets: Vec<String> = vec![];
        for s in sessions(&plain) {
            for k in ["mac", "uuid"] {
                if let Some(x) = s["client"][k].as_str() {
                    secrets.push(x.to_string());
                    if k == "mac" {
                        secrets.push(x.replace(':', "-"));
                    }
                }
            }
            if let Some(ip) = s["ip"].as_str() {
                secrets.push(ip.to_string());
            }
            for st in s["stages"].as_array().into_iter().flatten() {
                for o in st["offers"].as_array().into_iter().flatten() {
                    secrets.push(o["server"].as_str().unwrap_or("").to_string());
                }
            }
        }
        secrets.retain(|x| !x.is_empty() && x != "0.0.0.0" && x != "255.255.255.255");
        assert!(!secrets.is_empty(), "{sample}: something to hide");
        let ann = tmp("anon.pcapng");
        let html = tmp("anon.html");
        let (anon, _) = analyze_json(
            &[sample],
            &["--anonymize", "--annotate", &ann, "--html", &html],
        );
        let texts = [
            serde_json::to_string(&anon).expect("json"),
            String::from_utf8_lossy(
                &run(&["analyze", "--anonymize", "-f", "timeline", sample]).stdout,
            )
            .to_string(),
            String::from_utf8_lossy(
                &run(&["analyze", "--anonymize", "-f", "mermaid", sample]).stdout,
            )
            .to_string(),
            std::fs::read_to_string(&html).expect("html"),
        ];
        for t in &texts {
            for x in &secrets {
                assert!(
                    !t.contains(x.as_str()),
                    "{sample}: `{x}` survived --anonymize"
                );
            }
        }
        // The analysis itself is unchanged: outcomes, findings, files.
        let summary = |v: &serde_json::Value| -> Vec<String> {
            sessions(v)
                .iter()
                .map(|s| {
                    format!(
                        "{} {:?} {}",
                        s["outcome"],
                        finding_ids(s),
                        s["tftp"].as_array().map(|t| t.len()).unwrap_or(0)
                    )
                })
                .collect()
        };
        assert_eq!(summary(&plain), summary(&anon), "{sample}: same analysis");
        let (again, _) = analyze_json(&[sample], &["--anonymize"]);
        assert_eq!(
            sessions(&again)[0]["client"]["mac"],
            sessions(&anon)[0]["client"]["mac"],
            "stable pseudonyms"
        );
        let (keyed, _) = analyze_json(&[sample], &["--anonymize", "--anonymize-key", "secret"]);
        assert_ne!(
            sessions(&keyed)[0]["client"]["mac"],
            sessions(&anon)[0]["client"]["mac"],
            "the key changes them"
        );
        if have("tshark") {
            let full = Command::new("tshark")
                .args(["-r", &ann, "-V"])
                .output()
                .expect("tshark");
            let text = String::from_utf8_lossy(&full.stdout);
            for x in &secrets {
                assert!(
                    !text.contains(x.as_str()),
                    "{sample}: `{x}` in the anonymized pcapng"
                );
            }
            let bad = Command::new("tshark")
                .args([
                    "-r",
                    &ann,
                    "-Y",
                    "_ws.malformed or _ws.expert.severity >= error",
                    "-T",
                    "fields",
                    "-e",
                    "frame.number",
                ])
                .output()
                .expect("tshark");
            assert!(
                String::from_utf8_lossy(&bad.stdout).trim().is_empty(),
                "{sample}: tshark finds malformed frames: {}",
                String::from_utf8_lossy(&bad.stdout)
            );
        }
    }
}
