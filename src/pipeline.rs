//! Frame -> wire -> session::Tracker -> diag. The one path every subcommand feeds frames into;
//! it never touches files, sockets or clocks.

use crate::diag::{self, DiagConfig};
use crate::model::{BootSession, FrameRef};
use crate::session::{TftpVerdict, Tracker, TrackerConfig};
use crate::source::file::FrameMeta;
use crate::source::Frame;
use crate::wire::defrag::Defragmenter;
use crate::wire::dhcp4::Dhcp4;
use crate::wire::dhcp6::Dhcp6;
use crate::wire::link::{decode_frame, DecodeErrorKind, Decoded};
use crate::wire::Layer;
use serde::Serialize;
use std::collections::BTreeMap;

/// One decode problem, with where it was found.
#[derive(Debug, Clone, Serialize)]
pub struct DecodeIssue {
    pub input: usize,
    pub frame: u64,
    pub layer: Layer,
    /// Byte offset inside the frame (for `capture` layer issues: inside the file).
    pub offset: u64,
    pub what: String,
    /// The packet was cut by the capture's snaplen (the problem may be the cut, not the
    /// sender); what `analysis-truncated` cites. Not in the JSON (its text says so).
    #[serde(skip)]
    pub cut_by_snaplen: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub frames: u64,
    pub bytes: u64,
    pub dhcpv4: u64,
    pub dhcpv6: u64,
    pub tftp: u64,
    pub arp: u64,
    pub icmp_unreachable: u64,
    pub other: u64,
    pub fragments: u64,
    /// Frames cut short by the capture's snaplen (captured < original length).
    pub snaplen_cut: u64,
    /// Decode problems per layer.
    pub malformed: BTreeMap<String, u64>,
    /// The first problems, with frame numbers and byte offsets.
    pub malformed_samples: Vec<DecodeIssue>,
    pub unknown_linktypes: BTreeMap<u32, u64>,
    /// Frames whose timestamp is earlier than one already seen.
    pub timestamps_backwards: u64,
    /// Largest forward gap between consecutive frames, in seconds.
    pub largest_time_gap_s: f64,
    pub sessions: u64,
    pub sessions_capped: u64,
    /// DHCP messages and TFTP transfers left out because one client exceeded its per-session cap.
    pub records_capped: u64,
    pub tftp_unmatched: u64,
    pub defrag_dropped: u64,
}

const MAX_SAMPLES: usize = 20;

pub struct Pipeline {
    pub tracker: Tracker,
    defrag: Defragmenter,
    pub stats: Stats,
    diag: DiagConfig,
    last_ts: Option<i64>,
    max_ts: i64,
    /// Live sources: the wall clock we listened until (quiet time counts as capture time).
    listened_until: i64,
    closed: Vec<BootSession>,
}

impl Pipeline {
    pub fn new(tcfg: TrackerConfig, diag: DiagConfig) -> Pipeline {
        Pipeline {
            tracker: Tracker::new(tcfg),
            defrag: Defragmenter::default(),
            stats: Stats::default(),
            diag,
            last_ts: None,
            max_ts: i64::MIN,
            listened_until: i64::MIN,
            closed: Vec::new(),
        }
    }

    fn issue(&mut self, input: usize, frame: u64, layer: Layer, offset: u64, what: String) {
        self.issue_in(input, frame, layer, offset, what, false);
    }

    fn issue_in(
        &mut self,
        input: usize,
        frame: u64,
        layer: Layer,
        offset: u64,
        what: String,
        cut_by_snaplen: bool,
    ) {
        *self
            .stats
            .malformed
            .entry(layer.name().to_string())
            .or_insert(0) += 1;
        if self.stats.malformed_samples.len() < MAX_SAMPLES {
            self.stats.malformed_samples.push(DecodeIssue {
                input,
                frame,
                layer,
                offset,
                what,
                cut_by_snaplen,
            });
        }
    }

    /// Feed one frame; sessions that closed (idle) are returned, already diagnosed.
    pub fn push(&mut self, f: &Frame) -> Vec<BootSession> {
        self.push_view(&f.meta(), &f.data)
    }

    /// `push` for a frame whose bytes are borrowed (`CaptureReader::next_view`).
    // Long on purpose: one frame end to end: time stats, decode, then one arm per decoded kind and
    // port, each counting its stats and issues beside the tracker call it feeds.
    pub fn push_view(&mut self, f: &FrameMeta, data: &[u8]) -> Vec<BootSession> {
        self.stats.frames += 1;
        self.stats.bytes += data.len() as u64;
        if (f.orig_len as usize) > data.len() {
            self.stats.snaplen_cut += 1;
        }
        if let Some(prev) = self.last_ts {
            if f.ts_ns < self.max_ts {
                self.stats.timestamps_backwards += 1;
            } else {
                let gap = (f.ts_ns - prev) as f64 / 1e9;
                if gap > self.stats.largest_time_gap_s {
                    self.stats.largest_time_gap_s = gap;
                }
            }
        }
        self.last_ts = Some(f.ts_ns);
        self.max_ts = self.max_ts.max(f.ts_ns);
        let fr = FrameRef {
            input: f.input,
            frame: f.number,
        };
        let ts = f.ts_ns;
        let mut closed = std::mem::take(&mut self.closed);
        self.tracker.advance(ts, &mut closed);
        match decode_frame(f.linktype, data, &mut self.defrag, ts) {
            Err(e) => {
                if e.kind == DecodeErrorKind::UnsupportedLinkType {
                    *self.stats.unknown_linktypes.entry(f.linktype).or_insert(0) += 1;
                } else {
                    self.issue(f.input, f.number, e.layer, e.offset as u64, e.what);
                }
            }
            Ok(Decoded::Udp(udp)) => {
                let ports = (udp.sport, udp.dport);
                let header_off = data.len().saturating_sub(udp.payload.len()) as u64;
                if matches!(ports.1, 67 | 68 | 4011)
                    || matches!(ports.0, 67 | 68 | 4011) && !self.tracker.is_tftp(&udp)
                {
                    match Dhcp4::parse(&udp.payload) {
                        Ok(m) => {
                            self.stats.dhcpv4 += 1;
                            if udp.truncated && m.issues.iter().any(|i| i.kind.looks_cut()) {
                                // options cut by snaplen, not malformed: counted as cut frames
                            } else {
                                for i in &m.issues {
                                    if i.kind.is_malformed() {
                                        self.issue(
                                            f.input,
                                            f.number,
                                            Layer::Dhcp,
                                            header_off + i.offset as u64,
                                            i.what.clone(),
                                        );
                                    }
                                }
                            }
                            self.tracker.on_dhcp4(fr, ts, &udp, &m);
                        }
                        Err(e) => {
                            let what = if udp.truncated {
                                format!("{} (packet cut by snaplen)", e.what)
                            } else {
                                e.what
                            };
                            self.issue_in(
                                f.input,
                                f.number,
                                Layer::Dhcp,
                                header_off + e.offset as u64,
                                what,
                                udp.truncated,
                            );
                            // Still place the message in its session from the fixed fields we have.
                            if udp.truncated {
                                if let Some(m) = Dhcp4::parse_truncated(&udp.payload) {
                                    self.stats.dhcpv4 += 1;
                                    self.tracker.on_dhcp4(fr, ts, &udp, &m);
                                }
                            }
                        }
                    }
                } else if matches!(ports.1, 546 | 547) || matches!(ports.0, 546 | 547) {
                    match Dhcp6::parse(&udp.payload) {
                        Ok(m) => {
                            self.stats.dhcpv6 += 1;
                            for w in &m.issues {
                                self.issue(f.input, f.number, Layer::Dhcpv6, header_off, w.clone());
                            }
                            self.tracker.on_dhcp6(fr, ts, &udp, &m);
                        }
                        Err(e) => self.issue(f.input, f.number, Layer::Dhcpv6, header_off, e),
                    }
                } else {
                    match self.tracker.on_udp_tftp(fr, ts, &udp) {
                        TftpVerdict::NotTftp => self.stats.other += 1,
                        TftpVerdict::Tftp => self.stats.tftp += 1,
                        TftpVerdict::Malformed(e) => {
                            self.stats.tftp += 1;
                            let what = if udp.truncated {
                                format!("{} (packet cut by snaplen)", e.what)
                            } else {
                                e.what
                            };
                            self.issue_in(
                                f.input,
                                f.number,
                                Layer::Tftp,
                                header_off + e.offset as u64,
                                what,
                                udp.truncated,
                            );
                        }
                    }
                }
            }
            Ok(Decoded::Arp(a)) => {
                self.stats.arp += 1;
                self.tracker.on_arp(fr, ts, &a);
            }
            Ok(Decoded::Icmp(i)) => {
                self.stats.icmp_unreachable += 1;
                self.tracker.on_icmp(fr, ts, &i);
            }
            Ok(Decoded::Fragment) => self.stats.fragments += 1,
            Ok(Decoded::Tcp(t)) => {
                if !self.tracker.on_tcp(fr, ts, &t) {
                    self.stats.other += 1;
                }
            }
            Ok(Decoded::Ignored) => self.stats.other += 1,
        }
        for s in closed.iter_mut() {
            diag::diagnose(s, &self.diag);
        }
        self.stats.sessions += closed.len() as u64;
        closed
    }

    /// Live sources: let time pass without packets so idle sessions close (packet time on a
    /// live interface is the wall clock).
    pub fn tick(&mut self, now_ns: i64) -> Vec<BootSession> {
        let mut closed = Vec::new();
        self.tracker.advance(now_ns, &mut closed);
        self.listened_until = self.listened_until.max(now_ns);
        self.diag.capture_end_ns = self.max_ts.max(now_ns);
        for s in closed.iter_mut() {
            diag::diagnose(s, &self.diag);
        }
        self.stats.sessions += closed.len() as u64;
        closed
    }

    /// Diagnose a snapshot of an open session (for live "booted yet?" checks).
    pub fn diagnose_snapshot(&self, id: u64) -> Option<BootSession> {
        let mut s = self.tracker.snapshot(id)?;
        let mut cfg = self.diag.clone();
        cfg.capture_end_ns = self.max_ts;
        diag::diagnose(&mut s, &cfg);
        Some(s)
    }

    /// The capture went on until `t` (a written capture's isb_endtime) though no frame came.
    pub fn note_listened_until(&mut self, t: i64) {
        self.listened_until = self.listened_until.max(t);
    }

    /// End of input: close and diagnose every open session.
    pub fn finish(&mut self) -> Vec<BootSession> {
        let mut closed = Vec::new();
        self.finish_each(|s| closed.push(s));
        closed
    }

    /// As `finish`, handing each diagnosed session to `emit` as it closes (streaming output
    /// keeps memory at the open sessions, not twice that).
    pub fn finish_each(&mut self, mut emit: impl FnMut(BootSession)) {
        self.diag.capture_end_ns = self.max_ts.max(self.listened_until);
        let diag = &self.diag;
        let mut n = 0u64;
        self.tracker.finish_each(|mut s| {
            diag::diagnose(&mut s, diag);
            n += 1;
            emit(s);
        });
        self.stats.sessions += n;
        self.stats.sessions_capped = self.tracker.stats.sessions_capped;
        self.stats.records_capped = self.tracker.stats.records_capped;
        self.stats.tftp_unmatched = self.tracker.stats.tftp_unmatched;
        self.stats.defrag_dropped = self.defrag.dropped;
    }
}
