//! Tokens: the lexical rules of `docs/language.md` (*Lexical rules*).
//!
//! The whole source is turned into tokens up front, in one linear pass. Each token
//! knows its [`Span`] and whether it is the first token of its line, which the parser
//! uses to recover after an error.
//!
//! The tokens almost every policy is made of (words, plain string literals,
//! punctuation, spaces and comments) are read by hand, a byte at a time: they are
//! most of the work of compiling a large policy, and a combinator per character costs
//! several times more than a byte compare. Everything else (addresses, numbers,
//! escapes, stray characters) is read with nom. Columns are counted lazily: the
//! lexer remembers the column of one byte offset on the current line and, when a
//! token starts, counts the characters since then, so each byte is counted once and
//! a token's column is still exact.
//!
//! Address tokens are recognized before names, methods and numbers wherever they
//! occur: a maximal run of `[0-9A-Fa-f:.]`, optionally followed by `/digits`, is an
//! address when it contains `:` or starts with a digit and has a `.` but no `..`.
//! A valid policy only has such runs in value positions and after `source` in a test,
//! so this is the lexical rule "a token that reads as an address is an address";
//! elsewhere it only changes which token an error message quotes.

use std::borrow::Cow;

use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::{char, digit1, satisfy};
use nom::combinator::{all_consuming, opt, recognize};
use nom::sequence::{pair, separated_pair};
use nom::{IResult, Parser};

use crate::span::Span;
use crate::syntax::keyword::Keyword;
use crate::syntax::string;

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Kind<'a> {
    /// A keyword.
    Kw(Keyword),
    /// Any other word, `[A-Za-z_][A-Za-z0-9_-]*`: a name, a bare method, or neither
    /// (the parser and the checker say which it must be, where it is).
    Word,
    /// An address token, as written.
    Address,
    /// A decimal integer.
    Int(u64),
    /// `start..end`.
    Range(u64, u64),
    /// A string literal, decoded (borrowed from the source when it has no escape).
    Str(Cow<'a, str>),
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `,`
    Comma,
    /// `~`
    Tilde,
    /// `==`
    EqEq,
    /// `=`
    Eq,
    /// Something the lexer already reported as an error.
    Invalid,
    /// The end of the source.
    Eof,
}

/// One token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Token<'a> {
    /// What it is.
    pub(super) kind: Kind<'a>,
    /// Its source text.
    pub(super) text: &'a str,
    /// Where it is.
    pub(super) span: Span,
    /// Whether it is the first token on its line.
    pub(super) line_start: bool,
}

/// A comment, as the lexer found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RawComment<'a> {
    /// From the `#` to the end of the line (line break excluded).
    pub(super) span: Span,
    /// After the `#` and one space, trailing white space removed.
    pub(super) text: &'a str,
    /// Whether no token comes before it on its line.
    pub(super) own_line: bool,
}

/// A lexed source: its tokens (the last one is [`Kind::Eof`]), comments and lexical
/// errors.
#[derive(Debug)]
pub(super) struct Lexed<'a> {
    /// The tokens, ending with [`Kind::Eof`].
    pub(super) tokens: Vec<Token<'a>>,
    /// The comments, in source order.
    pub(super) comments: Vec<RawComment<'a>>,
    /// Lexical errors, in source order.
    pub(super) errors: Vec<(Span, String)>,
}

/// Whether `s`, written bare, reads back as one address token with the same text.
pub(super) fn is_address(s: &str) -> bool {
    address(s) == Some(s.len())
}

fn is_address_char(c: char) -> bool {
    c.is_ascii_hexdigit() || c == ':' || c == '.'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Length of the address token at the start of `input`, if there is one.
fn address(input: &str) -> Option<usize> {
    let parsed: IResult<&str, (&str, Option<&str>)> = pair(
        take_while1(is_address_char),
        opt(recognize(pair(char('/'), digit1))),
    )
    .parse(input);
    let (after, (run, _prefix)) = parsed.ok()?;
    let ipv6 = run.contains(':');
    let ipv4 =
        run.starts_with(|c: char| c.is_ascii_digit()) && run.contains('.') && !run.contains("..");
    (ipv6 || ipv4).then_some(input.len() - after.len())
}

/// A word: `[A-Za-z_][A-Za-z0-9_-]*`.
fn word(input: &str) -> IResult<&str, &str> {
    recognize(pair(
        satisfy(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(is_word_char),
    ))
    .parse(input)
}

/// Whether `c` can start a token (or trivia); a run of other characters is one error.
fn starts_token(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            ' ' | '\t'
                | '\r'
                | '\n'
                | '#'
                | '"'
                | '{'
                | '}'
                | '['
                | ']'
                | ','
                | '~'
                | '='
                | ':'
                | '.'
                | '_'
        )
}

/// `text` shown in a message: control and invisible characters escaped, long text cut.
pub(super) fn shown(text: &str) -> String {
    const MAX: usize = 40;
    let mut out: String = text
        .chars()
        .take(MAX)
        .flat_map(char::escape_debug)
        .collect();
    if text.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// A position in the source, with its line and column.
#[derive(Clone, Copy, Debug)]
struct Mark {
    pos: usize,
    line: u32,
    column: u32,
}

/// The number of characters in UTF-8 `bytes`: the bytes that do not continue one.
fn char_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// Walks the source, keeping the line up to date and the column countable.
struct Lexer<'a> {
    text: &'a str,
    /// The next byte to read.
    pos: usize,
    /// The line of `pos`.
    line: u32,
    /// A byte offset on the current line whose column is `column`; columns further
    /// on are counted from here.
    counted: usize,
    column: u32,
    /// Whether the whole source is ASCII: then characters are bytes.
    ascii: bool,
    /// Whether a line feed was crossed since the last token.
    line_start: bool,
    tokens: Vec<Token<'a>>,
    comments: Vec<RawComment<'a>>,
    errors: Vec<(Span, String)>,
}

impl<'a> Lexer<'a> {
    /// Skips spaces, tabs, line breaks and comments, keeping the comments.
    fn skip_trivia(&mut self) {
        let bytes = self.text.as_bytes();
        loop {
            match bytes.get(self.pos) {
                Some(b' ' | b'\t' | b'\r') => self.pos += 1,
                Some(b'\n') => {
                    self.pos += 1;
                    self.line = self.line.saturating_add(1);
                    self.counted = self.pos;
                    self.column = 1;
                    self.line_start = true;
                }
                Some(b'#') => {
                    let start = self.mark();
                    let rest = bytes.get(self.pos..).unwrap_or_default();
                    let len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                    let end = self.pos + len;
                    let whole = self.text.get(self.pos..end).unwrap_or("");
                    let text = whole.get(1..).unwrap_or("");
                    let text = text.strip_prefix(' ').unwrap_or(text).trim_end();
                    self.comments.push(RawComment {
                        span: Span {
                            start: start.pos,
                            end: start.pos + whole.trim_end().len(),
                            line: start.line,
                            column: start.column,
                        },
                        text,
                        own_line: self.line_start,
                    });
                    self.pos = end;
                }
                _ => return,
            }
        }
    }

    /// The current position, with its line and column.
    fn mark(&mut self) -> Mark {
        let skipped = if self.ascii {
            self.pos - self.counted
        } else {
            self.text
                .as_bytes()
                .get(self.counted..self.pos)
                .map_or(0, char_count)
        };
        self.column = self
            .column
            .saturating_add(u32::try_from(skipped).unwrap_or(u32::MAX));
        self.counted = self.pos;
        Mark {
            pos: self.pos,
            line: self.line,
            column: self.column,
        }
    }
}

/// Splits `text` into tokens, reporting lexical errors.
pub(super) fn lex(text: &str) -> Lexed<'_> {
    let mut lexer = Lexer {
        text,
        pos: 0,
        line: 1,
        counted: 0,
        column: 1,
        ascii: text.is_ascii(),
        line_start: true,
        // Policies average well over eight bytes a token (the generated 10,000-rule
        // workload: about 14). Reserving much more is costly even though the excess
        // is never touched: past a size the allocator maps a large block afresh for
        // every compile, and the kernel faults in and zeroes every page the tokens
        // then fill (reserving a token per four bytes made compiling 10,000 rules a
        // third slower).
        tokens: Vec::with_capacity(text.len() / 8 + 1),
        comments: Vec::new(),
        errors: Vec::new(),
    };
    loop {
        lexer.skip_trivia();
        let start = lexer.mark();
        let rest = text.get(start.pos..).unwrap_or("");
        let Some(&first) = rest.as_bytes().first() else {
            lexer.tokens.push(Token {
                kind: Kind::Eof,
                text: "",
                span: Span {
                    start: start.pos,
                    end: start.pos,
                    line: start.line,
                    column: start.column,
                },
                line_start: lexer.line_start,
            });
            return Lexed {
                tokens: lexer.tokens,
                comments: lexer.comments,
                errors: lexer.errors,
            };
        };
        let (len, kind) = token(rest, first, start, &mut lexer.errors);
        // A token never holds a line feed, so the line is unchanged; at least one
        // character is read, so the loop ends.
        let first_len = rest.chars().next().map_or(1, char::len_utf8);
        let end = (start.pos + len.max(first_len)).min(text.len());
        lexer.pos = end;
        lexer.tokens.push(Token {
            kind,
            text: text.get(start.pos..end).unwrap_or(""),
            span: Span {
                start: start.pos,
                end,
                line: start.line,
                column: start.column,
            },
            line_start: lexer.line_start,
        });
        lexer.line_start = false;
    }
}

/// Reads the token at the start of `rest` (its first byte is `first`, at `start`);
/// returns its length and kind, pushing any error.
fn token<'a>(
    rest: &'a str,
    first: u8,
    start: Mark,
    errors: &mut Vec<(Span, String)>,
) -> (usize, Kind<'a>) {
    let span_of = |from: usize, to: usize, chars_before: usize| Span {
        start: start.pos + from,
        end: start.pos + to,
        line: start.line,
        column: start
            .column
            .saturating_add(u32::try_from(chars_before).unwrap_or(u32::MAX)),
    };
    match first {
        b'"' => {
            let scanned = string::scan(rest);
            for e in scanned.errors {
                errors.push((span_of(e.start, e.end, e.chars_before), e.message));
            }
            if scanned.terminated {
                (scanned.len, Kind::Str(scanned.value))
            } else {
                errors.push((
                    span_of(0, scanned.len, 0),
                    "unterminated string".to_string(),
                ));
                (scanned.len, Kind::Invalid)
            }
        }
        b'{' => (1, Kind::LBrace),
        b'}' => (1, Kind::RBrace),
        b'[' => (1, Kind::LBracket),
        b']' => (1, Kind::RBracket),
        b',' => (1, Kind::Comma),
        b'~' => (1, Kind::Tilde),
        b'=' if rest.starts_with("==") => (2, Kind::EqEq),
        b'=' => (1, Kind::Eq),
        b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
            let bytes = rest.as_bytes();
            let len = bytes
                .iter()
                .position(|&b| !is_word_byte(b))
                .unwrap_or(bytes.len());
            // A word is an address only if its run of address characters goes on
            // past it, through a `:` or a `.`.
            if first.is_ascii_hexdigit() && matches!(bytes.get(len), Some(b':' | b'.')) {
                if let Some(len) = address(rest) {
                    return (len, Kind::Address);
                }
            }
            (len, word_kind(rest.get(..len).unwrap_or("")))
        }
        _ => other_token(rest, span_of(0, 0, 0), errors),
    }
}

/// What the word `w` (`[A-Za-z_][A-Za-z0-9_-]*`) is: a keyword or another word.
fn word_kind(w: &str) -> Kind<'static> {
    Keyword::from_word(w).map_or(Kind::Word, Kind::Kw)
}

/// Reads a token that starts with neither a quote, punctuation nor a letter: an
/// address, a number, or characters that start no token. `at` is where it starts.
fn other_token(rest: &str, at: Span, errors: &mut Vec<(Span, String)>) -> (usize, Kind<'static>) {
    let mut error = |len: usize, message: String| {
        errors.push((
            Span {
                end: at.start + len,
                ..at
            },
            message,
        ));
        (len, Kind::Invalid)
    };
    if let Some(len) = address(rest) {
        return (len, Kind::Address);
    }
    if rest.starts_with(|c: char| c.is_ascii_digit()) {
        return number(rest, error);
    }
    if let Ok((after, w)) = word(rest) {
        return (rest.len() - after.len(), word_kind(w));
    }
    let junk_len = rest
        .char_indices()
        .skip(1)
        .find(|&(_, c)| starts_token(c) && c != '.')
        .map_or(rest.len(), |(i, _)| i);
    let junk = rest.get(..junk_len).unwrap_or("");
    let message = if junk.chars().count() == 1 {
        format!("unexpected character `{}`", shown(junk))
    } else {
        format!("unexpected characters `{}`", shown(junk))
    };
    error(junk_len, message)
}

/// Reads an integer or a range at the start of `rest` (which starts with a digit and
/// is not an address).
fn number(
    rest: &str,
    mut error: impl FnMut(usize, String) -> (usize, Kind<'static>),
) -> (usize, Kind<'static>) {
    let run: IResult<&str, &str> =
        take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.').parse(rest);
    let text = run.map_or(rest, |(_, text)| text);
    let integer = |digits: &str| digits.parse::<u64>().ok();
    let too_large = |digits: &str| format!("integer `{}` is too large", shown(digits));
    let single: IResult<&str, &str> = all_consuming(digit1).parse(text);
    if let Ok((_, digits)) = single {
        return match integer(digits) {
            Some(n) => (text.len(), Kind::Int(n)),
            None => error(text.len(), too_large(digits)),
        };
    }
    let range: IResult<&str, (&str, &str)> = all_consuming(separated_pair(
        digit1,
        nom::bytes::complete::tag(".."),
        digit1,
    ))
    .parse(text);
    if let Ok((_, (a, b))) = range {
        return match (integer(a), integer(b)) {
            (Some(a), Some(b)) => (text.len(), Kind::Range(a, b)),
            (None, _) => error(text.len(), too_large(a)),
            (_, None) => error(text.len(), too_large(b)),
        };
    }
    error(text.len(), format!("invalid number `{}`", shown(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind<'_>, &str)> {
        lex(text)
            .tokens
            .into_iter()
            .map(|t| (t.kind, t.text))
            .collect()
    }

    #[test]
    fn reads_every_token_kind() {
        let cases: &[(&str, Kind)] = &[
            ("default", Kind::Kw(Keyword::Default)),
            ("present", Kind::Kw(Keyword::Present)),
            ("frontends", Kind::Word),
            ("_x9", Kind::Word),
            ("fd00", Kind::Word),
            ("GET", Kind::Word),
            ("M-SEARCH", Kind::Word),
            ("BEEF", Kind::Word),
            ("Get", Kind::Word),
            ("a-b", Kind::Word),
            ("10", Kind::Int(10)),
            ("8000..8100", Kind::Range(8000, 8100)),
            ("10.0.0.0/8", Kind::Address),
            ("10.1.2.3", Kind::Address),
            ("2001:db8::/32", Kind::Address),
            ("::1", Kind::Address),
            ("fd00::/8", Kind::Address),
            ("dead:beef::1", Kind::Address),
            ("FD00::1", Kind::Address),
            ("::ffff:10.1.2.3", Kind::Address),
            ("010.0.0.1", Kind::Address),
            ("1.2", Kind::Address),
            ("\"a\\tb\"", Kind::Str("a\tb".into())),
            ("{", Kind::LBrace),
            ("}", Kind::RBrace),
            ("[", Kind::LBracket),
            ("]", Kind::RBracket),
            (",", Kind::Comma),
            ("~", Kind::Tilde),
            ("==", Kind::EqEq),
            ("=", Kind::Eq),
        ];
        for (text, kind) in cases {
            assert_eq!(
                kinds(text),
                vec![(kind.clone(), *text), (Kind::Eof, "")],
                "{text}"
            );
        }
    }

    #[test]
    fn reads_every_keyword() {
        for &keyword in Keyword::ALL {
            assert_eq!(
                kinds(keyword.as_str()).first().map(|k| &k.0),
                Some(&Kind::Kw(keyword))
            );
        }
        assert_eq!(kinds("Allow").first().map(|k| &k.0), Some(&Kind::Word));
    }

    #[test]
    fn splits_where_expected() {
        assert_eq!(
            kinds("10.0.0.0/x"),
            vec![
                (Kind::Address, "10.0.0.0"),
                (Kind::Invalid, "/"),
                (Kind::Word, "x"),
                (Kind::Eof, "")
            ]
        );
        assert_eq!(
            kinds("GET,HEAD#c\n==present"),
            vec![
                (Kind::Word, "GET"),
                (Kind::Comma, ","),
                (Kind::Word, "HEAD"),
                (Kind::EqEq, "=="),
                (Kind::Kw(Keyword::Present), "present"),
                (Kind::Eof, "")
            ]
        );
    }

    #[test]
    fn reports_lexical_errors() {
        let cases: &[(&str, &str, (u32, u32))] = &[
            ("x \"abc", "unterminated string", (1, 3)),
            ("\n  \"a\\qb\"", "invalid escape `\\q` in string", (2, 5)),
            (
                "x \"é\\u{d800}\"",
                "invalid escape `\\u{d800}` in string",
                (1, 5),
            ),
            (
                "99999999999999999999",
                "integer `99999999999999999999` is too large",
                (1, 1),
            ),
            (
                "1..99999999999999999999",
                "integer `99999999999999999999` is too large",
                (1, 1),
            ),
            ("12ab", "invalid number `12ab`", (1, 1)),
            ("8000..", "invalid number `8000..`", (1, 1)),
            ("a !", "unexpected character `!`", (1, 3)),
            ("a !@$ b", "unexpected characters `!@$`", (1, 3)),
            ("\u{0}", "unexpected character `\\0`", (1, 1)),
        ];
        for &(text, message, at) in cases {
            let lexed = lex(text);
            let found: Vec<_> = lexed
                .errors
                .iter()
                .map(|(s, m)| (m.as_str(), (s.line, s.column)))
                .collect();
            assert_eq!(found, vec![(message, at)], "{text:?}");
        }
    }

    #[test]
    fn spans_match_span_locate() {
        let text = "default deny # é\n\tlet é = [\"ü\", 1]\r\n  allow \"r\" {}";
        for token in lex(text).tokens {
            assert_eq!(
                token.span,
                Span::locate(text, token.span.start, token.span.end),
                "{token:?}"
            );
        }
    }

    #[test]
    fn marks_line_starts() {
        let starts: Vec<bool> = lex("a b\n c # x\n\nd")
            .tokens
            .iter()
            .map(|t| t.line_start)
            .collect();
        assert_eq!(starts, vec![true, false, true, true, false]);
    }
}
