//! `serve --dnsmasq-conf FILE`: the PXE subset of a dnsmasq configuration, read as serve's own
//! configuration — most labs start from a dnsmasq.conf like seed 001's and should not have to
//! translate it by hand. The reader (with `conf-file`/`conf-dir` includes) and the tag logic are
//! lint's (src/lint.rs), so `lint` and `serve` understand a file the same way. Pure: a file in,
//! serve's `ConfigFile` and line-by-line notes of what was not taken over out.

use crate::lint::{
    pxe_service_file, read_dnsmasq, split_tags, tag_meanings, Directive, TagMeaning,
};
use crate::serve::ConfigFile;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;

/// A line serve does not take over (or takes over differently), with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub file: String,
    pub line: usize,
    pub text: String,
}

/// The configuration and the notes, in file order.
#[derive(Debug, Default)]
pub struct Translated {
    pub config: ConfigFile,
    pub notes: Vec<Note>,
    /// `dhcp-range=…,proxy`: serve runs as proxyDHCP (its default without a range).
    pub proxy: bool,
}

/// Families a boot file without an architecture tag reaches (dnsmasq hands it to everyone).
const ALL_FAMILIES: &[&str] = &["bios", "efi-x64", "efi-ia32", "efi-arm64", "efi-arm32"];

/// dnsmasq's pxe-service CSA names → serve's boot families.
fn csa_family(csa: &str) -> Option<&'static str> {
    Some(match csa.to_ascii_lowercase().as_str() {
        "x86pc" => "bios",
        "x86-64_efi" | "bc_efi" => "efi-x64",
        "ia32_efi" => "efi-ia32",
        "arm32_efi" => "efi-arm32",
        "arm64_efi" => "efi-arm64",
        _ => return None,
    })
}

/// `8h`, `30m`, `45s`, `2d`, `3600`, `infinite` → seconds.
fn lease_secs(v: &str) -> Option<u32> {
    if v == "infinite" {
        return Some(u32::MAX);
    }
    let (num, mult) = match v.char_indices().last()? {
        (i, 'h') => (&v[..i], 3600),
        (i, 'm') => (&v[..i], 60),
        (i, 's') => (&v[..i], 1),
        (i, 'd') => (&v[..i], 86_400),
        (i, 'w') => (&v[..i], 604_800),
        _ => (v, 1),
    };
    num.parse::<u32>().ok()?.checked_mul(mult)
}

fn is_ipv4(v: &str) -> bool {
    v.parse::<Ipv4Addr>().is_ok()
}

fn is_mac(v: &str) -> bool {
    let parts: Vec<&str> = v.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && u8::from_str_radix(p, 16).is_ok())
}

/// The option a `dhcp-option=` line sets, by number or dnsmasq's name.
fn option_code(name: &str) -> Option<u16> {
    if let Ok(n) = name.parse::<u16>() {
        return Some(n);
    }
    Some(match name {
        "option:router" => 3,
        "option:dns-server" => 6,
        "option:netmask" => 1,
        "option:tftp-server" => 66,
        "option:bootfile-name" => 67,
        "option:vendor-encap" => 43,
        _ => return None,
    })
}

fn note(t: &mut Translated, d: &Directive, text: String) {
    t.notes.push(Note {
        file: d.file.clone(),
        line: d.line,
        text,
    })
}

/// A boot file rule: which clients get `file`, by the tags the line requires.
fn boot_rule(
    t: &mut Translated,
    d: &Directive,
    with: &[String],
    tags: &BTreeMap<String, TagMeaning>,
    boot: &mut BTreeMap<String, String>,
    default_boot: &mut Option<(String, usize, String)>,
    file: &str,
) {
    let meanings: Vec<&TagMeaning> = with.iter().filter_map(|w| tags.get(w)).collect();
    let arches: Vec<u16> = meanings
        .iter()
        .flat_map(|m| m.arches.iter().copied())
        .collect();
    if meanings.iter().any(|m| m.ipxe) {
        t.config.ipxe_script = Some(file.to_string());
    } else if meanings.iter().any(|m| m.http_class) {
        t.config.http_url = Some(file.to_string());
    } else if !arches.is_empty() {
        for a in arches {
            boot.insert(a.to_string(), file.to_string());
        }
    } else if !with.is_empty() {
        note(
            t,
            d,
            format!(
                "`{}={}`: tag {} is not set by a dhcp-match on client-arch, option 175 or the \
                 user/vendor class serve understands; not taken over",
                d.key,
                d.value,
                with.join(",")
            ),
        );
    } else {
        *default_boot = Some((d.file.clone(), d.line, file.to_string()));
    }
}

// Long on purpose: a table of cases, one match arm per dnsmasq key, each taking it over or noting
// why not; the arms fill boot, default_boot, statics and dns, finished once after the loop.
pub fn translate(path: &Path) -> Result<Translated, String> {
    let mut ds: Vec<Directive> = vec![];
    read_dnsmasq(path, 0, &mut ds)?;
    let tags: BTreeMap<String, TagMeaning> = tag_meanings(&ds);
    let base = path.parent().unwrap_or(Path::new("."));
    let mut t = Translated::default();
    let mut boot: BTreeMap<String, String> = BTreeMap::new();
    let mut default_boot: Option<(String, usize, String)> = None;
    let mut statics: BTreeMap<String, String> = BTreeMap::new();
    let mut dns: Vec<String> = vec![];
    for d in &ds {
        let (with, _without, rest) = split_tags(&d.value);
        let rest: Vec<&str> = rest
            .iter()
            .map(String::as_str)
            .filter(|f| !f.starts_with("set:"))
            .collect();
        match d.key.as_str() {
            "interface" => {
                if t.config.interface.is_none() {
                    t.config.interface = Some(d.value.clone());
                } else {
                    note(&mut t, d, "a second interface: serve answers on one".into());
                }
            }
            "dhcp-range" => {
                let f = &rest;
                if f.iter().any(|x| x.contains(':')) && !f.iter().any(|x| is_ipv4(x)) {
                    note(
                        &mut t,
                        d,
                        "a DHCPv6 range: serve answers DHCPv4 only".into(),
                    );
                } else if f.contains(&"proxy") {
                    t.proxy = true;
                } else if f.len() >= 2 && is_ipv4(f[0]) && is_ipv4(f[1]) {
                    if t.config.dhcp_range.is_some() {
                        note(&mut t, d, "a second range: serve hands out one pool".into());
                        continue;
                    }
                    t.config.dhcp_range = Some(format!("{},{}", f[0], f[1]));
                    for x in &f[2..] {
                        if is_ipv4(x) {
                            t.config.netmask = Some(x.to_string());
                        } else if let Some(s) = lease_secs(x) {
                            t.config.lease_time = Some(s);
                        }
                    }
                } else {
                    note(
                        &mut t,
                        d,
                        "a range serve cannot read (START,END[,NETMASK][,LEASE])".into(),
                    );
                }
            }
            "dhcp-host" => {
                let mac = rest.iter().find(|x| is_mac(x));
                let ip = rest.iter().find(|x| is_ipv4(x));
                match (mac, ip) {
                    (Some(m), Some(i)) => {
                        statics.insert(m.to_string(), i.to_string());
                    }
                    _ => note(&mut t, d, "only `MAC,IP[,…]` hosts are taken over".into()),
                }
            }
            "dhcp-boot" => match rest.first() {
                Some(file) if !file.is_empty() => {
                    boot_rule(&mut t, d, &with, &tags, &mut boot, &mut default_boot, file);
                    if rest.len() > 1 {
                        note(
                            &mut t,
                            d,
                            "the boot server name/address: serve names itself as next-server"
                                .into(),
                        );
                    }
                }
                _ => note(&mut t, d, "no file".into()),
            },
            "dhcp-option" | "dhcp-option-force" => {
                let code = rest.first().and_then(|c| option_code(c));
                let value = rest.get(1..).unwrap_or(&[]).join(",");
                match code {
                    Some(67) => boot_rule(
                        &mut t,
                        d,
                        &with,
                        &tags,
                        &mut boot,
                        &mut default_boot,
                        &value,
                    ),
                    Some(3) if is_ipv4(&value) => t.config.router = Some(value),
                    Some(1) if is_ipv4(&value) => t.config.netmask = Some(value),
                    Some(6) => dns.extend(
                        rest.get(1..)
                            .unwrap_or(&[])
                            .iter()
                            .filter(|x| is_ipv4(x))
                            .map(|x| x.to_string()),
                    ),
                    Some(66) => note(
                        &mut t,
                        d,
                        "option 66: serve names itself as the TFTP server".into(),
                    ),
                    Some(43) => note(
                        &mut t,
                        d,
                        "option 43: serve writes its own PXE vendor options".into(),
                    ),
                    _ if d.value.contains("option6:") => note(
                        &mut t,
                        d,
                        "a DHCPv6 option: serve answers DHCPv4 only".into(),
                    ),
                    _ => note(&mut t, d, "an option serve does not send".into()),
                }
            }
            "pxe-service" => {
                // [tag:…,]CSA,"menu text",basename|type[,server]
                let csa = rest.first().copied().unwrap_or("");
                match (csa_family(csa), pxe_service_file(&rest)) {
                    (Some(fam), Some(file)) => {
                        boot.entry(fam.to_string()).or_insert(file);
                        note(&mut t, d, format!("taken over as the {fam} boot file (serve shows no menu: the first pxe-service of each architecture wins)"));
                    }
                    (Some(_), None) => note(
                        &mut t,
                        d,
                        "a boot service type or another server: not taken over".into(),
                    ),
                    (None, _) => note(&mut t, d, format!("CSA `{csa}`: no serve family for it")),
                }
            }
            "tftp-root" => {
                let dir = d.value.split(',').next().unwrap_or("");
                t.config.tftp_root = Some(base.join(dir).display().to_string());
            }
            "dhcp-leasefile" => t.config.lease_file = Some(d.value.clone()),
            "enable-tftp" => {}
            "dhcp-match" | "dhcp-userclass" | "dhcp-vendorclass" => {
                // read through tag_meanings; say so when nothing came of it
                let tag = d
                    .value
                    .split(',')
                    .next()
                    .and_then(|f| f.strip_prefix("set:"));
                if tag.is_some_and(|tg| {
                    tags.get(tg)
                        .is_none_or(|m| m.arches.is_empty() && !m.ipxe && !m.http_class)
                }) {
                    note(&mut t, d, "a match serve does not understand (client-arch, 175, iPXE user class, HTTPClient vendor class)".into());
                }
            }
            "tftp-no-blocksize" => note(&mut t, d, "serve always negotiates blksize".into()),
            "pxe-prompt" => note(&mut t, d, "serve shows no PXE menu or prompt".into()),
            _ => note(
                &mut t,
                d,
                format!("`{}` is outside the PXE subset serve reads: ignored", d.key),
            ),
        }
    }
    if let Some((file, line, name)) = default_boot {
        let mut reached = vec![];
        for fam in ALL_FAMILIES {
            if !boot.contains_key(*fam) {
                boot.insert(fam.to_string(), name.clone());
                reached.push(*fam);
            }
        }
        if reached.len() > 1 {
            t.notes.push(Note {
                file,
                line,
                text: format!(
                    "`{name}` has no architecture tag: like dnsmasq, serve hands it to {} \
                     (`pxe-inspect lint` reports where that is an arch-mismatch)",
                    reached.join(", ")
                ),
            });
        }
    }
    if !boot.is_empty() {
        t.config.boot = Some(boot);
    }
    if !statics.is_empty() {
        t.config.static_hosts = Some(statics);
    }
    if !dns.is_empty() {
        t.config.dns = Some(dns);
    }
    if t.proxy && t.config.dhcp_range.is_some() {
        t.config.dhcp_range = None;
        t.notes.push(Note {
            file: path.display().to_string(),
            line: 0,
            text: "both a proxy range and an address range: serving as proxyDHCP".into(),
        });
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("pxe-dnsmasq-conf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn seed_001_is_read_as_dnsmasq_reads_it() {
        let p = write(
            "seed.conf",
            "interface=br0\n\ndhcp-range=192.168.1.50,192.168.1.150,8h\n\
             dhcp-host=9e:42:87:f7:29:92,192.168.1.1,pc,infinite\n\ndhcp-boot=pxelinux.0\n\
             enable-tftp\ntftp-root=tftp\nlog-dhcp\n",
        );
        let t = translate(&p).expect("translate");
        let c = &t.config;
        assert_eq!(c.interface.as_deref(), Some("br0"));
        assert_eq!(c.dhcp_range.as_deref(), Some("192.168.1.50,192.168.1.150"));
        assert_eq!(c.lease_time, Some(8 * 3600));
        let boot = c.boot.as_ref().expect("boot");
        // every architecture gets pxelinux.0, as from dnsmasq (the seed's UEFI failure)
        assert_eq!(boot.get("bios").map(String::as_str), Some("pxelinux.0"));
        assert_eq!(boot.get("efi-x64").map(String::as_str), Some("pxelinux.0"));
        assert_eq!(
            c.static_hosts
                .as_ref()
                .and_then(|h| h.get("9e:42:87:f7:29:92"))
                .map(String::as_str),
            Some("192.168.1.1")
        );
        assert!(c.tftp_root.as_deref().is_some_and(|r| r.ends_with("/tftp")));
        let texts: Vec<(usize, &str)> = t.notes.iter().map(|n| (n.line, n.text.as_str())).collect();
        assert!(
            texts.iter().any(|(l, x)| *l == 9 && x.contains("log-dhcp")),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|(l, x)| *l == 6 && x.contains("no architecture tag")),
            "{texts:?}"
        );
        assert!(!t.proxy);
    }

    #[test]
    fn tags_arches_ipxe_and_proxy_services() {
        let p = write(
            "tags.conf",
            "interface=lab0\ndhcp-range=192.168.77.0,proxy\n\
             dhcp-match=set:efi64,option:client-arch,7\ndhcp-match=set:efi64,option:client-arch,9\n\
             dhcp-userclass=set:ipxe,iPXE\n\
             dhcp-boot=tag:efi64,tag:!ipxe,ipxe.efi\ndhcp-boot=tag:ipxe,http://192.168.77.1/boot.ipxe\n\
             pxe-service=x86PC,\"Boot BIOS\",undionly\npxe-prompt=\"Boot\",5\ntftp-no-blocksize\n",
        );
        let t = translate(&p).expect("translate");
        assert!(t.proxy);
        assert_eq!(t.config.dhcp_range, None);
        let boot = t.config.boot.as_ref().expect("boot");
        assert_eq!(boot.get("7").map(String::as_str), Some("ipxe.efi"));
        assert_eq!(boot.get("9").map(String::as_str), Some("ipxe.efi"));
        assert_eq!(boot.get("bios").map(String::as_str), Some("undionly.0"));
        assert_eq!(
            t.config.ipxe_script.as_deref(),
            Some("http://192.168.77.1/boot.ipxe")
        );
        let lines: Vec<usize> = t.notes.iter().map(|n| n.line).collect();
        assert!(lines.contains(&9) && lines.contains(&10), "{:?}", t.notes);
    }

    #[test]
    fn hostile_values_do_not_panic() {
        let p = write(
            "bad.conf",
            "dhcp-range=\ndhcp-range=,,,,\ndhcp-host=\ndhcp-boot=\ndhcp-option=\ndhcp-option=67\n\
             pxe-service=\npxe-service=x86PC\ndhcp-range=1.2.3.4,5.6.7.8,99999999999h\n=\n,,,\n",
        );
        let t = translate(&p).expect("translate");
        assert!(!t.notes.is_empty());
        assert_eq!(lease_secs("99999999999h"), None);
    }
}
