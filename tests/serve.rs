//! `serve` against real TFTP clients on loopback (atftp, tftp-hpa, busybox) and against a
//! PXE-classed udhcpc + atftp in test-made namespaces, one test per fault: serve with the fault,
//! record, analyze, and check the finding named after it appears.

mod common;
use common::netns::*;
use common::*;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

fn ports() -> (u16, u16, u16) {
    let base =
        20_000 + (std::process::id() % 400) as u16 * 100 + NEXT_PORT.fetch_add(3, Ordering::SeqCst);
    (base, base + 1, base + 2)
}

fn root_ok() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tftp_root(tag: &str, files: &[(&str, usize)]) -> String {
    let d = std::env::temp_dir().join(format!("pxi-serve-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&d).expect("dir");
    for (n, len) in files {
        let body: Vec<u8> = (0..*len).map(|i| (i * 31 + i / 7) as u8).collect();
        std::fs::write(d.join(n), body).expect("write");
    }
    d.to_string_lossy().to_string()
}

/// serve as a TFTP server only (`--tftp-only`, the most common way a TFTP server runs: next
/// to the site's DHCP), on loopback: what the atftp edge-case tests talk to.
fn serve_lo(root: &str, tftp: u16, _dhcp: u16, _boot: u16, extra: &[&str]) -> Server {
    let mut args = vec![
        "serve".to_string(),
        "-i".into(),
        "lo".into(),
        "--server-ip".into(),
        "127.0.0.1".into(),
        "--tftp-only".into(),
        "--tftp-root".into(),
        root.into(),
    ];
    args.extend([
        "--tftp-port".into(),
        tftp.to_string(),
        "--no-observe".into(),
        "--duration".into(),
        "120".into(),
    ]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let c = Command::new(bin())
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    std::thread::sleep(Duration::from_millis(400));
    Server(c)
}

fn same(a: &str, b: &str) -> bool {
    std::fs::read(a).ok() == std::fs::read(b).ok()
}

#[test]
#[cfg_attr(
    not(all(pxe_root, has_atftp, has_tftp, has_busybox)),
    ignore = "needs root, atftp, tftp-hpa, busybox"
)]
fn tftp_real_clients_every_option_combination() {
    if skip_unless(
        root_ok() && have("atftp") && have("tftp") && have("busybox"),
        "needs root (SO_BINDTODEVICE), atftp, tftp-hpa, busybox",
    ) {
        return;
    }
    // The sizes of the serve-2a list (0, 511, 512, 2048, 51111, 131072, 1 MiB) and a few more.
    let sizes: &[(&str, usize)] = &[
        ("a.bin", 300_000),
        ("exact.bin", 4096),
        ("empty.bin", 0),
        ("s511.bin", 511),
        ("s512.bin", 512),
        ("s2048.bin", 2048),
        ("s51111.bin", 51_111),
        ("s131072.bin", 131_072),
        ("s1m.bin", 1 << 20),
    ];
    let root = tftp_root("opts", sizes);
    let (t, d, b) = ports();
    let _s = serve_lo(&root, t, d, b, &[]);
    let out = std::env::temp_dir()
        .join(format!("pxi-got-{}", std::process::id()))
        .to_string_lossy()
        .to_string();
    let port = t.to_string();
    for &(file, len) in sizes {
        for opts in [
            vec![],
            vec!["blksize 8"],
            vec!["blksize 256"],
            vec!["blksize 1428"],
            vec!["blksize 1533"],
            vec!["blksize 8192", "tsize 0"],
            vec!["blksize 16000"],
            vec!["blksize 40000"],
            vec!["blksize 1468", "windowsize 4", "tsize 0"],
            vec!["windowsize 16"],
            vec!["blksize 65464"],
        ] {
            // 8-byte blocks of the big files are the rollover test's job (below)
            if opts == ["blksize 8"] && len > 60_000 {
                continue;
            }
            let _ = std::fs::remove_file(&out);
            let mut c = Command::new("atftp");
            for o in &opts {
                c.args(["--option", o]);
            }
            let st = c
                .args(["--get", "-r", file, "-l", &out, "127.0.0.1", &port])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("atftp");
            assert!(
                st.success() && same(&out, &format!("{root}/{file}")),
                "atftp {file} {opts:?}"
            );
        }
    }
    let _ = std::fs::remove_file(&out);
    let st = Command::new("tftp")
        .args([
            "127.0.0.1",
            &port,
            "-m",
            "binary",
            "-c",
            "get",
            "a.bin",
            &out,
        ])
        .status()
        .expect("tftp-hpa");
    assert!(
        st.success() && same(&out, &format!("{root}/a.bin")),
        "tftp-hpa"
    );
    let _ = std::fs::remove_file(&out);
    let st = Command::new("busybox")
        .args([
            "tftp",
            "-g",
            "-r",
            "a.bin",
            "-l",
            &out,
            "-b",
            "1024",
            "127.0.0.1",
            &port,
        ])
        .status()
        .expect("busybox tftp");
    assert!(
        st.success() && same(&out, &format!("{root}/a.bin")),
        "busybox tftp"
    );
    // netascii: LF becomes CRLF on the wire and back
    std::fs::write(format!("{root}/text.txt"), "one\ntwo\n").expect("text");
    let _ = std::fs::remove_file(&out);
    let st = Command::new("tftp")
        .args([
            "127.0.0.1",
            &port,
            "-m",
            "ascii",
            "-c",
            "get",
            "text.txt",
            &out,
        ])
        .status()
        .expect("tftp-hpa");
    assert!(
        st.success() && std::fs::read_to_string(&out).ok().as_deref() == Some("one\ntwo\n"),
        "netascii"
    );
}

#[test]
#[cfg_attr(not(all(pxe_root, has_atftp)), ignore = "needs root and atftp")]
fn tftp_rollover_traversal_and_writes() {
    if skip_unless(root_ok() && have("atftp"), "needs root and atftp") {
        return;
    }
    // 76,800 blocks of 8 bytes: block numbers roll over past 65535.
    let root = tftp_root("roll", &[("a.bin", 76_800 * 8)]);
    std::fs::write(
        std::env::temp_dir().join(format!("pxi-serve-{}-secret", std::process::id())),
        "secret",
    )
    .expect("secret");
    let (t, d, b) = ports();
    let _s = serve_lo(&root, t, d, b, &[]);
    let out = std::env::temp_dir()
        .join(format!("pxi-roll-{}", std::process::id()))
        .to_string_lossy()
        .to_string();
    let port = t.to_string();
    let st = Command::new("atftp")
        .args([
            "--option",
            "blksize 8",
            "--option",
            "windowsize 32",
            "--get",
            "-r",
            "a.bin",
            "-l",
            &out,
            "127.0.0.1",
            &port,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("atftp");
    assert!(
        st.success() && same(&out, &format!("{root}/a.bin")),
        "rollover transfer"
    );
    // a symlink inside the root that leads out of it
    let _ = std::os::unix::fs::symlink("/etc/passwd", format!("{root}/escape"));
    for bad in [
        "../pxi-serve-secret",
        "/../../etc/passwd",
        "..\\..\\etc\\passwd",
        "escape",
    ] {
        let o = Command::new("atftp")
            .args(["--get", "-r", bad, "-l", "/dev/null", "127.0.0.1", &port])
            .output()
            .expect("atftp");
        let text =
            String::from_utf8_lossy(&o.stderr).to_string() + &String::from_utf8_lossy(&o.stdout);
        assert!(
            !o.status.success() && text.contains("leaves the TFTP root"),
            "{bad}: {text}"
        );
    }
    let o = Command::new("atftp")
        .args(["--put", "-r", "up.bin", "-l", &out, "127.0.0.1", &port])
        .output()
        .expect("atftp");
    assert!(
        !o.status.success() && String::from_utf8_lossy(&o.stderr).contains("writes are refused")
    );
    assert!(!std::path::Path::new(&format!("{root}/up.bin")).exists());
}

#[test]
fn serve_refuses_bad_configuration() {
    let out = run(&["serve", "--tftp-root", "/tmp", "--boot", "bios=x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("explicit --interface"));
    let out = run(&[
        "serve",
        "-i",
        "lo",
        "--boot",
        "bios=x",
        "--fault",
        "no-such-fault",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown fault"));
    let out = run(&["serve", "-i", "lo", "--boot", "martian=x"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown family"));
    let cfg = std::env::temp_dir().join(format!("pxi-{}-bad.toml", std::process::id()));
    std::fs::write(&cfg, "interface = \"lo\"\nbogus_key = 1\n").expect("cfg");
    let out = run(&["serve", "--config", cfg.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bogus_key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Start serve in the server namespace, run `client` in the client namespace, return the
/// analysis of what serve's observer wrote.
fn fault_run(
    n: &Netns,
    root: &str,
    serve_extra: &[&str],
    client: impl FnOnce(&Netns),
    settle_ms: u64,
) -> serde_json::Value {
    let written = n.path(&format!(
        "serve-{}.pcapng",
        NEXT_PORT.fetch_add(1, Ordering::SeqCst)
    ));
    let b = bin();
    let mut args: Vec<String> = vec![
        b.to_string_lossy().into(),
        "serve".into(),
        "-i".into(),
        "vs0".into(),
        "--tftp-root".into(),
        root.into(),
        "--boot".into(),
        "bios=boot.0".into(),
        "--boot".into(),
        "efi-x64=boot.efi".into(),
        "--boot".into(),
        "efi-ia32=boot.efi".into(),
        "-w".into(),
        written.clone(),
        "-f".into(),
        "jsonl".into(),
    ];
    args.extend(serve_extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let mut s = n.spawn(&n.srv, &refs, "serve.log");
    std::thread::sleep(Duration::from_millis(800));
    client(n);
    std::thread::sleep(Duration::from_millis(settle_ms));
    let _ = Command::new("kill")
        .args(["-TERM", &s.id().to_string()])
        .status();
    let _ = s.wait();
    let (v, _) = analyze_json(&[&written], &[]);
    v
}

fn udhcpc(n: &Netns, extra: &[&str]) -> bool {
    let script = n.path("udhcpc.sh");
    std::fs::write(&script, "#!/bin/sh\n[ \"$1\" = bound ] && ip addr add \"$ip/24\" dev \"$interface\" 2>/dev/null\nexit 0\n").expect("script");
    let _ = Command::new("chmod").args(["+x", &script]).status();
    let mut args = vec![
        "busybox", "udhcpc", "-i", "vc0", "-n", "-q", "-f", "-t", "4", "-T", "1", "-s", &script,
    ];
    args.extend_from_slice(extra);
    n.exec(&n.cli, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn atftp(n: &Netns, file: &str, opts: &[&str]) {
    let mut args = vec!["timeout", "9", "atftp"];
    for o in opts {
        args.extend_from_slice(&["--option", o]);
    }
    args.extend_from_slice(&["--get", "-r", file, "-l", "/dev/null", SRV_IP]);
    let _ = n
        .exec(&n.cli, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// What a DHCP relay sends: a PXE DISCOVER with giaddr set, unicast from port 67 to the server
/// (python, since busybox has no relay). The relay address is the client namespace's own.
fn relayed_discover(n: &Netns) {
    let _ = Command::new("ip")
        .args(["-n", &n.cli, "addr", "add", "192.168.78.9/24", "dev", "vc0"])
        .status();
    let py = r#"
import socket, struct, time
mac = bytes.fromhex('020000000977')
opts = bytes([53,1,1, 60,32]) + b'PXEClient:Arch:00000:UNDI:002001' + bytes([93,2,0,0, 255])
pkt = struct.pack('!BBBBIHH4s4s4s4s16s64s128s4s', 1,1,6,1, 0x12345678, 0, 0,
    bytes(4), bytes(4), bytes(4), socket.inet_aton('192.168.78.9'),
    mac + bytes(10), bytes(64), bytes(128), bytes([99,130,83,99])) + opts
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('192.168.78.9', 67))
for _ in range(3):
    s.sendto(pkt, ('192.168.78.1', 67))
    time.sleep(0.5)
"#;
    let _ = n
        .exec(&n.cli, &["python3", "-c", py])
        .stdout(Stdio::null())
        .status();
}

const PXE_BIOS: &[&str] = &["-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000"];

#[test]
#[cfg_attr(
    not(all(pxe_root, has_busybox, has_atftp, has_python3)),
    ignore = "needs root, ip netns, busybox, atftp, python3"
)]
fn every_fault_produces_its_finding() {
    if skip_unless(
        can_netns() && have("busybox") && have("atftp") && have("python3"),
        "needs root, ip netns, busybox, atftp, python3",
    ) {
        return;
    }
    let n = Netns::new("flt");
    let root = n.path("tftp");
    std::fs::create_dir_all(&root).expect("root");
    std::fs::write(format!("{root}/boot.0"), vec![0xfau8; 20_000]).expect("bios file");
    let mut pe = vec![0u8; 20_000];
    pe[0] = b'M';
    pe[1] = b'Z';
    pe[0x3c] = 0x80;
    pe[0x80..0x84].copy_from_slice(b"PE\0\0");
    pe[0x84..0x86].copy_from_slice(&0x8664u16.to_le_bytes());
    pe[0x80 + 24 + 68] = 10;
    std::fs::write(format!("{root}/boot.efi"), &pe).expect("efi file");
    std::fs::write(format!("{root}/undionly.kpxe"), vec![0x55u8; 3000]).expect("ipxe");
    let dhcp = ["--dhcp-range", "192.168.78.100,192.168.78.150"];
    let reset = |n: &Netns| {
        let _ = Command::new("ip")
            .args(["-n", &n.cli, "addr", "flush", "dev", "vc0"])
            .status();
    };
    let with = |f: &str| -> Vec<String> {
        let mut v: Vec<String> = dhcp.iter().map(|s| s.to_string()).collect();
        v.extend(["--fault".into(), f.into()]);
        v
    };
    let check = |v: &serde_json::Value, id: &str, what: &str| {
        let ids = all_finding_ids(v);
        assert!(
            ids.contains(&id.to_string()),
            "{what}: expected {id}, got {ids:?}"
        );
    };
    type Client = Box<dyn Fn(&Netns)>;
    let fetch = |opts: &'static [&'static str]| -> Client {
        Box::new(move |n: &Netns| {
            assert!(udhcpc(n, PXE_BIOS), "lease");
            atftp(n, "boot.0", opts);
        })
    };
    let cases: Vec<(&str, Vec<String>, Client, u64, &str)> = vec![
        // 5 DISCOVERs a second apart: the written capture must span more than the rule's 3 s
        // (4 tries ended exactly at 3 s, a coin toss).
        (
            "dhcp-no-offer",
            with("dhcp-no-offer"),
            Box::new(|n: &Netns| {
                assert!(!udhcpc(n, &[PXE_BIOS, &["-t", "5"]].concat()));
            }),
            500,
            "dhcp-no-offer",
        ),
        (
            "dhcp-no-ack",
            with("dhcp-no-ack"),
            Box::new(|n: &Netns| {
                assert!(!udhcpc(n, &[PXE_BIOS, &["-t", "2"]].concat()));
            }),
            3_500,
            "dhcp-no-ack",
        ),
        (
            "dhcp-no-boot-file",
            with("dhcp-no-boot-file"),
            Box::new(|n: &Netns| {
                assert!(udhcpc(n, PXE_BIOS));
            }),
            300,
            "dhcp-no-boot-file",
        ),
        (
            "arch-mismatch",
            with("arch-mismatch"),
            Box::new(|n: &Netns| {
                assert!(udhcpc(
                    n,
                    &["-V", "PXEClient:Arch:00007:UNDI:003016", "-x", "0x5d:0007"]
                ));
                atftp(n, "boot.0", &[]);
            }),
            300,
            "arch-mismatch",
        ),
        (
            "tftp-file-not-found",
            with("tftp-file-not-found"),
            fetch(&[]),
            300,
            "tftp-file-not-found",
        ),
        (
            "tftp-error=2",
            with("tftp-error=2"),
            fetch(&[]),
            300,
            "tftp-error",
        ),
        (
            "tftp-options-ignored",
            with("tftp-options-ignored"),
            fetch(&["blksize 1024"]),
            300,
            "tftp-options-ignored",
        ),
        (
            "tftp-retransmits=25",
            with("tftp-retransmits=25"),
            fetch(&["blksize 2048"]),
            300,
            "tftp-retransmits",
        ),
        (
            "tftp-incomplete=5",
            with("tftp-incomplete=5"),
            fetch(&[]),
            6_000,
            "tftp-incomplete",
        ),
        (
            "boot-url-to-pxe-client",
            with("boot-url-to-pxe-client"),
            Box::new(|n: &Netns| {
                assert!(udhcpc(n, PXE_BIOS));
            }),
            300,
            "boot-url-to-pxe-client",
        ),
        (
            "boot-file-name-suspect",
            with("boot-file-name-suspect"),
            Box::new(|n: &Netns| {
                assert!(udhcpc(n, PXE_BIOS));
            }),
            300,
            "boot-file-name-suspect",
        ),
        (
            "relay-reply-misrouted",
            with("relay-reply-misrouted"),
            Box::new(|n: &Netns| relayed_discover(n)),
            300,
            "relay-reply-misrouted",
        ),
        (
            "proxy-missing-vendor-class",
            vec!["--fault".into(), "proxy-missing-vendor-class".into()],
            Box::new(|n: &Netns| {
                let _ = udhcpc(n, PXE_BIOS);
            }),
            300,
            "proxy-missing-vendor-class",
        ),
        (
            "dhcp-slow-offer=11",
            with("dhcp-slow-offer=11"),
            Box::new(|n: &Netns| {
                let script = n.path("udhcpc.sh");
                let _ = udhcpc(n, &[]); // writes the script
                let _ = n
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
                            "20",
                            "-T",
                            "1",
                            "-A",
                            "1",
                            "-s",
                            &script,
                            "-V",
                            "PXEClient:Arch:00000:UNDI:002001",
                        ],
                    )
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }),
            300,
            "dhcp-slow-offer",
        ),
    ];
    for (name, extra, client, settle, id) in cases {
        reset(&n);
        let refs: Vec<&str> = extra.iter().map(|s| s.as_str()).collect();
        let v = fault_run(&n, &root, &refs, |n| client(n), settle);
        check(&v, id, name);
    }
    // A non-PXE client gets nothing from proxy mode.
    reset(&n);
    let v = fault_run(
        &n,
        &root,
        &[],
        |n| {
            assert!(!udhcpc(n, &[]), "no lease from a proxy");
        },
        300,
    );
    assert!(
        sessions(&v)
            .iter()
            .all(|s| s["stages"].as_array().is_none_or(|st| st
                .iter()
                .all(|x| x["offers"].as_array().is_none_or(|o| o.is_empty())))),
        "proxy answered a non-PXE client"
    );
    // iPXE: the ROM gets undionly.kpxe, the loaded iPXE gets the script; with the fault, the binary again.
    for (fault, want) in [(false, "boot.ipxe"), (true, "undionly.kpxe")] {
        reset(&n);
        let mut extra = vec![
            "--dhcp-range",
            "192.168.78.100,192.168.78.150",
            "--boot",
            "bios=undionly.kpxe",
            "--ipxe-script",
            "boot.ipxe",
        ];
        if fault {
            extra.extend(["--fault", "ipxe-chainload-loop"]);
        }
        let ipxe: &[&str] = &[
            "-V",
            "PXEClient:Arch:00000:UNDI:002001",
            "-x",
            "0x5d:0000",
            "-x",
            "0x4d:69505845",
        ];
        let v = fault_run(
            &n,
            &root,
            &extra,
            |n| {
                assert!(udhcpc(n, ipxe));
                let _ = Command::new("ip")
                    .args(["-n", &n.cli, "addr", "flush", "dev", "vc0"])
                    .status();
                assert!(udhcpc(n, ipxe));
            },
            300,
        );
        let s = sessions(&v)
            .iter()
            .find(|s| s["pxe"] == true)
            .expect("session")
            .clone();
        let files: Vec<&str> = s["stages"]
            .as_array()
            .expect("stages")
            .iter()
            .filter_map(|st| st["boot_file"].as_str())
            .collect();
        assert_eq!(files.last().copied(), Some(want), "{files:?}");
        assert_eq!(
            finding_ids(&s).contains(&"ipxe-chainload-loop".to_string()),
            fault
        );
    }
}

/// The proxy faults need a second party: a plain DHCP server (a second serve in DHCP mode that
/// knows nothing of PXE) or a client that talks to port 4011 directly.
#[test]
#[cfg_attr(
    not(all(pxe_root, has_busybox, has_python3)),
    ignore = "needs root, ip netns, busybox, python3"
)]
fn proxy_faults_produce_their_findings() {
    if skip_unless(
        can_netns() && have("busybox") && have("python3"),
        "needs root, ip netns, busybox, python3",
    ) {
        return;
    }
    let n = Netns::new("pxy");
    let root = n.path("tftp");
    std::fs::create_dir_all(&root).expect("root");
    std::fs::write(format!("{root}/boot.0"), vec![1u8; 1000]).expect("file");
    // proxy-offer-late: the plain DHCP server answers at once, the proxy 3 s later.
    let b = bin();
    let mut plain = n.spawn(
        &n.srv,
        &[
            b.to_str().expect("bin"),
            "serve",
            "-i",
            "vs0",
            "--boot",
            "bios=boot.0",
            "--dhcp-range",
            "192.168.78.100,192.168.78.150",
            "--fault",
            "dhcp-no-boot-file",
            "--no-observe",
            "--bootserver-port",
            "4012",
        ],
        "plain.log",
    );
    let v = fault_run(
        &n,
        &root,
        &["--fault", "proxy-offer-late=3"],
        |n| {
            assert!(udhcpc(n, PXE_BIOS), "lease from the plain server");
        },
        4_000,
    );
    let _ = plain.kill();
    let _ = plain.wait();
    let ids = all_finding_ids(&v);
    assert!(ids.contains(&"proxy-offer-late".to_string()), "{ids:?}");
    // proxy-unanswered: a client asks the boot server on 4011 and hears nothing.
    let _ = Command::new("ip")
        .args(["-n", &n.cli, "addr", "flush", "dev", "vc0"])
        .status();
    assert!(Command::new("ip")
        .args([
            "-n",
            &n.cli,
            "addr",
            "add",
            "192.168.78.99/24",
            "dev",
            "vc0"
        ])
        .status()
        .expect("ip")
        .success());
    let script = r#"
import socket, time
m = bytearray(236); m[0]=1; m[1]=1; m[2]=6; m[4:8]=b'\x12\x34\x56\x78'; m[12:16]=bytes([192,168,78,99])
m[28:34]=bytes([0x52,0x54,0,9,9,9])
m += bytes([99,130,83,99, 53,1,3, 60,32]) + b'PXEClient:Arch:00000:UNDI:002001' + bytes([93,2,0,0, 255])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('192.168.78.99', 68))
for i in range(3):
    s.sendto(bytes(m), ('192.168.78.1', 4011)); time.sleep(1.5)
"#;
    let v = fault_run(
        &n,
        &root,
        &["--fault", "proxy-unanswered"],
        |n| {
            let _ = n.exec(&n.cli, &["python3", "-c", script]).status();
        },
        1_000,
    );
    let ids = all_finding_ids(&v);
    assert!(ids.contains(&"proxy-unanswered".to_string()), "{ids:?}");
}

/// The rules serve has no fault for, provoked on real traffic in namespaces: two DHCP servers,
/// a declined address, a NAK, no architecture, an unanswered ARP, an HTTP client with no URL,
/// a conflicting boot file, and blocks large enough to fragment.
#[test]
#[cfg_attr(
    not(all(pxe_root, has_busybox, has_atftp, has_python3)),
    ignore = "needs root, ip netns, busybox, atftp, python3"
)]
fn remaining_rules_fire_on_real_traffic() {
    if skip_unless(
        can_netns() && have("busybox") && have("atftp") && have("python3"),
        "needs root, ip netns, busybox, atftp, python3",
    ) {
        return;
    }
    let n = Netns::new("rul");
    let root = n.path("tftp");
    std::fs::create_dir_all(&root).expect("root");
    std::fs::write(format!("{root}/boot.0"), vec![7u8; 30_000]).expect("file");
    let b = bin();
    let bs = b.to_str().expect("bin");
    let dhcp = ["--dhcp-range", "192.168.78.100,192.168.78.150"];
    let flush = |n: &Netns| {
        let _ = Command::new("ip")
            .args(["-n", &n.cli, "addr", "flush", "dev", "vc0"])
            .status();
    };
    let want = |v: &serde_json::Value, id: &str| {
        let ids = all_finding_ids(v);
        assert!(ids.contains(&id.to_string()), "expected {id}: {ids:?}");
    };

    // dhcp-multiple-servers: a second DHCP server on the segment (SO_REUSEADDR: both hear DISCOVER).
    let mut second = n.spawn(
        &n.srv,
        &[
            bs,
            "serve",
            "-i",
            "vs0",
            "--boot",
            "bios=boot.0",
            "--dhcp-range",
            "192.168.78.200,192.168.78.210",
            "--server-ip",
            "192.168.78.2",
            "--no-observe",
            "--bootserver-port",
            "4013",
        ],
        "second.log",
    );
    let v = fault_run(
        &n,
        &root,
        &dhcp,
        |n| {
            let _ = udhcpc(n, PXE_BIOS);
        },
        500,
    );
    let _ = second.kill();
    let _ = second.wait();
    want(&v, "dhcp-multiple-servers");

    // arch-unknown: a PXEClient with neither option 93 nor Arch: in option 60.
    flush(&n);
    let v = fault_run(
        &n,
        &root,
        &dhcp,
        |n| {
            assert!(udhcpc(n, &["-V", "PXEClient"]));
        },
        300,
    );
    want(&v, "arch-unknown");

    // dhcp-decline: the offered address answers ARP (another host holds it), udhcpc declines.
    flush(&n);
    let _ = Command::new("ip")
        .args([
            "-n",
            &n.srv,
            "addr",
            "add",
            "192.168.78.100/24",
            "dev",
            "vs0",
        ])
        .status();
    let v = fault_run(
        &n,
        &root,
        &dhcp,
        |n| {
            let _ = udhcpc(n, &[]); // writes the script
            let script = n.path("udhcpc.sh");
            // After a DECLINE udhcpc waits and retries for ever: give it a few seconds.
            let _ = n
                .exec(
                    &n.cli,
                    &[
                        "timeout",
                        "6",
                        "busybox",
                        "udhcpc",
                        "-i",
                        "vc0",
                        "-n",
                        "-q",
                        "-f",
                        "-t",
                        "2",
                        "-T",
                        "1",
                        "-a",
                        "-s",
                        &script,
                        "-V",
                        "PXEClient:Arch:00000:UNDI:002001",
                    ],
                )
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        },
        300,
    );
    let _ = Command::new("ip")
        .args([
            "-n",
            &n.srv,
            "addr",
            "del",
            "192.168.78.100/24",
            "dev",
            "vs0",
        ])
        .status();
    want(&v, "dhcp-decline");

    // dhcp-nak: an INIT-REBOOT REQUEST for an address the server does not give this client.
    flush(&n);
    let nak = r#"
import socket, time
m = bytearray(236); m[0]=1; m[1]=1; m[2]=6; m[4:8]=b'\x0a\x0b\x0c\x0d'; m[10]=0x80
m[28:34]=bytes([0x52,0x54,0,8,8,8])
m += bytes([99,130,83,99, 53,1,3, 50,4,192,168,78,9, 60,32]) + b'PXEClient:Arch:00000:UNDI:002001' + bytes([93,2,0,0, 255])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, 25, b'vc0'); s.bind(('0.0.0.0', 68))
s.sendto(bytes(m), ('255.255.255.255', 67)); time.sleep(1)
"#;
    let v = fault_run(
        &n,
        &root,
        &dhcp,
        |n| {
            let _ = n.exec(&n.cli, &["python3", "-c", nak]).status();
        },
        300,
    );
    want(&v, "dhcp-nak");

    // arp-unanswered: the next-server does not exist, the client's ARP for it goes unanswered.
    flush(&n);
    let v = fault_run(
        &n,
        &root,
        &[
            "--dhcp-range",
            "192.168.78.100,192.168.78.150",
            "--server-ip",
            "192.168.78.77",
        ],
        |n| {
            assert!(udhcpc(n, PXE_BIOS));
            let _ = n
                .exec(
                    &n.cli,
                    &[
                        "timeout",
                        "5",
                        "atftp",
                        "--get",
                        "-r",
                        "boot.0",
                        "-l",
                        "/dev/null",
                        "192.168.78.77",
                    ],
                )
                .status();
        },
        300,
    );
    want(&v, "arp-unanswered");

    // http-boot-no-url: an HTTPClient, and serve has no --http-url to give it.
    flush(&n);
    let v = fault_run(
        &n,
        &root,
        &dhcp,
        |n| {
            let _ = udhcpc(
                n,
                &["-V", "HTTPClient:Arch:00016:UNDI:003000", "-x", "0x5d:0010"],
            );
        },
        300,
    );
    want(&v, "http-boot-no-url");

    // tftp-blksize-fragmented: blocks above the MTU.
    flush(&n);
    let v = fault_run(
        &n,
        &root,
        &dhcp,
        |n| {
            assert!(udhcpc(n, PXE_BIOS));
            atftp(n, "boot.0", &["blksize 4096"]);
        },
        300,
    );
    want(&v, "tftp-blksize-fragmented");

    // boot-file-conflict: a hand-made DHCP server whose offer says one file in `file` and another in option 67.
    flush(&n);
    let server = r#"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.setsockopt(socket.SOL_SOCKET, 25, b'vs0'); s.bind(('0.0.0.0', 67))
s.settimeout(8)
d, a = s.recvfrom(2048)
r = bytearray(d[:236]); r[0] = 2; r[16:20] = bytes([192,168,78,120]); r[20:24] = bytes([192,168,78,1])
r[108:108+8] = b'file.one'
r += bytes([99,130,83,99, 53,1,2, 54,4,192,168,78,1, 1,4,255,255,255,0, 67,8]) + b'file.two' + bytes([255]) + bytes(40)
s.sendto(bytes(r), ('255.255.255.255', 68))
"#;
    let mut fake = n.spawn(&n.srv, &["python3", "-c", server], "fake.log");
    std::thread::sleep(Duration::from_millis(300));
    let written = n.path("conflict.pcapng");
    let mut cap = n.spawn(
        &n.srv,
        &[bs, "capture", "vs0", "-w", &written, "--duration", "4"],
        "conflict-cap.log",
    );
    std::thread::sleep(Duration::from_millis(500));
    let _ = udhcpc(&n, &["-V", "PXEClient:Arch:00000:UNDI:002001", "-t", "2"]);
    let _ = cap.wait();
    let _ = fake.kill();
    let _ = fake.wait();
    let (v, _) = analyze_json(&[&written], &[]);
    want(&v, "boot-file-conflict");
}

/// `--tftp-only`: a TFTP server next to the site's own DHCP — no DHCP socket, no --boot; the
/// per-client cap is a flag; a missing file is answered "File not found" from a fresh TID.
#[test]
#[cfg_attr(
    not(all(pxe_root, has_atftp, has_tcpdump)),
    ignore = "needs root, atftp, tcpdump"
)]
fn tftp_only_serves_files_with_a_per_client_cap() {
    if skip_unless(
        root_ok() && have("atftp") && have("tcpdump"),
        "needs root, atftp, tcpdump",
    ) {
        return;
    }
    let root = tftp_root("only", &[("a.bin", 1 << 20), ("b.bin", 51_111)]);
    let (t, _, _) = ports();
    let b = bin();
    let mut s = Server(
        Command::new(&b)
            .args([
                "serve",
                "-i",
                "lo",
                "--tftp-only",
                "--tftp-root",
                &root,
                "--tftp-port",
            ])
            .arg(t.to_string())
            .args([
                "--max-transfers-per-client",
                "100",
                "--no-observe",
                "--duration",
                "60",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts"),
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        s.0.try_wait().expect("poll").is_none(),
        "serve --tftp-only runs without --boot"
    );
    // No DHCP socket: nothing listens on 67 for us (another process may, so ask ss for ours).
    let ss = Command::new("ss")
        .args(["-ulpn"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let pid = s.0.id().to_string();
    assert!(
        !ss.lines()
            .any(|l| l.contains(&format!("pid={pid},")) && l.contains(":67 ")),
        "{ss}"
    );
    let port = t.to_string();
    let get = |file: &str, out: &str| {
        Command::new("atftp")
            .args(["--get", "-r", file, "-l", out, "127.0.0.1", &port])
            .output()
            .expect("atftp")
    };
    let tmp = |n: &str| {
        std::env::temp_dir()
            .join(format!("pxi-only-{}-{n}", std::process::id()))
            .to_string_lossy()
            .to_string()
    };
    let o = tmp("b");
    assert!(
        get("b.bin", &o).status.success() && same(&o, &format!("{root}/b.bin")),
        "51111 bytes byte-exact"
    );
    // A missing file: error 1, sent from a fresh port (a TID), not from the server's port.
    let pcap = tmp("err.pcap");
    let mut dump = Command::new("tcpdump")
        .args(["-i", "lo", "--immediate-mode", "-U", "-w", &pcap, "udp"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(tmp("tcpdump.log")).expect("log"))
        .spawn()
        .expect("tcpdump");
    std::thread::sleep(Duration::from_millis(1200));
    let missing = get("nope.bin", &tmp("nope"));
    std::thread::sleep(Duration::from_millis(500));
    let _ = Command::new("kill")
        .args(["-INT", &dump.id().to_string()])
        .status();
    let _ = dump.wait();
    let text = String::from_utf8_lossy(&missing.stderr).to_string()
        + &String::from_utf8_lossy(&missing.stdout);
    assert!(
        text.contains("File not found") || text.contains("not found"),
        "{text}"
    );
    let (v, _) = analyze_json(&[&pcap], &["--tftp-port", &port]);
    let t0 = sessions(&v)
        .iter()
        .flat_map(|s| s["tftp"].as_array().cloned().unwrap_or_default())
        .find(|t| t["file"] == "nope.bin")
        .expect("the request is in the capture");
    assert_eq!(t0["error"]["code"], 1, "{t0}");
    assert_ne!(
        t0["server_port"],
        serde_json::json!(t),
        "the error came from port {t}: {t0}"
    );
    // 100 concurrent gets of 1 MiB from one address, with --max-transfers-per-client 100.
    let kids: Vec<_> = (0..100)
        .map(|i| {
            Command::new("atftp")
                .args([
                    "--option",
                    "blksize 1428",
                    "--get",
                    "-r",
                    "a.bin",
                    "-l",
                    &tmp(&format!("a{i}")),
                    "127.0.0.1",
                    &port,
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("atftp")
        })
        .collect();
    let ok = kids
        .into_iter()
        .map(|mut k| k.wait().is_ok_and(|s| s.success()))
        .filter(|x| *x)
        .count();
    assert_eq!(ok, 100, "all 100 concurrent transfers");
    for i in 0..100 {
        assert!(
            same(&tmp(&format!("a{i}")), &format!("{root}/a.bin")),
            "copy {i}"
        );
        let _ = std::fs::remove_file(tmp(&format!("a{i}")));
    }
}

/// With a second address on the interface, each transfer (and each error answer) comes from the
/// address its request went to: a client that matches replies by address (firmware does)
/// dropped the answers from the first address.
#[test]
#[cfg_attr(
    not(all(pxe_root, has_python3)),
    ignore = "needs root, ip netns, python3"
)]
fn tftp_answers_from_the_address_each_request_went_to() {
    if skip_unless(
        can_netns() && have("python3"),
        "needs root, ip netns, python3",
    ) {
        return;
    }
    let n = Netns::new("mad");
    for c in [
        vec!["-n", &n.srv, "addr", "add", "192.168.78.3/24", "dev", "vs0"],
        vec![
            "-n",
            &n.cli,
            "addr",
            "add",
            "192.168.78.50/24",
            "dev",
            "vc0",
        ],
    ] {
        assert!(Command::new("ip")
            .args(&c)
            .status()
            .is_ok_and(|s| s.success()));
    }
    let root = n.path("tftp");
    std::fs::create_dir_all(&root).expect("root");
    std::fs::write(format!("{root}/f.bin"), vec![7u8; 3000]).expect("file");
    let b = bin();
    let b = b.to_string_lossy();
    let mut s = n.spawn(
        &n.srv,
        &[
            &b,
            "serve",
            "-i",
            "vs0",
            "--tftp-only",
            "--tftp-root",
            &root,
            "--no-observe",
            "--duration",
            "30",
        ],
        "serve.log",
    );
    std::thread::sleep(Duration::from_millis(700));
    let py = r#"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for target in ("192.168.78.1", "192.168.78.3"):
    for name in (b"f.bin", b"missing.bin"):
        s.sendto(b"\x00\x01" + name + b"\x00octet\x00", (target, 69))
        data, addr = s.recvfrom(2048)
        if data[1] == 3:
            s.sendto(b"\x00\x05\x00\x00done\x00", addr)
        print(target, name.decode(), data[1], addr[0], addr[1] != 69)
"#;
    let out = n
        .exec(&n.cli, &["python3", "-c", py])
        .output()
        .expect("python3");
    let _ = Command::new("kill")
        .args(["-TERM", &s.id().to_string()])
        .status();
    let _ = s.wait();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text,
        "192.168.78.1 f.bin 3 192.168.78.1 True\n192.168.78.1 missing.bin 5 192.168.78.1 True\n\
         192.168.78.3 f.bin 3 192.168.78.3 True\n192.168.78.3 missing.bin 5 192.168.78.3 True\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
