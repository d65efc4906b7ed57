//! Rules about what the client fetched: TFTP transfers, boot file architecture, ARP, iPXE.

use super::{dhcp_time, finding, finding_with_hint, Ctx};
use crate::model::*;
use crate::proto::{family_from_name, is_ipxe_binary, Family};

fn same_file(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_start_matches('/'), b.trim_start_matches('/'));
    // `long` ends with `/short` (no copy: every stage of every session asks).
    let under = |long: &str, short: &str| {
        long.strip_suffix(short)
            .is_some_and(|head| head.ends_with('/'))
    };
    a == b || under(a, b) || under(b, a)
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
        .any(|u| u.direction == Direction::Read && u.ok())
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
            c.arch.name()
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
            .filter(|t| t.direction == Direction::Read && same_file(&t.file, &file))
            .collect();
        let http_path = super::url_path;
        let fetched_http: Vec<&crate::model::HttpTransfer> = s
            .http
            .iter()
            .filter(|h| h.stage == Some(st.index))
            .filter(|h| h.url == *bf || (!h.url.is_empty() && http_path(&h.url) == http_path(bf)))
            .collect();
        if fetched.is_empty() && fetched_http.is_empty() {
            continue;
        }
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
            // Written only for a finding: every judged stage of a storm came here.
            let who = format!(
                "stage {} ({}, {})",
                st.index + 1,
                st.who(st.index.checked_sub(1).and_then(|p| s.stages.get(p))),
                st.client.arch_text()
            );
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
        if t.file.contains("://") && url_explained(s, t) {
            continue; // boot-url-to-pxe-client names the cause
        }
        let frames = vec![t.first_frame, e.frame];
        let mut spellings = both_spellings(s, t)
            .map(|b| format!(" ({b})"))
            .unwrap_or_default();
        if e.code == 1 && t.file.chars().any(|c| c.is_ascii_uppercase()) {
            spellings.push_str(
                "; the name has capitals and most TFTP servers match names case-sensitively \
                 (tftpd-hpa's --map-file can fold case)",
            );
        }
        if e.code == 1 {
            out.push(finding(
                "tftp-file-not-found",
                frames,
                format!(
                    "`{}` not found on {} (TFTP error 1: {}); the client fetched nothing after it{spellings}",
                    t.file.escape_debug(), t.server, e.message
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

/// A TFTP request for a URL the client was handed as its boot file: the URL is the cause.
fn url_explained(s: &BootSession, t: &Transfer) -> bool {
    t.stage.and_then(|i| s.stages.get(i)).is_some_and(|st| {
        st.client.loader == crate::proto::Loader::Firmware
            && !st.client.ipxe
            && st.boot_file.as_deref().is_some_and(crate::proto::is_url)
    })
}

pub fn no_response(s: &BootSession, ctx: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for (i, t) in s.tftp.iter().enumerate() {
        if t.wrong_source.is_some() || (t.file.contains("://") && url_explained(s, t)) {
            continue; // tftp-reply-wrong-source / boot-url-to-pxe-client name the cause
        }
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
        let spellings = both_spellings(s, t)
            .map(|b| format!(" ({b})"))
            .unwrap_or_default();
        out.push(finding(
            "tftp-no-response",
            frames,
            format!(
                "request for `{}` to {} sent {} time(s), never answered{icmp}{spellings}",
                t.file.escape_debug(),
                t.server,
                t.rrq_count
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
                    t.requested.text()
                ),
            )
        })
        .collect()
}

pub fn arp_unanswered(s: &BootSession, ctx: &Ctx) -> Vec<Finding> {
    if s.arp.iter().all(|q| q.answered) {
        return vec![];
    }
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
    if s.closed_by != ClosedBy::EndOfCapture {
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
        // GRUB's module lists and per-client configs over HTTP: a 404 is as normal as TFTP's
        // "file not found" for them.
        let path = super::url_path(&h.url);
        if h.status_code == Some(404) && is_optional_probe(path) {
            continue;
        }
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
            // From the last new byte, not the last frame: a client that gives up on a stalled
            // download (its FIN) just before the capture ends still saw a stall.
            (TransferStatus::Incomplete, _) if ctx.observed_after(s, h.last_progress) >= 5.0 => {
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

/// Normalised for "is this the file that was offered?": case, leading slashes and trailing
/// junk (NUL, 0xFF decoded as U+FFFD, control characters, whitespace) do not count.
fn name_key(n: &str) -> String {
    n.trim_start_matches('/')
        .trim_end_matches(|c: char| c.is_control() || c.is_whitespace() || c == '\u{fffd}')
        .to_ascii_lowercase()
}

fn spell(name: &str, hex: Option<&str>) -> String {
    let hex = hex
        .map(str::to_string)
        .unwrap_or_else(|| crate::proto::hex_bytes(name.as_bytes()));
    format!("`{}` [{hex}]", name.escape_debug())
}

/// The offered boot file and the RRQ that asked for it under another spelling (extra bytes,
/// case, a leading slash), when that request did not succeed.
fn misspelled<'a>(s: &'a BootSession, st: &'a Stage) -> Option<(&'a Offer, &'a Transfer)> {
    let offered = st.boot_file.as_deref()?;
    let offer = st
        .offers
        .iter()
        .rev()
        .find(|o| o.boot_file() == Some(offered))?;
    let t = st
        .transfers
        .iter()
        .filter_map(|&i| s.tftp.get(i))
        .filter(|t| t.direction == Direction::Read && !t.ok() && !is_probe_abort(t))
        .find(|t| t.file != offered && name_key(&t.file) == name_key(offered))?;
    Some((offer, t))
}

/// "offered as `pxelinux.0` [70 78 …], requested as `pxelinux.0\u{fffd}` [70 78 … ff]".
fn both_spellings(s: &BootSession, t: &Transfer) -> Option<String> {
    let st = t.stage.and_then(|i| s.stages.get(i))?;
    let (o, rrq) = misspelled(s, st)?;
    (std::ptr::eq(rrq, t)).then(|| {
        format!(
            "offered as {}, requested as {}",
            spell(o.boot_file().unwrap_or(""), o.boot_file_hex.as_deref()),
            spell(&t.file, t.file_hex.as_deref())
        )
    })
}

/// The failed read (TFTP error) of the stage that asked for the suspect offered name `name`: as
/// offered, or as firmware spells the bad bytes (OVMF sends the 0xFF as is; BIOS iPXE sends
/// `pxelinux.0%FFFFFFFF`, sign-extended and URL-encoded) — whatever starts with the name's clean
/// part and goes on past it.
fn failed_request_for<'a>(s: &'a BootSession, st: &'a Stage, name: &str) -> Option<&'a Transfer> {
    let clean = name
        .split(|c: char| c.is_control() || c == '\u{fffd}')
        .next()
        .unwrap_or("")
        .trim();
    st.transfers
        .iter()
        .filter_map(|&i| s.tftp.get(i))
        .filter(|t| t.direction == Direction::Read && t.status == TransferStatus::Error)
        .find(|t| {
            let f = t.file.trim_start_matches('/');
            t.file == name
                || name_key(&t.file) == name_key(name)
                || (!clean.is_empty() && f.len() > clean.len() && f.starts_with(clean))
        })
}

pub fn boot_file_name_suspect(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for st in &s.stages {
        let mut seen: Vec<&str> = vec![];
        for o in &st.offers {
            let (Some(issue), Some(name)) = (&o.boot_file_issue, o.boot_file()) else {
                continue;
            };
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            let mut frames = vec![o.frame];
            let mut consequence = String::new();
            if let Some(t) = failed_request_for(s, st, name) {
                frames.push(t.first_frame);
                frames.extend(t.error.as_ref().map(|e| e.frame));
                consequence = format!(
                    "; the client asked for it as {} and was refused (the name is why this \
                     boot failed)",
                    spell(&t.file, t.file_hex.as_deref())
                );
            }
            out.push(finding(
                "boot-file-name-suspect",
                frames,
                format!(
                    "{} from {} names boot file {} with {issue}; firmware reads such names \
                     differently (a C string, or the bytes as they are){consequence}",
                    o.message,
                    o.server,
                    spell(name, o.boot_file_hex.as_deref())
                ),
            ));
        }
        if let Some((o, t)) = misspelled(s, st) {
            let what = match &t.file_issue {
                Some(i) => format!("the request carries {i}"),
                None if t.file.trim_start_matches('/')
                    == o.boot_file().unwrap_or("").trim_start_matches('/') =>
                {
                    "the request adds a leading slash".to_string()
                }
                None => "the request differs in case or path".to_string(),
            };
            out.push(finding(
                "boot-file-name-suspect",
                vec![o.frame, t.first_frame],
                format!(
                    "the client asked {} for another spelling than it was offered ({what}): \
                     offered as {}, requested as {}",
                    t.server,
                    spell(o.boot_file().unwrap_or(""), o.boot_file_hex.as_deref()),
                    spell(&t.file, t.file_hex.as_deref())
                ),
            ));
        }
    }
    out
}

/// The boot file arrived completely and the same firmware started over without asking for any
/// other file: it refused or lost the image (Secure Boot, format, corruption).
// Long on purpose: per stage, one condition after another (complete file, right family, no
// other file, firmware restarted), each `continue` ruling out a cause; the message uses them all.
pub fn nbp_rejected(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    use crate::proto::Loader;
    let mut out = vec![];
    for (i, st) in s.stages.iter().enumerate() {
        if !matches!(st.client.loader, Loader::Firmware | Loader::HttpBoot) {
            continue;
        }
        let Some(bf) = st.boot_file.as_deref() else {
            continue;
        };
        let file = crate::session::split_url(bf).0.unwrap_or(bf.to_string());
        let done_tftp = st
            .transfers
            .iter()
            .filter_map(|&x| s.tftp.get(x))
            .find(|t| t.ok() && same_file(&t.file, &file));
        let done_http = s.http.iter().find(|h| {
            h.stage == Some(i) && h.method == "GET" && h.status == TransferStatus::Complete
        });
        let (first, last, end, kind, signed, size) = match (done_tftp, done_http) {
            (Some(t), _) => (
                t.first_frame,
                t.final_frame.unwrap_or(t.last_frame),
                t.end,
                &t.file_kind,
                t.signed,
                t.bytes,
            ),
            (None, Some(h)) => (
                h.first_frame,
                h.last_frame,
                h.end,
                &h.file_kind,
                h.signed,
                h.bytes,
            ),
            _ => continue,
        };
        // An image of the wrong family: arch-mismatch names that cause.
        if kind
            .as_ref()
            .is_some_and(|k| crate::proto::file_misfit(st.client.family(), k).is_some())
        {
            continue;
        }
        // Anything else asked for after it means the image ran.
        let other_file = s
            .tftp
            .iter()
            .any(|t| t.start > end && !same_file(&t.file, &file))
            || s.http
                .iter()
                .any(|h| h.start > end && h.first_frame > last && !h.url.ends_with(&file));
        if other_file {
            continue;
        }
        // The same firmware starting over: a PXE/HTTP-boot DISCOVER or a DHCPv6 SOLICIT of the
        // same machine (not iPXE, GRUB or an installer: those mean the image ran).
        let Some(next) = s.stages[i + 1..].iter().find(|n| {
            matches!(n.client.loader, Loader::Firmware | Loader::HttpBoot)
                && n.start.0 > end.0
                && (n.client.arch.code.is_some() || n.protocol == Protocol::Dhcpv6)
                && n.client.family().efi_of_cpu() == st.client.family().efi_of_cpu()
        }) else {
            continue;
        };
        let what = match kind {
            Some(crate::proto::FileKind::Pe { machine_name, .. }) => format!(
                "an EFI image for {machine_name}{}",
                match signed {
                    Some(true) => ", with an Authenticode signature",
                    Some(false) => ", with no Authenticode signature",
                    None => "",
                }
            ),
            Some(k) => format!("{k:?}").to_lowercase(),
            None => "of unknown kind".to_string(),
        };
        let likely = match (kind, signed) {
            (Some(crate::proto::FileKind::Pe { .. }), Some(false)) => {
                "Secure Boot refusing an unsigned image (\"Access Denied\" on screen), or, with \
                 Secure Boot off, the image exiting at once because it found nothing it could use \
                 (a loader that needs PXE/TFTP started over HTTP)"
            }
            (Some(crate::proto::FileKind::Pe { .. }), _) => {
                "Secure Boot refusing an image whose signer is not trusted, a damaged image, or the \
                 image exiting at once"
            }
            _ => "an image this firmware cannot start (format) or a damaged one",
        };
        let mut frames = vec![first, last];
        frames.extend(next.discovers.first().copied().or(Some(next.first_frame)));
        out.push(finding(
            "nbp-rejected",
            frames,
            format!(
                "`{file}` ({size} bytes, {what}) was transferred completely, then the firmware \
                 started over (stage {}, {}) without asking for any other file: it refused or lost \
                 the image; likely {likely}",
                next.index + 1,
                next.who(s.stages.get(next.index.wrapping_sub(1)))
            ),
        ));
    }
    out
}

/// The reply to a read came from another address than the request went to, and the client
/// ignored it (its stack matches replies on the server's address).
pub fn reply_wrong_source(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    s.tftp
        .iter()
        .filter(|t| !t.answered)
        .filter_map(|t| t.wrong_source.as_ref().map(|w| (t, w)))
        .map(|(t, w)| {
            let mut frames = vec![t.first_frame, w.frame];
            frames.extend(t.icmp_unreachable.iter().copied().take(2));
            finding(
                "tftp-reply-wrong-source",
                frames,
                format!(
                    "the request for `{}` went to {} but the {} answer(s) came from {}:{}; the \
                     client ignored them{} (sent the request {} time(s))",
                    t.file,
                    t.server,
                    w.packets,
                    w.from,
                    w.port,
                    if t.icmp_unreachable.is_empty() {
                        ""
                    } else {
                        " and answered with ICMP port unreachable"
                    },
                    t.rrq_count
                ),
            )
        })
        .collect()
}

/// An iPXE stage that found nothing to run for itself and stopped: its DHCP answer named no
/// script or iPXE-specific file (often only what the firmware already loaded).
pub fn ipxe_no_script(s: &BootSession, _: &Ctx) -> Vec<Finding> {
    let mut out = vec![];
    for (i, st) in s.stages.iter().enumerate() {
        if !st.client.ipxe || i == 0 {
            continue;
        }
        // Chainloaded: an earlier stage loaded something (the iPXE binary).
        let earlier_loaded = s.stages[..i].iter().any(|p| {
            p.transfers
                .iter()
                .filter_map(|&x| s.tftp.get(x))
                .any(|t| t.ok())
        });
        // Stopped: nothing later, and this stage fetched nothing but optional probes.
        let fetched_something = st
            .transfers
            .iter()
            .filter_map(|&x| s.tftp.get(x))
            .any(|t| t.ok() || !is_optional_probe(&t.file))
            || s.http.iter().any(|h| h.stage == Some(i));
        let later = s.stages[i + 1..].iter().any(|l| !l.transfers.is_empty());
        if !earlier_loaded || fetched_something || later || st.address.is_none() {
            continue;
        }
        let handed = st.boot_file.as_deref();
        if handed.is_some_and(is_ipxe_binary) {
            continue; // ipxe-chainload-loop
        }
        let repeats = handed.is_some_and(|h| {
            s.stages[..i]
                .iter()
                .any(|p| p.boot_file.as_deref().is_some_and(|b| same_file(b, h)))
        });
        if handed.is_some() && !repeats {
            continue; // it was given something of its own; its transfer rules judge it
        }
        let mut frames: Vec<FrameRef> = st.discovers.first().copied().into_iter().collect();
        frames.extend(st.offers.iter().map(|o| o.frame).take(3));
        frames.extend(
            st.transfers
                .iter()
                .filter_map(|&x| s.tftp.get(x))
                .map(|t| t.first_frame),
        );
        let probes: Vec<&str> = st
            .transfers
            .iter()
            .filter_map(|&x| s.tftp.get(x))
            .map(|t| t.file.as_str())
            .collect();
        out.push(finding(
            "ipxe-no-script",
            frames,
            format!(
                "iPXE (stage {}) got {} and no script of its own{}, then stopped",
                i + 1,
                match handed {
                    Some(h) => format!("the firmware's boot file `{h}` again"),
                    None => "an address but no boot file".to_string(),
                },
                if probes.is_empty() {
                    String::new()
                } else {
                    format!(" ({} not found)", probes.join(", "))
                }
            ),
        ));
    }
    out
}
