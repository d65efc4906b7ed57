//! `pxe-inspect lint`: each broken configuration of the test set (tests/lint/) names the finding
//! it would cause at boot, with its line; the working ones are quiet (exit 0); an unreadable
//! file is exit 2.

mod common;
use common::*;

fn lint(name: &str) -> (Option<i32>, serde_json::Value) {
    let path = format!("{}/tests/lint/{name}", env!("CARGO_MANIFEST_DIR"));
    let out = run(&["lint", "-f", "json", &path]);
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code(), v)
}

#[test]
fn broken_configurations_name_the_finding_and_the_line() {
    for (file, id, line, kind) in [
        ("bad-seed-001.conf", "arch-mismatch", 7, "dnsmasq"),
        ("bad-ipxe-loop.conf", "ipxe-chainload-loop", 7, "dnsmasq"),
        ("bad-missing-file.conf", "tftp-file-not-found", 8, "dnsmasq"),
        ("bad-proxy-nothing.conf", "dhcp-no-boot-file", 2, "dnsmasq"),
        (
            "bad-pxe-service-missing.conf",
            "tftp-file-not-found",
            7,
            "dnsmasq",
        ),
        (
            "bad-url-for-all.conf",
            "boot-url-to-pxe-client",
            3,
            "dnsmasq",
        ),
        (
            "bad-serve-bios-only.toml",
            "dhcp-no-boot-file",
            5,
            "serve-toml",
        ),
    ] {
        let (code, v) = lint(file);
        assert_eq!(v["schema"], "pxe-inspect/lint/1", "{file}");
        assert_eq!(v["kind"], kind, "{file}: told apart by content");
        let ps = v["problems"].as_array().expect("problems");
        assert!(
            ps.iter().any(|p| p["id"] == id && p["line"] == line),
            "{file}: want {id} at line {line}, got {ps:?}"
        );
        assert_eq!(code, Some(1), "{file}: an error-level problem");
        assert!(ps
            .iter()
            .all(|p| p["hint"].as_str().is_some_and(|h| !h.is_empty())));
    }
}

#[test]
fn working_configurations_are_quiet() {
    for file in [
        "ok-dnsmasq-by-arch.conf",
        "ok-dnsmasq-proxy.conf",
        "ok-dnsmasq-ipv6.conf",
        "ok-serve.toml",
    ] {
        let (code, v) = lint(file);
        assert_eq!(v["problems"], serde_json::json!([]), "{file}");
        assert_eq!(code, Some(0), "{file}");
    }
}

#[test]
fn unreadable_or_unparseable_is_exit_2() {
    let out = run(&["lint", "/nonexistent/dnsmasq.conf"]);
    assert_eq!(out.status.code(), Some(2));
    let bad = std::env::temp_dir().join(format!("pxe-lint-{}.toml", std::process::id()));
    std::fs::write(&bad, "[boot\nbios = \"x\"\n").expect("write");
    let out = run(&["lint", bad.to_str().expect("utf-8")]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
