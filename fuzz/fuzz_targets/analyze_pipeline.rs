//! The whole `analyze` path on one capture file's bytes: read, decode, track sessions,
//! diagnose, and render every output format.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pxe_inspect::fuzzing::analyze_pipeline::run(data));
