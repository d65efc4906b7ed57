//! The floor for bench/run.sh: read a capture with pcap-parser, slice every frame with
//! etherparse and decode DHCP with dhcproto — no sessions, no output. analyze is compared to it.
//! Usage: bare_loop FILE.pcap

use dhcproto::{Decodable, Decoder};
use etherparse::{SlicedPacket, TransportSlice};
use pcap_parser::{create_reader, PcapBlockOwned, PcapError};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: bare_loop FILE");
        std::process::exit(2);
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let Ok(mut reader) = create_reader(1 << 20, file) else {
        eprintln!("{path}: not a capture");
        std::process::exit(2);
    };
    let (mut frames, mut udp, mut dhcp) = (0u64, 0u64, 0u64);
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                let data = match &block {
                    PcapBlockOwned::Legacy(b) => Some(b.data),
                    PcapBlockOwned::NG(pcap_parser::Block::EnhancedPacket(e)) => Some(e.data),
                    _ => None,
                };
                if let Some(d) = data {
                    frames += 1;
                    if let Ok(p) = SlicedPacket::from_ethernet(d) {
                        if let Some(TransportSlice::Udp(u)) = p.transport {
                            udp += 1;
                            if (matches!(u.destination_port(), 67 | 68)
                                || matches!(u.source_port(), 67 | 68))
                                && dhcproto::v4::Message::decode(&mut Decoder::new(u.payload()))
                                    .is_ok()
                            {
                                dhcp += 1;
                            }
                        }
                    }
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.refill().is_err() || reader.reader_exhausted() && reader.data().is_empty()
                {
                    break;
                }
                if reader.reader_exhausted() {
                    break;
                }
            }
            Err(e) => {
                eprintln!("{path}: {e:?}");
                break;
            }
        }
    }
    println!("{frames} frames, {udp} UDP, {dhcp} DHCP");
}
