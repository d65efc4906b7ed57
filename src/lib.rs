//! pxe-inspect: network boot (PXE) analysis. Frames flow one way:
//! source -> wire -> session::Tracker -> diag -> render (see DESIGN.md in docs/).

/// `eprintln!` for notes printed while other output flows: the line is formatted first and
/// written to stderr in one `write`, so it cannot be cut in two by a stdout line landing in
/// the same file or terminal (`eprintln!` writes each formatted piece separately on the
/// unbuffered stderr, and serve's log showed JSON lines inside its own lines).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::say_line(::std::format_args!($($arg)*))
    };
}

/// What `say!` calls; errors writing to stderr are ignored, as `eprintln!` would panic on them.
#[doc(hidden)]
pub fn say_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut line = std::fmt::format(args);
    line.push('\n');
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

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
