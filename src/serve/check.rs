//! `serve --check-config [--mac M --arch A --vendor-class V --user-class U --relay IP]`: what a
//! client like that would get. The client's DISCOVER is made up and handed to the real
//! responder (no socket), so the answer printed is the one serve would send.

use super::dhcp::DhcpResponder;
use super::ServeConfig;
use crate::wire::dhcp4::{Dhcp4, Dhcp4Repr, MessageType};
use crate::wire::link::{fmt_mac, parse_mac, Mac};
use std::net::{Ipv4Addr, SocketAddrV4};

/// The client to ask about, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    pub mac: Option<String>,
    pub arch: Option<String>,
    pub vendor_class: Option<String>,
    pub user_class: Option<String>,
    pub relay: Option<String>,
}

struct Client {
    mac: Mac,
    arch: Option<u16>,
    vendor_class: Option<String>,
    user_class: Option<String>,
    relay: Option<Ipv4Addr>,
}

fn client(a: &Ask) -> Result<Client, String> {
    let mac = match &a.mac {
        Some(m) => parse_mac(m).ok_or(format!("--mac `{m}` is not a MAC address"))?,
        None => [0x02, 0x70, 0x78, 0x00, 0x00, 0x01],
    };
    let arch_name = a.arch.as_deref().unwrap_or("bios");
    // U-Boot's own DHCP: arm/arm64 send option 93 (21/22), x86 and RISC-V only the class.
    let (arch, uboot_class) = match arch_name {
        "uboot-arm" => (Some(21), Some("U-Boot.armv7")),
        "uboot-arm64" => (Some(22), Some("U-Boot.armv8")),
        "uboot-x86" | "uboot-riscv64" | "uboot" => (None, Some("U-Boot")),
        n => (Some(crate::probe::parse_arch(n)?), None),
    };
    let vendor_class = match &a.vendor_class {
        Some(v) if v.is_empty() => None,
        Some(v) => Some(v.clone()),
        None => Some(match (uboot_class, arch) {
            (Some(u), _) => u.to_string(),
            (None, Some(c @ (15 | 16 | 19))) => format!("HTTPClient:Arch:{c:05}:UNDI:003001"),
            (None, c) => format!("PXEClient:Arch:{:05}:UNDI:002001", c.unwrap_or(0)),
        }),
    };
    let relay = a
        .relay
        .as_deref()
        .map(|r| {
            r.trim()
                .parse()
                .map_err(|_| format!("--relay `{r}` is not an IPv4 address"))
        })
        .transpose()?;
    Ok(Client {
        mac,
        arch,
        vendor_class,
        user_class: a.user_class.clone().filter(|u| !u.is_empty()),
        relay,
    })
}

fn discover(c: &Client) -> Vec<u8> {
    let mut m = Dhcp4Repr::request(MessageType::Discover, 0x5eed_c0de, c.mac);
    m.flags = 0x8000; // broadcast
    if let Some(r) = c.relay {
        m.hops = 1;
        m.giaddr = r;
    }
    if let Some(v) = &c.vendor_class {
        m = m.with(60, v.as_bytes());
    }
    if let Some(a) = c.arch {
        m = m.with(93, a.to_be_bytes());
    }
    if let Some(u) = &c.user_class {
        m = m.with(77, u.as_bytes());
    }
    m.emit()
}

/// The report for one made-up client (never fails once the client parses).
// Long on purpose: the report line by line (client, rule, answer fields, faults), each read off
// the one responder and the one made-up DISCOVER fed through it.
pub fn check(cfg: &ServeConfig, http_base: Option<String>, ask: &Ask) -> Result<String, String> {
    let c = client(ask)?;
    let bytes = discover(&c);
    let mut r = DhcpResponder::new(cfg.dhcp.clone());
    r.rules = cfg.rules.clone();
    r.menu = cfg.menu.clone();
    r.http_base = http_base;
    let src = match c.relay {
        Some(ip) => SocketAddrV4::new(ip, 67),
        None => SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68),
    };
    let mut out = String::new();
    let fam = crate::proto::identity_family(c.arch, c.vendor_class.as_deref());
    out.push_str(&format!(
        "client: mac {} arch {} ({}) vendor-class {} user-class {} relay {}\n",
        fmt_mac(&c.mac),
        c.arch.map(|a| a.to_string()).unwrap_or_else(|| "-".into()),
        fam.name(),
        c.vendor_class.as_deref().unwrap_or("-"),
        c.user_class.as_deref().unwrap_or("-"),
        c.relay.map(|r| r.to_string()).unwrap_or_else(|| "-".into()),
    ));
    let rule = Dhcp4::parse(&bytes)
        .ok()
        .and_then(|m| r.rule_for(&m, c.mac));
    match rule.and_then(|i| cfg.rules.get(i).map(|x| (i, x))) {
        Some((i, x)) => out.push_str(&format!(
            "rule: {} `{}` (first match of {})\n",
            i + 1,
            x.name,
            cfg.rules.len()
        )),
        None if cfg.rules.is_empty() => out.push_str("rule: none configured (global settings)\n"),
        None => out.push_str(&format!(
            "rule: none of {} matches (global settings)\n",
            cfg.rules.len()
        )),
    }
    let replies = r.handle(
        &bytes,
        src,
        cfg.dhcp_port,
        0,
        cfg.dhcp_port,
        cfg.bootserver_port,
    );
    let mode = if cfg.dhcp.pool.is_some() {
        "DHCP"
    } else {
        "proxy"
    };
    match replies
        .first()
        .and_then(|rep| Dhcp4::parse(&rep.bytes).ok().map(|m| (rep, m)))
    {
        None => out.push_str(&format!(
            "answer: none ({mode} mode{})\n",
            if cfg.dhcp.pool.is_none() {
                ": only PXEClient/HTTPClient clients are answered, or a fault ignores them"
            } else {
                ": a fault ignores them"
            }
        )),
        Some((rep, m)) => {
            out.push_str(&format!("answer: {mode} {} to {}\n", rep.note, rep.dst));
            if !m.yiaddr.is_unspecified() {
                out.push_str(&format!("address: {}\n", m.yiaddr));
            }
            let file = m.opt_str(67).or_else(|| {
                let f = crate::wire::dhcp4::cstr(m.file_raw);
                (!f.is_empty()).then_some(f)
            });
            out.push_str(&format!(
                "boot file: {}\n",
                file.as_deref().unwrap_or("(none)")
            ));
            out.push_str(&format!("next-server: {}\n", m.siaddr));
            if let Some(o) = m.opt_concat(43) {
                out.push_str(&format!(
                    "option 43 (boot menu): {}\n",
                    crate::proto::hex_bytes(&o)
                ));
            }
            out.push_str(&format!(
                "vendor class in answer: {}\n",
                m.opt_str(60).as_deref().unwrap_or("(none)")
            ));
        }
    }
    let faults = match rule.and_then(|i| cfg.rules.get(i)) {
        Some(x) if x.faults.is_some() => format!("{} (from the rule)", x.fault_names.join(", ")),
        _ => "global --fault settings".to_string(),
    };
    out.push_str(&format!("faults: {faults}\n"));
    Ok(out)
}
