//! PXE boot menus (PXE 2.1 option 43: 6 discovery control, 8 boot servers, 9 menu, 10 prompt,
//! 71 boot item), like dnsmasq's `pxe-service` / `pxe-prompt`. Sans-IO: configuration in,
//! option bytes out.

use super::rules::{parse_arch_str, ArchMatch};
use crate::proto::Family;
use std::net::Ipv4Addr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub arch: ArchMatch,
    pub text: String,
    /// None: local boot (item type 0).
    pub file: Option<String>,
    /// The boot server for this item (default serve's address).
    pub server: Option<Ipv4Addr>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Menu {
    /// Prompt text and seconds before the first item is taken (0: at once, 255: wait).
    pub prompt: Option<(String, u8)>,
    pub services: Vec<Service>,
}

/// dnsmasq's client system architecture names, then ours (`efi-x64`) and codes.
fn csa(s: &str) -> Result<ArchMatch, String> {
    let code = match s {
        "x86PC" => 0,
        "PC98" => 1,
        "IA64_EFI" => 2,
        "Alpha" => 3,
        "Arc_x86" => 4,
        "Intel_Lean_Client" => 5,
        "IA32_EFI" => 6,
        "BC_EFI" => 7,
        "Xscale_EFI" => 8,
        "X86-64_EFI" => 9,
        other => return parse_arch_str(other),
    };
    Ok(ArchMatch::Code(code))
}

/// `CSA,TEXT[,FILE[,SERVER]]` (dnsmasq's pxe-service order); no FILE, or `0`, is local boot.
pub fn parse_service(s: &str) -> Result<Service, String> {
    let parts: Vec<&str> = s.splitn(4, ',').map(str::trim).collect();
    if parts.len() < 2 || parts[1].is_empty() {
        return Err(format!(
            "--pxe-service `{s}`: expected CSA,TEXT[,FILE[,SERVER]], e.g. x86PC,\"Install\",pxelinux.0"
        ));
    }
    let arch = csa(parts[0]).map_err(|e| format!("--pxe-service `{s}`: {e}"))?;
    let file = parts
        .get(2)
        .filter(|f| !f.is_empty() && **f != "0")
        .map(|f| f.to_string());
    let server = parts
        .get(3)
        .map(|a| {
            a.parse()
                .map_err(|_| format!("--pxe-service `{s}`: server `{a}` is not an IPv4 address"))
        })
        .transpose()?;
    Ok(Service {
        arch,
        text: parts[1].trim_matches('"').to_string(),
        file,
        server,
    })
}

/// `TEXT[,TIMEOUT]` (default 10 s, at most 255).
pub fn parse_prompt(s: &str) -> Result<(String, u8), String> {
    let (text, t) = match s.rsplit_once(',') {
        Some((a, b)) if b.trim().parse::<u8>().is_ok() => (a, b.trim().parse().unwrap_or(10)),
        _ => (s, 10),
    };
    if text.trim().is_empty() {
        return Err(format!("--pxe-prompt `{s}`: expected TEXT[,TIMEOUT]"));
    }
    Ok((text.trim().trim_matches('"').to_string(), t))
}

fn arch_matches(a: &ArchMatch, code: Option<u16>, fam: Family) -> bool {
    match a {
        // dnsmasq's X86-64_EFI (9) and BC_EFI (7): x64 firmware sends either.
        ArchMatch::Code(7 | 9) => code.is_some_and(|x| x == 7 || x == 9),
        ArchMatch::Code(c) => code.unwrap_or(0) == *c,
        ArchMatch::Family(f) => *f == fam,
    }
}

impl Menu {
    /// Item types (0x8000 + position, 0 for local boot) and services offered to this client.
    pub fn items(&self, code: Option<u16>, fam: Family) -> Vec<(u16, &Service)> {
        self.services
            .iter()
            .enumerate()
            .filter(|(_, s)| arch_matches(&s.arch, code, fam))
            .map(|(i, s)| {
                let t = if s.file.is_some() {
                    0x8000 + i as u16
                } else {
                    0
                };
                (t, s)
            })
            .collect()
    }

    /// The service a boot-server request's item type names.
    pub fn service(&self, item: u16) -> Option<&Service> {
        if item < 0x8000 {
            return None;
        }
        self.services.get(usize::from(item - 0x8000))
    }

    /// Option 43 of an offer with the menu for these items (None: no items for this client).
    pub fn option43(&self, items: &[(u16, &Service)], server_ip: Ipv4Addr) -> Option<Vec<u8>> {
        if items.is_empty() {
            return None;
        }
        let mut o = vec![6, 1, 3]; // no broadcast or multicast discovery: the list below
        let mut servers = vec![];
        for (t, s) in items.iter().filter(|(t, _)| *t != 0) {
            servers.extend_from_slice(&t.to_be_bytes());
            servers.push(1);
            servers.extend_from_slice(&s.server.unwrap_or(server_ip).octets());
        }
        if !servers.is_empty() && servers.len() <= 255 {
            o.push(8);
            o.push(servers.len() as u8);
            o.extend_from_slice(&servers);
        }
        let mut menu = vec![];
        for (t, s) in items {
            let text = &s.text.as_bytes()[..s.text.len().min(60)];
            if menu.len() + 3 + text.len() > 255 {
                break;
            }
            menu.extend_from_slice(&t.to_be_bytes());
            menu.push(text.len() as u8);
            menu.extend_from_slice(text);
        }
        o.push(9);
        o.push(menu.len() as u8);
        o.extend_from_slice(&menu);
        if let Some((text, timeout)) = &self.prompt {
            let text = &text.as_bytes()[..text.len().min(250)];
            o.push(10);
            o.push(1 + text.len() as u8);
            o.push(*timeout);
            o.extend_from_slice(text);
        }
        o.push(255);
        Some(o)
    }
}

/// Sub-option 71 of a request's option 43: (item type, layer).
pub fn boot_item(opt43: &[u8]) -> Option<(u16, u16)> {
    let mut i = 0;
    while i < opt43.len() {
        let code = opt43[i];
        if code == 255 {
            return None;
        }
        if code == 0 {
            i += 1;
            continue;
        }
        let len = usize::from(*opt43.get(i + 1)?);
        let v = opt43.get(i + 2..i + 2 + len)?;
        if code == 71 && len >= 4 {
            return Some((
                u16::from_be_bytes([v[0], v[1]]),
                u16::from_be_bytes([v[2], v[3]]),
            ));
        }
        i += 2 + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_and_prompt_parse() {
        let s = parse_service("x86PC,Install Linux,pxelinux.0").expect("ok");
        assert_eq!(s.arch, ArchMatch::Code(0));
        assert_eq!(s.file.as_deref(), Some("pxelinux.0"));
        let s = parse_service("x86PC,Boot from disk").expect("ok");
        assert_eq!(s.file, None);
        let s = parse_service("efi-x64,\"UEFI\",ipxe.efi,192.0.2.7").expect("ok");
        assert_eq!(s.arch, ArchMatch::Family(Family::EfiX64));
        assert_eq!(s.text, "UEFI");
        assert_eq!(s.server, Some("192.0.2.7".parse().expect("ip")));
        assert!(parse_service("x86PC").is_err());
        assert!(parse_service("sparc,x,y").is_err());
        assert!(parse_service("x86PC,x,y,notanip").is_err());
        assert_eq!(parse_prompt("Press F8,5"), Ok(("Press F8".into(), 5)));
        assert_eq!(
            parse_prompt("Press F8, for the menu"),
            Ok(("Press F8, for the menu".into(), 10))
        );
        assert!(parse_prompt("").is_err());
    }

    #[test]
    fn option43_bytes_and_item_lookup() {
        let m = Menu {
            prompt: Some(("PXE".into(), 3)),
            services: vec![
                parse_service("x86PC,Disk").expect("ok"),
                parse_service("x86PC,Net,pxelinux.0").expect("ok"),
                parse_service("BC_EFI,Efi,ipxe.efi").expect("ok"),
            ],
        };
        let items = m.items(Some(0), Family::Bios);
        assert_eq!(
            items.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            vec![0, 0x8001]
        );
        let o = m
            .option43(&items, "10.0.0.1".parse().expect("ip"))
            .expect("menu");
        assert_eq!(
            o,
            vec![
                6, 1, 3, 8, 7, 0x80, 1, 1, 10, 0, 0, 1, 9, 13, 0, 0, 4, b'D', b'i', b's', b'k',
                0x80, 1, 3, b'N', b'e', b't', 10, 4, 3, b'P', b'X', b'E', 255
            ]
        );
        assert_eq!(m.items(Some(9), Family::EfiX64).len(), 1);
        assert_eq!(m.items(Some(7), Family::EfiX64).len(), 1);
        assert!(m.items(Some(11), Family::EfiArm64).is_empty());
        assert_eq!(
            m.service(0x8001).and_then(|s| s.file.as_deref()),
            Some("pxelinux.0")
        );
        assert!(m.service(0).is_none());
        assert!(m.service(0x8009).is_none());
        assert_eq!(boot_item(&[71, 4, 0x80, 1, 0, 0, 255]), Some((0x8001, 0)));
        assert_eq!(
            boot_item(&[0, 1, 0, 71, 4, 0x80, 2, 0, 1]),
            Some((0x8002, 1))
        );
        assert_eq!(boot_item(&[71, 9]), None);
        assert_eq!(boot_item(&[71, 2, 1, 2]), None);
        assert_eq!(boot_item(&[]), None);
    }
}
