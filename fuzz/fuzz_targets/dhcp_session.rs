//! DHCPv4, DHCPv6, proxyDHCP (4011) and TFTP payloads carried into the session tracker and the
//! diagnosis rules. The input is a sequence of packets, each `[kind][len][payload…]`; the kind
//! chooses ports and direction, so one input can build a whole (hostile) boot conversation
//! between one client and one server.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| pxe_inspect::fuzzing::dhcp_session::run(data));
