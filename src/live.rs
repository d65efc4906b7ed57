//! `pxe-inspect capture`: the analyze pipeline on a live interface (libpcap via the `pcap`
//! crate). Sessions print as they progress; on exit (Ctrl-C, SIGTERM, --duration, --count,
//! --until-booted) the summary is exactly what `analyze` prints for the same packets.

use crate::analyze::diag_config;
use crate::cli::{CaptureArgs, DiagArgs, Format, OutputArgs, SinkArgs};
use crate::exit;
use crate::metrics::Metrics;
use crate::model::{BootSession, Outcome};
use crate::pipeline::Pipeline;
use crate::render;
use crate::render::sink::{Extras, Output as RunOutput, OutputConfig, SessionPolicy};
use crate::report::{self, InputInfo, Report};
use crate::session::TrackerConfig;
use crate::source::live::{list_interfaces, open, pxe_filter};
use crate::source::rotate::{Output, RotateConfig};
use crate::source::Frame;
use std::collections::HashSet;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
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
            crate::say!("pxe-inspect: give the interface once (positional or --interface)");
            return exit::USAGE;
        }
        (None, None) => {
            crate::say!("pxe-inspect: capture needs an interface; available:");
            let _ = list_interfaces(&mut io::stderr());
            return exit::USAGE;
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second Ctrl-C while we wrap up is ignored; the summary still prints.
        if let Err(e) = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst)) {
            crate::say!("pxe-inspect: {e}");
            return exit::USAGE;
        }
    }
    // After ctrlc's handler (its "termination" feature takes SIGHUP as a stop too): SIGHUP
    // reopens -w instead.
    catch_hangup();
    match observe(
        &ObserveConfig::from_capture_args(a, iface),
        &mut stdout,
        stop,
    ) {
        Ok(code) => code,
        Err(e) => {
            crate::say!("pxe-inspect: {e}");
            exit::USAGE
        }
    }
}

/// What the observe loop needs: `capture`'s flags, or what `serve` chooses for its observer.
/// Runtime hooks (`ready`, `metrics`) live here, not among the command-line flags.
#[derive(Debug, Clone, Default)]
pub struct ObserveConfig {
    pub iface: String,
    pub write: Option<String>,
    pub rotate: RotateConfig,
    /// The BPF filter; None captures everything (`--all`).
    pub filter: Option<String>,
    pub promisc: bool,
    pub duration: Option<f64>,
    pub count: Option<u64>,
    pub until_booted: Option<usize>,
    pub output: OutputArgs,
    pub diag: DiagArgs,
    pub idle_timeout: f64,
    pub tftp_ports: Vec<u16>,
    pub sink: SinkArgs,
    pub sensor: Option<String>,
    /// `capture --metrics`: a registry of our own, served here.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// `serve`: export into serve's registry instead.
    pub metrics: Option<Arc<Metrics>>,
    /// Set once the handle and the -w file are open (serve waits for it before giving up root).
    pub ready: Option<Arc<AtomicBool>>,
}

impl ObserveConfig {
    pub fn from_capture_args(a: &CaptureArgs, iface: String) -> ObserveConfig {
        ObserveConfig {
            iface,
            write: a.write.clone(),
            rotate: RotateConfig {
                size: a.rotate_size,
                seconds: a.rotate_seconds,
                keep: a.rotate_keep.map(|k| k as usize),
            },
            filter: (!a.all).then(|| a.filter.clone().unwrap_or_else(|| pxe_filter(&a.tftp_port))),
            promisc: a.promisc,
            duration: a.duration,
            count: a.count,
            until_booted: a.until_booted,
            output: a.output.clone(),
            diag: a.diag.clone(),
            idle_timeout: a.idle_timeout,
            tftp_ports: a.tftp_port.clone(),
            sink: a.sink.clone(),
            sensor: a.sensor.clone(),
            metrics_addr: a.metrics,
            metrics: None,
            ready: None,
        }
    }
}

/// The observe loop shared by `capture` and `serve`'s observer: frames from the pcap handle
/// through the pipeline into the output layer; `stop` ends it cleanly (Ctrl-C in `capture`,
/// shutdown in `serve`).
// Long on purpose: the capture loop; the handle, -w writer, pipeline, output and drain timers
// are shared by every step (the start and the end are functions of their own).
pub fn observe(
    a: &ObserveConfig,
    out: &mut dyn Write,
    stop: Arc<AtomicBool>,
) -> Result<i32, String> {
    let iface = a.iface.as_str();
    let diag = diag_config(&a.diag)?;
    let ocfg = OutputConfig::from_args(&a.output, &a.diag);
    let style = ocfg.style;
    let mut cap = open(iface, a.promisc, a.filter.as_deref())?;
    let linktype = cap.get_datalink().0 as u32;
    let rotate = a.rotate;
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
    tcfg.tftp_ports.extend(a.tftp_ports.iter().copied());
    let mut pipe = Pipeline::new(tcfg, diag.clone());
    pipe.tracker.want_events = true;
    crate::say!(
        "pxe-inspect: capturing on {iface} (link type {linktype}){}; Ctrl-C stops",
        a.write
            .as_ref()
            .map(|w| format!(", writing {w}"))
            .unwrap_or_default()
    );
    let metrics = metrics_for(a);
    if let (Some(m), Some(k)) = (&metrics, &sink) {
        m.attach_sink(k.stats());
    }
    let mut stats_polled = Instant::now();
    let started = Instant::now();
    let mut booted: HashSet<u64> = HashSet::new();
    let mut number = 0u64;
    let mut idle_polls = 0u64;
    let io_err = |e: io::Error| e.to_string();
    // With -f jsonl each session was written as it closed, and the end only needs what decides
    // the exit code: the worst finding severity. Nothing else is kept, so a capture that runs
    // for weeks stays flat instead of holding the last 10,000 sessions. --html and --junit
    // render whole sessions: they keep them.
    let stream_only =
        a.output.format == Format::Jsonl && a.output.html.is_none() && a.diag.junit.is_none();
    // Progress (events, closed sessions, "booted") goes to stdout only where stdout is a stream
    // of lines; for -f json and mermaid, stdout is one document and progress goes to stderr.
    let progress_to_stderr = ocfg.progress_to_stderr();
    let mut output = RunOutput::new(
        ocfg,
        SessionPolicy::Live {
            keep_last: 10_000,
            stream_only,
        },
    );
    let mut stderr = io::stderr();
    let keep = |s: BootSession,
                out: &mut dyn Write,
                output: &mut RunOutput,
                files: Option<&Output>|
     -> io::Result<()> {
        if let Some(m) = &metrics {
            m.observe_session(&s);
        }
        if !output.cfg.keeps(&s) {
            return Ok(());
        }
        if let Some(k) = &sink {
            k.push(&s);
        }
        output.session(out, s, files)
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
                        crate::say!(
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
                    output
                        .event(
                            progress(out, &mut stderr, progress_to_stderr),
                            e,
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
                                style.dim(&render::live::time_of_day(e.time.0)),
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
                        &mut output,
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
                        crate::say!(
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
                        &mut output,
                        writer.as_ref(),
                    )
                    .map_err(io_err)?;
                }
            }
            Err(e) => {
                crate::say!("pxe-inspect: capture stopped: {e}");
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
        if output.cfg.keeps(&s) {
            if let Some(k) = &sink {
                k.push(&s);
            }
            output
                .final_session(out, s, writer.as_ref())
                .map_err(io_err)?;
        }
    }
    let code = finish(
        a,
        output,
        &pipe,
        Captured {
            linktype,
            frames: number,
            stat,
        },
        metrics.as_deref(),
        writer.as_ref(),
        out,
    )?;
    if let Some(s) = stat {
        crate::say!("pxe-inspect: {number} frames captured; libpcap received {}, dropped {} (interface dropped {})", s.received, s.dropped, s.if_dropped);
        if s.dropped > 0 {
            crate::say!("pxe-inspect: warning: the kernel dropped packets; the analysis may be missing traffic");
        }
    }
    let _ = out.flush();
    if let Some(k) = sink {
        k.finish();
    }
    Ok(code)
}

/// Metrics: serve hands its observer the registry it serves; capture makes its own.
fn metrics_for(a: &ObserveConfig) -> Option<Arc<Metrics>> {
    match (&a.metrics, a.metrics_addr) {
        (Some(m), _) => Some(m.clone()),
        (None, Some(addr)) => {
            let m = Arc::new(Metrics::new(a.sensor.as_deref(), false));
            crate::metrics::start_or_warn(Some(addr), &m);
            Some(m)
        }
        (None, None) => None,
    }
}

/// What the handle saw.
struct Captured {
    linktype: u32,
    frames: u64,
    stat: Option<pcap::Stat>,
}

/// The end of a live run: the capture-wide findings (kernel drops included), the metrics, the
/// document through the output layer; the exit code.
#[allow(clippy::too_many_arguments)] // the loop's pieces, each used once here
fn finish(
    a: &ObserveConfig,
    mut output: RunOutput,
    pipe: &Pipeline,
    c: Captured,
    metrics: Option<&Metrics>,
    writer: Option<&Output>,
    out: &mut dyn Write,
) -> Result<i32, String> {
    let diag = diag_config(&a.diag)?;
    let (iface, linktype, number, stat) = (a.iface.as_str(), c.linktype, c.frames, c.stat);
    let sessions = output.take_sessions();
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
    let mut findings =
        crate::diag::capture::capture_findings(std::slice::from_ref(&input), &pipe.stats);
    if let Some(st) = &stat {
        findings.extend(crate::diag::capture::kernel_drops(
            u64::from(st.dropped),
            u64::from(st.if_dropped),
        ));
    }
    crate::diag::apply_policy(&mut findings, &diag);
    if let Some(m) = metrics {
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
    let counters = stat.map(|s| serde_json::json!({"received": s.received, "dropped": s.dropped, "if_dropped": s.if_dropped}));
    output.finish(
        out,
        &r,
        Extras {
            summary_key: counters.map(|c| ("pcap", c)),
            blank_before_text: true,
            files: writer,
            ..Extras::default()
        },
    )
}
