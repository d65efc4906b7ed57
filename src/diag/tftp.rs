//! Rules about what the client fetched: TFTP transfers, boot file architecture, ARP, iPXE.

use super::{dhcp_time, finding, finding_with_hint, Ctx};
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

/// Files loaders ask for on the chance that they exist, moving on when they do not: per-client
/// pxelinux.cfg names (not `default`), GRUB's per-client `grub.cfg-…` and module lists, U-Boot's
/// `boot.scr.uimg` and `dtb/` probes, iPXE's `autoexec.ipxe`, shim's revocation lists.
pub fn is_optional_probe(file: &str) -> bool {
    let f = file.trim_start_matches('/').to_ascii_lowercase();
    let base = f.rsplit('/').next().unwrap_or(&f);
    (f.starts_with("pxelinux.cfg/") && base != "default")
        || f.starts_with("dtb/")
        || f.contains("/dtb/")
        || f.ends_with('/')
        || base == "boot.scr.uimg"
        || base == "boot.scr"
        || base.starts_with("grub.cfg-")
        || base.ends_with(".lst")
        || base == "autoexec.ipxe"
        || base.starts_with("revocations")
        || base.starts_with("shim_certificate")
}

/// Must this transfer succeed for the boot to go on?
fn required(s: &BootSession, idx: usize) -> bool {
    let t = &s.tftp[idx];
    if retried_ok(s, idx) {
        return false;
    }
    let is_boot_file = boot_file_of(s, t).is_some_and(|b| same_file(&b, &t.file));
    if is_boot_file {
        return true;
    }
    if is_optional_probe(&t.file) {
        return false;
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

/// A fix hint for the client at hand: its own code (or class, when it sends none) and an image
/// of its own family, in the syntax of the servers people run.
pub fn arch_hint(c: &Client) -> String {
    let fam = c.family();
    let image = fam.example_image();
    match c.arch.code {
        Some(code) => format!(
            "This client sends architecture {code} ({}); hand it {image}. dnsmasq: \
             `dhcp-match=set:arch{code},option:client-arch,{code}` + \
             `dhcp-boot=tag:arch{code},FILE`; ISC dhcpd: `if option arch = 00:{code:02x} {{ filename \"FILE\"; }}`; \
             Kea: a client class with `\"test\": \"option[93].hex == 0x{code:04x}\"` and `boot-file-name`.",
            c.arch.name
        ),
        None => {
            let vc = c.vendor_class.as_deref().unwrap_or("?");
            format!(
                "This client sends no option 93 (vendor class `{vc}`), so matching on client-arch cannot \
                 see it; match its vendor class and hand it {image}. dnsmasq: \
                 `dhcp-vendorclass=set:cls,{vc}` + `dhcp-boot=tag:cls,FILE`; ISC dhcpd: \
                 `if substring(option vendor-class-identifier, 0, {}) = \"{vc}\" {{ filename \"FILE\"; }}`.",
                vc.len()
            )
        }
    }
}

/// Each stage's boot file against that stage's own identity, and only when that stage fetched
/// it: an offer nobody fetched is never evidence against the client (CONTRACT.md, Stages).
pub fn arch_mismatch(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        let Some(bf) = &st.boot_file else { continue };
        let fam = st.client.family();
        if !fam.is_judgeable() {
            continue;
        }
        let file = crate::session::split_url(bf).0.unwrap_or(bf.clone());
        let fetched: Vec<&Transfer> = st
            .transfers
            .iter()
            .filter_map(|&i| s.tftp.get(i))
            .filter(|t| t.direction == "read" && same_file(&t.file, &file))
            .collect();
        let http_path = |u: &str| {
            u.split_once("//")
                .and_then(|(_, r)| r.split_once('/'))
                .map(|(_, p)| p.to_string())
                .unwrap_or_default()
        };
        let fetched_http: Vec<&crate::http::HttpTransfer> = s
            .http
            .iter()
            .filter(|h| h.stage == Some(st.index))
            .filter(|h| h.url == *bf || (!h.url.is_empty() && http_path(&h.url) == http_path(bf)))
            .collect();
        if fetched.is_empty() && fetched_http.is_empty() {
            continue;
        }
        let who = format!(
            "stage {} ({}, {})",
            st.index + 1,
            st.who(st.index.checked_sub(1).and_then(|p| s.stages.get(p))),
            st.client.arch_text()
        );
        let sniffed = fetched
            .iter()
            .find_map(|t| t.file_kind.clone().map(|k| (k, t.first_frame)))
            .or_else(|| {
                fetched_http
                    .iter()
                    .find_map(|h| h.file_kind.clone().map(|k| (k, h.first_frame)))
            });
        let first_fetch = fetched
            .first()
            .map(|t| t.first_frame)
            .or(fetched_http.first().map(|h| h.first_frame));
        let offer_frame = st.boot_file_frame.unwrap_or(st.first_frame);
        let why = match &sniffed {
            Some((kind, _)) => {
                crate::proto::file_misfit(fam, kind).map(|w| format!("{w} (from the file's bytes)"))
            }
            None => family_from_name(&file).and_then(|nf| {
                let bad = (fam == Family::Bios && nf.is_efi())
                    || (fam.is_efi() && nf == Family::Bios)
                    || (fam.is_efi() && nf.is_efi() && nf != fam && nf != Family::EfiX64);
                bad.then(|| {
                    format!(
                        "it looks like a {} file (from its name only; its bytes were not captured)",
                        nf.name()
                    )
                })
            }),
        };
        if let Some(why) = why {
            let mut frames = vec![offer_frame];
            frames.extend(sniffed.as_ref().map(|(_, f)| *f).or(first_fetch));
            out.push(finding_with_hint(
                "arch-mismatch",
                frames,
                format!("{who} was handed boot file `{file}`: {why}"),
                arch_hint(&st.client),
            ));
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
            let message = format!(
                "`{}` stopped at block {} ({} bytes{size}); {how}",
                t.file, t.blocks, t.bytes
            );
            let frames = vec![t.first_frame, t.last_frame];
            if gave_up {
                // The client's own ERROR ended it: it refused what it was reading, which no
                // MTU or firewall change fixes.
                let e = t.error.as_ref();
                out.push(finding_with_hint(
                    "tftp-incomplete",
                    frames,
                    message,
                    format!(
                        "The client ended this transfer itself (TFTP error {} \"{}\" from the client): it \
                         refused the file it was reading — wrong format or architecture (e.g. a plain kernel \
                         where the loader needs an EFI stub), too large for its memory, or a bad signature. \
                         Check the file `{}` against what this client's loader accepts; the network is not \
                         the cause.",
                        e.map(|e| e.code).unwrap_or(0),
                        e.map(|e| e.message.as_str()).unwrap_or(""),
                        t.file
                    ),
                ));
            } else {
                out.push(finding("tftp-incomplete", frames, message));
            }
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
