//! The reference evaluator: the rules and the decision order of `docs/language.md`
//! read rule by rule, with its own matchers. The path and identity rules of
//! normalization are the reference's own ([`super::normalize`]); the other attributes
//! are normalized by the library's `normalize_request`, which is tested elsewhere.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;
use portcullis::Effect;
use portcullis::Reason;
use portcullis::normalize::{NormalizedRequest, Options, normalize_request};

use super::model::{Cond, Kind, Policy, Req, Subject, Test, Val};
use super::normalize;

/// What the reference decides: the same four things a `Decision` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub effect: Effect,
    pub reason: Reason,
    pub rule: Option<String>,
    pub audits: Vec<String>,
}

impl Outcome {
    /// The library's decision in the same shape.
    pub fn of(d: &portcullis::Decision<'_>) -> Outcome {
        Outcome {
            effect: d.effect(),
            reason: d.reason(),
            rule: d.rule().map(str::to_string),
            audits: d.audit().map(str::to_string).collect(),
        }
    }
}

/// Normalization: the request normalized, or `None` when it is invalid. The path and the
/// identity are the reference's; the rest is the library's, asked about a copy of the
/// request with a plain path and no identity.
pub fn normalized(req: &Req, options: &Options) -> Option<NormalizedRequest> {
    let path = normalize::path(req.path(), options)?;
    if let Some(identity) = req.identity_value() {
        if !normalize::identity(identity, options.limits.max_identity_len) {
            return None;
        }
    }
    let mut rest = Req::new(req.method(), "/");
    if let Some(host) = req.host_value() {
        rest.set_host(host);
    }
    if let Some(port) = req.port_value() {
        rest.set_port(port);
    }
    if let Some(source) = req.source_value() {
        rest.set_source(source);
    }
    for (name, value) in req.headers() {
        rest.push_header(name, value);
    }
    for (key, value) in req.attrs() {
        rest.push_attr(key, value);
    }
    let mut normalized = normalize_request(&rest.as_request(), options).ok()?;
    normalized.path = path;
    normalized.identity = req.identity_value().map(str::to_owned);
    Some(normalized)
}

/// How a decision is made (`docs/language.md`), step by step.
pub fn evaluate(policy: &Policy, request: &Req, options: &Options) -> Outcome {
    // 1. An invalid request is denied and matches no rule.
    let Some(req) = normalized(request, options) else {
        return Outcome {
            effect: Effect::Deny,
            reason: Reason::InvalidRequest,
            rule: None,
            audits: Vec::new(),
        };
    };
    let matching = |kind: Kind| {
        policy
            .rules
            .iter()
            .filter(move |r| r.kind == kind)
            .filter(|r| r.conds.iter().all(|c| condition(policy, c, &req)))
            .map(|r| r.name.clone())
    };
    // 5. Every matching audit rule, in source order.
    let audits: Vec<String> = matching(Kind::Audit).collect();
    // 2. The first matching deny; 3. else the first matching allow; 4. else the default.
    let (effect, reason, rule) = if let Some(name) = matching(Kind::Deny).next() {
        (Effect::Deny, Reason::Rule, Some(name))
    } else if let Some(name) = matching(Kind::Allow).next() {
        (Effect::Allow, Reason::Rule, Some(name))
    } else if policy.default == Some(Kind::Allow) {
        (Effect::Allow, Reason::Default, None)
    } else {
        (Effect::Deny, Reason::Default, None)
    };
    Outcome {
        effect,
        reason,
        rule,
        audits,
    }
}

/// What `explain` should say: for each rule in source order, the position of its first
/// condition that does not match (`None` when every one does); `None` for an invalid
/// request, which matches no rule.
pub fn first_failing(
    policy: &Policy,
    request: &Req,
    options: &Options,
) -> Option<Vec<Option<usize>>> {
    let req = normalized(request, options)?;
    Some(
        policy
            .rules
            .iter()
            .map(|r| r.conds.iter().position(|c| !condition(policy, c, &req)))
            .collect(),
    )
}

/// One condition: the test, inverted by `not`. A missing attribute makes the test
/// false (so `not` makes it true).
fn condition(policy: &Policy, cond: &Cond, req: &NormalizedRequest) -> bool {
    test(policy, cond, req) != cond.negated
}

fn test(policy: &Policy, cond: &Cond, req: &NormalizedRequest) -> bool {
    // Every value the subject has in this request (headers and attributes may have
    // several; the others have zero or one). The test matches when any one of them matches.
    let port = req.port.map(|p| p.to_string());
    let source = req.source.map(|s| s.to_string());
    let present: Vec<&[u8]> = match &cond.subject {
        Subject::Identity => req.identity.iter().map(|s| s.as_bytes()).collect(),
        Subject::Method => vec![req.method.as_bytes()],
        Subject::Path => vec![req.path.as_bytes()],
        Subject::Host => req.host.iter().map(|s| s.as_bytes()).collect(),
        Subject::Port => port.iter().map(|s| s.as_bytes()).collect(),
        Subject::Source => source.iter().map(|s| s.as_bytes()).collect(),
        Subject::Header(name) => req
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
            .collect(),
        Subject::Attr(key) => req
            .attrs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_bytes())
            .collect(),
    };
    let values: Vec<Val> = match &cond.test {
        Test::Present => return !present.is_empty(),
        Test::Regex(re) => {
            let re = anchored(re);
            return present.iter().any(|v| re.is_match(v));
        }
        Test::Equals(v) => vec![Val::Str(v.clone())],
        Test::Values(vs) | Test::InList(vs) => splice(policy, vs),
        Test::InName(name) => splice(policy, policy.lookup(name)),
    };
    match &cond.subject {
        Subject::Identity => any_str(&req.identity, &values, identity_glob),
        Subject::Method => values.iter().any(|v| match v {
            Val::Str(m) | Val::Method(m) => *m == req.method,
            _ => unreachable!("method value {v:?}"),
        }),
        Subject::Path => values.iter().any(|v| match v {
            Val::Str(p) => path_pattern(p, &req.path),
            _ => unreachable!("path value {v:?}"),
        }),
        Subject::Host => any_str(&req.host, &values, host_pattern),
        Subject::Port => req.port.is_some_and(|p| {
            values.iter().any(|v| match *v {
                Val::Port(q) => p == q,
                Val::Range(lo, hi) => lo <= p && p <= hi,
                _ => unreachable!("port value {v:?}"),
            })
        }),
        Subject::Source => req.source.is_some_and(|s| {
            values.iter().any(|v| match v {
                Val::Net { net, .. } => contains(net, s),
                _ => unreachable!("source value {v:?}"),
            })
        }),
        Subject::Header(_) | Subject::Attr(_) => present.iter().any(|have| {
            values.iter().any(|v| match v {
                Val::Str(want) => want.as_bytes() == *have,
                _ => unreachable!("keyed value {v:?}"),
            })
        }),
    }
}

/// The regular expression anchored at both ends; compiled once per thread (the pools
/// hold a handful), since compiling dominates the reference's time on big policies.
fn anchored(re: &str) -> regex::bytes::Regex {
    thread_local! {
        static CACHE: std::cell::RefCell<HashMap<String, regex::bytes::Regex>> =
            std::cell::RefCell::new(HashMap::new());
    }
    CACHE.with(|cache| {
        cache
            .borrow_mut()
            .entry(re.to_string())
            .or_insert_with(|| {
                regex::bytes::Regex::new(&format!(r"\A(?:{re})\z")).expect("generated regex")
            })
            .clone()
    })
}

/// `NAME` in a value position splices the bound list in place.
fn splice(policy: &Policy, values: &[Val]) -> Vec<Val> {
    let mut out = Vec::new();
    for v in values {
        match v {
            Val::Name(name) => out.extend(splice(policy, policy.lookup(name))),
            other => out.push(other.clone()),
        }
    }
    out
}

fn any_str(have: &Option<String>, values: &[Val], matcher: fn(&str, &str) -> bool) -> bool {
    let Some(have) = have else { return false };
    values.iter().any(|v| match v {
        Val::Str(pattern) => matcher(pattern, have),
        _ => unreachable!("string value {v:?}"),
    })
}

/// Identity glob over the whole string: `**` = any run, `*` = any run without `/`,
/// everything else literal.
pub fn identity_glob(glob: &str, s: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match p {
            [] => s.is_empty(),
            [b'*', b'*', rest @ ..] => (0..=s.len()).any(|i| go(rest, &s[i..])),
            [b'*', rest @ ..] => {
                let run = s.iter().position(|&b| b == b'/').unwrap_or(s.len());
                (0..=run).any(|i| go(rest, &s[i..]))
            }
            [c, rest @ ..] => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    go(glob.as_bytes(), s.as_bytes())
}

/// A glob inside one path segment: `*` = any run, the empty one included.
fn segment_glob(glob: &str, s: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match p {
            [] => s.is_empty(),
            [b'*', rest @ ..] => (0..=s.len()).any(|i| go(rest, &s[i..])),
            [c, rest @ ..] => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    go(glob.as_bytes(), s.as_bytes())
}

/// Path patterns, segment by segment.
pub fn path_pattern(pattern: &str, path: &str) -> bool {
    fn go(pattern: &[&str], path: &[&str]) -> bool {
        match (pattern, path) {
            (["**"], _) => true,
            ([], []) => true,
            ([], _) | (_, []) => false,
            ([p, prest @ ..], [s, srest @ ..]) => segment(p, s) && go(prest, srest),
        }
    }
    fn segment(p: &str, s: &str) -> bool {
        let named = p.len() > 2 && p.starts_with('{') && p.ends_with('}');
        if p == "*" || named {
            !s.is_empty()
        } else if p.contains('*') {
            segment_glob(p, s)
        } else {
            p == s
        }
    }
    let pattern: Vec<&str> = pattern
        .strip_prefix('/')
        .expect("pattern")
        .split('/')
        .collect();
    let Some(path) = path.strip_prefix('/') else {
        return false;
    };
    let path: Vec<&str> = path.split('/').collect();
    go(&pattern, &path)
}

/// Host patterns in ASCII lower case: `*` any host, `*.example` one or more non-empty
/// labels before `.example`, else exact.
pub fn host_pattern(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    if pattern == "*" {
        return true;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .strip_suffix(suffix)
            .and_then(|labels| labels.strip_suffix('.'))
            .is_some_and(|labels| !labels.is_empty() && labels.split('.').all(|l| !l.is_empty())),
        None => host == pattern,
    }
}

fn contains(net: &IpNet, addr: IpAddr) -> bool {
    net.contains(&addr)
}
