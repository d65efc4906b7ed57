//! DHCPv6: a message joins the session of its client's MAC (sent, relayed or EUI-64), else its
//! DUID; a client's starts or joins a stage, a server's becomes a DHCPv6 offer of its stage.

use super::{dhcp4::identity_arch, empty_stage, push_lean, ClientKey, Tracker};
use crate::model::*;
use crate::proto::{Loader, VendorClass};
use crate::wire::dhcp4;
use crate::wire::dhcp6::{self, Dhcp6};
use crate::wire::link::UdpDatagram;
use std::net::IpAddr;

/// An event to emit once the session is let go: its kind and its text.
type Ev = (String, String);

/// One DHCPv6 message and what every step of handling it reads from it.
struct Msg6<'a> {
    frame: FrameRef,
    ts: i64,
    udp: &'a UdpDatagram<'a>,
    m: &'a Dhcp6,
    from_client: bool,
    xid: Xid,
    summary: String,
}

impl Tracker {
    pub fn on_dhcp6(&mut self, frame: FrameRef, ts: i64, udp: &UdpDatagram<'_>, m: &Dhcp6) {
        let from_client = matches!(m.msg_type, 1 | 3 | 4 | 5 | 6 | 8 | 9 | 11 | 12);
        let Some(id) = self.dhcp6_session(frame, ts, udp, m, from_client) else {
            return;
        };
        let name = dhcp6::msg_type_name(m.msg_type);
        let xid = Xid::v6(m.xid);
        let summary = dhcp6_summary(m, name, xid);
        let msg = Msg6 {
            frame,
            ts,
            udp,
            m,
            from_client,
            xid,
            summary,
        };
        let (bind, ev) = {
            let cap_dhcp = self.cfg.max_dhcp_per_session;
            let Some(o) = self.touch(id, frame, ts) else {
                return;
            };
            let s = &mut o.s;
            if let Some(d) = &m.client_duid {
                s.client.duid = Some(dhcp4::hex(d));
            }
            msg.record(s, cap_dhcp);
            if from_client {
                (None, msg.client_side(s))
            } else {
                msg.server_side(s)
            }
        };
        if let Some(ip) = bind {
            self.bind_ip(id, ip);
        }
        if let Some((k, t)) = ev {
            self.event(id, frame, ts, &k, t);
        }
    }

    /// The session a DHCPv6 message belongs to (opened if need be), its DUID added as a key.
    fn dhcp6_session(
        &mut self,
        frame: FrameRef,
        ts: i64,
        udp: &UdpDatagram<'_>,
        m: &Dhcp6,
        from_client: bool,
    ) -> Option<u64> {
        let ll = if from_client { udp.src } else { udp.dst };
        let mac = m.client_mac().or(match ll {
            IpAddr::V6(a) => dhcp6::eui64_mac(&a),
            _ => None,
        });
        let key = match (mac, &m.client_duid) {
            (Some(mac), _) => ClientKey::Mac(mac),
            (None, Some(d)) => ClientKey::Duid(d.clone()),
            (None, None) => return None,
        };
        // A DUID-keyed reply may belong to a MAC-keyed session: look up the DUID too.
        let id = match m
            .client_duid
            .as_ref()
            .and_then(|d| self.by_key.get(&ClientKey::Duid(d.clone())).copied())
        {
            Some(id) if !self.by_key.contains_key(&key) => Some(id),
            _ => self.session_for(key, frame, ts),
        };
        let id = id?;
        if let Some(d) = &m.client_duid {
            self.add_key(id, ClientKey::Duid(d.clone()));
        }
        Some(id)
    }
}

impl Msg6<'_> {
    /// The message in the session's DHCP log, unless the log is at its cap.
    fn record(&self, s: &mut BootSession, cap_dhcp: usize) {
        let (m, udp) = (self.m, self.udp);
        if s.dhcp.len() < cap_dhcp {
            push_lean(
                &mut s.dhcp,
                DhcpMessage {
                    frame: self.frame,
                    time: Timestamp(self.ts),
                    version: 6,
                    message: MessageName::Dhcp6(self.m.msg_type),
                    xid: self.xid,
                    src: std::net::SocketAddr::new(udp.src, udp.sport),
                    dst: std::net::SocketAddr::new(udp.dst, udp.dport),
                    from_client: self.from_client,
                    summary: self.summary.clone(),
                    issues: m
                        .issues
                        .iter()
                        .map(|w| dhcp4::OptionIssue {
                            code: None,
                            offset: 0,
                            what: w.clone(),
                            kind: dhcp4::IssueKind::Other,
                        })
                        .collect(),
                    text: None,
                },
            );
        } else {
            s.dhcp_messages_dropped += 1;
        }
    }

    /// A client message: the stage it starts (a Solicit with a new xid, or the first message),
    /// retries or belongs to, and what it counts as there. Returns the event of a stage starting.
    fn client_side(&self, s: &mut BootSession) -> Option<Ev> {
        let (m, xid, summary) = (self.m, &self.xid, &self.summary);
        let mut ev = None;
        let (ident, vc) = self.identity(s);
        let known = s.stages.iter().rposition(|st| st.xids.contains(xid));
        let retry_of_last = known.is_none()
            && m.msg_type == 1
            && s.stages.last().is_some_and(|st| {
                st.protocol == Protocol::Dhcpv6
                    && st.client.same_identity(&ident)
                    && !st.progressed()
            });
        if retry_of_last {
            if let Some(st) = s.stages.last_mut() {
                push_lean(&mut st.xids, *xid);
            }
        } else if (m.msg_type == 1 && known.is_none()) || s.stages.is_empty() {
            let index = s.stages.len();
            let mut st = empty_stage(index, Protocol::Dhcpv6, Some(*xid), self.frame, self.ts);
            st.vendor_class = vc.map(|v| v.raw);
            st.arch = m.arch.first().copied();
            st.user_class = m.user_class.clone();
            st.client = ident;
            if !m.relays.is_empty() {
                st.relay = Some(self.udp.src); // the relay agent that forwarded it
            }
            let text = match s.stages.last().and_then(|p| st.identity_switch(p)) {
                Some(switch) => format!("{switch}: {summary}"),
                None => format!("stage {} starts: {summary}", index + 1),
            };
            push_lean(&mut s.stages, st);
            ev = Some(("stage".to_string(), text));
        }
        let idx = known.unwrap_or(s.stages.len().saturating_sub(1));
        if let Some(st) = s.stages.get_mut(idx) {
            match m.msg_type {
                1 => push_lean(&mut st.discovers, self.frame),
                3 | 5 | 6 | 11 => push_lean(&mut st.requests, self.frame),
                9 => push_lean(&mut st.declines, self.frame),
                _ => {}
            }
        }
        ev
    }

    /// This message's identity (and its parsed vendor class). A PXE or HTTP class, an arch code
    /// or a request for the boot URL (ORO 59) marks the session as boot traffic.
    fn identity(&self, s: &mut BootSession) -> (Client, Option<VendorClass>) {
        let m = self.m;
        let vc = m.vendor_class.first().map(|v| VendorClass::parse(v));
        if vc.as_ref().is_some_and(|v| v.is_pxe() || v.is_http())
            || !m.arch.is_empty()
            || m.oro.contains(&59)
        {
            s.pxe = true;
        }
        let arch = m.arch.first().copied().or(vc.as_ref().and_then(|v| v.arch));
        let mut ident = Client::blank();
        ident.mac = s.client.mac.clone();
        ident.duid.clone_from(&s.client.duid);
        ident.loader = Loader::classify(vc.as_ref().map(|v| v.raw.as_str()), arch, false, false);
        ident.arch = identity_arch(arch, vc.as_ref().map(|v| v.raw.as_str()));
        ident.arch_list = m.arch.clone();
        ident.vendor_class_arch = vc.as_ref().and_then(|v| v.arch);
        ident.vendor_class = vc.as_ref().map(|v| v.raw.clone());
        ident.undi.clone_from(&m.nii);
        ident.user_class = m.user_class.clone();
        (ident, vc)
    }

    /// A server message: an offer of the stage with its xid, else the latest. Returns the
    /// address to bind the client to (a Reply's) and the event.
    fn server_side(&self, s: &mut BootSession) -> (Option<IpAddr>, Option<Ev>) {
        let m = self.m;
        let mut bind = None;
        let mut ev = None;
        let idx = s
            .stages
            .iter()
            .rposition(|st| st.xids.contains(&self.xid))
            .unwrap_or(s.stages.len().saturating_sub(1));
        if s.stages.is_empty() {
            push_lean(
                &mut s.stages,
                empty_stage(0, Protocol::Dhcpv6, Some(self.xid), self.frame, self.ts),
            );
        }
        if let Some(st) = s.stages.get_mut(idx) {
            let address = m.addresses.first().map(|a| IpAddr::V6(*a));
            if m.msg_type == 7 {
                if let Some(a) = address {
                    st.address = Some(a);
                    bind = Some(a);
                }
            }
            push_lean(&mut st.offers, self.offer(address));
            ev = Some(("dhcp".to_string(), self.summary.clone()));
        }
        (bind, ev)
    }

    /// The offer a server message makes.
    fn offer(&self, address: Option<IpAddr>) -> Offer {
        let (m, udp) = (self.m, self.udp);
        Offer {
            frame: self.frame,
            time: Timestamp(self.ts),
            kind: OfferKind::Dhcpv6,
            message: MessageName::Dhcp6(self.m.msg_type),
            server: udp.src,
            server_id: None,
            src_port: udp.sport,
            dst_port: udp.dport,
            address,
            siaddr: None,
            sname: None,
            file: None,
            opt66: None,
            opt67: None,
            vendor_class: m.vendor_class.first().cloned(),
            pxe: None,
            boot_url: m.boot_url.clone(),
            status: m
                .status
                .as_ref()
                .map(|(c, t)| format!("{} {t}", dhcp6::status_name(*c))),
            relay: m.relays.first().map(|(l, _)| IpAddr::V6(*l)),
            overload: None,
            to: udp.dst,
            boot_file_issue: None,
            boot_file_hex: None,
            status_code: m.status.as_ref().map(|(c, _)| *c),
            status_iaid: m.status_iaid,
        }
    }
}

fn dhcp6_summary(m: &Dhcp6, name: &str, xid: Xid) -> String {
    let mut summary = format!("DHCPv6 {name} xid {xid}");
    if !m.arch.is_empty() {
        summary.push_str(&format!(
            " arch={}",
            m.arch
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    if let Some(u) = &m.boot_url {
        summary.push_str(&format!(" boot-url={u}"));
    }
    if let Some((c, t)) = &m.status {
        summary.push_str(&format!(" status={}({c}) {t}", dhcp6::status_name(*c)));
    }
    if !m.relays.is_empty() {
        summary.push_str(&format!(" via relay {}", m.relays[0].0));
    }
    summary
}
