//! Command-line interface: clap parses once; `main` maps results to exit codes (CONTRACT.md).

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(name = "pxe-inspect", version, about = "Makes network boot (PXE) debuggable: reads captures, rebuilds each client's boot session and says what went wrong.", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyse pcap/pcapng captures (gzip too; "-" reads standard input): sessions, timeline, findings.
    Analyze(AnalyzeArgs),
    /// Live analysis on an interface: sessions as they happen, the analyze summary at the end.
    Capture(CaptureArgs),
    /// A proxyDHCP (default) or full DHCP server plus TFTP for labs, with injectable faults.
    Serve(Box<ServeArgs>),
    /// Synthetic PXE clients on an interface: DHCP (or proxy + 4011), ARP and TFTP like firmware, then the analysis of that traffic.
    Probe(Box<ProbeArgs>),
    /// Compare two boots (two captures, or two clients): where does the failing one depart from the working one?
    Diff(DiffArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell) for pxe-inspect.
    Completions(CompletionsArgs),
    /// Print the man page (roff) generated from these same definitions; --dir writes one page per subcommand.
    Manpage(ManpageArgs),
    /// Explain a finding ID, or list the findings behind a firmware message (PXE-E53, "Failed to load").
    Explain(ExplainArgs),
    /// Check a dnsmasq configuration (PXE subset) or serve's TOML before a machine fails to boot:
    /// each problem as the finding ID it would cause, with its line. Exit 1 on an error-level one.
    Lint(LintArgs),
}

#[derive(Args, Debug, Clone)]
pub struct LintArgs {
    /// dnsmasq.conf (with its conf-file/conf-dir includes) or serve's TOML; told apart by content.
    pub file: String,
    /// `text`, or `json` for machines (schema pxe-inspect/lint/1).
    #[arg(short = 'f', long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LintFormat {
    #[default]
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Timeline,
    Json,
    Jsonl,
    /// A Mermaid sequence diagram per client (for Markdown tickets).
    Mermaid,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FailOn {
    #[default]
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    /// The least severe finding that fails the run; None for `never`.
    pub fn min_severity(self) -> Option<crate::model::Severity> {
        use crate::model::Severity;
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

#[derive(Args, Debug, Clone, Default)]
pub struct OutputArgs {
    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Colour: auto (terminals only, honours NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Show absolute UTC times in the timeline instead of seconds since the session's start.
    #[arg(long)]
    pub absolute_time: bool,
    /// Hide clients that are not PXE/HTTP-boot clients.
    #[arg(long)]
    pub pxe_only: bool,
    /// Only these clients (MAC address; repeatable).
    #[arg(long = "client", value_name = "MAC")]
    pub clients: Vec<String>,
    /// Ignore frames before this packet time (RFC 3339 UTC, e.g. 2026-11-22T23:30:00Z, or Unix seconds).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Ignore frames after this packet time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Also write a self-contained HTML report (summary, per-client waterfall and sequence
    /// diagram, findings with fixes) to FILE; works offline, for attaching to tickets.
    #[arg(long, value_name = "FILE.html")]
    pub html: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct DiagArgs {
    /// Exit 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Silence a finding ID (repeatable).
    #[arg(long, value_name = "ID")]
    pub allow: Vec<String>,
    /// Promote a finding ID to error (repeatable).
    #[arg(long, value_name = "ID")]
    pub deny: Vec<String>,
    /// Per-client expectations (TOML); failed expectations are reported and exit 1.
    #[arg(long, value_name = "FILE.toml")]
    pub expect: Option<String>,
    /// Write a JUnit XML report (a testsuite per input, a testcase per session and expectation).
    #[arg(long, value_name = "FILE.xml")]
    pub junit: Option<String>,
}

/// `--sink`: closed sessions into ClickHouse (README "Sessions into ClickHouse").
#[derive(Args, Debug, Clone, Default)]
pub struct SinkArgs {
    /// Also send every closed session, flattened for SQL, to ClickHouse's HTTP interface;
    /// URL is clickhouse+http://HOST:PORT/DATABASE.TABLE (schema:
    /// contrib/clickhouse/schema.sql). User and password come from the environment
    /// (PXE_INSPECT_CLICKHOUSE_USER, PXE_INSPECT_CLICKHOUSE_PASSWORD). A sink failure is
    /// reported once and never changes the exit code.
    #[arg(long, value_name = "URL")]
    pub sink: Option<String>,
    /// Keep sessions ClickHouse could not take yet in spool files under DIR (sent first once it
    /// answers again, also by a later run); without it they wait in memory, bounded.
    #[arg(long, value_name = "DIR", requires = "sink")]
    pub sink_spool: Option<String>,
    /// Counters to share with the caller (a `--metrics` endpoint): the sink counts into these
    /// instead of its own.
    #[arg(skip)]
    pub stats: Option<std::sync::Arc<crate::sink::SinkStats>>,
}

#[derive(Args, Debug, Clone)]
pub struct AnalyzeArgs {
    /// Capture files (pcap, pcapng, optionally gzip-compressed); "-" for standard input.
    /// Several files are merged by timestamp into one analysis.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub diag: DiagArgs,
    /// Close a client's session after this many seconds without packets (packet time).
    #[arg(long, default_value_t = 300.0, value_name = "SECS")]
    pub idle_timeout: f64,
    /// Also recognise TFTP requests to this server port (69 always; repeatable).
    #[arg(long, value_name = "PORT")]
    pub tftp_port: Vec<u16>,
    /// Replace MACs, IPs, UUIDs and host names with consistent pseudonyms in every output
    /// (including --annotate and --html), so reports can go into tickets.
    #[arg(long)]
    pub anonymize: bool,
    /// Key for --anonymize pseudonyms (default: a fixed key, so the same input always gives the
    /// same pseudonyms; use your own to make them unguessable).
    #[arg(long, value_name = "KEY", requires = "anonymize")]
    pub anonymize_key: Option<String>,
    /// Stamp every session record with this capture point's name ("sensor").
    #[arg(long, value_name = "NAME", value_parser = parse_sensor)]
    pub sensor: Option<String>,
    /// Write the input(s) again as pcapng with each finding as a packet comment on the frames
    /// that prove it, and a session summary on each session's first frame (Wireshark shows them).
    #[arg(long, value_name = "OUT.pcapng")]
    pub annotate: Option<String>,
    #[command(flatten)]
    pub sink: SinkArgs,
}

#[derive(Args, Debug, Clone, Default)]
pub struct CaptureArgs {
    /// Interface to capture on (as `tcpdump -i`; `any` works).
    #[arg(value_name = "IFACE")]
    pub iface: Option<String>,
    /// Interface (same as the positional name).
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: Option<String>,
    /// List interfaces and exit.
    #[arg(long)]
    pub list: bool,
    /// Write every captured frame to FILE (pcapng; classic pcap when it ends in .pcap).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<String>,
    /// Replace the default PXE filter with this BPF expression.
    #[arg(long, value_name = "BPF")]
    pub filter: Option<String>,
    /// Capture everything (no kernel filter).
    #[arg(long)]
    pub all: bool,
    /// Put the interface into promiscuous mode.
    #[arg(long)]
    pub promisc: bool,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Stop after this many frames.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop once N clients have booted.
    #[arg(long, value_name = "N")]
    pub until_booted: Option<usize>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub diag: DiagArgs,
    /// Close a client's session after this many seconds without packets.
    #[arg(long, default_value_t = 300.0, value_name = "SECS")]
    pub idle_timeout: f64,
    /// Also recognise TFTP requests to this server port (69 always; repeatable).
    #[arg(long, value_name = "PORT")]
    pub tftp_port: Vec<u16>,
    #[command(flatten)]
    pub sink: SinkArgs,
    /// With -w: start a new file once the current one holds this many bytes (K, M, G
    /// suffixes: 1024s). Files are named BASE-YYYYmmddTHHMMSSZ-NNNN.pcapng, each readable alone.
    #[arg(long, value_name = "BYTES", requires = "write", value_parser = parse_bytes)]
    pub rotate_size: Option<u64>,
    /// With -w: start a new file once the current one is this many seconds old.
    #[arg(long, value_name = "SECS", requires = "write")]
    pub rotate_seconds: Option<f64>,
    /// With -w: keep only the newest N files (the one being written included).
    #[arg(long, value_name = "N", requires = "write", value_parser = clap::value_parser!(u64).range(1..))]
    pub rotate_keep: Option<u64>,
    /// Serve Prometheus metrics (OpenMetrics text) on http://ADDR:PORT/metrics and `ok` on
    /// /healthz. A port that cannot be bound is reported once; capture goes on without it.
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics: Option<std::net::SocketAddr>,
    /// Name of this capture point: stamped on every session record and live event ("sensor")
    /// and on the metrics' `sensor` label.
    #[arg(long, value_name = "NAME", value_parser = parse_sensor)]
    pub sensor: Option<String>,
}

/// `--rotate-size`: a byte count, optionally with a K, M or G suffix (powers of 1024).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (&t[..i], 1u64 << 10),
        Some((i, 'M' | 'm')) => (&t[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{s}`: a positive number of bytes, e.g. 100M"))
}

/// A sensor name: 1-64 characters of letters, digits and `.-_:/` (it becomes a label value
/// and a JSON field, and appears in file names people grep for).
pub fn parse_sensor(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_:/".contains(c));
    if ok {
        Ok(s.to_string())
    } else {
        Err("1-64 characters of letters, digits and . - _ : /".into())
    }
}

#[derive(Args, Debug, Clone, Default)]
pub struct ServeArgs {
    /// Interface to serve on (required: a proxy nobody meant to start is a rogue PXE server).
    #[arg(short = 'i', long, value_name = "IFACE")]
    pub interface: Option<String>,
    /// TOML file with any of these settings (flags override it).
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
    /// Read a dnsmasq configuration's PXE subset instead (interface, dhcp-range incl. proxy,
    /// dhcp-host, dhcp-boot/dhcp-option 67 with tags, dhcp-match, pxe-service, tftp-root,
    /// dhcp-leasefile; conf-file/conf-dir); what it does not take over is printed line by line.
    #[arg(long, value_name = "FILE", conflicts_with = "config")]
    pub dnsmasq_conf: Option<String>,
    /// TFTP root directory (read-only).
    #[arg(long, value_name = "DIR")]
    pub tftp_root: Option<String>,
    /// Boot file per architecture family: bios=, efi-x64=, efi-ia32=, efi-arm64=, efi-arm32=, efi-riscv64= (repeatable).
    #[arg(long = "boot", value_name = "FAMILY=FILE")]
    pub boot: Vec<String>,
    /// Script (or URL) handed to iPXE instead of another iPXE binary.
    #[arg(long, value_name = "URL|FILE")]
    pub ipxe_script: Option<String>,
    /// Boot URL for UEFI HTTP boot clients (vendor class HTTPClient).
    #[arg(long, value_name = "URL")]
    pub http_url: Option<String>,
    /// Serve this directory over HTTP (GET/HEAD/Range, read-only; `NAME.ipxe.tmpl` is served
    /// as `NAME.ipxe`, rendered per client). Without --http-url, UEFI HTTP boot clients get
    /// http://SERVER-IP:PORT/ and their family's --boot file.
    #[arg(long, value_name = "DIR")]
    pub http_root: Option<String>,
    /// Port of the HTTP server (default 8080).
    #[arg(long, value_name = "PORT")]
    pub http_port: Option<u16>,
    /// A PXE boot-menu item, like dnsmasq's pxe-service: CSA (x86PC, BC_EFI, X86-64_EFI, or
    /// bios, efi-x64, ...), menu text, boot file (none: local boot), boot server (repeatable).
    #[arg(long = "pxe-service", value_name = "CSA,TEXT[,FILE[,SERVER]]")]
    pub pxe_service: Vec<String>,
    /// The prompt before the menu and seconds until its first item is taken (default 10).
    #[arg(long, value_name = "TEXT[,TIMEOUT]")]
    pub pxe_prompt: Option<String>,
    /// Print what one client would get (the `[[rule]]` it matches, boot file, next-server,
    /// faults) from this configuration, and exit 0. Describe it with --mac, --arch,
    /// --vendor-class, --user-class, --relay.
    #[arg(long)]
    pub check_config: bool,
    #[arg(long, value_name = "MAC", requires = "check_config")]
    pub mac: Option<String>,
    /// bios, efi-x64, efi-arm64, http-x64, uboot-arm64, ... or an option-93 code.
    #[arg(long, value_name = "ARCH", requires = "check_config")]
    pub arch: Option<String>,
    /// Option 60 (default: the one firmware of --arch sends; "" for none).
    #[arg(long, value_name = "CLASS", requires = "check_config")]
    pub vendor_class: Option<String>,
    /// Option 77, e.g. iPXE.
    #[arg(long, value_name = "CLASS", requires = "check_config")]
    pub user_class: Option<String>,
    /// Relayed through this giaddr.
    #[arg(long, value_name = "IP", requires = "check_config")]
    pub relay: Option<String>,
    /// Full DHCP mode with this address range (START,END); without it: proxy mode.
    #[arg(long, value_name = "START,END")]
    pub dhcp_range: Option<String>,
    /// Also serve DHCPv6 netboot (SOLICIT/ADVERTISE/REQUEST/REPLY, option 59 boot URL by
    /// option 61) with addresses from this range (START,END), TFTP and HTTP over IPv6 too.
    /// Without it: no DHCPv6 socket.
    #[arg(long, value_name = "START,END")]
    pub dhcp6_range: Option<String>,
    /// Our IPv6 address, the one boot URLs name (default: the interface's first global one).
    #[arg(long, value_name = "IPV6")]
    pub server_ip6: Option<String>,
    #[arg(long, value_name = "MASK")]
    pub netmask: Option<String>,
    #[arg(long, value_name = "IP")]
    pub router: Option<String>,
    #[arg(long, value_name = "IP")]
    pub dns: Vec<String>,
    /// Lease time in seconds (dhcp mode).
    #[arg(long, value_name = "SECS")]
    pub lease_time: Option<u32>,
    /// Lease file (dhcp mode), so leases survive a restart.
    #[arg(long, value_name = "FILE")]
    pub lease_file: Option<String>,
    /// A static host (dhcp mode; repeatable).
    #[arg(long = "static", value_name = "MAC=IP")]
    pub static_hosts: Vec<String>,
    /// Our address (default: the interface's first IPv4 address).
    #[arg(long, value_name = "IP")]
    pub server_ip: Option<String>,
    #[arg(long, value_name = "PORT")]
    pub dhcp_port: Option<u16>,
    /// DHCPv6 server port (default 547), with --dhcp6-range.
    #[arg(long, value_name = "PORT")]
    pub dhcp6_port: Option<u16>,
    #[arg(long, value_name = "PORT")]
    pub bootserver_port: Option<u16>,
    #[arg(long, value_name = "PORT")]
    pub tftp_port: Option<u16>,
    /// Concurrent TFTP transfers at most.
    #[arg(long, value_name = "N")]
    pub max_transfers: Option<usize>,
    /// Concurrent TFTP transfers per client address at most (default 8; over it: TFTP error 3
    /// "busy", counted).
    #[arg(long, value_name = "N")]
    pub max_transfers_per_client: Option<usize>,
    /// Serve TFTP only: no DHCP or boot-server sockets, no --boot needed (the site's DHCP
    /// server already points clients here).
    #[arg(long)]
    pub tftp_only: bool,
    /// Inject a failure named after the finding it provokes (repeatable), e.g. tftp-error=2.
    #[arg(long = "fault", value_name = "NAME[=ARG]")]
    pub faults: Vec<String>,
    /// Apply faults only to this client (repeatable).
    #[arg(long = "fault-for", value_name = "MAC")]
    pub fault_for: Vec<String>,
    /// Keep the observed traffic as pcapng (pcap by extension).
    #[arg(long = "write", short = 'w', value_name = "FILE")]
    pub write: Option<String>,
    /// Do not run the capture view next to the responders.
    #[arg(long)]
    pub no_observe: bool,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Started as root: become this user (NAME or UID[:GID]) once sockets, capture handle and
    /// files are open. Default nobody (kept root, with a warning, if nobody cannot read the TFTP
    /// root or write next to the lease file); `root` keeps root.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Capabilities to keep after --user (comma-separated, e.g. net_raw). Default none.
    #[arg(long, value_name = "CAPS")]
    pub keep_caps: Option<String>,
    /// Serve Prometheus metrics (serve's replies, transfers and leases, and its observer's
    /// sessions) on http://ADDR:PORT/metrics; `ok` on /healthz.
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics: Option<std::net::SocketAddr>,
    /// Name of this capture point, stamped on the observer's sessions and events.
    #[arg(long, value_name = "NAME", value_parser = parse_sensor)]
    pub sensor: Option<String>,
    #[command(flatten)]
    pub sink: SinkArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub diag: DiagArgs,
}

#[derive(Args, Debug, Clone)]
pub struct ExplainArgs {
    /// A finding ID (dhcp-no-boot-file) or a firmware message (PXE-E53). Omit to list all.
    pub what: Option<String>,
    /// Print the whole catalogue as the Markdown table the README carries.
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Args, Debug, Clone, Default)]
#[command(args_override_self = true)]
pub struct ProbeArgs {
    /// Interface to probe on (frames go out there and nowhere else).
    #[arg(value_name = "IFACE")]
    pub iface: Option<String>,
    /// Interface (same as the positional name).
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: Option<String>,
    /// Client architecture: bios, efi-x64, efi-ia32, efi-arm64, efi-arm32, http-x64, http-arm64 or an option-93 code.
    /// Repeat to mix arches across --clients.
    #[arg(long, value_name = "ARCH")]
    pub arch: Vec<String>,
    /// MAC of the (first) client; more clients count up from it. Default 02:70:78:00:00:01.
    #[arg(long, value_name = "MAC")]
    pub mac: Option<String>,
    /// Act as an iPXE second stage: user class "iPXE" (option 77) and option 175.
    #[arg(long)]
    pub ipxe: bool,
    /// Follow iPXE chainloading: after an iPXE binary, boot again as iPXE and fetch what it is given.
    #[arg(long)]
    pub chain: bool,
    /// DHCPv6 netboot (SOLICIT/ADVERTISE/REQUEST/REPLY with options 61/62/16): reports the boot URL (option 59).
    #[arg(long)]
    pub dhcpv6: bool,
    /// Option 97 UUID of the (first) client.
    #[arg(long, value_name = "UUID")]
    pub uuid: Option<String>,
    /// Run this many clients with distinct MACs concurrently (a boot storm).
    #[arg(long, value_name = "N")]
    pub clients: Option<usize>,
    /// Start this many clients per second (default 50).
    #[arg(long, value_name = "PER_SEC")]
    pub rate: Option<f64>,
    /// Give up on a client after this many seconds.
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub timeout: f64,
    /// Collect offers this long after the first one (unless one already carries everything).
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    pub offer_wait: f64,
    /// Keep listening this long after the last client finished, so late answers are analysed.
    #[arg(long, default_value_t = 0.5, value_name = "SECS")]
    pub linger: f64,
    /// Retransmission interval for ARP, 4011 and TFTP.
    #[arg(long, default_value_t = 1.0, value_name = "SECS")]
    pub retry_interval: f64,
    /// TFTP retransmissions before giving up.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub retries: u32,
    /// TFTP option sequence: auto (per arch), ovmf (tsize probe + blksize 1468 + windowsize 4), pxe (probe + blksize 1432), ipxe, plain.
    #[arg(long, value_name = "PROFILE")]
    pub tftp_profile: Option<String>,
    #[arg(long, value_name = "BYTES")]
    pub blksize: Option<u16>,
    #[arg(long, value_name = "N")]
    pub windowsize: Option<u16>,
    /// The server's TFTP port (69).
    #[arg(long, value_name = "PORT")]
    pub tftp_port: Option<u16>,
    /// Stop each client at its first offer (a DISCOVER flood; no lease is taken).
    #[arg(long)]
    pub discover_only: bool,
    /// TFTP only, no DHCP: fetch --file from this server with fixed addresses from --ip-start.
    #[arg(long, value_name = "IP", requires_all = ["file", "ip_start"])]
    pub tftp_server: Option<String>,
    /// The file to fetch with --tftp-server.
    #[arg(long, value_name = "NAME")]
    pub file: Option<String>,
    /// First client address with --tftp-server (the next clients count up).
    #[arg(long, value_name = "IP")]
    pub ip_start: Option<String>,
    /// DHCP only: report the boot file, do not fetch it.
    #[arg(long)]
    pub no_tftp: bool,
    /// Check the fetched file's bytes (PE machine/subsystem) against the client's arch.
    #[arg(long)]
    pub verify_arch: bool,
    /// Write each fetched file to DIR as MAC-NAME.
    #[arg(long, value_name = "DIR")]
    pub save: Option<String>,
    /// Do not send DHCPRELEASE at the end.
    #[arg(long)]
    pub keep_leases: bool,
    /// Write every frame sent and received (pcapng; classic pcap when it ends in .pcap).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub diag: DiagArgs,
}

#[derive(Args, Debug, Clone)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug, Clone)]
pub struct ManpageArgs {
    /// Write pxe-inspect.1 and pxe-inspect-SUBCOMMAND.1 into DIR instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    /// Capture with the working boot.
    #[arg(value_name = "GOOD")]
    pub good: String,
    /// Capture with the failing boot (may be the same file with --bad-client).
    #[arg(value_name = "BAD")]
    pub bad: String,
    /// The client to compare (MAC; default: the PXE client with the most frames).
    #[arg(long, value_name = "MAC")]
    pub client: Option<String>,
    /// The client in BAD, when it differs from --client.
    #[arg(long, value_name = "MAC")]
    pub bad_client: Option<String>,
    /// Show rows that are the same too.
    #[arg(long)]
    pub all: bool,
    /// table or json (schema pxe-inspect/diff/1).
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}
