//! Prometheus metrics for `capture` and `serve` (`--metrics ADDR:PORT`): the OpenMetrics text
//! exposition on `/metrics`, `ok` on `/healthz`.
//!
//! The session counters are fed from the closed-session records the JSON/JSONL outputs carry
//! (`observe_session`), so a scrape after the sessions closed says what `analyze` says of the
//! written capture. Label sets are bounded: finding IDs come from the registry, families and
//! outcomes are enums, TFTP error codes above 8 and HTTP statuses outside 100..=599 are `other`,
//! and no label carries a MAC or an IP address.
//!
//! The endpoint is a small HTTP/1.1 GET responder on its own std thread, one connection at a
//! time with 2 s timeouts: it never touches the capture loop, so a stuck or failing scraper
//! cannot delay or lose frames, and a port that cannot be bound is reported once and capture
//! goes on without it.

use crate::model::{BootSession, Finding, Outcome, TransferStatus};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

type Labels = Vec<(&'static str, String)>;

/// Histogram buckets for the boot-time histograms: 0.1 s to 120 s.
pub const BUCKETS: [f64; 16] = [
    0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0,
];

fn histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// Every metric `capture` and `serve` export; `serve`'s own are registered only by `serve`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    sensor: String,
    sessions: Family<Labels, Counter>,
    findings: Family<Labels, Counter>,
    time_to_offer: Histogram,
    time_to_first_tftp_byte: Histogram,
    boot_duration: Histogram,
    tftp_bytes: Counter,
    tftp_retransmits: Counter,
    tftp_errors: Family<Labels, Counter>,
    http_responses: Family<Labels, Counter>,
    pcap_received: Counter,
    pcap_dropped: Counter,
    pcap_last: [AtomicU64; 2],
    endpoint_errors: Counter,
    endpoint_error_said: AtomicBool,
    serve_dhcp_replies: Family<Labels, Counter>,
    serve_transfers: Family<Labels, Gauge>,
    serve_leases: Family<Labels, Gauge>,
    /// `--sink`'s counters (rows, sent, errors, spooled, dropped), read at each scrape.
    sink: std::sync::Mutex<Option<Arc<crate::sink::SinkStats>>>,
    sink_counters: Family<Labels, Counter>,
}

impl Metrics {
    /// `sensor` is the `--sensor` name (empty when none was given); `serve` adds serve's gauges.
    // Long on purpose: the exported metrics in one place, one register per metric with its name
    // and help text (serve's only with `serve`), after a struct literal naming every field once.
    pub fn new(sensor: Option<&str>, serve: bool) -> Metrics {
        let mut m = Metrics {
            registry: Registry::default(),
            sensor: sensor.unwrap_or("").to_string(),
            sessions: Family::default(),
            findings: Family::default(),
            time_to_offer: histogram(),
            time_to_first_tftp_byte: histogram(),
            boot_duration: histogram(),
            tftp_bytes: Counter::default(),
            tftp_retransmits: Counter::default(),
            tftp_errors: Family::default(),
            http_responses: Family::default(),
            pcap_received: Counter::default(),
            pcap_dropped: Counter::default(),
            pcap_last: [AtomicU64::new(0), AtomicU64::new(0)],
            endpoint_errors: Counter::default(),
            endpoint_error_said: AtomicBool::new(false),
            serve_dhcp_replies: Family::default(),
            serve_transfers: Family::default(),
            serve_leases: Family::default(),
            sink: std::sync::Mutex::new(None),
            sink_counters: Family::default(),
        };
        let r = &mut m.registry;
        r.register(
            "pxe_inspect_sessions",
            "Boot sessions closed, by outcome (booted, failed, incomplete, not-pxe) and the firmware's architecture family",
            m.sessions.clone(),
        );
        r.register(
            "pxe_inspect_findings",
            "Findings in closed sessions (and capture-wide ones at the end), by ID and severity",
            m.findings.clone(),
        );
        r.register(
            "pxe_inspect_time_to_offer_seconds",
            "From a stage's first DISCOVER/SOLICIT to its first offer, per closed session",
            m.time_to_offer.clone(),
        );
        r.register(
            "pxe_inspect_time_to_first_tftp_byte_seconds",
            "From a session's first frame to the request of its first TFTP transfer that moved data",
            m.time_to_first_tftp_byte.clone(),
        );
        r.register(
            "pxe_inspect_boot_duration_seconds",
            "Duration of booted sessions, first frame to last",
            m.boot_duration.clone(),
        );
        r.register(
            "pxe_inspect_tftp_bytes",
            "TFTP payload bytes in closed sessions",
            m.tftp_bytes.clone(),
        );
        r.register(
            "pxe_inspect_tftp_retransmits",
            "TFTP block retransmissions in closed sessions",
            m.tftp_retransmits.clone(),
        );
        r.register(
            "pxe_inspect_tftp_errors",
            "TFTP transfers ended by an ERROR packet, by error code (0-8, else other)",
            m.tftp_errors.clone(),
        );
        r.register(
            "pxe_inspect_http_responses",
            "HTTP boot responses in closed sessions, by status code (none: no response)",
            m.http_responses.clone(),
        );
        r.register(
            "pxe_inspect_pcap_received",
            "Packets libpcap received (its own counter)",
            m.pcap_received.clone(),
        );
        r.register(
            "pxe_inspect_pcap_dropped",
            "Packets the kernel dropped because the capture buffer was full",
            m.pcap_dropped.clone(),
        );
        r.register(
            "pxe_inspect_metrics_endpoint_errors",
            "Failed accepts and writes on the metrics endpoint itself",
            m.endpoint_errors.clone(),
        );
        r.register(
            "pxe_inspect_sink_rows",
            "--sink: session rows by what became of them (queued, sent, spooled, dropped) and failed INSERT attempts (error)",
            m.sink_counters.clone(),
        );
        if serve {
            r.register(
                "pxe_inspect_serve_dhcp_replies",
                "DHCP replies serve sent, by message type (offer, ack, nak)",
                m.serve_dhcp_replies.clone(),
            );
            r.register(
                "pxe_inspect_serve_transfers",
                "serve's TFTP transfers: active now, finished and failed since start",
                m.serve_transfers.clone(),
            );
            r.register(
                "pxe_inspect_serve_leases",
                "serve's DHCP pool (--dhcp-range): addresses in use and free",
                m.serve_leases.clone(),
            );
            for s in ["active", "finished", "failed"] {
                let _ = m.serve_transfers.get_or_create(&vec![("state", s.into())]);
            }
        }
        m
    }

    fn with_sensor(&self, mut l: Labels) -> Labels {
        l.push(("sensor", self.sensor.clone()));
        l
    }

    /// Count one closed session: what the JSON record of it says.
    pub fn observe_session(&self, s: &BootSession) {
        self.sessions
            .get_or_create(&self.with_sensor(vec![
                ("outcome", s.outcome.name().into()),
                ("arch_family", s.client.family().name().into()),
            ]))
            .inc();
        self.observe_findings(&s.findings);
        if let Some(t) = s
            .stages
            .iter()
            .find_map(|st| st.offers.first().map(|o| o.time.secs_since(st.start)))
        {
            if t >= 0.0 {
                self.time_to_offer.observe(t);
            }
        }
        if let Some(first) = s.tftp.iter().filter(|t| t.bytes > 0).map(|t| t.start).min() {
            let t = first.secs_since(s.start);
            if t >= 0.0 {
                self.time_to_first_tftp_byte.observe(t);
            }
        }
        if s.outcome == Outcome::Booted && s.duration_s >= 0.0 {
            self.boot_duration.observe(s.duration_s);
        }
        for t in &s.tftp {
            self.tftp_bytes.inc_by(t.bytes);
            self.tftp_retransmits.inc_by(t.retransmits);
            if t.status == TransferStatus::Error {
                let code = match &t.error {
                    Some(e) if e.code <= 8 => e.code.to_string(),
                    Some(_) => "other".into(),
                    None => "none".into(),
                };
                self.tftp_errors.get_or_create(&vec![("code", code)]).inc();
            }
        }
        for h in &s.http {
            let status = match h.status_code {
                Some(c) if (100..=599).contains(&c) => c.to_string(),
                Some(_) => "other".into(),
                None => "none".into(),
            };
            self.http_responses
                .get_or_create(&vec![("status", status)])
                .inc();
        }
    }

    /// Count findings (a session's, or the capture-wide ones at the end).
    pub fn observe_findings(&self, findings: &[Finding]) {
        for f in findings {
            self.findings
                .get_or_create(&self.with_sensor(vec![
                    ("id", f.id.clone()),
                    ("severity", f.severity.name().into()),
                ]))
                .inc();
        }
    }

    /// libpcap's own running totals (pcap_stats); counters move by the difference.
    pub fn set_pcap(&self, received: u64, dropped: u64) {
        for (i, (c, v)) in [
            (&self.pcap_received, received),
            (&self.pcap_dropped, dropped),
        ]
        .into_iter()
        .enumerate()
        {
            let last = self.pcap_last[i].swap(v, Ordering::Relaxed);
            if v > last {
                c.inc_by(v - last);
            }
        }
    }

    /// One DHCP reply `serve` sent (its encoded bytes).
    pub fn serve_reply(&self, bytes: &[u8]) {
        let t = crate::wire::dhcp4::Dhcp4::parse(bytes)
            .ok()
            .and_then(|m| m.msg_type())
            .map(|t| crate::wire::dhcp4::msg_type_name(t).to_ascii_lowercase())
            .unwrap_or_else(|| "other".into());
        self.serve_dhcp_replies
            .get_or_create(&vec![("type", t)])
            .inc();
    }

    pub fn serve_transfer_started(&self) {
        self.serve_transfers
            .get_or_create(&vec![("state", "active".into())])
            .inc();
    }

    pub fn serve_transfer_ended(&self, ok: bool) {
        self.serve_transfers
            .get_or_create(&vec![("state", "active".into())])
            .dec();
        let state = if ok { "finished" } else { "failed" };
        self.serve_transfers
            .get_or_create(&vec![("state", state.into())])
            .inc();
    }

    pub fn serve_leases(&self, in_use: u64, free: u64) {
        for (state, v) in [("in-use", in_use), ("free", free)] {
            self.serve_leases
                .get_or_create(&vec![("state", state.into())])
                .set(i64::try_from(v).unwrap_or(i64::MAX));
        }
    }

    /// Count the sink's work too (a sink failure is then visible on the endpoint).
    pub fn attach_sink(&self, stats: Arc<crate::sink::SinkStats>) {
        if let Ok(mut g) = self.sink.lock() {
            *g = Some(stats);
        }
    }

    /// The sink's atomics → the counters (a counter only goes up: add the difference).
    fn refresh_sink(&self) {
        let Some(st) = self.sink.lock().ok().and_then(|g| g.clone()) else {
            return;
        };
        for (what, v) in [
            ("queued", &st.rows),
            ("sent", &st.sent),
            ("spooled", &st.spooled),
            ("dropped", &st.dropped),
            ("error", &st.errors),
        ] {
            let c = self
                .sink_counters
                .get_or_create(&self.with_sensor(vec![("what", what.into())]));
            let now = v.load(Ordering::Relaxed);
            let had = c.get();
            if now > had {
                c.inc_by(now - had);
            }
        }
    }

    /// The exposition text (OpenMetrics, which Prometheus reads; ends with `# EOF`).
    pub fn render(&self) -> String {
        self.refresh_sink();
        let mut s = String::new();
        if encode(&mut s, &self.registry).is_err() {
            s.clear();
        }
        s
    }

    fn endpoint_error(&self, what: &str) {
        self.endpoint_errors.inc();
        if !self.endpoint_error_said.swap(true, Ordering::Relaxed) {
            crate::say!("pxe-inspect: metrics endpoint: {what} (reported once; counted in pxe_inspect_metrics_endpoint_errors_total)");
        }
    }
}

pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Bind `addr` and answer scrapes on a thread of its own. Err (the caller reports it once and
/// goes on without metrics) when the address cannot be bound.
pub fn start(addr: SocketAddr, m: Arc<Metrics>) -> Result<SocketAddr, String> {
    let l = TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = l.local_addr().unwrap_or(addr);
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            for c in l.incoming() {
                match c {
                    Ok(c) => {
                        if let Err(e) = answer(c, &m) {
                            m.endpoint_error(&e.to_string());
                        }
                    }
                    Err(e) => {
                        m.endpoint_error(&e.to_string());
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            }
        })
        .map_err(|e| format!("metrics thread: {e}"))?;
    Ok(local)
}

/// `--metrics` for capture and serve: start the endpoint or say once why not (never fatal).
pub fn start_or_warn(addr: Option<SocketAddr>, m: &Arc<Metrics>) {
    if let Some(a) = addr {
        match start(a, m.clone()) {
            Ok(local) => crate::say!("pxe-inspect: metrics on http://{local}/metrics"),
            Err(e) => crate::say!("pxe-inspect: metrics endpoint: {e}; going on without it"),
        }
    }
}

/// The request head's first line (`GET /metrics HTTP/1.1`), at most 8 KiB read.
fn request_line(c: &mut TcpStream) -> std::io::Result<String> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && !buf.windows(2).any(|w| w == b"\n\n") {
        let n = c.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > 8192 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&buf);
    Ok(text.lines().next().unwrap_or("").to_string())
}

/// Status, content type and body for one request line.
pub fn respond(line: &str, m: &Metrics) -> (&'static str, &'static str, String) {
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    if method != "GET" && method != "HEAD" {
        return ("405 Method Not Allowed", "text/plain", "GET only\n".into());
    }
    match path {
        "/metrics" => ("200 OK", CONTENT_TYPE, m.render()),
        "/healthz" => ("200 OK", "text/plain", "ok\n".into()),
        _ => (
            "404 Not Found",
            "text/plain",
            "/metrics or /healthz\n".into(),
        ),
    }
}

fn answer(mut c: TcpStream, m: &Metrics) -> std::io::Result<()> {
    c.set_read_timeout(Some(Duration::from_secs(2)))?;
    c.set_write_timeout(Some(Duration::from_secs(2)))?;
    let line = request_line(&mut c)?;
    if line.is_empty() {
        return Ok(()); // a connection closed without a request (a port check)
    }
    let (status, ctype, body) = respond(&line, m);
    let head = line.starts_with("HEAD ");
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head {
        out.extend_from_slice(body.as_bytes());
    }
    c.write_all(&out)?;
    c.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink failure is counted on the endpoint (monitor part 2: "a metric when --metrics is
    /// on"), read from the sink's own counters at each scrape, never going down.
    #[test]
    fn sink_counters_follow_the_sink() {
        let m = Metrics::new(Some("rack1"), false);
        let st = Arc::new(crate::sink::SinkStats::default());
        m.attach_sink(st.clone());
        st.rows.store(5, Ordering::Relaxed);
        st.errors.store(3, Ordering::Relaxed);
        let text = m.render();
        assert!(
            text.contains("pxe_inspect_sink_rows_total{what=\"error\",sensor=\"rack1\"} 3"),
            "{text}"
        );
        assert!(text.contains("pxe_inspect_sink_rows_total{what=\"queued\",sensor=\"rack1\"} 5"));
        st.errors.store(4, Ordering::Relaxed);
        assert!(m.render().contains("{what=\"error\",sensor=\"rack1\"} 4"));
    }

    #[test]
    fn names_and_endpoints() {
        let m = Metrics::new(Some("rack1"), true);
        m.set_pcap(10, 0);
        m.set_pcap(25, 2);
        m.serve_transfer_started();
        m.serve_transfer_ended(true);
        m.serve_leases(3, 7);
        let f = crate::diag::finding("tftp-file-not-found", vec![], "x".into());
        m.observe_findings(std::slice::from_ref(&f));
        let text = m.render();
        for want in [
            "pxe_inspect_pcap_received_total 25",
            "pxe_inspect_pcap_dropped_total 2",
            "pxe_inspect_serve_transfers{state=\"finished\"} 1",
            "pxe_inspect_serve_transfers{state=\"active\"} 0",
            "pxe_inspect_serve_leases{state=\"free\"} 7",
            "pxe_inspect_findings_total{id=\"tftp-file-not-found\",severity=\"error\",sensor=\"rack1\"} 1",
            "# TYPE pxe_inspect_time_to_offer_seconds histogram",
            "pxe_inspect_boot_duration_seconds_bucket{le=\"120.0\"} 0",
            "# EOF",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
        assert_eq!(respond("GET /healthz HTTP/1.1", &m).2, "ok\n");
        assert_eq!(respond("GET /nope HTTP/1.1", &m).0, "404 Not Found");
        assert_eq!(
            respond("POST /metrics HTTP/1.1", &m).0,
            "405 Method Not Allowed"
        );
        assert_eq!(respond("", &m).0, "405 Method Not Allowed");
    }

    #[test]
    fn capture_only_has_no_serve_metrics() {
        let text = Metrics::new(None, false).render();
        assert!(!text.contains("pxe_inspect_serve_"));
        assert!(text.contains("pxe_inspect_tftp_bytes_total 0"), "{text}");
    }
}
