//! Proptest strategies: policies and requests drawn from small shared pools, so that
//! rules and requests collide often.

use std::net::IpAddr;

use ipnet::IpNet;
use portcullis::normalize::{Backslash, EscapedSlashes, Options, Semicolon};
use proptest::prelude::*;
use proptest::sample::select;

use super::model::{Cond, Kind, Policy, Req, Rule, Subject, Test, Val};

const IDENTITIES: &[&str] = &[
    "spiffe://prod.example.com/ns/web/sa/frontend",
    "spiffe://prod.example.com/ns/web/sa/checkout",
    "spiffe://prod.example.com/ns/ops/sa/admin",
    "spiffe://prod.example.com/ns/web/sa/frontend/extra",
    "spiffe://staging.example.com/ns/web/sa/frontend",
    "spiffe://prod.example.com/ns/db/sa/Frontend",
];

/// Identities that claim the `spiffe:` scheme but are not valid SPIFFE IDs (invalid
/// requests), and some that do not claim it.
const ODD_IDENTITIES: &[&str] = &[
    "SPIFFE://prod.example.com/ns/web/sa/frontend",
    "Spiffe://prod.example.com/ns/web/sa/frontend",
    "spiffe:/prod.example.com/ns/web/sa/frontend",
    "spiffe:prod.example.com/ns/web/sa/frontend",
    "spiffe://prod.example.com/ns//web/sa/frontend",
    "spiffe://prod.example.com/ns/web/sa/frontend/",
    "spiffe://Prod.example.com/ns/web/sa/frontend",
    "spiffe://prod.example.com/ns/./web/sa/frontend",
    "spifee://prod.example.com/ns/web/sa/frontend",
    "spiffe",
    "ns/web/../sa",
];

const IDENTITY_GLOBS: &[&str] = &[
    "spiffe://prod.example.com/ns/web/sa/*",
    "spiffe://prod.example.com/ns/**",
    "spiffe://prod.example.com/ns/*/sa/frontend",
    "spiffe://*.example.com/ns/web/sa/frontend",
    "spiffe://prod.example.com/**/frontend",
    "spiffe://prod.example.com/ns/web/sa/front*",
    "*frontend",
    "**frontend",
    "*",
    "**",
    "frontend",
];

const SEGMENTS: &[&str] = &[
    "api", "v1", "orders", "42", "static", "a.css", "healthz", "css", "secret",
];

/// Segments a request path sometimes has besides [`SEGMENTS`]: empty ones, dot
/// segments in their spellings, escaped and back-slashes, path parameters.
const ODD_SEGMENTS: &[&str] = &[
    "", "", ".", "..", "..", "%2e%2e", ".%2E", ";x", "..;", "a%2Fb", "..%2f", "%2F", "x\\..",
];

const PATTERN_SEGMENTS: &[&str] = &["*", "{id}", "{x}", "*.css", "v*", "a*", "*s"];

const REQUEST_PATH_EXTRAS: &[&str] = &[
    "/api/v1/orders/42?verbose=1",
    "/static/",
    "/static",
    "/api//v1/orders",
    "/api/./v1/../v1/orders/42",
    "/../healthz",
    "/st%61tic/a.css",
    "/api%2Fv1",
    "/api%2fv1/orders",
    "/api\\v1",
    "/api;x=1/v1",
    "/orders/%2e%2e/secret",
    "/api/%C0%AE",
    "/api/%252e%252e/secret",
    "/static/caf%C3%A9",
    "/api%20/v1",
    "/a b",
    "api/v1",
    "/healthz#frag",
    "/static/a.css#",
    "/api/v1?x=1#y",
    "/api//../v1/orders",
    "/api//./../v1/orders",
    "/api//%2e%2e/v1/orders",
    "/api//.%2E/v1/orders",
    "/api%2F%2F..%2Fv1/orders",
    "/api%2F/../v1/orders",
    "/api\\\\..\\v1/orders",
    "/api/;x/../v1/orders",
    "/api//v1/../orders",
    "//../healthz",
    "/static/css/a.css",
    "/",
    "",
];

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "HEAD", "M-SEARCH"];
const REQUEST_METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "HEAD", "M-SEARCH", "PATCH"];
const BAD_METHODS: &[&str] = &["get", "Get", "G ET", ""];

const HOST_PATTERNS: &[&str] = &[
    "payments.svc",
    "*.svc",
    "*.SVC",
    "*",
    "api.example.com",
    "svc",
    "*.prod.svc",
    "Payments.SVC",
    "[::1]",
    "10.1.2.3",
];

const HOSTS: &[&str] = &[
    "payments.svc",
    "Payments.SVC:8443",
    "orders.prod.svc.",
    "ORDERS.prod.svc.:443",
    "api.example.com",
    "[::1]:8443",
    "[::1]",
    "svc",
    ".svc",
    "a.b.svc",
    "10.1.2.3:80",
    "payments.svc.",
];

const BAD_HOSTS: &[&str] = &["bad host", "a/b", ""];

const PORTS: &[u16] = &[80, 443, 8443, 9090];
const RANGES: &[(u16, u16)] = &[
    (80, 443),
    (8000, 9000),
    (0, 65535),
    (443, 443),
    (9090, 9091),
];
const REQUEST_PORTS: &[u16] = &[80, 443, 8443, 9090, 0, 65535, 8080, 444];

const CIDRS: &[&str] = &[
    "10.0.0.0/8",
    "10.1.0.0/16",
    "10.1.2.3/32",
    "192.0.2.0/24",
    "2001:db8::/32",
    "::1/128",
    "0.0.0.0/0",
];

const SOURCES: &[&str] = &[
    "10.1.2.3",
    "10.2.0.1",
    "10.1.9.9",
    "192.0.2.7",
    "198.51.100.1",
    "::ffff:10.1.2.3",
    "::ffff:192.0.2.7",
    "2001:db8::1",
    "::1",
    "2001:db9::1",
    "::10.1.2.3",
];

const HEADER_NAMES: &[&str] = &["x-env", "X-Env", "x-debug"];
const HEADER_VALUES: &[&str] = &["prod", "dev", ""];
const ATTR_KEYS: &[&str] = &["tenant", "team", "Tenant"];
const ATTR_VALUES: &[&str] = &["acme", "globex", ""];

const IDENTITY_REGEXES: &[&str] = &[
    r"spiffe://prod\.example\.com/.*",
    r"spiffe://[a-z.]+/ns/web/sa/[a-z]+",
    r"spiffe",
];
const PATH_REGEXES: &[&str] = &[r"/api/v[0-9]+/.*", r"/static/.*\.css", r".*", r"/"];
const HOST_REGEXES: &[&str] = &[r"[a-z]+\.svc", r".*\.svc", r"svc"];
const KEYED_REGEXES: &[&str] = &[r"pro.*", r"d.v", r"", r"[a-z]+", r"ac"];

/// The `let` bindings every generated policy has, one per kind of value, so that rules
/// can say `in NAME` or splice a name into a list.
const LET_IDS: &str = "ids";
const LET_PATHS: &str = "paths";
const LET_HOSTS: &str = "hosts";
const LET_METHODS: &str = "methods";
const LET_PORTS: &str = "ports";
const LET_NETS: &str = "nets";
const LET_VALUES: &str = "values";

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(pool).prop_map(str::to_string)
}

fn identity_value() -> impl Strategy<Value = Val> {
    prop_oneof![pick(IDENTITIES), pick(IDENTITY_GLOBS)].prop_map(Val::Str)
}

fn path_value() -> BoxedStrategy<Val> {
    let segment = prop_oneof![3 => pick(SEGMENTS), 2 => pick(PATTERN_SEGMENTS)];
    let tail = prop_oneof![
        4 => Just(None),
        2 => Just(Some("**")),
        1 => Just(Some("")),
    ];
    (prop::collection::vec(segment, 0..4), tail)
        .prop_map(|(segments, tail)| {
            let mut segments = segments;
            if let Some(t) = tail {
                segments.push(t.to_string());
            }
            if segments.is_empty() {
                Val::Str("/".to_string())
            } else {
                Val::Str(format!("/{}", segments.join("/")))
            }
        })
        .boxed()
}

fn host_value() -> impl Strategy<Value = Val> {
    pick(HOST_PATTERNS).prop_map(Val::Str)
}

fn method_value() -> impl Strategy<Value = Val> {
    select(METHODS).prop_flat_map(|m| {
        if m.contains('-') {
            Just(Val::Str(m.to_string())).boxed()
        } else {
            prop_oneof![
                Just(Val::Method(m.to_string())),
                Just(Val::Str(m.to_string()))
            ]
            .boxed()
        }
    })
}

fn port_value() -> impl Strategy<Value = Val> {
    prop_oneof![
        select(PORTS).prop_map(Val::Port),
        select(RANGES).prop_map(|(a, b)| Val::Range(a, b)),
    ]
}

fn net_value() -> impl Strategy<Value = Val> {
    (select(CIDRS), any::<bool>()).prop_map(|(c, bare)| Val::Net {
        net: c.parse::<IpNet>().expect("pool CIDR"),
        bare,
    })
}

fn keyed_value() -> impl Strategy<Value = Val> {
    pick(HEADER_VALUES)
        .prop_union(pick(ATTR_VALUES))
        .prop_map(Val::Str)
}

/// Values for one subject, with the name of the `let` that holds the same kind.
fn values_for(subject: &Subject) -> (BoxedStrategy<Val>, &'static str) {
    match subject {
        Subject::Identity => (identity_value().boxed(), LET_IDS),
        Subject::Method => (method_value().boxed(), LET_METHODS),
        Subject::Path => (path_value(), LET_PATHS),
        Subject::Host => (host_value().boxed(), LET_HOSTS),
        Subject::Port => (port_value().boxed(), LET_PORTS),
        Subject::Source => (net_value().boxed(), LET_NETS),
        Subject::Header(_) | Subject::Attr(_) => (keyed_value().boxed(), LET_VALUES),
    }
}

fn subject() -> impl Strategy<Value = Subject> {
    prop_oneof![
        1 => Just(Subject::Identity),
        1 => Just(Subject::Method),
        2 => Just(Subject::Path),
        1 => Just(Subject::Host),
        1 => Just(Subject::Port),
        1 => Just(Subject::Source),
        1 => pick(HEADER_NAMES).prop_map(Subject::Header),
        1 => pick(ATTR_KEYS).prop_map(Subject::Attr),
    ]
}

fn regex_for(subject: &Subject) -> Option<&'static [&'static str]> {
    match subject {
        Subject::Identity => Some(IDENTITY_REGEXES),
        Subject::Path => Some(PATH_REGEXES),
        Subject::Host => Some(HOST_REGEXES),
        Subject::Header(_) | Subject::Attr(_) => Some(KEYED_REGEXES),
        Subject::Method | Subject::Port | Subject::Source => None,
    }
}

/// A list of 1–3 values, sometimes with the subject's `let` name spliced in.
fn value_list(values: BoxedStrategy<Val>, name: &'static str) -> BoxedStrategy<Vec<Val>> {
    (
        prop::collection::vec(values, 1..4),
        prop::bool::weighted(0.15),
    )
        .prop_map(move |(mut vs, splice)| {
            if splice {
                vs.push(Val::Name(name.to_string()));
            }
            vs
        })
        .boxed()
}

fn test_for(subject: Subject) -> BoxedStrategy<(Subject, Test)> {
    let (values, name) = values_for(&subject);
    let keyed = matches!(subject, Subject::Header(_) | Subject::Attr(_));
    let plain = if keyed {
        prop_oneof![
            keyed_value().prop_map(|v| match v {
                Val::Str(s) => Test::Equals(s),
                _ => unreachable!(),
            }),
            value_list(values.clone(), name).prop_map(Test::InList),
        ]
        .boxed()
    } else {
        value_list(values.clone(), name)
            .prop_map(Test::Values)
            .boxed()
    };
    let in_list = value_list(values, name).prop_map(Test::InList);
    let in_name = Just(Test::InName(name.to_string()));
    let presence = !matches!(subject, Subject::Method | Subject::Path);
    let mut options: Vec<(u32, BoxedStrategy<Test>)> =
        vec![(6, plain), (2, in_list.boxed()), (1, in_name.boxed())];
    if presence {
        options.push((1, Just(Test::Present).boxed()));
    }
    if let Some(pool) = regex_for(&subject) {
        options.push((1, pick(pool).prop_map(Test::Regex).boxed()));
    }
    prop::strategy::Union::new_weighted(options)
        .prop_map(move |t| (subject.clone(), t))
        .boxed()
}

fn condition() -> impl Strategy<Value = Cond> {
    (
        subject().prop_flat_map(test_for),
        prop::bool::weighted(0.25),
    )
        .prop_map(|((subject, test), negated)| Cond {
            negated,
            subject,
            test,
        })
}

/// A rule's conditions: 0–3, sometimes with the same subject twice (`path "/a/**"` and
/// `not path "/a/secret"`).
fn conditions() -> impl Strategy<Value = Vec<Cond>> {
    let pair = (path_value(), path_value()).prop_map(|(a, b)| {
        let prefix = match &a {
            Val::Str(s) => s.trim_end_matches("/**").trim_end_matches('/').to_string(),
            _ => unreachable!(),
        };
        let tail = match &b {
            Val::Str(s) => s.clone(),
            _ => unreachable!(),
        };
        vec![
            Cond {
                negated: false,
                subject: Subject::Path,
                test: Test::Values(vec![Val::Str(format!("{prefix}/**"))]),
            },
            Cond {
                negated: true,
                subject: Subject::Path,
                test: Test::Values(vec![Val::Str(format!("{prefix}{tail}"))]),
            },
        ]
    });
    prop_oneof![
        1 => Just(Vec::new()),
        8 => prop::collection::vec(condition(), 1..4),
        1 => (pair, prop::collection::vec(condition(), 0..2)).prop_map(|(mut a, b)| {
            a.extend(b);
            a
        }),
    ]
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        3 => Just(Kind::Allow),
        2 => Just(Kind::Deny),
        1 => Just(Kind::Audit),
    ]
}

fn lets() -> impl Strategy<Value = Vec<(String, Vec<Val>)>> {
    let list = |name: &'static str, values: BoxedStrategy<Val>| {
        prop::collection::vec(values, 0..3).prop_map(move |v| (name.to_string(), v))
    };
    (
        list(LET_IDS, identity_value().boxed()),
        list(LET_PATHS, path_value()),
        list(LET_HOSTS, host_value().boxed()),
        list(LET_METHODS, method_value().boxed()),
        list(LET_PORTS, port_value().boxed()),
        list(LET_NETS, net_value().boxed()),
        list(LET_VALUES, keyed_value().boxed()),
    )
        .prop_map(|(a, b, c, d, e, f, g)| vec![a, b, c, d, e, f, g])
}

fn rule_name(kind: Kind, i: usize) -> String {
    let kind = match kind {
        Kind::Allow => "allow",
        Kind::Deny => "deny",
        Kind::Audit => "audit",
    };
    // Some names need escapes or look like comments: the printer must cope.
    match i % 11 {
        3 => format!("{kind} #{i} \"quoted\""),
        7 => format!("{kind} {i} back\\slash\ttab"),
        _ => format!("{kind} {i}"),
    }
}

/// A policy of `rules` rules (a range).
pub fn policy(rules: std::ops::Range<usize>) -> impl Strategy<Value = Policy> {
    let default = prop_oneof![Just(None), Just(Some(Kind::Allow)), Just(Some(Kind::Deny))];
    let rules = prop::collection::vec((kind(), conditions()), rules);
    (default, lets(), rules).prop_map(|(default, lets, rules)| Policy {
        default,
        lets,
        rules: rules
            .into_iter()
            .enumerate()
            .map(|(i, (kind, conds))| Rule {
                kind,
                name: rule_name(kind, i),
                conds,
            })
            .collect(),
    })
}

/// A big policy (200–1000 rules) for the tree to split: rule bodies drawn from a pool of
/// 20–80 random ones, so that generating it stays cheap and many rules share keys.
pub fn big_policy() -> impl Strategy<Value = Policy> {
    let default = prop_oneof![Just(None), Just(Some(Kind::Allow)), Just(Some(Kind::Deny))];
    let bodies = prop::collection::vec((kind(), conditions()), 20..81);
    let picks = prop::collection::vec(any::<prop::sample::Index>(), 200..1001);
    (default, lets(), bodies, picks).prop_map(|(default, lets, bodies, picks)| Policy {
        default,
        lets,
        rules: picks
            .iter()
            .enumerate()
            .map(|(i, pick)| {
                let (kind, conds) = pick.get(&bodies).clone();
                Rule {
                    kind,
                    name: rule_name(kind, i),
                    conds,
                }
            })
            .collect(),
    })
}

fn request_path() -> impl Strategy<Value = String> {
    let built = (
        prop::collection::vec(
            prop_oneof![6 => pick(SEGMENTS), 1 => pick(ODD_SEGMENTS)],
            0..5,
        ),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(segments, trailing, query)| {
            let mut p = format!("/{}", segments.join("/"));
            if trailing && !segments.is_empty() {
                p.push('/');
            }
            if query {
                p.push_str("?x=1&y=/a");
            }
            p
        });
    prop_oneof![4 => built, 1 => pick(REQUEST_PATH_EXTRAS)]
}

fn request_method() -> impl Strategy<Value = String> {
    prop_oneof![20 => pick(REQUEST_METHODS), 1 => pick(BAD_METHODS)]
}

fn request_identity() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        6 => pick(IDENTITIES).prop_map(Some),
        1 => Just(Some("spiffe://prod.example.com/ns/web/sa/".to_string())),
        1 => Just(Some("frontend".to_string())),
        1 => pick(ODD_IDENTITIES).prop_map(Some),
    ]
}

fn request_host() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        8 => pick(HOSTS).prop_map(Some),
        1 => pick(BAD_HOSTS).prop_map(Some),
    ]
}

fn request_source() -> impl Strategy<Value = Option<IpAddr>> {
    prop_oneof![
        1 => Just(None),
        4 => select(SOURCES).prop_map(|s| Some(s.parse::<IpAddr>().expect("pool address"))),
    ]
}

fn request_headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let value = prop_oneof![
        20 => pick(HEADER_VALUES).prop_map(String::into_bytes),
        1 => Just(b"pr\nod".to_vec()),
    ];
    prop::collection::vec((pick(HEADER_NAMES), value), 0..4)
}

fn request_attrs() -> impl Strategy<Value = Vec<(String, String)>> {
    // Three keys: a key often has several values (language 1.1), the same value
    // twice sometimes.
    prop::collection::vec((pick(ATTR_KEYS), pick(ATTR_VALUES)), 0..4)
}

/// A request drawn from the same pools as the policies.
pub fn request() -> impl Strategy<Value = Req> {
    (
        (
            request_method(),
            request_path(),
            request_identity(),
            request_host(),
        ),
        (
            prop::option::weighted(0.7, select(REQUEST_PORTS)),
            request_source(),
            request_headers(),
            request_attrs(),
        ),
    )
        .prop_map(
            |((method, path, identity, host), (port, source, headers, attrs))| {
                let mut req = Req::new(method, path);
                if let Some(identity) = identity {
                    req.set_identity(identity);
                }
                if let Some(host) = host {
                    req.set_host(host);
                }
                if let Some(port) = port {
                    req.set_port(port);
                }
                if let Some(source) = source {
                    req.set_source(source);
                }
                for (name, value) in headers {
                    req.push_header(name, value);
                }
                for (key, value) in attrs {
                    req.push_attr(key, value);
                }
                req
            },
        )
}

/// Normalization options: mostly the defaults, sometimes the lenient ones (and
/// sometimes `strict_escapes`).
pub fn options() -> impl Strategy<Value = Options> {
    let lenient = (
        select(
            &[
                EscapedSlashes::Reject,
                EscapedSlashes::Decode,
                EscapedSlashes::Keep,
            ][..],
        ),
        select(&[Backslash::Reject, Backslash::Slash][..]),
        select(&[Semicolon::Reject, Semicolon::Keep, Semicolon::Strip][..]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(escaped, backslash, semicolon, merge, strict)| {
            let mut o = Options::default();
            o.escaped_slashes = escaped;
            o.backslash = backslash;
            o.semicolon = semicolon;
            o.merge_slashes = merge;
            o.strict_escapes = strict;
            o
        });
    prop_oneof![3 => Just(Options::default()), 1 => lenient]
}

/// Where [`with_comments`] puts one comment: at which of the text's places between
/// tokens (an index into them), on its own line or at the end of the line, and with
/// which text (an index into a pool of awkward texts).
#[derive(Clone, Debug)]
pub struct CommentPlace {
    /// Which place between tokens.
    pub at: prop::sample::Index,
    /// On its own line (else at the end of the line before the place).
    pub own_line: bool,
    /// Which text of the pool (a unique number is added).
    pub text: prop::sample::Index,
}

/// Up to `n` places for comments.
pub fn comment_places(n: usize) -> impl Strategy<Value = Vec<CommentPlace>> {
    prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            any::<bool>(),
            any::<prop::sample::Index>(),
        )
            .prop_map(|(at, own_line, text)| CommentPlace { at, own_line, text }),
        0..=n,
    )
}

/// Comment texts that look like what they are not.
const COMMENT_TEXTS: &[&str] = &[
    "",
    "why",
    "allow \"x\" { method GET }",
    "#twice # hashes",
    "  indented — ünïcode",
    "] } , = ~",
];

/// `text` (a valid policy source whose strings escape `"` and `\`, like
/// [`Policy::print`]) with a comment at each of `places`: after any white space
/// outside strings, that is between two tokens, at a line's end, or at the start or
/// the end of the text. Each comment's text is unique (`cN` then a pool text); they
/// are returned in the order of `places`.
pub fn with_comments(text: &str, places: &[CommentPlace]) -> (String, Vec<String>) {
    // Byte offsets where a comment can start: the start, every white space byte
    // outside a string, and the end.
    let mut spots = vec![0];
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            b' ' | b'\n' if !in_string => spots.push(i),
            _ => {}
        }
    }
    spots.push(text.len());
    let mut inserts: Vec<(usize, usize, String)> = Vec::new();
    let mut texts = Vec::new();
    for (n, place) in places.iter().enumerate() {
        let body = place.text.get(COMMENT_TEXTS);
        let comment = format!("c{n} {body}").trim_end().to_string();
        // A comment runs to the end of its line: a line break always follows it.
        let inserted = if place.own_line {
            format!("\n#{comment}\n")
        } else {
            format!(" #{comment}\n")
        };
        inserts.push((*place.at.get(&spots), n, inserted));
        texts.push(comment);
    }
    inserts.sort_by_key(|(at, n, _)| (*at, *n));
    let mut out = String::with_capacity(text.len() + inserts.len() * 32);
    let mut from = 0;
    for (at, _, inserted) in inserts {
        out.push_str(&text[from..at]);
        out.push_str(&inserted);
        from = at;
    }
    out.push_str(&text[from..]);
    (out, texts)
}
