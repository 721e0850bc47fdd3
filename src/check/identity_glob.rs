//! Identity globs: `*` is any run of characters without `/`, `**` any run at all; the
//! rest is literal and case-sensitive, matched against the whole identity.

use std::sync::Arc;

use regex::bytes::Regex;

use super::path_pattern::{bytes_eq, starts_with};

/// A checked identity glob, classified so the common shapes need no regex.
///
/// Texts and the regex are shared ([`Arc`]): a policy repeats its globs, and a copy
/// costs a reference count (copying a [`Regex`] would give the copy its own cache
/// pool).
#[derive(Clone, Debug)]
pub(crate) enum IdentityGlob {
    /// No `*`: the identity must equal it.
    Exact(Arc<str>),
    /// `prefix*` with no other `*`: the identity starts with the prefix and the rest
    /// has no `/`.
    PrefixOneSegment(Arc<str>),
    /// `prefix**` with no other `*`: the identity starts with the prefix.
    PrefixAny(Arc<str>),
    /// Anything else, compiled to an anchored regular expression.
    General { glob: Arc<str>, regex: Arc<Regex> },
}

impl IdentityGlob {
    pub(crate) fn new(glob: &str) -> IdentityGlob {
        let first_star = glob.find('*');
        match first_star {
            None => IdentityGlob::Exact(glob.into()),
            Some(i) => {
                let (prefix, rest) = glob.split_at(i);
                if rest == "*" {
                    IdentityGlob::PrefixOneSegment(prefix.into())
                } else if rest.bytes().all(|b| b == b'*') {
                    IdentityGlob::PrefixAny(prefix.into())
                } else {
                    general(glob)
                }
            }
        }
    }

    /// Does the glob match `identity`? (Evaluation uses
    /// [`matches_with_dir`](Self::matches_with_dir).)
    #[cfg(test)]
    pub(crate) fn matches(&self, identity: &str) -> bool {
        let dir = identity.rfind('/').map_or(0, |i| i + 1);
        self.matches_with_dir(identity, dir)
    }

    /// Whether matching is a length test and a compare (no regular expression).
    pub(crate) fn is_simple(&self) -> bool {
        !matches!(self, IdentityGlob::General { .. })
    }

    /// Does the glob match `identity`, whose directory (the bytes up to and including
    /// its last `/`, 0 without one) is `dir` bytes long? Normalization already found
    /// that length, so `prefix*` needs no search for a `/` after the prefix.
    pub(crate) fn matches_with_dir(&self, identity: &str, dir: usize) -> bool {
        match self {
            IdentityGlob::Exact(s) => bytes_eq(s.as_bytes(), identity.as_bytes()),
            IdentityGlob::PrefixOneSegment(p) if p.ends_with('/') => directory_is(p, identity, dir),
            // No `/` after the prefix: the last `/` is inside it.
            IdentityGlob::PrefixOneSegment(p) => {
                dir <= p.len() && starts_with(identity.as_bytes(), p.as_bytes())
            }
            IdentityGlob::PrefixAny(p) => starts_with(identity.as_bytes(), p.as_bytes()),
            IdentityGlob::General { regex, .. } => regex.is_match(identity.as_bytes()),
        }
    }
}

/// Whether `identity`, whose directory is `dir` bytes long, has the directory
/// `prefix` (which ends in `/`): the glob `prefix*`. The identity's last `/` must be
/// the prefix's, so the lengths alone rule out most identities.
#[inline]
pub(crate) fn directory_is(prefix: &str, identity: &str, dir: usize) -> bool {
    dir == prefix.len() && starts_with(identity.as_bytes(), prefix.as_bytes())
}

fn general(glob: &str) -> IdentityGlob {
    let mut re = String::from(r"\A");
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '*' {
            if chars.peek() == Some(&'*') {
                while chars.peek() == Some(&'*') {
                    chars.next();
                }
                re.push_str("(?s:.*)");
            } else {
                re.push_str("[^/]*");
            }
        } else {
            re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
        }
    }
    re.push_str(r"\z");
    // The expression is built from escaped literals and two fixed pieces: it always
    // compiles, but if it somehow did not, match nothing (fail closed).
    let regex = Regex::new(&re).unwrap_or_else(|_| never());
    IdentityGlob::General {
        glob: glob.into(),
        regex: Arc::new(regex),
    }
}

fn never() -> Regex {
    #[expect(clippy::unwrap_used, reason = "a fixed, valid expression")]
    Regex::new(r"[^\s\S]").unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_specified() {
        let cases: &[(&str, &str, bool)] = &[
            (
                "spiffe://p/ns/web/sa/frontend",
                "spiffe://p/ns/web/sa/frontend",
                true,
            ),
            (
                "spiffe://p/ns/web/sa/frontend",
                "spiffe://p/ns/web/sa/Frontend",
                false,
            ),
            ("spiffe://p/ns/web/sa/*", "spiffe://p/ns/web/sa/x", true),
            ("spiffe://p/ns/web/sa/*", "spiffe://p/ns/web/sa/", true),
            ("spiffe://p/ns/web/sa/*", "spiffe://p/ns/web/sa/x/y", false),
            ("spiffe://p/ns/**", "spiffe://p/ns/a/sa/b", true),
            ("spiffe://p/ns/*/sa/db", "spiffe://p/ns/x/sa/db", true),
            ("spiffe://p/ns/*/sa/db", "spiffe://p/ns/x/y/sa/db", false),
            ("spiffe://p/**/sa/db", "spiffe://p/ns/x/y/sa/db", true),
            ("*", "a/b", false),
            ("**", "a/b", true),
            ("a.b*", "a.b", true),
            ("a.*", "abc", false),
        ];
        for &(glob, identity, expected) in cases {
            assert_eq!(
                IdentityGlob::new(glob).matches(identity),
                expected,
                "{glob} ~ {identity}"
            );
        }
    }
}
