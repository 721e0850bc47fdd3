//! String literals: reading one (escapes decoded, errors located) and writing one back.
//!
//! A string is double quoted and may not hold a raw line break (LF or CR). Its escapes
//! are `\\`, `\"`, `\n`, `\t` and `\u{H..H}` (one to six hex digits naming a Unicode
//! scalar value, so never a surrogate).

use std::borrow::Cow;

use nom::bytes::complete::take_while_m_n;
use nom::character::complete::char;
use nom::sequence::delimited;
use nom::{IResult, Parser};

/// A problem inside a string literal, located relative to the literal's opening quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct StringError {
    /// Byte offset of the problem from the opening quote.
    pub(super) start: usize,
    /// Byte offset one past the problem.
    pub(super) end: usize,
    /// Characters between the opening quote (included) and the problem.
    pub(super) chars_before: usize,
    /// The message.
    pub(super) message: String,
}

/// The result of reading a string literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Scanned<'a> {
    /// Bytes read, both quotes included when the string is terminated.
    pub(super) len: usize,
    /// The decoded text (bad escapes left out): borrowed from the input when the
    /// literal has no escape, which is the common case.
    pub(super) value: Cow<'a, str>,
    /// Whether the closing quote was found before a line break or the end.
    pub(super) terminated: bool,
    /// Bad escapes found inside the literal.
    pub(super) errors: Vec<StringError>,
}

/// `{` one to six hex digits `}`, the tail of a `\u` escape.
fn unicode_braces(input: &str) -> IResult<&str, &str> {
    delimited(
        char('{'),
        take_while_m_n(1, 6, |c: char| c.is_ascii_hexdigit()),
        char('}'),
    )
    .parse(input)
}

/// Whether the byte ends a run of plain characters inside a string literal.
fn is_special(b: u8) -> bool {
    matches!(b, b'"' | b'\\' | b'\n' | b'\r')
}

/// Reads the string literal at the start of `input`, which must begin with `"`.
///
/// Stops before a raw line break (the literal is then unterminated) and at the end of
/// the input. Runs in time linear in the literal's length: runs of plain characters
/// are found a byte at a time (the bytes looked for are ASCII, so a run always ends
/// on a character boundary) and copied whole, and only an escape makes a copy of the
/// text at all.
pub(super) fn scan(input: &str) -> Scanned<'_> {
    let bytes = input.as_bytes();
    // Decoded text so far, once an escape made it differ from the input; until then
    // the value is `input[1..pos]`.
    let mut owned: Option<String> = None;
    let mut errors = Vec::new();
    // Skip the opening quote.
    let mut pos = input.chars().next().map_or(0, char::len_utf8);
    let finish = |owned: Option<String>, end: usize, len: usize, terminated, errors| {
        let value = match owned {
            Some(text) => Cow::Owned(text),
            None => Cow::Borrowed(input.get(1..end).unwrap_or("")),
        };
        Scanned {
            len,
            value,
            terminated,
            errors,
        }
    };
    loop {
        let tail = bytes.get(pos..).unwrap_or_default();
        let run = tail
            .iter()
            .position(|&b| is_special(b))
            .unwrap_or(tail.len());
        if let Some(text) = owned.as_mut() {
            text.push_str(input.get(pos..pos + run).unwrap_or(""));
        }
        pos += run;
        let rest = input.get(pos..).unwrap_or("");
        let mut chars = rest.chars();
        match chars.next() {
            None => return finish(owned, pos, input.len(), false, errors),
            Some('"') => return finish(owned, pos, pos + 1, true, errors),
            Some('\\') => {}
            // A line break.
            Some(_) => return finish(owned, pos, pos, false, errors),
        }
        let value = owned.get_or_insert_with(|| {
            let mut text = String::with_capacity(pos + 16);
            text.push_str(input.get(1..pos).unwrap_or(""));
            text
        });
        let escape = chars.next();
        let simple = match escape {
            Some('\\') => Some('\\'),
            Some('"') => Some('"'),
            Some('n') => Some('\n'),
            Some('t') => Some('\t'),
            _ => None,
        };
        if let Some(decoded) = simple {
            value.push(decoded);
            pos += 2;
            continue;
        }
        // Only an error needs this, and errors are rare: counting here keeps the
        // common path free of per-character work.
        let chars_before = || input.get(..pos).map_or(0, |s| s.chars().count());
        match escape {
            // A backslash just before a line break or the end: the string is
            // unterminated; the next round reports it.
            None | Some('\n' | '\r') => pos += 1,
            Some('u') => {
                let tail = rest.get(2..).unwrap_or("");
                let (len, decoded) = match unicode_braces(tail) {
                    Ok((after, hex)) => {
                        let len = 2 + tail.len() - after.len();
                        let decoded = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                        (len, decoded)
                    }
                    Err(_) => (2 + bad_unicode_tail(tail), None),
                };
                let text = rest.get(..len).unwrap_or("");
                match decoded {
                    Some(decoded) => value.push(decoded),
                    None => errors.push(StringError {
                        start: pos,
                        end: pos + len,
                        chars_before: chars_before(),
                        message: format!("invalid escape `{text}` in string"),
                    }),
                }
                pos += len;
            }
            Some(other) => {
                let len = 1 + other.len_utf8();
                errors.push(StringError {
                    start: pos,
                    end: pos + len,
                    chars_before: chars_before(),
                    message: format!("invalid escape `\\{}` in string", other.escape_debug()),
                });
                pos += len;
            }
        }
    }
}

/// Length of what looks like the rest of a bad `\u` escape: a `{`, hex digits, and a
/// closing `}` if there is one.
fn bad_unicode_tail(tail: &str) -> usize {
    let Some(inner) = tail.strip_prefix('{') else {
        return 0;
    };
    let digits = inner
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(inner.len());
    let closing = usize::from(inner.get(digits..).is_some_and(|s| s.starts_with('}')));
    1 + digits + closing
}

/// Whether a character is written as a `\u{..}` escape when printing: controls, line
/// and paragraph separators, and the invisible bidirectional controls that can make
/// source text read differently from what it says.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{061c}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Writes `value` as a string literal that reads back as exactly `value`.
///
/// ```text
/// quote("a \"b\"\n") == r#""a \"b\"\n""#
/// ```
pub(super) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
#[allow(clippy::panic, reason = "test failures")]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes() {
        let cases: &[(&str, &str, usize)] = &[
            (r#""""#, "", 2),
            (r#""abc" rest"#, "abc", 5),
            (r#""a\\b""#, "a\\b", 6),
            (r#""a\"b""#, "a\"b", 6),
            (r#""\n\t""#, "\n\t", 6),
            (r#""\u{41}\u{1F600}""#, "A\u{1f600}", 17),
            (r#""\u{10FFFF}""#, "\u{10ffff}", 12),
            ("\"é\"", "é", 4),
        ];
        for &(input, value, len) in cases {
            let s = scan(input);
            assert_eq!(s.value, value, "{input}");
            assert_eq!(s.len, len, "{input}");
            assert!(s.terminated, "{input}");
            assert!(s.errors.is_empty(), "{input}");
        }
    }

    #[test]
    fn reports_bad_escapes() {
        let cases: &[(&str, &str, usize, usize)] = &[
            (r#""a\qb""#, "invalid escape `\\q` in string", 2, 2),
            (
                r#""\u{D800}""#,
                "invalid escape `\\u{D800}` in string",
                1,
                1,
            ),
            (
                r#""\u{110000}""#,
                "invalid escape `\\u{110000}` in string",
                1,
                1,
            ),
            (
                r#""\u{1234567}""#,
                "invalid escape `\\u{1234567}` in string",
                1,
                1,
            ),
            (r#""\u{}""#, "invalid escape `\\u{}` in string", 1, 1),
            (r#""\u41""#, "invalid escape `\\u` in string", 1, 1),
            (r#""x\u{zz}""#, "invalid escape `\\u{` in string", 2, 2),
            ("\"\\é\"", "invalid escape `\\é` in string", 1, 1),
        ];
        for &(input, message, start, chars_before) in cases {
            let s = scan(input);
            assert!(s.terminated, "{input}");
            let [e] = s.errors.as_slice() else {
                panic!("{input}: {:?}", s.errors)
            };
            assert_eq!(e.message, message, "{input}");
            assert_eq!((e.start, e.chars_before), (start, chars_before), "{input}");
        }
    }

    #[test]
    fn stops_at_line_breaks() {
        for (input, len) in [
            ("\"abc\ndef\"", 4),
            ("\"abc\r\n", 4),
            ("\"abc", 4),
            ("\"abc\\", 5),
            ("\"ab\\\n\"", 4),
            ("\"", 1),
        ] {
            let s = scan(input);
            assert!(!s.terminated, "{input:?}");
            assert_eq!(s.len, len, "{input:?}");
        }
    }

    #[test]
    fn quote_round_trips() {
        for value in [
            "",
            "plain",
            "a \"b\" \\ c",
            "\n\t\r\0\u{7f}\u{85}",
            "\u{202e}evil\u{2066}",
            "emoji 😀 and é",
            "\\u{41}",
        ] {
            let quoted = quote(value);
            let s = scan(&quoted);
            assert!(s.terminated && s.errors.is_empty(), "{quoted}");
            assert_eq!(s.value, value);
            assert_eq!(s.len, quoted.len());
            assert!(!quoted.contains(['\n', '\r']));
        }
    }
}
