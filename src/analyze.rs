//! `pxe-inspect analyze`: the thin edge that opens files, drives the pipeline and renders.

use crate::ci;
use crate::cli::{AnalyzeArgs, Format};
use crate::diag::{registry, DiagConfig};
use crate::exit;
use crate::model::BootSession;
use crate::pipeline::Pipeline;
use crate::render;
use crate::render::sink::{Extras, Output, OutputConfig, SessionPolicy};
use crate::report::{self, InputInfo, Report};
use crate::session::TrackerConfig;
use crate::source::file::FrameMeta;
use crate::source::{CaptureReader, Merger};
use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};

pub fn diag_config(a: &crate::cli::DiagArgs) -> Result<DiagConfig, String> {
    for id in a.allow.iter().chain(&a.deny) {
        if registry::rule(id).is_none() {
            return Err(format!(
                "unknown finding ID `{id}` (see `pxe-inspect explain`)"
            ));
        }
    }
    Ok(DiagConfig {
        allow: a.allow.iter().cloned().collect(),
        deny: a.deny.iter().cloned().collect(),
        capture_end_ns: 0,
    })
}

/// What `run_inner` returns when the reader of streamed output went away (`analyze -f jsonl
/// big.pcap | head`): the run stops there, quietly, with exit 0, as when the document's end
/// meets a closed pipe (render::sink::Output::finish).
const READER_GONE: &str = "the reader of the output went away (broken pipe)";

pub fn run(a: &AnalyzeArgs) -> i32 {
    // Block-buffered: stdout's line buffering cost a write per line (streamed jsonl sessions
    // still flush one by one).
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    match run_inner(a, &mut out) {
        Ok(code) => code,
        Err(e) if e == READER_GONE => exit::OK,
        Err(e) => {
            eprintln!("pxe-inspect: {e}");
            exit::USAGE
        }
    }
}

// Long on purpose: the run in order (inputs, pipeline, read, findings, --annotate, output);
// the steps that stand alone are functions below, the rest share the output and sink.
pub fn run_inner(a: &AnalyzeArgs, out: &mut dyn Write) -> Result<i32, String> {
    let (since, until) = check_args(a)?;
    let diag = diag_config(&a.diag)?;
    let expects = match &a.diag.expect {
        Some(p) => Some(ci::load(p)?),
        None => None,
    };
    // Started before the first frame: a bad --sink URL is a usage error, not a late surprise.
    let sink = crate::sink::from_args(&a.sink, a.sensor.as_deref(), false)?;
    let (mut inputs, readers, unreadable) = open_inputs(&a.files);
    let mut tcfg = TrackerConfig {
        idle_timeout_ns: (a.idle_timeout * 1e9) as i64,
        sensor: a.sensor.clone(),
        ..Default::default()
    };
    tcfg.tftp_ports.extend(a.tftp_port.iter().copied());
    // Quiet open sessions go to a temporary file past 1,024 in memory (session::cold): a storm's
    // clients wait out the idle timeout there. PXE_INSPECT_COLD_AFTER=N moves the threshold
    // (0: every quiet session, which the tests use to show the output does not change).
    if let Some(n) = std::env::var("PXE_INSPECT_COLD_AFTER")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        tcfg.cold_after = n;
    }
    let mut pipe = Pipeline::new(tcfg, diag.clone());
    // A temp dir that cannot be written is reported at the end, and only by a capture that
    // needed it (tracker.cold_errors: sessions then stay in memory).
    pipe.tracker
        .set_cold_store(Box::<crate::spool::FileStore>::default());
    // -f jsonl writes each session as it closes (unless --expect must mark them first); -f json
    // with nothing else that needs the sessions themselves spools them past SPOOL_AFTER closed
    // sessions (memory stays flat however many clients a capture has).
    let stream = a.output.format == Format::Jsonl && expects.is_none();
    const SPOOL_AFTER: usize = 256;
    let spool_ok = a.output.format == Format::Json
        && expects.is_none()
        && a.output.html.is_none()
        && std::env::var_os("PXE_INSPECT_NO_SPOOL").is_none();
    let ocfg = OutputConfig::from_args(&a.output, &a.diag);
    // The table likewise keeps only each session's rendered row past SPOOL_AFTER, where it is
    // drawn by hand: only where comfy-table would not wrap or colour it (not a terminal).
    let rows_ok = a.output.format == Format::Table
        && expects.is_none()
        && ocfg.html.is_none()
        && ocfg.junit.is_none()
        && !ocfg.style.color
        && !std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("PXE_INSPECT_NO_SPOOL").is_none();
    let policy = if stream {
        // A reader of a pipe or a live capture waits for each line; a file's can wait for the
        // buffer to fill.
        let all_files = a
            .files
            .iter()
            .all(|f| f != "-" && std::fs::metadata(f).is_ok_and(|m| m.is_file()));
        SessionPolicy::Stream {
            flush_each: !all_files,
        }
    } else if spool_ok {
        SessionPolicy::KeepOrSpool(SPOOL_AFTER)
    } else if rows_ok {
        SessionPolicy::KeepOrRows {
            after: SPOOL_AFTER,
            multi: a.files.len() > 1,
        }
    } else {
        SessionPolicy::Keep
    };
    let mut output = Output::new(ocfg, policy);
    let mut merger = Merger::new(readers);
    let mut comments: Comments = BTreeMap::new();
    let annotating = a.annotate.is_some();
    let emit = |s: BootSession,
                output: &mut Output,
                comments: &mut Comments,
                out: &mut dyn Write|
     -> io::Result<()> {
        if !output.cfg.keeps(&s) {
            return Ok(());
        }
        if annotating {
            session_comments(&s, comments);
        }
        if let Some(k) = &sink {
            k.push(&s);
        }
        output.session(out, s, None)
    };
    let io_err = |e: io::Error| {
        if e.kind() == io::ErrorKind::BrokenPipe {
            READER_GONE.to_string()
        } else {
            e.to_string()
        }
    };
    let (progress, total_bytes) = progress_bar(&a.files);
    let mut read_bytes = 0u64;
    let mut anon = a
        .anonymize
        .then(|| crate::anon::Anonymizer::new(a.anonymize_key.as_deref()));
    let mut step = |f: &FrameMeta, data: &[u8]| -> Result<(), String> {
        read_bytes += data.len() as u64 + 16;
        if let Some(pb) = &progress {
            if pipe.stats.frames.is_multiple_of(4096) {
                pb.set_position(read_bytes.min(total_bytes));
                pb.set_message(format!(
                    "{} frames, {} sessions open",
                    pipe.stats.frames,
                    pipe.tracker.open_sessions()
                ));
            }
        }
        if since.is_some_and(|s| f.ts_ns < s) || until.is_some_and(|u| f.ts_ns > u) {
            return Ok(());
        }
        for s in pipe.push_view(f, data) {
            emit(s, &mut output, &mut comments, out).map_err(io_err)?;
        }
        Ok(())
    };
    read_frames(&mut merger, anon.as_mut(), &mut step)?;
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    for i in 0..merger.len() {
        if let Some(t) = merger.reader(i).listened_until() {
            pipe.note_listened_until(t);
        }
    }
    let mut failed = None;
    pipe.finish_each(|s| {
        if failed.is_none() {
            failed = emit(s, &mut output, &mut comments, out).err();
        }
    });
    if let Some(e) = failed {
        return Err(io_err(e));
    }
    for e in pipe.tracker.cold_errors.drain(..) {
        eprintln!("pxe-inspect: {e}");
    }
    let mut sessions = output.take_sessions();
    fill_inputs(&mut inputs, &merger);
    let mut findings = crate::diag::capture::capture_findings(&inputs, &pipe.stats);
    crate::diag::apply_policy(&mut findings, &diag);
    let expect_results = match &expects {
        Some(ex) => ci::evaluate(ex, &mut sessions),
        None => vec![],
    };
    findings.extend(ci::expectation_findings(&expect_results));
    if let Some(path) = &a.annotate {
        for f in &findings {
            finding_comments(f, &mut comments);
        }
        let n = annotate(a, path, &comments)?;
        eprintln!(
            "pxe-inspect: wrote {path}: {n} frames, {} with comments",
            comments.len()
        );
    }
    let r = Report {
        schema: report::SCHEMA,
        tool: report::tool_version(),
        inputs,
        sessions,
        findings,
        stats: pipe.stats.clone(),
    };
    if a.output.html.is_some() && stream {
        eprintln!("pxe-inspect: --html with -f jsonl: sessions were streamed, the report shows none (use -f json or table)");
    }
    let code = output.finish(
        out,
        &r,
        Extras {
            expects: &expect_results,
            unreadable,
            ..Extras::default()
        },
    )?;
    // Whatever the sink managed, the exit code stays the analysis's (it reports on stderr).
    if let Some(k) = sink {
        k.finish();
    }
    // The process ends right after this: freeing every session and record one by one took a
    // tenth of the run on a boot storm. (Serialising sessions on a second thread as they close
    // was also tried and measured slower: the reader thread needs that core.)
    std::mem::forget((r, pipe, merger));
    Ok(code)
}

/// A progress bar on a terminal for inputs over 8 MiB; the inputs' total size.
fn progress_bar(files: &[String]) -> (Option<indicatif::ProgressBar>, u64) {
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let progress = (total_bytes > 8 << 20 && io::stderr().is_terminal()).then(|| {
        let pb = indicatif::ProgressBar::new(total_bytes);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb
    });
    (progress, total_bytes)
}

/// What is done with each frame read.
type FrameStep<'a> = dyn FnMut(&FrameMeta, &[u8]) -> Result<(), String> + 'a;

/// Every frame of every input, in time order, into `step`.
fn read_frames(
    merger: &mut Merger,
    anon: Option<&mut crate::anon::Anonymizer>,
    step: &mut FrameStep,
) -> Result<(), String> {
    let single = merger.len() == 1;
    match merger.reader_mut(0) {
        // One input, frames untouched: read them in place, without a copy per frame.
        Some(r) if single && anon.is_none() => {
            let mut end = None;
            loop {
                match r.next_view() {
                    Ok(Some((meta, data))) => step(&meta, data)?,
                    Ok(None) => break,
                    Err(e) => {
                        end = Some(e);
                        break;
                    }
                }
            }
            if let Some(e) = end {
                merger.ends[0] = Some(e);
            }
        }
        _ => {
            let mut anon = anon;
            while let Some(mut f) = merger.next() {
                if let Some(an) = anon.as_deref_mut() {
                    an.frame(f.linktype, &mut f.data);
                }
                step(&f.meta(), &f.data)?;
                merger.recycle(f);
            }
        }
    }
    Ok(())
}

/// What the readers learnt: format, link types, frames, how each input ended.
fn fill_inputs(inputs: &mut [InputInfo], merger: &Merger) {
    // Fill in what the readers learnt.
    let mut ri = 0;
    for inp in inputs.iter_mut() {
        if inp.error.is_some() {
            continue;
        }
        let r = merger.reader(ri);
        inp.format = r.format.to_string();
        inp.linktypes = r.linktypes.clone();
        inp.frames = r.frames_read();
        inp.end = Some(
            merger
                .ends
                .get(ri)
                .cloned()
                .flatten()
                .unwrap_or_else(|| r.end()),
        );
        ri += 1;
    }
}

/// The flags that cannot be checked by clap alone; the --since/--until bounds (ns).
fn check_args(a: &AnalyzeArgs) -> Result<(Option<i64>, Option<i64>), String> {
    if a.files.iter().filter(|f| *f == "-").count() > 1 {
        return Err("standard input (-) can be given only once".into());
    }
    // Also refuses NaN (which every comparison says no to).
    if a.idle_timeout.is_nan() || a.idle_timeout <= 0.0 {
        return Err("--idle-timeout must be a positive number of seconds".into());
    }
    let bound = |s: &Option<String>, flag: &str| -> Result<Option<i64>, String> {
        match s {
            None => Ok(None),
            Some(t) => crate::model::Timestamp::parse(t)
                .map(|t| Some(t.0))
                .ok_or(format!(
                    "{flag} `{t}`: expected RFC 3339 UTC (2026-11-22T23:30:00Z) or Unix seconds"
                )),
        }
    };
    if a.annotate.is_some() && a.files.iter().any(|f| f == "-") {
        return Err(
            "--annotate reads the inputs a second time: give files, not standard input".into(),
        );
    }
    if a.annotate.as_deref().is_some_and(|p| p.ends_with(".pcap")) {
        return Err(
            "--annotate writes pcapng (classic pcap has no packet comments): name it .pcapng"
                .into(),
        );
    }
    Ok((
        bound(&a.output.since, "--since")?,
        bound(&a.output.until, "--until")?,
    ))
}

/// Opens every input; an unreadable one is reported, listed with its error, and the rest are
/// analysed (exit 2 at the end).
fn open_inputs(files: &[String]) -> (Vec<InputInfo>, Vec<CaptureReader>, bool) {
    let mut inputs = Vec::new();
    let mut readers = Vec::new();
    let mut unreadable = false;
    for (i, path) in files.iter().enumerate() {
        match CaptureReader::open(path, i) {
            Ok(r) => {
                inputs.push(InputInfo {
                    index: i,
                    path: path.clone(),
                    format: String::new(),
                    compressed: r.compressed,
                    linktypes: vec![],
                    frames: 0,
                    end: None,
                    error: None,
                });
                readers.push(r);
            }
            Err(e) => {
                eprintln!("pxe-inspect: {e}");
                unreadable = true;
                inputs.push(InputInfo {
                    index: i,
                    path: path.clone(),
                    format: "unreadable".into(),
                    compressed: false,
                    linktypes: vec![],
                    frames: 0,
                    end: None,
                    error: Some(e.to_string()),
                });
            }
        }
    }
    (inputs, readers, unreadable)
}

/// Packet comments by (input, frame).
pub type Comments = BTreeMap<(usize, u64), Vec<String>>;

fn finding_comments(f: &crate::model::Finding, c: &mut Comments) {
    let text = format!(
        "pxe-inspect {} {}: {} | fix: {}",
        f.severity.name(),
        f.id,
        f.message,
        f.hint
    );
    for fr in &f.frames {
        let v = c.entry((fr.input, fr.frame)).or_default();
        if !v.contains(&text) {
            v.push(text.clone());
        }
    }
}

/// A summary on the session's first frame, and each finding on its evidence frames.
pub fn session_comments(s: &BootSession, c: &mut Comments) {
    let files = s.boot_files().join(", ");
    let summary = format!(
        "pxe-inspect session {}: arch {}, {}; boot file(s) {}; {} finding(s)",
        s.label(),
        render::table::arch_text(s),
        s.outcome.name(),
        if files.is_empty() {
            "-".to_string()
        } else {
            files
        },
        s.findings.len()
    );
    c.entry((s.first_frame.input, s.first_frame.frame))
        .or_default()
        .insert(0, summary);
    for f in &s.findings {
        finding_comments(f, c);
    }
}

/// Second pass over the inputs: every frame again, merged the same way, comments attached.
fn annotate(a: &AnalyzeArgs, path: &str, comments: &Comments) -> Result<u64, String> {
    let mut readers = Vec::new();
    for (i, p) in a.files.iter().enumerate() {
        if let Ok(r) = CaptureReader::open(p, i) {
            readers.push(r);
        }
    }
    let merger = Merger::new(readers);
    let mut w: Option<crate::source::writer::CaptureWriter> = None;
    let mut n = 0u64;
    let none: Vec<String> = Vec::new();
    // Same key, same pseudonyms as the first pass.
    let mut anon = a
        .anonymize
        .then(|| crate::anon::Anonymizer::new(a.anonymize_key.as_deref()));
    for mut f in merger {
        if let Some(an) = anon.as_mut() {
            an.frame(f.linktype, &mut f.data);
        }
        if w.is_none() {
            w = Some(
                crate::source::writer::CaptureWriter::create(path, f.linktype)
                    .map_err(|e| format!("{path}: {e}"))?,
            );
        }
        let Some(w) = w.as_mut() else { break };
        let mut c: Vec<String> = comments.get(&(f.input, f.number)).unwrap_or(&none).clone();
        if a.files.len() > 1 && !c.is_empty() {
            c.push(format!(
                "pxe-inspect: frame {} of input {} ({})",
                f.number,
                f.input,
                a.files.get(f.input).map(String::as_str).unwrap_or("?")
            ));
        }
        w.write_commented(f.linktype, f.ts_ns, &f.data, f.orig_len, &c)
            .map_err(|e| format!("{path}: {e}"))?;
        n += 1;
    }
    if let Some(w) = w.as_mut() {
        w.flush().map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(n)
}
