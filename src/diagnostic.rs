//! Compile errors, rendered the way editors and CI logs expect:
//!
//! ```text
//! payments.pcl:14:15: error: undefined name `frontend`; did you mean `frontends`?
//!    |
//! 14 |   identity in frontend
//!    |               ^^^^^^^^
//! ```

use std::fmt;

use crate::span::Span;

/// One error in a policy source, with everything needed to show it.
///
/// ```
/// let err = portcullis::Policy::compile("default maybe").unwrap_err();
/// let d = &err.diagnostics()[0];
/// assert_eq!((d.line(), d.column()), (1, 9));
/// assert!(d.to_string().starts_with("policy:1:9: error: "));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    file: String,
    line: u32,
    column: u32,
    message: String,
    source_line: String,
    /// Characters of `source_line` before the caret.
    caret_offset: usize,
    /// Number of carets (at least one).
    caret_len: usize,
}

impl Diagnostic {
    /// An error at `span` of the source `text` named `file`.
    ///
    /// ```
    /// use portcullis::{Diagnostic, Span};
    /// let text = "let x = [1,\n  2x]";
    /// let d = Diagnostic::new("f.pcl", text, Span::locate(text, 15, 17), "unexpected `x`");
    /// assert_eq!(d.to_string(), "f.pcl:2:4: error: unexpected `x`\n  |\n2 |   2x]\n  |    ^^\n");
    /// ```
    pub fn new(file: &str, text: &str, span: Span, message: impl Into<String>) -> Diagnostic {
        let start = span.start.min(text.len());
        let line_start = text
            .get(..start)
            .and_then(|s| s.rfind('\n'))
            .map_or(0, |i| i + 1);
        let line_end = text
            .get(line_start..)
            .and_then(|s| s.find('\n'))
            .map_or(text.len(), |i| line_start + i);
        let source_line = text
            .get(line_start..line_end)
            .unwrap_or("")
            .trim_end_matches('\r')
            .to_string();
        let caret_offset = text.get(line_start..start).map_or(0, |s| s.chars().count());
        let end = span.end.clamp(start, line_end);
        let caret_len = text.get(start..end).map_or(0, |s| s.chars().count()).max(1);
        Diagnostic {
            file: file.to_string(),
            line: span.line.max(1),
            column: span.column.max(1),
            message: message.into(),
            source_line,
            caret_offset,
            caret_len,
        }
    }

    /// The name of the source the error is in.
    ///
    /// ```
    /// let err = portcullis::Policy::compile_sources([("a.pcl", "default")]).unwrap_err();
    /// assert_eq!(err.diagnostics()[0].file(), "a.pcl");
    /// ```
    pub fn file(&self) -> &str {
        &self.file
    }

    /// 1-based line.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("\n\ndefault").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].line(), 3);
    /// ```
    pub fn line(&self) -> u32 {
        self.line
    }

    /// 1-based column, in characters.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("default allow\n  default deny").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].column(), 3);
    /// ```
    pub fn column(&self) -> u32 {
        self.column
    }

    /// The one-line message, without location.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("default allow\ndefault deny").unwrap_err();
    /// assert!(err.diagnostics()[0].message().contains("default"));
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}:{}:{}: error: {}",
            self.file, self.line, self.column, self.message
        )?;
        let number = self.line.to_string();
        let gutter = " ".repeat(number.len());
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{number} | {}", self.source_line)?;
        // Keep tabs so the caret lines up under the same characters.
        let pad: String = self
            .source_line
            .chars()
            .take(self.caret_offset)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        writeln!(f, "{gutter} | {pad}{}", "^".repeat(self.caret_len))
    }
}

/// A policy that did not compile: every error found, in source order.
///
/// Its `Display` renders all diagnostics, one after the other.
///
/// ```
/// let err = portcullis::Policy::compile("default allow\ndefault deny\nallow \"r\" { port 70000 }")
///     .unwrap_err();
/// assert_eq!(err.diagnostics().len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct CompileError {
    diagnostics: Vec<Diagnostic>,
}

impl CompileError {
    /// Wraps diagnostics, sorting them by file order, then line, then column.
    /// `files` gives the order of the sources.
    pub(crate) fn new(mut diagnostics: Vec<Diagnostic>, files: &[&str]) -> CompileError {
        let rank = |d: &Diagnostic| {
            files
                .iter()
                .position(|f| *f == d.file)
                .unwrap_or(usize::MAX)
        };
        diagnostics.sort_by_key(|d| (rank(d), d.line, d.column));
        diagnostics.dedup();
        CompileError { diagnostics }
    }

    /// The errors, in source order.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("allow \"r\" { method get }").unwrap_err();
    /// for d in err.diagnostics() {
    ///     eprintln!("{d}");
    /// }
    /// ```
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            write!(f, "{d}")?;
        }
        Ok(())
    }
}
