//! `pxe-inspect explain [ID | PXE-Exx | iPXE error | screen text]`: the finding catalogue from
//! the registry, or what a firmware message means and which findings point at its cause.

use crate::cli::ExplainArgs;
use crate::diag::registry;
use crate::exit;
use std::io::{self, Write};

pub fn run(e: &ExplainArgs) -> i32 {
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
