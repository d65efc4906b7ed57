//! Capture as a service (issue 24): `capture --metrics` and `serve --metrics` scraped by a real
//! Prometheus (Debian's, scrape interval 1 s, its own config and storage in a temp dir, on the
//! loopback of a namespace the test made) while `probe` boots a storm with a known share of
//! faults; what Prometheus's HTTP API says must equal `analyze` of the file capture wrote.
//! Also: the example alert rules pass `promtool`, the systemd unit passes `systemd-analyze
//! verify` and its command runs as an unprivileged user with just its two capabilities, a
//! metrics port that cannot be bound changes nothing about a capture, and a soak with rotation.

mod common;
use common::netns::*;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// An HTTP/1.0 GET to 127.0.0.1:`port` inside namespace `ns` (a thread that joins the
/// namespace with setns, so nothing leaves the test's own loopback). HTTP/1.0: no chunking.
fn ns_get(ns: &str, port: u16, target: &str) -> Result<(u16, String), String> {
    let ns = ns.to_string();
    let target = target.to_string();
    std::thread::spawn(move || -> Result<(u16, String), String> {
        use std::os::fd::AsRawFd;
        let f = std::fs::File::open(format!("/run/netns/{ns}")).map_err(|e| e.to_string())?;
        // SAFETY: setns on this thread only, with a namespace fd we hold open.
        if unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(format!("setns {ns}: {}", std::io::Error::last_os_error()));
        }
        let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        c.set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        write!(c, "GET {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        c.read_to_end(&mut buf).map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&buf).to_string();
        let (head, body) = text.split_once("\r\n\r\n").ok_or("no HTTP head")?;
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or("no status")?;
        Ok((status, body.to_string()))
    })
    .join()
    .map_err(|_| "http thread panicked".to_string())?
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An instant query: label value of `by` (or "" for a sum) -> value.
fn prom_query(ns: &str, port: u16, q: &str, by: &str) -> BTreeMap<String, f64> {
    let (status, body) = ns_get(ns, port, &format!("/api/v1/query?query={}", urlencode(q)))
        .unwrap_or_else(|e| panic!("query {q}: {e}"));
    assert_eq!(status, 200, "query {q}: {body}");
    let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{q}: {e}: {body}"));
    assert_eq!(v["status"], "success", "{q}: {body}");
    let mut out = BTreeMap::new();
    for r in v["data"]["result"].as_array().cloned().unwrap_or_default() {
        let k = r["metric"][by].as_str().unwrap_or("").to_string();
        let val = r["value"][1]
            .as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(f64::NAN);
        out.insert(k, val);
    }
    out
}

fn prom_scalar(ns: &str, port: u16, q: &str) -> f64 {
    prom_query(ns, port, q, "").get("").copied().unwrap_or(0.0)
}

/// Prometheus with its own config and storage in `dir`, on 127.0.0.1:`port` of namespace `ns`.
fn prometheus(n: &Netns, ns: &str, port: u16, targets: &[u16]) -> Reaped {
    let dir = n.path("prometheus");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(format!("{dir}/data")).expect("prometheus dir");
    let t: Vec<String> = targets.iter().map(|p| format!("'127.0.0.1:{p}'")).collect();
    std::fs::write(
        format!("{dir}/prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\n\
             rule_files:\n  - '{MANIFEST}/contrib/prometheus/alerts.yml'\n\
             scrape_configs:\n  - job_name: pxe-inspect\n    static_configs:\n      - targets: [{}]\n",
            t.join(", ")
        ),
    )
    .expect("prometheus.yml");
    let p = Reaped(n.spawn(
        ns,
        &[
            "prometheus",
            &format!("--config.file={dir}/prometheus.yml"),
            &format!("--storage.tsdb.path={dir}/data"),
            &format!("--web.listen-address=127.0.0.1:{port}"),
            "--log.level=warn",
        ],
        "prometheus.log",
    ));
    let t0 = Instant::now();
    while ns_get(ns, port, "/-/ready").map(|r| r.0) != Ok(200) {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "prometheus not ready: {}",
            std::fs::read_to_string(n.path("prometheus.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    p
}

fn tftp_root(n: &Netns) -> String {
    let r = n.path("root");
    std::fs::create_dir_all(&r).expect("root");
    for (name, len) in [("boot.bios", 120_000usize), ("boot.efi", 300_000)] {
        let mut body: Vec<u8> = (0..len).map(|i| (i * 31 + i / 7) as u8).collect();
        if name.ends_with(".efi") {
            // A PE32+ header as an x64 EFI application has it (MZ, e_lfanew, PE, machine
            // 0x8664, subsystem 10): what the analysis checks a UEFI client's file against.
            body[..2].copy_from_slice(b"MZ");
            body[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
            body[0x80..0x84].copy_from_slice(b"PE\0\0");
            body[0x84..0x86].copy_from_slice(&0x8664u16.to_le_bytes());
            body[0x80 + 24 + 68..0x80 + 24 + 70].copy_from_slice(&10u16.to_le_bytes());
        }
        std::fs::write(format!("{r}/{name}"), body).expect("boot file");
    }
    r
}

fn serve_args(bin: &str, n: &Netns, root: &str, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        bin,
        "serve",
        "-i",
        &n.srv_if,
        "--tftp-root",
        root,
        "--boot",
        "bios=boot.bios",
        "--boot",
        "efi-x64=boot.efi",
        "--dhcp-range",
        "192.168.78.10,192.168.78.250",
        "--no-observe",
        "--user",
        "root",
        "--duration",
        "600",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn stop(c: &mut std::process::Child) {
    let _ = Command::new("kill")
        .args(["-INT", &c.id().to_string()])
        .status();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(20) {
        if let Ok(Some(_)) = c.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = c.kill();
    let _ = c.wait();
}

/// Sessions by outcome and session findings by ID, as `analyze` of `file` says.
fn analyzed(file: &str) -> (BTreeMap<String, f64>, BTreeMap<String, f64>, Value) {
    let (v, _) = analyze_json(&[file], &["--idle-timeout", "5"]);
    let mut outcomes = BTreeMap::new();
    let mut findings = BTreeMap::new();
    for s in sessions(&v) {
        *outcomes
            .entry(s["outcome"].as_str().unwrap_or("?").to_string())
            .or_insert(0.0) += 1.0;
        for f in s["findings"].as_array().cloned().unwrap_or_default() {
            *findings
                .entry(f["id"].as_str().unwrap_or("?").to_string())
                .or_insert(0.0) += 1.0;
        }
    }
    (outcomes, findings, v)
}

#[test]
#[cfg_attr(
    not(all(pxe_root, has_prometheus)),
    ignore = "needs root, ip netns and prometheus (apt install prometheus)"
)]
fn prometheus_sees_what_analyze_sees() {
    if skip_unless(
        can_netns() && have("prometheus"),
        "needs root, ip netns and prometheus (apt install prometheus)",
    ) {
        return;
    }
    let n = Netns::new("mon");
    let root = tftp_root(&n);
    let bin = bin().to_string_lossy().to_string();
    const CLIENTS: usize = 40;
    const FAULTED: usize = 8;
    let (cap_port, serve_port, prom_port) = (9101u16, 9102u16, 9090u16);
    // The first FAULTED synthetic clients (probe counts MACs up from 02:70:78:00:00:01) get
    // TFTP error 1; the others boot.
    let mut extra: Vec<String> = vec![
        "--metrics".into(),
        format!("127.0.0.1:{serve_port}"),
        "--fault".into(),
        "tftp-file-not-found".into(),
    ];
    for i in 1..=FAULTED {
        extra.push("--fault-for".into());
        extra.push(format!("02:70:78:00:00:{i:02x}"));
    }
    let extra_refs: Vec<&str> = extra.iter().map(String::as_str).collect();
    let sargs = serve_args(&bin, &n, &root, &extra_refs);
    let srefs: Vec<&str> = sargs.iter().map(String::as_str).collect();
    let _serve = Reaped(n.spawn(&n.srv.clone(), &srefs, "serve.log"));
    let written = n.path("mon.pcapng");
    let mut capture = n
        .exec(
            &n.srv,
            &[
                &bin,
                "capture",
                &n.srv_if,
                "--metrics",
                &format!("127.0.0.1:{cap_port}"),
                "--sensor",
                "rack-a",
                "-w",
                &written,
                "--idle-timeout",
                "5",
                "-f",
                "jsonl",
                "--duration",
                "300",
            ],
        )
        .stdout(std::fs::File::create(n.path("capture.jsonl")).expect("out"))
        .stderr(std::fs::File::create(n.path("capture.err")).expect("err"))
        .spawn()
        .expect("capture starts");
    let _prom = prometheus(&n, &n.srv.clone(), prom_port, &[cap_port, serve_port]);
    // Both targets up (a scrape of each succeeded) before the storm.
    let t0 = Instant::now();
    loop {
        let up = prom_query(&n.srv, prom_port, "up", "instance");
        if up.len() == 2 && up.values().all(|v| *v == 1.0) {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "targets not up: {up:?}; capture: {}; serve: {}",
            std::fs::read_to_string(n.path("capture.err")).unwrap_or_default(),
            std::fs::read_to_string(n.path("serve.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let (status, body) = ns_get(&n.srv, cap_port, "/healthz").expect("healthz");
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let (status, body) = ns_get(&n.srv, serve_port, "/metrics").expect("serve metrics");
    assert_eq!(status, 200);
    assert!(
        body.contains("pxe_inspect_serve_transfers{state=\"active\"} 0"),
        "{body}"
    );

    let out = n
        .exec(
            &n.cli,
            &[
                &bin,
                "probe",
                &n.cli_if,
                "--clients",
                &CLIENTS.to_string(),
                "--rate",
                "20",
                "--arch",
                "bios",
                "--arch",
                "efi-x64",
                "--timeout",
                "20",
                // Released addresses go to the next client, and serve's --fault-for follows
                // TFTP by address: keep them, so the faulted clients stay the first eight.
                "--keep-leases",
                "-f",
                "json",
            ],
        )
        .stderr(Stdio::piped())
        .output()
        .expect("probe runs");
    let pv: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "probe: not JSON ({e}); stderr {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let summary = &pv["probe"]["summary"];
    assert_eq!(
        summary["ok"],
        (CLIENTS - FAULTED) as u64,
        "probe: {summary}"
    );
    assert_eq!(summary["failed"], FAULTED as u64, "probe: {summary}");

    // Sessions close 5 s after their last packet; wait until Prometheus has counted them all
    // and the count has held for a few scrapes.
    let q_total = "sum(pxe_inspect_sessions_total{sensor=\"rack-a\"})";
    let t0 = Instant::now();
    let mut stable = 0;
    let mut last = -1.0;
    while stable < 4 {
        let v = prom_scalar(&n.srv, prom_port, q_total);
        if v >= CLIENTS as f64 && v == last {
            stable += 1;
        } else {
            stable = 0;
        }
        last = v;
        assert!(
            t0.elapsed() < Duration::from_secs(90),
            "sessions counted by Prometheus: {v}, want >= {CLIENTS}; capture: {}",
            std::fs::read_to_string(n.path("capture.err")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(1000));
    }
    let prom_outcomes = prom_query(
        &n.srv,
        prom_port,
        "sum by (outcome) (pxe_inspect_sessions_total{sensor=\"rack-a\"})",
        "outcome",
    );
    let prom_findings = prom_query(
        &n.srv,
        prom_port,
        "sum by (id) (pxe_inspect_findings_total{sensor=\"rack-a\"})",
        "id",
    );
    let prom_booted_hist = prom_scalar(
        &n.srv,
        prom_port,
        "sum(pxe_inspect_boot_duration_seconds_count)",
    );
    let prom_offer_hist = prom_scalar(
        &n.srv,
        prom_port,
        "sum(pxe_inspect_time_to_offer_seconds_count)",
    );
    let prom_tftp_err = prom_query(&n.srv, prom_port, "pxe_inspect_tftp_errors_total", "code");
    let prom_tftp_bytes = prom_scalar(&n.srv, prom_port, "sum(pxe_inspect_tftp_bytes_total)");
    let dropped = prom_scalar(&n.srv, prom_port, "sum(pxe_inspect_pcap_dropped_total)");
    let received = prom_scalar(&n.srv, prom_port, "sum(pxe_inspect_pcap_received_total)");
    let replies = prom_query(
        &n.srv,
        prom_port,
        "pxe_inspect_serve_dhcp_replies_total",
        "type",
    );
    let transfers = prom_query(&n.srv, prom_port, "pxe_inspect_serve_transfers", "state");
    let leases = prom_query(&n.srv, prom_port, "pxe_inspect_serve_leases", "state");
    let rules = ns_get(&n.srv, prom_port, "/api/v1/rules").expect("rules").1;

    stop(&mut capture);
    let (outcomes, findings, v) = analyzed(&written);
    assert_eq!(
        prom_outcomes, outcomes,
        "sessions by outcome: Prometheus vs analyze"
    );
    assert_eq!(outcomes.get("booted"), Some(&((CLIENTS - FAULTED) as f64)));
    assert_eq!(outcomes.get("failed"), Some(&(FAULTED as f64)));
    assert_eq!(
        prom_findings, findings,
        "findings by ID: Prometheus vs analyze"
    );
    assert_eq!(findings.get("tftp-file-not-found"), Some(&(FAULTED as f64)));
    assert_eq!(prom_booted_hist, (CLIENTS - FAULTED) as f64);
    assert!(prom_offer_hist >= CLIENTS as f64, "{prom_offer_hist}");
    assert_eq!(
        prom_tftp_err.get("1"),
        Some(&(FAULTED as f64)),
        "{prom_tftp_err:?}"
    );
    let bytes: f64 = sessions(&v)
        .iter()
        .flat_map(|s| s["tftp"].as_array().cloned().unwrap_or_default())
        .map(|t| t["bytes"].as_f64().unwrap_or(0.0))
        .sum();
    assert_eq!(prom_tftp_bytes, bytes, "TFTP bytes");
    assert_eq!(dropped, 0.0, "kernel drops");
    assert!(
        received >= v["inputs"][0]["frames"].as_f64().unwrap_or(0.0) * 0.9,
        "{received}"
    );
    // Every session and event line carries the sensor.
    let jsonl = std::fs::read_to_string(n.path("capture.jsonl")).expect("jsonl");
    let lines: Vec<Value> = jsonl
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let records: Vec<&Value> = lines
        .iter()
        .filter(|l| l["type"] == "session" || l["type"] == "event")
        .collect();
    assert!(records.len() > CLIENTS);
    assert!(records.iter().all(|l| l["sensor"] == "rack-a"));
    // serve's own view.
    assert!(
        replies.get("offer").copied().unwrap_or(0.0) >= CLIENTS as f64,
        "{replies:?}"
    );
    assert!(
        replies.get("ack").copied().unwrap_or(0.0) >= CLIENTS as f64,
        "{replies:?}"
    );
    assert!(
        transfers.get("finished").copied().unwrap_or(0.0) >= (CLIENTS - FAULTED) as f64,
        "{transfers:?}"
    );
    assert_eq!(transfers.get("active"), Some(&0.0), "{transfers:?}");
    assert_eq!(
        leases.values().sum::<f64>(),
        241.0,
        "pool of .10-.250: {leases:?}"
    );
    assert_eq!(leases.get("in-use"), Some(&(CLIENTS as f64)), "{leases:?}");
    // The example rules loaded and evaluate without errors on these series.
    let rv: Value = serde_json::from_str(&rules).expect("rules json");
    let groups = rv["data"]["groups"].as_array().cloned().unwrap_or_default();
    assert_eq!(groups.len(), 1, "{rules}");
    for r in groups[0]["rules"].as_array().cloned().unwrap_or_default() {
        assert_eq!(r["health"], "ok", "{r}");
    }
}

/// A metrics port that is already taken: said once on stderr, and the capture's exit code, frames
/// and output are those of the same capture without --metrics.
#[test]
#[cfg_attr(not(pxe_root), ignore = "needs root (capture on lo)")]
fn metrics_port_in_use_changes_nothing() {
    if skip_unless(can_netns(), "needs root") {
        return;
    }
    let n = Netns::new("mbu");
    // In the namespace: hold the port with a listener of our own (a capture of ours).
    let holder_port = 9200u16;
    let bin = bin().to_string_lossy().to_string();
    let mut holder = n
        .exec(
            &n.srv,
            &[
                &bin,
                "capture",
                "lo",
                "--metrics",
                &format!("127.0.0.1:{holder_port}"),
                "--duration",
                "30",
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("holder");
    let t0 = Instant::now();
    while ns_get(&n.srv, holder_port, "/healthz").is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "holder never listened"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let run = |metrics: bool| {
        let mut a = vec![
            bin.as_str(),
            "capture",
            &n.srv_if,
            "-f",
            "jsonl",
            "--duration",
            "3",
        ];
        let port = format!("127.0.0.1:{holder_port}");
        if metrics {
            a.extend(["--metrics", port.as_str()]);
        }
        let c = n
            .exec(&n.srv, &a)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("capture");
        std::thread::sleep(Duration::from_millis(800));
        // Something to capture: a DHCP DISCOVER-shaped broadcast from the client side.
        let _ = n
            .exec(
                &n.cli,
                &[
                    "busybox", "udhcpc", "-i", &n.cli_if, "-n", "-q", "-t", "1", "-T", "1",
                ],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        c.wait_with_output().expect("capture ends")
    };
    let with = run(true);
    let without = run(false);
    stop(&mut holder);
    let err = String::from_utf8_lossy(&with.stderr);
    assert_eq!(
        err.matches("metrics endpoint").count(),
        1,
        "said once: {err}"
    );
    assert!(err.contains("Address already in use"), "{err}");
    assert_eq!(with.status.code(), without.status.code(), "exit code");
    let summary = |o: &std::process::Output| -> Value {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| l["type"] == "summary")
            .unwrap_or_default()
    };
    let (a, b) = (summary(&with), summary(&without));
    assert!(
        a["stats"]["frames"].as_u64().unwrap_or(0) > 0,
        "frames captured: {a}"
    );
    assert_eq!(a["stats"]["frames"], b["stats"]["frames"], "same frames");
    assert_eq!(a["sessions"], b["sessions"]);
}

#[test]
#[cfg_attr(not(has_promtool), ignore = "needs promtool (apt install prometheus)")]
fn alert_rules_pass_promtool() {
    if skip_unless(have("promtool"), "needs promtool (apt install prometheus)") {
        return;
    }
    let out = Command::new("promtool")
        .args([
            "check",
            "rules",
            &format!("{MANIFEST}/contrib/prometheus/alerts.yml"),
        ])
        .output()
        .expect("promtool");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("SUCCESS: 4 rules found"), "{text}");
    // And they fire when they should, on series shaped like ours (promtool's rule unit tests).
    let out = Command::new("promtool")
        .args([
            "test",
            "rules",
            &format!("{MANIFEST}/contrib/prometheus/alerts_test.yml"),
        ])
        .current_dir(format!("{MANIFEST}/contrib/prometheus"))
        .output()
        .expect("promtool");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("SUCCESS"), "{text}");
}

fn unit_text() -> String {
    std::fs::read_to_string(format!(
        "{MANIFEST}/contrib/systemd/pxe-inspect-capture.service"
    ))
    .expect("unit file")
}

#[test]
#[cfg_attr(
    not(has_systemd_analyze),
    ignore = "needs systemd-analyze (apt install systemd)"
)]
fn systemd_unit_verifies() {
    if skip_unless(
        have("systemd-analyze"),
        "needs systemd-analyze (apt install systemd)",
    ) {
        return;
    }
    let unit = unit_text();
    // Not root: a dynamic user with the two capabilities a packet socket needs.
    assert!(unit.contains("\nDynamicUser=yes\n"), "{unit}");
    assert!(!unit.contains("\nUser=root"), "{unit}");
    assert!(unit.contains("\nAmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN\n"));
    assert!(unit.contains("\nCapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN\n"));
    let dir = std::env::temp_dir().join(format!("pxi-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("pxe-inspect-capture.service");
    // systemd-analyze checks that ExecStart's binary exists: point it at the one just built.
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/pxe-inspect", &bin().to_string_lossy()),
    )
    .expect("write unit");
    let out = Command::new("systemd-analyze")
        .args(["verify", &path.to_string_lossy()])
        .output()
        .expect("systemd-analyze");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // Unknown keys and bad values are warnings (exit 0): none may name our unit.
    assert!(
        !err.contains("pxe-inspect-capture.service"),
        "systemd-analyze warnings: {err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The unit's ExecStart, with its environment filled in.
fn unit_command(env: &[(&str, &str)]) -> Vec<String> {
    let unit = unit_text();
    let mut exec = String::new();
    let mut in_exec = false;
    for l in unit.lines() {
        if let Some(rest) = l.strip_prefix("ExecStart=") {
            in_exec = true;
            exec.push_str(rest);
        } else if in_exec {
            exec.push(' ');
            exec.push_str(l.trim());
        }
        if in_exec && !exec.ends_with('\\') {
            break;
        }
        exec = exec.trim_end_matches('\\').to_string();
    }
    let mut words: Vec<String> = exec.split_whitespace().map(str::to_string).collect();
    for w in words.iter_mut() {
        for (k, v) in env {
            *w = w.replace(&format!("${{{k}}}"), v);
        }
    }
    words[0] = bin().to_string_lossy().to_string();
    words
}

/// What the unit runs works without root, holding only CAP_NET_RAW and CAP_NET_ADMIN (as
/// systemd's AmbientCapabilities gives them), and fails without them (so the test can fail).
#[test]
#[cfg_attr(
    not(all(pxe_root, has_setpriv)),
    ignore = "needs root and setpriv (util-linux)"
)]
fn unit_command_runs_unprivileged_with_its_capabilities() {
    if skip_unless(can_netns() && have("setpriv"), "needs root and setpriv") {
        return;
    }
    let n = Netns::new("unt");
    let state = n.path("state");
    std::fs::create_dir_all(&state).expect("state");
    let _ = Command::new("chmod")
        .args(["777", &n.dir.to_string_lossy(), &state])
        .status();
    let words = unit_command(&[
        ("IFACE", &n.srv_if),
        ("SENSOR", "unit-test"),
        ("METRICS", "127.0.0.1:9469"),
        ("STATE_DIRECTORY", &state),
    ]);
    assert!(words.iter().any(|w| w == "--rotate-keep"), "{words:?}");
    let run = |caps: bool| {
        let mut a: Vec<String> = vec![
            "setpriv".into(),
            "--reuid=65534".into(),
            "--regid=65534".into(),
            "--clear-groups".into(),
        ];
        if caps {
            a.extend([
                "--inh-caps=+net_raw,+net_admin".into(),
                "--ambient-caps=+net_raw,+net_admin".into(),
            ]);
        }
        a.extend(words.iter().cloned());
        a.extend(["--duration".into(), "3".into()]);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let c = n
            .exec(&n.srv, &refs)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(1200));
        let health = ns_get(&n.srv, 9469, "/healthz");
        (c.wait_with_output().expect("ends"), health)
    };
    let (out, health) = run(true);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(health.map(|h| h.1), Ok("ok\n".to_string()), "{err}");
    let files: Vec<String> = std::fs::read_dir(&state)
        .expect("state dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        files[0].starts_with("capture-") && files[0].ends_with("-0001.pcapng"),
        "{files:?}"
    );
    let (out, _) = run(false);
    assert_eq!(
        out.status.code(),
        Some(2),
        "without the capabilities: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `capture` with rotation under repeated storms: memory stays flat, nothing dropped, the
/// newest --rotate-keep files stay and each is readable alone. PXE_SOAK_SECS sets the length
/// (default and CI: 60 — three rotations, RSS compared at 1/3 and at the end; the README's
/// 30-minute figures: 1800).
#[test]
#[cfg_attr(
    not(all(pxe_root, has_dnsmasq)),
    ignore = "needs root, ip netns and dnsmasq"
)]
fn soak_with_rotation() {
    if skip_unless(
        can_netns() && have("dnsmasq"),
        "needs root, ip netns and dnsmasq",
    ) {
        return;
    }
    let secs: u64 = std::env::var("PXE_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let rotate = (secs / 3).max(10);
    let n = Netns::new("sok");
    let root = tftp_root(&n);
    let _d = Reaped(n.dnsmasq_with(
        &root,
        &[
            "--dhcp-range=192.168.78.10,192.168.78.250,255.255.255.0,1h",
            "--no-ping",
            "--tftp-max=500",
            "--dhcp-match=set:efi64,option:client-arch,7",
            "--dhcp-boot=tag:efi64,boot.efi",
            "--dhcp-boot=tag:!efi64,boot.bios",
        ],
    ));
    let bin = bin().to_string_lossy().to_string();
    let dir = n.path("rot");
    std::fs::create_dir_all(&dir).expect("dir");
    let base = format!("{dir}/soak.pcapng");
    let mut capture = n
        .exec(
            &n.srv,
            &[
                &bin,
                "capture",
                &n.srv_if,
                "-w",
                &base,
                "--rotate-seconds",
                &rotate.to_string(),
                "--rotate-keep",
                "2",
                "--idle-timeout",
                "5",
                "--pxe-only",
                "-f",
                "jsonl",
                "--duration",
                &(secs + 60).to_string(),
            ],
        )
        .stdout(std::fs::File::create(n.path("soak.jsonl")).expect("out"))
        .stderr(std::fs::File::create(n.path("soak.err")).expect("err"))
        .spawn()
        .expect("capture");
    let pid = capture.id();
    let rss = || -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next().and_then(|k| k.parse().ok()))
            .unwrap_or(0)
    };
    std::thread::sleep(Duration::from_millis(800));
    let t0 = Instant::now();
    let mut rss_1min = 0u64;
    let mut storms = 0;
    while t0.elapsed() < Duration::from_secs(secs) {
        let round = Instant::now();
        let out = n
            .exec(
                &n.cli,
                &[
                    &bin,
                    "probe",
                    &n.cli_if,
                    "--clients",
                    "200",
                    "--rate",
                    "100",
                    "--arch",
                    "bios",
                    "--arch",
                    "efi-x64",
                    "--timeout",
                    "20",
                    "-f",
                    "jsonl",
                ],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("probe");
        assert_eq!(out.code(), Some(0), "storm {storms} booted every client");
        storms += 1;
        if rss_1min == 0 && t0.elapsed() >= Duration::from_secs(secs.min(180) / 3) {
            rss_1min = rss();
        }
        let wait = Duration::from_secs(30).saturating_sub(round.elapsed());
        std::thread::sleep(wait.min(Duration::from_secs(secs).saturating_sub(t0.elapsed())));
    }
    std::thread::sleep(Duration::from_secs(7)); // the last sessions close by idle time
    let rss_end = rss();
    stop(&mut capture);
    let err = std::fs::read_to_string(n.path("soak.err")).unwrap_or_default();
    eprintln!("soak: {secs} s, {storms} storms, RSS {rss_1min} kB at 1/3, {rss_end} kB at end");
    assert!(rss_1min > 0 && rss_end > 0);
    assert!(
        rss_end as f64 <= rss_1min as f64 * 1.1,
        "RSS grew from {rss_1min} kB to {rss_end} kB"
    );
    assert!(err.contains("dropped 0 "), "kernel drops: {err}");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path().to_string_lossy().to_string()))
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "--rotate-keep 2: {files:?}");
    for f in &files {
        let name = f.rsplit('/').next().unwrap_or("");
        assert!(
            name.starts_with("soak-")
                && name.ends_with(".pcapng")
                && name.len() == "soak-20261202T060000Z-0001.pcapng".len(),
            "{name}"
        );
        let (v, _) = analyze_json(&[f], &["--idle-timeout", "5"]);
        assert!(
            v["inputs"][0]["error"].is_null() && v["inputs"][0]["frames"].as_u64().unwrap_or(0) > 0,
            "{f} reads alone: {}",
            v["inputs"][0]
        );
        // Whole as a file (a boot that straddles a rotation is cut, as in any ring buffer).
        assert_eq!(
            v["inputs"][0]["end"]["clean"], true,
            "{f}: {}",
            v["inputs"][0]
        );
        assert!(
            !v["findings"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x["id"] == "analysis-truncated")),
            "{f} is whole: {}",
            v["findings"]
        );
        let booted = sessions(&v)
            .iter()
            .filter(|s| s["outcome"] == "booted")
            .count();
        assert!(booted >= 200, "{f}: {booted} booted sessions");
    }
    let _ = std::fs::remove_dir_all(&dir); // hundreds of MB of capture
}
