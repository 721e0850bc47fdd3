//! Path patterns: `/`-separated segments that are literal, `*` or `{name}` (one
//! non-empty segment), an in-segment glob (`*.png`), or a final `**` (zero or more
//! segments of any content).

use std::sync::Arc;

use crate::normalize::{Options, normalize_path};

/// The most segments a path pattern may have. Matching walks the tree one segment at a
/// time, so this also bounds how deep that walk goes, whatever path a request carries.
pub(crate) const MAX_SEGMENTS: usize = 256;

/// One segment of a path pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Segment {
    /// Matches itself exactly.
    Literal(Box<str>),
    /// `*` or `{name}`: exactly one non-empty segment.
    One,
    /// Literal text mixed with `*`: the parts between the stars, in order (the first
    /// is a prefix, the last a suffix; both may be empty).
    Glob(Box<[Box<str>]>),
    /// `**`, only last: zero or more segments of any content.
    Tail,
}

/// A checked path pattern.
///
/// A policy repeats its patterns, and every leaf that checks one holds a copy: the
/// text and the segments are shared ([`Arc`]), so a copy costs two reference counts,
/// not an allocation per segment. Matching reads them through one pointer, as it would
/// through a `Box`.
///
/// INVARIANT: `Tail` occurs at most once, as the last segment; `Glob` holds at least
/// two parts; literal segments are in normalized form.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PathPattern {
    text: Arc<str>,
    segments: Arc<[Segment]>,
    /// How many segments at the start are literal: matching compares them as one
    /// string, `text[1..1 + literal_len]`.
    literal_segments: usize,
    literal_len: usize,
}

impl PathPattern {
    /// Checks a pattern; the error is a one-line message.
    pub(crate) fn new(text: &str) -> Result<PathPattern, String> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err(format!("path pattern `{text}` does not begin with `/`"));
        };
        let count = rest.bytes().filter(|&b| b == b'/').count() + 1;
        if count > MAX_SEGMENTS {
            return Err(format!(
                "path pattern has more than {MAX_SEGMENTS} segments, in `{}…`",
                text.chars().take(40).collect::<String>()
            ));
        }
        let last = count - 1;
        let mut segments = Vec::with_capacity(count);
        // The pattern with every wildcard replaced by a plain character: it must come
        // out of request normalization (default options) unchanged. Without `*` or
        // `{` every segment is literal and it is the pattern itself.
        let mut plain = text
            .contains(['*', '{'])
            .then(|| String::with_capacity(text.len()));
        // The leading literal segments and their length, `/`s between them included.
        let mut literal_segments = 0;
        let mut literal_len = 0;
        for (i, seg) in rest.split('/').enumerate() {
            let (segment, plain_seg) = if seg == "**" {
                if i != last {
                    return Err(format!(
                        "`**` may only be the last segment of a path pattern, in `{text}`"
                    ));
                }
                (Segment::Tail, "x")
            } else if seg == "*" {
                (Segment::One, "x")
            } else if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                {
                    return Err(format!(
                        "invalid segment name `{seg}` in path pattern `{text}`"
                    ));
                }
                (Segment::One, "x")
            } else if seg.contains('*') {
                if let Some(plain) = plain.as_mut() {
                    plain.push('/');
                    plain.push_str(&seg.replace('*', "x"));
                }
                let parts: Vec<Box<str>> = seg.split('*').map(Into::into).collect();
                segments.push(Segment::Glob(parts.into_boxed_slice()));
                continue;
            } else {
                if literal_segments == i {
                    literal_segments += 1;
                    literal_len += seg.len() + 1;
                }
                (Segment::Literal(seg.into()), seg)
            };
            if let Some(plain) = plain.as_mut() {
                plain.push('/');
                plain.push_str(plain_seg);
            }
            segments.push(segment);
        }
        let plain = plain.as_deref().unwrap_or(text);
        match normalize_path(plain, &Options::default()) {
            Ok(normalized) if normalized == plain => {}
            Ok(normalized) if !text.contains(['*', '{']) => {
                return Err(format!(
                    "path pattern `{text}` is not in normalized form; did you mean `{normalized}`?"
                ));
            }
            Ok(_) => {
                return Err(format!(
                    "path pattern `{text}` is not in normalized form (dot segments, repeated `/` or needless escapes)"
                ));
            }
            Err(e) => return Err(format!("invalid path pattern `{text}`: {e}")),
        }
        Ok(PathPattern {
            text: text.into(),
            segments: segments.into(),
            literal_segments,
            literal_len: literal_len.saturating_sub(1),
        })
    }

    /// The pattern as written.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// Whether the pattern starts with a literal segment: then a path that does not
    /// start with it fails on one compare.
    pub(crate) fn starts_literal(&self) -> bool {
        self.literal_segments > 0
    }

    /// The segments, in order.
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Does the normalized `path` (starting with `/`, no query) match? (Evaluation
    /// uses [`matches_with_segments`](Self::matches_with_segments).)
    #[cfg(test)]
    pub(crate) fn matches(&self, path: &str) -> bool {
        let segments = path.bytes().filter(|&b| b == b'/').count();
        self.matches_with_segments(path, segments)
    }

    /// `matches`, given the number of segments of `path` (its number
    /// of `/`), which normalization already counted.
    ///
    /// A pattern without `**` matches only paths with as many segments as it has, and
    /// one with `**` only paths with at least the segments before it: most patterns a
    /// leaf checks fail on that compare, before looking at any byte. The rest walks the
    /// path's bytes once, segment by segment: a literal segment is compared in place
    /// (no search for the next `/`), other segments find their end first.
    #[inline]
    pub(crate) fn matches_with_segments(&self, path: &str, segments: usize) -> bool {
        let wanted = self.segments.len();
        let counts_fit = if self.segments.last() == Some(&Segment::Tail) {
            segments + 1 >= wanted
        } else {
            segments == wanted
        };
        counts_fit && self.matches_bytes(path)
    }

    /// The byte walk of [`matches_with_segments`](Self::matches_with_segments), once
    /// the segment counts fit: then a pattern without `**` has exactly as many segments
    /// as the path, so its last segment is the rest of the path, and a `*` there needs
    /// no search for a `/`.
    fn matches_bytes(&self, path: &str) -> bool {
        let rest = path.strip_prefix('/').unwrap_or(path);
        // Where the next path segment starts in `rest`, or `None` once every segment
        // has been consumed (`/a/` has two segments, `a` and the empty one).
        let mut at = Some(0usize);
        if self.literal_segments > 0 {
            // The leading literal segments, `/` included, in one compare.
            let literal = self
                .text
                .as_bytes()
                .get(1..1 + self.literal_len)
                .unwrap_or_default();
            if !starts_with(rest.as_bytes(), literal) {
                return false;
            }
            at = match rest.as_bytes().get(self.literal_len) {
                None => None,
                Some(b'/') => Some(self.literal_len + 1),
                Some(_) => return false,
            };
        }
        let bytes = rest.as_bytes();
        let last = self.segments.len().saturating_sub(1);
        for (i, segment) in self.segments.iter().enumerate().skip(self.literal_segments) {
            let Some(start) = at else {
                return *segment == Segment::Tail;
            };
            let tail = bytes.get(start..).unwrap_or_default();
            let len = match segment {
                Segment::Tail => return true,
                Segment::Literal(lit) => {
                    if !starts_with(tail, lit.as_bytes()) {
                        return false;
                    }
                    lit.len()
                }
                // The last segment of a pattern without `**`: the rest of the path.
                Segment::One if i == last => return !tail.is_empty(),
                Segment::One => {
                    let len = tail.iter().position(|&b| b == b'/').unwrap_or(tail.len());
                    if len == 0 {
                        return false;
                    }
                    len
                }
                Segment::Glob(parts) => {
                    let len = tail.iter().position(|&b| b == b'/').unwrap_or(tail.len());
                    if !rest
                        .get(start..start + len)
                        .is_some_and(|part| glob_matches(parts, part))
                    {
                        return false;
                    }
                    len
                }
            };
            at = match tail.get(len) {
                None => None,
                Some(b'/') => Some(start + len + 1),
                Some(_) => return false,
            };
        }
        at.is_none()
    }
}

/// `haystack.starts_with(needle)`, comparing eight bytes at a time inline: the strings
/// compared here are short, and a call into `memcmp` costs more than the compare.
#[inline]
pub(crate) fn starts_with(haystack: &[u8], needle: &[u8]) -> bool {
    let Some(head) = haystack.get(..needle.len()) else {
        return false;
    };
    let mut a = head.chunks_exact(8);
    let mut b = needle.chunks_exact(8);
    for (x, y) in (&mut a).zip(&mut b) {
        let x = u64::from_ne_bytes(x.try_into().unwrap_or([0; 8]));
        let y = u64::from_ne_bytes(y.try_into().unwrap_or([0; 8]));
        if x != y {
            return false;
        }
    }
    a.remainder().iter().zip(b.remainder()).all(|(x, y)| x == y)
}

/// `a == b`, inline (see [`starts_with`]).
#[inline]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && starts_with(a, b)
}

/// In-segment glob: `parts` are the literal pieces between stars.
pub(crate) fn glob_matches(parts: &[Box<str>], text: &str) -> bool {
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    if parts.len() < 2 || text.len() < first.len() + last.len() {
        return false;
    }
    let Some(rest) = text.strip_prefix(&**first) else {
        return false;
    };
    let Some(mut middle) = rest.strip_suffix(&**last) else {
        return false;
    };
    for piece in parts.iter().take(parts.len() - 1).skip(1) {
        match middle.find(&**piece) {
            Some(at) => middle = middle.get(at + piece.len()..).unwrap_or(""),
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        PathPattern::new(pattern).unwrap().matches(path)
    }

    #[test]
    fn matching_follows_the_documented_rules() {
        let cases: &[(&str, &str, bool)] = &[
            ("/a", "/a", true),
            ("/a", "/a/", false),
            ("/a/", "/a/", true),
            ("/a/", "/a", false),
            ("/", "/", true),
            ("/*", "/", false),
            ("/*", "/x", true),
            ("/{id}", "/x", true),
            ("/a/{id}", "/a/", false),
            ("/static/**", "/static", true),
            ("/static/**", "/static/", true),
            ("/static/**", "/static/css/a.css", true),
            ("/static/**", "/staticx", false),
            ("/**", "/", true),
            ("/**", "/a/b", true),
            ("/*.png", "/.png", true),
            ("/*.png", "/a.png", true),
            ("/*.png", "/a.png/b", false),
            ("/v*/x", "/v1/x", true),
            ("/a*b*c", "/abc", true),
            ("/a*b*c", "/ac", false),
            ("/a*a", "/a", false),
            ("/A", "/a", false),
        ];
        for &(pattern, path, expected) in cases {
            assert_eq!(m(pattern, path), expected, "{pattern} ~ {path}");
        }
    }

    #[test]
    fn rejects_patterns_that_normalization_would_change() {
        for bad in [
            "a", "/a/../b", "/a//b", "/a%2Fb", "/a/./b", "/a%41", "/a?b", "/a#b", "/**/a", "/{}",
            "/{a-b}", "/a b", "/a%2e",
        ] {
            assert!(PathPattern::new(bad).is_err(), "{bad}");
        }
        for good in [
            "/",
            "/a/",
            "/a/**",
            "/%2A",
            "/%C3%A9",
            "/a/{id}/*.json",
            "/~user",
            "/a:b@c",
        ] {
            assert!(PathPattern::new(good).is_ok(), "{good}");
        }
    }
}
