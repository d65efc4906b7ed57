//! Shell completions and man pages come from the clap definitions: every subcommand and every
//! long option must be in them, and the scripts must parse in their shells.

mod common;
use clap::CommandFactory;
use common::*;
use pxe_inspect::cli::Cli;
use std::process::{Command, Stdio};

fn subcommands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .filter(|n| n != "help")
        .collect()
}

#[test]
fn completions_cover_every_subcommand_and_parse() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        for sub in subcommands() {
            assert!(text.contains(&sub), "{shell} completion lacks `{sub}`");
        }
        for opt in [
            "--verify-arch",
            "--fail-on",
            "--tftp-root",
            "--until-booted",
        ] {
            assert!(
                text.contains(opt.trim_start_matches('-')),
                "{shell} completion lacks {opt}"
            );
        }
        // The script must be valid in its own shell where that shell is installed.
        let check = match shell {
            "bash" => Some(("bash", vec!["-n"])),
            "zsh" => Some(("zsh", vec!["-n"])),
            "fish" => Some(("fish", vec!["--no-execute"])),
            _ => None,
        };
        if let Some((sh, args)) = check {
            if have(sh) {
                let path =
                    std::env::temp_dir().join(format!("pxi-compl-{}.{shell}", std::process::id()));
                std::fs::write(&path, &text).expect("write");
                let st = Command::new(sh)
                    .args(&args)
                    .arg(&path)
                    .stderr(Stdio::piped())
                    .output()
                    .expect("shell");
                assert!(
                    st.status.success(),
                    "{shell} rejects the completion script: {}",
                    String::from_utf8_lossy(&st.stderr)
                );
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    assert_eq!(
        run(&["completions", "tcsh"]).status.code(),
        Some(2),
        "unknown shell is a usage error"
    );
}

#[test]
fn man_pages_for_every_subcommand() {
    let dir = std::env::temp_dir().join(format!("pxi-man-{}", std::process::id()));
    let d = dir.to_string_lossy().to_string();
    assert_eq!(run(&["manpage", "--dir", &d]).status.code(), Some(0));
    let main = std::fs::read_to_string(dir.join("pxe-inspect.1")).expect("main page");
    assert!(main.starts_with(".ie") || main.contains(".TH"), "roff");
    for sub in subcommands() {
        let page = std::fs::read_to_string(dir.join(format!("pxe-inspect-{sub}.1")))
            .unwrap_or_else(|_| panic!("page for {sub}"));
        assert!(page.contains(".TH"), "{sub}: roff title");
        assert!(main.contains(&sub), "main page lists {sub}");
        let cmd = Cli::command();
        let sc = cmd.find_subcommand(&sub).expect("subcommand");
        for a in sc.get_arguments().filter_map(|a| a.get_long()) {
            assert!(
                page.contains(&a.replace('-', "\\-")) || page.contains(a),
                "{sub}: page lacks --{a}"
            );
        }
        if have("man") {
            let out = Command::new("man")
                .args(["-l", "-Tutf8"])
                .arg(dir.join(format!("pxe-inspect-{sub}.1")))
                .env("MANWIDTH", "100")
                .output()
                .expect("man");
            assert!(
                out.status.success() && !out.stdout.is_empty(),
                "{sub}: man renders it"
            );
        }
    }
    let stdout = run(&["manpage"]);
    assert!(
        String::from_utf8_lossy(&stdout.stdout).contains(".TH"),
        "manpage prints the main page"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
