//! Source text → syntax tree.
//!
//! [`parse()`] reads one source; errors are collected, not stopped at: after an error the
//! parser skips to the next item (`default`, `let`, `allow`, `deny`, `audit`, `test` at
//! the start of a line) and goes on, so one run reports every syntax error. The tree
//! keeps every comment beside the node it stands by ([`Comments`]).
//! [`print()`] turns a tree back into source text that parses to the same tree,
//! comments included; [`print_with_spans`] also gives every node the span it is
//! printed at.

pub mod ast;
mod comments;
mod format;
pub(crate) mod keyword;
mod lex;
mod parse;
mod print;
mod string;

pub use ast::*;
pub use format::{FORMAT_WIDTH, format, format_source};
pub(crate) use parse::parse_source;
pub(crate) use print::condition_text;
pub use print::{print, print_with_spans};

use crate::diagnostic::CompileError;

/// Parses one policy source named `policy`, reporting every syntax error.
///
/// ```
/// let file = portcullis::syntax::parse("default deny\nallow \"r\" { method GET }")?;
/// assert_eq!(file.rules[0].name.value, "r");
/// assert!(portcullis::syntax::parse("allow {").is_err());
/// # Ok::<(), portcullis::CompileError>(())
/// ```
pub fn parse(text: &str) -> Result<File, CompileError> {
    let (file, diagnostics) = parse_source("policy", text);
    if diagnostics.is_empty() {
        Ok(file)
    } else {
        Err(CompileError::new(diagnostics, &["policy"]))
    }
}
