//! JUnit XML (`--junit FILE`): a testsuite per input, a testcase per client session and per
//! expectation.

use super::esc;
use crate::diag::expect::ExpectResult;
use crate::model::*;
use crate::report::Report;
use std::fmt::Write as _;

/// JUnit XML: a testsuite per input file, a testcase per client session (failing when it has a
/// finding at or above --fail-on) and per expectation.
// Long on purpose: per input, three kinds of testcase (session, expectation, read error) counted
// into the one tests/failures pair the testsuite element written after them carries.
pub fn junit(r: &Report, expects: &[ExpectResult], fail_on: crate::cli::FailOn) -> String {
    let min = fail_on.min_severity();
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
