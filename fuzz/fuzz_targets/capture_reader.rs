//! The capture readers (pcap, pcapng, gzip, zstd) on arbitrary bytes: every frame they yield
//! must be self-consistent, and the read must end (cleanly or with a positioned error).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pxe_inspect::fuzzing::capture_reader::run(data));
