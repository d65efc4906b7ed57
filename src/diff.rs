//! `pxe-inspect diff GOOD BAD`: where a failing boot departs from a working one. Each capture
//! is analysed on its own; one client session is taken from each (by `--client`/`--bad-client`,
//! else the PXE session with the most frames) and compared aspect by aspect: identity, each
//! DHCP stage (servers, boot file, 4011), the files fetched in order (status, size, options),
//! timings and findings. The first aspect that differs on the boot path is named.

use crate::cli::{DiffArgs, Format};
use crate::diag::DiagConfig;
use crate::exit;
use crate::model::*;
use crate::pipeline::Pipeline;
use crate::session::TrackerConfig;
use crate::source::CaptureReader;
use serde::Serialize;
use std::io::{self, Write};

/// Every session in one capture, diagnosed.
pub fn sessions_of(path: &str) -> Result<Vec<BootSession>, String> {
    let mut r = CaptureReader::open(path, 0).map_err(|e| e.to_string())?;
    let mut pipe = Pipeline::new(TrackerConfig::default(), DiagConfig::default());
    let mut out = Vec::new();
    loop {
        match r.next_frame() {
            Ok(Some(f)) => out.extend(pipe.push(&f)),
            Ok(None) => break,
            Err(e) => {
                eprintln!("pxe-inspect: {path}: {} at byte {} after {} frames; comparing what was read before it", e.message.unwrap_or_default(), e.offset, e.frames);
                break;
            }
        }
    }
    out.extend(pipe.finish());
    out.sort_by_key(|s| s.first_frame);
    Ok(out)
}

fn pick<'a>(
    sessions: &'a [BootSession],
    mac: Option<&str>,
    path: &str,
) -> Result<&'a BootSession, String> {
    if let Some(m) = mac {
        let want = crate::ci::normalize_mac(m);
        return sessions
            .iter()
            .find(|s| s.client.mac.as_deref() == Some(want.as_str()))
            .ok_or_else(|| format!("{path}: no client {m}"));
    }
    sessions
        .iter()
        .filter(|s| s.pxe)
        .max_by_key(|s| {
            (
                s.last_frame.frame - s.first_frame.frame,
                std::cmp::Reverse(s.first_frame.frame),
            )
        })
        .or(sessions.first())
        .ok_or_else(|| format!("{path}: no client sessions"))
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub aspect: String,
    pub good: String,
    pub bad: String,
    pub differs: bool,
    /// On the boot path (identity aside): the first of these is where the boot departs.
    pub path: bool,
}

fn row(rows: &mut Vec<Row>, aspect: impl Into<String>, good: String, bad: String, path: bool) {
    let differs = good != bad;
    rows.push(Row {
        aspect: aspect.into(),
        good,
        bad,
        differs,
        path,
    });
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "-".into())
}

fn servers(st: &Stage) -> String {
    let mut v: Vec<String> = st
        .offers
        .iter()
        .map(|o| format!("{:?} {}", o.kind, o.server).to_lowercase())
        .collect();
    v.dedup();
    if v.is_empty() {
        "no answer".into()
    } else {
        v.join(", ")
    }
}

fn transfer_text(t: &Transfer) -> String {
    let opts = t.oack.as_ref().map(OptionList::text).unwrap_or_default();
    let err = t
        .error
        .as_ref()
        .map(|e| format!(" error {} ({})", e.code, e.name))
        .unwrap_or_default();
    format!("{} {} B [{}]{err}", t.status.name(), t.bytes, opts)
}

fn ms_after(s: &BootSession, t: Option<Timestamp>) -> String {
    t.map(|t| format!("{:.0} ms", t.secs_since(s.start) * 1000.0))
        .unwrap_or_else(|| "-".into())
}

// Long on purpose: the diff table in reading order, one row() per aspect; that order is the
// output's and decides which row run_inner reports as the first difference.
pub fn compare(g: &BootSession, b: &BootSession) -> Vec<Row> {
    let mut rows = vec![];
    row(
        &mut rows,
        "arch",
        super::render::table::arch_text(g),
        super::render::table::arch_text(b),
        false,
    );
    row(
        &mut rows,
        "vendor class",
        opt(g.client.vendor_class.clone()),
        opt(b.client.vendor_class.clone()),
        false,
    );
    row(
        &mut rows,
        "iPXE",
        g.client.ipxe.to_string(),
        b.client.ipxe.to_string(),
        false,
    );
    for i in 0..g.stages.len().max(b.stages.len()) {
        let (sg, sb) = (g.stages.get(i), b.stages.get(i));
        let f = |s: Option<&Stage>, w: &dyn Fn(&Stage) -> String| {
            s.map(w).unwrap_or_else(|| "(no stage)".into())
        };
        let n = i + 1;
        row(
            &mut rows,
            format!("stage {n}: protocol"),
            f(sg, &|s| {
                format!("{}{}", s.protocol, if s.ipxe { " iPXE" } else { "" })
            }),
            f(sb, &|s| {
                format!("{}{}", s.protocol, if s.ipxe { " iPXE" } else { "" })
            }),
            true,
        );
        row(
            &mut rows,
            format!("stage {n}: answered by"),
            f(sg, &servers),
            f(sb, &servers),
            true,
        );
        row(
            &mut rows,
            format!("stage {n}: address"),
            f(sg, &|s| opt(s.address)),
            f(sb, &|s| opt(s.address)),
            true,
        );
        row(
            &mut rows,
            format!("stage {n}: boot file"),
            f(sg, &|s| {
                format!(
                    "{} (from {})",
                    opt(s.boot_file.clone()),
                    opt(s.boot_file_source.clone())
                )
            }),
            f(sb, &|s| {
                format!(
                    "{} (from {})",
                    opt(s.boot_file.clone()),
                    opt(s.boot_file_source.clone())
                )
            }),
            true,
        );
        row(
            &mut rows,
            format!("stage {n}: boot server"),
            f(sg, &|s| opt(s.boot_server.clone())),
            f(sb, &|s| opt(s.boot_server.clone())),
            true,
        );
        let bs = |s: &Stage| {
            if s.boot_server_requests.is_empty() {
                "-".to_string()
            } else {
                format!(
                    "{} request(s), {}",
                    s.boot_server_requests.len(),
                    if s.offers.iter().any(|o| o.kind == OfferKind::BootServer) {
                        "answered"
                    } else {
                        "unanswered"
                    }
                )
            }
        };
        row(
            &mut rows,
            format!("stage {n}: port 4011"),
            f(sg, &bs),
            f(sb, &bs),
            true,
        );
        row(
            &mut rows,
            format!("stage {n}: outcome"),
            f(sg, &|s| s.outcome.name().to_string()),
            f(sb, &|s| s.outcome.name().to_string()),
            true,
        );
    }
    let common = g.tftp.len().min(b.tftp.len());
    for i in 0..g.tftp.len().max(b.tftp.len()) {
        let (tg, tb) = (g.tftp.get(i), b.tftp.get(i));
        if i > common {
            break; // the rest is one row, below
        }
        if i == common && i < g.tftp.len().max(b.tftp.len()) {
            let rest = |s: &BootSession| {
                let v: Vec<&str> = s
                    .tftp
                    .iter()
                    .skip(common)
                    .map(|t| t.file.as_str())
                    .collect();
                if v.is_empty() {
                    "(none)".to_string()
                } else {
                    format!("{} more: {}", v.len(), v.join(", "))
                }
            };
            row(
                &mut rows,
                format!(
                    "transfers {}–{}",
                    common + 1,
                    g.tftp.len().max(b.tftp.len())
                ),
                rest(g),
                rest(b),
                true,
            );
            break;
        }
        let name =
            |t: Option<&Transfer>| t.map(|t| t.file.clone()).unwrap_or_else(|| "(none)".into());
        row(
            &mut rows,
            format!("transfer {}: file", i + 1),
            name(tg),
            name(tb),
            true,
        );
        row(
            &mut rows,
            format!("transfer {}: result", i + 1),
            tg.map(transfer_text).unwrap_or_else(|| "-".into()),
            tb.map(transfer_text).unwrap_or_else(|| "-".into()),
            true,
        );
    }
    for i in 0..g.http.len().max(b.http.len()) {
        let t = |h: Option<&crate::model::HttpTransfer>| {
            h.map(|h| format!("{} {} {} B", h.url, h.status.name(), h.bytes))
                .unwrap_or_else(|| "(none)".into())
        };
        row(
            &mut rows,
            format!("http {}", i + 1),
            t(g.http.get(i)),
            t(b.http.get(i)),
            true,
        );
    }
    let first_offer = |s: &BootSession| {
        s.stages
            .first()
            .and_then(|st| st.offers.first())
            .map(|o| o.time)
    };
    let first_tftp = |s: &BootSession| s.tftp.first().map(|t| t.start);
    row(
        &mut rows,
        "time to first offer",
        ms_after(g, first_offer(g)),
        ms_after(b, first_offer(b)),
        false,
    );
    row(
        &mut rows,
        "time to first transfer",
        ms_after(g, first_tftp(g)),
        ms_after(b, first_tftp(b)),
        false,
    );
    row(
        &mut rows,
        "duration",
        format!("{:.1} s", g.duration_s),
        format!("{:.1} s", b.duration_s),
        false,
    );
    let ids = |s: &BootSession| {
        let mut v: Vec<&str> = s.findings.iter().map(|f| f.id.as_str()).collect();
        v.dedup();
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(", ")
        }
    };
    row(&mut rows, "findings", ids(g), ids(b), false);
    row(
        &mut rows,
        "outcome",
        g.outcome.name().into(),
        b.outcome.name().into(),
        false,
    );
    rows
}

#[derive(Serialize)]
struct DiffDoc<'a> {
    schema: &'static str,
    good: Side<'a>,
    bad: Side<'a>,
    first_difference: Option<&'a Row>,
    rows: &'a [Row],
}

#[derive(Serialize)]
struct Side<'a> {
    file: &'a str,
    client: String,
    outcome: Outcome,
}

pub fn run(a: &DiffArgs) -> i32 {
    match run_inner(a, &mut io::stdout().lock()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pxe-inspect: {e}");
            exit::USAGE
        }
    }
}

// Long on purpose: both formats print the same picked sessions, rows and first difference, and
// the exit code follows from that difference; the text branch is one table plus its verdict.
pub fn run_inner(a: &DiffArgs, out: &mut dyn Write) -> Result<i32, String> {
    let gs = sessions_of(&a.good)?;
    let bs = if a.bad == a.good {
        gs.clone()
    } else {
        sessions_of(&a.bad)?
    };
    let g = pick(&gs, a.client.as_deref(), &a.good)?;
    let b = pick(&bs, a.bad_client.as_deref().or(a.client.as_deref()), &a.bad)?;
    let rows = compare(g, b);
    let first = rows.iter().find(|r| r.differs && r.path);
    let io_err = |e: io::Error| e.to_string();
    if a.format == Format::Json {
        let doc = DiffDoc {
            schema: "pxe-inspect/diff/1",
            good: Side {
                file: &a.good,
                client: g.label(),
                outcome: g.outcome,
            },
            bad: Side {
                file: &a.bad,
                client: b.label(),
                outcome: b.outcome,
            },
            first_difference: first,
            rows: &rows,
        };
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(|e| e.to_string())?;
        writeln!(out).map_err(io_err)?;
    } else {
        use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
        let style = crate::render::sink::style_for(&crate::cli::OutputArgs {
            color: a.color,
            ..Default::default()
        });
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic);
        t.set_header(vec![
            "",
            "aspect",
            &format!("good: {} ({})", g.label(), a.good),
            &format!("bad: {} ({})", b.label(), a.bad),
        ]);
        for r in rows.iter().filter(|r| {
            a.all
                || r.differs
                || !r.aspect.starts_with("transfer") && !r.aspect.starts_with("stage")
        }) {
            let mark = if r.differs {
                style.bold("≠")
            } else {
                String::new()
            };
            t.add_row(vec![mark, r.aspect.clone(), r.good.clone(), r.bad.clone()]);
        }
        writeln!(out, "{t}").map_err(io_err)?;
        match first {
            Some(r) => writeln!(
                out,
                "The boots part at {}: good has `{}`, bad has `{}`.",
                style.bold(&r.aspect),
                r.good,
                r.bad
            )
            .map_err(io_err)?,
            None => writeln!(
                out,
                "The boot paths are the same{}.",
                if rows.iter().any(|r| r.differs) {
                    " (identity or timing differs)"
                } else {
                    ""
                }
            )
            .map_err(io_err)?,
        }
        if !a.all {
            writeln!(
                out,
                "{}",
                style.dim("(same stage and transfer rows hidden; --all shows them)")
            )
            .map_err(io_err)?;
        }
    }
    Ok(if first.is_some() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
