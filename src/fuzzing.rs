//! The fuzz targets' bodies (fuzz/fuzz_targets/*.rs call these; tests/fuzz_regressions.rs
//! replays saved crashers through them). Each takes arbitrary bytes and must never panic;
//! the asserts inside are properties that hold for any input.

pub mod capture_reader {
    use crate::source::CaptureReader;
    /// The capture readers (pcap, pcapng, gzip, zstd) on arbitrary bytes: every frame they yield
    /// must be self-consistent, and the read must end (cleanly or with a positioned error).
    pub fn run(data: &[u8]) {
        let Ok(mut r) = CaptureReader::from_read_sized(
            "fuzz",
            0,
            Box::new(std::io::Cursor::new(data.to_vec())),
            16 * 1024,
        ) else {
            return;
        };
        let mut frames = 0u64;
        while let Ok(Some(f)) = r.next_frame() {
            frames += 1;
            assert_eq!(
                f.number, frames,
                "frames are numbered 1, 2, 3 … as tshark numbers them"
            );
            r.recycle(f.data);
            if frames > 1_000_000 {
                break;
            }
        }
        let end = r.end();
        let _ = end.message;
    }
}

pub mod frame_decode {
    use crate::wire::defrag::Defragmenter;
    use crate::wire::link::decode_frame;
    /// Ethernet, raw IP (101, 228, 229), Linux SLL and SLL2, BSD loopback, and one the decoder
    /// does not know (802.11), for its error path. examples/fuzz_seeds.rs numbers seeds by it.
    pub const LINKTYPES: [u32; 8] = [1, 101, 113, 276, 0, 228, 229, 105];
    /// Frame decoding for every link type the analyzer knows, on arbitrary bytes. The first byte
    /// picks the link type so one corpus reaches all of them.
    pub fn run(data: &[u8]) {
        let Some((&pick, frame)) = data.split_first() else {
            return;
        };
        let linktype = LINKTYPES[usize::from(pick) % LINKTYPES.len()];
        let mut defrag = Defragmenter::default();
        // Twice through the same defragmenter: the second pass may complete a fragment train.
        for now in [0i64, 1_000_000] {
            let _ = decode_frame(linktype, frame, &mut defrag, now);
        }
        // The plain-UDP fast path and the general path agree wherever the fast one applies.
        if let Some(fast) = crate::wire::link::plain_udp4(frame) {
            let general =
                crate::wire::link::decode_frame_general(1, frame, &mut Defragmenter::default(), 0);
            assert_eq!(
                format!("{:?}", Ok::<_, crate::wire::link::DecodeError>(fast)),
                format!("{general:?}")
            );
        }
    }
}

pub mod dhcp_session {
    use crate::diag::DiagConfig;
    use crate::pipeline::Pipeline;
    use crate::session::TrackerConfig;
    use crate::source::Frame;
    use etherparse::PacketBuilder;
    const CLIENT_MAC: [u8; 6] = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
    const SERVER_MAC: [u8; 6] = [0x52, 0x54, 0, 0xaa, 0xbb, 0xcc];
    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let (c4, s4) = ([192, 168, 1, 50], [192, 168, 1, 1]);
        let (c6, s6) = (
            [
                0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0, 0xff, 0xfe, 0x12, 0x34, 0x56,
            ],
            [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        );
        let v4 = |src_mac, dst_mac, src, dst, sp, dp| {
            PacketBuilder::ethernet2(src_mac, dst_mac)
                .ipv4(src, dst, 64)
                .udp(sp, dp)
        };
        let v6 = |src_mac, dst_mac, src, dst, sp, dp| {
            PacketBuilder::ethernet2(src_mac, dst_mac)
                .ipv6(src, dst, 64)
                .udp(sp, dp)
        };
        let b = match kind % 10 {
            0 => v4(CLIENT_MAC, [0xff; 6], [0, 0, 0, 0], [255; 4], 68, 67),
            1 => v4(SERVER_MAC, [0xff; 6], s4, [255; 4], 67, 68),
            2 => v4(CLIENT_MAC, SERVER_MAC, c4, s4, 68, 4011),
            3 => v4(SERVER_MAC, CLIENT_MAC, s4, c4, 4011, 68),
            4 => v4(CLIENT_MAC, SERVER_MAC, c4, s4, 2070, 69),
            5 => v4(SERVER_MAC, CLIENT_MAC, s4, c4, 40000, 2070),
            6 => v4(CLIENT_MAC, SERVER_MAC, c4, s4, 2070, 40000),
            7 => v6(
                CLIENT_MAC,
                [0x33, 0x33, 0, 1, 0, 2],
                c6,
                [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2],
                546,
                547,
            ),
            8 => v6(SERVER_MAC, CLIENT_MAC, s6, c6, 547, 546),
            _ => v4(CLIENT_MAC, SERVER_MAC, c4, s4, 49152, 80),
        };
        let mut out = Vec::with_capacity(b.size(payload.len()));
        if b.write(&mut out, payload).is_err() {
            out.clear();
        }
        out
    }
    /// DHCPv4, DHCPv6, proxyDHCP (4011) and TFTP payloads carried into the session tracker and the
    /// diagnosis rules. The input is a sequence of packets, each `[kind][len][payload…]`; the kind
    /// chooses ports and direction, so one input can build a whole (hostile) boot conversation
    /// between one client and one server.
    pub fn run(data: &[u8]) {
        let mut pipe = Pipeline::new(TrackerConfig::default(), DiagConfig::default());
        let mut rest = data;
        let mut number = 0u64;
        while rest.len() >= 2 {
            let (kind, len) = (rest[0], usize::from(rest[1]) * 4);
            let take = len.min(rest.len() - 2);
            let payload = &rest[2..2 + take];
            rest = &rest[2 + take..];
            number += 1;
            // Time moves 0.7 s per packet, so timeouts and stalls are reached too.
            let f = Frame {
                input: 0,
                number,
                ts_ns: 1_700_000_000_000_000_000 + number as i64 * 700_000_000,
                linktype: 1,
                data: frame(kind, payload),
                orig_len: 0,
                offset: 0,
            };
            let f = Frame {
                orig_len: f.data.len() as u32,
                ..f
            };
            for s in pipe.push(&f) {
                let _ = serde_json::to_vec(&s);
            }
        }
        for s in pipe.finish() {
            let _ = serde_json::to_vec(&s);
        }
    }
}

pub mod tftp_codec {
    use crate::wire::tftp::Tftp;
    /// The hand-written TFTP codec: decoding never panics, and whatever decodes re-encodes to bytes
    /// that decode to the same packet (decode → encode → decode).
    pub fn run(data: &[u8]) {
        if let Ok(p) = Tftp::decode(data) {
            let bytes = p.encode();
            let again = Tftp::decode(&bytes).expect("our own encoding decodes");
            assert_eq!(format!("{p:?}"), format!("{again:?}"));
        }
    }
}

pub mod analyze_pipeline {
    use crate::diag::DiagConfig;
    use crate::pipeline::Pipeline;
    use crate::render::{self, Style};
    use crate::report::{self, InputInfo, Report};
    use crate::session::TrackerConfig;
    use crate::source::CaptureReader;
    /// The whole `analyze` path on one capture file's bytes: read, decode, track sessions,
    /// diagnose, and render every output format.
    pub fn run(data: &[u8]) {
        let Ok(mut reader) = CaptureReader::from_read_sized(
            "fuzz.pcap",
            0,
            Box::new(std::io::Cursor::new(data.to_vec())),
            16 * 1024,
        ) else {
            return;
        };
        let mut pipe = Pipeline::new(TrackerConfig::default(), DiagConfig::default());
        let mut sessions = Vec::new();
        while let Ok(Some(f)) = reader.next_frame() {
            sessions.extend(pipe.push(&f));
            reader.recycle(f.data);
        }
        sessions.extend(pipe.finish());
        let inputs = vec![InputInfo {
            index: 0,
            path: "fuzz.pcap".into(),
            format: reader.format.to_string(),
            compressed: reader.compressed,
            linktypes: reader.linktypes.clone(),
            frames: reader.frames_read(),
            end: Some(reader.end()),
            error: None,
        }];
        let findings = crate::diag::capture::capture_findings(&inputs, &pipe.stats);
        let r = Report {
            schema: report::SCHEMA,
            tool: report::tool_version(),
            inputs,
            sessions,
            findings,
            stats: pipe.stats.clone(),
        };
        let style = Style {
            color: false,
            absolute_time: false,
        };
        let mut out = Vec::new();
        let _ = render::table::write(&mut out, &r, &style, true);
        let _ = render::timeline::write(&mut out, &r, &style, true);
        let _ = render::mermaid::write(&mut out, &r, true);
        let _ = serde_json::to_writer(&mut out, &r);
        let _ = render::html::render(&r, "fuzz");
    }
}

pub mod serve_packet {
    use crate::proto::Family;
    use crate::serve::dhcp::{DhcpConfig, DhcpFaults, DhcpResponder, Pool};
    use crate::serve::tftp::{on_request, FileStore, Incoming, TftpFaults};
    use std::collections::BTreeMap;
    use std::net::{Ipv4Addr, SocketAddrV4};
    use std::sync::OnceLock;
    fn store() -> &'static FileStore {
        static STORE: OnceLock<FileStore> = OnceLock::new();
        STORE.get_or_init(|| {
            let root = std::env::temp_dir().join(format!("pxe-fuzz-root-{}", std::process::id()));
            let _ = std::fs::create_dir_all(root.join("efi"));
            let _ = std::fs::write(root.join("undionly.kpxe"), vec![0x55u8; 3000]);
            let _ = std::fs::write(root.join("efi/ipxe.efi"), vec![0x4du8; 700]);
            FileStore::new(&root).expect("fuzz root")
        })
    }
    fn config(pool: bool) -> DhcpConfig {
        let mut boot = BTreeMap::new();
        boot.insert(Family::Bios, "undionly.kpxe".to_string());
        boot.insert(Family::EfiX64, "efi/ipxe.efi".to_string());
        DhcpConfig {
            boot_codes: Default::default(),
            server_ip: Ipv4Addr::new(10, 0, 0, 1),
            pool: pool.then(|| Pool {
                start: Ipv4Addr::new(10, 0, 0, 100),
                end: Ipv4Addr::new(10, 0, 0, 103),
                netmask: Ipv4Addr::new(255, 255, 255, 0),
                router: None,
                dns: vec![],
                lease_secs: 60,
                static_hosts: BTreeMap::new(),
            }),
            boot,
            ipxe_script: Some("boot.ipxe".into()),
            http_url: Some("http://10.0.0.1/boot.efi".into()),
            faults: DhcpFaults::default(),
            fault_for: vec![],
        }
    }
    /// What `serve` does with packets from the network: the DHCP/proxyDHCP responder (both modes)
    /// and the TFTP server's request handling and running transfer, on arbitrary bytes. Asserts the
    /// safety rules that hold for any input: proxy mode never offers an address, and no reply ever
    /// names a file outside the root.
    pub fn run(data: &[u8]) {
        let Some((&sel, bytes)) = data.split_first() else {
            return;
        };
        let src = SocketAddrV4::new(Ipv4Addr::new(0, 0, 0, 0), 68);
        for pool in [false, true] {
            let mut r = DhcpResponder::new(config(pool));
            for (i, port) in [67u16, 4011].into_iter().enumerate() {
                for reply in r.handle(bytes, src, port, i as i64, 67, 4011) {
                    if !pool {
                        // proxyDHCP never hands out addresses: yiaddr (bytes 16..20) stays zero
                        assert!(
                            reply.bytes.get(16..20).is_none_or(|y| y == [0, 0, 0, 0]),
                            "proxy offered an address"
                        );
                    }
                }
            }
        }
        let faults = TftpFaults {
            ignore_options: sel & 1 == 1,
            ..TftpFaults::default()
        };
        match on_request(store(), bytes, 0, &faults, sel & 2 == 2) {
            Incoming::Start(mut t, _) => {
                // Feed the same bytes back as the client's next packet, then let it time out.
                let _ = t.on_packet(bytes, 1);
                let _ = t.on_packet(&[0, 4, 0, sel], 2);
                let _ = t.on_timeout(10_000_000_000);
            }
            Incoming::Reply(_) | Incoming::Ignore => {}
        }
    }
}
