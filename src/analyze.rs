//! `pxe-inspect analyze`: the thin edge that opens files, drives the pipeline and renders.

use crate::ci;
use crate::cli::{AnalyzeArgs, ColorChoice, ExplainArgs, Format, OutputArgs};
use crate::diag::{registry, DiagConfig};
use crate::exit;
use crate::model::BootSession;
use crate::pipeline::Pipeline;
use crate::render::{self, Style};
use crate::report::{self, InputInfo, Report};
use crate::session::TrackerConfig;
use crate::source::file::FrameMeta;
use crate::source::{CaptureReader, Merger};
use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};

pub fn style_for(o: &OutputArgs) -> Style {
    let color = match o.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
        }
    };
    Style {
        color,
        absolute_time: o.absolute_time,
    }
}

pub fn keep_session(o: &OutputArgs, s: &BootSession) -> bool {
    if o.pxe_only && !s.pxe {
        return false;
    }
    if !o.clients.is_empty() {
        let want: Vec<String> = o.clients.iter().map(|m| ci::normalize_mac(m)).collect();
        return s.client.mac.as_ref().is_some_and(|m| want.contains(m));
    }
    true
}

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

pub fn run(a: &AnalyzeArgs) -> i32 {
    // Block-buffered: stdout's line buffering cost a write per line (streamed jsonl sessions
    // still flush one by one).
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    match run_inner(a, &mut out) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pxe-inspect: {e}");
            exit::USAGE
        }
    }
}

pub fn jsonl_line(w: &mut dyn Write, kind: &str, v: impl serde::Serialize) -> io::Result<()> {
    // `{"type":KIND,` + the object's own fields: serialising straight to bytes instead of
    // through serde_json::Value (a BTreeMap per object) halved the cost of -f jsonl.
    let body = serde_json::to_vec(&v).map_err(io::Error::other)?;
    match body.split_first() {
        Some((b'{', rest)) => {
            w.write_all(b"{\"type\":")?;
            serde_json::to_writer(&mut *w, kind).map_err(io::Error::other)?;
            if rest != b"}" {
                w.write_all(b",")?;
            }
            w.write_all(rest)?;
        }
        _ => {
            serde_json::to_writer(&mut *w, &serde_json::json!({"type": kind, "value": serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default()})).map_err(io::Error::other)?;
        }
    }
    w.write_all(b"\n")
}

pub fn run_inner(a: &AnalyzeArgs, out: &mut dyn Write) -> Result<i32, String> {
    if a.files.iter().filter(|f| *f == "-").count() > 1 {
        return Err("standard input (-) can be given only once".into());
    }
    // Also refuses NaN (which every comparison says no to).
    if a.idle_timeout.is_nan() || a.idle_timeout <= 0.0 {
        return Err("--idle-timeout must be a positive number of seconds".into());
    }
    let diag = diag_config(&a.diag)?;
    let expects = match &a.diag.expect {
        Some(p) => Some(ci::load(p)?),
        None => None,
    };
    let style = style_for(&a.output);
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
    let since = bound(&a.output.since, "--since")?;
    let until = bound(&a.output.until, "--until")?;
    // Started before the first frame: a bad --sink URL is a usage error, not a late surprise.
    let sink = crate::sink::from_args(&a.sink, a.sensor.as_deref(), false)?;
    let mut inputs = Vec::new();
    let mut readers = Vec::new();
    let mut unreadable = false;
    for (i, path) in a.files.iter().enumerate() {
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
    let mut tcfg = TrackerConfig {
        idle_timeout_ns: (a.idle_timeout * 1e9) as i64,
        sensor: a.sensor.clone(),
        ..Default::default()
    };
    tcfg.tftp_ports.extend(a.tftp_port.iter().copied());
    let mut pipe = Pipeline::new(tcfg, diag.clone());
    let stream = a.output.format == Format::Jsonl && expects.is_none();
    // Session lines written while streaming: the summary's `sessions` (CONTRACT: the number of
    // session lines), not the sessions seen (filters such as --pxe-only drop some).
    let streamed = std::cell::Cell::new(0u64);
    let mut sessions: Vec<BootSession> = Vec::new();
    // -f json with nothing else that needs the sessions themselves: past SPOOL_AFTER closed
    // sessions, they go to a spool file (memory stays flat however many clients a capture has).
    const SPOOL_AFTER: usize = 2048;
    let spool_ok = a.output.format == Format::Json
        && expects.is_none()
        && a.output.html.is_none()
        && std::env::var_os("PXE_INSPECT_NO_SPOOL").is_none();
    let mut spool: Option<report::SessionSpool> = None;
    let mut merger = Merger::new(readers);
    let mut comments: Comments = BTreeMap::new();
    let annotating = a.annotate.is_some();
    let emit = |s: BootSession,
                sessions: &mut Vec<BootSession>,
                spool: &mut Option<report::SessionSpool>,
                comments: &mut Comments,
                out: &mut dyn Write|
     -> io::Result<()> {
        if !keep_session(&a.output, &s) {
            return Ok(());
        }
        if annotating {
            session_comments(&s, comments);
        }
        if let Some(k) = &sink {
            k.push(&s);
        }
        if spool_ok && (spool.is_some() || sessions.len() >= SPOOL_AFTER) {
            let sp = match spool {
                Some(sp) => sp,
                None => {
                    let mut sp = report::SessionSpool::new()?;
                    for k in sessions.drain(..) {
                        sp.push(&k)?;
                    }
                    spool.insert(sp)
                }
            };
            return sp.push(&s);
        }
        if stream {
            jsonl_line(out, "session", &s)?;
            streamed.set(streamed.get() + 1);
            out.flush()?;
        } else {
            sessions.push(s);
        }
        Ok(())
    };
    let io_err = |e: io::Error| e.to_string();
    let total_bytes: u64 = a
        .files
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
            emit(s, &mut sessions, &mut spool, &mut comments, out).map_err(io_err)?;
        }
        Ok(())
    };
    match merger.reader_mut(0) {
        // One input, frames untouched: read them in place, without a copy per frame.
        Some(r) if a.files.len() == 1 && anon.is_none() => {
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
            while let Some(mut f) = merger.next() {
                if let Some(an) = anon.as_mut() {
                    an.frame(f.linktype, &mut f.data);
                }
                step(&f.meta(), &f.data)?;
                merger.recycle(f);
            }
        }
    }
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
            failed = emit(s, &mut sessions, &mut spool, &mut comments, out).err();
        }
    });
    if let Some(e) = failed {
        return Err(io_err(e));
    }
    sessions.sort_by_key(|s| s.first_frame);
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
    let mut findings = report::capture_findings(&inputs, &pipe.stats);
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
    if let Some(path) = &a.output.html {
        if stream {
            eprintln!("pxe-inspect: --html with -f jsonl: sessions were streamed, the report shows none (use -f json or table)");
        }
        render::html::write_file(path, &r)?;
    }
    let res = match a.output.format {
        Format::Table => render::table::write(out, &r, &style, !a.output.pxe_only),
        Format::Timeline => render::timeline::write(out, &r, &style, !a.output.pxe_only),
        Format::Mermaid => render::mermaid::write(out, &r, !a.output.pxe_only),
        Format::Json => match spool.take() {
            Some(sp) => sp.write_json(out, &r),
            None => report::write_json(out, &r),
        },
        Format::Jsonl => (|| {
            if !stream {
                for s in &r.sessions {
                    jsonl_line(out, "session", s)?;
                }
            }
            for f in &r.findings {
                jsonl_line(out, "finding", f)?;
            }
            let written = if stream {
                streamed.get()
            } else {
                r.sessions.len() as u64
            };
            report::write_jsonl_summary(out, &r, written, None)
        })(),
    };
    if let Err(e) = res {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(format!("writing output: {e}"));
        }
    }
    let _ = out.flush();
    if let Some(path) = &a.diag.junit {
        std::fs::write(path, ci::junit(&r, &expect_results, a.diag.fail_on))
            .map_err(|e| format!("{path}: {e}"))?;
    }
    let code = if unreadable {
        exit::USAGE
    } else {
        ci::exit_code(&r, a.diag.fail_on)
    };
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

pub fn explain(e: &ExplainArgs) -> i32 {
    let mut out = io::stdout().lock();
    if e.markdown {
        let _ = write!(out, "{}", registry::markdown_table());
        return exit::OK;
    }
    match &e.what {
        None => {
            for r in registry::RULES {
                let _ = writeln!(out, "{:<28} {:<8} {}", r.id, r.severity.name(), r.trigger);
            }
            exit::OK
        }
        Some(w) => {
            if let Some(r) = registry::rule(w) {
                let _ = write_rule(&mut out, r);
                return exit::OK;
            }
            let screens = crate::diag::screens::lookup(w);
            let hits = registry::by_screen(w);
            if screens.is_empty() && hits.is_empty() {
                eprintln!("pxe-inspect: `{w}` is neither a finding ID nor a known firmware message (PXE-Exx, an iPXE error code, a screen text); `pxe-inspect explain` lists the IDs");
                return exit::USAGE;
            }
            // What the message means, then the findings that point at its cause. A message
            // that maps to no finding still gets its meaning (exit 0).
            let mut ids: Vec<&str> = Vec::new();
            for h in &screens {
                let _ = write_screen_hit(&mut out, h, &mut ids);
            }
            if screens.is_empty() {
                ids.extend(hits.iter().map(|r| r.id));
            }
            let rules: Vec<&registry::RuleDoc> =
                ids.iter().filter_map(|i| registry::rule(i)).collect();
            if rules.is_empty() {
                let _ = writeln!(
                    out,
                    "No finding of pxe-inspect points at this; the meaning above is what is known."
                );
                return exit::OK;
            }
            let _ = writeln!(
                out,
                "`{w}` on the client's screen points to these findings:\n"
            );
            for r in rules {
                let _ = write_rule(&mut out, r);
                let _ = writeln!(out);
            }
            exit::OK
        }
    }
}

fn write_screen_hit<'a>(
    out: &mut dyn Write,
    h: &crate::diag::screens::Hit,
    ids: &mut Vec<&'a str>,
) -> io::Result<()>
where
    'static: 'a,
{
    use crate::diag::screens::Hit;
    let mut add = |fs: &'static [&'static str]| {
        for f in fs {
            if !ids.contains(f) {
                ids.push(f);
            }
        }
    };
    match h {
        Hit::Pxe(p) => {
            writeln!(out, "{}: {}", p.code, p.meaning)?;
            add(p.findings);
        }
        Hit::Ipxe(e) => {
            writeln!(out, "iPXE error {:08x}: {}", e.code, e.strerror())?;
            writeln!(out, "  class: {} ({})", e.class, e.posix)?;
            if let Some(f) = e.file {
                writeln!(
                    out,
                    "  raised in: {f} (iPXE source), uniquifier {}",
                    e.line_uniq
                )?;
            }
            if let Some(d) = e.detail() {
                writeln!(out, "  detail: {d}")?;
            }
            if let Some(p) = e.platform_status() {
                writeln!(out, "  firmware status: {p}")?;
            }
            add(e.findings);
        }
        Hit::Screen(t) => {
            writeln!(out, "\"{}\": {}", t.text, t.meaning)?;
            add(t.findings);
        }
    }
    writeln!(out)
}

fn write_rule(out: &mut dyn Write, r: &registry::RuleDoc) -> io::Result<()> {
    writeln!(out, "{} [{}]", r.id, r.severity.name())?;
    writeln!(out, "  when: {}", r.trigger)?;
    writeln!(out, "  fix:  {}", r.fix)?;
    if !r.screen.is_empty() {
        writeln!(out, "  seen on screen as: {}", r.screen.join(", "))?;
    }
    Ok(())
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
