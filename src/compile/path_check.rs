//! The path patterns leaf checks compare, in the tree's flat form: a 16-byte record
//! per pattern (its text a range of the tree's byte arena, and the counts that reject
//! most paths before any byte is read), a pattern list a range of those records.
//!
//! The checked policy's [`PathPattern`] holds its segments in a slice of its own and
//! each literal segment in an allocation of its own: checking a rule's path chased a
//! pointer per pattern and per segment. Here the records of a list lie side by side,
//! and a pattern whose segment count fits the path is matched against its text in
//! place, segment by segment, exactly as [`PathPattern::matches_with_segments`] does.

use crate::check::path_pattern::{PathPattern, Segment, starts_with};
use crate::compile::{Range32, to_u32};

/// Set in [`PathCheck::segments`] when the pattern ends with `**`.
const TAIL: u16 = 1 << 15;

/// One path pattern a leaf checks.
///
/// INVARIANT: made by [`PathCheck::new`] from the pattern whose text `text` is; the
/// counts fit (`MAX_SEGMENTS` is far below `TAIL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PathCheck {
    /// The pattern as written: a range of [`Tree::bytes`](super::Tree::bytes).
    pub(crate) text: Range32,
    /// How many bytes the leading literal segments take (the `/`s between them
    /// included, not the first): compared as one string.
    literal_len: u32,
    /// How many segments at the start are literal.
    literal_segments: u16,
    /// The number of segments (`**` included), with [`TAIL`] set if it is last.
    segments: u16,
}

impl PathCheck {
    /// The record of `pattern`, whose text is `text`.
    pub(crate) fn new(pattern: &PathPattern, text: Range32) -> PathCheck {
        let segments = pattern.segments();
        let literals: Vec<&str> = segments
            .iter()
            .map_while(|s| match s {
                Segment::Literal(lit) => Some(&**lit),
                _ => None,
            })
            .collect();
        let literal_len = literals.iter().map(|l| l.len() + 1).sum::<usize>();
        let tail = if segments.last() == Some(&Segment::Tail) {
            TAIL
        } else {
            0
        };
        PathCheck {
            text,
            literal_len: to_u32(literal_len.saturating_sub(1)),
            literal_segments: u16::try_from(literals.len()).unwrap_or(u16::MAX),
            // INVARIANT: at most `MAX_SEGMENTS` (256) segments, far below `TAIL`.
            segments: u16::try_from(segments.len())
                .ok()
                .filter(|n| n & TAIL == 0)
                .unwrap_or(!TAIL)
                | tail,
        }
    }

    /// Does the normalized `path`, of `path_segments` segments (its number of `/`),
    /// match the pattern, whose text is in `bytes`? `None` if the text is not there
    /// (the caller then denies).
    ///
    /// A pattern without `**` matches only paths with as many segments as it has, and
    /// one with `**` only paths with at least the segments before it: most patterns a
    /// leaf checks fail on that compare, before reading the text. Then the leading
    /// literal segments are compared as one string, and the other segments one by one
    /// (`*` and `{name}`, a glob, `**`), as the text spells them.
    #[inline]
    pub(crate) fn matches(&self, bytes: &str, path: &str, path_segments: usize) -> Option<bool> {
        let wanted = usize::from(self.segments & !TAIL);
        let fits = if self.segments & TAIL != 0 {
            path_segments + 1 >= wanted
        } else {
            path_segments == wanted
        };
        if !fits {
            return Some(false);
        }
        let start = self.text.start as usize;
        let text = bytes.get(start..start.checked_add(self.text.len as usize)?)?;
        let pattern = text.strip_prefix('/').unwrap_or(text);
        let rest = path.strip_prefix('/').unwrap_or(path);
        let bytes = rest.as_bytes();
        // Where the next path segment starts in `rest`, or `None` once every segment
        // has been consumed (`/a/` has two segments, `a` and the empty one).
        let mut at = Some(0usize);
        // The pattern's segments still to match, joined by `/`, or `None`.
        let mut todo = Some(pattern);
        if self.literal_segments > 0 {
            let len = self.literal_len as usize;
            if !starts_with(bytes, pattern.as_bytes().get(..len)?) {
                return Some(false);
            }
            at = match bytes.get(len) {
                None => None,
                Some(b'/') => Some(len + 1),
                Some(_) => return Some(false),
            };
            todo = if self.literal_segments == self.segments & !TAIL {
                None
            } else {
                Some(pattern.get(len.checked_add(1)?..)?)
            };
        }
        while let Some(segments) = todo {
            let (segment, next) = split_segment(segments);
            todo = next;
            let Some(start) = at else {
                return Some(segment == "**");
            };
            let tail = bytes.get(start..).unwrap_or_default();
            let len = if segment == "**" {
                return Some(true);
            } else if segment == "*" || is_named(segment) {
                // The last segment of a pattern without `**`: the rest of the path.
                if next.is_none() {
                    return Some(!tail.is_empty());
                }
                let len = tail.iter().position(|&b| b == b'/').unwrap_or(tail.len());
                if len == 0 {
                    return Some(false);
                }
                len
            } else if segment.bytes().any(|b| b == b'*') {
                let len = tail.iter().position(|&b| b == b'/').unwrap_or(tail.len());
                if !rest
                    .get(start..start + len)
                    .is_some_and(|part| glob_text_matches(segment, part))
                {
                    return Some(false);
                }
                len
            } else {
                if !starts_with(tail, segment.as_bytes()) {
                    return Some(false);
                }
                segment.len()
            };
            at = match tail.get(len) {
                None => None,
                Some(b'/') => Some(start + len + 1),
                Some(_) => return Some(false),
            };
        }
        Some(at.is_none())
    }
}

/// Does the in-segment glob `glob` (its text: literal parts between `*`s, at least
/// one `*`) match the segment `text`? The same test as
/// [`glob_matches`](crate::check::path_pattern::glob_matches) on the glob's parts,
/// read from its text in place.
pub(crate) fn glob_text_matches(glob: &str, text: &str) -> bool {
    let (Some((first, after_first)), Some((_, last))) =
        (glob.split_once('*'), glob.rsplit_once('*'))
    else {
        return false;
    };
    if text.len() < first.len() + last.len() {
        return false;
    }
    let Some(rest) = text.strip_prefix(first) else {
        return false;
    };
    let Some(mut middle) = rest.strip_suffix(last) else {
        return false;
    };
    // The parts between the first and the last `*`, if there are more than two parts.
    let Some(inner) = after_first
        .strip_suffix(last)
        .and_then(|s| s.strip_suffix('*'))
    else {
        return true;
    };
    for piece in inner.split('*') {
        match middle.find(piece) {
            Some(at) => middle = middle.get(at + piece.len()..).unwrap_or(""),
            None => return false,
        }
    }
    true
}

/// The first segment of `segments` (joined by `/`) and the rest after its `/`, if
/// there is one. A plain byte loop: segments are short, and `str::split_once` calls
/// out to a searcher that costs more than the search.
#[inline]
pub(crate) fn split_segment(segments: &str) -> (&str, Option<&str>) {
    match segments.bytes().position(|b| b == b'/') {
        Some(at) => (
            segments.get(..at).unwrap_or_default(),
            segments.get(at + 1..),
        ),
        None => (segments, None),
    }
}

/// Is `segment` a `{name}` segment? (A checked pattern has no other segment in
/// braces: a bad name is an error.)
fn is_named(segment: &str) -> bool {
    segment
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .is_some()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    fn flat(pattern: &str, path: &str) -> Option<bool> {
        let p = PathPattern::new(pattern).unwrap();
        // The text somewhere inside a larger arena, as in a tree.
        let bytes = format!("xx{pattern}yy");
        let check = PathCheck::new(
            &p,
            Range32 {
                start: 2,
                len: to_u32(pattern.len()),
            },
        );
        let segments = path.bytes().filter(|&b| b == b'/').count();
        check.matches(&bytes, path, segments)
    }

    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[ab]{0,2}",
            1 => Just("*".to_string()),
            1 => Just("{id}".to_string()),
            1 => "[ab]{0,1}\\*[ab]{0,1}",
            1 => "a\\*b\\*a",
            1 => Just("abcdefghij".to_string()),
        ]
    }

    proptest! {
        /// The flat form matches exactly the paths the checked pattern matches.
        #[test]
        fn flat_patterns_match_as_checked_ones(
            segs in prop::collection::vec(segment(), 1..5),
            tail in any::<bool>(),
            paths in prop::collection::vec("(/([ab]{0,3}|abcdefghij|a\\.b)){1,6}", 1..10),
        ) {
            let mut pattern = format!("/{}", segs.join("/"));
            if tail {
                pattern.push_str("/**");
            }
            let Ok(p) = PathPattern::new(&pattern) else {
                return Ok(());
            };
            for path in &paths {
                prop_assert_eq!(flat(&pattern, path), Some(p.matches(path)), "{} ~ {}", pattern, path);
            }
        }
    }

    #[test]
    fn the_documented_cases_match_alike() {
        for (pattern, path) in [
            ("/", "/"),
            ("/", "/a"),
            ("/a/", "/a/"),
            ("/a/", "/a"),
            ("/*", "/"),
            ("/static/**", "/static"),
            ("/static/**", "/staticx"),
            ("/**", "/"),
            ("/*.png", "/a.png/b"),
            ("/a*b*c", "/abc"),
            ("/api/{id}/x", "/api/7/x"),
            ("/api/{id}/x", "/api//x"),
        ] {
            let expected = PathPattern::new(pattern).unwrap().matches(path);
            assert_eq!(flat(pattern, path), Some(expected), "{pattern} ~ {path}");
        }
    }

    #[test]
    fn a_text_outside_the_arena_is_reported() {
        let p = PathPattern::new("/a").unwrap();
        let check = PathCheck::new(&p, Range32 { start: 5, len: 2 });
        assert_eq!(check.matches("/a", "/a", 1), None);
        assert_eq!(std::mem::size_of::<PathCheck>(), 16);
    }
}
