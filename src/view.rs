//! What the conditions of a compiled policy test, as read-only values: for analyses
//! that reason about every request a rule can match (`portcullis diff`, `lint`),
//! without access to the checker's private types.
//!
//! A [`ConditionTest`] is what the checker kept for one condition: names spliced,
//! values typed and normalized (a host pattern in lower case, a path pattern as
//! written and already in normal form), in the order they are written.

use std::net::IpAddr;

use crate::check::host_pattern::HostPattern;
use crate::check::identity_glob::IdentityGlob;
use crate::check::{Attribute, Cond, CondTest, Keyed};

/// The attributes a `present` test or a regular expression can be about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Attr {
    /// The caller's identity.
    Identity,
    /// The normalized path (no query).
    Path,
    /// The normalized host.
    Host,
    /// The destination port.
    Port,
    /// The peer address.
    Source,
}

/// A host pattern, normalized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HostView<'p> {
    /// The host equals this name.
    Exact(&'p str),
    /// `*.example`, held as `.example`: one or more labels before it.
    Suffix(&'p str),
    /// `*`: any host (the request must have one).
    Any,
}

/// An identity glob: `*` is any run of characters without `/`, `**` any run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GlobView<'p> {
    /// No `*`: the identity equals this.
    Exact(&'p str),
    /// `prefix*`: the prefix, then characters without `/`.
    PrefixOneSegment(&'p str),
    /// `prefix**`: the prefix, then anything.
    PrefixAny(&'p str),
    /// Any other glob, as written.
    General(&'p str),
}

/// A test on a header's or an attribute's values.
#[derive(Clone, Copy, Debug)]
pub enum KeyedView<'p> {
    /// `==` or `in`: some value equals one of these.
    Values(&'p [Box<[u8]>]),
    /// `~`: some value matches this anchored expression (its text).
    Regex(&'p str),
    /// `present`.
    Present,
}

/// What one condition tests, before its `not`.
///
/// ```
/// use portcullis::view::ConditionTest;
/// let policy = portcullis::Policy::compile(r#"allow "a" { not method GET, HEAD port 80..90 }"#)?;
/// let rule = policy.rules().next().unwrap();
/// let tests: Vec<(bool, ConditionTest)> = rule.tests().collect();
/// assert!(matches!(&tests[0], (true, ConditionTest::Method(m)) if m == &["GET", "HEAD"]));
/// assert!(matches!(&tests[1], (false, ConditionTest::Port(p)) if p == &[(80, 90)]));
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ConditionTest<'p> {
    /// Identity globs.
    Identity(Vec<GlobView<'p>>),
    /// Methods.
    Method(Vec<&'p str>),
    /// Path patterns, as written (they are in normal form).
    Path(Vec<&'p str>),
    /// Host patterns.
    Host(Vec<HostView<'p>>),
    /// Inclusive port ranges.
    Port(&'p [(u16, u16)]),
    /// Address blocks: an address and a prefix length.
    Source(Vec<(IpAddr, u8)>),
    /// A regular expression on an attribute (its anchored text).
    Regex(Attr, &'p str),
    /// The attribute occurs in the request.
    Present(Attr),
    /// A header (name in lower case).
    Header(&'p str, KeyedView<'p>),
    /// A caller attribute (key as written).
    Attr(&'p str, KeyedView<'p>),
}

/// The view of a checked condition: whether it is negated, and its test.
pub(crate) fn view(cond: &Cond) -> (bool, ConditionTest<'_>) {
    let test = match &cond.test {
        CondTest::Identity(globs) => ConditionTest::Identity(globs.iter().map(glob_view).collect()),
        CondTest::IdentityRegex(re) => ConditionTest::Regex(Attr::Identity, re.as_str()),
        CondTest::Method(methods) => ConditionTest::Method(methods.iter().map(|m| &**m).collect()),
        CondTest::Path(patterns) => {
            ConditionTest::Path(patterns.iter().map(|p| p.text()).collect())
        }
        CondTest::PathRegex(re) => ConditionTest::Regex(Attr::Path, re.as_str()),
        CondTest::Host(patterns) => ConditionTest::Host(
            patterns
                .iter()
                .map(|p| match p {
                    HostPattern::Exact(name) => HostView::Exact(name),
                    HostPattern::Suffix(suffix) => HostView::Suffix(suffix),
                    HostPattern::Any => HostView::Any,
                })
                .collect(),
        ),
        CondTest::HostRegex(re) => ConditionTest::Regex(Attr::Host, re.as_str()),
        CondTest::Port(ranges) => ConditionTest::Port(ranges),
        CondTest::Source(nets) => {
            ConditionTest::Source(nets.iter().map(|n| (n.addr(), n.prefix_len())).collect())
        }
        CondTest::Present(attribute) => ConditionTest::Present(match attribute {
            Attribute::Identity => Attr::Identity,
            Attribute::Host => Attr::Host,
            Attribute::Port => Attr::Port,
            Attribute::Source => Attr::Source,
        }),
        CondTest::Header(test) => ConditionTest::Header(&test.name, keyed(&test.test)),
        CondTest::Attr(test) => ConditionTest::Attr(&test.name, keyed(&test.test)),
    };
    (cond.negated, test)
}

fn keyed(test: &Keyed) -> KeyedView<'_> {
    match test {
        Keyed::Values(values) => KeyedView::Values(values),
        Keyed::Regex(re) => KeyedView::Regex(re.as_str()),
        Keyed::Present => KeyedView::Present,
    }
}

fn glob_view(glob: &IdentityGlob) -> GlobView<'_> {
    match glob {
        IdentityGlob::Exact(text) => GlobView::Exact(text),
        IdentityGlob::PrefixOneSegment(prefix) => GlobView::PrefixOneSegment(prefix),
        IdentityGlob::PrefixAny(prefix) => GlobView::PrefixAny(prefix),
        IdentityGlob::General { glob, .. } => GlobView::General(glob),
    }
}
