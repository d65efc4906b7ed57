//! The document `analyze` produces (schema `pxe-inspect/analyze/2`): what every format is
//! rendered from (`render/`). Capture-wide findings are decided in `diag::capture`.

use crate::model::*;
use crate::pipeline::Stats;
use crate::source::ReadEnd;
use serde::Serialize;

pub const SCHEMA: &str = "pxe-inspect/analyze/2";
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
