//! The one output layer every subcommand writes through (ripgrep's printer sinks are the
//! model): an [`OutputConfig`] chosen once from the flags, an [`Output`] that takes progress
//! events and closed sessions as they happen (`event`, `session`) and writes the document at
//! the end (`finish`: table, timeline, json, jsonl with its typed summary, mermaid, plus
//! `--html` and `--junit`), returning the exit code. analyze, capture, serve (through
//! capture's observer) and probe differ only in the [`Extras`] they add.

use super::json::SessionSpool;
use super::jsonl::{jsonl_line, write_jsonl_summary};
use super::live::{jsonl_record, write_closed, write_event};
use super::prerender::{Form, Prerender, Rendered};
use super::table::RowSpool;
use super::Style;
use crate::cli::{ColorChoice, DiagArgs, FailOn, Format, OutputArgs};
use crate::diag::expect::{normalize_mac, ExpectResult};
use crate::exit;
use crate::model::{BootSession, Severity};
use crate::report::Report;
use crate::session::Event;
use crate::source::rotate::Output as RotatedFiles;
use std::io::{self, IsTerminal, Write};

/// What to write and how it looks, decided once per run.
#[derive(Debug, Clone)]
pub struct OutputConfig {
    pub format: Format,
    pub style: Style,
    /// `--pxe-only` off: text and mermaid also show clients that never netbooted.
    pub all_clients: bool,
    /// `--pxe-only`: closed sessions of other clients are dropped.
    pub pxe_only: bool,
    /// `--client MAC…`, normalised: only these clients' sessions are kept.
    pub clients: Vec<String>,
    pub html: Option<String>,
    pub junit: Option<String>,
    pub fail_on: FailOn,
}

impl OutputConfig {
    pub fn from_args(o: &OutputArgs, d: &DiagArgs) -> OutputConfig {
        OutputConfig {
            format: o.format,
            style: style_for(o),
            all_clients: !o.pxe_only,
            pxe_only: o.pxe_only,
            clients: o.clients.iter().map(|m| normalize_mac(m)).collect(),
            html: o.html.clone(),
            junit: d.junit.clone(),
            fail_on: d.fail_on,
        }
    }

    /// `--pxe-only` and `--client` filters.
    pub fn keeps(&self, s: &BootSession) -> bool {
        if self.pxe_only && !s.pxe {
            return false;
        }
        if !self.clients.is_empty() {
            return s
                .client
                .mac
                .as_ref()
                .is_some_and(|m| self.clients.contains(m));
        }
        true
    }

    /// Whether stdout carries one document (json, mermaid), so live progress goes to stderr.
    pub fn progress_to_stderr(&self) -> bool {
        matches!(self.format, Format::Json | Format::Mermaid)
    }
}

/// Colour from --color / NO_COLOR / whether stdout is a terminal.
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

/// What happens to a closed session that passed the filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionPolicy {
    /// Kept for the document at the end (analyze's table, timeline, mermaid, json, --expect).
    Keep,
    /// `-f json`: kept, and past this many spooled to an unlinked temporary file (output
    /// unchanged; memory flat in the number of finished sessions).
    KeepOrSpool(usize),
    /// The table: kept, and past this many reduced to their rows and findings sections and
    /// spooled (`RowSpool`); `multi` says whether frame references name their input.
    KeepOrRows { after: usize, multi: bool },
    /// `-f jsonl`: written as a line now and not kept; only the worst severity is (exit code).
    /// `flush_each`: each line is flushed as it is written (input from a pipe or device, where
    /// a reader waits for it); from regular files the 64 KiB buffer decides, which saved a
    /// write per session (a tenth of a boot storm's run).
    Stream { flush_each: bool },
    /// capture/serve: a progress line (or jsonl record) now; the last this many kept for the
    /// end's document, unless the format streams and nothing at the end needs them.
    Live { keep_last: usize, stream_only: bool },
}

/// A run's output: closed sessions go in as they happen, the document comes out at the end.
pub struct Output {
    pub cfg: OutputConfig,
    policy: SessionPolicy,
    kept: Vec<BootSession>,
    spool: Option<SessionSpool>,
    rows: Option<RowSpool>,
    /// `session` lines written so far (the jsonl summary's `sessions`, CONTRACT.md).
    lines: u64,
    /// The worst finding of sessions written and not kept.
    worst_streamed: Option<Severity>,
    /// Streamed jsonl lines and spooled json sessions are serialised on a second thread
    /// (started at the first such session).
    pre: Option<Prerender>,
}

/// Writes something above the table or timeline.
pub type Preamble<'a> = Box<dyn FnOnce(&mut dyn Write) -> io::Result<()> + 'a>;

/// What a subcommand adds to the common document.
#[derive(Default)]
pub struct Extras<'a> {
    /// Records written before the findings in `-f jsonl` (probe's `probe-client` lines).
    pub jsonl_records: Vec<(&'static str, serde_json::Value)>,
    /// A key on the jsonl summary line (capture's `pcap`, probe's `probe`).
    pub summary_key: Option<(&'static str, serde_json::Value)>,
    /// A key added to the `-f json` document (probe's `probe`).
    pub json_key: Option<(&'static str, serde_json::Value)>,
    /// Written before the table or timeline (probe's client table).
    pub text_preamble: Option<Preamble<'a>>,
    /// A blank line before the table or timeline (capture: after the progress lines).
    pub blank_before_text: bool,
    /// `--expect` results: JUnit test cases.
    pub expects: &'a [ExpectResult],
    /// With rotated `-w` files, frame references in json also name their file.
    pub files: Option<&'a RotatedFiles>,
    /// The run failed on its own terms (probe: a client did not boot) → exit 1 unless
    /// `--fail-on never`.
    pub failed: bool,
    /// An input could not be read at all → exit 2.
    pub unreadable: bool,
}

fn is_broken_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

impl Output {
    pub fn new(cfg: OutputConfig, policy: SessionPolicy) -> Output {
        Output {
            cfg,
            policy,
            kept: Vec::new(),
            spool: None,
            rows: None,
            lines: 0,
            worst_streamed: None,
            pre: None,
        }
    }

    fn prerender(&mut self, form: Form) -> io::Result<&mut Prerender> {
        let pre = match self.pre.take() {
            Some(pre) => pre,
            None => Prerender::spawn(form)?,
        };
        Ok(self.pre.insert(pre))
    }

    /// Write (jsonl) or spool (json) sessions the rendering thread has serialised.
    fn take_rendered(&mut self, out: &mut dyn Write, ready: Vec<Rendered>) -> io::Result<()> {
        for r in ready {
            self.note_severity(r.worst);
            match &mut self.spool {
                Some(sp) => sp.push_rendered(r.first_frame, &r.bytes)?,
                None => {
                    out.write_all(&r.bytes)?;
                    self.lines += 1;
                }
            }
        }
        Ok(())
    }

    /// Everything still with the rendering thread, written or spooled.
    fn drain_rendered(&mut self, out: &mut dyn Write) -> io::Result<()> {
        match self.pre.as_mut() {
            Some(pre) => {
                let rest = pre.finish()?;
                self.pre = None;
                self.take_rendered(out, rest)
            }
            None => Ok(()),
        }
    }

    /// A progress event (capture/serve), as a text line or a jsonl `event` record.
    pub fn event(
        &mut self,
        out: &mut dyn Write,
        e: &Event,
        files: Option<&RotatedFiles>,
    ) -> io::Result<()> {
        write_event(out, e, &self.cfg.style, self.cfg.format, files)
    }

    /// A closed session that passed the filters ([`OutputConfig::keeps`]); `out` is where live
    /// progress goes (stdout or stderr).
    pub fn session(
        &mut self,
        out: &mut dyn Write,
        s: BootSession,
        files: Option<&RotatedFiles>,
    ) -> io::Result<()> {
        match self.policy {
            SessionPolicy::Keep => self.kept.push(s),
            SessionPolicy::KeepOrSpool(after) => {
                if self.spool.is_none() && self.kept.len() >= after {
                    let mut sp = SessionSpool::new()?;
                    let kept = std::mem::take(&mut self.kept);
                    for k in &kept {
                        sp.push(k)?;
                        self.note_worst(k);
                    }
                    self.spool = Some(sp);
                }
                // Spooled sessions are not in the report's `sessions`: their worst finding
                // still decides the exit code (take_rendered notes it).
                if self.spool.is_some() {
                    let ready = self.prerender(Form::JsonFragment)?.push(s)?;
                    self.take_rendered(out, ready)?;
                } else {
                    self.kept.push(s);
                }
            }
            SessionPolicy::KeepOrRows { after, multi } => {
                let style = self.cfg.style;
                if self.rows.is_none() && self.kept.len() >= after {
                    let mut rows = RowSpool::new(self.cfg.all_clients, multi)?;
                    let mut kept = std::mem::take(&mut self.kept);
                    // Spooled in first-frame order like the kept ones are drawn.
                    kept.sort_by_key(|k| k.first_frame);
                    for k in &kept {
                        rows.push(k, &style)?;
                        self.note_worst(k);
                    }
                    self.rows = Some(rows);
                }
                match &mut self.rows {
                    Some(rows) => {
                        rows.push(&s, &style)?;
                        self.note_worst(&s);
                    }
                    None => self.kept.push(s),
                }
            }
            SessionPolicy::Stream { flush_each: true } => {
                jsonl_line(out, "session", &s)?;
                self.lines += 1;
                self.note_worst(&s);
                out.flush()?;
            }
            SessionPolicy::Stream { flush_each: false } => {
                let ready = self.prerender(Form::JsonlLine)?.push(s)?;
                self.take_rendered(out, ready)?;
            }
            SessionPolicy::Live {
                keep_last,
                stream_only,
            } => {
                write_closed(out, &s, &self.cfg.style, self.cfg.format, files)?;
                if self.cfg.format == Format::Jsonl {
                    self.lines += 1;
                }
                out.flush()?;
                if stream_only {
                    self.note_worst(&s);
                } else {
                    if self.kept.len() >= keep_last {
                        self.kept.remove(0); // long runs: the summary shows the latest
                    }
                    self.kept.push(s);
                }
            }
        }
        Ok(())
    }

    /// A session still open when a live run stops: a jsonl record (no progress line), kept for
    /// the end's document whatever the policy.
    pub fn final_session(
        &mut self,
        out: &mut dyn Write,
        s: BootSession,
        files: Option<&RotatedFiles>,
    ) -> io::Result<()> {
        if self.cfg.format == Format::Jsonl {
            jsonl_record(out, "session", &s, files)?;
            self.lines += 1;
        }
        self.kept.push(s);
        Ok(())
    }

    fn note_worst(&mut self, s: &BootSession) {
        self.note_severity(s.worst_severity());
    }

    fn note_severity(&mut self, worst: Option<Severity>) {
        self.worst_streamed = self.worst_streamed.max(worst);
    }

    /// The sessions kept so far (for `--expect`, which marks them, and the document).
    pub fn kept_mut(&mut self) -> &mut Vec<BootSession> {
        &mut self.kept
    }

    /// The kept sessions in first-frame order, for the document's `sessions`.
    pub fn take_sessions(&mut self) -> Vec<BootSession> {
        let mut v = std::mem::take(&mut self.kept);
        v.sort_by_key(|s| s.first_frame);
        v
    }

    /// Writes the document in the chosen format (and `--html`, `--junit`) and gives the exit
    /// code (CONTRACT.md): 2 for an unreadable input, 1 for a finding at or above --fail-on
    /// (kept or streamed) or a run failed on its own terms, else 0. A reader that went away
    /// (broken pipe) is not an error.
    pub fn finish(mut self, out: &mut dyn Write, r: &Report, mut x: Extras) -> Result<i32, String> {
        if let Some(path) = &self.cfg.html {
            super::html::write_file(path, r)?;
        }
        if let Err(e) = self.drain_rendered(out) {
            if !is_broken_pipe(&e) {
                return Err(format!("writing output: {e}"));
            }
        }
        let spool = self.spool.take();
        if let Err(e) = self.write_document(out, r, spool, &mut x) {
            if !is_broken_pipe(&e) {
                return Err(format!("writing output: {e}"));
            }
        }
        let _ = out.flush();
        if let Some(path) = &self.cfg.junit {
            std::fs::write(path, super::junit::junit(r, x.expects, self.cfg.fail_on))
                .map_err(|e| format!("{path}: {e}"))?;
        }
        Ok(self.exit_code(r, &x))
    }

    fn write_document(
        &mut self,
        out: &mut dyn Write,
        r: &Report,
        spool: Option<SessionSpool>,
        x: &mut Extras,
    ) -> io::Result<()> {
        let all = self.cfg.all_clients;
        let style = self.cfg.style;
        let style = &style;
        let text = |out: &mut dyn Write, x: &mut Extras| -> io::Result<()> {
            if let Some(p) = x.text_preamble.take() {
                p(out)?;
            }
            if x.blank_before_text {
                writeln!(out)?;
            }
            Ok(())
        };
        match self.cfg.format {
            Format::Table => {
                text(out, x)?;
                match self.rows.take() {
                    Some(rows) => rows.write(out, r, style),
                    None => super::table::write(out, r, style, all),
                }
            }
            Format::Timeline => {
                text(out, x)?;
                super::timeline::write(out, r, style, all)
            }
            Format::Mermaid => super::mermaid::write(out, r, all),
            Format::Json => match (spool, &x.json_key, x.files.filter(|f| f.multi())) {
                (Some(sp), None, None) => sp.write_json(out, r),
                (None, None, None) => super::json::write_json(out, r),
                (spool, key, files) => {
                    // A document with more than the schema (probe's key, rotated file names):
                    // through a Value, then the same pretty printer.
                    drop(spool);
                    let mut v = serde_json::to_value(r).map_err(io::Error::other)?;
                    if let Some(f) = files {
                        f.annotate(&mut v);
                    }
                    if let (Some((k, val)), serde_json::Value::Object(m)) = (key, &mut v) {
                        m.insert(k.to_string(), val.clone());
                    }
                    serde_json::to_writer_pretty(&mut *out, &v).map_err(io::Error::other)?;
                    writeln!(out)
                }
            },
            Format::Jsonl => {
                for (kind, v) in &x.jsonl_records {
                    jsonl_line(out, kind, v)?;
                }
                // Live runs wrote each session as it closed; the others write the kept ones now.
                if !matches!(self.policy, SessionPolicy::Live { .. }) {
                    for s in &r.sessions {
                        jsonl_record(out, "session", s, x.files)?;
                        self.lines += 1;
                    }
                }
                for f in &r.findings {
                    jsonl_line(out, "finding", f)?;
                }
                write_jsonl_summary(out, r, self.lines, x.summary_key.clone())
            }
        }
    }

    fn exit_code(&self, r: &Report, x: &Extras) -> i32 {
        if x.unreadable {
            return exit::USAGE;
        }
        let Some(min) = self.cfg.fail_on.min_severity() else {
            return exit::OK;
        };
        let any = r
            .findings
            .iter()
            .chain(r.sessions.iter().flat_map(|s| s.findings.iter()))
            .any(|f| f.severity >= min);
        if any || self.worst_streamed.is_some_and(|w| w >= min) || x.failed {
            exit::FINDINGS
        } else {
            exit::OK
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{tool_version, SCHEMA};
    use crate::synth::{analyzed_sessions, StormConfig};

    /// Sessions from a small synthetic storm (synth's in-memory clients and servers), a third
    /// of them sent to faulty servers: real findings of every severity.
    fn storm(tag: &str) -> Vec<BootSession> {
        let dir = std::env::temp_dir().join(format!("pxe-sink-{tag}-{}", std::process::id()));
        let cfg = StormConfig {
            seed: 5,
            clients: 12,
            rate: 40.0,
            fail_percent: 35,
            bios_file_bytes: 4_000,
            efi_file_bytes: 6_000,
            ..StormConfig::default()
        };
        analyzed_sessions(cfg, &dir).expect("storm")
    }

    fn cfg(format: Format, fail_on: FailOn) -> OutputConfig {
        OutputConfig {
            format,
            style: Style {
                color: false,
                absolute_time: false,
            },
            all_clients: true,
            pxe_only: false,
            clients: vec![],
            html: None,
            junit: None,
            fail_on,
        }
    }

    fn report(sessions: Vec<BootSession>) -> Report {
        Report {
            schema: SCHEMA,
            tool: tool_version(),
            inputs: vec![],
            sessions,
            findings: vec![],
            stats: Default::default(),
        }
    }

    /// Run `sessions` through an Output with `policy`; (stdout bytes, exit code).
    fn run(
        format: Format,
        fail_on: FailOn,
        policy: SessionPolicy,
        sessions: &[BootSession],
    ) -> (Vec<u8>, i32) {
        let mut o = Output::new(cfg(format, fail_on), policy);
        let mut out = Vec::new();
        for s in sessions {
            o.session(&mut out, s.clone(), None).expect("session");
        }
        let r = report(o.take_sessions());
        let code = o.finish(&mut out, &r, Extras::default()).expect("finish");
        (out, code)
    }

    #[test]
    fn spooled_table_rows_are_the_kept_table() {
        let ss = storm("rows");
        let (kept, code) = run(Format::Table, FailOn::Error, SessionPolicy::Keep, &ss);
        for after in [0, 3, ss.len() - 1] {
            let (rows, rows_code) = run(
                Format::Table,
                FailOn::Error,
                SessionPolicy::KeepOrRows {
                    after,
                    multi: false,
                },
                &ss,
            );
            assert!(
                kept == rows,
                "after {after}:\n{}\nvs\n{}",
                String::from_utf8_lossy(&kept),
                String::from_utf8_lossy(&rows)
            );
            assert_eq!(code, rows_code);
        }
    }

    #[test]
    fn streamed_sessions_decide_the_exit_code_and_the_summary_count() {
        let ss = storm("stream");
        assert!(ss
            .iter()
            .any(|s| s.findings.iter().any(|f| f.severity == Severity::Error)));
        let (out, code) = run(
            Format::Jsonl,
            FailOn::Error,
            SessionPolicy::Stream { flush_each: true },
            &ss,
        );
        assert_eq!(
            code,
            exit::FINDINGS,
            "an error streamed past is still an error"
        );
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
            .collect();
        let sessions = lines.iter().filter(|v| v["type"] == "session").count();
        let summary = lines.last().expect("summary");
        assert_eq!(summary["type"], "summary");
        assert_eq!(summary["schema"], crate::report::JSONL_SCHEMA);
        assert_eq!(summary["sessions"], sessions as u64);
        assert_eq!(sessions, ss.len());
        // The same sessions kept and written at the end: the same lines, the same code.
        let (kept, kept_code) = run(Format::Jsonl, FailOn::Error, SessionPolicy::Keep, &ss);
        assert_eq!(kept_code, code);
        assert_eq!(
            String::from_utf8(kept).expect("utf-8").lines().count(),
            lines.len()
        );
        let (_, never) = run(
            Format::Jsonl,
            FailOn::Never,
            SessionPolicy::Stream { flush_each: true },
            &ss,
        );
        assert_eq!(never, exit::OK);
    }

    #[test]
    fn spooled_json_is_the_kept_json_and_exit_codes_agree_across_formats() {
        let ss = storm("spool");
        let (kept, code) = run(Format::Json, FailOn::Error, SessionPolicy::Keep, &ss);
        let (spooled, spool_code) = run(
            Format::Json,
            FailOn::Error,
            SessionPolicy::KeepOrSpool(3),
            &ss,
        );
        assert!(kept == spooled, "{} vs {} bytes", kept.len(), spooled.len());
        assert_eq!(code, spool_code);
        for f in [Format::Table, Format::Timeline, Format::Mermaid] {
            assert_eq!(
                run(f, FailOn::Error, SessionPolicy::Keep, &ss).1,
                code,
                "{f:?}"
            );
        }
    }

    #[test]
    fn live_runs_keep_the_latest_sessions_only() {
        let ss = storm("live");
        let mut o = Output::new(
            cfg(Format::Table, FailOn::Never),
            SessionPolicy::Live {
                keep_last: 4,
                stream_only: false,
            },
        );
        let mut out = Vec::new();
        for s in &ss {
            o.session(&mut out, s.clone(), None).expect("session");
        }
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(
            text.matches("session closed").count(),
            ss.len(),
            "a line per session"
        );
        assert_eq!(o.kept_mut().len(), 4.min(ss.len()));
        let last = ss.last().map(|s| s.first_frame);
        assert_eq!(o.kept_mut().last().map(|s| s.first_frame), last);
    }
}
