use clap::Parser;
use pxe_inspect::cli::{Cli, Command};
use pxe_inspect::{analyze, exit};

// mimalloc: a boot storm allocates and frees millions of small strings and records; glibc's
// malloc/free were ~17 % of analyze's profile and its per-chunk overhead a share of every open
// session's memory.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    no_huge_pages();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            std::process::exit(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    let code = match cli.command {
        Command::Analyze(a) => analyze::run(&a),
        Command::Serve(s) => pxe_inspect::serve::run(&s),
        Command::Capture(c) => pxe_inspect::live::run(&c),
        Command::Probe(p) => pxe_inspect::probe::run(&p),
        Command::Diff(d) => pxe_inspect::diff::run(&d),
        Command::Completions(c) => pxe_inspect::docs::completions(c.shell),
        Command::Manpage(m) => pxe_inspect::docs::manpage(m.dir.as_deref()),
        Command::Explain(e) => pxe_inspect::render::explain::run(&e),
        Command::Lint(l) => pxe_inspect::lint::run(&l),
    };
    std::process::exit(code);
}

/// Transparent huge pages off for this process: the heap is tens of MB and churns, and with
/// THP each 2 MB page was zeroed whole at its first touch (12 % of the analysing thread on a
/// dense storm) and counted whole in RSS (60 -> 47 MB on a 40,000-client storm with it off).
/// Only a hint: a kernel without the flag keeps its default.
fn no_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
