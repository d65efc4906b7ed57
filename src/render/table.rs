//! The default view: one row per client, then the findings.

use super::{frames_text, Style};
use crate::model::*;
use crate::report::Report;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use std::io::{self, Write};

fn human_bytes(b: u64) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64)
    } else if b >= 1024 {
        format!("{:.1} KiB", b as f64 / 1024.0)
    } else {
        format!("{b} B")
    }
}

pub fn arch_text(s: &BootSession) -> String {
    match s.client.arch.code {
        Some(c) => format!("{c} {}", s.client.arch.name()),
        None => "?".into(),
    }
}

fn servers(s: &BootSession) -> String {
    let mut v: Vec<String> = Vec::new();
    for st in &s.stages {
        for o in &st.offers {
            let tag = match o.kind {
                OfferKind::Proxy => format!("{} (proxy)", o.server),
                OfferKind::BootServer => format!("{} (4011)", o.server),
                OfferKind::Dhcpv6 => format!("{} (v6)", o.server),
                _ => o.server.to_string(),
            };
            if !v.contains(&tag) {
                v.push(tag);
            }
        }
    }
    if v.len() > 4 {
        let more = v.len() - 3;
        v.truncate(3);
        v.push(format!("… {more} more"));
    }
    v.join("\n")
}

const HEADER: [&str; 9] = [
    "client",
    "arch",
    "ip",
    "servers",
    "boot file(s)",
    "transfers",
    "duration",
    "outcome",
    "findings",
];

/// One session's cells in the table, each possibly several lines.
fn row_cells(s: &BootSession, style: &Style) -> [String; 9] {
    let files = s.boot_files();
    let done = s.tftp.iter().filter(|x| x.ok()).count()
        + s.http
            .iter()
            .filter(|h| h.status == TransferStatus::Complete)
            .count();
    let n = s.tftp.len() + s.http.len();
    let bytes = s.tftp_bytes() + s.http.iter().map(|h| h.bytes).sum::<u64>();
    let tftp = if n == 0 {
        "-".to_string()
    } else {
        format!("{done}/{n} files\n{}", human_bytes(bytes))
    };
    let (e, w) = (
        s.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        s.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count(),
    );
    let i = s.findings.len() - e - w;
    let mut label = s.label();
    if s.client.ipxe {
        label.push_str("\niPXE");
    }
    [
        label,
        arch_text(s),
        s.ip.map(|i| i.to_string()).unwrap_or_else(|| "-".into()),
        servers(s),
        if files.is_empty() {
            "-".into()
        } else {
            files.join("\n")
        },
        tftp,
        format!("{:.1} s", s.duration_s),
        style.outcome(s.outcome),
        if s.findings.is_empty() {
            "-".into()
        } else {
            format!("{e} error\n{w} warning\n{i} info")
        },
    ]
}

pub fn session_table(sessions: &[&BootSession], style: &Style) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t.set_header(HEADER.to_vec());
    for s in sessions {
        t.add_row(row_cells(s, style).map(Cell::new).to_vec());
    }
    t
}

/// The session's "Findings for …" section (empty without findings).
fn session_findings(
    w: &mut dyn Write,
    s: &BootSession,
    style: &Style,
    multi: bool,
) -> io::Result<()> {
    let f: Vec<&Finding> = s.findings.iter().collect();
    write_findings(
        w,
        &format!("Findings for {} ({})", s.label(), style.outcome(s.outcome)),
        &f,
        style,
        multi,
    )
}

/// A spooled record: nine length-prefixed cells, then the findings section.
fn split_record(buf: &[u8]) -> (Vec<&str>, &[u8]) {
    let mut cells = Vec::with_capacity(9);
    let mut at = 0;
    for _ in 0..9 {
        let n = buf
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, |b| u32::from_le_bytes(b) as usize);
        let text = buf.get(at + 4..at + 4 + n).unwrap_or(&[]);
        cells.push(std::str::from_utf8(text).unwrap_or("?"));
        at = (at + 4 + n).min(buf.len());
    }
    (cells, &buf[at..])
}

/// The table for captures with more sessions than are worth keeping: each session is reduced
/// to its cells and findings section as it closes and spooled to an unlinked temporary file;
/// only (first frame, offset, length) stays in memory, 32 bytes a session. At the end the rows
/// are drawn by hand in first-frame order, byte for byte what comfy-table draws with
/// `UTF8_FULL_CONDENSED` where it does not wrap (output not a terminal, no colour: the only
/// case this is used in; tested against the kept path).
pub struct RowSpool {
    file: io::BufWriter<std::fs::File>,
    len: u64,
    index: Vec<(FrameRef, u64, u32)>,
    widths: [usize; 9],
    hidden: usize,
    show_not_pxe: bool,
    multi: bool,
    buf: Vec<u8>,
}

impl RowSpool {
    pub fn new(show_not_pxe: bool, multi: bool) -> io::Result<RowSpool> {
        Ok(RowSpool {
            file: io::BufWriter::with_capacity(64 << 10, crate::spool::unlinked_temp_file()?),
            len: 0,
            index: Vec::new(),
            widths: HEADER.map(|h| unicode_width::UnicodeWidthStr::width(h) + 2),
            hidden: 0,
            show_not_pxe,
            multi,
            buf: Vec::new(),
        })
    }

    pub fn push(&mut self, s: &BootSession, style: &Style) -> io::Result<()> {
        if !(self.show_not_pxe || s.pxe) {
            self.hidden += 1;
            return Ok(());
        }
        self.buf.clear();
        for (c, cell) in row_cells(s, style).iter().enumerate() {
            for line in cell.split('\n') {
                self.widths[c] =
                    self.widths[c].max(unicode_width::UnicodeWidthStr::width(line) + 2);
            }
            // Length-prefixed: a cell's text (a hostname) may hold any byte.
            self.buf
                .extend_from_slice(&(cell.len() as u32).to_le_bytes());
            self.buf.extend_from_slice(cell.as_bytes());
        }
        session_findings(&mut self.buf, s, style, self.multi)?;
        self.file.write_all(&self.buf)?;
        self.index
            .push((s.first_frame, self.len, self.buf.len() as u32));
        self.len += self.buf.len() as u64;
        Ok(())
    }

    fn rule(
        widths: &[usize; 9],
        w: &mut dyn Write,
        left: char,
        fill: char,
        mid: char,
        right: char,
    ) -> io::Result<()> {
        let mut line = String::new();
        line.push(left);
        for (c, width) in widths.iter().enumerate() {
            if c > 0 {
                line.push(mid);
            }
            line.extend(std::iter::repeat_n(fill, *width));
        }
        line.push(right);
        writeln!(w, "{line}")
    }

    fn row(widths: &[usize; 9], w: &mut dyn Write, cells: &[&str]) -> io::Result<()> {
        let lines: Vec<Vec<&str>> = cells.iter().map(|c| c.split('\n').collect()).collect();
        let height = lines.iter().map(Vec::len).max().unwrap_or(1);
        let mut out = String::new();
        for l in 0..height {
            out.push('│');
            for (c, cell) in lines.iter().enumerate() {
                if c > 0 {
                    out.push('┆');
                }
                let text = cell.get(l).copied().unwrap_or("");
                out.push(' ');
                out.push_str(text);
                let used = unicode_width::UnicodeWidthStr::width(text) + 1;
                out.extend(std::iter::repeat_n(' ', widths[c].saturating_sub(used)));
            }
            out.push_str("│\n");
        }
        w.write_all(out.as_bytes())
    }

    /// `write` for a report whose sessions are the spooled ones (`r.sessions` is empty).
    pub fn write(self, w: &mut dyn Write, r: &Report, style: &Style) -> io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let RowSpool {
            file,
            mut index,
            widths,
            hidden,
            multi,
            ..
        } = self;
        index.sort_by_key(|(f, _, _)| *f);
        let mut file = file.into_inner().map_err(|e| e.into_error())?;
        let mut w = io::BufWriter::with_capacity(256 << 10, w);
        let files: Vec<&str> = r.inputs.iter().map(|i| i.path.as_str()).collect();
        writeln!(
            w,
            "{} — {} frames, {} client session(s){}",
            files.join(", "),
            r.stats.frames,
            index.len(),
            if hidden > 0 {
                format!(" ({hidden} non-PXE hidden)")
            } else {
                String::new()
            }
        )?;
        let mut buf = Vec::new();
        let mut read = |off: u64, len: u32, buf: &mut Vec<u8>| -> io::Result<()> {
            buf.resize(len as usize, 0);
            file.seek(SeekFrom::Start(off))?;
            file.read_exact(buf)
        };
        if !index.is_empty() {
            Self::rule(&widths, &mut w, '┌', '─', '┬', '┐')?;
            Self::row(&widths, &mut w, &HEADER)?;
            Self::rule(&widths, &mut w, '╞', '═', '╪', '╡')?;
            for &(_, off, len) in &index {
                read(off, len, &mut buf)?;
                let (cells, _) = split_record(&buf);
                Self::row(&widths, &mut w, &cells)?;
            }
            Self::rule(&widths, &mut w, '└', '─', '┴', '┘')?;
        }
        for &(_, off, len) in &index {
            read(off, len, &mut buf)?;
            let (_, findings) = split_record(&buf);
            w.write_all(findings)?;
        }
        let cw: Vec<&Finding> = r.findings.iter().collect();
        write_findings(&mut w, "Capture findings", &cw, style, multi)?;
        write_decode_notes(&mut w, r, style)?;
        w.flush()
    }
}

pub fn write_findings(
    w: &mut dyn Write,
    title: &str,
    findings: &[&Finding],
    style: &Style,
    multi: bool,
) -> io::Result<()> {
    if findings.is_empty() {
        return Ok(());
    }
    writeln!(w, "\n{}", style.bold(title))?;
    for f in findings {
        writeln!(
            w,
            "  {} {} [{}]",
            style.sev(f.severity),
            style.bold(&f.id),
            frames_text(&f.frames, multi)
        )?;
        writeln!(w, "      {}", f.message)?;
        writeln!(w, "      {} {}", style.dim("fix:"), f.hint)?;
    }
    Ok(())
}

pub fn write(w: &mut dyn Write, r: &Report, style: &Style, show_not_pxe: bool) -> io::Result<()> {
    let multi = r.inputs.len() > 1;
    let shown: Vec<&BootSession> = r
        .sessions
        .iter()
        .filter(|s| show_not_pxe || s.pxe)
        .collect();
    let hidden = r.sessions.len() - shown.len();
    let files: Vec<&str> = r.inputs.iter().map(|i| i.path.as_str()).collect();
    writeln!(
        w,
        "{} — {} frames, {} client session(s){}",
        files.join(", "),
        r.stats.frames,
        shown.len(),
        if hidden > 0 {
            format!(" ({hidden} non-PXE hidden)")
        } else {
            String::new()
        }
    )?;
    if !shown.is_empty() {
        writeln!(w, "{}", session_table(&shown, style))?;
    }
    for s in &shown {
        session_findings(w, s, style, multi)?;
    }
    let cw: Vec<&Finding> = r.findings.iter().collect();
    write_findings(w, "Capture findings", &cw, style, multi)?;
    write_decode_notes(w, r, style)?;
    Ok(())
}

pub fn write_decode_notes(w: &mut dyn Write, r: &Report, style: &Style) -> io::Result<()> {
    let st = &r.stats;
    if st.malformed.is_empty() && st.unknown_linktypes.is_empty() && st.timestamps_backwards == 0 {
        return Ok(());
    }
    writeln!(w, "\n{}", style.bold("Decoding notes"))?;
    for (layer, n) in &st.malformed {
        writeln!(w, "  {n} malformed or cut {layer} packet(s)")?;
    }
    for m in st.malformed_samples.iter().take(5) {
        let file = r
            .inputs
            .get(m.input)
            .map(|i| i.path.as_str())
            .unwrap_or("?");
        writeln!(
            w,
            "    {file} frame {} byte {}: {} — {}",
            m.frame,
            m.offset,
            m.layer.name(),
            m.what
        )?;
    }
    for (lt, n) in &st.unknown_linktypes {
        writeln!(w, "  {n} frame(s) with unsupported link type {lt} skipped")?;
    }
    if st.timestamps_backwards > 0 {
        writeln!(w, "  {} frame(s) with timestamps earlier than a previous frame (merged or re-clocked capture)", st.timestamps_backwards)?;
    }
    Ok(())
}
