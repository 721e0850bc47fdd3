//! Diagnostics: compile errors (and, for analysis tools, warnings), rendered the way
//! editors and CI logs expect:
//!
//! ```text
//! payments.pcl:14:15: error: undefined name `frontend`; did you mean `frontends`?
//!    |
//! 14 |   identity in frontend
//!    |               ^^^^^^^^
//! ```
//!
//! A warning names its code (`payments.pcl:30:1: warning[shadowed-rule]: ...`), and
//! every related place (the first definition of a duplicate, the rule that shadows
//! another) follows as a `note:` with its own source line.

use std::fmt;
use std::str::FromStr;

use crate::span::Span;

/// How serious a diagnostic is.
///
/// ```
/// use portcullis::{Code, Severity};
/// assert_eq!(Code::UndefinedName.severity(), Severity::Error);
/// assert_eq!(Code::ShadowedRule.severity(), Severity::Warning);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Severity {
    /// The policy does not compile.
    Error,
    /// The policy compiles, but probably does not mean what its author meant.
    Warning,
}

impl Severity {
    /// The word diagnostics are rendered with: `error` or `warning`.
    ///
    /// ```
    /// assert_eq!(portcullis::Severity::Warning.as_str(), "warning");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Declares [`Code`] from one table: variant, stable name, severity, meaning.
macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $severity:ident;)*) => {
        /// What a diagnostic is about: a stable, kebab-case name that scripts and
        /// configuration can rely on (the message wording may change, the code does
        /// not).
        ///
        /// ```
        /// use portcullis::Code;
        /// let err = portcullis::Policy::compile("allow \"a\" {}\nallow \"a\" {}").unwrap_err();
        /// assert_eq!(err.diagnostics()[0].code(), Code::DuplicateRule);
        /// assert_eq!(Code::DuplicateRule.as_str(), "duplicate-rule");
        /// assert_eq!("duplicate-rule".parse::<Code>(), Ok(Code::DuplicateRule));
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code, errors first, then the warnings of analysis tools.
            ///
            /// ```
            /// assert!(portcullis::Code::ALL.contains(&portcullis::Code::Syntax));
            /// ```
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code's stable name, such as `undefined-name`.
            ///
            /// ```
            /// assert_eq!(portcullis::Code::UnusedLet.as_str(), "unused-let");
            /// ```
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// The severity of a diagnostic with this code.
            ///
            /// ```
            /// use portcullis::{Code, Severity};
            /// assert_eq!(Code::DefaultAllowWithoutDeny.severity(), Severity::Warning);
            /// ```
            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)*
                }
            }
        }
    };
}

codes! {
    /// A syntax error: the text does not follow the grammar.
    Syntax = "syntax", Error;
    /// A second `default` declaration.
    DuplicateDefault = "duplicate-default", Error;
    /// A second `let` binding of one name.
    DuplicateLet = "duplicate-let", Error;
    /// A second rule with one name.
    DuplicateRule = "duplicate-rule", Error;
    /// A second `test` block with one name.
    DuplicateTest = "duplicate-test", Error;
    /// A use of a name no `let` binds.
    UndefinedName = "undefined-name", Error;
    /// A name defined in terms of itself.
    NameCycle = "name-cycle", Error;
    /// A name that is not a valid name (upper case, a keyword, other characters).
    InvalidName = "invalid-name", Error;
    /// A value of a kind its subject does not take (an address for `identity`).
    TypeMismatch = "type-mismatch", Error;
    /// A test its subject does not allow (`method present`, `path == "/"`), or a
    /// condition without values.
    InvalidTest = "invalid-test", Error;
    /// A condition that could not be checked for another reason.
    InvalidCondition = "invalid-condition", Error;
    /// An invalid address or CIDR block.
    InvalidAddress = "invalid-address", Error;
    /// A port above 65535 or a port range that starts after it ends.
    InvalidPort = "invalid-port", Error;
    /// A method that is not an upper-case HTTP token.
    InvalidMethod = "invalid-method", Error;
    /// A path pattern that is invalid or not in normalized form.
    InvalidPathPattern = "invalid-path-pattern", Error;
    /// An invalid host pattern.
    InvalidHostPattern = "invalid-host-pattern", Error;
    /// An identity pattern that no valid identity can match.
    InvalidIdentityPattern = "invalid-identity-pattern", Error;
    /// A regular expression that does not compile or is too large.
    InvalidRegex = "invalid-regex", Error;
    /// A header name that is not an HTTP token.
    InvalidHeaderName = "invalid-header-name", Error;
    /// An expectation of a `test` block with an invalid field.
    InvalidExpectation = "invalid-expectation", Error;
    /// A policy past one of the compile limits.
    CompileLimit = "compile-limit", Error;
    /// A `let` that nothing uses.
    UnusedLet = "unused-let", Warning;
    /// A rule that no valid request can match.
    UnsatisfiableRule = "unsatisfiable-rule", Warning;
    /// A rule that can never decide: every request it matches is decided earlier.
    ShadowedRule = "shadowed-rule", Warning;
    /// A value that another value of the same condition already covers.
    RedundantValue = "redundant-value", Warning;
    /// `default allow` in a policy with no `deny` rule.
    DefaultAllowWithoutDeny = "default-allow-without-deny", Warning;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the codes.
///
/// ```
/// assert!("no-such-code".parse::<portcullis::Code>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown diagnostic code `{0}`")]
pub struct UnknownCode(String);

impl FromStr for Code {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Code, UnknownCode> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCode(s.to_string()))
    }
}

/// A place in a named source: the region a diagnostic points at, with the source
/// line it starts on (for rendering).
///
/// ```
/// use portcullis::{Location, Span};
/// let text = "let a = [\n  1,\n]";
/// let at = Location::new("p.pcl", text, Span::locate(text, 8, text.len()));
/// assert_eq!((at.line(), at.column()), (1, 9));
/// assert_eq!((at.end_line(), at.end_column()), (3, 2));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    file: String,
    span: Span,
    end_line: u32,
    end_column: u32,
    /// The line `span` starts on, without its line break; `None` when the source
    /// text is not known (then nothing is rendered under the heading).
    source_line: Option<String>,
    /// Characters of `source_line` before the caret.
    caret_offset: usize,
    /// Number of carets (at least one): to the span's end, or to the end of its
    /// first line.
    caret_len: usize,
}

impl Location {
    /// The region `span` of the source `text` named `file`. An empty `text` means the
    /// source is not known: the location is then rendered without a source line.
    ///
    /// ```
    /// use portcullis::{Location, Span};
    /// let at = Location::new("p.pcl", "allow \"r\" {}", Span::locate("allow \"r\" {}", 6, 9));
    /// assert_eq!(at.file(), "p.pcl");
    /// assert_eq!(at.span().start, 6);
    /// ```
    pub fn new(file: &str, text: &str, span: Span) -> Location {
        let start = span.start.min(text.len());
        let line_start = text
            .get(..start)
            .and_then(|s| s.rfind('\n'))
            .map_or(0, |i| i + 1);
        let line_end = text
            .get(line_start..)
            .and_then(|s| s.find('\n'))
            .map_or(text.len(), |i| line_start + i);
        let source_line = (!text.is_empty()).then(|| {
            text.get(line_start..line_end)
                .unwrap_or("")
                .trim_end_matches('\r')
                .to_string()
        });
        let caret_offset = text.get(line_start..start).map_or(0, |s| s.chars().count());
        let caret_end = span.end.clamp(start, line_end);
        let caret_len = text
            .get(start..caret_end)
            .map_or(0, |s| s.chars().count())
            .max(1);
        let line = span.line.max(1);
        let column = span.column.max(1);
        let (end_line, end_column) = match text.get(start..span.end.clamp(start, text.len())) {
            Some(inside) if !text.is_empty() => {
                let breaks = inside.bytes().filter(|&b| b == b'\n').count();
                let end_line = line.saturating_add(u32::try_from(breaks).unwrap_or(u32::MAX));
                let end_column = match inside.rfind('\n') {
                    Some(i) => inside.get(i + 1..).map_or(0, |s| s.chars().count()) + 1,
                    None => inside.chars().count() + column as usize,
                };
                (end_line, u32::try_from(end_column).unwrap_or(u32::MAX))
            }
            _ => (line, column),
        };
        Location {
            file: file.to_string(),
            span,
            end_line,
            end_column,
            source_line,
            caret_offset,
            caret_len,
        }
    }

    /// The name of the source.
    ///
    /// ```
    /// let err = portcullis::Policy::compile_sources([("a.pcl", "default")]).unwrap_err();
    /// assert_eq!(err.diagnostics()[0].location().file(), "a.pcl");
    /// ```
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The region: byte offsets, and the line and column of its start.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("allow \"r\" { port 70000 }").unwrap_err();
    /// let span = err.diagnostics()[0].location().span();
    /// assert_eq!((span.start, span.end), (17, 22));
    /// ```
    pub fn span(&self) -> Span {
        self.span
    }

    /// 1-based line of the start.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("\n\ndefault").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].location().line(), 3);
    /// ```
    pub fn line(&self) -> u32 {
        self.span.line.max(1)
    }

    /// 1-based column of the start, in characters.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("default allow\n  default deny").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].location().column(), 3);
    /// ```
    pub fn column(&self) -> u32 {
        self.span.column.max(1)
    }

    /// 1-based line of the end.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("allow \"r\" { port 70000 }").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].location().end_line(), 1);
    /// ```
    pub fn end_line(&self) -> u32 {
        self.end_line
    }

    /// 1-based column just past the last character of the region (equal to
    /// [`column`](Self::column) for an empty region).
    ///
    /// ```
    /// let err = portcullis::Policy::compile("allow \"r\" { port 70000 }").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].location().end_column(), 23);
    /// ```
    pub fn end_column(&self) -> u32 {
        self.end_column
    }

    /// Writes `file:line:col: ` and `heading`, then the source line and carets.
    fn render(&self, f: &mut fmt::Formatter<'_>, heading: fmt::Arguments<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}:{}:{}: {heading}",
            self.file,
            self.line(),
            self.column()
        )?;
        let Some(source_line) = &self.source_line else {
            return Ok(());
        };
        let number = self.line().to_string();
        let gutter = " ".repeat(number.len());
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{number} | {source_line}")?;
        // Keep tabs so the caret lines up under the same characters.
        let pad: String = source_line
            .chars()
            .take(self.caret_offset)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        writeln!(f, "{gutter} | {pad}{}", "^".repeat(self.caret_len))
    }
}

/// Another place a diagnostic refers to, with what it is ("first defined here").
///
/// ```
/// let err = portcullis::Policy::compile("allow \"a\" {}\ndeny \"a\" {}").unwrap_err();
/// let related = &err.diagnostics()[0].related()[0];
/// assert_eq!(related.label(), "first defined here");
/// assert_eq!(related.location().line(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    location: Location,
    label: String,
}

impl Related {
    /// Where.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("let a = 1\nlet a = 2").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].related()[0].location().column(), 5);
    /// ```
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// What is there, as a short lower-case phrase.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("let a = 1\nlet a = 2").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].related()[0].label(), "first defined here");
    /// ```
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// One finding in a policy source, with everything needed to show it: severity, code,
/// message, the region it is about, and related regions.
///
/// Its `Display` renders it for a terminal:
///
/// ```
/// let err = portcullis::Policy::compile("default maybe").unwrap_err();
/// let d = &err.diagnostics()[0];
/// assert_eq!((d.line(), d.column()), (1, 9));
/// assert_eq!(d.code(), portcullis::Code::Syntax);
/// assert!(d.to_string().starts_with("policy:1:9: error: "));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    severity: Severity,
    code: Code,
    message: String,
    location: Location,
    related: Vec<Related>,
}

impl Diagnostic {
    /// A diagnostic with `code` (and the code's severity) at `span` of the source
    /// `text` named `file`. An empty `text` means the source is not known: then only
    /// the heading line is rendered.
    ///
    /// ```
    /// use portcullis::{Code, Diagnostic, Span};
    /// let text = "let x = [1,\n  2x]";
    /// let d = Diagnostic::new(Code::Syntax, "f.pcl", text, Span::locate(text, 15, 17), "unexpected `x`");
    /// assert_eq!(d.to_string(), "f.pcl:2:4: error: unexpected `x`\n  |\n2 |   2x]\n  |    ^^\n");
    ///
    /// let w = Diagnostic::new(Code::UnusedLet, "f.pcl", text, Span::locate(text, 4, 5), "`x` is never used");
    /// assert!(w.to_string().starts_with("f.pcl:1:5: warning[unused-let]: `x` is never used\n"));
    /// ```
    pub fn new(
        code: Code,
        file: &str,
        text: &str,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity: code.severity(),
            code,
            message: message.into(),
            location: Location::new(file, text, span),
            related: Vec::new(),
        }
    }

    /// The same diagnostic, also pointing at `span` of `text` named `file`, labelled
    /// `label` (rendered as a `note:` after the diagnostic).
    ///
    /// ```
    /// use portcullis::{Code, Diagnostic, Span};
    /// let text = "allow \"a\" {}\nallow \"a\" {}";
    /// let d = Diagnostic::new(Code::DuplicateRule, "p", text, Span::locate(text, 19, 22), "duplicate rule name `a`")
    ///     .with_related("p", text, Span::locate(text, 6, 9), "first defined here");
    /// assert_eq!(d.to_string(), "\
    /// p:2:7: error: duplicate rule name `a`
    ///   |
    /// 2 | allow \"a\" {}
    ///   |       ^^^
    /// p:1:7: note: first defined here
    ///   |
    /// 1 | allow \"a\" {}
    ///   |       ^^^
    /// ");
    /// ```
    #[must_use]
    pub fn with_related(
        mut self,
        file: &str,
        text: &str,
        span: Span,
        label: impl Into<String>,
    ) -> Diagnostic {
        self.related.push(Related {
            location: Location::new(file, text, span),
            label: label.into(),
        });
        self
    }

    /// The same diagnostic with another severity (a tool that treats a warning as an
    /// error, say).
    ///
    /// ```
    /// use portcullis::{Code, Diagnostic, Severity, Span};
    /// let d = Diagnostic::new(Code::UnusedLet, "p", "let a = 1", Span::locate("let a = 1", 4, 5), "unused")
    ///     .with_severity(Severity::Error);
    /// assert!(d.to_string().starts_with("p:1:5: error: unused"));
    /// ```
    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Diagnostic {
        self.severity = severity;
        self
    }

    /// Error or warning.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("default").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].severity(), portcullis::Severity::Error);
    /// ```
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// What the diagnostic is about, as a stable code.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("allow \"r\" { identity in x }").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].code().as_str(), "undefined-name");
    /// ```
    pub fn code(&self) -> Code {
        self.code
    }

    /// Where it is: file, start and end.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("allow \"r\" { port 70000 }").unwrap_err();
    /// let at = err.diagnostics()[0].location();
    /// assert_eq!((at.line(), at.column(), at.end_column()), (1, 18, 23));
    /// ```
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The other places the diagnostic refers to, in order.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("allow \"r\" { port 70000 }").unwrap_err();
    /// assert!(err.diagnostics()[0].related().is_empty());
    /// ```
    pub fn related(&self) -> &[Related] {
        &self.related
    }

    /// The name of the source the diagnostic is in.
    ///
    /// ```
    /// let err = portcullis::Policy::compile_sources([("a.pcl", "default")]).unwrap_err();
    /// assert_eq!(err.diagnostics()[0].file(), "a.pcl");
    /// ```
    pub fn file(&self) -> &str {
        self.location.file()
    }

    /// 1-based line of the start.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("\n\ndefault").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].line(), 3);
    /// ```
    pub fn line(&self) -> u32 {
        self.location.line()
    }

    /// 1-based column of the start, in characters.
    ///
    /// ```
    /// let err = portcullis::Policy::compile("default allow\n  default deny").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].column(), 3);
    /// ```
    pub fn column(&self) -> u32 {
        self.location.column()
    }

    /// The region it is about (byte offsets, start line and column); the end's line
    /// and column are on [`location`](Self::location).
    ///
    /// ```
    /// let err = portcullis::Policy::compile("allow \"r\" { port 70000 }").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].span().start, 17);
    /// ```
    pub fn span(&self) -> Span {
        self.location.span()
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
        match self.severity {
            Severity::Error => self
                .location
                .render(f, format_args!("error: {}", self.message))?,
            _ => self.location.render(
                f,
                format_args!("{}[{}]: {}", self.severity, self.code, self.message),
            )?,
        }
        for related in &self.related {
            related
                .location
                .render(f, format_args!("note: {}", related.label))?;
        }
        Ok(())
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
                .position(|f| *f == d.file())
                .unwrap_or(usize::MAX)
        };
        diagnostics.sort_by_key(|d| (rank(d), d.line(), d.column()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case_and_parse_back() {
        for (i, code) in Code::ALL.iter().enumerate() {
            let name = code.as_str();
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{name}"
            );
            assert_eq!(name.parse::<Code>(), Ok(*code));
            assert!(!Code::ALL[..i].iter().any(|c| c.as_str() == name), "{name}");
        }
    }

    #[test]
    fn lint_codes_are_warnings() {
        let warnings: Vec<&str> = Code::ALL
            .iter()
            .filter(|c| c.severity() == Severity::Warning)
            .map(|c| c.as_str())
            .collect();
        assert_eq!(
            warnings,
            [
                "unused-let",
                "unsatisfiable-rule",
                "shadowed-rule",
                "redundant-value",
                "default-allow-without-deny"
            ]
        );
    }

    #[test]
    fn a_multi_line_span_is_marked_to_the_end_of_its_first_line() {
        let text = "let a = [\n  1,\n]\n";
        let d = Diagnostic::new(
            Code::Syntax,
            "p",
            text,
            Span::locate(text, 8, 16),
            "bad list",
        );
        assert_eq!(
            d.to_string(),
            "p:1:9: error: bad list\n  |\n1 | let a = [\n  |         ^\n"
        );
        assert_eq!((d.location().end_line(), d.location().end_column()), (3, 2));
    }

    #[test]
    fn an_unknown_source_renders_only_the_heading() {
        let d = Diagnostic::new(
            Code::InvalidName,
            "p.json",
            "",
            Span::default(),
            "invalid name `in`",
        );
        assert_eq!(d.to_string(), "p.json:1:1: error: invalid name `in`\n");
    }

    #[test]
    fn end_columns_count_characters() {
        let text = "allow \"é\" {}";
        let at = Location::new("p", text, Span::locate(text, 6, 10));
        assert_eq!((at.column(), at.end_column()), (7, 10));
        let empty = Location::new("p", text, Span::locate(text, 3, 3));
        assert_eq!((empty.end_line(), empty.end_column()), (1, 4));
    }
}
