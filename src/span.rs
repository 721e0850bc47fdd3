//! Positions in policy source text.

/// A region of one source text: byte offsets plus the 1-based line and column of its
/// start (the column counts characters, not bytes).
///
/// ```
/// let file = portcullis::syntax::parse("default deny\nallow \"r\" {}")?;
/// let span = file.rules[0].span;
/// assert_eq!((span.line, span.column), (2, 1));
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column of `start`, in characters.
    pub column: u32,
}

impl Span {
    /// The span of `start..end` in `text`, with its line and column computed.
    ///
    /// ```
    /// use portcullis::Span;
    /// let span = Span::locate("ab\ncd", 4, 5);
    /// assert_eq!((span.line, span.column), (2, 2));
    /// ```
    pub fn locate(text: &str, start: usize, end: usize) -> Span {
        let start = start.min(text.len());
        let end = end.clamp(start, text.len());
        let before = text.get(..start).unwrap_or("");
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Span {
            start,
            end,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}
