//! `portcullis test FILE...`: every failure (`file:line:col: test `name`: message`),
//! then `N passed, M failed`, and with `--coverage` the rules no expectation matched,
//! on stdout. 0 all pass, 1 a failure, a compile error, or nothing to test (no `test`
//! block with an expectation).

use std::io::{self, BufWriter, Write};

use super::{error, is_broken_pipe};
use crate::args::Normalization;
use crate::policy_files::load_policy;

const AFTER_HELP: &str = "\
Prints each expectation that does not hold as
  file:line:col: test `name`: expected allow, got deny (default)
then the summary `N passed, M failed`, on stdout. With --coverage, one more line:
  coverage: K/N rules matched by a test; never matched: \"rule a\", \"rule b\"
(N counts every rule, audit rules included; the list is in source order and left
out when K = N). A rule counts as matched when some expectation's request matches
all of its conditions, whether or not the rule decided it.

Exit status: 0 every expectation holds; 1 one does not, or the policy has no `test`
block with an expectation (said on stderr: nothing was tested), or the policy does
not compile (reported as `portcullis check` does), or a file cannot be read;
2 a usage error.

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

    /// After the summary, print how many rules some expectation matched, and which
    /// rules none did
    #[arg(long)]
    pub coverage: bool,

    /// How requests are read.
    #[command(flatten)]
    pub normalization: Normalization,
}

/// Runs `test`.
pub fn run(args: &Args) -> u8 {
    let Some(loaded) = load_policy(&args.files) else {
        return 1;
    };
    let policy = loaded
        .policy
        .clone()
        .with_options(args.normalization.options());
    let report = policy.run_tests();
    let expectations = report.passed() + report.failures().len();
    if expectations == 0 {
        // An empty file, or tests not given, would otherwise "pass": fail closed.
        error("nothing to test: the policy has no `test` block with an expectation");
    }
    let status = if report.failures().is_empty() && expectations > 0 {
        0
    } else {
        1
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let written = report
        .failures()
        .iter()
        .try_for_each(|failure| writeln!(out, "{}", loaded.failure(failure)))
        .and_then(|()| writeln!(out, "{report}"))
        .and_then(|()| {
            if args.coverage {
                writeln!(out, "{}", policy.test_coverage())
            } else {
                Ok(())
            }
        })
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
