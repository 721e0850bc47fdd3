//! Paths: classes cut by path patterns (literal segments, `*` and `{name}`, globs
//! within a segment, a final `**`), over the normalized paths of language §6: a `/`,
//! then segments that are never `.` or `..`, with no empty segment but the last
//! when slashes are merged, escapes `%XX` forming whole UTF-8 characters.
//!
//! Patterns and paths are read as units: a character, or one `%XX` escape as it is
//! written in a pattern. Other escapes in a path (`%2F` kept by an option, `%0A`)
//! behave as any character no pattern names.

use super::automaton::{Classes, Patterns, Token, TooComplex, Validity};

/// The characters tried, in order, as the fresh unit.
const FRESH: &str = "xyzqjkwvubcdefghilmnoprstua0123456789-_~";

/// The classes of the path domain for `patterns` (pattern texts, checked);
/// `merge_slashes` is the normalization option.
pub(crate) fn paths(patterns_text: &[&str], merge_slashes: bool) -> Result<Classes, TooComplex> {
    let mut patterns = Patterns::new();
    for text in patterns_text {
        let alternatives = alternatives(text, &mut patterns);
        patterns.add(alternatives);
    }
    if !patterns.set_fresh(FRESH) {
        return Err(TooComplex);
    }
    patterns.classes(&PathValidity { merge_slashes })
}

/// A pattern as token sequences: one, or two when it ends in `**` (`/a/**` is `/a`,
/// or `/a/` followed by anything).
fn alternatives(text: &str, patterns: &mut Patterns) -> Vec<Vec<Token>> {
    let rest = text.strip_prefix('/').unwrap_or(text);
    let segments: Vec<&str> = rest.split('/').collect();
    let mut head = Vec::new();
    let count = segments.len();
    for (i, segment) in segments.iter().enumerate() {
        if *segment == "**" && i + 1 == count {
            let mut with_tail = head.clone();
            with_tail.push(Token::Unit(super::automaton::SLASH));
            with_tail.push(Token::Any);
            return vec![head, with_tail];
        }
        head.push(Token::Unit(super::automaton::SLASH));
        let named = segment.starts_with('{') && segment.ends_with('}') && segment.len() >= 2;
        if *segment == "*" || named {
            head.push(Token::One);
            head.push(Token::Star);
            continue;
        }
        let mut parts = segment.split('*').peekable();
        while let Some(part) = parts.next() {
            for unit in units(part) {
                head.push(Token::Unit(patterns.unit(unit)));
            }
            if parts.peek().is_some() {
                head.push(Token::Star);
            }
        }
    }
    vec![head]
}

/// The units of literal text: `%XX` escapes and single characters.
fn units(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let width = if text.as_bytes().get(i) == Some(&b'%') {
            3
        } else {
            text.get(i..)
                .and_then(|s| s.chars().next())
                .map_or(1, char::len_utf8)
        };
        let end = (i + width).min(text.len());
        if let Some(unit) = text.get(i..end) {
            out.push(unit);
        }
        i = end.max(i + 1);
    }
    out
}

/// Normalized paths, as a deterministic automaton. The state packs: bit 0, the `/`
/// was read; bits 1–2, the segment state (empty, `.`, `..`, other); bits 3–4, how
/// many continuation bytes of an escaped UTF-8 character are still due.
#[derive(Debug)]
struct PathValidity {
    merge_slashes: bool,
}

const SEG_EMPTY: u32 = 0;
const SEG_DOT: u32 = 1;
const SEG_DOTDOT: u32 = 2;
const SEG_OTHER: u32 = 3;

fn pack(started: bool, seg: u32, due: u32) -> u32 {
    u32::from(started) | seg << 1 | due << 3
}

impl Validity for PathValidity {
    fn start(&self) -> u32 {
        0
    }

    fn step(&self, state: u32, unit: &str) -> Option<u32> {
        let started = state & 1 != 0;
        let seg = (state >> 1) & 3;
        let due = state >> 3;
        if !started {
            return (unit == "/").then(|| pack(true, SEG_EMPTY, 0));
        }
        if let Some(hex) = unit.strip_prefix('%') {
            let byte = u8::from_str_radix(hex, 16).ok()?;
            let due = match (due, byte) {
                (0, 0x00..=0x7f) => 0,
                (0, 0xc2..=0xdf) => 1,
                (0, 0xe0..=0xef) => 2,
                (0, 0xf0..=0xf4) => 3,
                (1..=3, 0x80..=0xbf) => due - 1,
                _ => return None,
            };
            return Some(pack(true, SEG_OTHER, due));
        }
        if due != 0 {
            return None;
        }
        let seg = match (seg, unit) {
            (SEG_DOT | SEG_DOTDOT, "/") => return None,
            (SEG_EMPTY, "/") if self.merge_slashes => return None,
            (_, "/") => SEG_EMPTY,
            (SEG_EMPTY, ".") => SEG_DOT,
            (SEG_DOT, ".") => SEG_DOTDOT,
            _ => SEG_OTHER,
        };
        Some(pack(true, seg, 0))
    }

    fn accepts(&self, state: u32) -> bool {
        let seg = (state >> 1) & 3;
        state & 1 != 0 && state >> 3 == 0 && !matches!(seg, SEG_DOT | SEG_DOTDOT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_of_path_patterns() {
        let classes = paths(&["/a/**", "/a/b", "/a/*", "/*.png"], true).unwrap();
        for rep in &classes.reps {
            let normal = portcullis::normalize::normalize_path(rep, &Default::default());
            assert_eq!(normal.as_deref().ok(), Some(rep.as_str()));
        }
        // none; /a (tail only); /a/b; /a/x (tail and one); /x.png; /a.png? no: /a.png
        // is one segment `a.png`, matched by `/*.png` only, like /x.png.
        assert_eq!(classes.matched[1].len(), 1);
        assert_eq!(classes.matched[0].len(), 3, "{:?}", classes.reps);
        assert_eq!(classes.matched[3].len(), 1);
        assert_eq!(classes.reps.len(), 5, "{:?}", classes.reps);
    }
}
