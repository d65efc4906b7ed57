//! ARP and ICMP: evidence for PXE-E11 and for unanswered requests. A client's ARP requests and
//! whether they were answered; ICMP unreachables quoting a session's datagrams (and the TFTP
//! transfer they hit).

use super::{push_lean, ClientKey, TKey, Tracker};
use crate::model::*;
use crate::wire::link::{ArpPacket, IcmpUnreachable};
use std::net::IpAddr;

impl Tracker {
    pub fn on_arp(&mut self, frame: FrameRef, ts: i64, a: &ArpPacket) {
        match a.op {
            1 => {
                let Some(&id) = self.by_key.get(&ClientKey::Mac(a.sender_mac)) else {
                    return;
                };
                if a.target_ip == a.sender_ip {
                    return; // gratuitous / probe of own address
                }
                let Some(o) = self.touch(id, frame, ts) else {
                    return;
                };
                let target = IpAddr::V4(a.target_ip);
                if let Some(q) =
                    o.s.arp
                        .iter_mut()
                        .find(|q| q.target == target && !q.answered)
                {
                    q.count += 1;
                } else if o.s.arp.len() < 64 {
                    push_lean(
                        &mut o.s.arp,
                        ArpQuery {
                            frame,
                            time: Timestamp(ts),
                            target,
                            answered: false,
                            count: 1,
                        },
                    );
                    let waiting = self.arp_waiting.entry(target).or_default();
                    if !waiting.contains(&id) {
                        waiting.push(id);
                    }
                }
            }
            2 => {
                let sender = IpAddr::V4(a.sender_ip);
                for id in self.arp_waiting.remove(&sender).unwrap_or_default() {
                    self.wake(id);
                    if let Some(o) = self.open.get_mut(&id) {
                        for q in o.s.arp.iter_mut().filter(|q| q.target == sender) {
                            q.answered = true;
                        }
                    }
                }
            }
            _ => {}
        }
    }

    pub fn on_icmp(&mut self, frame: FrameRef, ts: i64, i: &IcmpUnreachable) {
        let tk1 = TKey {
            client: i.orig_src,
            client_port: i.orig_sport,
            server: i.orig_dst,
        };
        let tk2 = TKey {
            client: i.orig_dst,
            client_port: i.orig_dport,
            server: i.orig_src,
        };
        let about = format!(
            "{}:{} -> {}:{}",
            i.orig_src, i.orig_sport, i.orig_dst, i.orig_dport
        );
        let hit = self
            .transfers
            .get(&tk1)
            .or(self.transfers.get(&tk2))
            .copied();
        let id = match hit {
            Some((id, _)) => Some(id),
            None => self
                .by_ip
                .get(&i.orig_src)
                .or(self.by_ip.get(&i.orig_dst))
                .copied(),
        };
        let Some(id) = id else { return };
        let Some(o) = self.touch(id, frame, ts) else {
            return;
        };
        if let Some((_, ti)) = hit {
            if let Some(t) = o.s.tftp.get_mut(ti) {
                push_lean(&mut t.icmp_unreachable, frame);
            }
        }
        if let Some(n) =
            o.s.icmp
                .iter_mut()
                .find(|n| n.about == about && n.from == i.from && n.code == i.code)
        {
            n.count += 1;
            n.last_frame = frame;
        } else if o.s.icmp.len() < 64 {
            push_lean(
                &mut o.s.icmp,
                IcmpNote {
                    frame,
                    time: Timestamp(ts),
                    from: i.from,
                    code: i.code,
                    about,
                    count: 1,
                    last_frame: frame,
                },
            );
        }
    }
}
