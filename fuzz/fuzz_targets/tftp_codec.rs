//! The hand-written TFTP codec: decoding never panics, and whatever decodes re-encodes to bytes
//! that decode to the same packet (decode → encode → decode).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pxe_inspect::fuzzing::tftp_codec::run(data));
