//! `--expect FILE.toml`: per-client expectations (arch, outcome, fetched files, findings that must
//! or must not appear), checked against closed sessions; each failed one becomes an
//! `expectation-failed` finding.

use crate::model::*;
use serde::Deserialize;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ExpectFile {
    #[serde(default)]
    pub client: Vec<ClientExpect>,
}

/// One `[[client]]` table. `mac = "any"` passes when at least one PXE session meets every check.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct ClientExpect {
    pub mac: String,
    pub arch: Option<u16>,
    pub outcome: Option<String>,
    /// Files that must have been fetched completely.
    #[serde(default)]
    pub fetched: Vec<String>,
    /// Finding IDs that must appear.
    #[serde(default)]
    pub findings: Vec<String>,
    /// Finding IDs that must not appear.
    #[serde(default)]
    pub absent: Vec<String>,
    /// Finding IDs tolerated for this client (not counted for the exit code).
    #[serde(default)]
    pub allow: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ExpectResult {
    pub name: String,
    pub failures: Vec<String>,
    pub frames: Vec<FrameRef>,
}

pub fn load(path: &str) -> Result<ExpectFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let f: ExpectFile = toml::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    for c in &f.client {
        if let Some(o) = &c.outcome {
            if !["booted", "failed", "incomplete", "not-pxe"].contains(&o.as_str()) {
                return Err(format!(
                    "{path}: client {}: outcome `{o}` is not booted|failed|incomplete|not-pxe",
                    c.mac
                ));
            }
        }
        for id in c.findings.iter().chain(&c.absent).chain(&c.allow) {
            if crate::diag::registry::rule(id).is_none() {
                return Err(format!(
                    "{path}: client {}: unknown finding ID `{id}` (see `pxe-inspect explain`)",
                    c.mac
                ));
            }
        }
    }
    Ok(f)
}

fn check_one(e: &ClientExpect, s: &BootSession) -> Vec<String> {
    let mut fails = vec![];
    if let Some(a) = e.arch {
        if s.client.arch.code != Some(a) {
            fails.push(format!("arch is {:?}, expected {a}", s.client.arch.code));
        }
    }
    if let Some(o) = &e.outcome {
        if s.outcome.name() != o {
            fails.push(format!("outcome is {}, expected {o}", s.outcome.name()));
        }
    }
    for f in &e.fetched {
        if !s
            .tftp
            .iter()
            .any(|t| t.ok() && t.file.trim_start_matches('/') == f.trim_start_matches('/'))
        {
            fails.push(format!("`{f}` was not fetched completely"));
        }
    }
    let ids: Vec<&str> = s.findings.iter().map(|f| f.id.as_str()).collect();
    for id in &e.findings {
        if !ids.contains(&id.as_str()) {
            fails.push(format!("finding {id} expected, not found"));
        }
    }
    for id in &e.absent {
        if ids.contains(&id.as_str()) {
            fails.push(format!("finding {id} present, expected absent"));
        }
    }
    fails
}

pub fn normalize_mac(m: &str) -> String {
    m.to_ascii_lowercase().replace('-', ":")
}

pub fn evaluate(ex: &ExpectFile, sessions: &mut [BootSession]) -> Vec<ExpectResult> {
    let mut out = vec![];
    for e in &ex.client {
        let name = format!("expect client {}", e.mac);
        if e.mac == "any" {
            let cands: Vec<&BootSession> = sessions.iter().filter(|s| s.pxe).collect();
            let best = cands
                .iter()
                .map(|s| (check_one(e, s), s.first_frame))
                .min_by_key(|(f, _)| f.len());
            match best {
                Some((f, fr)) => out.push(ExpectResult {
                    name,
                    failures: f,
                    frames: vec![fr],
                }),
                None => out.push(ExpectResult {
                    name,
                    failures: vec!["no PXE session in the capture".into()],
                    frames: vec![],
                }),
            }
        } else {
            let mac = normalize_mac(&e.mac);
            match sessions
                .iter_mut()
                .find(|s| s.client.mac.as_deref() == Some(mac.as_str()))
            {
                Some(s) => {
                    // Allowed findings no longer count for this client.
                    for f in s.findings.iter_mut().filter(|f| e.allow.contains(&f.id)) {
                        f.severity = Severity::Info;
                    }
                    crate::diag::set_outcomes(s);
                    out.push(ExpectResult {
                        name,
                        failures: check_one(e, s),
                        frames: vec![s.first_frame],
                    });
                }
                None => out.push(ExpectResult {
                    name,
                    failures: vec![format!("no session for client {mac}")],
                    frames: vec![],
                }),
            }
        }
    }
    out
}

pub fn expectation_findings(results: &[ExpectResult]) -> Vec<Finding> {
    results
        .iter()
        .filter(|r| !r.failures.is_empty())
        .map(|r| {
            super::finding(
                "expectation-failed",
                r.frames.clone(),
                format!("{}: {}", r.name, r.failures.join("; ")),
            )
        })
        .collect()
}
