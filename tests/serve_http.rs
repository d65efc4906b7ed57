//! serve's HTTP server (--http-root) against curl: GET, HEAD, Range, 404, traversal and
//! keep-alive byte-exact on loopback; `.ipxe.tmpl` rendered for a client serve saw over DHCP;
//! and in test-made namespaces, each `--fault http-error=...` reported by `analyze` of serve's
//! own capture as http-error (and a clean download as none).

mod common;
use common::netns::*;
use common::*;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

/// (dhcp, bootserver, tftp, http) ports for one loopback serve.
fn ports() -> [u16; 4] {
    let base =
        30_000 + (std::process::id() % 300) as u16 * 100 + NEXT_PORT.fetch_add(4, Ordering::SeqCst);
    [base, base + 1, base + 2, base + 3]
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 7) as u8).collect()
}

/// A root with a.bin, a template and a symlink out of it; a secret file beside the root.
fn root(tag: &str) -> (String, String) {
    let d = std::env::temp_dir().join(format!("pxi-http-{}-{tag}", std::process::id()));
    let root = d.join("root");
    std::fs::create_dir_all(root.join("sub")).expect("dir");
    std::fs::write(root.join("a.bin"), body(300_001)).expect("write");
    std::fs::write(root.join("sub/empty"), b"").expect("write");
    std::fs::write(
        root.join("boot.ipxe.tmpl"),
        "#!ipxe\necho {{mac}} {{ip}} {{arch}} {{family}}\nchain http://${next-server}/${net0/mac}.cfg {{unknown}}\n",
    )
    .expect("write");
    std::fs::write(d.join("secret"), b"TOP SECRET\n").expect("write");
    let _ = std::os::unix::fs::symlink(d.join("secret"), root.join("escape"));
    (root.to_string_lossy().into(), d.to_string_lossy().into())
}

fn serve(root: &str, p: [u16; 4], log: &str) -> Server {
    let args: Vec<String> = vec![
        "serve".into(),
        "-i".into(),
        "lo".into(),
        "--server-ip".into(),
        "127.0.0.1".into(),
        "--boot".into(),
        "efi-x64=a.bin".into(),
        "--dhcp-port".into(),
        p[0].to_string(),
        "--bootserver-port".into(),
        p[1].to_string(),
        "--tftp-port".into(),
        p[2].to_string(),
        "--http-root".into(),
        root.into(),
        "--http-port".into(),
        p[3].to_string(),
        "--user".into(),
        "root".into(),
        "--no-observe".into(),
        "--duration".into(),
        "60".into(),
    ];
    let f = std::fs::File::create(log).expect("log");
    let c = Command::new(bin())
        .args(&args)
        .stdout(Stdio::null())
        .stderr(f)
        .spawn()
        .expect("serve starts");
    // Up when the port answers.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", p[3])).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Server(c)
}

/// curl with `args`; returns (status line code, body bytes, stderr).
fn curl(args: &[&str]) -> (String, Vec<u8>, String) {
    let out = Command::new("curl")
        .args(["-s", "-S", "-m", "10", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl runs");
    let mut b = out.stdout;
    let nl = b.iter().rposition(|&c| c == b'\n').expect("code line");
    let code = String::from_utf8_lossy(&b[nl + 1..]).to_string();
    b.truncate(nl);
    (code, b, String::from_utf8_lossy(&out.stderr).into())
}

#[test]
#[cfg_attr(not(all(pxe_root, has_curl)), ignore = "needs root and curl")]
fn http_get_head_range_404_traversal_keepalive() {
    if skip_unless(have("curl") && can_netns(), "needs root and curl") {
        return;
    }
    let (root, dir) = root("basic");
    let p = ports();
    let log = format!("{dir}/serve.log");
    let _s = serve(&root, p, &log);
    let url = |path: &str| format!("http://127.0.0.1:{}{path}", p[3]);
    let want = body(300_001);

    let (code, got, _) = curl(&[&url("/a.bin")]);
    assert_eq!(code, "200");
    assert!(
        got == want,
        "GET a.bin: {} bytes, not byte-exact",
        got.len()
    );

    let (code, got, _) = curl(&[&url("/sub/empty")]);
    assert_eq!((code.as_str(), got.len()), ("200", 0));

    // HEAD: GET's headers, no body.
    let (code, got, _) = curl(&["-I", &url("/a.bin")]);
    // Title-Case on the wire: GRUB 2.06 matches `Content-Length: ` case-sensitively and,
    // without it, reads each file until the connection closes (real GRUB in the lab waited
    // 35 s a file).
    assert!(
        String::from_utf8_lossy(&got).contains("Content-Length: 300001"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    let head = String::from_utf8_lossy(&got).to_ascii_lowercase();
    assert_eq!(code, "200");
    assert!(head.contains("content-length: 300001"), "{head}");
    assert!(head.contains("accept-ranges: bytes"), "{head}");
    assert!(!head.contains("\r\n\r\n\u{0}"), "{head}");

    // Single ranges: first/last, open-ended and suffix; several ranges get the whole file.
    for (r, lo, hi) in [
        ("100-199", 100, 199),
        ("0-0", 0, 0),
        ("300000-", 300_000, 300_000),
        ("-77", 300_001 - 77, 300_000),
        ("299990-999999", 299_990, 300_000),
    ] {
        let (code, got, _) = curl(&["-D", "-", "-r", r, &url("/a.bin")]);
        assert_eq!(code, "206", "range {r}");
        let s = String::from_utf8_lossy(&got).to_string();
        let split = got
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("headers")
            + 4;
        assert!(
            s.to_ascii_lowercase()
                .contains(&format!("content-range: bytes {lo}-{hi}/300001")),
            "range {r}: {s}"
        );
        assert!(
            got[split..] == want[lo..=hi],
            "range {r}: body not byte-exact"
        );
    }
    let (code, got, _) = curl(&["-D", "-", "-r", "0-1,5-6", &url("/a.bin")]);
    assert_eq!(code, "200");
    assert!(got.ends_with(&want), "multi-range: the whole file");
    let (code, got, _) = curl(&["-D", "-", "-r", "300001-", &url("/a.bin")]);
    assert_eq!(code, "416");
    assert!(String::from_utf8_lossy(&got)
        .to_ascii_lowercase()
        .contains("content-range: bytes */300001"));

    let (code, _, _) = curl(&[&url("/nope.bin")]);
    assert_eq!(code, "404");
    let (code, _, _) = curl(&["-X", "POST", &url("/a.bin")]);
    assert_eq!(code, "405");

    // Traversal: refused (403) like TFTP refuses it, never the secret's bytes.
    for path in [
        "/../secret",
        "/sub/../../secret",
        "/%2e%2e/secret",
        "/%2E%2E%2Fsecret",
        "/sub/%2e%2e/%2e%2e/secret",
        "/escape",
        "/..%5csecret",
    ] {
        let (code, got, _) = curl(&["--path-as-is", &url(path)]);
        assert_eq!(code, "403", "{path}");
        assert!(
            !String::from_utf8_lossy(&got).contains("TOP SECRET"),
            "{path} leaked"
        );
    }
    // Absolute paths are root-relative (as TFTP's leading slash is): nothing outside.
    let (code, got, _) = curl(&["--path-as-is", &url("//etc/passwd")]);
    assert_eq!(code, "404");
    assert!(!String::from_utf8_lossy(&got).contains("root:"));
    let (code, _, _) = curl(&[&url("/%zz")]);
    assert_eq!(code, "400");

    // Keep-alive: two requests, one connection.
    let out = Command::new("curl")
        .args(["-s", "-v", "-o", "/dev/null", "-o", "/dev/null"])
        .args([url("/a.bin"), url("/a.bin")])
        .output()
        .expect("curl");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Re-using existing connection") || err.contains("Reusing existing"),
        "{err}"
    );

    // Each request logged like serve's other lines.
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.contains("HTTP 127.0.0.1:"), "{text}");
    assert!(text.contains("GET /a.bin -> 206 100 bytes"), "{text}");
    assert!(text.contains("GET /../secret -> 403"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The bytes of a PXE firmware's boot-server REQUEST from 127.0.0.1.
fn bootserver_request_bytes(mac: [u8; 6], arch: u16) -> Vec<u8> {
    use pxe_inspect::wire::dhcp4::{Dhcp4Repr, MessageType};
    let mut r = Dhcp4Repr::request(MessageType::Request, 0x1234_5678, mac)
        .with(
            60,
            format!("PXEClient:Arch:{arch:05}:UNDI:003016").into_bytes(),
        )
        .with(93, arch.to_be_bytes());
    r.ciaddr = std::net::Ipv4Addr::LOCALHOST;
    r.emit()
}

/// A PXE boot-server REQUEST (port 4011) from 127.0.0.1: how serve learns a client's MAC, arch
/// and address in proxy mode.
fn bootserver_request(port: u16, mac: [u8; 6], arch: u16) {
    let p = bootserver_request_bytes(mac, arch);
    let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
    s.set_read_timeout(Some(Duration::from_secs(2))).ok();
    s.send_to(&p, ("127.0.0.1", port)).expect("send");
    // The ACK says serve has handled it.
    let mut buf = [0u8; 1500];
    assert!(s.recv_from(&mut buf).is_ok(), "boot-server ACK");
}

#[test]
#[cfg_attr(not(all(pxe_root, has_curl)), ignore = "needs root and curl")]
fn ipxe_templates_are_rendered_per_client() {
    if skip_unless(have("curl") && can_netns(), "needs root and curl") {
        return;
    }
    let (root, dir) = root("tmpl");
    let p = ports();
    let _s = serve(&root, p, &format!("{dir}/serve.log"));
    let url = format!("http://127.0.0.1:{}/boot.ipxe", p[3]);
    // Not seen over DHCP yet: the client's own address, the rest empty.
    let (code, got, _) = curl(&[&url]);
    assert_eq!(code, "200");
    assert_eq!(
        String::from_utf8_lossy(&got),
        "#!ipxe\necho  127.0.0.1  \nchain http://${next-server}/${net0/mac}.cfg {{unknown}}\n"
    );
    bootserver_request(p[1], [0x52, 0x54, 0, 0xab, 0xcd, 0xef], 7);
    let (code, got, _) = curl(&[&url]);
    assert_eq!(code, "200");
    let rendered = "#!ipxe\necho 52:54:00:ab:cd:ef 127.0.0.1 7 efi-x64\nchain http://${next-server}/${net0/mac}.cfg {{unknown}}\n";
    assert_eq!(String::from_utf8_lossy(&got), rendered);
    // HEAD and Range apply to the rendered text.
    let (code, got, _) = curl(&["-I", &url]);
    assert_eq!(code, "200");
    assert!(String::from_utf8_lossy(&got)
        .to_ascii_lowercase()
        .contains(&format!("content-length: {}", rendered.len())));
    let (code, got, _) = curl(&["-r", "0-5", &url]);
    assert_eq!((code.as_str(), got.as_slice()), ("206", &b"#!ipxe"[..]));
    // The template itself is a file too.
    let (code, got, _) = curl(&[&format!("{url}.tmpl")]);
    assert_eq!(code, "200");
    assert!(String::from_utf8_lossy(&got).contains("{{mac}}"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn udhcpc_http(n: &Netns) -> Option<String> {
    let script = n.path("udhcpc.sh");
    let bootf = n.path("bootfile");
    let _ = std::fs::remove_file(&bootf);
    std::fs::write(&script, format!("#!/bin/sh\n[ \"$1\" = bound ] && ip addr add \"$ip/24\" dev \"$interface\" 2>/dev/null && printf %s \"$boot_file\" > {bootf}\nexit 0\n")).expect("script");
    let _ = Command::new("chmod").args(["+x", &script]).status();
    let ok = n
        .exec(
            &n.cli,
            &[
                "busybox",
                "udhcpc",
                "-i",
                "vc0",
                "-n",
                "-q",
                "-f",
                "-t",
                "4",
                "-T",
                "1",
                "-s",
                &script,
                "-V",
                "HTTPClient:Arch:00016:UNDI:003001",
                "-x",
                "0x5d:0010",
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then(|| std::fs::read_to_string(&bootf).unwrap_or_default())
}

#[test]
#[cfg_attr(
    not(all(pxe_root, has_busybox, has_curl)),
    ignore = "needs root, ip netns, busybox, curl"
)]
fn http_faults_are_reported_as_http_error() {
    if skip_unless(
        can_netns() && have("busybox") && have("curl"),
        "needs root, ip netns, busybox, curl",
    ) {
        return;
    }
    let n = Netns::new("http");
    let root = n.path("www");
    std::fs::create_dir_all(&root).expect("root");
    let mut pe = vec![0u8; 400_000];
    pe[0] = b'M';
    pe[1] = b'Z';
    pe[0x3c] = 0x80;
    pe[0x80..0x84].copy_from_slice(b"PE\0\0");
    pe[0x84..0x86].copy_from_slice(&0x8664u16.to_le_bytes());
    pe[0x80 + 24 + 68] = 10;
    std::fs::write(format!("{root}/boot.efi"), &pe).expect("efi file");
    // (fault, curl's time limit, wait after curl, finding expected)
    let cases: [(&str, &str, u64, bool); 5] = [
        ("", "10", 300, false),
        ("404", "10", 300, true),
        ("500", "10", 300, true),
        ("reset", "10", 300, true),
        // The capture must go on 5 s past the stall for analyze to call it one.
        ("stall", "3", 3_500, true),
    ];
    for (fault, limit, settle, expect) in cases {
        let _ = Command::new("ip")
            .args(["-n", &n.cli, "addr", "flush", "dev", "vc0"])
            .status();
        let written = n.path(&format!(
            "serve-{}.pcapng",
            if fault.is_empty() { "ok" } else { fault }
        ));
        let b = bin();
        let mut args: Vec<String> = vec![
            b.to_string_lossy().into(),
            "serve".into(),
            "-i".into(),
            "vs0".into(),
            "--dhcp-range".into(),
            "192.168.78.100,192.168.78.150".into(),
            "--boot".into(),
            "efi-x64=boot.efi".into(),
            "--http-root".into(),
            root.clone(),
            "-w".into(),
            written.clone(),
            "-f".into(),
            "jsonl".into(),
        ];
        if !fault.is_empty() {
            args.extend(["--fault".into(), format!("http-error={fault}")]);
        }
        let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let mut s = n.spawn(&n.srv, &refs, &format!("serve-{fault}.log"));
        std::thread::sleep(Duration::from_millis(800));
        let url = udhcpc_http(&n).expect("lease");
        // No --http-url: the URL is serve's own address, port and the family's file.
        assert_eq!(url, format!("http://{SRV_IP}:8080/boot.efi"));
        let out = n
            .exec(&n.cli, &["curl", "-s", "-m", limit, "-o", "-", &url])
            .output()
            .expect("curl");
        if fault.is_empty() {
            assert!(out.stdout == pe, "clean download not byte-exact");
        }
        std::thread::sleep(Duration::from_millis(settle));
        let _ = Command::new("kill")
            .args(["-TERM", &s.id().to_string()])
            .status();
        let _ = s.wait();
        let (v, _) = analyze_json(&[&written], &[]);
        let ids = all_finding_ids(&v);
        assert_eq!(
            ids.contains(&"http-error".to_string()),
            expect,
            "fault `{fault}`: findings {ids:?}"
        );
        let log =
            std::fs::read_to_string(n.path(&format!("serve-{fault}.log"))).unwrap_or_default();
        assert!(log.contains("GET /boot.efi ->"), "{log}");
    }
}

const RULES: &str = r#"
boot = { bios = "undionly.kpxe", efi-x64 = "ipxe.efi" }
ipxe_script = "http://192.0.2.1:8080/boot.ipxe"

[[rule]]
name = "rack 1"
mac = "52:54:00:*"
arch = "efi-x64"
boot = "rack.efi"
next_server = "192.0.2.9"

[[rule]]
mac = "52:54:00:aa:*"
user_class = "iPXE"
script = "http://192.0.2.1/special.ipxe"

[[rule]]
name = "broken http"
mac = "02:00:00:00:00:*"
faults = ["http-error=500"]
"#;

#[test]
fn check_config_prints_what_a_client_gets() {
    let d = std::env::temp_dir().join(format!("pxi-http-{}-check", std::process::id()));
    std::fs::create_dir_all(&d).expect("dir");
    let conf = d.join("serve.toml");
    std::fs::write(&conf, RULES).expect("conf");
    let conf = conf.to_string_lossy().to_string();
    let ask = |extra: &[&str]| {
        let mut args = vec!["serve", "--config", &conf, "--check-config"];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(0), "{:?}", out);
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let t = ask(&["--mac", "52:54:00:01:02:03", "--arch", "efi-x64"]);
    assert!(t.contains("rule: 1 `rack 1`"), "{t}");
    assert!(t.contains("boot file: rack.efi\n"), "{t}");
    assert!(t.contains("next-server: 192.0.2.9\n"), "{t}");
    // The same MAC as BIOS: the rack rule wants efi-x64; no rule, the global file.
    let t = ask(&["--mac", "52:54:00:01:02:03", "--arch", "bios"]);
    assert!(t.contains("rule: none of 3 matches"), "{t}");
    assert!(t.contains("boot file: undionly.kpxe\n"), "{t}");
    let t = ask(&[
        "--mac",
        "52:54:00:aa:00:01",
        "--arch",
        "bios",
        "--user-class",
        "iPXE",
    ]);
    assert!(t.contains("rule: 2 "), "{t}");
    assert!(
        t.contains("boot file: http://192.0.2.1/special.ipxe\n"),
        "{t}"
    );
    let t = ask(&["--mac", "02:00:00:00:00:07", "--arch", "efi-x64"]);
    assert!(t.contains("rule: 3 `broken http`"), "{t}");
    assert!(t.contains("faults: http-error=500 (from the rule)"), "{t}");
    // A client that is no PXE client gets nothing in proxy mode.
    let t = ask(&["--vendor-class", ""]);
    assert!(t.contains("answer: none"), "{t}");
    // A bad rule is a usage error that names it.
    std::fs::write(
        d.join("bad.toml"),
        "boot = { bios = \"a\" }\n[[rule]]\nname = \"x\"\narch = \"sparc\"\n",
    )
    .expect("w");
    let out = run(&[
        "serve",
        "--config",
        &d.join("bad.toml").to_string_lossy(),
        "--check-config",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[[rule]] `x`"));
    let _ = std::fs::remove_dir_all(&d);
}

/// The boot-server ACK's siaddr and file field for this client.
fn bootserver_answer(port: u16, mac: [u8; 6], arch: u16) -> (std::net::Ipv4Addr, String) {
    let p = bootserver_request_bytes(mac, arch);
    let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
    s.set_read_timeout(Some(Duration::from_secs(2))).ok();
    s.send_to(&p, ("127.0.0.1", port)).expect("send");
    let mut buf = [0u8; 1500];
    let (n, _) = s.recv_from(&mut buf).expect("boot-server ACK");
    assert!(n >= 236);
    let siaddr = std::net::Ipv4Addr::new(buf[20], buf[21], buf[22], buf[23]);
    let file: Vec<u8> = buf[108..236]
        .iter()
        .copied()
        .take_while(|&c| c != 0)
        .collect();
    (siaddr, String::from_utf8_lossy(&file).into())
}

#[test]
#[cfg_attr(not(all(pxe_root, has_curl)), ignore = "needs root and curl")]
fn rules_decide_on_the_wire() {
    if skip_unless(have("curl") && can_netns(), "needs root and curl") {
        return;
    }
    let (root, dir) = root("rules");
    let conf = format!("{dir}/serve.toml");
    std::fs::write(&conf, RULES).expect("conf");
    let p = ports();
    let log = format!("{dir}/serve.log");
    let mut args: Vec<String> = vec!["serve".into(), "--config".into(), conf];
    args.extend(
        [
            "-i",
            "lo",
            "--server-ip",
            "127.0.0.1",
            "--dhcp-port",
            &p[0].to_string(),
            "--bootserver-port",
            &p[1].to_string(),
            "--tftp-root",
            &root,
            "--tftp-port",
            &p[2].to_string(),
            "--http-root",
            &root,
            "--http-port",
            &p[3].to_string(),
            "--user",
            "root",
            "--no-observe",
            "--duration",
            "60",
        ]
        .map(String::from),
    );
    let c = Command::new(bin())
        .args(&args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("serve");
    let _s = Server(c);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", p[3])).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (si, file) = bootserver_answer(p[1], [0x52, 0x54, 0, 1, 2, 3], 7);
    assert_eq!(
        (si.to_string().as_str(), file.as_str()),
        ("192.0.2.9", "rack.efi")
    );
    let (si, file) = bootserver_answer(p[1], [0x52, 0x54, 0, 1, 2, 3], 0);
    assert_eq!(
        (si.to_string().as_str(), file.as_str()),
        ("127.0.0.1", "undionly.kpxe")
    );
    let url = format!("http://127.0.0.1:{}/a.bin", p[3]);
    assert_eq!(curl(&["-o", "/dev/null", &url]).0, "200");
    // The client at 127.0.0.1 is now one the "broken http" rule matches: its faults apply.
    let (_, file) = bootserver_answer(p[1], [2, 0, 0, 0, 0, 9], 7);
    assert_eq!(file, "ipxe.efi");
    assert_eq!(curl(&["-o", "/dev/null", &url]).0, "500");
    let _ = std::fs::remove_dir_all(&dir);
}

/// serve's own capture (-w) keeps HTTP on a port other than 80/8080 (the port goes into the
/// capture filter before its VLAN half, where libpcap would read it at shifted offsets).
#[test]
#[cfg_attr(
    not(all(pxe_root, has_curl, has_tcpdump)),
    ignore = "needs root, curl and tcpdump"
)]
fn http_on_its_own_port_is_in_serves_capture() {
    if skip_unless(
        have("curl") && have("tcpdump") && can_netns(),
        "needs root, curl and tcpdump",
    ) {
        return;
    }
    let (root, dir) = root("capture");
    let p = ports();
    let written = format!("{dir}/serve.pcapng");
    let c = Command::new(bin())
        .args([
            "serve",
            "-i",
            "lo",
            "--server-ip",
            "127.0.0.1",
            "--boot",
            "efi-x64=a.bin",
            "--dhcp-port",
            &p[0].to_string(),
            "--bootserver-port",
            &p[1].to_string(),
            "--tftp-port",
            &p[2].to_string(),
            "--http-root",
            &root,
            "--http-port",
            &p[3].to_string(),
            "--user",
            "root",
            "-w",
            &written,
            "-f",
            "jsonl",
            "--duration",
            "60",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let mut s = Server(c);
    std::thread::sleep(Duration::from_millis(1200));
    bootserver_request(p[1], [0x52, 0x54, 0, 0xab, 0xcd, 0x01], 7);
    let (code, got, _) = curl(&[&format!("http://127.0.0.1:{}/a.bin", p[3])]);
    assert_eq!((code.as_str(), got.len()), ("200", 300_001));
    std::thread::sleep(Duration::from_millis(500));
    let _ = Command::new("kill")
        .args(["-TERM", &s.0.id().to_string()])
        .status();
    // Let it flush the capture (Drop would SIGKILL).
    let _ = s.0.wait();
    let out = Command::new("tcpdump")
        .args(["-nn", "-r", &written, "tcp", "port", &p[3].to_string()])
        .stderr(Stdio::null())
        .output()
        .expect("tcpdump");
    let text = String::from_utf8_lossy(&out.stdout);
    let frames = text.lines().count();
    assert!(
        frames >= 6,
        "TCP frames of the download in the capture: {frames}\n{text}"
    );
    assert!(text.contains("Flags [S]"), "{text}");
    assert!(text.contains("Flags [P.]"), "data segments: {text}");
    let _ = std::fs::remove_dir_all(&dir);
}
