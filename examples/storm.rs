//! Write a deterministic synthetic boot storm (src/synth.rs) as a pcap file.
//! Usage: storm OUT.pcap|- [--clients N | --size-mb M] [--seed S] [--rate R] [--uefi-percent P]
//!        [--fail-percent P] [--bios-bytes B] [--efi-bytes B] [--windowsize W] [--blksize B]
//!        [--vlans N] [--fragment-share P] [--ipxe-share P] [--proxy-share P] [--http-share P]
//!        [--manifest FILE.json]
//! Prints the scenario counts (and so the findings `analyze` must report) as JSON on stdout.

use clap::Parser;
use pxe_inspect::source::writer::CaptureWriter;
use pxe_inspect::synth::{write_root, Storm, StormConfig};

#[derive(Parser)]
struct Args {
    /// Capture to write (classic pcap if it ends in .pcap, else pcapng); "-": classic pcap on
    /// stdout, to pipe into `pxe-inspect analyze -` (the summary then goes to stderr).
    out: String,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    clients: Option<u64>,
    /// Stop after about this many MB of capture (with --clients unset: as many clients as it takes).
    #[arg(long)]
    size_mb: Option<u64>,
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
    #[arg(long, default_value_t = 50)]
    uefi_percent: u8,
    #[arg(long, default_value_t = 10)]
    fail_percent: u8,
    #[arg(long, default_value_t = 70_000)]
    bios_bytes: usize,
    #[arg(long, default_value_t = 1_000_000)]
    efi_bytes: usize,
    #[arg(long)]
    windowsize: Option<u16>,
    #[arg(long)]
    blksize: Option<u16>,
    /// Tag frames with 802.1Q: client i on VLAN 100 + i % N (0: untagged).
    #[arg(long, default_value_t = 0)]
    vlans: u16,
    /// Percent of (healthy) clients asking blksize 8192 (over the MTU: DATA as IPv4 fragments).
    #[arg(long, default_value_t = 0)]
    fragment_share: u8,
    /// Percent of (healthy) clients that run iPXE and come back as iPXE for boot.ipxe.
    #[arg(long, default_value_t = 0)]
    ipxe_share: u8,
    /// Percent of (healthy) clients on a segment with an address-only DHCP server and a
    /// proxyDHCP server (10.0.0.2) that hands the boot file (UEFI asks it again on port 4011).
    #[arg(long, default_value_t = 0)]
    proxy_share: u8,
    /// Percent of (healthy) UEFI clients that are UEFI HTTP boot firmware (arch 16, vendor
    /// class HTTPClient): handed http://10.0.0.1/ipxe.efi, fetched over TCP (HEAD, then GET).
    #[arg(long, default_value_t = 0)]
    http_share: u8,
    #[arg(long)]
    manifest: Option<String>,
}

fn main() {
    let a = Args::parse();
    // With only a size, estimate clients from the mean bytes per client (about 1.1× the files).
    let per_client = (a.bios_bytes as f64 * f64::from(100 - a.uefi_percent.min(100))
        + a.efi_bytes as f64 * f64::from(a.uefi_percent.min(100)))
        / 100.0
        * 1.02
        + 2500.0;
    let clients = a.clients.unwrap_or_else(|| {
        a.size_mb
            .map(|m| (m as f64 * 1_048_576.0 / per_client).ceil() as u64 + 1)
            .unwrap_or(100)
    });
    let cfg = StormConfig {
        seed: a.seed,
        clients,
        rate: a.rate,
        uefi_percent: a.uefi_percent,
        fail_percent: a.fail_percent,
        bios_file_bytes: a.bios_bytes,
        efi_file_bytes: a.efi_bytes,
        windowsize: a.windowsize,
        blksize: a.blksize,
        vlans: a.vlans,
        fragment_percent: a.fragment_share.min(100),
        ipxe_percent: a.ipxe_share.min(100),
        proxy_percent: a.proxy_share.min(100),
        http_percent: a.http_share.min(100),
    };
    let root = std::env::temp_dir().join(format!("pxe-storm-root-{}", std::process::id()));
    let fail = |m: String| -> ! {
        eprintln!("storm: {m}");
        std::process::exit(2)
    };
    write_root(&root, &cfg).unwrap_or_else(|e| fail(format!("{}: {e}", root.display())));
    let mut storm =
        Storm::new(cfg, &root, a.manifest.is_some()).unwrap_or_else(|e| fail(e.to_string()));
    // "-": classic pcap on stdout (to pipe into `analyze -`); the summary goes to stderr.
    let to_stdout = a.out == "-";
    let mut w = if to_stdout {
        CaptureWriter::to_stream(
            Box::new(std::io::BufWriter::with_capacity(
                256 << 10,
                std::io::stdout(),
            )),
            1,
            false,
        )
    } else {
        CaptureWriter::create(&a.out, 1)
    }
    .unwrap_or_else(|e| fail(format!("{}: {e}", a.out)));
    let (mut frames, mut bytes) = (0u64, 0u64);
    for (ts, f) in storm.by_ref() {
        frames += 1;
        bytes += f.len() as u64 + 16;
        w.write(1, ts, &f, f.len() as u32)
            .unwrap_or_else(|e| fail(format!("{}: {e}", a.out)));
    }
    w.flush()
        .unwrap_or_else(|e| fail(format!("{}: {e}", a.out)));
    let _ = std::fs::remove_dir_all(&root);
    let expected: serde_json::Map<String, serde_json::Value> = storm
        .expected()
        .iter()
        .map(|(s, n)| {
            (
                serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                (*n).into(),
            )
        })
        .collect();
    let summary = serde_json::json!({"clients": clients, "frames": frames, "bytes": bytes, "scenarios": expected});
    if to_stdout {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    if let (Some(path), Some(m)) = (&a.manifest, &storm.manifest) {
        let text = serde_json::to_string_pretty(m).unwrap_or_default();
        std::fs::write(path, text).unwrap_or_else(|e| fail(format!("{path}: {e}")));
    }
}
