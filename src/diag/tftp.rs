//! Rules about what the client fetched: TFTP transfers, boot file architecture, ARP, iPXE.

use super::{dhcp_time, finding, Ctx};
use crate::model::*;
use crate::proto::{family_from_name, is_ipxe_binary, Family};

fn same_file(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_start_matches('/'), b.trim_start_matches('/'));
    a == b || a.ends_with(&format!("/{b}")) || b.ends_with(&format!("/{a}"))
}

fn boot_file_of(s: &BootSession, t: &Transfer) -> Option<String> {
    t.stage
        .and_then(|i| s.stages.get(i))
        .and_then(|st| st.boot_file.clone())
        .map(|f| crate::session::split_url(&f).0.unwrap_or(f))
}

fn retried_ok(s: &BootSession, idx: usize) -> bool {
    let t = &s.tftp[idx];
    s.tftp[idx + 1..].iter().any(|u| u.file == t.file && u.ok())
}

/// Must this transfer succeed for the boot to go on?
fn required(s: &BootSession, idx: usize) -> bool {
    let t = &s.tftp[idx];
    if retried_ok(s, idx) {
        return false;
    }
    if boot_file_of(s, t).is_some_and(|b| same_file(&b, &t.file)) {
        return true;
    }
    !s.tftp[idx + 1..]
        .iter()
        .any(|u| u.direction == "read" && u.ok())
}

/// The tsize probe: client asks tsize, reads the OACK, aborts with ERROR 0 or 8. Normal.
fn is_probe_abort(t: &Transfer) -> bool {
    t.status == TransferStatus::Aborted
        && t.blocks == 0
        && t.error.as_ref().is_some_and(|e| e.from == "client")
}

pub fn client_family(s: &BootSession) -> Option<Family> {
    let code = s.client.arch.code?;
    let f = crate::proto::arch_info(code).family;
    matches!(
        f,
        Family::Bios
            | Family::EfiIa32
            | Family::EfiX64
            | Family::EfiArm32
            | Family::EfiArm64
            | Family::EfiRiscv64
    )
    .then_some(f)
}

pub fn arch_mismatch(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let Some(fam) = client_family(s) else {
        return vec![];
    };
    let code = s.client.arch.code.unwrap_or(0);
    let who = format!(
        "client arch {code} ({}, {})",
        s.client.arch.name,
        fam.name()
    );
    let mut out = vec![];
    for st in &s.stages {
        let Some(bf) = &st.boot_file else { continue };
        let file = crate::session::split_url(bf).0.unwrap_or(bf.clone());
        let st_fam = st
            .arch
            .map(|a| crate::proto::arch_info(a).family)
            .filter(|f| *f != Family::Other)
            .unwrap_or(fam);
        let xfer = st
            .transfers
            .iter()
            .filter_map(|&i| s.tftp.get(i))
            .find(|t| same_file(&t.file, &file) && t.file_kind.is_some())
            .map(|t| (t.file_kind.clone(), t.first_frame));
        let xfer = xfer.or_else(|| {
            s.http
                .iter()
                .find(|h| h.url == *bf && h.file_kind.is_some())
                .map(|h| (h.file_kind.clone(), h.first_frame))
        });
        if let Some((kind, first_frame)) = xfer {
            let why = kind
                .as_ref()
                .and_then(|k| crate::proto::file_misfit(st_fam, k));
            if let Some(why) = why {
                out.push(finding(
                    "arch-mismatch",
                    vec![st.boot_file_frame.unwrap_or(st.first_frame), first_frame],
                    format!("{who}: boot file `{file}`: {why} (from the file's bytes)"),
                ));
            }
        } else if let Some(nf) = family_from_name(&file) {
            let bad = (st_fam == Family::Bios && nf.is_efi())
                || (st_fam.is_efi() && nf == Family::Bios)
                || (st_fam.is_efi() && nf.is_efi() && nf != st_fam && nf != Family::EfiX64);
            if bad {
                out.push(finding("arch-mismatch", vec![st.boot_file_frame.unwrap_or(st.first_frame)], format!("{who}: boot file `{file}` looks like a {} file (from its name only; its bytes were not captured)", nf.name())));
            }
        }
    }
    out
}

pub fn file_errors(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for (i, t) in s.tftp.iter().enumerate() {
        let Some(e) = &t.error else { continue };
        if t.status != TransferStatus::Error || !required(s, i) {
            continue;
        }
        let frames = vec![t.first_frame, e.frame];
        if e.code == 1 {
            out.push(finding(
                "tftp-file-not-found",
                frames,
                format!(
                    "`{}` not found on {} (TFTP error 1: {}); the client fetched nothing after it",
                    t.file, t.server, e.message
                ),
            ));
        } else {
            out.push(finding(
                "tftp-error",
                frames,
                format!(
                    "`{}` from {}: TFTP error {} ({}): {}",
                    t.file, t.server, e.code, e.name, e.message
                ),
            ));
        }
    }
    out
}

pub fn no_response(s: &BootSession, ctx: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for (i, t) in s.tftp.iter().enumerate() {
        if t.answered
            || retried_ok(s, i)
            || s.tftp[i + 1..]
                .iter()
                .any(|u| u.server == t.server && u.answered)
        {
            continue;
        }
        let after = ctx.observed_after(s, t.start);
        if after < 3.0 && t.rrq_count < 2 && t.icmp_unreachable.is_empty() {
            continue; // the capture ended right after: analysis-truncated says so
        }
        let mut frames = vec![t.first_frame];
        frames.extend(t.icmp_unreachable.iter().copied());
        let icmp = if t.icmp_unreachable.is_empty() {
            String::new()
        } else {
            " and ICMP destination-unreachable came back (nothing listens on UDP 69 there)".into()
        };
        out.push(finding(
            "tftp-no-response",
            frames,
            format!(
                "request for `{}` to {} sent {} time(s), never answered{icmp}",
                t.file, t.server, t.rrq_count
            ),
        ));
    }
    out
}

pub fn incomplete(s: &BootSession, ctx: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for (i, t) in s.tftp.iter().enumerate() {
        if t.ok()
            || retried_ok(s, i)
            || !t.answered
            || is_probe_abort(t)
            || t.status == TransferStatus::Error
        {
            continue;
        }
        let stalled = t.status == TransferStatus::Incomplete
            && ctx.observed_after(s, Timestamp(t.last_ts)) >= 5.0;
        let gave_up = t.status == TransferStatus::Aborted && t.blocks > 0;
        if stalled || gave_up {
            let how = if gave_up {
                format!(
                    "the client aborted it ({})",
                    t.error
                        .as_ref()
                        .map(|e| e.message.clone())
                        .unwrap_or_default()
                )
            } else {
                "then nothing more came".to_string()
            };
            let size = t.tsize.map(|z| format!(" of {z}")).unwrap_or_default();
            out.push(finding(
                "tftp-incomplete",
                vec![t.first_frame, t.last_frame],
                format!(
                    "`{}` stopped at block {} ({} bytes{size}); {how}",
                    t.file, t.blocks, t.bytes
                ),
            ));
        }
    }
    out
}

pub fn retransmits(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for t in &s.tftp {
        if t.blocks == 0 || t.retransmits == 0 {
            continue;
        }
        let pct = t.retransmits as f64 * 100.0 / t.blocks as f64;
        if pct >= 5.0 || t.max_block_sends >= 3 {
            out.push(finding(
                "tftp-retransmits",
                vec![t.first_frame],
                format!(
                    "`{}`: {} of {} blocks sent again ({pct:.1} %), one block up to {} times",
                    t.file, t.retransmits, t.blocks, t.max_block_sends
                ),
            ));
        }
    }
    out
}

pub fn fragmented(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    s.tftp
        .iter()
        .filter(|t| t.fragmented || t.max_ip_len > 1500)
        .map(|t| {
            finding(
                "tftp-blksize-fragmented",
                vec![t.first_frame],
                format!(
                    "`{}` uses blksize {}: blocks travel as IP fragments (IP packets of {} bytes)",
                    t.file, t.blksize, t.max_ip_len
                ),
            )
        })
        .collect()
}

pub fn options_ignored(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    s.tftp
        .iter()
        .filter(|t| !t.requested.is_empty() && t.oack.is_none() && t.blocks > 0)
        .map(|t| {
            finding(
                "tftp-options-ignored",
                vec![t.first_frame],
                format!(
                    "`{}`: asked for {} but the server sent no OACK (512-byte blocks)",
                    t.file,
                    crate::session::opts_text(&t.requested)
                ),
            )
        })
        .collect()
}

pub fn arp_unanswered(s: &BootSession, ctx: &Ctx) -> Vec<Finding> {
    let mut servers: Vec<String> = s
        .stages
        .iter()
        .filter_map(|st| st.boot_server.clone())
        .collect();
    servers.extend(s.tftp.iter().map(|t| t.server.to_string()));
    let mut out = vec![];
    for q in &s.arp {
        let target = q.target.to_string();
        if q.answered || !servers.contains(&target) {
            continue;
        }
        if s.tftp.iter().any(|t| t.server == q.target && t.answered) {
            continue;
        }
        if ctx.observed_after(s, q.time) < 3.0 && q.count < 2 {
            continue;
        }
        out.push(finding("arp-unanswered", vec![q.frame], format!("the client asked {} time(s) who has {target} (its boot server) and got no ARP reply", q.count)));
    }
    out
}

pub fn chainload_loop(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    let mut earlier_ipxe: Option<&Stage> = None;
    for st in &s.stages {
        let handed_ipxe = st.boot_file.as_deref().is_some_and(is_ipxe_binary);
        if st.ipxe && handed_ipxe {
            if let Some(prev) = earlier_ipxe {
                let mut frames = vec![
                    prev.boot_file_frame.unwrap_or(prev.first_frame),
                    st.boot_file_frame.unwrap_or(st.first_frame),
                ];
                frames.extend(
                    st.transfers
                        .iter()
                        .filter_map(|&i| s.tftp.get(i))
                        .filter(|t| t.ok())
                        .map(|t| t.first_frame)
                        .take(1),
                );
                out.push(finding(
                    "ipxe-chainload-loop",
                    frames,
                    format!("stage {} is already iPXE (user class iPXE / option 175) and was handed `{}` again; it will load iPXE forever", st.index + 1, st.boot_file.as_deref().unwrap_or("")),
                ));
                continue;
            }
            // Same iPXE binary loaded twice within one iPXE stage.
            let done: Vec<&Transfer> = st
                .transfers
                .iter()
                .filter_map(|&i| s.tftp.get(i))
                .filter(|t| t.ok() && is_ipxe_binary(&t.file))
                .collect();
            if done.len() >= 2 && done.iter().skip(1).any(|t| t.file == done[0].file) {
                out.push(finding(
                    "ipxe-chainload-loop",
                    done.iter().map(|t| t.first_frame).collect(),
                    format!(
                        "iPXE stage {} loaded `{}` twice",
                        st.index + 1,
                        done[0].file
                    ),
                ));
            }
        }
        if handed_ipxe {
            earlier_ipxe = Some(st);
        }
    }
    out
}

pub fn truncated(s: &BootSession, ctx: &Ctx) -> Vec<Finding> {
    let mut out: Vec<Finding> = s
        .tftp
        .iter()
        .filter(|t| t.missing_blocks > 0)
        .map(|t| finding("analysis-truncated", vec![t.first_frame, t.last_frame], format!("`{}`: {} block(s) are missing from the capture (dropped by the capturing host, or not on this link)", t.file, t.missing_blocks)))
        .collect();
    if s.closed_by != "end-of-capture" {
        return out;
    }
    // Transfers the capture cut off; not those tftp-no-response already explains.
    let pending: Vec<&Transfer> = s
        .tftp
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            t.status == TransferStatus::Incomplete
                && !retried_ok(s, *i)
                && ctx.observed_after(s, Timestamp(t.last_ts)) < 5.0
        })
        .filter(|(_, t)| {
            t.answered
                || (t.rrq_count < 2
                    && t.icmp_unreachable.is_empty()
                    && ctx.observed_after(s, t.start) < 3.0)
        })
        .map(|(_, t)| t)
        .collect();
    if let Some(t) = pending.last() {
        out.push(finding(
            "analysis-truncated",
            vec![t.last_frame],
            format!(
                "the capture ends while `{}` is still being transferred ({} bytes so far)",
                t.file, t.bytes
            ),
        ));
        return out;
    }
    // Still waiting, and too recently for dhcp-no-offer / proxy-unanswered to say so.
    let time_of = |f: Option<&FrameRef>| f.and_then(|f| dhcp_time(s, f));
    let last_stage_waiting = s.stages.last().is_some_and(|st| {
        let waiting_offer = st.offers.is_empty()
            && time_of(st.discovers.first()).is_some_and(|t| ctx.observed_after(s, t) < 3.0);
        let waiting_4011 = !st.offers.iter().any(|o| o.kind == OfferKind::BootServer)
            && st
                .boot_server_requests
                .first()
                .is_some_and(|r| ctx.observed_after(s, r.time) < 3.0);
        (waiting_offer || waiting_4011) && !super::dhcp::is_v6_fallback(s, st)
    });
    if last_stage_waiting {
        out.push(finding(
            "analysis-truncated",
            vec![s.last_frame],
            "the capture ends while the client is still waiting for an answer".into(),
        ));
    }
    out
}

pub fn http_error(s: &BootSession, ctx: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for (i, h) in s.http.iter().enumerate() {
        if h.status == TransferStatus::Complete
            || s.http[i + 1..]
                .iter()
                .any(|u| u.url == h.url && u.status == TransferStatus::Complete)
        {
            continue;
        }
        let why = match (h.status, h.status_code) {
            (TransferStatus::Error, Some(c)) => format!("the server answered HTTP {c}"),
            (TransferStatus::Aborted, _) => {
                format!("the connection was reset after {} bytes", h.bytes)
            }
            (TransferStatus::Incomplete, _) if ctx.observed_after(s, h.end) >= 5.0 => {
                format!(
                    "it stalled after {} of {} bytes",
                    h.bytes,
                    h.content_length
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "?".into())
                )
            }
            _ => continue,
        };
        out.push(finding(
            "http-error",
            vec![h.first_frame, h.last_frame],
            format!("HTTP download of `{}` failed: {why}", h.url),
        ));
    }
    out
}
