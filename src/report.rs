//! The document `analyze` produces (schema `pxe-inspect/analyze/1`) and the capture-wide
//! findings that belong to no single session.

use crate::model::*;
use crate::pipeline::Stats;
use crate::source::ReadEnd;
use serde::Serialize;

pub const SCHEMA: &str = "pxe-inspect/analyze/1";
pub const JSONL_SCHEMA: &str = "pxe-inspect/jsonl/1";

#[derive(Debug, Clone, Serialize)]
pub struct InputInfo {
    pub index: usize,
    pub path: String,
    pub format: String,
    pub compressed: bool,
    pub linktypes: Vec<u32>,
    pub frames: u64,
    /// Null when the file could not be read at all.
    pub end: Option<ReadEnd>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub tool: String,
    pub inputs: Vec<InputInfo>,
    pub sessions: Vec<BootSession>,
    /// Capture-wide findings (damaged files, snaplen, caps); sessions carry their own.
    pub findings: Vec<Finding>,
    pub stats: Stats,
}

pub fn tool_version() -> String {
    format!("pxe-inspect {}", env!("CARGO_PKG_VERSION"))
}

/// Findings about the capture as a whole.
pub fn capture_findings(inputs: &[InputInfo], stats: &Stats) -> Vec<Finding> {
    let mut out = vec![];
    for i in inputs {
        if let Some(end) = &i.end {
            if !end.clean {
                out.push(crate::diag::finding(
                    "analysis-truncated",
                    vec![FrameRef { input: i.index, frame: end.frames }],
                    format!("{}: {}; analysed the {} frames before it", i.path, end.message.clone().unwrap_or_else(|| "damaged".into()), end.frames),
                ));
            }
        }
    }
    if stats.snaplen_cut > 0 {
        let frames = stats.malformed_samples.iter().filter(|m| m.what.contains("snaplen")).map(|m| FrameRef { input: m.input, frame: m.frame }).take(10).collect();
        out.push(crate::diag::finding("analysis-truncated", frames, format!("{} frames were cut short by the capture's snaplen; options and file contents may be missing", stats.snaplen_cut)));
    }
    if stats.sessions_capped > 0 {
        out.push(crate::diag::finding("analysis-capped", vec![], format!("{} new clients were not tracked: the session cap was reached", stats.sessions_capped)));
    }
    if stats.records_capped > 0 {
        out.push(crate::diag::finding("analysis-capped", vec![], format!("{} DHCP messages or TFTP transfers were not recorded: a client exceeded the per-session cap", stats.records_capped)));
    }
    out
}
