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
    /// What the parser cannot see: a usage error between arguments (a message).
    pub fn check_usage(&self) -> Result<(), String> {
        match self {
            Command::Check(args) => stdin_at_most_once(&args.files),
            Command::Eval(args) => eval::check_usage(args),
            Command::Test(args) => stdin_at_most_once(&args.files),
        }
    }

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

/// The file name that stands for stdin.
pub const STDIN: &str = "-";

/// How stdin is named in diagnostics.
const STDIN_NAME: &str = "<stdin>";

/// Stdin can be read once: `-` may stand for one file only.
pub fn stdin_at_most_once<'a>(files: impl IntoIterator<Item = &'a String>) -> Result<(), String> {
    if files.into_iter().filter(|f| *f == STDIN).count() > 1 {
        return Err("`-` (stdin) is given more than once: it can be read only once".into());
    }
    Ok(())
}

/// Reads the files and compiles them as one policy, each named as given on the
/// command line (`-` is stdin, named `<stdin>`; a leading UTF-8 byte order mark is
/// dropped). Unreadable files and compile errors are reported on stderr; `None`
/// then (exit status 1 for every command).
pub fn load_policy(files: &[String]) -> Option<Policy> {
    let mut sources = Vec::with_capacity(files.len());
    let mut unreadable = false;
    for file in files {
        let (name, read) = if file == STDIN {
            (STDIN_NAME, io::read_to_string(io::stdin().lock()))
        } else {
            (file.as_str(), std::fs::read_to_string(file))
        };
        match read {
            // A byte order mark (some Windows editors write one) is not part of the
            // policy: editors do not show it, so columns count from after it.
            Ok(text) => match text.strip_prefix('\u{feff}') {
                Some(rest) => sources.push((name, rest.to_string())),
                None => sources.push((name, text)),
            },
            Err(e) => {
                error(format_args!("cannot read `{name}`: {e}"));
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
