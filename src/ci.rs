//! CI mode: exit codes from findings (CONTRACT.md). Expectations (`--expect FILE.toml`) are
//! decided in `diag::expect`, JUnit XML is written by `render::junit`.

use crate::report::Report;

pub use crate::diag::expect::{evaluate, expectation_findings, load, normalize_mac, ExpectResult};

/// Exit code per CONTRACT.md (0 clean, 1 findings at or above the threshold).
pub fn exit_code(r: &Report, fail_on: crate::cli::FailOn) -> i32 {
    let Some(min) = fail_on.min_severity() else {
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
