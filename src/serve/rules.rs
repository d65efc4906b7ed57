//! Per-client rules (`[[rule]]` in serve's TOML): a pure function from what a client says about
//! itself (MAC, option 93, vendor and user class, the relay it came through) and the rules to
//! what it gets. First match wins; a rule with no conditions matches everybody.

use super::dhcp::DhcpFaults;
use super::http::HttpFault;
use super::tftp::TftpFaults;
use crate::proto::Family;
use crate::wire::link::parse_mac;
use crate::wire::link::{fmt_mac, Mac};
use serde::Deserialize;
use std::net::Ipv4Addr;

/// One `[[rule]]` table as written.
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// A name for logs and --check-config (default `rule N`).
    pub name: Option<String>,
    /// `52:54:00:*` — `*` matches any run of characters, case-insensitive.
    pub mac: Option<String>,
    /// An option-93 code (`7`, `0x7`) or a family (`efi-x64`, `bios`, `uboot-arm64`, …).
    pub arch: Option<toml::Value>,
    /// Option 60; without `*` a prefix (like dnsmasq's dhcp-vendorclass), with `*` a glob.
    pub vendor_class: Option<String>,
    /// Option 77 (iPXE sends `iPXE`); matched like vendor_class against each class.
    pub user_class: Option<String>,
    /// giaddr: `10.1.2.1` or `10.1.0.0/16`.
    pub relay: Option<String>,
    pub boot: Option<String>,
    pub script: Option<String>,
    pub url: Option<String>,
    pub next_server: Option<String>,
    pub faults: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchMatch {
    Code(u16),
    Family(Family),
}

/// A validated rule.
#[derive(Debug, Clone, Default)]
pub struct Rule {
    pub name: String,
    pub mac: Option<String>,
    pub arch: Option<ArchMatch>,
    pub vendor_class: Option<String>,
    pub user_class: Option<String>,
    pub relay: Option<(Ipv4Addr, u8)>,
    pub boot: Option<String>,
    pub script: Option<String>,
    pub url: Option<String>,
    pub next_server: Option<Ipv4Addr>,
    /// The rule's faults, replacing the global ones for the clients it matches.
    pub faults: Option<RuleFaults>,
    /// As written, for --check-config.
    pub fault_names: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RuleFaults {
    pub dhcp: DhcpFaults,
    pub tftp: TftpFaults,
    pub http: HttpFault,
}

/// What a client tells about itself.
#[derive(Debug, Clone, Default)]
pub struct ClientId {
    pub mac: Mac,
    pub arch: Option<u16>,
    pub family: Option<Family>,
    pub vendor_class: Option<String>,
    pub user_classes: Vec<String>,
    pub relay: Option<Ipv4Addr>,
}

impl ClientId {
    pub fn from_dhcp(m: &crate::wire::dhcp4::Dhcp4<'_>, mac: Mac, family: Family) -> ClientId {
        ClientId {
            mac,
            arch: m.arch_list().first().copied(),
            family: Some(family),
            vendor_class: m.opt_str(60),
            user_classes: m.user_classes(),
            relay: (!m.giaddr.is_unspecified()).then_some(m.giaddr),
        }
    }
}

/// `*` globbing (any run, also empty), ASCII case-insensitive.
pub fn glob(pat: &str, s: &str) -> bool {
    let (p, s) = (pat.as_bytes(), s.as_bytes());
    let (mut pi, mut si) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while si < s.len() {
        if pi < p.len() && p[pi] != b'*' && p[pi].eq_ignore_ascii_case(&s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// A class pattern: a prefix without `*`, a glob with it.
fn class_match(pat: &str, s: &str) -> bool {
    if pat.contains('*') {
        glob(pat, s)
    } else {
        s.len() >= pat.len() && s.as_bytes()[..pat.len()].eq_ignore_ascii_case(pat.as_bytes())
    }
}

impl Rule {
    pub fn matches(&self, c: &ClientId) -> bool {
        if let Some(p) = &self.mac {
            if !glob(p, &fmt_mac(&c.mac)) {
                return false;
            }
        }
        match &self.arch {
            Some(ArchMatch::Code(code)) if c.arch != Some(*code) => return false,
            Some(ArchMatch::Family(f)) if c.family != Some(*f) => return false,
            _ => {}
        }
        if let Some(p) = &self.vendor_class {
            if !c.vendor_class.as_deref().is_some_and(|v| class_match(p, v)) {
                return false;
            }
        }
        if let Some(p) = &self.user_class {
            if !c.user_classes.iter().any(|u| class_match(p, u)) {
                return false;
            }
        }
        if let Some((net, bits)) = self.relay {
            let Some(r) = c.relay else { return false };
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits))
            };
            if u32::from(r) & mask != u32::from(net) & mask {
                return false;
            }
        }
        true
    }
}

/// The first rule that matches, with its index.
pub fn decide<'r>(rules: &'r [Rule], c: &ClientId) -> Option<(usize, &'r Rule)> {
    rules.iter().enumerate().find(|(_, r)| r.matches(c))
}

pub fn parse_arch(v: &toml::Value) -> Result<ArchMatch, String> {
    match v {
        toml::Value::Integer(i) => u16::try_from(*i)
            .map(ArchMatch::Code)
            .map_err(|_| format!("arch {i}: an option-93 code is 0-65535")),
        toml::Value::String(s) => parse_arch_str(s),
        other => Err(format!("arch `{other}`: a code (7) or a family (efi-x64)")),
    }
}

pub fn parse_arch_str(s: &str) -> Result<ArchMatch, String> {
    let t = s.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u16::from_str_radix(h, 16)
            .map(ArchMatch::Code)
            .map_err(|_| format!("arch `{s}`: not a code"));
    }
    if let Ok(n) = t.parse::<u16>() {
        return Ok(ArchMatch::Code(n));
    }
    Family::parse(t)
        .map(ArchMatch::Family)
        .ok_or(format!("arch `{s}`: unknown; an option-93 code (7) or a family (bios, efi-x64, efi-arm64, uboot-arm64, …)"))
}

fn parse_relay(s: &str) -> Result<(Ipv4Addr, u8), String> {
    let (ip, bits) = match s.split_once('/') {
        Some((i, b)) => (
            i,
            b.trim()
                .parse::<u8>()
                .ok()
                .filter(|b| *b <= 32)
                .ok_or(format!("relay `{s}`: prefix length 0-32"))?,
        ),
        None => (s, 32),
    };
    Ok((
        ip.trim()
            .parse()
            .map_err(|_| format!("relay `{s}`: not an IPv4 address"))?,
        bits,
    ))
}

/// Validate the `[[rule]]` tables (errors name the rule).
pub fn build(files: &[RuleFile]) -> Result<Vec<Rule>, String> {
    files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let name = f.name.clone().unwrap_or_else(|| format!("rule {}", i + 1));
            let e = |m: String| format!("[[rule]] `{name}`: {m}");
            if let Some(m) = &f.mac {
                // Without a wildcard it must be a MAC (a typo would match nobody, silently).
                if !m.contains('*') && parse_mac(m).is_none() {
                    return Err(e(format!("mac `{m}` is not a MAC (use * for wildcards)")));
                }
            }
            let faults = match &f.faults {
                Some(list) => {
                    let (dhcp, tftp) = super::parse_faults(list).map_err(e)?;
                    Some(RuleFaults {
                        dhcp,
                        tftp,
                        http: super::parse_http_fault(list).map_err(e)?,
                    })
                }
                None => None,
            };
            Ok(Rule {
                name: name.clone(),
                mac: f.mac.as_ref().map(|m| m.replace('-', ":")),
                arch: f.arch.as_ref().map(parse_arch).transpose().map_err(e)?,
                vendor_class: f.vendor_class.clone(),
                user_class: f.user_class.clone(),
                relay: f.relay.as_deref().map(parse_relay).transpose().map_err(e)?,
                boot: f.boot.clone(),
                script: f.script.clone(),
                url: f.url.clone(),
                next_server: f
                    .next_server
                    .as_deref()
                    .map(|s| {
                        s.trim()
                            .parse()
                            .map_err(|_| e(format!("next_server `{s}` is not an IPv4 address")))
                    })
                    .transpose()?,
                faults,
                fault_names: f.faults.clone().unwrap_or_default(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(toml_text: &str) -> Vec<Rule> {
        #[derive(Deserialize)]
        struct T {
            rule: Vec<RuleFile>,
        }
        let t: T = toml::from_str(toml_text).expect("toml");
        build(&t.rule).expect("rules")
    }

    fn client(mac: &str, arch: Option<u16>, vc: Option<&str>, uc: &[&str]) -> ClientId {
        ClientId {
            mac: parse_mac(mac).expect("mac"),
            arch,
            family: Some(crate::proto::identity_family(arch, vc)),
            vendor_class: vc.map(str::to_string),
            user_classes: uc.iter().map(|s| s.to_string()).collect(),
            relay: None,
        }
    }

    #[test]
    fn globs() {
        assert!(glob("52:54:00:*", "52:54:00:12:34:56"));
        assert!(glob("52:54:00:*", "52:54:00:"));
        assert!(!glob("52:54:00:*", "52:54:01:12:34:56"));
        assert!(glob("*:56", "52:54:00:12:34:56"));
        assert!(glob("52:*:34:*", "52:54:00:12:34:56"));
        assert!(glob("AA:*", "aa:bb"));
        assert!(!glob("a", "ab"));
        assert!(glob("*", ""));
        assert!(glob("**a**", "xxa"));
    }

    #[test]
    fn first_match_wins_and_every_condition_counts() {
        let r = rules(
            r#"
            [[rule]]
            name = "lab rack"
            mac = "52:54:00:*"
            arch = "efi-x64"
            boot = "rack.efi"
            next_server = "192.0.2.9"
            [[rule]]
            user_class = "iPXE"
            script = "http://192.0.2.1/boot.ipxe"
            [[rule]]
            vendor_class = "HTTPClient"
            url = "http://192.0.2.1/http.efi"
            faults = ["http-error=500"]
            [[rule]]
            relay = "10.1.0.0/16"
            arch = 0
            boot = "remote.kpxe"
            [[rule]]
            arch = 11
            boot = "arm.efi"
            "#,
        );
        let pick = |c: &ClientId| decide(&r, c).map(|(i, _)| i);
        assert_eq!(
            pick(&client("52:54:00:01:02:03", Some(7), None, &[])),
            Some(0)
        );
        // Same MAC, another arch: not the rack rule.
        assert_eq!(pick(&client("52:54:00:01:02:03", Some(0), None, &[])), None);
        // An iPXE in the rack: the rack rule comes first.
        assert_eq!(
            pick(&client("52:54:00:01:02:03", Some(7), None, &["iPXE"])),
            Some(0)
        );
        assert_eq!(
            pick(&client("02:00:00:00:00:01", Some(7), None, &["iPXE"])),
            Some(1)
        );
        let http = client(
            "02:00:00:00:00:01",
            Some(16),
            Some("HTTPClient:Arch:00016:UNDI:003001"),
            &[],
        );
        let (i, rule) = decide(&r, &http).expect("match");
        assert_eq!(i, 2);
        assert_eq!(
            rule.faults.as_ref().map(|f| f.http),
            Some(HttpFault::Status(500))
        );
        let mut relayed = client("02:00:00:00:00:02", Some(0), None, &[]);
        assert_eq!(pick(&relayed), None);
        relayed.relay = Some("10.1.7.1".parse().expect("ip"));
        assert_eq!(pick(&relayed), Some(3));
        relayed.relay = Some("10.2.7.1".parse().expect("ip"));
        assert_eq!(pick(&relayed), None);
        assert_eq!(
            pick(&client("02:00:00:00:00:03", Some(11), None, &[])),
            Some(4)
        );
    }

    #[test]
    fn bad_rules_are_refused_with_their_name() {
        #[derive(Deserialize)]
        struct T {
            rule: Vec<RuleFile>,
        }
        for (text, want) in [
            ("[[rule]]\nmac = \"52:54:00\"\n", "rule 1"),
            ("[[rule]]\nname = \"x\"\narch = \"sparc\"\n", "`x`"),
            ("[[rule]]\nrelay = \"10.0.0.0/40\"\n", "prefix"),
            ("[[rule]]\nfaults = [\"nope\"]\n", "unknown fault"),
            ("[[rule]]\nnext_server = \"a\"\n", "next_server"),
            ("[[rule]]\narch = 70000\n", "0-65535"),
        ] {
            let t: T = toml::from_str(text).expect("toml");
            let err = build(&t.rule).expect_err(text);
            assert!(err.contains(want), "{text}: {err}");
        }
        let t: Result<T, _> = toml::from_str("[[rule]]\nmacc = \"x\"\n");
        assert!(t.is_err(), "unknown keys are refused");
    }
}
