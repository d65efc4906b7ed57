//! Frame decoding for every link type the analyzer knows, on arbitrary bytes. The first byte
//! picks the link type so one corpus reaches all of them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pxe_inspect::fuzzing::frame_decode::run(data));
