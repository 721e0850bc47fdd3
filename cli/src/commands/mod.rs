//! The commands: one file each, holding its arguments (`Args`) and its `run`, which
//! returns the exit status. [`Command`] lists them; adding a command is a file here,
//! a variant and a match arm.

pub mod check;
pub mod eval;
pub mod test;

use std::io::{self, Write};

use clap::Subcommand;
use portcullis::Policy;

/// The commands. The doc comment of each variant is its one-line description in
/// `portcullis --help`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, check and compile policy files as one policy
    Check(check::Args),
    /// Evaluate JSON requests, one per line, and print one JSON decision per line
    Eval(eval::Args),
    /// Run the policy's `test` blocks and print the failures and a summary
    Test(test::Args),
}

impl Command {
    /// Runs the command; its exit status.
    pub fn run(self) -> u8 {
        match self {
            Command::Check(args) => check::run(&args),
            Command::Eval(args) => eval::run(&args),
            Command::Test(args) => test::run(&args),
        }
    }
}

/// Writes to stderr, ignoring failure: there is nowhere left to report it.
pub fn error(message: impl std::fmt::Display) {
    let _ = writeln!(io::stderr().lock(), "portcullis: {message}");
}

/// Reads the files and compiles them as one policy, each named as given on the
/// command line (a leading UTF-8 byte order mark is dropped). Unreadable files and compile errors are reported on stderr; `None`
/// then (exit status 1 for every command).
pub fn load_policy(files: &[String]) -> Option<Policy> {
    let mut sources = Vec::with_capacity(files.len());
    let mut unreadable = false;
    for file in files {
        match std::fs::read_to_string(file) {
            // A byte order mark (some Windows editors write one) is not part of the
            // policy: editors do not show it, so columns count from after it.
            Ok(text) => match text.strip_prefix('\u{feff}') {
                Some(rest) => sources.push((file.as_str(), rest.to_string())),
                None => sources.push((file.as_str(), text)),
            },
            Err(e) => {
                error(format_args!("cannot read `{file}`: {e}"));
                unreadable = true;
            }
        }
    }
    if unreadable {
        // Compiling the rest would report spurious errors (names defined in the
        // missing file), so stop at the read errors.
        return None;
    }
    match Policy::compile_sources(sources) {
        Ok(policy) => Some(policy),
        Err(e) => {
            // Every diagnostic, each `file:line:col: error: message`, the source
            // line and a caret.
            let _ = write!(io::stderr().lock(), "{e}");
            None
        }
    }
}

/// Whether an output error is the reader going away (`portcullis eval | head`).
pub fn is_broken_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}
