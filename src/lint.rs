//! `pxe-inspect lint FILE`: a dnsmasq configuration (the PXE subset) or serve's TOML, checked
//! before a machine fails to boot. Each problem is reported as the finding ID it would cause at
//! boot time, with the line that causes it. Told apart by content, not by name: a file whose
//! non-comment lines parse as TOML with serve's keys is serve's; anything else is dnsmasq's.

use crate::diag::registry;
use crate::model::Severity;
use crate::proto::{family_from_name, is_ipxe_binary, is_url, Family};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub const SCHEMA: &str = "pxe-inspect/lint/1";

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    pub id: &'static str,
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    pub message: String,
    pub hint: String,
}

#[derive(Debug, Serialize)]
pub struct LintReport {
    pub schema: &'static str,
    pub file: String,
    /// `dnsmasq` or `serve-toml`.
    pub kind: &'static str,
    pub problems: Vec<Problem>,
}

fn problem(id: &'static str, file: &str, line: usize, message: String, hint: String) -> Problem {
    let doc = registry::rule(id);
    Problem {
        id,
        severity: doc.map(|d| d.severity).unwrap_or(Severity::Warning),
        file: file.to_string(),
        line,
        message,
        hint: if hint.is_empty() {
            doc.map(|d| d.fix.to_string()).unwrap_or_default()
        } else {
            hint
        },
    }
}

/// One directive of a dnsmasq configuration, where it was written.
#[derive(Debug, Clone)]
pub(crate) struct Directive {
    pub file: String,
    pub line: usize,
    pub key: String,
    pub value: String,
}

/// Read a dnsmasq configuration with its `conf-file=` and `conf-dir=` includes (depth-limited).
pub(crate) fn read_dnsmasq(
    path: &Path,
    depth: usize,
    out: &mut Vec<Directive>,
) -> Result<(), String> {
    if depth > 8 {
        return Err(format!(
            "{}: includes nested more than 8 deep",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
            None => (line.to_string(), String::new()),
        };
        let base = path.parent().unwrap_or(Path::new("."));
        match key.as_str() {
            "conf-file" => read_dnsmasq(&base.join(&value), depth + 1, out)?,
            "conf-dir" => {
                let mut parts = value.split(',');
                let dir = base.join(parts.next().unwrap_or(""));
                let exts: Vec<&str> = parts.collect();
                let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                    .map_err(|e| format!("{}: {e}", dir.display()))?
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                        !name.starts_with('.')
                            && !name.ends_with('~')
                            && (exts.is_empty()
                                || exts
                                    .iter()
                                    .any(|x| x.starts_with('*') && name.ends_with(&x[1..])))
                    })
                    .collect();
                files.sort();
                for f in files {
                    read_dnsmasq(&f, depth + 1, out)?;
                }
            }
            _ => out.push(Directive {
                file: path.display().to_string(),
                line: i + 1,
                key,
                value,
            }),
        }
    }
    Ok(())
}

/// `tag:a,tag:!b,rest…` → (tags required, tags excluded, the remaining fields).
pub(crate) fn split_tags(value: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut with, mut without, mut rest) = (vec![], vec![], vec![]);
    for f in value.split(',').map(str::trim) {
        if let Some(t) = f.strip_prefix("tag:").or_else(|| f.strip_prefix("net:")) {
            match t.strip_prefix('!') {
                Some(n) => without.push(n.to_string()),
                None => with.push(t.to_string()),
            }
        } else {
            rest.push(f.to_string());
        }
    }
    (with, without, rest)
}

/// The boot file a `pxe-service=CSA,"menu text",basename[,server]` line makes dnsmasq offer
/// (fields after the tags): the basename with the layer suffix `.0` when it has no dot of its
/// own (x86PC,"…",pxelinux → pxelinux.0). None for a numeric boot service type or a file on
/// another server — not a file of this TFTP root.
pub(crate) fn pxe_service_file<S: AsRef<str>>(rest: &[S]) -> Option<String> {
    let base = rest.get(2)?.as_ref();
    if rest.get(3).is_some() || base.is_empty() || base.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(if base.contains('.') {
        base.to_string()
    } else {
        format!("{base}.0")
    })
}

/// Which clients a tag selects, as far as lint can tell.
#[derive(Debug, Default, Clone)]
pub(crate) struct TagMeaning {
    pub arches: BTreeSet<u16>,
    pub ipxe: bool,
    pub http_class: bool,
}

fn set_tag(f: &str) -> Option<String> {
    f.strip_prefix("set:")
        .or_else(|| f.strip_prefix("net:"))
        .map(str::to_string)
}

pub(crate) fn tag_meanings(ds: &[Directive]) -> BTreeMap<String, TagMeaning> {
    let mut m: BTreeMap<String, TagMeaning> = BTreeMap::new();
    for d in ds {
        let fields: Vec<&str> = d.value.split(',').map(str::trim).collect();
        let Some(tag) = fields.first().and_then(|f| set_tag(f)) else {
            continue;
        };
        let e = m.entry(tag).or_default();
        match d.key.as_str() {
            "dhcp-match" => {
                let opt = fields.get(1).copied().unwrap_or("");
                let val = fields.get(2).copied().unwrap_or("");
                if opt == "option:client-arch" || opt == "93" {
                    if let Ok(a) = val.parse::<u16>() {
                        e.arches.insert(a);
                    }
                } else if opt == "175"
                    || (opt == "option:user-class" && val == "iPXE")
                    || (opt == "77" && val.contains("iPXE"))
                {
                    e.ipxe = true;
                }
            }
            "dhcp-userclass" if fields.get(1).is_some_and(|v| v.contains("iPXE")) => {
                e.ipxe = true;
            }
            "dhcp-vendorclass"
                if fields
                    .get(1)
                    .is_some_and(|v| crate::proto::is_http_class(v)) =>
            {
                e.http_class = true;
            }
            _ => {}
        }
    }
    m
}

/// A boot file rule: which tags it needs / excludes, the file, where.
struct BootRule<'a> {
    d: &'a Directive,
    with: Vec<String>,
    without: Vec<String>,
    file: String,
    /// DHCPv6 option 59 (bootfile-url): only UEFI's IPv6 PXE/HTTP boot asks for it, and it is a
    /// URL by definition (`tftp://[addr]/file`), so the v4 URL and BIOS checks do not apply.
    v6: bool,
}

fn boot_rules(ds: &[Directive]) -> Vec<BootRule<'_>> {
    let mut v = vec![];
    for d in ds {
        let (with, without, rest) = split_tags(&d.value);
        let file = match d.key.as_str() {
            "dhcp-boot" => rest.first().cloned(),
            "dhcp-option" | "dhcp-option-force" => match rest.as_slice() {
                [code, file, ..] if code == "67" || code == "option:bootfile-name" => {
                    Some(file.clone())
                }
                [code, file, ..] if code == "option6:bootfile-url" || code == "option6:59" => {
                    Some(file.clone())
                }
                _ => None,
            },
            _ => None,
        };
        let v6 = d.value.contains("option6:");
        if let Some(file) = file.filter(|f| !f.is_empty()) {
            v.push(BootRule {
                d,
                with,
                without,
                file,
                v6,
            });
        }
    }
    v
}

// Long on purpose: five checks in turn (arch-mismatch … dhcp-no-boot-file) over the same
// directives, tag sets and boot rules; each check is independent, with its own message and fix.
fn lint_dnsmasq(path: &Path) -> Result<Vec<Problem>, String> {
    let mut ds = vec![];
    read_dnsmasq(path, 0, &mut ds)?;
    let tags = tag_meanings(&ds);
    let rules = boot_rules(&ds);
    let mut out = vec![];
    let arch_tags: BTreeMap<&String, &BTreeSet<u16>> = tags
        .iter()
        .filter(|(_, m)| !m.arches.is_empty())
        .map(|(t, m)| (t, &m.arches))
        .collect();
    let ipxe_tags: Vec<&String> = tags
        .iter()
        .filter(|(_, m)| m.ipxe)
        .map(|(t, _)| t)
        .collect();
    let http_tags: Vec<&String> = tags
        .iter()
        .filter(|(_, m)| m.http_class)
        .map(|(t, _)| t)
        .collect();
    let arch_of_rule = |r: &BootRule| -> Option<BTreeSet<u16>> {
        let sets: Vec<&BTreeSet<u16>> = r
            .with
            .iter()
            .filter_map(|t| arch_tags.get(t).copied())
            .collect();
        (!sets.is_empty()).then(|| sets.into_iter().flatten().copied().collect())
    };
    let efi_handled = rules.iter().any(|r| {
        arch_of_rule(r).is_some_and(|a| {
            a.iter()
                .any(|c| crate::proto::arch_info(*c).family.is_efi())
        })
    });
    let bios_handled = rules
        .iter()
        .any(|r| arch_of_rule(r).is_some_and(|a| a.contains(&0)));
    for r in &rules {
        let (file, line) = (&r.d.file, r.d.line);
        let fam = family_from_name(&r.file);
        let for_ipxe_only = r.with.iter().any(|t| ipxe_tags.contains(&t));
        let for_http_only = r.with.iter().any(|t| http_tags.contains(&t));
        // arch-mismatch: a family-specific file that reaches other families.
        match (arch_of_rule(r), fam) {
            (None, Some(Family::Bios)) if !efi_handled && !for_ipxe_only && !for_http_only => {
                out.push(problem(
                    "arch-mismatch",
                    file,
                    line,
                    format!("`{}={}` gives every architecture the BIOS file `{}`: no dhcp-match on client-arch sends UEFI clients (arch 7, 9, 6, 11 …) elsewhere", r.d.key, r.d.value, r.file),
                    "Add `dhcp-match=set:efi64,option:client-arch,7` (and 9, 6, 11 … as needed) with `dhcp-boot=tag:efi64,<an EFI image>`, and make this line `dhcp-boot=tag:!efi64,…`.".into(),
                ));
            }
            (None, Some(f))
                if f.is_efi() && !bios_handled && !for_ipxe_only && !for_http_only && !r.v6 =>
            {
                out.push(problem(
                    "arch-mismatch",
                    file,
                    line,
                    format!("`{}={}` gives every architecture the EFI file `{}`: BIOS clients (arch 0) get it too", r.d.key, r.d.value, r.file),
                    "Add `dhcp-match=set:bios,option:client-arch,0` with `dhcp-boot=tag:bios,undionly.kpxe` (or pxelinux.0).".into(),
                ));
            }
            (Some(arches), Some(f)) => {
                let bad: Vec<u16> = arches
                    .iter()
                    .copied()
                    .filter(|a| {
                        let af = crate::proto::arch_info(*a).family;
                        (af == Family::Bios && f.is_efi()) || (af.is_efi() && f == Family::Bios)
                    })
                    .collect();
                if !bad.is_empty() {
                    out.push(problem(
                        "arch-mismatch",
                        file,
                        line,
                        format!(
                            "`{}={}` hands `{}` ({}) to client-arch {:?}",
                            r.d.key,
                            r.d.value,
                            r.file,
                            f.name(),
                            bad
                        ),
                        String::new(),
                    ));
                }
            }
            _ => {}
        }
        // ipxe-chainload-loop: an iPXE binary that iPXE itself would be handed again.
        if is_ipxe_binary(&r.file) && !for_ipxe_only {
            let excluded = r.without.iter().any(|t| ipxe_tags.contains(&t));
            if !excluded {
                out.push(problem(
                    "ipxe-chainload-loop",
                    file,
                    line,
                    format!("`{}` is an iPXE binary and this line does not exclude iPXE clients{}: iPXE will load it again and again", r.file,
                        if ipxe_tags.is_empty() { " (no dhcp-match on option 175 / user class iPXE)" } else { " (no tag:!ipxe)" }),
                    "Add `dhcp-match=set:ipxe,175` and make this line `dhcp-boot=tag:!ipxe,…`, with `dhcp-boot=tag:ipxe,http://…/boot.ipxe` for iPXE.".into(),
                ));
            }
        }
        // boot-url-to-pxe-client: a URL that plain PXE firmware would be handed.
        if is_url(&r.file) && !for_ipxe_only && !for_http_only && !r.v6 {
            out.push(problem(
                "boot-url-to-pxe-client",
                file,
                line,
                format!("`{}` is a URL and this line does not limit it to iPXE (tag from option 175) or HTTP boot clients (vendor class HTTPClient): PXE firmware fetches files by TFTP only", r.file),
                String::new(),
            ));
        }
    }
    // tftp-file-not-found: a boot file missing under tftp-root.
    let tftp_on = ds.iter().any(|d| d.key == "enable-tftp");
    let root = ds.iter().rev().find(|d| d.key == "tftp-root").map(|d| {
        let v = d.value.split(',').next().unwrap_or("").to_string();
        let base = Path::new(&d.file)
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        (base.join(v), d.line)
    });
    if let (true, Some((root, _))) = (tftp_on, &root) {
        if root.is_dir() {
            // A tftp:// URL names a file of this server's root too (DHCPv6's bootfile-url).
            let tftp_path = |f: &str| -> Option<String> {
                if !is_url(f) {
                    return Some(f.to_string());
                }
                f.starts_with("tftp://")
                    .then(|| crate::diag::url_path(f).to_string())
            };
            for r in &rules {
                let Some(path) = tftp_path(&r.file) else {
                    continue;
                };
                if !root.join(path.trim_start_matches('/')).is_file() {
                    out.push(problem(
                        "tftp-file-not-found",
                        &r.d.file,
                        r.d.line,
                        format!("`{}` is not under tftp-root {}", r.file, root.display()),
                        String::new(),
                    ));
                }
            }
            // pxe-service=[tag:…,]CSA,"menu text",basename[,server]: dnsmasq offers the
            // basename with the layer suffix ".0" when it has no dot of its own (x86PC,
            // "pxelinux" → pxelinux.0); a numeric boot service type or another server's
            // address means the file is not ours to check.
            for d in ds.iter().filter(|d| d.key == "pxe-service") {
                let (_, _, rest) = split_tags(&d.value);
                let Some(name) = pxe_service_file(&rest) else {
                    continue;
                };
                let base = rest.get(2).map(String::as_str).unwrap_or("");
                if !root.join(name.trim_start_matches('/')).is_file() {
                    out.push(problem(
                        "tftp-file-not-found",
                        &d.file,
                        d.line,
                        format!(
                            "pxe-service boot file `{name}` (from `{base}`) is not under tftp-root {}",
                            root.display()
                        ),
                        String::new(),
                    ));
                }
            }
        } else {
            out.push(problem(
                "tftp-file-not-found",
                &ds.iter()
                    .rev()
                    .find(|d| d.key == "tftp-root")
                    .map(|d| d.file.clone())
                    .unwrap_or_default(),
                root_line(&ds),
                format!(
                    "tftp-root {} is not a directory: every TFTP request fails",
                    root.display()
                ),
                String::new(),
            ));
        }
    }
    // dhcp-no-boot-file: a proxy range with nothing to hand out.
    let proxy = ds
        .iter()
        .find(|d| d.key == "dhcp-range" && d.value.split(',').any(|f| f.trim() == "proxy"));
    let services = ds.iter().any(|d| d.key == "pxe-service");
    if let Some(p) = proxy {
        if !services && rules.is_empty() {
            out.push(problem(
                "dhcp-no-boot-file",
                &p.file,
                p.line,
                "a proxy range (`dhcp-range=…,proxy`) with no pxe-service and no dhcp-boot: the proxy offers nothing to boot".into(),
                "Add `pxe-service=x86PC,\"Boot\",pxelinux` (BIOS) and `pxe-service=X86-64_EFI,\"Boot\",syslinux.efi` (UEFI), or a dhcp-boot line.".into(),
            ));
        }
    } else if rules.is_empty() && !services && ds.iter().any(|d| d.key == "dhcp-range") {
        let d = ds.iter().find(|d| d.key == "dhcp-range").expect("a range");
        out.push(problem(
            "dhcp-no-boot-file",
            &d.file,
            d.line,
            "DHCP ranges but no dhcp-boot / option 67 / pxe-service: PXE clients get an address and no boot file (PXE-E53)".into(),
            String::new(),
        ));
    }
    Ok(out)
}

fn root_line(ds: &[Directive]) -> usize {
    ds.iter()
        .rev()
        .find(|d| d.key == "tftp-root")
        .map(|d| d.line)
        .unwrap_or(0)
}

/// The line of a TOML key (for messages), 0 when not found.
fn toml_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            t.starts_with(key) && t[key.len()..].trim_start().starts_with('=')
                || t.starts_with(&format!("\"{key}\""))
        })
        .map(|i| i + 1)
        .unwrap_or(0)
}

fn lint_serve_toml(path: &Path, text: &str, c: crate::serve::ConfigFile) -> Vec<Problem> {
    let f = path.display().to_string();
    let mut out = vec![];
    let boot = c.boot.unwrap_or_default();
    let fams: BTreeMap<String, Family> = boot
        .keys()
        .filter_map(|k| Family::parse(k).map(|fam| (k.clone(), fam)))
        .collect();
    let has_efi = fams.values().any(|x| x.is_efi());
    let has_bios = fams.values().any(|x| *x == Family::Bios);
    if has_bios && !has_efi && c.http_url.is_none() {
        out.push(problem(
            "dhcp-no-boot-file",
            &f,
            toml_line(text, "bios"),
            "only `bios` has a boot file: UEFI clients (x64, IA32, ARM) are answered without one".into(),
            "Add `efi-x64 = \"ipxe.efi\"` (and the other families your machines have) under [boot].".into(),
        ));
    }
    for (k, v) in &boot {
        let line = toml_line(text, k);
        if let (Some(fam), Some(nf)) = (fams.get(k), family_from_name(v)) {
            if (*fam == Family::Bios && nf.is_efi()) || (fam.is_efi() && nf == Family::Bios) {
                out.push(problem(
                    "arch-mismatch",
                    &f,
                    line,
                    format!(
                        "`{k} = \"{v}\"`: a {} file for the {} family",
                        nf.name(),
                        fam.name()
                    ),
                    String::new(),
                ));
            }
        }
        if is_ipxe_binary(v) && c.ipxe_script.is_none() {
            out.push(problem(
                "ipxe-chainload-loop",
                &f,
                line,
                format!("`{k} = \"{v}\"` is an iPXE binary and no `ipxe_script` is set: the iPXE it loads is handed the binary again"),
                "Set `ipxe_script = \"boot.ipxe\"` (or an http:// URL): serve hands it to the iPXE it loaded.".into(),
            ));
        }
        if is_url(v)
            && fams
                .get(k)
                .is_some_and(|x| *x == Family::Bios || x.is_efi())
        {
            out.push(problem(
                "boot-url-to-pxe-client",
                &f,
                line,
                format!("`{k} = \"{v}\"` is a URL: PXE firmware fetches boot files by TFTP only (use `ipxe_script` or `http_url` for URLs)"),
                String::new(),
            ));
        }
        if let Some(root) = &c.tftp_root {
            let rp = path.parent().unwrap_or(Path::new(".")).join(root);
            if !is_url(v) && rp.is_dir() && !rp.join(v.trim_start_matches('/')).is_file() {
                out.push(problem(
                    "tftp-file-not-found",
                    &f,
                    line,
                    format!("`{v}` is not under tftp_root {}", rp.display()),
                    String::new(),
                ));
            }
        }
    }
    out
}

/// Lint a file. Err: it cannot be read or parsed (exit 2).
pub fn lint(path: &str) -> Result<LintReport, String> {
    let p = Path::new(path);
    let text = std::fs::read_to_string(p).map_err(|e| format!("{path}: {e}"))?;
    // serve's TOML has `key = value` lines and [tables]; dnsmasq's has `key=value` and bare
    // keys that are not TOML at all. A file TOML accepts with at least one of serve's keys is
    // serve's.
    let as_toml = toml::from_str::<crate::serve::ConfigFile>(&text)
        .ok()
        .filter(|c| {
            c.boot.is_some()
                || c.tftp_root.is_some()
                || c.interface.is_some()
                || c.dhcp_range.is_some()
        });
    let (kind, mut problems) = match as_toml {
        Some(c) => ("serve-toml", lint_serve_toml(p, &text, c)),
        None => {
            if text.lines().any(|l| l.trim_start().starts_with('[')) {
                return Err(format!(
                    "{path}: looks like TOML but is not serve's configuration (toml: {})",
                    toml::from_str::<toml::Value>(&text)
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| "no serve keys".into())
                ));
            }
            ("dnsmasq", lint_dnsmasq(p)?)
        }
    };
    problems.sort_by(|a, b| (&a.file, a.line, a.id).cmp(&(&b.file, b.line, b.id)));
    problems.dedup();
    Ok(LintReport {
        schema: SCHEMA,
        file: path.to_string(),
        kind,
        problems,
    })
}

pub fn run(a: &crate::cli::LintArgs) -> i32 {
    let r = match lint(&a.file) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pxe-inspect lint: {e}");
            return crate::exit::USAGE;
        }
    };
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    if a.format == crate::cli::LintFormat::Json {
        let _ = serde_json::to_writer_pretty(&mut out, &r);
        let _ = writeln!(out);
    } else {
        for p in &r.problems {
            let _ = writeln!(
                out,
                "{}:{}: {} [{}]: {}",
                p.file,
                p.line,
                p.id,
                p.severity.name(),
                p.message
            );
            let _ = writeln!(out, "    fix: {}", p.hint);
        }
        let _ = writeln!(
            out,
            "{} ({}): {} problem(s)",
            r.file,
            r.kind,
            r.problems.len()
        );
    }
    if r.problems.iter().any(|p| p.severity == Severity::Error) {
        crate::exit::FINDINGS
    } else {
        crate::exit::OK
    }
}
