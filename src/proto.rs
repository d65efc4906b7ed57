//! PXE facts as types: client architectures (RFC 4578, the IANA registry and the erratum that
//! firmware actually follows), PXE vendor classes, and what a boot file's first bytes say it is.

use serde::Serialize;

/// The firmware family a boot file must match.
#[derive(
    bitcode::Encode,
    bitcode::Decode,
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    PartialOrd,
    Ord,
)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Bios,
    EfiIa32,
    EfiX64,
    EfiArm32,
    EfiArm64,
    EfiRiscv64,
    EfiRiscv32,
    EfiLoongarch64,
    EfiOther,
    /// U-Boot's own DHCP on 32-bit ARM (code 21/23, class `U-Boot.armv7`).
    UbootArm,
    /// U-Boot's own DHCP on 64-bit ARM (code 22/24, class `U-Boot.armv8`).
    UbootArm64,
    /// U-Boot whose CPU its DHCP does not say (x86 and RISC-V U-Boot send class `U-Boot` and
    /// no option 93).
    Uboot,
    PowerPc,
    S390,
    /// Raspberry Pi's boot ROM (code 41).
    Rpiboot,
    Other,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::Bios => "bios",
            Family::EfiIa32 => "efi-ia32",
            Family::EfiX64 => "efi-x64",
            Family::EfiArm32 => "efi-arm32",
            Family::EfiArm64 => "efi-arm64",
            Family::EfiRiscv64 => "efi-riscv64",
            Family::EfiRiscv32 => "efi-riscv32",
            Family::EfiLoongarch64 => "efi-loongarch64",
            Family::EfiOther => "efi-other",
            Family::UbootArm => "uboot-arm",
            Family::UbootArm64 => "uboot-arm64",
            Family::Uboot => "uboot",
            Family::PowerPc => "powerpc",
            Family::S390 => "s390",
            Family::Rpiboot => "rpiboot",
            Family::Other => "other",
        }
    }

    pub fn is_efi(self) -> bool {
        matches!(
            self,
            Family::EfiIa32
                | Family::EfiX64
                | Family::EfiArm32
                | Family::EfiArm64
                | Family::EfiRiscv64
                | Family::EfiRiscv32
                | Family::EfiLoongarch64
                | Family::EfiOther
        )
    }

    pub fn is_uboot(self) -> bool {
        matches!(self, Family::UbootArm | Family::UbootArm64 | Family::Uboot)
    }

    /// The EFI family of the same CPU (what U-Boot's `bootefi` runs), when known.
    pub fn efi_of_cpu(self) -> Option<Family> {
        match self {
            Family::UbootArm => Some(Family::EfiArm32),
            Family::UbootArm64 => Some(Family::EfiArm64),
            f if f.is_efi() && f != Family::EfiOther => Some(f),
            _ => None,
        }
    }

    /// Can a boot file be judged against this family at all?
    pub fn is_judgeable(self) -> bool {
        matches!(
            self,
            Family::Bios
                | Family::EfiIa32
                | Family::EfiX64
                | Family::EfiArm32
                | Family::EfiArm64
                | Family::EfiRiscv64
                | Family::UbootArm
                | Family::UbootArm64
        )
    }

    /// A boot image people hand this family (for fix hints).
    pub fn example_image(self) -> &'static str {
        match self {
            Family::Bios => "undionly.kpxe or pxelinux.0",
            Family::EfiIa32 => "an ia32 EFI image (grubnetia32.efi / bootia32.efi, iPXE's i386 ipxe.efi)",
            Family::EfiX64 => "an x64 EFI image (ipxe.efi, grubnetx64.efi, shimx64.efi)",
            Family::EfiArm32 => "an ARM32 EFI image (grubnetarm.efi / bootarm.efi)",
            Family::EfiArm64 => "an AArch64 EFI image (grubnetaa64.efi / bootaa64.efi, iPXE's arm64 snp.efi)",
            Family::EfiRiscv64 => "a RISC-V 64 EFI image (grubriscv64.efi / bootriscv64.efi)",
            Family::UbootArm | Family::UbootArm64 | Family::Uboot => {
                "a U-Boot script (boot.scr.uimg) or pxelinux.cfg for `pxe get`, or an EFI image of its CPU"
            }
            _ => "an image built for this architecture",
        }
    }

    pub fn parse(s: &str) -> Option<Family> {
        Some(match s {
            "bios" => Family::Bios,
            "uboot-arm" => Family::UbootArm,
            "uboot-arm64" => Family::UbootArm64,
            // U-Boot x86 and RISC-V both send class `U-Boot` and no option 93: one family.
            "uboot" | "uboot-x86" | "uboot-riscv64" => Family::Uboot,
            "efi-ia32" => Family::EfiIa32,
            "efi-x64" => Family::EfiX64,
            "efi-arm32" => Family::EfiArm32,
            "efi-arm64" => Family::EfiArm64,
            "efi-riscv64" => Family::EfiRiscv64,
            _ => return None,
        })
    }
}

/// An architecture code (option 93 / DHCPv6 61 / vendor class `Arch:`) and what it means.
/// Its texts come from the table below by code, not stored: every identity of every session
/// carries one (JSON: `code`, `name`, `family`, `http`, `rfc_name` when there is one).
#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchInfo {
    pub code: Option<u16>,
    pub family: Family,
    /// True when the client boots over HTTP rather than TFTP (codes 15, 16, 19, ...).
    pub http: bool,
    /// No code, and the vendor class says U-Boot (`identity_arch`).
    uboot_without_code: bool,
}

impl ArchInfo {
    /// What firmware sending this code really is.
    pub fn name(&self) -> &'static str {
        match self.code {
            Some(c) => arch_table(c).0,
            None if self.uboot_without_code => "U-Boot (no arch code sent)",
            None => "unknown",
        }
    }
    /// The RFC 4578 text where it differs from practice (the erratum).
    pub fn rfc_name(&self) -> Option<&'static str> {
        self.code.and_then(|c| arch_table(c).3)
    }
    /// An identity without a code whose vendor class names U-Boot of family `family`.
    pub fn uboot(family: Family) -> ArchInfo {
        ArchInfo {
            code: None,
            family,
            http: false,
            uboot_without_code: true,
        }
    }
}

impl Serialize for ArchInfo {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let rfc = self.rfc_name();
        let mut m = s.serialize_map(Some(4 + usize::from(rfc.is_some())))?;
        m.serialize_entry("code", &self.code)?;
        m.serialize_entry("name", self.name())?;
        m.serialize_entry("family", &self.family)?;
        m.serialize_entry("http", &self.http)?;
        if let Some(r) = rfc {
            m.serialize_entry("rfc_name", r)?;
        }
        m.end()
    }
}

pub fn arch_info(code: u16) -> ArchInfo {
    let (_, family, http, _) = arch_table(code);
    ArchInfo {
        code: Some(code),
        family,
        http,
        uboot_without_code: false,
    }
}

/// Name, family, HTTP boot and RFC text of an architecture code.
fn arch_table(code: u16) -> (&'static str, Family, bool, Option<&'static str>) {
    use Family::*;
    match code {
        0 => ("x86 BIOS", Bios, false, None),
        1 => ("NEC/PC98", Other, false, None),
        2 => ("EFI Itanium", EfiOther, false, None),
        3 => ("DEC Alpha", Other, false, None),
        4 => ("Arc x86", Other, false, None),
        5 => ("Intel Lean Client", Other, false, None),
        6 => ("x86 UEFI (IA32)", EfiIa32, false, None),
        // RFC 4578 lists 7 as "EFI BC" and 9 as "EFI x86-64"; the errata and all firmware use 7
        // for x64 UEFI, and some firmware sends 9 for x64 as well.
        7 => ("x64 UEFI", EfiX64, false, Some("EFI BC")),
        8 => ("EFI Xscale", EfiOther, false, None),
        9 => (
            "x64 UEFI",
            EfiX64,
            false,
            Some("EFI x86-64 (some firmware sends 9 for x64; 7 is the usual code)"),
        ),
        10 => ("ARM 32-bit UEFI", EfiArm32, false, None),
        11 => ("ARM 64-bit UEFI", EfiArm64, false, None),
        12 => ("PowerPC Open Firmware", PowerPc, false, None),
        13 => ("PowerPC ePAPR", PowerPc, false, None),
        14 => ("POWER OPAL v3", PowerPc, false, None),
        15 => ("x86 UEFI HTTP", EfiIa32, true, None),
        16 => ("x64 UEFI HTTP", EfiX64, true, None),
        17 => ("EBC UEFI HTTP", EfiOther, true, None),
        18 => ("ARM 32-bit UEFI HTTP", EfiArm32, true, None),
        19 => ("ARM 64-bit UEFI HTTP", EfiArm64, true, None),
        20 => ("x86 BIOS HTTP", Bios, true, None),
        21 => ("ARM 32-bit U-Boot", UbootArm, false, None),
        22 => ("ARM 64-bit U-Boot", UbootArm64, false, None),
        23 => ("ARM 32-bit U-Boot HTTP", UbootArm, true, None),
        24 => ("ARM 64-bit U-Boot HTTP", UbootArm64, true, None),
        25 => ("RISC-V 32-bit UEFI", EfiRiscv32, false, None),
        26 => ("RISC-V 32-bit UEFI HTTP", EfiRiscv32, true, None),
        27 => ("RISC-V 64-bit UEFI", EfiRiscv64, false, None),
        28 => ("RISC-V 64-bit UEFI HTTP", EfiRiscv64, true, None),
        29 => ("RISC-V 128-bit UEFI", EfiOther, false, None),
        30 => ("RISC-V 128-bit UEFI HTTP", EfiOther, true, None),
        31 => ("s390 Basic", S390, false, None),
        32 => ("s390 Extended", S390, false, None),
        33 => ("MIPS 32-bit UEFI", EfiOther, false, None),
        34 => ("MIPS 64-bit UEFI", EfiOther, false, None),
        35 => ("Sunway 32-bit UEFI", EfiOther, false, None),
        36 => ("Sunway 64-bit UEFI", EfiOther, false, None),
        37 => ("LoongArch 32-bit UEFI", EfiOther, false, None),
        38 => ("LoongArch 32-bit UEFI HTTP", EfiOther, true, None),
        39 => ("LoongArch 64-bit UEFI", EfiLoongarch64, false, None),
        40 => ("LoongArch 64-bit UEFI HTTP", EfiLoongarch64, true, None),
        41 => ("ARM rpiboot", Rpiboot, false, None),
        _ => ("unassigned", Other, false, None),
    }
}

pub fn arch_unknown() -> ArchInfo {
    ArchInfo {
        code: None,
        family: Family::Other,
        http: false,
        uboot_without_code: false,
    }
}

/// What sent a DHCP identity: the machine's firmware, or a loader it started (CONTRACT.md,
/// Stages). One MAC sends DHCP as several of these in one boot; each is judged on its own.
#[derive(
    bitcode::Encode, bitcode::Decode, Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Loader {
    /// PXE firmware: a NIC's PXE ROM, UEFI's PXE base code (also U-Boot's EFI loader).
    #[default]
    Firmware,
    /// iPXE (user class `iPXE` or option 175), as a ROM or chainloaded.
    Ipxe,
    /// U-Boot's own DHCP (`dhcp`, `pxe get`, distro boot): class `U-Boot…` or arch 21–24.
    Uboot,
    /// GRUB's `net_bootp` / `net_dhcp`: no option 93 at all.
    Grub,
    /// UEFI HTTP boot: class `HTTPClient`.
    HttpBoot,
    /// Anything else: an installer's or OS's DHCP client.
    Other,
}

impl Loader {
    pub fn name(self) -> &'static str {
        match self {
            Loader::Firmware => "firmware",
            Loader::Ipxe => "ipxe",
            Loader::Uboot => "uboot",
            Loader::Grub => "grub",
            Loader::HttpBoot => "http-boot",
            Loader::Other => "other",
        }
    }

    /// Words for a person ("now U-Boot's own DHCP, arch 22").
    pub fn describe(self) -> &'static str {
        match self {
            Loader::Firmware => "PXE firmware",
            Loader::Ipxe => "iPXE",
            Loader::Uboot => "U-Boot's own DHCP",
            Loader::Grub => "GRUB's own DHCP",
            Loader::HttpBoot => "UEFI HTTP boot",
            Loader::Other => "another DHCP client (installer or OS)",
        }
    }

    /// Classify one DHCP identity. GRUB cannot be told by its packets alone (no option 93, no
    /// vendor class): the caller says whether the session already fetched a GRUB image.
    pub fn classify(
        vendor_class: Option<&str>,
        arch: Option<u16>,
        ipxe: bool,
        after_grub_image: bool,
    ) -> Loader {
        let vc = vendor_class.unwrap_or("");
        if ipxe {
            Loader::Ipxe
        } else if vc.starts_with("U-Boot") || arch.is_some_and(|a| (21..=24).contains(&a)) {
            Loader::Uboot
        } else if is_http_class(vc) {
            Loader::HttpBoot
        } else if is_pxe_class(vc) {
            Loader::Firmware
        } else if vc.starts_with("GRUB") || (arch.is_none() && after_grub_image) {
            Loader::Grub
        } else {
            Loader::Other
        }
    }
}

/// The firmware family of one DHCP identity: option 93 first, else the vendor class (`Arch:`
/// field, or U-Boot's `U-Boot.armv8` / `U-Boot.armv7` / `U-Boot`).
pub fn identity_family(arch: Option<u16>, vendor_class: Option<&str>) -> Family {
    if let Some(a) = arch {
        let f = arch_info(a).family;
        if f != Family::Other {
            return f;
        }
    }
    let vc = vendor_class.unwrap_or("");
    if let Some(rest) = vc.strip_prefix("U-Boot") {
        return match rest {
            ".armv8" => Family::UbootArm64,
            ".armv7" | ".arm" => Family::UbootArm,
            _ => Family::Uboot,
        };
    }
    VendorClass::parse(vc)
        .arch
        .map(|a| arch_info(a).family)
        .unwrap_or(Family::Other)
}

/// A PXE/HTTP-boot vendor class: `PXEClient:Arch:00007:UNDI:003016` or `HTTPClient:Arch:00016...`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VendorClass {
    pub raw: String,
    pub kind: Option<&'static str>,
    pub arch: Option<u16>,
    pub undi: Option<String>,
}

/// Option 60 of PXE firmware (`PXEClient…`); prefix match, as firmware and servers compare.
pub fn is_pxe_class(vendor_class: &str) -> bool {
    vendor_class.starts_with("PXEClient")
}

/// Option 60 of UEFI HTTP boot (`HTTPClient…`).
pub fn is_http_class(vendor_class: &str) -> bool {
    vendor_class.starts_with("HTTPClient")
}

/// Either network-boot class.
pub fn is_netboot_class(vendor_class: &str) -> bool {
    is_pxe_class(vendor_class) || is_http_class(vendor_class)
}

impl VendorClass {
    pub fn parse(raw: &str) -> VendorClass {
        let mut v = VendorClass {
            raw: raw.to_string(),
            ..Default::default()
        };
        let mut parts = raw.split(':');
        v.kind = match parts.next() {
            Some("PXEClient") => Some("PXEClient"),
            Some("HTTPClient") => Some("HTTPClient"),
            _ => None,
        };
        // Each field with the one after it (a key and its value), as windows of two would.
        let mut prev: Option<&str> = None;
        for cur in parts {
            let Some(key) = prev.replace(cur) else {
                continue;
            };
            match key {
                "Arch" => v.arch = cur.parse().ok(),
                "UNDI"
                    // ASCII only: a multi-byte character would put byte 3 inside it (found by fuzzing).
                    if cur.len() == 6 && cur.is_ascii() => {
                        let (maj, min) = cur.split_at(3);
                        v.undi = Some(crate::textfmt::dotted_pair(
                            maj.parse::<u16>().unwrap_or(0).into(),
                            min.parse::<u16>().unwrap_or(0).into(),
                        ));
                    }
                _ => {}
            }
        }
        v
    }

    pub fn is_pxe(&self) -> bool {
        self.kind == Some("PXEClient")
    }
    pub fn is_http(&self) -> bool {
        self.kind == Some("HTTPClient")
    }
}

/// What a boot file's first bytes say it is.
#[derive(bitcode::Encode, bitcode::Decode, Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FileKind {
    /// A PE/COFF image: UEFI application or driver when the subsystem says so.
    Pe {
        machine: u16,
        machine_name: String,
        subsystem: u16,
        efi: bool,
        family: Family,
    },
    Elf,
    /// An iPXE script (`#!ipxe`).
    IpxeScript,
    /// Not recognised; BIOS PXE NBPs (pxelinux.0, undionly.kpxe) are raw real-mode code.
    Raw,
}

impl FileKind {
    /// Classify by magic. `head` is the start of the file (first DATA block).
    pub fn sniff(head: &[u8]) -> Option<FileKind> {
        if head.len() < 4 {
            return None;
        }
        if head.starts_with(b"#!ipxe") {
            return Some(FileKind::IpxeScript);
        }
        if head.starts_with(b"\x7fELF") {
            return Some(FileKind::Elf);
        }
        if head.starts_with(b"MZ") {
            let pe_off = head
                .get(0x3c..0x40)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)?;
            let pe = head.get(pe_off..pe_off + 24)?;
            if &pe[..4] != b"PE\0\0" {
                return Some(FileKind::Raw);
            }
            let machine = u16::from_le_bytes([pe[4], pe[5]]);
            // Optional header starts at pe_off+24; Subsystem is at offset 68 in both PE32 and PE32+.
            let subsystem = head
                .get(pe_off + 24 + 68..pe_off + 24 + 70)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .unwrap_or(0);
            let family = match machine {
                0x014c => Family::EfiIa32,
                0x8664 => Family::EfiX64,
                0x01c2 | 0x01c4 => Family::EfiArm32,
                0xaa64 => Family::EfiArm64,
                0x5064 => Family::EfiRiscv64,
                _ => Family::EfiOther,
            };
            let machine_name = match machine {
                0x014c => "i386",
                0x8664 => "x86-64",
                0x01c2 | 0x01c4 => "ARM",
                0xaa64 => "AArch64",
                0x5064 => "RISC-V 64",
                0x0ebc => "EFI byte code",
                _ => "other",
            };
            return Some(FileKind::Pe {
                machine,
                machine_name: machine_name.into(),
                subsystem,
                efi: (10..=13).contains(&subsystem),
                family,
            });
        }
        Some(FileKind::Raw)
    }
}

/// Why a boot file of this kind cannot run on this firmware family, or None when it fits
/// (or its bytes say nothing either way). Shared by `diagnose` and `probe --verify-arch`.
pub fn file_misfit(fam: Family, kind: &FileKind) -> Option<String> {
    if fam.is_uboot() {
        // U-Boot loads scripts, kernels and raw images; only an EFI image of another CPU is
        // certainly wrong (its `bootefi` runs EFI images of its own CPU).
        return match (kind, fam.efi_of_cpu()) {
            (
                FileKind::Pe {
                    family,
                    efi: true,
                    machine_name,
                    ..
                },
                Some(cpu),
            ) if *family != cpu => Some(format!(
                "the EFI image is for {machine_name} ({}), U-Boot here runs {}",
                family.name(),
                cpu.name()
            )),
            _ => None,
        };
    }
    match kind {
        FileKind::Pe { family, efi, machine_name, subsystem, .. } => {
            if fam == Family::Bios {
                Some(format!("a BIOS client was given a PE image ({machine_name}); BIOS needs a PXE NBP such as pxelinux.0 or undionly.kpxe"))
            } else if !efi {
                Some(format!("the PE image has subsystem {subsystem}, not an EFI application"))
            } else if *family != fam {
                Some(format!("the EFI image is for {machine_name} ({}), the client is {}", family.name(), fam.name()))
            } else {
                None
            }
        }
        FileKind::Raw | FileKind::Elf if fam.is_efi() => Some("an EFI client was given a file that is not a PE/EFI image (its first bytes are no MZ/PE header)".to_string()),
        _ => None,
    }
}

/// What is odd about the bytes of a boot file name, as offered (option 67 or the `file` field) or
/// as requested (the RRQ), or None. Trailing NULs are how many servers end option 67 (dnsmasq
/// sends one) and firmware reads a C string, so they are fine; bytes after a NUL, 0xFF (the
/// END option Kea-era firmware reads past a length-counted name), control characters, edge
/// whitespace and non-UTF-8 are not.
pub fn name_bytes_issue(raw: &[u8]) -> Option<String> {
    let end = raw.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
    let name = &raw[..end];
    if let Some(p) = name.iter().position(|&b| b == 0) {
        return Some(format!("bytes after a NUL at byte {p}"));
    }
    if let Some(p) = name.iter().position(|&b| b == 0xff) {
        return Some(format!("a 0xFF byte at byte {p}"));
    }
    if std::str::from_utf8(name).is_err() {
        return Some("bytes that are not UTF-8".to_string());
    }
    if let Some(p) = name.iter().position(|&b| b < 0x20 || b == 0x7f) {
        return Some(format!("control character 0x{:02x} at byte {p}", name[p]));
    }
    if name.first().is_some_and(u8::is_ascii_whitespace)
        || name.last().is_some_and(u8::is_ascii_whitespace)
    {
        return Some("whitespace at its start or end".to_string());
    }
    None
}

/// Bytes as hex pairs ("70 78 65 ff"), at most 80 of them.
pub fn hex_bytes(raw: &[u8]) -> String {
    let mut s: Vec<String> = raw.iter().take(80).map(|b| format!("{b:02x}")).collect();
    if raw.len() > 80 {
        s.push("…".to_string());
    }
    s.join(" ")
}

/// Is this name a URL rather than a file (what only HTTP-capable clients can fetch)?
pub fn is_url(name: &str) -> bool {
    let n = name.trim_start().to_ascii_lowercase();
    ["http://", "https://", "tftp://", "ftp://"]
        .iter()
        .any(|p| n.starts_with(p))
}

/// Does a PE image carry an Authenticode signature? Data directory 4 (the certificate table)
/// has a size; None when `head` does not reach it or is no PE image.
pub fn pe_signed(head: &[u8]) -> Option<bool> {
    let pe = head
        .get(0x3c..0x40)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)?;
    if head.get(pe..pe + 4)? != b"PE\0\0" {
        return None;
    }
    let opt = pe.checked_add(24)?;
    let magic = u16::from_le_bytes([*head.get(opt)?, *head.get(opt + 1)?]);
    let dirs = match magic {
        0x10b => opt + 96,
        0x20b => opt + 112,
        _ => return None,
    };
    let count = u32::from_le_bytes(
        head.get(opt + if magic == 0x10b { 92 } else { 108 }..)?
            .get(..4)?
            .try_into()
            .ok()?,
    );
    if count <= 4 {
        return Some(false);
    }
    let size_at = dirs + 4 * 8 + 4;
    let size = u32::from_le_bytes(head.get(size_at..size_at + 4)?.try_into().ok()?);
    Some(size > 0)
}

/// What a boot file's name suggests (weaker than its bytes).
pub fn family_from_name(name: &str) -> Option<Family> {
    let n = name.to_ascii_lowercase();
    let base = n.rsplit('/').next().unwrap_or(&n);
    if base.ends_with(".efi") || base.ends_with(".efi64") {
        if base.contains("aa64") || base.contains("arm64") || base.contains("aarch64") {
            return Some(Family::EfiArm64);
        }
        if base.contains("ia32") || base.contains("i386") {
            return Some(Family::EfiIa32);
        }
        return Some(Family::EfiX64);
    }
    if base.ends_with(".0")
        || base.ends_with(".pxe")
        || base.ends_with(".kpxe")
        || base.ends_with(".kkpxe")
        || base.ends_with(".com")
        || base.ends_with(".n12")
    {
        return Some(Family::Bios);
    }
    None
}

/// Is this file an iPXE binary (by name)? Used for chainload-loop detection.
pub fn is_ipxe_binary(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let base = n.rsplit('/').next().unwrap_or(&n);
    // Scripts (boot.ipxe, menu.ipxe, a .php/.cfg that prints one) are how loops are broken.
    if base.ends_with(".ipxe")
        || base.ends_with(".cfg")
        || base.ends_with(".php")
        || base.ends_with(".txt")
    {
        return false;
    }
    base.contains("ipxe")
        || base.starts_with("undionly")
        || base.ends_with(".kpxe")
        || base.ends_with(".kkpxe")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_class_parses() {
        let v = VendorClass::parse("PXEClient:Arch:00007:UNDI:003016");
        assert!(v.is_pxe());
        assert_eq!(v.arch, Some(7));
        assert_eq!(v.undi.as_deref(), Some("3.16"));
        assert_eq!(VendorClass::parse("dhcpcd-6.11.5").kind, None);
    }

    #[test]
    fn erratum_codes() {
        assert_eq!(arch_info(7).family, Family::EfiX64);
        assert_eq!(arch_info(9).family, Family::EfiX64);
        assert!(arch_info(7).rfc_name().is_some());
        assert_eq!(arch_info(0).family, Family::Bios);
        assert_eq!(arch_info(999).name(), "unassigned");
    }

    #[test]
    fn name_guesses() {
        assert_eq!(family_from_name("ipxe.efi"), Some(Family::EfiX64));
        assert_eq!(family_from_name("pxelinux.0"), Some(Family::Bios));
        assert_eq!(
            family_from_name("grub/bootaa64.efi"),
            Some(Family::EfiArm64)
        );
        assert_eq!(family_from_name("pxelinux.cfg/default"), None);
        assert!(
            is_ipxe_binary("undionly.kpxe")
                && is_ipxe_binary("ipxe.efi")
                && !is_ipxe_binary("boot.ipxe")
        );
    }
}
