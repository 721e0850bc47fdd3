//! Can an identity glob match any valid identity? (Language 1.1: an identity pattern
//! that no valid identity can match is a compile error, since in a `deny` rule it
//! would silently never deny.)
//!
//! The answer is exact, not a heuristic. The identities normalization accepts are a
//! regular language, read here by a small deterministic automaton (one state per
//! position of the `spiffe:` prefix, the SPIFFE scheme's slashes, the length of a
//! trust domain, and what the current path segment holds so far). A glob is a
//! sequence of literal characters, `*` (any run without `/`) and `**` (any run): the
//! set of automaton states it can reach is followed through the glob, and the glob can
//! match a valid identity exactly when an accepting state is reachable at its end.
//!
//! A `*` can stand for any character, but the automaton only tells characters apart
//! by class, so a `*` tries one representative of each class (below); any character
//! a `*` could stand for behaves as one of them.
//!
//! When no valid identity matches, the reason is found the same way: the automaton
//! can ignore each of its rules (the trust domain's case, empty segments, …), and the
//! message names the smallest set of rules that, ignored, would let the glob match.
//!
//! The length limit on identities ([`RequestLimits::max_identity_len`]) is a request
//! option, so it is not a compile-time error: a pattern longer than the default limit
//! compiles.
//!
//! [`RequestLimits::max_identity_len`]: crate::normalize::RequestLimits::max_identity_len

use crate::normalize::identity::check_identity;

/// The SPIFFE limit on a trust domain name, in bytes.
const MAX_TRUST_DOMAIN_LEN: u16 = 255;

/// The `spiffe:` prefix that makes an identity claim to be a SPIFFE ID, in any case.
const PREFIX: &[u8; 7] = b"spiffe:";

/// What a path segment (of a SPIFFE ID, or of any identity) holds so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seg {
    Empty,
    Dot,
    DotDot,
    /// Anything else: a segment that is neither empty nor a dot segment.
    Other,
}

impl Seg {
    /// The segment after one more non-`/` character.
    fn push(self, c: char) -> Seg {
        match (self, c) {
            (Seg::Empty, '.') => Seg::Dot,
            (Seg::Dot, '.') => Seg::DotDot,
            _ => Seg::Other,
        }
    }

    fn index(self) -> usize {
        match self {
            Seg::Empty => 0,
            Seg::Dot => 1,
            Seg::DotDot => 2,
            Seg::Other => 3,
        }
    }
}

/// A state of the automaton that accepts the valid identities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nothing read.
    Start,
    /// `len` (1 to 6) characters of `spiffe:` read, in any case; `exact` when all
    /// were lower case.
    Prefix { len: u8, exact: bool },
    /// `spiffe:` read and `slashes` (0 or 1) slashes after it.
    Scheme { slashes: u8 },
    /// `spiffe://` and a trust domain of `len` bytes so far (256: longer than the
    /// limit, reachable only when that rule is ignored).
    TrustDomain { len: u16 },
    /// In a segment of a SPIFFE ID's path.
    Path(Seg),
    /// In a segment of an identity that does not claim to be a SPIFFE ID.
    General(Seg),
}

/// How many states there are: [`State::index`] is below this.
const STATES: usize = 1 + 12 + 2 + 257 + 4 + 4;

impl State {
    /// A number below [`STATES`], different for every state: its bit in [`States`].
    fn index(self) -> usize {
        match self {
            State::Start => 0,
            State::Prefix { len, exact } => {
                1 + usize::from(len.saturating_sub(1)) * 2 + usize::from(exact)
            }
            State::Scheme { slashes } => 13 + usize::from(slashes),
            State::TrustDomain { len } => 15 + usize::from(len),
            State::Path(seg) => 272 + seg.index(),
            State::General(seg) => 276 + seg.index(),
        }
    }
}

/// A rule of valid identities, which the automaton can be told to ignore (to find
/// out which rules a glob breaks). The order is the order of the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    NotEmpty,
    NoControl,
    NoDotSegment,
    SchemeCase,
    SchemeSlashes,
    TrustDomainNotEmpty,
    TrustDomainCase,
    TrustDomainChars,
    TrustDomainLength,
    PathNoEmptySegment,
    PathNoDotSegment,
    PathChars,
}

impl Rule {
    const ALL: [Rule; 12] = [
        Rule::NotEmpty,
        Rule::NoControl,
        Rule::NoDotSegment,
        Rule::SchemeCase,
        Rule::SchemeSlashes,
        Rule::TrustDomainNotEmpty,
        Rule::TrustDomainCase,
        Rule::TrustDomainChars,
        Rule::TrustDomainLength,
        Rule::PathNoEmptySegment,
        Rule::PathNoDotSegment,
        Rule::PathChars,
    ];

    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// Why a glob that breaks this rule never matches, for the message.
    fn explain(self) -> &'static str {
        match self {
            Rule::NotEmpty => "an identity is never empty",
            Rule::NoControl => "an identity has no control characters or white space",
            Rule::NoDotSegment => "an identity has no `.` or `..` segment",
            Rule::SchemeCase => {
                "an identity that begins with `spiffe:` in any case is a SPIFFE ID, \
                 whose scheme is `spiffe://` in lower case"
            }
            Rule::SchemeSlashes => {
                "an identity that begins with `spiffe:` is a SPIFFE ID, which begins \
                 with `spiffe://`"
            }
            Rule::TrustDomainNotEmpty => "a SPIFFE ID's trust domain is never empty",
            Rule::TrustDomainCase => "the SPIFFE trust domain must be lower case",
            Rule::TrustDomainChars => {
                "a SPIFFE trust domain has only `a-z 0-9 . - _` (no port, user or \
                 percent-encoding)"
            }
            Rule::TrustDomainLength => "a SPIFFE trust domain has at most 255 bytes",
            Rule::PathNoEmptySegment => {
                "a SPIFFE ID has no empty path segment (no `//`, no trailing `/`)"
            }
            Rule::PathNoDotSegment => "a SPIFFE ID has no `.` or `..` path segment",
            Rule::PathChars => "a SPIFFE ID's path segments have only `A-Z a-z 0-9 . - _`",
        }
    }
}

/// A set of ignored rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Ignored(u16);

impl Ignored {
    fn has(self, rule: Rule) -> bool {
        self.0 & rule.bit() != 0
    }

    fn with(self, rule: Rule) -> Ignored {
        Ignored(self.0 | rule.bit())
    }

    fn without(self, rule: Rule) -> Ignored {
        Ignored(self.0 & !rule.bit())
    }
}

/// `a–z 0–9 . - _`: a trust domain's bytes.
fn is_trust_domain_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_')
}

/// `A–Z a–z 0–9 . - _`: a SPIFFE path segment's bytes.
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

/// The state after reading `c` in `state`, or `None` when no valid identity goes on
/// that way.
fn step(state: State, c: char, ignored: Ignored) -> Option<State> {
    match state {
        State::Start => match PREFIX.first() {
            Some(&p) if c.eq_ignore_ascii_case(&char::from(p)) => Some(State::Prefix {
                len: 1,
                exact: c == char::from(p),
            }),
            _ => general(Seg::Empty, c, ignored),
        },
        State::Prefix { len, exact } => match PREFIX.get(usize::from(len)) {
            Some(&p) if c.eq_ignore_ascii_case(&char::from(p)) => {
                let exact = exact && c == char::from(p);
                if usize::from(len) + 1 < PREFIX.len() {
                    Some(State::Prefix {
                        len: len + 1,
                        exact,
                    })
                } else if exact || ignored.has(Rule::SchemeCase) {
                    Some(State::Scheme { slashes: 0 })
                } else {
                    None
                }
            }
            // Some letters of `spiffe` and then something else: an ordinary identity
            // whose first segment is not empty.
            _ => general(Seg::Other, c, ignored),
        },
        State::Scheme { slashes } => match (c, slashes) {
            ('/', 0) => Some(State::Scheme { slashes: 1 }),
            ('/', _) => Some(State::TrustDomain { len: 0 }),
            _ if ignored.has(Rule::SchemeSlashes) => {
                step(State::TrustDomain { len: 0 }, c, ignored)
            }
            _ => None,
        },
        State::TrustDomain { len } => {
            if c == '/' {
                return (len > 0 || ignored.has(Rule::TrustDomainNotEmpty))
                    .then_some(State::Path(Seg::Empty));
            }
            let allowed = is_trust_domain_char(c)
                || (c.is_ascii_uppercase() && ignored.has(Rule::TrustDomainCase))
                || (!c.is_ascii_uppercase() && ignored.has(Rule::TrustDomainChars));
            if !allowed {
                return None;
            }
            if len < MAX_TRUST_DOMAIN_LEN {
                Some(State::TrustDomain { len: len + 1 })
            } else if ignored.has(Rule::TrustDomainLength) {
                Some(State::TrustDomain {
                    len: MAX_TRUST_DOMAIN_LEN + 1,
                })
            } else {
                None
            }
        }
        State::Path(seg) => {
            if c == '/' {
                let ends = match seg {
                    Seg::Other => true,
                    Seg::Empty => ignored.has(Rule::PathNoEmptySegment),
                    Seg::Dot | Seg::DotDot => ignored.has(Rule::PathNoDotSegment),
                };
                return ends.then_some(State::Path(Seg::Empty));
            }
            (is_path_char(c) || ignored.has(Rule::PathChars)).then_some(State::Path(seg.push(c)))
        }
        State::General(seg) => general(seg, c, ignored),
    }
}

/// [`step`] in an identity that does not claim to be a SPIFFE ID.
fn general(seg: Seg, c: char, ignored: Ignored) -> Option<State> {
    if (c.is_control() || c.is_whitespace()) && !ignored.has(Rule::NoControl) {
        return None;
    }
    if c == '/' {
        let ends = match seg {
            Seg::Empty | Seg::Other => true,
            Seg::Dot | Seg::DotDot => ignored.has(Rule::NoDotSegment),
        };
        return ends.then_some(State::General(Seg::Empty));
    }
    Some(State::General(seg.push(c)))
}

/// Whether an identity that ends in `state` is valid.
fn accepts(state: State, ignored: Ignored) -> bool {
    match state {
        State::Start => ignored.has(Rule::NotEmpty),
        // `s`, `spif`, `SPIFFE`: ordinary identities.
        State::Prefix { .. } => true,
        State::Scheme { .. } => {
            ignored.has(Rule::SchemeSlashes) && ignored.has(Rule::TrustDomainNotEmpty)
        }
        State::TrustDomain { len } => len > 0 || ignored.has(Rule::TrustDomainNotEmpty),
        State::Path(Seg::Other) | State::General(Seg::Empty | Seg::Other) => true,
        State::Path(Seg::Empty) => ignored.has(Rule::PathNoEmptySegment),
        State::Path(Seg::Dot | Seg::DotDot) => ignored.has(Rule::PathNoDotSegment),
        State::General(Seg::Dot | Seg::DotDot) => ignored.has(Rule::NoDotSegment),
    }
}

/// One character of each class the automaton tells apart: what a `*` may stand for
/// (`/` only for `**`). The letters of `spiffe:` in both cases; another lower-case
/// letter (as digits, `-` and `_`: trust domain and path bytes); another upper-case
/// one (path bytes only); `.`; a character allowed only outside SPIFFE IDs (`~`,
/// as any other printable character, non-ASCII included); and a space (as controls
/// and white space, never allowed).
const REPRESENTATIVES: [char; 16] = [
    's', 'S', 'p', 'P', 'i', 'I', 'f', 'F', 'e', 'E', ':', 'a', 'A', '.', '~', ' ',
];

/// A set of states: the states in the order they were found, and a bit per state
/// to find duplicates. Following a literal character keeps most sets at one state.
///
/// Of the trust domain states with a non-empty domain, a set keeps only the shortest
/// domain: the length only matters for the limit, so whatever follows a longer
/// domain validly follows a shorter one too. (Without this, a `*` in a trust domain
/// would reach 255 states, and each of them would be followed through the rest of
/// the glob.)
struct States {
    list: Vec<State>,
    seen: [u64; STATES.div_ceil(64)],
    /// The shortest non-empty trust domain in the set.
    shortest_domain: Option<u16>,
}

impl States {
    fn new() -> States {
        States {
            list: Vec::new(),
            seen: [0; STATES.div_ceil(64)],
            shortest_domain: None,
        }
    }

    fn clear(&mut self) {
        self.list.clear();
        self.seen = [0; STATES.div_ceil(64)];
        self.shortest_domain = None;
    }

    /// Adds `state`, unless it is in the set or a shorter trust domain is.
    fn insert(&mut self, state: State) {
        if let State::TrustDomain { len } = state {
            if len > 0 {
                if self.shortest_domain.is_some_and(|shortest| shortest <= len) {
                    return;
                }
                self.shortest_domain = Some(len);
            }
        }
        let i = state.index();
        let Some(word) = self.seen.get_mut(i / 64) else {
            return;
        };
        let bit = 1u64 << (i % 64);
        if *word & bit == 0 {
            *word |= bit;
            self.list.push(state);
        }
    }
}

/// A piece of a glob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece {
    Char(char),
    /// `*`: any run of characters without `/`.
    Star,
    /// `**` (or more stars): any run of characters.
    StarStar,
}

fn pieces(glob: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '*' {
            out.push(Piece::Char(c));
            continue;
        }
        if chars.peek() == Some(&'*') {
            while chars.peek() == Some(&'*') {
                chars.next();
            }
            out.push(Piece::StarStar);
        } else {
            out.push(Piece::Star);
        }
    }
    out
}

/// Adds to `states` every state reachable from them by reading any run of
/// representatives (without `/` unless `slash`).
fn close(states: &mut States, slash: bool, ignored: Ignored) {
    let slashes = if slash { Some('/') } else { None };
    let mut next = 0;
    while let Some(&state) = states.list.get(next) {
        next += 1;
        for c in REPRESENTATIVES.iter().copied().chain(slashes) {
            if let Some(after) = step(state, c, ignored) {
                states.insert(after);
            }
        }
    }
}

/// Whether some identity that is valid (but for the `ignored` rules) matches the glob.
fn satisfiable(glob: &[Piece], ignored: Ignored) -> bool {
    let mut states = States::new();
    let mut next = States::new();
    states.insert(State::Start);
    for &piece in glob {
        match piece {
            Piece::Char(c) => {
                next.clear();
                for &state in &states.list {
                    if let Some(after) = step(state, c, ignored) {
                        next.insert(after);
                    }
                }
                std::mem::swap(&mut states, &mut next);
            }
            Piece::Star => close(&mut states, false, ignored),
            Piece::StarStar => close(&mut states, true, ignored),
        }
        if states.list.is_empty() {
            return false;
        }
    }
    states.list.iter().any(|&s| accepts(s, ignored))
}

/// Checks that the identity glob `glob` can match some valid identity; the error is
/// the message, naming the rules it breaks.
pub(crate) fn check(glob: &str) -> Result<(), String> {
    // Without a star the glob matches itself only: the normalizer's own check
    // answers, and quickly (most patterns are exact identities).
    let exact_and_valid = !glob.contains('*') && check_identity(glob, usize::MAX).is_ok();
    let pieces = pieces(glob);
    if exact_and_valid || satisfiable(&pieces, Ignored::default()) {
        return Ok(());
    }
    let broken = broken_rules(&pieces);
    let reasons: Vec<&str> = Rule::ALL
        .iter()
        .filter(|r| broken.has(**r))
        .map(|r| r.explain())
        .collect();
    let reasons = if reasons.is_empty() {
        "no valid identity matches it".to_string()
    } else {
        reasons.join("; ")
    };
    Err(format!(
        "identity pattern `{glob}` can never match a valid identity: {reasons}"
    ))
}

/// A smallest set of rules that, ignored, lets the glob match: one rule when one is
/// enough (the first, in the order of [`Rule::ALL`]); else rules added in that order
/// until it matches, then each dropped again if the others are enough.
fn broken_rules(glob: &[Piece]) -> Ignored {
    if let Some(&one) = Rule::ALL
        .iter()
        .find(|r| satisfiable(glob, Ignored::default().with(**r)))
    {
        return Ignored::default().with(one);
    }
    let mut set = Ignored::default();
    for &rule in &Rule::ALL {
        set = set.with(rule);
        if satisfiable(glob, set) {
            break;
        }
    }
    for &rule in &Rule::ALL {
        if set.has(rule) && satisfiable(glob, set.without(rule)) {
            set = set.without(rule);
        }
    }
    set
}

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    reason = "tests index their own small tables"
)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::check::identity_glob::IdentityGlob;

    /// The automaton, without ignoring a rule, accepts exactly what normalization
    /// accepts.
    fn automaton_accepts(identity: &str) -> bool {
        let pieces: Vec<Piece> = identity.chars().map(Piece::Char).collect();
        satisfiable(&pieces, Ignored::default())
    }

    #[test]
    fn the_automaton_is_the_normalizers_reading() {
        let long_td = format!("spiffe://{}/a", "t".repeat(256));
        let max_td = format!("spiffe://{}/a", "t".repeat(255));
        for identity in [
            "",
            "a",
            "s",
            "spif",
            "SPIFFE",
            "spiffe",
            "spiffe:",
            "spiffe:/",
            "spiffe://",
            "spiffe://td",
            "spiffe://td/",
            "spiffe://td/a",
            "spiffe://td//a",
            "spiffe://td/./a",
            "spiffe://td/.../a",
            "spiffe://TD/a",
            "spiffe://td/A",
            "SPIFFE://td/a",
            "Spiffe://td/a",
            "spiffe:/td/a",
            "spiffe:td/a",
            "spiffe://td:1/a",
            "spiffe://td/a~b",
            "spifee://td/a",
            "a/./b",
            "a//b",
            "a/",
            "a b",
            "é",
            "a\u{a0}b",
            ".",
            "..",
            long_td.as_str(),
            max_td.as_str(),
        ] {
            assert_eq!(
                automaton_accepts(identity),
                check_identity(identity, 4096).is_ok(),
                "{identity:?}"
            );
        }
    }

    #[test]
    fn patterns_that_can_match() {
        for glob in [
            "spiffe://prod.example.com/ns/web/sa/frontend",
            "spiffe://prod.example.com/ns/web/sa/*",
            "spiffe://prod.example.com/**",
            "spiffe://td/**",
            "spiffe://td**",
            "spiffe://*/x",
            "spiffe://*.example.com/ns/*/sa/db",
            "spiffe://td",
            "spiffe:**",
            "spiffe*",
            "SPIFFE*",
            "*",
            "**",
            "*frontend",
            "spifee://Prod.example/x",
            "CN=frontend,O=Example",
            "a//b",
            "a/",
            "**/..x",
            "spiffe://td/*/x",
            "spiffe://td/a*",
            "spiffe://td/.*",
            "spiffe://td/*.",
            // `spiffe://./x`: a trust domain of `a-z 0-9 . - _`, dots included.
            "**/./**",
            // Only `spiffe://.`: the star must spell the scheme.
            "*//.",
            "*://.",
        ] {
            assert_eq!(check(glob), Ok(()), "{glob:?}");
        }
    }

    #[test]
    fn patterns_that_never_match_name_the_rule() {
        for (glob, reason) in [
            (
                "spiffe://Prod.example/**",
                "the SPIFFE trust domain must be lower case",
            ),
            (
                "spiffe://td/ns//sa/x",
                "a SPIFFE ID has no empty path segment",
            ),
            ("spiffe://td/x/", "a SPIFFE ID has no empty path segment"),
            ("spiffe://td/*/", "a SPIFFE ID has no empty path segment"),
            (
                "spiffe://td/a/./b",
                "a SPIFFE ID has no `.` or `..` path segment",
            ),
            (
                "spiffe://td/a/..",
                "a SPIFFE ID has no `.` or `..` path segment",
            ),
            ("SPIFFE://td/x", "whose scheme is `spiffe://` in lower case"),
            ("Spiffe://**", "whose scheme is `spiffe://` in lower case"),
            ("spiffe:/x", "which begins with `spiffe://`"),
            ("spiffe:x/**", "which begins with `spiffe://`"),
            ("spiffe:///x", "a SPIFFE ID's trust domain is never empty"),
            ("spiffe://td:8443/x", "only `a-z 0-9 . - _`"),
            ("spiffe://user@td/*", "only `a-z 0-9 . - _`"),
            ("spiffe://t%64/x", "only `a-z 0-9 . - _`"),
            ("spiffe://td/a b", "path segments have only"),
            ("spiffe://td/a%2Fb", "path segments have only"),
            ("spiffe://td/x?y", "path segments have only"),
            ("", "an identity is never empty"),
            ("a b", "no control characters or white space"),
            ("*\n*", "no control characters or white space"),
            ("a/../b", "an identity has no `.` or `..` segment"),
            ("a/./**", "an identity has no `.` or `..` segment"),
            ("*/../*", "an identity has no `.` or `..` segment"),
        ] {
            let message = check(glob).err().unwrap_or_default();
            assert!(
                message.contains(reason),
                "{glob:?}: {message:?} should say {reason:?}"
            );
            assert!(
                message.starts_with(&format!("identity pattern `{glob}` can never match")),
                "{message:?}"
            );
        }
        let long = format!("spiffe://{}/**", "t".repeat(256));
        assert!(check(&long).is_err_and(|m| m.contains("at most 255 bytes")));
        assert_eq!(check(&format!("spiffe://{}/**", "t".repeat(255))), Ok(()));
        // Two rules broken at once: both are named.
        let both = check("spiffe://TD//x").err().unwrap_or_default();
        assert!(both.contains("lower case") && both.contains("empty path segment"));
    }

    #[test]
    fn every_state_has_its_own_index() {
        let segs = [Seg::Empty, Seg::Dot, Seg::DotDot, Seg::Other];
        let mut all = vec![State::Start];
        for len in 1..=6 {
            for exact in [false, true] {
                all.push(State::Prefix { len, exact });
            }
        }
        all.extend([State::Scheme { slashes: 0 }, State::Scheme { slashes: 1 }]);
        all.extend((0..=MAX_TRUST_DOMAIN_LEN + 1).map(|len| State::TrustDomain { len }));
        all.extend(segs.map(State::Path));
        all.extend(segs.map(State::General));
        let mut indices: Vec<usize> = all.iter().map(|s| s.index()).collect();
        indices.sort_unstable();
        indices.dedup();
        assert_eq!(indices.len(), STATES);
        assert_eq!(indices.last(), Some(&(STATES - 1)));
    }

    /// What the globs of the brute-force test are made of: pieces that reach every
    /// rule (SPIFFE IDs included), and stars.
    const GLOB_PIECES: &[&str] = &[
        "spiffe:", "SPIFFE:", "Spiffe:", "spiffe", "//", "/", "/", "td", "TD", "t.d", ".", "..",
        "x", "X", ":", " ", "~", "@", "%2F",
    ];

    /// The characters a star stands for in the brute force: a SPIFFE-path-only
    /// upper-case letter, a lower-case one, the separators and dots, a character
    /// only ordinary identities may have, and a space. (Runs that spell the scheme
    /// are added whole, in [`witnesses`]: a star may have to, as in `*//.`, which
    /// only `spiffe://.` matches, a trust domain of one dot, or `*://.`.)
    const ALPHABET: &[char] = &['x', 'X', '/', '.', ':', '~', ' ', 's'];

    fn glob_piece() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => prop::sample::select(GLOB_PIECES).prop_map(String::from),
            1 => Just("*".to_string()),
            1 => Just("**".to_string()),
        ]
    }

    /// Globs shaped like SPIFFE IDs, right or nearly: a scheme, a trust domain and
    /// up to three path pieces, each from a few right and wrong spellings.
    fn spiffe_like() -> impl Strategy<Value = Vec<String>> {
        let scheme = prop::sample::select(&["spiffe://", "spiffe://", "SPIFFE://", "spiffe:/"][..]);
        let domain = prop::sample::select(&["td", "td", "t.d", "TD", "", "t:1", "*", "**"][..]);
        let path = prop::collection::vec(
            prop::sample::select(
                &[
                    "/x", "/x", "/X", "/", "/.", "/..", "/*", "/**", "*", "**", "x", "~", "//",
                ][..],
            ),
            0..4,
        );
        (scheme, domain, path).prop_map(|(scheme, domain, path)| {
            let mut pieces = vec![scheme.to_string()];
            if !domain.is_empty() {
                pieces.push(domain.to_string());
            }
            for piece in path {
                // A star piece stands alone, so the brute force can replace it.
                match piece.strip_prefix('/') {
                    Some(rest) if rest.starts_with('*') => {
                        pieces.push("/".to_string());
                        pieces.push(rest.to_string());
                    }
                    _ => pieces.push(piece.to_string()),
                }
            }
            pieces
        })
    }

    /// Every identity of up to `len` characters over the alphabet.
    fn candidates(len: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..len {
            let mut next = Vec::new();
            for s in &last {
                for &c in ALPHABET {
                    next.push(format!("{s}{c}"));
                }
            }
            all.extend(next.iter().cloned());
            last = next;
        }
        all
    }

    thread_local! {
        static CANDIDATES: Vec<String> = candidates(3);
    }

    proptest! {
        /// Against brute force, on globs of up to six pieces and on globs shaped like
        /// SPIFFE IDs, with at most two stars:
        /// every identity of the glob's shape with each star replaced by a run of up
        /// to two characters of the alphabet (or one of a few longer runs that build
        /// a SPIFFE path), and every identity of up to three characters that the glob
        /// matches. A glob the check refuses must match none that is valid; one it
        /// accepts must match one.
        #[test]
        fn agrees_with_brute_force(
            pieces in prop_oneof![
                prop::collection::vec(glob_piece(), 0..7),
                spiffe_like(),
            ]
            .prop_filter("at most two stars", |p| {
                p.iter().filter(|x| x.starts_with('*')).count() <= 2
            })
        ) {
            let glob: String = pieces.concat();
            let compiled = IdentityGlob::new(&glob);
            let valid = |s: &String| check_identity(s, 4096).is_ok();
            let shaped = witnesses(&pieces);
            prop_assert!(shaped.iter().all(|s| compiled.matches(s)), "{:?}", glob);
            let found = shaped.iter().any(valid)
                || CANDIDATES.with(|all| all.iter().any(|s| compiled.matches(s) && valid(s)));
            prop_assert_eq!(check(&glob).is_ok(), found, "{:?}", glob);
        }
    }

    /// Identities of the glob's shape: each `*` replaced by every run of up to two
    /// characters of the alphabet without `/`, each `**` (or adjacent stars, which
    /// the glob reads as `**`) by every run of up to two characters.
    fn witnesses(pieces: &[String]) -> Vec<String> {
        let mut runs = candidates(2);
        runs.extend(["//x", "x/x", "/x/x", "//x/x", "x/x/x"].map(String::from));
        // Every start of a SPIFFE ID: a star may have to spell the scheme, whole or
        // in part, before literal text that ends it.
        let spiffe = "spiffe://x/x";
        runs.extend(
            (3..=spiffe.len())
                .filter_map(|n| spiffe.get(..n))
                .map(String::from),
        );
        let mut shape: Vec<&str> = Vec::new();
        for piece in pieces {
            let star = piece.starts_with('*');
            match shape.last_mut() {
                Some(last) if star && last.starts_with('*') => *last = "**",
                _ => shape.push(piece),
            }
        }
        let mut out = vec![String::new()];
        for piece in shape {
            let mut next = Vec::new();
            for prefix in &out {
                match piece {
                    "*" => next.extend(
                        runs.iter()
                            .filter(|r| !r.contains('/'))
                            .map(|r| format!("{prefix}{r}")),
                    ),
                    "**" => next.extend(runs.iter().map(|r| format!("{prefix}{r}"))),
                    literal => next.push(format!("{prefix}{literal}")),
                }
            }
            out = next;
        }
        out
    }
}
