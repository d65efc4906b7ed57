//! TFTP: a read or write request opens a transfer in the client's session, found by IP (or its
//! MAC); later packets are tied to it by TID and counted block by block (gaps, resends, OACK,
//! ERROR), and replies from an address the request did not go to are recorded.

use super::{push_lean, ClientKey, TKey, TftpVerdict, Tracker};
use crate::model::*;
use crate::proto::FileKind;
use crate::wire::link::{Mac, UdpDatagram};
use crate::wire::tftp::{self, Tftp};
use std::net::IpAddr;

impl Tracker {
    pub fn is_tftp_port(&self, port: u16) -> bool {
        self.cfg.tftp_ports.contains(&port)
    }

    /// Is this UDP datagram part of a TFTP exchange we track, or a new request?
    pub fn is_tftp(&self, udp: &UdpDatagram<'_>) -> bool {
        self.cfg.tftp_ports.contains(&udp.dport)
            || self.transfers.contains_key(&TKey {
                client: udp.src,
                client_port: udp.sport,
                server: udp.dst,
            })
            || self.transfers.contains_key(&TKey {
                client: udp.dst,
                client_port: udp.dport,
                server: udp.src,
            })
    }

    fn session_for_tftp_client(
        &mut self,
        ip: IpAddr,
        mac: Option<Mac>,
        frame: FrameRef,
        ts: i64,
    ) -> Option<u64> {
        if let Some(id) = self.by_ip.get(&ip) {
            return Some(*id);
        }
        // No lease seen: fall back to the Ethernet source (CONTRACT.md), else the IP itself.
        let id = match mac {
            Some(m) => self.session_for(ClientKey::Mac(m), frame, ts)?,
            None => self.session_for(ClientKey::Ip(ip), frame, ts)?,
        };
        self.bind_ip(id, ip);
        Some(id)
    }

    /// One UDP datagram that may be TFTP: a request to a TFTP port, anything on a tracked
    /// transfer's ports, or a reply from a TFTP port. Each transfer is looked up once and the
    /// packet decoded once (this is the per-DATA-block path, most of a boot's frames).
    pub fn on_udp_tftp(&mut self, frame: FrameRef, ts: i64, udp: &UdpDatagram<'_>) -> TftpVerdict {
        let s2c = TKey {
            client: udp.dst,
            client_port: udp.dport,
            server: udp.src,
        };
        let c2s = TKey {
            client: udp.src,
            client_port: udp.sport,
            server: udp.dst,
        };
        let tracked = match self.transfers.get(&s2c) {
            Some(&v) => Some((true, v)),
            None => self.transfers.get(&c2s).map(|&v| (false, v)),
        };
        let to_tftp_port = self.cfg.tftp_ports.contains(&udp.dport);
        if tracked.is_none() && !to_tftp_port {
            if let Some(&(id, ti)) = self.awaiting.get(&(udp.dst, udp.dport)) {
                if self.on_wrong_source(frame, udp, id, ti) {
                    return TftpVerdict::Tftp;
                }
            }
        }
        if tracked.is_none() && !to_tftp_port && !self.cfg.tftp_ports.contains(&udp.sport) {
            return TftpVerdict::NotTftp;
        }
        match Tftp::decode(&udp.payload) {
            Ok(Tftp::Rrq(req)) | Ok(Tftp::Wrq(req)) if to_tftp_port => {
                let write = tftp::opcode(&udp.payload) == Some(tftp::OP_WRQ);
                self.on_request(frame, ts, udp, req, write);
            }
            Ok(other) => match tracked {
                Some((from_server, (id, ti))) => {
                    self.on_transfer_packet(frame, ts, udp, other, from_server, id, ti)
                }
                None => self.stats.tftp_unmatched += 1,
            },
            Err(e) => {
                self.stats.tftp_malformed += 1;
                return TftpVerdict::Malformed(e);
            }
        }
        TftpVerdict::Tftp
    }

    /// A TFTP reply to a waiting read that came from another address than the request went to.
    /// The client's stack drops it (wrong TID); recorded so the finding names the real cause.
    fn on_wrong_source(
        &mut self,
        frame: FrameRef,
        udp: &UdpDatagram<'_>,
        id: u64,
        ti: usize,
    ) -> bool {
        let is_reply = matches!(
            Tftp::decode(&udp.payload),
            Ok(Tftp::Oack { .. } | Tftp::Data { .. } | Tftp::Error { .. })
        );
        self.wake(id);
        let Some(t) = self.open.get_mut(&id).and_then(|o| o.s.tftp.get_mut(ti)) else {
            return false;
        };
        if !is_reply || t.answered || t.server == udp.src {
            return false;
        }
        match &mut t.wrong_source {
            Some(w) => w.packets += 1,
            None => {
                t.wrong_source = Some(WrongSource {
                    frame,
                    from: udp.src,
                    port: udp.sport,
                    packets: 1,
                })
            }
        }
        true
    }

    /// A packet of a tracked transfer (`ti` in session `id`), either direction.
    #[allow(clippy::too_many_arguments)]
    fn on_transfer_packet(
        &mut self,
        frame: FrameRef,
        ts: i64,
        udp: &UdpDatagram<'_>,
        other: Tftp<'_>,
        from_server: bool,
        id: u64,
        ti: usize,
    ) {
        let mut answered_now = false;
        let want = self.want_events;
        let ev = {
            let Some(o) = self.touch(id, frame, ts) else {
                return;
            };
            let Some(t) = o.s.tftp.get_mut(ti) else {
                return;
            };
            let server_port = if from_server { udp.sport } else { udp.dport };
            if let Some(p) = t.server_port {
                if p != server_port && !(p == 69 && t.blocks == 0) {
                    // Another TID talking to the client port (RFC 1350 says: ERROR 5).
                    return;
                }
            }
            if from_server {
                if !t.answered {
                    answered_now = true;
                }
                t.answered = true;
                if t.server_port.is_none() || t.blocks == 0 {
                    t.server_port = Some(udp.sport);
                }
            }
            t.last_frame = frame;
            t.last_ts = ts;
            if ts > t.end.0 {
                t.end = Timestamp(ts);
            }
            match other {
                Tftp::Oack { options } => on_oack(t, options, want),
                Tftp::Data { block, data } => {
                    let Some(ev) = on_data(t, udp, block, data, from_server, frame, want) else {
                        return; // DATA from the receiving side: nothing more of it
                    };
                    ev
                }
                Tftp::Ack { .. } => None,
                Tftp::Error { code, message } => {
                    on_error(t, code, message, from_server, frame, want)
                }
                Tftp::Rrq(_) | Tftp::Wrq(_) => None,
            }
        };
        if answered_now && !self.awaiting.is_empty() {
            let ep = (udp.dst, udp.dport);
            if self.awaiting.get(&ep) == Some(&(id, ti)) {
                self.awaiting.remove(&ep);
            }
        }
        if let Some(text) = ev.filter(|_| want) {
            let file = self
                .open
                .get(&id)
                .and_then(|o| o.s.tftp.get(ti))
                .map(|t| t.file.clone())
                .unwrap_or_default();
            self.event(id, frame, ts, "tftp", format!("{file}: {text}"));
        }
    }

    fn on_request(
        &mut self,
        frame: FrameRef,
        ts: i64,
        udp: &UdpDatagram<'_>,
        req: tftp::Request<'_>,
        write: bool,
    ) {
        let key = TKey {
            client: udp.src,
            client_port: udp.sport,
            server: udp.dst,
        };
        let Some(id) = self.session_for_tftp_client(udp.src, udp.link.src_mac, frame, ts) else {
            return;
        };
        // A retransmitted request: this client's, same endpoints, same file, nothing answered
        // yet. (Another session's transfer on these endpoints is an address reused since.)
        if let Some(&(sid, ti)) = self.transfers.get(&key).filter(|(sid, _)| *sid == id) {
            self.wake(sid);
            if let Some(t) = self.open.get_mut(&sid).and_then(|o| o.s.tftp.get_mut(ti)) {
                if t.file == req.filename && !t.answered {
                    t.rrq_count += 1;
                    t.last_frame = frame;
                    return;
                }
            }
        }
        let cap = self.cfg.max_transfers_per_session;
        // Event texts are only built for a live run that shows them.
        let want = self.want_events;
        let ev;
        let ti = {
            let Some(o) = self.touch(id, frame, ts) else {
                return;
            };
            let s = &mut o.s;
            if s.tftp.len() >= cap {
                self.stats.records_capped += 1;
                return;
            }
            if !write {
                s.pxe = true; // a read is boot traffic; a write (WRQ) is not
            }
            ev = want.then(|| {
                format!(
                    "{} {} {}",
                    if write { "WRQ" } else { "RRQ" },
                    req.filename,
                    OptionList::from(req.options.as_slice()).text()
                )
            });
            let stage = s.stages.len().checked_sub(1);
            s.tftp.push(new_transfer(frame, ts, udp, req, write, stage));
            let ti = s.tftp.len() - 1;
            if let Some(st) = stage.and_then(|i| s.stages.get_mut(i)) {
                push_lean(&mut st.transfers, ti);
            }
            ti
        };
        self.wake(id);
        if let Some(o) = self.open.get_mut(&id) {
            push_lean(&mut o.tkeys, key);
        }
        self.transfers.insert(key, (id, ti));
        if !write && self.awaiting.len() < 100_000 {
            self.awaiting.insert((udp.src, udp.sport), (id, ti));
        }
        if let Some(t) = ev {
            self.event(id, frame, ts, "tftp", t);
        }
    }
}

/// The transfer a request opens (in `stage`, the session's latest), its name's bytes checked;
/// it takes the request's strings (a storm's requests were a fifth of its allocations).
/// Long only because `Transfer` has that many fields, one a line.
fn new_transfer(
    frame: FrameRef,
    ts: i64,
    udp: &UdpDatagram<'_>,
    req: tftp::Request<'_>,
    write: bool,
    stage: Option<usize>,
) -> Transfer {
    let tsize = tftp::option_num(&req.options, "tsize").filter(|v| *v > 0);
    let mut mode = req.mode.into_owned();
    mode.make_ascii_lowercase();
    let mut t = Transfer {
        file: req.filename.into_owned(),
        direction: if write {
            Direction::Write
        } else {
            Direction::Read
        },
        client: crate::textfmt::ip_port(udp.src, udp.sport),
        server: udp.dst,
        server_port: None,
        mode,
        requested: OptionList::from(req.options.as_slice()),
        oack: None,
        blksize: 512,
        tsize,
        windowsize: 1,
        status: TransferStatus::Incomplete,
        bytes: 0,
        blocks: 0,
        missing_blocks: 0,
        retransmits: 0,
        max_block_sends: 0,
        rrq_count: 1,
        error: None,
        first_frame: frame,
        last_frame: frame,
        final_frame: None,
        start: Timestamp(ts),
        end: Timestamp(ts),
        duration_s: 0.0,
        throughput_bps: None,
        file_kind: None,
        signed: None,
        file_issue: None,
        file_hex: None,
        wrong_source: None,
        max_ip_len: 0,
        fragmented: false,
        icmp_unreachable: vec![],
        answered: false,
        stage,
        last_block_raw: 0,
        cur_block_sends: 0,
        last_ts: ts,
        gaps: Vec::new(),
        final_seen: false,
    };
    // The name's bytes as sent (the decoded name is lossy UTF-8).
    let raw = udp.payload.get(2..).unwrap_or(&[]);
    let raw = &raw[..raw.iter().position(|&b| b == 0).unwrap_or(raw.len())];
    if let Some(i) = crate::proto::name_bytes_issue(raw) {
        t.file_issue = Some(i);
        t.file_hex = Some(crate::proto::hex_bytes(raw));
    }
    t
}

/// An OACK: the options the server agreed to. Returns the event text when `want`.
fn on_oack(t: &mut Transfer, options: tftp::Options<'_>, want: bool) -> Option<String> {
    t.blksize = tftp::option_num(&options, "blksize").unwrap_or(512);
    t.windowsize = tftp::option_num(&options, "windowsize").unwrap_or(1);
    if let Some(ts) = tftp::option_num(&options, "tsize") {
        t.tsize = Some(ts);
    }
    let acked = OptionList::from(options.as_slice());
    let ev = want.then(|| format!("OACK {}", acked.text()));
    t.oack = Some(acked);
    ev
}

/// A DATA packet: a new block, a skipped one arriving after all, or a resend. Returns the
/// event text (the transfer completing), or None when the DATA came from the side that receives
/// the file (then nothing more is done with the packet).
fn on_data(
    t: &mut Transfer,
    udp: &UdpDatagram<'_>,
    block: u16,
    data: &[u8],
    from_server: bool,
    frame: FrameRef,
    want: bool,
) -> Option<Option<String>> {
    // The real block length, even when the capture cut the packet (snaplen):
    // the UDP header still says how long it was.
    let declared = if udp.truncated {
        data.len().max(udp.udp_len.saturating_sub(4))
    } else {
        data.len()
    } as u64;
    let data_from_sender = from_server == (t.direction == Direction::Read);
    if !data_from_sender {
        return None;
    }
    if udp.ip_len > t.max_ip_len {
        t.max_ip_len = udp.ip_len;
    }
    if udp.reassembled {
        t.fragmented = true;
    }
    let completed = if is_new_block(t, block) {
        new_block(t, block, data, declared, frame)
    } else if let Some(gi) = t.gaps.iter().position(|g| *g == block) {
        late_block(t, gi, declared, frame)
    } else {
        t.retransmits += 1;
        if block == t.last_block_raw {
            t.cur_block_sends += 1;
            t.max_block_sends = t.max_block_sends.max(t.cur_block_sends);
        }
        false
    };
    // The event's text only for live views (a storm's analyze made one per transfer).
    Some((completed && want).then(|| format!("complete: {} bytes in {} blocks", t.bytes, t.blocks)))
}

/// Is `block` past the last one (the next, a wrap to 1, or a jump ahead over lost ones)?
fn is_new_block(t: &Transfer, block: u16) -> bool {
    let expected = t.last_block_raw.wrapping_add(1);
    if t.blocks == 0 {
        block == 1 || block == 0
    } else {
        block == expected || (t.last_block_raw == 65535 && block == 1) || {
            let ahead = block.wrapping_sub(t.last_block_raw);
            ahead > 1 && ahead < 1024
        }
    }
}

/// A block past the last one: the gap it jumps over is remembered, the first block's head
/// sniffed, and a short block ends the transfer unless blocks are still missing. True when it
/// completed the transfer.
fn new_block(t: &mut Transfer, block: u16, data: &[u8], declared: u64, frame: FrameRef) -> bool {
    let ahead = if t.blocks == 0 {
        1
    } else {
        u64::from(block.wrapping_sub(t.last_block_raw)).max(1)
    };
    if ahead > 1 && !(t.last_block_raw == 65535 && block == 1) {
        t.missing_blocks += ahead - 1;
        // Remember what was skipped: a windowed server resends it.
        let mut b = t.last_block_raw.wrapping_add(1);
        while b != block && t.gaps.len() < 4096 {
            t.gaps.push(b);
            b = b.wrapping_add(1);
        }
    }
    if t.blocks == 0 {
        // Sniffed from the block itself: the first 1 KB is all either looks at, and keeping a
        // copy cost every open transfer 1 KB.
        let head = data.get(..data.len().min(1024)).unwrap_or(&[]);
        t.file_kind = FileKind::sniff(head);
        t.signed = crate::proto::pe_signed(head);
    }
    t.blocks += 1;
    t.bytes += declared;
    t.last_block_raw = block;
    t.cur_block_sends = 1;
    t.max_block_sends = t.max_block_sends.max(1);
    if declared < t.blksize && t.status == TransferStatus::Incomplete {
        if t.gaps.is_empty() {
            t.status = TransferStatus::Complete;
            t.final_frame = Some(frame);
            return true;
        }
        t.final_seen = true;
    }
    false
}

/// A skipped block (gap `gi`) arrives after all (window restart): it is data, and may be the
/// last one missing after the final block. True when it completed the transfer.
fn late_block(t: &mut Transfer, gi: usize, declared: u64, frame: FrameRef) -> bool {
    t.gaps.swap_remove(gi);
    t.missing_blocks = t.missing_blocks.saturating_sub(1);
    t.blocks += 1;
    t.bytes += declared;
    if t.final_seen && t.gaps.is_empty() && t.status == TransferStatus::Incomplete {
        t.status = TransferStatus::Complete;
        t.final_frame = Some(frame);
        return true;
    }
    false
}

/// An ERROR packet: it ends an incomplete transfer (an error from the server, an abort from
/// the client). Returns the event text.
fn on_error(
    t: &mut Transfer,
    code: u16,
    message: std::borrow::Cow<'_, str>,
    from_server: bool,
    frame: FrameRef,
    want: bool,
) -> Option<String> {
    let from = if from_server { "server" } else { "client" };
    if t.status == TransferStatus::Incomplete {
        t.status = if from_server {
            TransferStatus::Error
        } else {
            TransferStatus::Aborted
        };
    }
    let ev = want.then(|| {
        format!(
            "ERROR {code} ({}) from {from}: {message}",
            tftp::error_name(code)
        )
    });
    t.error = Some(TftpErrorInfo {
        code,
        name: tftp::error_name(code).to_string(),
        message: message.into_owned(),
        frame,
        from: from.to_string(),
    });
    ev
}

/// Did the session fetch something of GRUB's (its image or its files)? GRUB's own DHCP
/// carries no marker of its own, so this is how its identity is told.
pub(super) fn is_grub_image(file: &str) -> bool {
    // Case-insensitive, without a lowercased copy per name (this runs for every client
    // message, over every transfer of the session).
    file.as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"grub"))
}
