//! Plain matching of a rule's conditions against a normalized request: what a leaf of
//! the tree does with each rule that reaches it.

use crate::check::identity_glob::directory_is;
use crate::check::path_pattern::{PathPattern, bytes_eq};
use crate::check::{Attribute, Cond, CondTest, Keyed, KeyedTest};
use crate::compile::{Check, CheckTest, Range32, Tree};
use crate::normalize::Normalized;

/// Do the prepared conditions `checks` (a range of the tree's checks) all match?
/// `None` if a position in them is outside the tree (the caller then denies).
pub(crate) fn checks_match(tree: &Tree, checks: Range32, request: &Normalized<'_>) -> Option<bool> {
    for check in checks.of(&tree.checks)? {
        if !check_matches(tree, check, request)? {
            return Some(false);
        }
    }
    Some(true)
}

/// Does one prepared condition match? `None` if it points outside the tree.
///
/// Not inlined into the loop of [`checks_match`], for the reason given at
/// [`condition_matches`].
#[inline(never)]
fn check_matches(tree: &Tree, check: &Check, r: &Normalized<'_>) -> Option<bool> {
    let matched = match check.test {
        CheckTest::IdentityDir(prefix) => {
            let prefix = tree.str(prefix)?;
            r.identity
                .is_some_and(|id| directory_is(prefix, id, r.identity_dir))
        }
        CheckTest::Method(methods) => {
            value_in(tree, methods.of(&tree.strings)?, r.method.as_bytes())?
        }
        CheckTest::Header(list) => {
            let (&name, values) = list.of(&tree.strings)?.split_first()?;
            let name = tree.str(name)?;
            any(r
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|&(_, v)| value_in(tree, values, v)))?
        }
        CheckTest::Attr(list) => {
            let (&key, values) = list.of(&tree.strings)?.split_first()?;
            let key = tree.str(key)?;
            any(r
                .attrs
                .iter()
                .filter(|(k, _)| bytes_eq(k.as_bytes(), key.as_bytes()))
                .map(|&(_, v)| value_in(tree, values, v.as_bytes())))?
        }
        CheckTest::Path(patterns) => any(patterns
            .of(&tree.path_checks)?
            .iter()
            .map(|p| p.matches(&tree.bytes, r.path, r.path_segments)))?,
        CheckTest::Cond(at) => return Some(condition_matches(tree.conds.get(at as usize)?, r)),
    };
    Some(matched != check.negated)
}

/// Is one of `tests` true? The first `None` (a position outside the tree) before a
/// true one is the answer, as the caller then denies.
#[inline]
fn any(tests: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    for test in tests {
        if test? {
            return Some(true);
        }
    }
    Some(false)
}

/// Is `value` one of `values` (ranges of the tree's strings)? `None` if a range is
/// outside the tree.
fn value_in(tree: &Tree, values: &[Range32], value: &[u8]) -> Option<bool> {
    any(values
        .iter()
        .map(|&w| Some(bytes_eq(tree.str(w)?.as_bytes(), value))))
}

/// Is the request's method one of `methods`?
fn method_in(methods: &[Box<str>], r: &Normalized<'_>) -> bool {
    methods
        .iter()
        .any(|m| bytes_eq(m.as_bytes(), r.method.as_bytes()))
}

/// Does the request's path match one of `patterns`?
fn path_in(patterns: &[PathPattern], r: &Normalized<'_>) -> bool {
    patterns
        .iter()
        .any(|p| p.matches_with_segments(r.path, r.path_segments))
}

/// Does one condition match? A missing attribute makes the test false, and `not`
/// inverts that.
///
/// Not inlined into the loop of [`checks_match`]: inlined, every kind of test
/// would load what it reads from the request before the loop starts, and a leaf's
/// rule, which checks one or two conditions, would pay for all of them.
#[inline(never)]
pub(crate) fn condition_matches(cond: &Cond, request: &Normalized<'_>) -> bool {
    test_matches(&cond.test, request) != cond.negated
}

fn test_matches(test: &CondTest, r: &Normalized<'_>) -> bool {
    match test {
        CondTest::Identity(globs) => r
            .identity
            .is_some_and(|id| globs.iter().any(|g| g.matches_with_dir(id, r.identity_dir))),
        CondTest::IdentityRegex(re) => r.identity.is_some_and(|id| re.is_match(id.as_bytes())),
        CondTest::Method(methods) => method_in(methods, r),
        CondTest::Path(patterns) => path_in(patterns, r),
        CondTest::PathRegex(re) => re.is_match(r.path.as_bytes()),
        CondTest::Host(patterns) => r
            .host
            .is_some_and(|h| patterns.iter().any(|p| p.matches(h))),
        CondTest::HostRegex(re) => r.host.is_some_and(|h| re.is_match(h.as_bytes())),
        CondTest::Port(ranges) => r
            .port
            .is_some_and(|p| ranges.iter().any(|&(lo, hi)| lo <= p && p <= hi)),
        CondTest::Source(nets) => r
            .source
            .is_some_and(|s| nets.iter().any(|n| n.contains(&s))),
        CondTest::Present(attribute) => match attribute {
            Attribute::Identity => r.identity.is_some(),
            Attribute::Host => r.host.is_some(),
            Attribute::Port => r.port.is_some(),
            Attribute::Source => r.source.is_some(),
        },
        CondTest::Header(keyed) => {
            let KeyedTest { name, test } = &**keyed;
            let mut values = r
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|&(_, v)| v);
            match test {
                Keyed::Present => values.next().is_some(),
                Keyed::Values(wanted) => values.any(|v| wanted.iter().any(|w| **w == *v)),
                Keyed::Regex(re) => values.any(|v| re.is_match(v)),
            }
        }
        CondTest::Attr(keyed) => {
            let KeyedTest { name, test } = &**keyed;
            // Like a header: every value of the key, any of which may match.
            let mut values = r
                .attrs
                .iter()
                .filter(|(k, _)| *k == &**name)
                .map(|&(_, v)| v.as_bytes());
            match test {
                Keyed::Present => values.next().is_some(),
                Keyed::Values(wanted) => values.any(|v| wanted.iter().any(|w| **w == *v)),
                Keyed::Regex(re) => values.any(|v| re.is_match(v)),
            }
        }
    }
}
