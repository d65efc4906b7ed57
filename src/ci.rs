//! CI mode: exit codes from findings, per-client expectations (`--expect FILE.toml`) and JUnit XML.

use crate::model::*;
use crate::report::Report;
use serde::Deserialize;
use std::fmt::Write as _;

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
            crate::diag::finding(
                "expectation-failed",
                r.frames.clone(),
                format!("{}: {}", r.name, r.failures.join("; ")),
            )
        })
        .collect()
}

pub fn threshold(fail_on: crate::cli::FailOn) -> Option<Severity> {
    use crate::cli::FailOn::*;
    match fail_on {
        Error => Some(Severity::Error),
        Warning => Some(Severity::Warning),
        Info => Some(Severity::Info),
        Never => None,
    }
}

/// Exit code per CONTRACT.md (0 clean, 1 findings at or above the threshold).
pub fn exit_code(r: &Report, fail_on: crate::cli::FailOn) -> i32 {
    let Some(min) = threshold(fail_on) else {
        return crate::exit::OK;
    };
    let any = r
        .findings
        .iter()
        .chain(r.sessions.iter().flat_map(|s| s.findings.iter()))
        .any(|f| f.severity >= min);
    if any {
        crate::exit::FINDINGS
    } else {
        crate::exit::OK
    }
}

/// XML/HTML text escaping (JUnit and the HTML report); control characters become spaces.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// JUnit XML: a testsuite per input file, a testcase per client session (failing when it has a
/// finding at or above --fail-on) and per expectation.
pub fn junit(r: &Report, expects: &[ExpectResult], fail_on: crate::cli::FailOn) -> String {
    let min = threshold(fail_on);
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"pxe-inspect\">\n",
    );
    for inp in &r.inputs {
        let sessions: Vec<&BootSession> = r
            .sessions
            .iter()
            .filter(|s| s.first_frame.input == inp.index)
            .collect();
        let mut cases = String::new();
        let mut failures = 0;
        let mut tests = 0;
        for s in &sessions {
            tests += 1;
            let bad: Vec<&Finding> = s
                .findings
                .iter()
                .filter(|f| min.is_some_and(|m| f.severity >= m))
                .collect();
            let _ = write!(
                cases,
                "    <testcase classname=\"pxe-inspect.session\" name=\"{}\" time=\"{:.3}\"",
                esc(&s.label()),
                s.duration_s.max(0.0)
            );
            if bad.is_empty() {
                cases.push_str("/>\n");
            } else {
                failures += 1;
                let text: Vec<String> = bad
                    .iter()
                    .map(|f| {
                        format!(
                            "{} {}: {} (frames {:?})",
                            f.severity.name(),
                            f.id,
                            f.message,
                            f.frames.iter().map(|fr| fr.frame).collect::<Vec<_>>()
                        )
                    })
                    .collect();
                let _ = write!(
                    cases,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                    esc(&format!(
                        "{} finding(s), outcome {}",
                        bad.len(),
                        s.outcome.name()
                    )),
                    esc(&bad[0].id),
                    esc(&text.join("\n"))
                );
            }
        }
        if inp.index == 0 {
            for e in expects {
                tests += 1;
                let _ = write!(
                    cases,
                    "    <testcase classname=\"pxe-inspect.expect\" name=\"{}\" time=\"0\"",
                    esc(&e.name)
                );
                if e.failures.is_empty() {
                    cases.push_str("/>\n");
                } else {
                    failures += 1;
                    let _ = write!(cases, ">\n      <failure message=\"{}\" type=\"expectation-failed\">{}</failure>\n    </testcase>\n", esc(&e.failures.join("; ")), esc(&e.failures.join("\n")));
                }
            }
        }
        if let Some(err) = &inp.error {
            tests += 1;
            failures += 1;
            let _ = write!(cases, "    <testcase classname=\"pxe-inspect.input\" name=\"read\" time=\"0\">\n      <failure message=\"{}\" type=\"input-error\"/>\n    </testcase>\n", esc(err));
        }
        let _ = write!(x, "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n{cases}  </testsuite>\n", esc(&inp.path));
    }
    x.push_str("</testsuites>\n");
    x
}
