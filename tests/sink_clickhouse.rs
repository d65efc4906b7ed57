//! `--sink clickhouse+http://…` against a real ClickHouse (Debian's clickhouse-server 18.16):
//! each test starts its own server with its own config in a temp directory, listening on
//! 127.0.0.1 only (random free ports), loads contrib/clickhouse/schema.sql, and kills the server
//! at the end, also when the test panics (a Drop guard).

mod common;

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NEEDS: &str = "needs clickhouse-server (apt install clickhouse-server)";

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// One HTTP/1.0 exchange with the server: (status, body).
fn http(port: u16, path: &str, body: &[u8]) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(2),
    )?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let head = format!(
        "POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)?;
    let text = String::from_utf8_lossy(&resp).into_owned();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((code, body))
}

/// A clickhouse-server of the test's own; killed on drop.
struct ClickHouse {
    dir: PathBuf,
    http_port: u16,
    tcp_port: u16,
    /// The network namespace it runs in (queried with clickhouse-client there), or None: this
    /// one's loopback (queried over HTTP).
    ns: Option<String>,
    child: Option<Child>,
}

impl ClickHouse {
    fn start(name: &str) -> ClickHouse {
        ClickHouse::start_in(name, None)
    }

    fn start_in(name: &str, ns: Option<&str>) -> ClickHouse {
        let dir = std::env::temp_dir().join(format!("pxe-ch-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let http_port = free_port();
        // Each free_port's listener is closed before the next: they could hand out one port.
        let tcp_port = (0..20)
            .map(|_| free_port())
            .find(|p| *p != http_port)
            .expect("a second free port");
        let d = dir.display();
        let config = format!(
            r#"<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{d}/server.log</log><errorlog>{d}/server.err.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>{http_port}</http_port>
  <tcp_port>{tcp_port}</tcp_port>
  <path>{d}/data/</path>
  <tmp_path>{d}/tmp/</tmp_path>
  <user_files_path>{d}/user_files/</user_files_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path>
  <users_config>{d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>20</max_concurrent_queries>
  <timezone>UTC</timezone>
</yandex>
"#
        );
        let users = r#"<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>
    <pxe><password>s3cret</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></pxe>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
"#;
        std::fs::write(dir.join("config.xml"), config).expect("config.xml");
        std::fs::write(dir.join("users.xml"), users).expect("users.xml");
        let mut ch = ClickHouse {
            dir,
            http_port,
            tcp_port,
            ns: ns.map(str::to_string),
            child: None,
        };
        ch.run();
        ch.sql_file(&manifest().join("contrib/clickhouse/schema.sql"));
        ch
    }

    /// Starts the server (again, on the same data and ports) and waits for `/ping` → `Ok.`.
    fn run(&mut self) {
        let mut cmd = match &self.ns {
            // `ip netns exec` execs the server: the child's pid is the server's.
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "clickhouse-server"]);
                c
            }
            None => Command::new("clickhouse-server"),
        };
        let child = cmd
            .arg(format!(
                "--config-file={}",
                self.dir.join("config.xml").display()
            ))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("clickhouse-server starts");
        self.child = Some(child);
        let t = Instant::now();
        loop {
            let ok = match &self.ns {
                None => TcpStream::connect(("127.0.0.1", self.http_port))
                    .and_then(|mut s| {
                        s.write_all(b"GET /ping HTTP/1.0\r\n\r\n")?;
                        let mut r = String::new();
                        s.read_to_string(&mut r)?;
                        Ok(r.ends_with("Ok.\n"))
                    })
                    .unwrap_or(false),
                Some(_) => self.client("SELECT 1").is_ok_and(|r| r.trim() == "1"),
            };
            if ok {
                return;
            }
            if let Some(Ok(Some(st))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!(
                    "clickhouse-server exited ({st}): {}",
                    std::fs::read_to_string(self.dir.join("server.err.log")).unwrap_or_default()
                );
            }
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "clickhouse-server did not answer /ping in 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL, as a crash would.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn url(&self) -> String {
        format!(
            "clickhouse+http://127.0.0.1:{}/pxe_inspect.sessions",
            self.http_port
        )
    }

    /// clickhouse-client inside the namespace: Ok(TSV) or Err(error text).
    fn client(&self, sql: &str) -> Result<String, String> {
        let ns = self.ns.as_deref().unwrap_or("");
        let port = self.tcp_port.to_string();
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                ns,
                "clickhouse-client",
                "--host",
                "127.0.0.1",
            ])
            .args(["--port", &port, "--query", sql])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    fn query(&self, sql: &str) -> String {
        if self.ns.is_some() {
            return self.client(sql).unwrap_or_else(|e| panic!("{sql}\n→ {e}"));
        }
        let (code, body) = http(self.http_port, "/", sql.as_bytes()).expect("query");
        assert_eq!(code, 200, "{sql}\n→ {body}");
        body
    }

    fn number(&self, sql: &str) -> u64 {
        let r = self.query(sql);
        r.trim().parse().unwrap_or_else(|_| panic!("{sql} → {r:?}"))
    }

    /// (key, count) rows of a two-column TSV answer.
    fn counts(&self, sql: &str) -> BTreeMap<String, u64> {
        self.query(sql)
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(k, v)| (k.to_string(), v.parse().unwrap_or(0)))
            .collect()
    }

    /// Every statement of a .sql file, one request each.
    fn sql_file(&self, path: &Path) -> usize {
        let text = std::fs::read_to_string(path).expect("sql file");
        let stmts = statements(&text);
        for s in &stmts {
            self.query(s);
        }
        stmts.len()
    }
}

impl Drop for ClickHouse {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The statements of a SQL file: `--` comment lines dropped, split at `;`.
fn statements(text: &str) -> Vec<String> {
    let no_comments: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .map(|l| format!("{l}\n"))
        .collect();
    no_comments
        .split(';')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn captures() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in ["samples", "tests/captures", "tests/captures/field"] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(manifest().join(d))
            .expect("capture dir")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().contains(".pcap"))
            })
            .collect();
        names.sort();
        v.extend(names);
    }
    v
}

/// `analyze -f jsonl` with extra arguments: (session records, exit code, stderr).
fn analyze_jsonl(file: &str, extra: &[&str], envs: &[(&str, &str)]) -> (Vec<Value>, i32, String) {
    let mut cmd = Command::new(common::bin());
    cmd.args(["analyze", "-f", "jsonl"])
        .args(extra)
        .arg(file)
        .env("NO_COLOR", "1")
        .env_remove("PXE_INSPECT_CLICKHOUSE_USER")
        .env_remove("PXE_INSPECT_CLICKHOUSE_PASSWORD")
        .stdin(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("analyze runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{file}: {stderr}");
    let sessions = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "session")
        .collect();
    (sessions, out.status.code().expect("exited"), stderr)
}

fn sink_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains("sink")).collect()
}

/// (a) Every sample and public capture: what SQL counts equals what `-f jsonl` says.
#[test]
#[cfg_attr(
    not(has_clickhouse),
    ignore = "needs clickhouse-server (apt install clickhouse-server)"
)]
fn every_capture_lands_once_and_matches_the_json() {
    if common::skip_unless(cfg!(has_clickhouse), NEEDS) {
        return;
    }
    let ch = ClickHouse::start("all");
    let url = ch.url();
    let mut want_outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let mut want_findings: BTreeMap<String, u64> = BTreeMap::new();
    let mut want_sensors: BTreeMap<String, u64> = BTreeMap::new();
    let mut total = 0u64;
    let files = captures();
    assert!(files.len() > 40, "{} captures", files.len());
    for f in &files {
        let file = f.to_string_lossy();
        // the file's name as the sensor, in the characters --sensor takes (a label value)
        let sensor: String = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || ".-_:/".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect();
        let (plain, plain_code, _) = analyze_jsonl(&file, &[], &[]);
        let (sessions, code, stderr) = analyze_jsonl(
            &file,
            &["--sink", &url, "--sensor", &sensor],
            &[
                ("PXE_INSPECT_CLICKHOUSE_USER", "pxe"),
                ("PXE_INSPECT_CLICKHOUSE_PASSWORD", "s3cret"),
            ],
        );
        assert_eq!(code, plain_code, "{file}: the sink changed the exit code");
        // --sensor stamps each record (monitor part 1); beyond that the output is unchanged
        let unstamped: Vec<Value> = sessions
            .iter()
            .map(|s| {
                assert_eq!(s["sensor"], sensor.as_str(), "{file}");
                let mut s = s.clone();
                if let Some(o) = s.as_object_mut() {
                    o.remove("sensor");
                }
                s
            })
            .collect();
        assert_eq!(unstamped, plain, "{file}: the sink changed the output");
        assert!(sink_lines(&stderr).is_empty(), "{file}: {stderr}");
        for s in &sessions {
            total += 1;
            *want_sensors.entry(sensor.clone()).or_default() += 1;
            *want_outcomes
                .entry(s["outcome"].as_str().unwrap_or("").to_string())
                .or_default() += 1;
            for id in common::finding_ids(s) {
                *want_findings.entry(id).or_default() += 1;
            }
        }
    }
    assert!(total > 50, "{total} sessions");
    eprintln!(
        "{} captures, {total} sessions, {} outcomes, {} finding IDs",
        files.len(),
        want_outcomes.len(),
        want_findings.len()
    );
    let t = "pxe_inspect.sessions";
    assert_eq!(ch.number(&format!("SELECT count() FROM {t} FINAL")), total);
    assert_eq!(
        ch.number(&format!("SELECT uniqExact(session_id) FROM {t}")),
        total
    );
    assert_eq!(
        ch.counts(&format!(
            "SELECT outcome, count() FROM {t} FINAL GROUP BY outcome ORDER BY outcome"
        )),
        want_outcomes
    );
    assert_eq!(
        ch.counts(&format!(
            "SELECT id, count() FROM {t} FINAL ARRAY JOIN findings.id AS id GROUP BY id ORDER BY id"
        )),
        want_findings
    );
    assert_eq!(
        ch.counts(&format!(
            "SELECT sensor, count() FROM {t} FINAL GROUP BY sensor ORDER BY sensor"
        )),
        want_sensors
    );
    // A second run over one capture resends the same sessions: replaced, not added.
    let again = &files[0];
    let (s, _, _) = analyze_jsonl(
        &again.to_string_lossy(),
        &[
            "--sink",
            &url,
            "--sensor",
            &again.file_name().unwrap_or_default().to_string_lossy(),
        ],
        &[],
    );
    assert!(!s.is_empty());
    ch.query(&format!("OPTIMIZE TABLE {t} FINAL"));
    assert_eq!(ch.number(&format!("SELECT count() FROM {t}")), total);
    assert_eq!(ch.number(&format!("SELECT count() FROM {t} FINAL")), total);
    // The queries of contrib/clickhouse/queries.sql all parse and run: as written (now() is
    // long after these captures), and with "now" moved to the newest session so their time
    // windows hold rows.
    let q = manifest().join("contrib/clickhouse/queries.sql");
    assert!(ch.sql_file(&q) >= 6);
    let text = std::fs::read_to_string(&q).expect("queries.sql");
    let mut rows = 0;
    for s in statements(&text) {
        let shifted = s.replace("now()", &format!("(SELECT max(start) FROM {t})"));
        rows += ch.query(&shifted).lines().count();
    }
    assert!(rows > 0, "no query found a row");
    // The view joining one machine across sensors: the derived-* captures are one boot (same
    // MAC, xids and times) seen as several "sensors".
    assert!(
        ch.number("SELECT count() FROM pxe_inspect.machine_sessions") > 0,
        "machine_sessions is empty"
    );
}

/// --anonymize applies to the rows too: the sink stores the pseudonyms the JSON shows.
#[test]
#[cfg_attr(
    not(has_clickhouse),
    ignore = "needs clickhouse-server (apt install clickhouse-server)"
)]
fn anonymize_applies_to_the_sink() {
    if common::skip_unless(cfg!(has_clickhouse), NEEDS) {
        return;
    }
    let ch = ClickHouse::start("anon");
    let file = manifest().join("samples/lab-bios-dnsmasq.pcap");
    let file = file.to_string_lossy();
    let (raw, _, _) = analyze_jsonl(&file, &[], &[]);
    let (anon, _, stderr) = analyze_jsonl(&file, &["--anonymize", "--sink", &ch.url()], &[]);
    assert!(sink_lines(&stderr).is_empty(), "{stderr}");
    let raw_mac = raw[0]["client"]["mac"].as_str().expect("mac").to_string();
    let anon_mac = anon[0]["client"]["mac"].as_str().expect("mac").to_string();
    assert_ne!(raw_mac, anon_mac);
    let stored = ch.query("SELECT mac, ip, hostname FROM pxe_inspect.sessions FINAL");
    assert!(stored.contains(&anon_mac), "{stored}");
    assert!(!stored.contains(&raw_mac), "{stored}");
    if let Some(ip) = raw[0]["ip"].as_str() {
        assert!(!stored.contains(ip), "raw IP {ip} stored: {stored}");
    }
}

/// (c) ClickHouse never started: analyze's output and exit code are as without --sink, and
/// the failure is one line on stderr.
#[test]
#[cfg_attr(
    not(has_clickhouse),
    ignore = "needs clickhouse-server (apt install clickhouse-server)"
)]
fn clickhouse_down_changes_nothing_but_one_line() {
    if common::skip_unless(cfg!(has_clickhouse), NEEDS) {
        return;
    }
    let port = free_port(); // nothing listens there
    let url = format!("clickhouse+http://127.0.0.1:{port}/pxe_inspect.sessions");
    for sample in ["lab-fail-bios-file-not-found.pcap", "lab-bios-dnsmasq.pcap"] {
        let file = manifest().join("samples").join(sample);
        let file = file.to_string_lossy();
        let (plain, plain_code, _) = analyze_jsonl(&file, &[], &[]);
        let t = Instant::now();
        let (sessions, code, stderr) = analyze_jsonl(&file, &["--sink", &url], &[]);
        assert_eq!(code, plain_code, "{sample}: {stderr}");
        assert_eq!(sessions, plain, "{sample}");
        let lines = sink_lines(&stderr);
        assert_eq!(lines.len(), 1, "{sample}: {stderr}");
        assert!(
            lines[0].contains("sink error") && lines[0].contains(&port.to_string()),
            "{}",
            lines[0]
        );
        assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    }
    // A URL that is not one is a usage error before any frame is read.
    let (_, code, stderr) = analyze_jsonl(
        &manifest()
            .join("samples/lab-bios-dnsmasq.pcap")
            .to_string_lossy(),
        &["--sink", "http://127.0.0.1:1/x.y"],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
}

/// (b) A storm of 2,000 boots into `analyze --sink … -` (a slowly fed pipe, so sessions close
/// and are sent while it runs), with ClickHouse killed and restarted in the middle: afterwards
/// every session is there exactly once and the spool is empty.
#[test]
#[cfg_attr(
    not(has_clickhouse),
    ignore = "needs clickhouse-server (apt install clickhouse-server)"
)]
fn storm_survives_a_clickhouse_restart() {
    use pxe_inspect::source::writer::CaptureWriter;
    use pxe_inspect::synth::{write_root, Storm, StormConfig};
    if common::skip_unless(cfg!(has_clickhouse), NEEDS) {
        return;
    }
    let mut ch = ClickHouse::start("storm");
    let work = std::env::temp_dir().join(format!("pxe-sink-storm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let cfg = StormConfig {
        seed: 7,
        clients: 2000,
        rate: 100.0,
        fail_percent: 20,
        bios_file_bytes: 2_000,
        efi_file_bytes: 4_000,
        ..StormConfig::default()
    };
    let root = work.join("root");
    write_root(&root, &cfg).expect("storm root");
    let pcap = work.join("storm.pcap");
    {
        let mut w = CaptureWriter::create(&pcap.to_string_lossy(), 1).expect("pcap");
        for (ts, f) in Storm::new(cfg, &root, false).expect("storm") {
            w.write(1, ts, &f, f.len() as u32).expect("frame");
        }
        w.flush().expect("flush");
    }
    let bytes = std::fs::read(&pcap).expect("pcap bytes");
    let spool = work.join("spool");
    let mut child = Command::new(common::bin())
        .args([
            "analyze",
            "-f",
            "jsonl",
            "--idle-timeout",
            "2",
            "--sensor",
            "storm",
        ])
        .args(["--sink", &ch.url(), "--sink-spool"])
        .arg(&spool)
        .arg("-")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("analyze starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    // About 9 s of feeding in 60 pieces: ClickHouse dies a third of the way in and comes back
    // at two thirds.
    let pieces = 60;
    let chunk = bytes.len().div_ceil(pieces);
    let mut spooled_seen = false;
    for (i, c) in bytes.chunks(chunk).enumerate() {
        stdin.write_all(c).expect("feed analyze");
        stdin.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(150));
        if i == pieces / 3 {
            ch.kill();
        }
        if i == 2 * pieces / 3 {
            // Before the restart, the failed batches must have spilled (bounded wait: a loaded
            // machine is slower to close and send them).
            let t = Instant::now();
            while !spooled_seen && t.elapsed() < Duration::from_secs(20) {
                spooled_seen = std::fs::read_dir(&spool)
                    .map(|d| d.count() > 0)
                    .unwrap_or(false);
                std::thread::sleep(Duration::from_millis(50));
            }
            ch.run();
        }
    }
    drop(stdin);
    let out = reader.join().expect("stdout reader");
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let status = child.wait().expect("analyze exits");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(status.code().is_some(), "{status}");
    let sessions: Vec<Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "session")
        .collect();
    assert!(sessions.len() >= 2000, "{} sessions", sessions.len());
    assert!(
        spooled_seen,
        "nothing was spooled while ClickHouse was down"
    );
    let lines = sink_lines(&stderr);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("sink error"), "{stderr}");
    let n = sessions.len() as u64;
    eprintln!("storm: {n} sessions; analyze said: {}", lines[0]);
    let t = "pxe_inspect.sessions";
    assert_eq!(ch.number(&format!("SELECT count() FROM {t} FINAL")), n);
    assert_eq!(
        ch.number(&format!("SELECT uniqExact(session_id) FROM {t}")),
        n
    );
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    for s in &sessions {
        *want
            .entry(s["outcome"].as_str().unwrap_or("").to_string())
            .or_default() += 1;
    }
    assert_eq!(
        ch.counts(&format!(
            "SELECT outcome, count() FROM {t} FINAL GROUP BY outcome ORDER BY outcome"
        )),
        want
    );
    let left: Vec<String> = std::fs::read_dir(&spool)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "spool not empty: {left:?}");
    let _ = std::fs::remove_dir_all(&work);
}

/// The live version of (b): `capture --sink` inside a network namespace while `probe` boots
/// three waves of clients (TFTP from `serve`), with ClickHouse (in the same namespace, on its
/// loopback) killed after the first wave and restarted after the second: every session capture
/// reported is in the table exactly once, the spool is empty, capture ran until stopped.
#[test]
#[cfg_attr(
    not(all(pxe_root, has_clickhouse)),
    ignore = "needs root, ip netns and clickhouse-server (apt install clickhouse-server)"
)]
fn live_capture_storm_survives_a_clickhouse_restart() {
    use common::netns::{can_netns, Netns, SRV_IP};
    if common::skip_unless(
        can_netns() && cfg!(has_clickhouse),
        "needs root, ip netns and clickhouse-server",
    ) {
        return;
    }
    let n = Netns::new("snk");
    let mut ch = ClickHouse::start_in("live", Some(&n.srv));
    let root = n.path("tftp");
    std::fs::create_dir_all(&root).expect("root");
    std::fs::write(format!("{root}/boot.bin"), vec![0x5au8; 20_000]).expect("file");
    let b = common::bin().to_string_lossy().to_string();
    let mut serve = n.spawn(
        &n.srv.clone(),
        &[
            b.as_str(),
            "serve",
            "-i",
            "vs0",
            "--tftp-root",
            &root,
            "--boot",
            "bios=boot.bin",
            "--no-observe",
            "--duration",
            "120",
        ],
        "serve.log",
    );
    let spool = n.path("spool");
    let out_path = n.path("capture.jsonl");
    let err_path = n.path("capture.err");
    let url = ch.url();
    let mut cap = n
        .exec(
            &n.srv,
            &[
                b.as_str(),
                "capture",
                "vs0",
                "-f",
                "jsonl",
                "--idle-timeout",
                "2",
                "--duration",
                "90",
                "--sensor",
                "live",
                "--sink",
                &url,
                "--sink-spool",
                &spool,
            ],
        )
        .stdout(Stdio::from(std::fs::File::create(&out_path).expect("out")))
        .stderr(Stdio::from(std::fs::File::create(&err_path).expect("err")))
        .spawn()
        .expect("capture starts");
    std::thread::sleep(Duration::from_millis(1500));
    let mut ok = 0;
    for wave in 1..=3u32 {
        let mac = format!("02:70:78:0{wave}:00:01");
        let ip = format!("192.168.78.{}", 10 + (wave - 1) * 60);
        let out = n
            .exec(
                &n.cli,
                &[
                    b.as_str(),
                    "probe",
                    "vc0",
                    "--tftp-server",
                    SRV_IP,
                    "--file",
                    "boot.bin",
                    "--ip-start",
                    &ip,
                    "--mac",
                    &mac,
                    "--clients",
                    "50",
                    "--rate",
                    "500",
                    "--timeout",
                    "20",
                    "--linger",
                    "0",
                    "--fail-on",
                    "never",
                    "-f",
                    "json",
                ],
            )
            .stderr(Stdio::null())
            .output()
            .expect("probe runs");
        let v: Value = serde_json::from_slice(&out.stdout).expect("probe json");
        ok += v["probe"]["summary"]["ok"].as_u64().unwrap_or(0);
        // Let the wave's sessions close (idle 2 s) and reach the sink (or the spool).
        std::thread::sleep(Duration::from_millis(3500));
        if wave == 1 {
            ch.kill();
        }
        if wave == 2 {
            // The wave's sessions close 2 s after their last packet and a failed batch spills a
            // second later; on a loaded machine that takes longer: wait for it (bounded).
            let t = Instant::now();
            while !std::fs::read_dir(&spool)
                .map(|d| d.count() > 0)
                .unwrap_or(false)
            {
                assert!(
                    t.elapsed() < Duration::from_secs(20),
                    "nothing spooled while ClickHouse was down"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
            ch.run();
        }
    }
    assert_eq!(ok, 150, "the waves themselves boot");
    // Ctrl-C, as an operator would stop it (`ip netns exec` exec'd capture: same pid).
    let _ = Command::new("kill")
        .args(["-INT", &cap.id().to_string()])
        .status();
    let status = cap.wait().expect("capture exits");
    let _ = serve.kill();
    let _ = serve.wait();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    assert!(status.code().is_some(), "{status}: {stderr}");
    let sessions: Vec<Value> = std::fs::read_to_string(&out_path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "session")
        .collect();
    assert!(sessions.len() >= 150, "{} sessions", sessions.len());
    let lines = sink_lines(&stderr);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("sink error"), "{stderr}");
    let t = "pxe_inspect.sessions";
    let total = sessions.len() as u64;
    eprintln!("live: {total} sessions; capture said: {}", lines[0]);
    assert_eq!(ch.number(&format!("SELECT count() FROM {t} FINAL")), total);
    assert_eq!(
        ch.number(&format!("SELECT uniqExact(session_id) FROM {t}")),
        total
    );
    let left: Vec<_> = std::fs::read_dir(&spool)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "spool not empty: {left:?}");
}

/// `serve --sink`: the sessions serve's observer reports land in the table, once each.
#[test]
#[cfg_attr(
    not(all(pxe_root, has_clickhouse)),
    ignore = "needs root, ip netns and clickhouse-server (apt install clickhouse-server)"
)]
fn serve_sinks_what_its_observer_sees() {
    use common::netns::{can_netns, Netns, SRV_IP};
    if common::skip_unless(
        can_netns() && cfg!(has_clickhouse),
        "needs root, ip netns and clickhouse-server",
    ) {
        return;
    }
    let n = Netns::new("sns");
    let ch = ClickHouse::start_in("serve", Some(&n.srv));
    let root = n.path("tftp");
    std::fs::create_dir_all(&root).expect("root");
    std::fs::write(format!("{root}/boot.bin"), vec![0xa5u8; 10_000]).expect("file");
    let b = common::bin().to_string_lossy().to_string();
    let url = ch.url();
    let mut serve = n.spawn(
        &n.srv.clone(),
        &[
            b.as_str(),
            "serve",
            "-i",
            "vs0",
            "--tftp-root",
            &root,
            "--boot",
            "bios=boot.bin",
            "--user",
            "root",
            "-f",
            "jsonl",
            "--duration",
            "60",
            "--sensor",
            "serve",
            "--sink",
            &url,
        ],
        "serve.log",
    );
    std::thread::sleep(Duration::from_millis(1500));
    let out = n
        .exec(
            &n.cli,
            &[
                b.as_str(),
                "probe",
                "vc0",
                "--tftp-server",
                SRV_IP,
                "--file",
                "boot.bin",
                "--ip-start",
                "192.168.78.10",
                "--clients",
                "20",
                "--timeout",
                "20",
                "--linger",
                "0",
                "--fail-on",
                "never",
                "-f",
                "json",
            ],
        )
        .stderr(Stdio::null())
        .output()
        .expect("probe runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("probe json");
    assert_eq!(v["probe"]["summary"]["ok"], 20, "{}", v["probe"]["summary"]);
    std::thread::sleep(Duration::from_millis(500));
    let _ = Command::new("kill")
        .args(["-INT", &serve.id().to_string()])
        .status();
    let _ = serve.wait();
    let log = std::fs::read_to_string(n.path("serve.log")).unwrap_or_default();
    assert!(!log.contains("panicked"), "{log}");
    assert!(sink_lines(&log).is_empty(), "{log}");
    let sessions: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "session")
        .collect();
    assert!(sessions.len() >= 20, "{} sessions: {log}", sessions.len());
    let t = "pxe_inspect.sessions";
    let total = sessions.len() as u64;
    assert_eq!(
        ch.number(&format!(
            "SELECT count() FROM {t} FINAL WHERE sensor = 'serve'"
        )),
        total
    );
    assert_eq!(
        ch.number(&format!("SELECT uniqExact(session_id) FROM {t}")),
        total
    );
}
