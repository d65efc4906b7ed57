//! `pxe-inspect serve`: proxyDHCP (default) or full DHCP, PXE boot server (4011) and TFTP for
//! labs, with faults that reproduce what `analyze` detects. The responders (dhcp.rs, tftp.rs)
//! are sans-IO; this file validates the configuration and runtime.rs owns sockets and timers.

pub mod check;
pub mod dhcp;
pub mod dhcp6;
pub mod http;
pub mod httpd;
pub mod menu;
pub mod privdrop;
pub mod rules;
pub mod runtime;
pub mod tftp;

use crate::cli::ServeArgs;
use crate::proto::Family;
use dhcp::{DhcpConfig, DhcpFaults, Pool};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use tftp::TftpFaults;

/// `--config serve.toml`: every key a flag can set (flags win).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub interface: Option<String>,
    pub tftp_root: Option<String>,
    pub boot: Option<BTreeMap<String, String>>,
    pub ipxe_script: Option<String>,
    pub http_url: Option<String>,
    pub dhcp_range: Option<String>,
    /// DHCPv6 netboot with addresses from START,END (`--dhcp6-range`).
    pub dhcp6_range: Option<String>,
    pub server_ip6: Option<String>,
    pub netmask: Option<String>,
    pub router: Option<String>,
    pub dns: Option<Vec<String>>,
    pub lease_time: Option<u32>,
    pub lease_file: Option<String>,
    #[serde(rename = "static")]
    pub static_hosts: Option<BTreeMap<String, String>>,
    pub server_ip: Option<String>,
    pub dhcp_port: Option<u16>,
    pub dhcp6_port: Option<u16>,
    pub bootserver_port: Option<u16>,
    pub tftp_port: Option<u16>,
    pub max_transfers: Option<usize>,
    pub faults: Option<Vec<String>>,
    pub fault_for: Option<Vec<String>>,
    pub write: Option<String>,
    pub http_root: Option<String>,
    pub http_port: Option<u16>,
    /// `[[rule]]`: per-client settings, first match wins.
    pub rule: Option<Vec<rules::RuleFile>>,
    pub pxe_service: Option<Vec<String>>,
    pub pxe_prompt: Option<String>,
}

/// Everything `serve` needs, validated.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub interface: String,
    pub tftp_root: Option<String>,
    pub dhcp: DhcpConfig,
    pub tftp_faults: TftpFaults,
    pub lease_file: Option<String>,
    pub dhcp_port: u16,
    pub bootserver_port: u16,
    pub tftp_port: u16,
    pub max_transfers: usize,
    pub max_transfers_per_client: usize,
    /// No DHCP/boot-server sockets: a TFTP server next to the site's own DHCP.
    pub tftp_only: bool,
    pub write: Option<String>,
    /// Serve's own HTTP server (--http-root): root and port.
    pub http_root: Option<String>,
    pub http_port: u16,
    pub http_fault: http::HttpFault,
    pub rules: Vec<rules::Rule>,
    pub menu: Option<menu::Menu>,
    /// --dhcp6-range: the DHCPv6 responder's configuration (TFTP and HTTP over IPv6 with it).
    pub dhcp6: Option<dhcp6::Dhcp6Config>,
    pub dhcp6_port: u16,
}

pub const FAULTS: &[(&str, &str)] = &[
    ("dhcp-no-offer", "ignore DISCOVERs"),
    ("dhcp-no-ack", "offer addresses, then ignore the REQUESTs"),
    ("dhcp-slow-offer", "=SECS: delay offers"),
    ("dhcp-no-boot-file", "offer no boot file or next-server"),
    (
        "proxy-missing-vendor-class",
        "proxy offers without option 60 PXEClient",
    ),
    ("proxy-unanswered", "ignore port-4011 requests"),
    ("proxy-offer-late", "=SECS: delay proxy offers"),
    (
        "arch-mismatch",
        "hand each architecture the other's boot file",
    ),
    ("tftp-file-not-found", "answer every RRQ with TFTP error 1"),
    ("tftp-error", "=CODE: answer every RRQ with this TFTP error"),
    ("tftp-incomplete", "=BLOCK: stop sending at this block"),
    (
        "tftp-retransmits",
        "=PERCENT: drop this share of DATA packets",
    ),
    ("tftp-options-ignored", "ignore TFTP options (no OACK)"),
    (
        "ipxe-chainload-loop",
        "hand iPXE its own binary again instead of the script",
    ),
    (
        "boot-url-to-pxe-client",
        "hand plain PXE clients their boot file as an http:// URL",
    ),
    (
        "boot-file-name-suspect",
        "end option 67 with a 0xFF byte (the name firmware then asks for)",
    ),
    (
        "relay-reply-misrouted",
        "answer relayed requests by broadcast on our segment, not to giaddr:67",
    ),
    (
        "http-error",
        "=404|500|reset|stall: answer HTTP requests with this status, a RST after the headers, or half the body and then silence",
    ),
    (
        "dhcpv6-no-boot-url",
        "answer DHCPv6 netboot clients without option 59 (boot URL)",
    ),
    (
        "dhcpv6-status-error",
        "=CODE: answer DHCPv6 REQUESTs with this status in the IA_NA (default 2 NoAddrsAvail)",
    ),
];

fn ip(s: &str, what: &str) -> Result<Ipv4Addr, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{what}: `{s}` is not an IPv4 address"))
}

fn secs_ms(arg: Option<&str>, name: &str) -> Result<u64, String> {
    let v: f64 = arg
        .ok_or(format!("--fault {name}=SECS needs a number of seconds"))?
        .parse()
        .map_err(|_| format!("--fault {name}: not a number"))?;
    Ok((v * 1000.0) as u64)
}

pub fn parse_faults(list: &[String]) -> Result<(DhcpFaults, TftpFaults), String> {
    let mut d = DhcpFaults::default();
    let mut t = TftpFaults::default();
    for f in list {
        let (name, arg) = match f.split_once('=') {
            Some((n, a)) => (n, Some(a)),
            None => (f.as_str(), None),
        };
        match name {
            "dhcp-no-offer" => d.no_offer = true,
            "dhcp-no-ack" => d.no_ack = true,
            "dhcp-slow-offer" => d.slow_offer_ms = secs_ms(arg.or(Some("12")), name)?,
            "dhcp-no-boot-file" => d.no_boot_file = true,
            "proxy-missing-vendor-class" => d.proxy_missing_vendor_class = true,
            "proxy-unanswered" => d.proxy_unanswered = true,
            "proxy-offer-late" => d.proxy_offer_late_ms = secs_ms(arg.or(Some("3")), name)?,
            "arch-mismatch" => d.arch_mismatch = true,
            "ipxe-chainload-loop" => d.ipxe_chainload_loop = true,
            "boot-url-to-pxe-client" => d.boot_url = true,
            "boot-file-name-suspect" => d.name_suspect = true,
            "relay-reply-misrouted" => d.relay_misrouted = true,
            "tftp-file-not-found" => t.error_code = Some(1),
            "tftp-error" => {
                t.error_code = Some(
                    arg.unwrap_or("2")
                        .parse()
                        .map_err(|_| "--fault tftp-error=CODE: CODE is a number 0-8".to_string())?,
                )
            }
            "tftp-incomplete" => {
                t.stop_at_block =
                    Some(arg.unwrap_or("10").parse().map_err(|_| {
                        "--fault tftp-incomplete=BLOCK: BLOCK is a number".to_string()
                    })?)
            }
            "tftp-retransmits" => {
                let p: u8 = arg
                    .unwrap_or("10")
                    .parse()
                    .map_err(|_| "--fault tftp-retransmits=PERCENT: 0-100".to_string())?;
                if p > 100 {
                    return Err("--fault tftp-retransmits=PERCENT: 0-100".into());
                }
                t.drop_percent = p;
            }
            "tftp-options-ignored" => t.ignore_options = true,
            // Serve's HTTP server: parsed by parse_http_fault.
            "http-error" => {
                http::parse_fault(arg)?;
            }
            // The DHCPv6 responder: parsed by parse_dhcp6_faults.
            "dhcpv6-no-boot-url" | "dhcpv6-status-error" => {
                parse_dhcp6_faults(std::slice::from_ref(f))?;
            }
            other => {
                let names: Vec<&str> = FAULTS.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "unknown fault `{other}`; known: {}",
                    names.join(", ")
                ));
            }
        }
    }
    Ok((d, t))
}

/// The last `http-error` in the list (like the other faults, a later one wins).
pub fn parse_http_fault(list: &[String]) -> Result<http::HttpFault, String> {
    let mut f = http::HttpFault::None;
    for x in list {
        match x.split_once('=') {
            Some(("http-error", a)) => f = http::parse_fault(Some(a))?,
            None if x == "http-error" => f = http::parse_fault(None)?,
            _ => {}
        }
    }
    Ok(f)
}

/// The DHCPv6 faults in the list.
pub fn parse_dhcp6_faults(list: &[String]) -> Result<dhcp6::Dhcp6Faults, String> {
    let mut f = dhcp6::Dhcp6Faults::default();
    for x in list {
        let (name, arg) = match x.split_once('=') {
            Some((n, a)) => (n, Some(a)),
            None => (x.as_str(), None),
        };
        match name {
            "dhcpv6-no-boot-url" => f.no_boot_url = true,
            "dhcpv6-status-error" => {
                let code: u16 = arg.unwrap_or("2").parse().map_err(|_| {
                    "--fault dhcpv6-status-error=CODE: CODE is a DHCPv6 status number (1-6)"
                        .to_string()
                })?;
                if !(1..=6).contains(&code) {
                    return Err(
                        "--fault dhcpv6-status-error=CODE: CODE is a failure status 1-6 (0 is Success)"
                            .into(),
                    );
                }
                f.status_error = Some(code);
            }
            _ => {}
        }
    }
    Ok(f)
}

impl dhcp::DhcpResponder {
    /// The faults of the rule matched by the client at this address, if that rule has any.
    pub fn rule_faults_at(&self, ip: Ipv4Addr) -> Option<rules::RuleFaults> {
        let mac = self.mac_at.get(&ip)?;
        let i = self.rule_of.get(mac)?;
        self.rules.get(*i)?.faults.clone()
    }
}

/// The interface's MAC (for our DHCPv6 DUID-LL).
fn interface_mac(iface: &str) -> Option<[u8; 6]> {
    let text = std::fs::read_to_string(format!("/sys/class/net/{iface}/address")).ok()?;
    crate::wire::link::parse_mac(text.trim())
}

/// The interface's addresses, in the order the system lists them.
fn interface_addrs(iface: &str) -> Vec<std::net::IpAddr> {
    let devs = pcap::Device::list().unwrap_or_default();
    devs.into_iter()
        .find(|d| d.name == iface)
        .map(|d| d.addresses.iter().map(|a| a.addr).collect())
        .unwrap_or_default()
}

/// The interface's first global (not link-local) IPv6 address: the one boot URLs name.
fn interface_ipv6(iface: &str) -> Option<std::net::Ipv6Addr> {
    interface_addrs(iface).into_iter().find_map(|a| match a {
        std::net::IpAddr::V6(v) if !v.is_unicast_link_local() && !v.is_loopback() => Some(v),
        _ => None,
    })
}

fn interface_ipv4(iface: &str) -> Option<Ipv4Addr> {
    interface_addrs(iface).into_iter().find_map(|a| match a {
        std::net::IpAddr::V4(v) => Some(v),
        _ => None,
    })
}

/// Merge flags over the config file and validate. Errors name the flag or key.
// Long on purpose: one setting after another, flag over file, each checked with its own message;
// later checks read earlier results (interface, boot map, tftp_only), so the order is the logic.
pub fn build_config(a: &ServeArgs) -> Result<ServeConfig, String> {
    let file: ConfigFile = match (&a.config, &a.dnsmasq_conf) {
        (Some(p), _) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"))?;
            toml::from_str(&text).map_err(|e| format!("{p}: {e}"))?
        }
        (None, Some(p)) => {
            let t = crate::dnsmasq_conf::translate(std::path::Path::new(p))?;
            for n in &t.notes {
                crate::say!("serve: {}:{}: {}", n.file, n.line, n.text);
            }
            t.config
        }
        (None, None) => ConfigFile::default(),
    };
    // --check-config answers from the configuration alone: no interface needed.
    let interface = match a.interface.clone().or(file.interface) {
        Some(i) => i,
        None if a.check_config => "lo".into(),
        None => return Err("serve needs an explicit --interface (a PXE server nobody meant to start is a rogue server)".into()),
    };
    if !a.check_config && !std::path::Path::new(&format!("/sys/class/net/{interface}")).exists() {
        return Err(format!(
            "no such interface `{interface}` (see `pxe-inspect capture --list`)"
        ));
    }
    let tftp_root = a.tftp_root.clone().or(file.tftp_root);
    if let Some(r) = &tftp_root {
        if !std::path::Path::new(r).is_dir() {
            return Err(format!("--tftp-root `{r}` is not a directory"));
        }
    }
    let mut boot = BTreeMap::new();
    let mut pairs: Vec<(String, String)> = file.boot.unwrap_or_default().into_iter().collect();
    for b in &a.boot {
        let (k, v) = b.split_once('=').ok_or(format!(
            "--boot `{b}`: expected FAMILY=FILE, e.g. bios=undionly.kpxe"
        ))?;
        pairs.push((k.to_string(), v.to_string()));
    }
    let mut boot_codes = BTreeMap::new();
    let mut boot_keys: BTreeMap<Family, (String, String)> = BTreeMap::new();
    for (k, v) in pairs {
        // A raw option-93 code (`22=u-boot.scr`) wins over its family for that code.
        if let Ok(code) = k.parse::<u16>() {
            boot_codes.insert(code, v);
            continue;
        }
        let fam = Family::parse(&k).ok_or(format!("boot `{k}`: unknown family; use bios, efi-x64, efi-ia32, efi-arm64, efi-arm32, efi-riscv64, uboot-arm, uboot-arm64, uboot-x86, uboot-riscv64, or a raw option-93 code (22=FILE)"))?;
        // A later --boot for the same family overrides (flags over the config file); two
        // spellings of one family with different files cannot both be meant.
        if let Some((old_key, old)) = boot_keys.insert(fam, (k.clone(), v.clone())) {
            if old_key != k && old != v {
                return Err(format!("boot `{k}` and `{old_key}` name one family ({}): U-Boot x86 and RISC-V both send class U-Boot and no option 93; give one, or a raw code", fam.name()));
            }
        }
        boot.insert(fam, v);
    }
    if a.tftp_only && (a.dhcp_range.is_some() || !a.boot.is_empty()) {
        return Err("--tftp-only serves files only: drop --dhcp-range and --boot".into());
    }
    if a.tftp_only && tftp_root.is_none() {
        return Err("--tftp-only needs --tftp-root DIR".into());
    }
    let rules_boot = !a.pxe_service.is_empty()
        || file.pxe_service.is_some()
        || file.rule.as_ref().is_some_and(|r| {
            r.iter()
                .any(|x| x.boot.is_some() || x.url.is_some() || x.script.is_some())
        });
    if !a.tftp_only
        && boot.is_empty()
        && boot_codes.is_empty()
        && a.http_url.is_none()
        && file.http_url.is_none()
        && !rules_boot
    {
        return Err("nothing to boot: give --boot FAMILY=FILE (e.g. --boot bios=pxelinux.0 --boot efi-x64=syslinux.efi), or --tftp-only to serve files next to your own DHCP server".into());
    }
    let mut all_faults = file.faults.unwrap_or_default();
    all_faults.extend(a.faults.iter().cloned());
    let rules = rules::build(file.rule.as_deref().unwrap_or_default())?;
    let mut services = vec![];
    for sv in file.pxe_service.iter().flatten().chain(&a.pxe_service) {
        services.push(menu::parse_service(sv)?);
    }
    let prompt = a
        .pxe_prompt
        .clone()
        .or(file.pxe_prompt)
        .map(|p| menu::parse_prompt(&p))
        .transpose()?;
    if prompt.is_some() && services.is_empty() {
        return Err("--pxe-prompt needs a menu: give --pxe-service CSA,TEXT,FILE".into());
    }
    let menu = (!services.is_empty()).then_some(menu::Menu { prompt, services });
    let (dfaults, tfaults) = parse_faults(&all_faults)?;
    let http_fault = parse_http_fault(&all_faults)?;
    let http_root = a.http_root.clone().or(file.http_root);
    if let Some(r) = &http_root {
        if !std::path::Path::new(r).is_dir() {
            return Err(format!("--http-root `{r}` is not a directory"));
        }
    }
    if http_fault != http::HttpFault::None && http_root.is_none() {
        return Err(
            "--fault http-error needs serve's own HTTP server: give --http-root DIR".into(),
        );
    }
    let mut fault_for = vec![];
    for m in file
        .fault_for
        .unwrap_or_default()
        .iter()
        .chain(&a.fault_for)
    {
        fault_for.push(
            crate::wire::link::parse_mac(m)
                .ok_or(format!("--fault-for `{m}` is not a MAC address"))?,
        );
    }
    let server_ip = match a.server_ip.clone().or(file.server_ip) {
        Some(s) => ip(&s, "--server-ip")?,
        None => match interface_ipv4(&interface) {
            Some(ip) => ip,
            None if a.check_config => Ipv4Addr::UNSPECIFIED,
            None => {
                return Err(format!(
                    "interface `{interface}` has no IPv4 address; give --server-ip"
                ))
            }
        },
    };
    let pool = match a.dhcp_range.clone().or(file.dhcp_range) {
        None => None,
        Some(r) => {
            let (s, e) = r
                .split_once(',')
                .ok_or(format!("--dhcp-range `{r}`: expected START,END"))?;
            let (start, end) = (ip(s, "--dhcp-range")?, ip(e, "--dhcp-range")?);
            if u32::from(start) > u32::from(end) {
                return Err(format!("--dhcp-range `{r}`: START is after END"));
            }
            let mut static_hosts = BTreeMap::new();
            let mut st: Vec<(String, String)> =
                file.static_hosts.unwrap_or_default().into_iter().collect();
            for h in &a.static_hosts {
                let (m, i) = h
                    .split_once('=')
                    .ok_or(format!("--static `{h}`: expected MAC=IP"))?;
                st.push((m.to_string(), i.to_string()));
            }
            for (m, i) in st {
                static_hosts.insert(
                    crate::wire::link::parse_mac(&m)
                        .ok_or(format!("static host `{m}` is not a MAC"))?,
                    ip(&i, "static host")?,
                );
            }
            let dns = a
                .dns
                .iter()
                .cloned()
                .chain(file.dns.unwrap_or_default())
                .map(|d| ip(&d, "--dns"))
                .collect::<Result<Vec<_>, _>>()?;
            Some(Pool {
                start,
                end,
                netmask: ip(
                    &a.netmask
                        .clone()
                        .or(file.netmask)
                        .unwrap_or_else(|| "255.255.255.0".into()),
                    "--netmask",
                )?,
                router: a
                    .router
                    .clone()
                    .or(file.router)
                    .map(|r| ip(&r, "--router"))
                    .transpose()?,
                dns,
                lease_secs: a.lease_time.or(file.lease_time).unwrap_or(3600),
                static_hosts,
            })
        }
    };
    let dhcp6 = match a.dhcp6_range.clone().or(file.dhcp6_range) {
        None => None,
        Some(r) => {
            let v6 = |s: &str, what: &str| -> Result<std::net::Ipv6Addr, String> {
                s.trim()
                    .parse()
                    .map_err(|_| format!("{what}: `{s}` is not an IPv6 address"))
            };
            let (s, e) = r
                .split_once(',')
                .ok_or(format!("--dhcp6-range `{r}`: expected START,END"))?;
            let (start, end) = (v6(s, "--dhcp6-range")?, v6(e, "--dhcp6-range")?);
            if u128::from(start) > u128::from(end) {
                return Err(format!("--dhcp6-range `{r}`: START is after END"));
            }
            if a.tftp_only {
                return Err("--tftp-only serves files only: drop --dhcp6-range".into());
            }
            let server_ip6 = match a.server_ip6.clone().or(file.server_ip6) {
                Some(s) => v6(&s, "--server-ip6")?,
                None => match interface_ipv6(&interface) {
                    Some(ip) => ip,
                    None if a.check_config => std::net::Ipv6Addr::UNSPECIFIED,
                    None => {
                        return Err(format!(
                            "interface `{interface}` has no global IPv6 address (the boot URL must name one); give --server-ip6"
                        ))
                    }
                },
            };
            let mac = interface_mac(&interface).unwrap_or([2, 0x70, 0x78, 0, 0, 1]);
            let lease = a.lease_time.or(file.lease_time).unwrap_or(3600);
            Some(dhcp6::Dhcp6Config {
                server_duid: dhcp6::duid_ll(mac),
                server_ip: server_ip6,
                pool: dhcp6::Pool6 {
                    start,
                    end,
                    preferred_secs: lease,
                    valid_secs: lease.saturating_mul(2),
                },
                boot: boot.clone(),
                boot_codes: boot_codes.clone(),
                http_url: a.http_url.clone().or(file.http_url.clone()),
                faults: parse_dhcp6_faults(&all_faults)?,
            })
        }
    };
    Ok(ServeConfig {
        interface,
        tftp_root,
        dhcp: DhcpConfig {
            server_ip,
            pool,
            boot,
            boot_codes,
            ipxe_script: a.ipxe_script.clone().or(file.ipxe_script),
            http_url: a.http_url.clone().or(file.http_url),
            faults: dfaults,
            fault_for,
        },
        tftp_faults: tfaults,
        lease_file: a.lease_file.clone().or(file.lease_file),
        dhcp_port: a.dhcp_port.or(file.dhcp_port).unwrap_or(67),
        bootserver_port: a.bootserver_port.or(file.bootserver_port).unwrap_or(4011),
        tftp_port: a.tftp_port.or(file.tftp_port).unwrap_or(69),
        // The overall cap never undercuts a per-client cap asked for explicitly.
        max_transfers: a
            .max_transfers
            .or(file.max_transfers)
            .unwrap_or(64.max(a.max_transfers_per_client.unwrap_or(0))),
        max_transfers_per_client: a.max_transfers_per_client.unwrap_or(8).max(1),
        tftp_only: a.tftp_only,
        write: a.write.clone().or(file.write),
        http_root,
        http_port: a.http_port.or(file.http_port).unwrap_or(8080),
        http_fault,
        rules,
        menu,
        dhcp6,
        dhcp6_port: a.dhcp6_port.or(file.dhcp6_port).unwrap_or(547),
    })
}

pub fn run(a: &ServeArgs) -> i32 {
    let cfg = match build_config(a) {
        Ok(c) => c,
        Err(e) => {
            crate::say!("pxe-inspect serve: {e}");
            return crate::exit::USAGE;
        }
    };
    if a.check_config {
        let ask = check::Ask {
            mac: a.mac.clone(),
            arch: a.arch.clone(),
            vendor_class: a.vendor_class.clone(),
            user_class: a.user_class.clone(),
            relay: a.relay.clone(),
        };
        let base = (cfg.http_root.is_some() && cfg.dhcp.http_url.is_none())
            .then(|| runtime::http_base(&cfg));
        return match check::check(&cfg, base, &ask) {
            Ok(text) => {
                print!("{text}");
                crate::exit::OK
            }
            Err(e) => {
                crate::say!("pxe-inspect serve: {e}");
                crate::exit::USAGE
            }
        };
    }
    runtime::run(cfg, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Faults are named after the findings they provoke: every name is a registered finding
    /// ID, and every name (with its default argument) is accepted by its parser.
    #[test]
    fn every_fault_names_a_registered_finding_and_parses() {
        for (name, _) in FAULTS {
            assert!(
                crate::diag::registry::rule(name).is_some(),
                "fault `{name}` names no finding"
            );
            let one = vec![name.to_string()];
            assert!(parse_faults(&one).is_ok(), "{name}");
        }
        for s in crate::synth::Scenario::FAILURES {
            let id = s.finding().expect("a failure names its finding");
            assert!(crate::diag::registry::rule(id).is_some(), "{id}");
        }
        assert!(parse_faults(&["no-such-fault".into()]).is_err());
    }
}
