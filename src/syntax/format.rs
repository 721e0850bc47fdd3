//! The canonical layout of `portcullis fmt`: syntax tree → source text.
//!
//! The printer is the one of [`mod@super::print`], in its [`Layout::Format`]; what
//! differs from [`super::print()`] is said there.

use crate::diagnostic::CompileError;
use crate::syntax::ast::File;
use crate::syntax::parse_source;
use crate::syntax::print::{Layout, print_layout};

/// The last column a line holding a bracketed list on one line may reach in the
/// layout of [`format()`]: a list that would end further right is written one value
/// per line.
pub const FORMAT_WIDTH: usize = 88;

/// Used by the printer under its own name.
pub(super) const WIDTH: usize = FORMAT_WIDTH;

/// Formats a syntax tree in the canonical layout of `portcullis fmt`.
///
/// The layout (`CLI.md`, *fmt*):
///
/// - the items (`default`, `let`, rules, `test` blocks) one after another in source
///   order, a blank line between any two;
/// - a rule's conditions and a test block's expectations one per line, indented by
///   two spaces, the closing `}` on its own line (`{}` for an empty block without
///   comments);
/// - single spaces between tokens, `, ` between the values of a condition;
/// - a bracketed list on one line when it has no comments and its line (without an
///   end-of-line comment) ends at or before column [`FORMAT_WIDTH`]; otherwise one
///   value per line, indented two spaces more than the line that opens it, each
///   followed by a comma, and `]` on its own line;
/// - the text ends with one line break.
///
/// Every comment the parser saw is kept, with the node it stands beside (see
/// [`Comments`](super::Comments)):
///
/// - comments on their own lines before an item, a condition, an expectation or a
///   value of a broken list are written on their own lines just above it, at its
///   indentation;
/// - a comment at the end of a node's last line stays at the end of that line, after
///   one space;
/// - comments after the last condition, expectation or list value are written on
///   their own lines before the closing `}` or `]`; comments after the last item of
///   the file are written at its end, after a blank line;
/// - a comment that stands between the tokens of one node (`method GET, # why` with
///   `HEAD` on the next line, `allow # why` with the rule's name on the next line)
///   moves to the end of that node's last line, or, when that place is taken, onto
///   its own line just above the node (a further comment at the end of the node's
///   last line goes onto its own line below it, above the next node or the closing
///   bracket); a comment in a `{ … }` block or a list before
///   its first child goes above the first child (or before the closing bracket when
///   the block is empty). A list with a comment is always written one value per line.
///
/// A comment's text is written after `# ` as it was (trailing white space dropped).
/// Blank lines of the source are not kept, except one within a run of comments on
/// their own lines, or between such a run and the node it stands above (a file's
/// heading, say). The result parses to the same tree
/// (spans aside), so it compiles to a policy with the same decisions, and formatting
/// it again changes nothing.
///
/// ```
/// let file = portcullis::syntax::parse(
///     "# closed\ndefault deny\nlet ops=[\"a\",\"b\"] # on call\nallow \"r\" { method GET # reads\n path \"/\" }",
/// )?;
/// let text = portcullis::syntax::format(&file);
/// assert_eq!(
///     text,
///     "# closed\ndefault deny\n\nlet ops = [\"a\", \"b\"] # on call\n\n\
///      allow \"r\" {\n  method GET # reads\n  path \"/\"\n}\n",
/// );
/// let again = portcullis::syntax::parse(&text)?;
/// assert_eq!(portcullis::syntax::format(&again), text);
/// # Ok::<(), portcullis::CompileError>(())
/// ```
pub fn format(file: &File) -> String {
    print_layout(&mut file.clone(), Layout::Format)
}

/// Parses one source named `name` (the name diagnostics give) and formats it like
/// [`format()`]; every syntax error when it does not parse. Only the syntax is read:
/// a source with, say, an undefined name is formatted all the same.
///
/// ```
/// let text = portcullis::syntax::format_source("a.pcl", "allow \"r\" {port 80}")?;
/// assert_eq!(text, "allow \"r\" {\n  port 80\n}\n");
/// let err = portcullis::syntax::format_source("a.pcl", "allow \"r\" {").unwrap_err();
/// assert!(err.to_string().starts_with("a.pcl:1:11: error: unclosed"));
/// # Ok::<(), portcullis::CompileError>(())
/// ```
pub fn format_source(name: &str, text: &str) -> Result<String, CompileError> {
    let (file, diagnostics) = parse_source(name, text);
    if diagnostics.is_empty() {
        Ok(format(&file))
    } else {
        Err(CompileError::new(diagnostics, &[name]))
    }
}
