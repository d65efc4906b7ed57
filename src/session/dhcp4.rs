//! DHCPv4 and BOOTP: every message goes into the session's log; a client's starts or joins a
//! stage under its own identity, a server's becomes an offer (or ACK, NAK) of the stage its xid
//! belongs to.

use super::{empty_stage, push_lean, tftp::is_grub_image, ClientKey, Tracker};
use crate::model::*;
use crate::proto::{
    arch_info, arch_unknown, identity_family, ArchInfo, Family, Loader, VendorClass,
};
use crate::textfmt::{push_ipv4, push_num};
use crate::wire::dhcp4::Dhcp4;
use crate::wire::link::UdpDatagram;
use std::net::{IpAddr, SocketAddr};

/// An event to emit once the session is let go: its kind and its text.
type Ev = (String, String);

/// One DHCPv4 message and what every step of handling it reads from it.
struct Msg4<'a> {
    frame: FrameRef,
    ts: i64,
    udp: &'a UdpDatagram<'a>,
    m: &'a Dhcp4<'a>,
    msg_type: u8,
    message: MessageName,
    from_client: bool,
    /// Event texts are built only for live views that show them.
    want: bool,
    vendor_class: Option<String>,
    summary: String,
    xid: Xid,
    to_4011: bool,
    from_4011: bool,
}

/// What a client message says about the client sending it.
struct Ident4 {
    client: Client,
    arch: Option<u16>,
    user_class: Vec<String>,
    ipxe: bool,
}

impl Tracker {
    pub fn on_dhcp4(&mut self, frame: FrameRef, ts: i64, udp: &UdpDatagram<'_>, m: &Dhcp4<'_>) {
        let Some(mac) = m.mac().or(if m.op == 1 {
            udp.link.src_mac
        } else {
            udp.link.dst_mac
        }) else {
            return;
        };
        let Some(id) = self.session_for(ClientKey::Mac(mac), frame, ts) else {
            return;
        };
        let msg = Msg4::new(frame, ts, udp, m, self.want_events);
        let from_client = msg.from_client;
        let mut bind: Option<IpAddr> = None;
        let mut ev: Option<Ev> = None;
        {
            let cap_dhcp = self.cfg.max_dhcp_per_session;
            let Some(o) = self.touch(id, frame, ts) else {
                return;
            };
            let s = &mut o.s;
            let handled = if from_client {
                ev = msg.client_side(s);
                true
            } else if let Some((b, e)) = msg.server_side(s) {
                (bind, ev) = (b, e);
                true
            } else {
                false
            };
            // Last: the record takes the message's strings (stages do not read the log).
            msg.record(s, cap_dhcp);
            if !handled {
                return;
            }
        }
        if from_client && !m.ciaddr.is_unspecified() {
            bind = Some(IpAddr::V4(m.ciaddr));
        }
        if let Some(ip) = bind {
            self.bind_ip(id, ip);
        }
        if let Some((k, t)) = ev {
            self.event(id, frame, ts, &k, t);
        }
    }
}

impl<'a> Msg4<'a> {
    fn new(
        frame: FrameRef,
        ts: i64,
        udp: &'a UdpDatagram<'a>,
        m: &'a Dhcp4<'a>,
        want: bool,
    ) -> Msg4<'a> {
        let msg_type = m.msg_type().unwrap_or(0);
        let message = match m.msg_type() {
            Some(t) => MessageName::Dhcp4(t),
            None => MessageName::Bootp { reply: m.op != 1 },
        };
        let name = message.as_str();
        let vendor_class = m.opt_str(60);
        let xid = Xid::v4(m.xid);
        let summary = dhcp4_summary(m, name, xid, vendor_class.as_deref());
        Msg4 {
            frame,
            ts,
            udp,
            m,
            msg_type,
            message,
            from_client: m.op == 1,
            want,
            vendor_class,
            summary,
            xid,
            to_4011: udp.dport == 4011,
            from_4011: udp.sport == 4011,
        }
    }

    /// The message in the session's DHCP log, unless the log is at its cap.
    fn record(self, s: &mut BootSession, cap_dhcp: usize) {
        let (m, udp) = (self.m, self.udp);
        if s.dhcp.len() < cap_dhcp {
            push_lean(
                &mut s.dhcp,
                DhcpMessage {
                    frame: self.frame,
                    time: Timestamp(self.ts),
                    version: 4,
                    message: self.message,
                    xid: self.xid,
                    src: SocketAddr::new(udp.src, udp.sport),
                    dst: SocketAddr::new(udp.dst, udp.dport),
                    from_client: self.from_client,
                    summary: self.summary,
                    issues: m.issues.clone(),
                    text: m.opt_str(56),
                },
            );
        } else {
            s.dhcp_messages_dropped += 1;
        }
    }

    /// A client message: the stage it starts or belongs to, and what it counts as there.
    /// Returns the event of a stage starting.
    fn client_side(&self, s: &mut BootSession) -> Option<Ev> {
        let ident = self.identity(s);
        let (idx, ev) = self.client_stage(s, ident);
        if let Some(st) = s.stages.get_mut(idx) {
            self.count_in_stage(st);
        }
        ev
    }

    /// This message's identity: each stage keeps its own (CONTRACT.md, Stages). A PXE or HTTP
    /// client class, or U-Boot, marks the session as boot traffic.
    fn identity(&self, s: &mut BootSession) -> Ident4 {
        let m = self.m;
        let vendor_class = self.vendor_class.as_deref();
        let vc = vendor_class.map(VendorClass::parse);
        let arches = m.arch_list();
        let arch = arches.first().copied().or(vc.as_ref().and_then(|v| v.arch));
        let uc = m.user_classes();
        let ipxe = m.is_ipxe();
        let after_grub = s.tftp.iter().any(|t| is_grub_image(&t.file));
        let mut ident = Client::blank();
        ident.mac = s.client.mac.clone();
        ident.loader = Loader::classify(vendor_class, arch, ipxe, after_grub);
        ident.arch = identity_arch(arch, vendor_class);
        ident.arch_list = arches;
        ident.vendor_class_arch = vc.as_ref().and_then(|v| v.arch);
        let netboot_class = vc.as_ref().is_some_and(|v| v.is_pxe() || v.is_http());
        ident.undi = m.undi();
        if let Some(v) = vc {
            ident.undi = ident.undi.or(v.undi);
            ident.vendor_class = Some(v.raw);
        }
        ident.uuid = m.uuid();
        ident.hostname = m.opt_str(12);
        ident.user_class = uc.clone();
        ident.ipxe = ipxe;
        if netboot_class || ident.loader == Loader::Uboot {
            s.pxe = true;
        }
        Ident4 {
            client: ident,
            arch,
            user_class: uc,
            ipxe,
        }
    }

    /// The stage a client message starts, or the one it joins (by xid, else the latest).
    /// Returns the stage's index and, when it starts one, the event saying so.
    fn client_stage(&self, s: &mut BootSession, ident: Ident4) -> (usize, Option<Ev>) {
        let (xid, msg_type, summary) = (&self.xid, self.msg_type, &self.summary);
        let stage_idx = s.stages.iter().rposition(|st| st.xids.contains(xid));
        // A fresh xid from the identity the last stage is still discovering for is a
        // retry of that stage (U-Boot changes xid on every DISCOVER).
        let retry_of_last = stage_idx.is_none()
            && matches!(msg_type, 1 | 3 | 8)
            && !self.to_4011
            && s.stages.last().is_some_and(|st| {
                st.protocol == Protocol::Dhcpv4
                    && st.client.same_identity(&ident.client)
                    && !st.progressed()
            });
        let starts_stage = match msg_type {
            1 => stage_idx.is_none() && !retry_of_last,
            3 | 8 => stage_idx.is_none() && !self.to_4011 && !retry_of_last,
            _ => false,
        } || (s.stages.is_empty() && !matches!(msg_type, 7));
        if starts_stage {
            let index = s.stages.len();
            let mut st = empty_stage(index, Protocol::Dhcpv4, Some(*xid), self.frame, self.ts);
            st.ipxe = ident.ipxe;
            st.vendor_class = self.vendor_class.clone();
            st.arch = ident.arch;
            st.user_class = ident.user_class;
            st.client = ident.client;
            let ev = self.want.then(|| {
                let text = match s.stages.last().and_then(|p| st.identity_switch(p)) {
                    Some(switch) => format!("{switch}: {summary}"),
                    None => format!("stage {} starts: {summary}", index + 1),
                };
                ("stage".to_string(), text)
            });
            push_lean(&mut s.stages, st);
            (index, ev)
        } else {
            let i = stage_idx.unwrap_or(s.stages.len().saturating_sub(1));
            if let Some(st) = s.stages.get_mut(i) {
                if retry_of_last {
                    push_lean(&mut st.xids, *xid);
                }
                st.client.fill_from(&ident.client);
            }
            (i, None)
        }
    }

    /// The relay a client message came through, and what it counts as in its stage.
    fn count_in_stage(&self, st: &mut Stage) {
        let (m, udp, frame) = (self.m, self.udp, self.frame);
        if !m.giaddr.is_unspecified() {
            st.relay = Some(IpAddr::V4(m.giaddr));
        }
        if let Some(ra) = m.relay_agent() {
            st.relay_agent = Some(ra);
        }
        match self.msg_type {
            1 => push_lean(&mut st.discovers, frame),
            3 if self.to_4011 => push_lean(
                &mut st.boot_server_requests,
                BootServerRequest {
                    frame,
                    time: Timestamp(self.ts),
                    server: udp.dst,
                    src_port: udp.sport,
                },
            ),
            3 | 8 => push_lean(&mut st.requests, frame),
            4 => push_lean(&mut st.declines, frame),
            _ => {}
        }
    }

    /// A server message: an answer in the stage with its xid, else the latest. Returns the
    /// address to bind the client to and the event; None stops handling the message.
    fn server_side(&self, s: &mut BootSession) -> Option<(Option<IpAddr>, Option<Ev>)> {
        let m = self.m;
        let mut bind = None;
        let mut ev = None;
        // Server message: attach to the stage with this xid, else the latest.
        let idx = match s.stages.iter().rposition(|st| st.xids.contains(&self.xid)) {
            Some(i) => i,
            None => {
                if s.stages.is_empty() {
                    let index = 0;
                    let xid = Some(self.xid);
                    push_lean(
                        &mut s.stages,
                        empty_stage(index, Protocol::Dhcpv4, xid, self.frame, self.ts),
                    );
                }
                s.stages.len() - 1
            }
        };
        let server_vc = self.vendor_class.clone();
        if server_vc
            .as_deref()
            .is_some_and(crate::proto::is_netboot_class)
        {
            s.pxe = true;
        }
        let st = s.stages.get_mut(idx)?;
        let yiaddr = (!m.yiaddr.is_unspecified()).then_some(IpAddr::V4(m.yiaddr));
        let kind = self.offer_kind(st, yiaddr);
        if self.msg_type != 6 {
            let offer = self.offer(kind, yiaddr, server_vc);
            if kind == OfferKind::Ack {
                if let Some(a) = yiaddr {
                    st.address = Some(a);
                    bind = Some(a);
                }
            }
            ev = self
                .want
                .then(|| ("dhcp".to_string(), self.summary.clone()));
            if st.offers.len() < 200 {
                push_lean(&mut st.offers, offer);
            }
        }
        if !m.ciaddr.is_unspecified() && self.msg_type == 5 {
            bind = bind.or(Some(IpAddr::V4(m.ciaddr)));
        }
        Some((bind, ev))
    }

    /// What kind of answer a server message is. A NAK is counted in the stage here (and
    /// recorded as no offer).
    fn offer_kind(&self, st: &mut Stage, yiaddr: Option<IpAddr>) -> OfferKind {
        let (from_4011, to_4011) = (self.from_4011, self.to_4011);
        let pending_4011 = st
            .boot_server_requests
            .iter()
            .any(|r| r.server == self.udp.src);
        match self.msg_type {
            2 if from_4011 || to_4011 => OfferKind::BootServer,
            2 if yiaddr.is_none() => OfferKind::Proxy,
            2 => OfferKind::Dhcp,
            5 if from_4011 || to_4011 => OfferKind::BootServer,
            // A reply to a 4011 request sent back from port 67 (seen in the wild): still the
            // boot server's answer, flagged by proxy-wrong-port.
            5 if pending_4011 && yiaddr.is_none() => OfferKind::BootServer,
            5 => OfferKind::Ack,
            6 => {
                push_lean(&mut st.naks, self.frame);
                OfferKind::Ack
            }
            _ if self.m.msg_type().is_none() => OfferKind::Ack, // BOOTP reply
            _ => OfferKind::Ack,
        }
    }

    /// The offer a server message makes, its boot file name's bytes checked.
    fn offer(&self, kind: OfferKind, yiaddr: Option<IpAddr>, vc: Option<String>) -> Offer {
        let (m, udp) = (self.m, self.udp);
        let mut offer = Offer {
            frame: self.frame,
            time: Timestamp(self.ts),
            kind,
            message: self.message,
            server: udp.src,
            server_id: m.server_id().map(IpAddr::V4),
            src_port: udp.sport,
            dst_port: udp.dport,
            address: yiaddr,
            siaddr: (!m.siaddr.is_unspecified()).then_some(IpAddr::V4(m.siaddr)),
            sname: m.sname(),
            file: m.file(),
            opt66: m.opt_str(66),
            opt67: m.opt_str(67),
            vendor_class: vc,
            pxe: m.pxe_options(),
            boot_url: None,
            status: None,
            relay: (!m.giaddr.is_unspecified()).then_some(IpAddr::V4(m.giaddr)),
            overload: (m.overload != 0).then_some(m.overload),
            to: udp.dst,
            boot_file_issue: None,
            boot_file_hex: None,
            status_code: None,
            status_iaid: None,
        };
        // The name's bytes as sent: option 67 whole, else the `file` field up to
        // its NUL (a field with no NUL at all is itself suspect).
        let raw_name: Option<std::borrow::Cow<'_, [u8]>> = m.opt_concat(67).or_else(|| {
            (m.overload & 1 == 0 && m.file_raw.iter().any(|&b| b != 0)).then(|| {
                let end = m.file_raw.iter().position(|&b| b == 0);
                std::borrow::Cow::Borrowed(&m.file_raw[..end.unwrap_or(m.file_raw.len())])
            })
        });
        if let Some(raw) = raw_name {
            let no_nul = m.opt(67).is_none() && !m.file_raw.is_empty() && !m.file_raw.contains(&0);
            let issue = crate::proto::name_bytes_issue(&raw)
                .or(no_nul.then(|| "no NUL terminator in the 128-byte file field".to_string()));
            if let Some(i) = issue {
                offer.boot_file_issue = Some(i);
                offer.boot_file_hex = Some(crate::proto::hex_bytes(&raw));
            }
        }
        offer
    }
}

/// The architecture of one identity: its code, or for U-Boot without one, the family its class
/// names.
pub(super) fn identity_arch(code: Option<u16>, vendor_class: Option<&str>) -> ArchInfo {
    if let Some(c) = code {
        return arch_info(c);
    }
    match identity_family(None, vendor_class) {
        f @ (Family::Uboot | Family::UbootArm | Family::UbootArm64) => ArchInfo::uboot(f),
        _ => arch_unknown(),
    }
}

/// `xid`: the message's transaction ID, as the record writes it.
fn dhcp4_summary(m: &Dhcp4<'_>, name: &str, xid: Xid, vc: Option<&str>) -> String {
    // By hand, not format!: this runs for every DHCP message (src/textfmt.rs says why).
    let mut s = String::with_capacity(96);
    s.push_str("DHCP ");
    s.push_str(name);
    s.push_str(" xid ");
    xid.with_text(|t| s.push_str(t));
    if !m.yiaddr.is_unspecified() {
        s.push_str(" addr=");
        push_ipv4(&mut s, m.yiaddr);
    }
    if m.op == 1 {
        let arches = m.arch_list();
        if !arches.is_empty() {
            s.push_str(" arch=");
            for (i, a) in arches.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                push_num(&mut s, u64::from(*a));
            }
        }
        if let Some(v) = vc {
            s.push_str(" class=");
            s.push_str(v);
        }
        if m.is_ipxe() {
            s.push_str(" iPXE");
        }
    } else {
        if let Some(f) = m.opt_str(67).or(m.file()) {
            s.push_str(" boot=");
            s.push_str(&f);
        }
        if !m.siaddr.is_unspecified() {
            s.push_str(" next-server=");
            push_ipv4(&mut s, m.siaddr);
        }
        if let Some(t) = m.opt_str(66) {
            s.push_str(" tftp-server=");
            s.push_str(&t);
        }
        if let Some(v) = vc {
            s.push_str(" class=");
            s.push_str(v);
        }
        if m.opt(43).is_some() {
            s.push_str(" opt43");
        }
    }
    if !m.giaddr.is_unspecified() {
        s.push_str(" relay=");
        push_ipv4(&mut s, m.giaddr);
    }
    s
}
