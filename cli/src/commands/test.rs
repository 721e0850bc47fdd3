//! `portcullis test FILE...`: every failure (`file:line:col: test `name`: message`),
//! then `N passed, M failed`, on stdout. 0 all pass (a policy without tests passes),
//! 1 a failure or a compile error.

use std::io::{self, BufWriter, Write};

use super::{error, is_broken_pipe};
use crate::args::Normalization;
use crate::policy_files::load_policy;

const AFTER_HELP: &str = "\
Prints each expectation that does not hold as
  file:line:col: test `name`: expected allow, got deny (default)
then the summary `N passed, M failed`, on stdout.

Exit status: 0 every expectation holds (a policy without tests passes); 1 one does
not, or the policy does not compile (reported as `portcullis check` does), or a
file cannot be read; 2 a usage error.

The normalization options decide how the expectations' requests are read, as they
do for `portcullis eval`: an expectation can assert that a malformed request is
denied.";

/// `test [OPTIONS] FILE...`
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Policy files, compiled as one policy (`-` is stdin, `*.json` the JSON form)
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,

    /// How requests are read.
    #[command(flatten)]
    pub normalization: Normalization,
}

/// Runs `test`.
pub fn run(args: &Args) -> u8 {
    let Some(loaded) = load_policy(&args.files) else {
        return 1;
    };
    let report = loaded
        .policy
        .clone()
        .with_options(args.normalization.options())
        .run_tests();
    let status = if report.failures().is_empty() { 0 } else { 1 };
    let mut out = BufWriter::new(io::stdout().lock());
    let written = report
        .failures()
        .iter()
        .try_for_each(|failure| writeln!(out, "{}", loaded.failure(failure)))
        .and_then(|()| writeln!(out, "{report}"))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => status,
        Err(e) if is_broken_pipe(&e) => status,
        Err(e) => {
            error(format_args!("cannot write the report: {e}"));
            1
        }
    }
}
