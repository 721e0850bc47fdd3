//! The commands, each returning its exit status.

pub mod check;
pub mod eval;
pub mod test;

use std::io::{self, Write};

use portcullis::Policy;

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
