//! `pxe-inspect capture`: the analyze pipeline on a live interface (libpcap via the `pcap`
//! crate). Sessions print as they progress; on exit (Ctrl-C, SIGTERM, --duration, --count,
//! --until-booted) the summary is exactly what `analyze` prints for the same packets.

use crate::analyze::{diag_config, jsonl_line, keep_session, style_for};
use crate::cli::{CaptureArgs, Format};
use crate::exit;
use crate::metrics::Metrics;
use crate::model::{BootSession, Outcome};
use crate::pipeline::Pipeline;
use crate::render::{self, Style};
use crate::report::{self, InputInfo, Report};
use crate::session::{Event, TrackerConfig};
use crate::source::rotate::{Output, RotateConfig};
use crate::source::Frame;
use std::collections::HashSet;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Keeps PXE traffic and little else. TFTP data runs on ephemeral ports, and re-attaching a filter
/// as transfers start is racy (DATA 1 follows the RRQ within microseconds), so TFTP is matched by
/// its payload: opcode 3..6 in the first two bytes of any IPv4 UDP payload; user space drops the
/// false positives by TID. Non-first IPv4 fragments carry no UDP header, so they are all kept
/// (a blksize above the MTU fragments every block). IPv6 UDP is kept whole (libpcap cannot
/// index IPv6 payloads).
pub const PXE_FILTER_CORE: &str = "(udp port 67 or udp port 68 or udp port 4011 or udp port 69 or udp port 546 or udp port 547 \
or (ip and udp and udp[8:2] >= 3 and udp[8:2] <= 6) or (ip and ip[6:2] & 0x1fff != 0) or (ip6 and udp) or arp or icmp or icmp6 or tcp port 80 or tcp port 8080)";

/// The default filter plus extra UDP ports. `vlan` shifts the offsets of everything after it
/// (a libpcap rule), so the VLAN-tagged copy of the expression must come last.
pub fn pxe_filter(extra_ports: &[u16]) -> String {
    pxe_filter_tcp(extra_ports, &[])
}

/// As `pxe_filter`, plus TCP ports (serve's HTTP server on a port other than 80/8080). They go
/// inside the core expression: anything after `vlan` would be read at shifted offsets.
pub fn pxe_filter_tcp(udp_ports: &[u16], tcp_ports: &[u16]) -> String {
    let mut core = PXE_FILTER_CORE.trim_end_matches(')').to_string();
    for p in udp_ports {
        core.push_str(&format!(" or udp port {p}"));
    }
    for p in tcp_ports {
        core.push_str(&format!(" or tcp port {p}"));
    }
    core.push(')');
    format!("{core} or (vlan and {core})")
}

pub fn default_filter() -> String {
    pxe_filter(&[])
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

pub fn list_interfaces(out: &mut dyn Write) -> io::Result<()> {
    match pcap::Device::list() {
        Ok(devs) => {
            for (i, d) in devs.iter().enumerate() {
                let state = if d.flags.is_up() {
                    if d.flags.is_running() {
                        "up"
                    } else {
                        "up, not running"
                    }
                } else {
                    "down"
                };
                let addrs: Vec<String> = d.addresses.iter().map(|a| a.addr.to_string()).collect();
                writeln!(
                    out,
                    "{}. {} [{state}]{}{}",
                    i + 1,
                    d.name,
                    d.desc
                        .as_ref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default(),
                    if addrs.is_empty() {
                        String::new()
                    } else {
                        format!(" {}", addrs.join(" "))
                    }
                )?;
            }
            Ok(())
        }
        Err(e) => writeln!(out, "cannot list interfaces: {e}"),
    }
}

fn time_of_day(ts: i64) -> String {
    let t = crate::model::Timestamp(ts).rfc3339();
    t.get(11..23).unwrap_or("").to_string()
}

/// Where live progress goes: `out`, or stderr when `out` carries one document.
fn progress<'a>(
    out: &'a mut dyn Write,
    err: &'a mut io::Stderr,
    to_err: bool,
) -> &'a mut dyn Write {
    if to_err {
        err
    } else {
        out
    }
}

/// SIGHUP: close the -w file and start the next (`capture`).
static HANGUP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_hangup(_: libc::c_int) {
    HANGUP.store(true, Ordering::SeqCst);
}

fn catch_hangup() {
    // Only an atomic store in the handler: async-signal-safe.
    let handler: extern "C" fn(libc::c_int) = on_hangup;
    // SAFETY: installs a handler that only stores to a static atomic.
    unsafe {
        libc::signal(libc::SIGHUP, handler as libc::sighandler_t);
    }
}

/// A JSONL line; with rotated files, every frame reference also names its file
/// (`"in_file": {"file": NAME, "frame": N}`).
fn jsonl_record(
    out: &mut dyn Write,
    kind: &str,
    v: &impl serde::Serialize,
    files: Option<&Output>,
) -> io::Result<()> {
    match files.filter(|f| f.multi()) {
        Some(f) => {
            let mut val = serde_json::to_value(v).map_err(io::Error::other)?;
            f.annotate(&mut val);
            jsonl_line(out, kind, &val)
        }
        None => jsonl_line(out, kind, v),
    }
}

/// One line per progress event, in the renderer's colours.
pub fn write_event(
    out: &mut dyn Write,
    e: &Event,
    style: &Style,
    format: Format,
    files: Option<&Output>,
) -> io::Result<()> {
    if format == Format::Jsonl {
        return jsonl_record(out, "event", e, files);
    }
    writeln!(
        out,
        "{}  {} frame {:<6} {:<5} {}",
        style.dim(&time_of_day(e.time.0)),
        style.bold(&e.client),
        e.frame.frame,
        e.kind,
        e.text
    )
}

pub fn write_closed(
    out: &mut dyn Write,
    s: &BootSession,
    style: &Style,
    format: Format,
    files: Option<&Output>,
) -> io::Result<()> {
    if format == Format::Jsonl {
        return jsonl_record(out, "session", s, files);
    }
    writeln!(
        out,
        "{}  {} session closed ({}): {}, {} finding(s)",
        style.dim(&time_of_day(s.end.0)),
        style.bold(&s.label()),
        s.closed_by.name(),
        style.outcome(s.outcome),
        s.findings.len()
    )?;
    for f in &s.findings {
        writeln!(
            out,
            "      {} {} — {}",
            style.sev(f.severity),
            f.id,
            f.message
        )?;
    }
    Ok(())
}

fn permission_hint(e: &str) -> String {
    if e.contains("ermission") || e.contains("not permitted") {
        format!("{e}\nhint: run as root, or give the binary the capability: setcap cap_net_raw,cap_net_admin=eip $(command -v pxe-inspect)")
    } else {
        e.to_string()
    }
}

pub fn run(a: &CaptureArgs) -> i32 {
    let mut stdout = io::stdout().lock();
    if a.list {
        let _ = list_interfaces(&mut stdout);
        return exit::OK;
    }
    let iface = match (&a.iface, &a.interface) {
        (Some(x), None) | (None, Some(x)) => x.clone(),
        (Some(x), Some(y)) if x == y => x.clone(),
        (Some(_), Some(_)) => {
            eprintln!("pxe-inspect: give the interface once (positional or --interface)");
            return exit::USAGE;
        }
        (None, None) => {
            eprintln!("pxe-inspect: capture needs an interface; available:");
            let _ = list_interfaces(&mut io::stderr());
            return exit::USAGE;
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second Ctrl-C while we wrap up is ignored; the summary still prints.
        if let Err(e) = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst)) {
            eprintln!("pxe-inspect: {e}");
            return exit::USAGE;
        }
    }
    // After ctrlc's handler (its "termination" feature takes SIGHUP as a stop too): SIGHUP
    // reopens -w instead.
    catch_hangup();
    match capture(a, &iface, &mut stdout, stop) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pxe-inspect: {e}");
            exit::USAGE
        }
    }
}

/// The capture loop; `stop` ends it cleanly (Ctrl-C in `capture`, shutdown in `serve`).
pub fn capture(
    a: &CaptureArgs,
    iface: &str,
    out: &mut dyn Write,
    stop: Arc<AtomicBool>,
) -> Result<i32, String> {
    let diag = diag_config(&a.diag)?;
    let style = style_for(&a.output);
    let devs = pcap::Device::list().map_err(|e| permission_hint(&e.to_string()))?;
    let Some(dev) = devs.into_iter().find(|d| d.name == iface) else {
        let mut list = Vec::new();
        let _ = list_interfaces(&mut list);
        return Err(format!(
            "no such interface `{iface}`; available:\n{}",
            String::from_utf8_lossy(&list)
        ));
    };
    if iface != "any" && !dev.flags.is_up() {
        return Err(format!(
            "interface `{iface}` is down (ip link set {iface} up)"
        ));
    }
    let cap = pcap::Capture::from_device(dev)
        .map_err(|e| e.to_string())?
        .promisc(a.promisc)
        .snaplen(65_535)
        // A full-speed TFTP burst on a veth outruns libpcap's 2 MB default ring.
        .buffer_size(64 << 20)
        // Not immediate mode: that one (TPACKET_V2) gives every ring slot the largest frame
        // the interface might deliver, 64 KiB with receive offloads (veth, most NICs), so the
        // 64 MiB ring held ~1,000 frames and a 500-client windowsize-16 storm overflowed it
        // (915 of 197,500 frames dropped). TPACKET_V3 packs frames into blocks the kernel hands
        // over when full or after this timeout: the same ring holds ~40,000 MTU frames, and
        // sessions show up at most 50 ms late.
        .immediate_mode(false)
        .precision(pcap::Precision::Nano)
        .timeout(50)
        .open()
        .map_err(|e| permission_hint(&format!("cannot capture on `{iface}`: {e}")))?;
    // Non-blocking: libpcap's read timeout (TPACKET_V3) does not fire before the first packet,
    // which would leave Ctrl-C and --duration waiting on a quiet interface.
    let mut cap = cap.setnonblock().map_err(|e| e.to_string())?;
    if !a.all {
        let f = a.filter.clone().unwrap_or_else(|| pxe_filter(&a.tftp_port));
        cap.filter(&f, true)
            .map_err(|e| format!("filter `{f}`: {e}"))?;
    }
    let linktype = cap.get_datalink().0 as u32;
    let rotate = RotateConfig {
        size: a.rotate_size,
        seconds: a.rotate_seconds,
        keep: a.rotate_keep.map(|k| k as usize),
    };
    let mut writer = match &a.write {
        Some(p) => {
            Some(Output::create(p, linktype, rotate, now_ns()).map_err(|e| format!("{p}: {e}"))?)
        }
        None => None,
    };
    // Its own thread: a slow or stopped ClickHouse never holds up the capture loop. Started
    // before `ready`, so serve's observer has its spool directory before serve gives up root.
    let sink = crate::sink::from_args(&a.sink, a.sensor.as_deref(), true)?;
    if let Some(r) = &a.ready {
        r.store(true, Ordering::SeqCst);
    }
    let mut tcfg = TrackerConfig {
        idle_timeout_ns: (a.idle_timeout * 1e9) as i64,
        sensor: a.sensor.clone(),
        ..Default::default()
    };
    tcfg.tftp_ports.extend(a.tftp_port.iter().copied());
    let mut pipe = Pipeline::new(tcfg, diag.clone());
    pipe.tracker.want_events = true;
    eprintln!(
        "pxe-inspect: capturing on {iface} (link type {linktype}){}; Ctrl-C stops",
        a.write
            .as_ref()
            .map(|w| format!(", writing {w}"))
            .unwrap_or_default()
    );
    // Metrics: serve hands its observer the registry it serves; capture makes its own.
    let metrics: Option<Arc<Metrics>> = match (&a.metrics_sink, a.metrics) {
        (Some(m), _) => Some(m.clone()),
        (None, Some(addr)) => {
            let m = Arc::new(Metrics::new(a.sensor.as_deref(), false));
            crate::metrics::start_or_warn(Some(addr), &m);
            Some(m)
        }
        (None, None) => None,
    };
    if let (Some(m), Some(k)) = (&metrics, &sink) {
        m.attach_sink(k.stats());
    }
    let mut stats_polled = Instant::now();
    let started = Instant::now();
    let mut sessions: Vec<BootSession> = Vec::new();
    let mut booted: HashSet<u64> = HashSet::new();
    let mut number = 0u64;
    let mut idle_polls = 0u64;
    let io_err = |e: io::Error| e.to_string();
    const KEEP_CLOSED: usize = 10_000;
    let session_lines = std::cell::Cell::new(0u64);
    // With -f jsonl each session was written as it closed, and the end only needs what decides
    // the exit code: the worst finding severity. Nothing else is kept, so a capture that runs
    // for weeks stays flat instead of holding the last 10,000 sessions. --html and --junit
    // render whole sessions: they keep them.
    let streamed_only =
        a.output.format == Format::Jsonl && a.output.html.is_none() && a.diag.junit.is_none();
    let worst = std::cell::Cell::new(None::<crate::model::Severity>);
    // Progress (events, closed sessions, "booted") goes to stdout only where stdout is a stream
    // of lines; for -f json and mermaid, stdout is one document and progress goes to stderr.
    let progress_to_stderr = matches!(a.output.format, Format::Json | Format::Mermaid);
    let mut stderr = io::stderr();
    let keep = |s: BootSession,
                out: &mut dyn Write,
                sessions: &mut Vec<BootSession>,
                files: Option<&Output>|
     -> io::Result<()> {
        if let Some(m) = &metrics {
            m.observe_session(&s);
        }
        if !keep_session(&a.output, &s) {
            return Ok(());
        }
        if let Some(k) = &sink {
            k.push(&s);
        }
        write_closed(out, &s, &style, a.output.format, files)?;
        if a.output.format == Format::Jsonl {
            session_lines.set(session_lines.get() + 1);
        }
        out.flush()?;
        if streamed_only {
            let w = s.findings.iter().map(|f| f.severity).max();
            if w > worst.get() {
                worst.set(w);
            }
            return Ok(());
        }
        if sessions.len() >= KEEP_CLOSED {
            sessions.remove(0); // bounded memory for long runs: the summary shows the latest
        }
        sessions.push(s);
        Ok(())
    };
    // On Ctrl-C/SIGTERM/--duration, what the kernel already captured is still read (a server
    // stopped right after a boot must not lose the boot's last frames), then we stop.
    let mut draining = false;
    let mut drain_started: Option<Instant> = None;
    let mut empty_while_draining = 0u32;
    loop {
        if !draining
            && (stop.load(Ordering::SeqCst)
                || a.duration
                    .is_some_and(|d| started.elapsed() >= Duration::from_secs_f64(d)))
        {
            draining = true;
            drain_started = Some(Instant::now());
        }
        if draining && drain_started.is_some_and(|t| t.elapsed() > Duration::from_secs(2)) {
            break;
        }
        if a.count.is_some_and(|c| number >= c) {
            break;
        }
        if a.until_booted.is_some_and(|n| booted.len() >= n) {
            break;
        }
        if let Some(m) = &metrics {
            if stats_polled.elapsed() >= Duration::from_secs(1) {
                stats_polled = Instant::now();
                if let Ok(st) = cap.stats() {
                    m.set_pcap(u64::from(st.received), u64::from(st.dropped));
                }
            }
        }
        match cap.next_packet() {
            Ok(p) => {
                number += 1;
                let ts = p.header.ts.tv_sec * 1_000_000_000 + p.header.ts.tv_usec; // nano precision
                let f = Frame {
                    input: 0,
                    number,
                    ts_ns: ts,
                    linktype,
                    data: p.data.to_vec(),
                    orig_len: p.header.len,
                    offset: 0,
                };
                if let Some(w) = writer.as_mut() {
                    if HANGUP.swap(false, Ordering::SeqCst) {
                        w.rotate(number, now_ns())
                            .map_err(|e| format!("reopening capture: {e}"))?;
                        eprintln!(
                            "pxe-inspect: SIGHUP: writing {}",
                            w.files().last().cloned().unwrap_or_default()
                        );
                    }
                    w.write(number, linktype, ts, &f.data, f.orig_len, now_ns())
                        .map_err(|e| format!("writing capture: {e}"))?;
                }
                let closed = pipe.push(&f);
                let events = std::mem::take(&mut pipe.tracker.events);
                for e in &events {
                    write_event(
                        progress(out, &mut stderr, progress_to_stderr),
                        e,
                        &style,
                        a.output.format,
                        writer.as_ref(),
                    )
                    .map_err(io_err)?;
                    if e.kind == "tftp"
                        && e.text.contains(": complete")
                        && !booted.contains(&e.session)
                        && pipe
                            .diagnose_snapshot(e.session)
                            .is_some_and(|s| s.outcome == Outcome::Booted)
                    {
                        booted.insert(e.session);
                        if a.output.format != Format::Jsonl {
                            writeln!(
                                progress(out, &mut stderr, progress_to_stderr),
                                "{}  {} booted",
                                style.dim(&time_of_day(e.time.0)),
                                style.bold(&e.client)
                            )
                            .map_err(io_err)?;
                        }
                    }
                }
                out.flush().map_err(io_err)?;
                for s in closed {
                    keep(
                        s,
                        progress(out, &mut stderr, progress_to_stderr),
                        &mut sessions,
                        writer.as_ref(),
                    )
                    .map_err(io_err)?;
                }
            }
            Err(pcap::Error::TimeoutExpired) | Err(pcap::Error::NoMorePackets) => {
                if draining {
                    // Empty for a while, not just this instant: libpcap hands over a ring block
                    // only when the kernel retires it (a timeout), so the last frames of a boot can
                    // surface a few milliseconds after the stop.
                    empty_while_draining += 1;
                    if empty_while_draining >= 150 {
                        break;
                    }
                }
                std::thread::sleep(Duration::from_millis(1));
                idle_polls += 1;
                if !idle_polls.is_multiple_of(50) {
                    continue;
                }
                if let Some(w) = writer.as_mut() {
                    if HANGUP.swap(false, Ordering::SeqCst) {
                        w.rotate(number + 1, now_ns())
                            .map_err(|e| format!("reopening capture: {e}"))?;
                        eprintln!(
                            "pxe-inspect: SIGHUP: writing {}",
                            w.files().last().cloned().unwrap_or_default()
                        );
                    }
                    w.tick(now_ns())
                        .map_err(|e| format!("writing capture: {e}"))?;
                }
                for s in pipe.tick(now_ns()) {
                    keep(
                        s,
                        progress(out, &mut stderr, progress_to_stderr),
                        &mut sessions,
                        writer.as_ref(),
                    )
                    .map_err(io_err)?;
                }
            }
            Err(e) => {
                eprintln!("pxe-inspect: capture stopped: {e}");
                break;
            }
        }
    }
    if let Some(w) = writer.as_mut() {
        w.finish(now_ns())
            .map_err(|e| format!("writing capture: {e}"))?;
    }
    let stat = cap.stats().ok();
    for s in pipe.finish() {
        if let Some(m) = &metrics {
            m.observe_session(&s);
        }
        if keep_session(&a.output, &s) {
            if let Some(k) = &sink {
                k.push(&s);
            }
            if a.output.format == Format::Jsonl {
                jsonl_record(out, "session", &s, writer.as_ref()).map_err(io_err)?;
                session_lines.set(session_lines.get() + 1);
            }
            sessions.push(s);
        }
    }
    sessions.sort_by_key(|s| s.first_frame);
    let input = InputInfo {
        index: 0,
        path: a.write.clone().unwrap_or_else(|| format!("live:{iface}")),
        format: "live".into(),
        compressed: false,
        linktypes: vec![linktype],
        frames: number,
        end: None,
        error: None,
    };
    let mut findings = report::capture_findings(std::slice::from_ref(&input), &pipe.stats);
    if let Some(st) = &stat {
        if st.dropped > 0 || st.if_dropped > 0 {
            findings.push(crate::diag::finding("analysis-truncated", vec![], format!("the kernel dropped {} packet(s) ({} by the interface): the analysis may miss traffic", st.dropped, st.if_dropped)));
        }
    }
    crate::diag::apply_policy(&mut findings, &diag);
    if let Some(m) = &metrics {
        m.observe_findings(&findings);
        if let Some(st) = &stat {
            m.set_pcap(u64::from(st.received), u64::from(st.dropped));
        }
    }
    let r = Report {
        schema: report::SCHEMA,
        tool: report::tool_version(),
        inputs: vec![input],
        sessions,
        findings,
        stats: pipe.stats.clone(),
    };
    if let Some(path) = &a.output.html {
        render::html::write_file(path, &r)?;
    }
    match a.output.format {
        Format::Jsonl => {
            for f in &r.findings {
                jsonl_line(out, "finding", f).map_err(io_err)?;
            }
            let counters = stat.map(|s| serde_json::json!({"received": s.received, "dropped": s.dropped, "if_dropped": s.if_dropped}));
            report::write_jsonl_summary(
                out,
                &r,
                session_lines.get(),
                counters.map(|c| ("pcap", c)),
            )
            .map_err(io_err)?;
        }
        Format::Json => match writer.as_ref().filter(|w| w.multi()) {
            Some(w) => {
                let mut v = serde_json::to_value(&r).map_err(|e| e.to_string())?;
                w.annotate(&mut v);
                serde_json::to_writer_pretty(&mut *out, &v).map_err(|e| e.to_string())?
            }
            None => serde_json::to_writer_pretty(&mut *out, &r).map_err(|e| e.to_string())?,
        },
        Format::Mermaid => render::mermaid::write(out, &r, !a.output.pxe_only).map_err(io_err)?,
        Format::Timeline => {
            writeln!(out).map_err(io_err)?;
            render::timeline::write(out, &r, &style, !a.output.pxe_only).map_err(io_err)?;
        }
        Format::Table => {
            writeln!(out).map_err(io_err)?;
            render::table::write(out, &r, &style, !a.output.pxe_only).map_err(io_err)?;
        }
    }
    if let Some(s) = stat {
        eprintln!("pxe-inspect: {number} frames captured; libpcap received {}, dropped {} (interface dropped {})", s.received, s.dropped, s.if_dropped);
        if s.dropped > 0 {
            eprintln!("pxe-inspect: warning: the kernel dropped packets; the analysis may be missing traffic");
        }
    }
    let _ = out.flush();
    if let Some(k) = sink {
        k.finish();
    }
    if let Some(p) = &a.diag.junit {
        std::fs::write(p, crate::ci::junit(&r, &[], a.diag.fail_on))
            .map_err(|e| format!("{p}: {e}"))?;
    }
    // Sessions streamed out and not kept still decide the exit code by their worst finding.
    let streamed_fail = crate::ci::threshold(a.diag.fail_on)
        .is_some_and(|min| worst.get().is_some_and(|w| w >= min));
    if streamed_fail {
        return Ok(exit::FINDINGS);
    }
    Ok(crate::ci::exit_code(&r, a.diag.fail_on))
}
