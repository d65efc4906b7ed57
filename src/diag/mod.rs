//! diag: pure rules over closed `BootSession` records. No I/O. Each rule returns findings with the
//! frames that prove them; `diagnose` applies `--allow`/`--deny` and sets the outcome
//! (CONTRACT.md).

pub mod capture;
pub mod dhcp;
pub mod expect;
pub mod registry;
pub mod screens;
pub mod tftp;

use crate::model::*;
use std::collections::HashSet;

#[derive(Debug, Clone, Default)]
pub struct DiagConfig {
    pub allow: HashSet<String>,
    pub deny: HashSet<String>,
    /// Highest packet time of the whole capture so far (how long the capture went on after a
    /// session's last packet matters for "never answered" vs "capture ended").
    pub capture_end_ns: i64,
}

/// Context a rule needs besides the session.
pub struct Ctx {
    pub capture_end_ns: i64,
}

impl Ctx {
    /// Seconds of capture after `ts` (infinite for sessions closed by idle timeout).
    pub fn observed_after(&self, s: &BootSession, ts: Timestamp) -> f64 {
        if s.closed_by == ClosedBy::Idle {
            return f64::INFINITY;
        }
        (self.capture_end_ns.max(s.end.0) - ts.0) as f64 / 1e9
    }
}

/// When the session's DHCP message in frame `f` was seen (rules carry frames, not times).
pub fn dhcp_time(s: &BootSession, f: &FrameRef) -> Option<Timestamp> {
    s.dhcp.iter().find(|m| m.frame == *f).map(|m| m.time)
}

pub fn finding(id: &str, frames: Vec<FrameRef>, message: String) -> Finding {
    let doc = registry::rule(id);
    let mut frames = frames;
    frames.sort();
    frames.dedup();
    frames.truncate(20);
    Finding {
        id: id.to_string(),
        severity: doc.map(|d| d.severity).unwrap_or(Severity::Warning),
        frames,
        message,
        hint: doc.map(|d| d.fix.to_string()).unwrap_or_default(),
    }
}

/// A finding whose fix speaks to the case at hand (the client's own code, the file it refused)
/// instead of the rule's general advice.
pub fn finding_with_hint(
    id: &str,
    frames: Vec<FrameRef>,
    message: String,
    hint: String,
) -> Finding {
    let mut f = finding(id, frames, message);
    f.hint = hint;
    f
}

type Rule = fn(&BootSession, &Ctx) -> Vec<Finding>;

const SESSION_RULES: &[Rule] = &[
    dhcp::no_offer,
    dhcp::no_ack,
    dhcp::slow_offer,
    dhcp::no_boot_file,
    dhcp::multiple_servers,
    dhcp::nak_decline,
    dhcp::boot_file_conflict,
    dhcp::proxy_missing_vendor_class,
    dhcp::proxy_unanswered,
    dhcp::proxy_wrong_port,
    dhcp::proxy_offer_late,
    dhcp::arch_unknown,
    dhcp::http_boot_no_url,
    dhcp::dhcpv6_no_boot_url,
    dhcp::dhcpv6_status_error,
    dhcp::offers_ignored,
    dhcp::relay_reply_misrouted,
    dhcp::boot_url_to_pxe_client,
    tftp::boot_file_name_suspect,
    tftp::nbp_rejected,
    tftp::reply_wrong_source,
    tftp::ipxe_no_script,
    tftp::arch_mismatch,
    tftp::file_errors,
    tftp::no_response,
    tftp::incomplete,
    tftp::retransmits,
    tftp::fragmented,
    tftp::options_ignored,
    tftp::arp_unanswered,
    tftp::chainload_loop,
    tftp::truncated,
    tftp::http_error,
];

/// Run every rule, apply allow/deny, set outcomes.
pub fn diagnose(s: &mut BootSession, cfg: &DiagConfig) {
    let ctx = Ctx {
        capture_end_ns: cfg.capture_end_ns,
    };
    let mut out = Vec::new();
    if s.pxe {
        for r in SESSION_RULES {
            out.extend(r(s, &ctx));
        }
    }
    apply_policy(&mut out, cfg);
    fold_consequences(&mut out);
    out.sort_by_key(|f| (std::cmp::Reverse(f.severity), f.frames.first().copied()));
    s.findings = out;
    set_outcomes(s);
}

/// A finding that names the cause takes in the finding of its consequence: when the RRQ that
/// got "File not found" is the suspect boot file name itself (its frames are the cause's
/// evidence), `tftp-file-not-found` goes and `boot-file-name-suspect` is raised as an error —
/// the name is why the boot failed, and the first finding a person reads should say so.
fn fold_consequences(findings: &mut Vec<Finding>) {
    let causes: Vec<usize> = (0..findings.len())
        .filter(|&i| findings[i].id == "boot-file-name-suspect")
        .collect();
    let mut folded = vec![false; findings.len()];
    for &c in &causes {
        for (j, f) in findings.iter().enumerate() {
            if f.id == "tftp-file-not-found"
                && f.frames
                    .first()
                    .is_some_and(|fr| findings[c].frames.contains(fr))
            {
                folded[j] = true;
            }
        }
    }
    for &c in &causes {
        let takes_one = findings.iter().enumerate().any(|(j, f)| {
            folded[j]
                && f.frames
                    .first()
                    .is_some_and(|fr| findings[c].frames.contains(fr))
        });
        if takes_one {
            findings[c].severity = Severity::Error;
        }
    }
    let mut j = 0;
    findings.retain(|_| {
        j += 1;
        !folded[j - 1]
    });
}

pub fn apply_policy(findings: &mut Vec<Finding>, cfg: &DiagConfig) {
    findings.retain(|f| !cfg.allow.contains(&f.id));
    for f in findings.iter_mut() {
        if cfg.deny.contains(&f.id) {
            f.severity = Severity::Error;
        }
    }
}

/// The path of a URL after its host ("http://h:8080/a/b.efi" → "a/b.efi"; "" for none).
pub fn url_path(u: &str) -> &str {
    u.split_once("//")
        .and_then(|(_, r)| r.split_once('/'))
        .map(|(_, p)| p)
        .unwrap_or("")
}

fn norm(f: &str) -> &str {
    f.trim_start_matches('/')
}

/// Did the client fetch `file` (or something after it) completely in transfers `from..`?
fn booted_from(s: &BootSession, transfers: &[usize], boot_file: Option<&str>) -> bool {
    let reads: Vec<&Transfer> = transfers
        .iter()
        .filter_map(|&i| s.tftp.get(i))
        .filter(|t| t.direction == Direction::Read)
        .collect();
    let start = match boot_file {
        Some(b) => reads
            .iter()
            .position(|t| norm(&t.file) == norm(b) || b.ends_with(&format!("/{}", norm(&t.file)))),
        None => (!reads.is_empty()).then_some(0),
    };
    let Some(start) = start else { return false };
    let after = &reads[start..];
    let Some(first_ok) = after.iter().position(|t| t.ok()) else {
        return false;
    };
    // Nothing after it left unfinished without a successful retry.
    after[first_ok..].iter().enumerate().all(|(i, t)| {
        t.status != TransferStatus::Incomplete
            || after[first_ok + i + 1..]
                .iter()
                .any(|u| u.file == t.file && u.ok())
    })
}

/// Did the chain from stage `i` on end well: its boot file (or, when it did not fetch the file
/// it was offered — U-Boot's `pxe get`, GRUB's own DHCP — whatever it read) transferred
/// completely, with nothing after it left unfinished?
fn stage_chain_booted(s: &BootSession, i: usize) -> bool {
    let st = &s.stages[i];
    let http_done = |h: &crate::model::HttpTransfer| {
        h.stage.is_some_and(|x| x >= i)
            && h.status == TransferStatus::Complete
            && h.method != "HEAD"
    };
    // GRUB's module lists over HTTP: a 404 there is normal, as over TFTP.
    let optional_404 = |h: &crate::model::HttpTransfer| {
        h.status_code == Some(404) && tftp::is_optional_probe(url_path(&h.url))
    };
    let http_pending = s.http.iter().any(|h| {
        h.stage.is_some_and(|x| x >= i)
            && h.status != TransferStatus::Complete
            && !optional_404(h)
            && !s
                .http
                .iter()
                .any(|u| u.url == h.url && u.first_frame > h.first_frame && http_done(u))
            && h.method != "HEAD"
    });
    let reads: Vec<usize> = s.stages[i..]
        .iter()
        .flat_map(|x| x.transfers.iter().copied())
        .collect();
    let boot = st.boot_file.as_deref();
    if boot.is_some_and(|f| f.starts_with("http://") || f.starts_with("https://")) {
        let url = boot.unwrap_or_default();
        let path = url_path;
        return s
            .http
            .iter()
            .any(|h| http_done(h) && (h.url == url || path(&h.url) == path(url)))
            && !http_pending;
    }
    let fetched_boot = boot.is_some_and(|b| {
        reads
            .iter()
            .filter_map(|&t| s.tftp.get(t))
            .any(|t| norm(&t.file) == norm(b) || b.ends_with(&format!("/{}", norm(&t.file))))
    });
    let tftp_ok = if fetched_boot {
        booted_from(s, &reads, boot)
    } else {
        booted_from(s, &reads, None)
    };
    (tftp_ok || (reads.is_empty() && s.http.iter().any(http_done))) && !http_pending
}

pub fn set_outcomes(s: &mut BootSession) {
    if !s.pxe {
        s.outcome = Outcome::NotPxe;
        for st in &mut s.stages {
            st.outcome = Outcome::NotPxe;
        }
        return;
    }
    let failed = s.findings.iter().any(|f| f.severity == Severity::Error);
    for i in 0..s.stages.len() {
        // A stage's transfers run until the next stage starts.
        let later: Vec<usize> = s.stages[i..]
            .iter()
            .flat_map(|st| st.transfers.iter().copied())
            .collect();
        let ok = booted_from(s, &later, s.stages[i].boot_file.as_deref());
        let stage_failed = s.findings.iter().any(|f| {
            f.severity == Severity::Error
                && f.frames.iter().any(|fr| {
                    *fr >= s.stages[i].first_frame
                        && s.stages.get(i + 1).is_none_or(|n| *fr < n.first_frame)
                })
        });
        s.stages[i].outcome = if stage_failed {
            Outcome::Failed
        } else if ok {
            Outcome::Booted
        } else {
            Outcome::Incomplete
        };
    }
    // The outcome follows how the chain ended: the last stage that fetched anything (later
    // fallback attempts that fetched nothing change nothing).
    let fetched_in =
        |i: usize| !s.stages[i].transfers.is_empty() || s.http.iter().any(|h| h.stage == Some(i));
    let booted = match (0..s.stages.len()).rev().find(|&i| fetched_in(i)) {
        Some(i) => stage_chain_booted(s, i),
        None if s.stages.is_empty() => {
            let all: Vec<usize> = (0..s.tftp.len()).collect();
            booted_from(s, &all, None)
                || s.http
                    .iter()
                    .any(|h| h.status == TransferStatus::Complete && h.method != "HEAD")
        }
        None => false,
    };
    s.outcome = if failed {
        Outcome::Failed
    } else if booted {
        Outcome::Booted
    } else {
        Outcome::Incomplete
    };
}

#[cfg(test)]
mod tests;
