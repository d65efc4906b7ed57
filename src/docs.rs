//! Shell completions and man pages, generated from the clap definitions so they never drift
//! from the real options.

use crate::cli::Cli;
use clap::CommandFactory;
use std::io::{self, Write};

pub fn completions(shell: clap_complete::Shell) -> i32 {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "pxe-inspect", &mut io::stdout());
    crate::exit::OK
}

fn render(cmd: clap::Command, out: &mut dyn Write) -> io::Result<()> {
    clap_mangen::Man::new(cmd).render(out)
}

/// The main page to stdout, or every page (main + one per subcommand) into `dir`.
pub fn manpage(dir: Option<&str>) -> i32 {
    let cmd = Cli::command();
    let Some(dir) = dir else {
        return match render(cmd, &mut io::stdout()) {
            Ok(()) => crate::exit::OK,
            Err(e) => {
                eprintln!("pxe-inspect: {e}");
                crate::exit::USAGE
            }
        };
    };
    let write = || -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let mut main = std::fs::File::create(std::path::Path::new(dir).join("pxe-inspect.1"))?;
        render(cmd.clone(), &mut main)?;
        for sub in cmd.get_subcommands() {
            let name = format!("pxe-inspect-{}", sub.get_name());
            let mut f = std::fs::File::create(std::path::Path::new(dir).join(format!("{name}.1")))?;
            clap_mangen::Man::new(
                sub.clone()
                    .bin_name(format!("pxe-inspect {}", sub.get_name())),
            )
            .title(name.to_uppercase())
            .render(&mut f)?;
        }
        Ok(())
    };
    match write() {
        Ok(()) => crate::exit::OK,
        Err(e) => {
            eprintln!("pxe-inspect: {dir}: {e}");
            crate::exit::USAGE
        }
    }
}
