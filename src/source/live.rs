//! The live pcap handle (libpcap via the `pcap` crate) that `capture` and `serve`'s observer
//! read from, and the BPF filter that keeps PXE traffic.

use std::io::{self, Write};

/// Keeps PXE traffic and little else. TFTP data runs on ephemeral ports, and re-attaching a filter
/// as transfers start is racy (DATA 1 follows the RRQ within microseconds), so TFTP is matched by
/// its payload: opcode 3..6 in the first two bytes of any IPv4 UDP payload; user space drops the
/// false positives by TID. Non-first IPv4 fragments carry no UDP header, so they are all kept
/// (a blksize above the MTU fragments every block). IPv6 UDP is kept whole (libpcap cannot
/// index IPv6 payloads).
pub const PXE_FILTER_CORE: &str = "(udp port 67 or udp port 68 or udp port 4011 or udp port 69 or udp port 546 or udp port 547 \
or (ip and udp and udp[8:2] >= 3 and udp[8:2] <= 6) or (ip and ip[6:2] & 0x1fff != 0) or (ip6 and udp) or arp or icmp or icmp6 or tcp port 80 or tcp port 8080)";

/// The default filter plus extra UDP ports. `vlan` shifts the offsets of everything after it
/// (a libpcap rule), so the VLAN-tagged copy of the expression must come last.
pub fn pxe_filter(extra_ports: &[u16]) -> String {
    pxe_filter_tcp(extra_ports, &[])
}

/// As `pxe_filter`, plus TCP ports (serve's HTTP server on a port other than 80/8080). They go
/// inside the core expression: anything after `vlan` would be read at shifted offsets.
pub fn pxe_filter_tcp(udp_ports: &[u16], tcp_ports: &[u16]) -> String {
    let mut core = PXE_FILTER_CORE.trim_end_matches(')').to_string();
    for p in udp_ports {
        core.push_str(&format!(" or udp port {p}"));
    }
    for p in tcp_ports {
        core.push_str(&format!(" or tcp port {p}"));
    }
    core.push(')');
    format!("{core} or (vlan and {core})")
}

pub fn default_filter() -> String {
    pxe_filter(&[])
}

pub fn list_interfaces(out: &mut dyn Write) -> io::Result<()> {
    match pcap::Device::list() {
        Ok(devs) => {
            for (i, d) in devs.iter().enumerate() {
                let state = if d.flags.is_up() {
                    if d.flags.is_running() {
                        "up"
                    } else {
                        "up, not running"
                    }
                } else {
                    "down"
                };
                let addrs: Vec<String> = d.addresses.iter().map(|a| a.addr.to_string()).collect();
                writeln!(
                    out,
                    "{}. {} [{state}]{}{}",
                    i + 1,
                    d.name,
                    d.desc
                        .as_ref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default(),
                    if addrs.is_empty() {
                        String::new()
                    } else {
                        format!(" {}", addrs.join(" "))
                    }
                )?;
            }
            Ok(())
        }
        Err(e) => writeln!(out, "cannot list interfaces: {e}"),
    }
}

pub fn permission_hint(e: &str) -> String {
    if e.contains("ermission") || e.contains("not permitted") {
        format!("{e}\nhint: run as root, or give the binary the capability: setcap cap_net_raw,cap_net_admin=eip $(command -v pxe-inspect)")
    } else {
        e.to_string()
    }
}

/// Opens `iface` for capture: nanosecond timestamps, a 64 MiB ring, non-blocking, `filter`
/// applied (None: everything).
pub fn open(
    iface: &str,
    promisc: bool,
    filter: Option<&str>,
) -> Result<pcap::Capture<pcap::Active>, String> {
    let devs = pcap::Device::list().map_err(|e| permission_hint(&e.to_string()))?;
    let Some(dev) = devs.into_iter().find(|d| d.name == iface) else {
        let mut list = Vec::new();
        let _ = list_interfaces(&mut list);
        return Err(format!(
            "no such interface `{iface}`; available:\n{}",
            String::from_utf8_lossy(&list)
        ));
    };
    if iface != "any" && !dev.flags.is_up() {
        return Err(format!(
            "interface `{iface}` is down (ip link set {iface} up)"
        ));
    }
    let cap = pcap::Capture::from_device(dev)
        .map_err(|e| e.to_string())?
        .promisc(promisc)
        .snaplen(65_535)
        // A full-speed TFTP burst on a veth outruns libpcap's 2 MB default ring.
        .buffer_size(64 << 20)
        // Not immediate mode: that one (TPACKET_V2) gives every ring slot the largest frame
        // the interface might deliver, 64 KiB with receive offloads (veth, most NICs), so the
        // 64 MiB ring held ~1,000 frames and a 500-client windowsize-16 storm overflowed it
        // (915 of 197,500 frames dropped). TPACKET_V3 packs frames into blocks the kernel hands
        // over when full or after this timeout: the same ring holds ~40,000 MTU frames, and
        // sessions show up at most 50 ms late.
        .immediate_mode(false)
        .precision(pcap::Precision::Nano)
        .timeout(50)
        .open()
        .map_err(|e| permission_hint(&format!("cannot capture on `{iface}`: {e}")))?;
    // Non-blocking: libpcap's read timeout (TPACKET_V3) does not fire before the first packet,
    // which would leave Ctrl-C and --duration waiting on a quiet interface.
    let mut cap = cap.setnonblock().map_err(|e| e.to_string())?;
    if let Some(f) = filter {
        cap.filter(f, true)
            .map_err(|e| format!("filter `{f}`: {e}"))?;
    }
    Ok(cap)
}
