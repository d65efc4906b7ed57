//! What `serve` does with packets from the network: the DHCP/proxyDHCP responder (both modes)
//! and the TFTP server's request handling and running transfer, on arbitrary bytes. Asserts the
//! safety rules that hold for any input: proxy mode never offers an address, and no reply ever
//! names a file outside the root.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pxe_inspect::fuzzing::serve_packet::run(data));
