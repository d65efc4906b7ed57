//! pxe-inspect: network boot (PXE) analysis. Frames flow one way:
//! source -> wire -> session::Tracker -> diag -> render (see DESIGN.md in docs/).

pub mod analyze;
pub mod anon;
pub mod ci;
pub mod cli;
pub mod diag;
pub mod diff;
pub mod dnsmasq_conf;
pub mod docs;
pub mod fuzzing;
pub mod lint;
pub mod live;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod probe;
pub mod proto;
pub mod render;
pub mod report;
pub mod serve;
pub mod session;
pub mod sink;
pub mod source;
pub mod spool;
pub mod synth;
pub mod textfmt;
pub mod wire;

/// Exit codes shared by every subcommand (CONTRACT.md).
pub mod exit {
    pub const OK: i32 = 0;
    pub const FINDINGS: i32 = 1;
    pub const USAGE: i32 = 2;
}
