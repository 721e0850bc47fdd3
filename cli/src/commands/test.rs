//! `portcullis test FILE...`: every failure (`file:line:col: test `name`: message`),
//! then `N passed, M failed`, on stdout. 0 all pass (a policy without tests passes),
//! 1 a failure or a compile error.

use std::io::{self, BufWriter, Write};

use portcullis::normalize::Options;

use super::{error, is_broken_pipe, load_policy};

/// Runs `test`.
pub fn run(files: &[String], options: Options) -> u8 {
    let Some(policy) = load_policy(files) else {
        return 1;
    };
    let report = policy.with_options(options).run_tests();
    let status = if report.failures().is_empty() { 0 } else { 1 };
    let mut out = BufWriter::new(io::stdout().lock());
    let written = report
        .failures()
        .iter()
        .try_for_each(|failure| writeln!(out, "{failure}"))
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
