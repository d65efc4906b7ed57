//! Micro-benchmarks of the hot paths on real frames from a lab capture: frame slicing (our L2
//! walker + etherparse), DHCPv4 decoding (ours vs dhcproto), TFTP decoding, and the whole
//! pipeline (decode + session update + diagnosis) per frame. `cargo bench`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use pxe_inspect::diag::DiagConfig;
use pxe_inspect::pipeline::Pipeline;
use pxe_inspect::session::TrackerConfig;
use pxe_inspect::source::{CaptureReader, Frame};
use pxe_inspect::wire::defrag::Defragmenter;
use pxe_inspect::wire::dhcp4::Dhcp4;
use pxe_inspect::wire::link::{decode_frame, Decoded};
use pxe_inspect::wire::tftp::Tftp;

fn frames() -> Vec<Frame> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/lab-bios-dnsmasq.pcap");
    let mut r = CaptureReader::open(path, 0).expect("sample");
    let mut v = Vec::new();
    while let Ok(Some(f)) = r.next_frame() {
        v.push(f);
    }
    v
}

fn udp_payload(f: &Frame) -> Option<(u16, u16, Vec<u8>)> {
    let mut d = Defragmenter::default();
    match decode_frame(f.linktype, &f.data, &mut d, f.ts_ns) {
        Ok(Decoded::Udp(u)) => Some((u.sport, u.dport, u.payload.to_vec())),
        _ => None,
    }
}

fn bench(c: &mut Criterion) {
    let all = frames();
    let bytes: u64 = all.iter().map(|f| f.data.len() as u64).sum();
    let dhcp_frame = all
        .iter()
        .find(|f| udp_payload(f).is_some_and(|(s, d, _)| s == 67 || d == 67))
        .expect("a DHCP frame")
        .clone();
    let data_frame = all
        .iter()
        .find(|f| udp_payload(f).is_some_and(|(_, _, p)| p.len() > 1000 && p.starts_with(&[0, 3])))
        .expect("a TFTP DATA frame")
        .clone();
    let dhcp = udp_payload(&dhcp_frame).map(|x| x.2).unwrap_or_default();
    let data = udp_payload(&data_frame).map(|x| x.2).unwrap_or_default();

    let mut g = c.benchmark_group("slice");
    g.throughput(Throughput::Bytes(data_frame.data.len() as u64));
    g.bench_function("tftp data frame", |b| {
        let mut d = Defragmenter::default();
        b.iter(|| black_box(decode_frame(1, black_box(&data_frame.data), &mut d, 0).is_ok()))
    });
    g.finish();

    let mut g = c.benchmark_group("dhcp decode");
    g.throughput(Throughput::Bytes(dhcp.len() as u64));
    g.bench_function("pxe-inspect walker", |b| {
        b.iter(|| {
            black_box(
                Dhcp4::parse(black_box(&dhcp))
                    .map(|m| m.options.len())
                    .unwrap_or(0),
            )
        })
    });
    g.bench_function("dhcproto", |b| {
        use dhcproto::{Decodable, Decoder};
        b.iter(|| {
            black_box(dhcproto::v4::Message::decode(&mut Decoder::new(black_box(&dhcp))).is_ok())
        })
    });
    g.finish();

    let mut g = c.benchmark_group("tftp decode");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("data block", |b| {
        b.iter(|| {
            black_box(matches!(
                Tftp::decode(black_box(&data)),
                Ok(Tftp::Data { .. })
            ))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("lab boot, all frames", |b| {
        b.iter(|| {
            let mut p = Pipeline::new(TrackerConfig::default(), DiagConfig::default());
            for f in &all {
                black_box(p.push(f));
            }
            black_box(p.finish().len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
