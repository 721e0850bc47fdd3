//! A small model of how Istio decides, written from Istio's code and independent of
//! the importer: plain code over the resource types, the way Istio's generator turns
//! each value into an Envoy matcher and the way Envoy's RBAC filters evaluate them.
//!
//! Sources (istio/istio unless said):
//! - `pilot/pkg/security/authz/model/model.go` `New`: a rule matches when some `from`
//!   entry, some `to` entry and every `when` condition match; a field matches when
//!   some value does and no `notValue` does.
//! - `pilot/pkg/security/authz/model/generator.go`: the matcher of each field.
//! - `pilot/pkg/security/authz/matcher/string.go` `StringMatcherWithPrefix`,
//!   `header.go` `HeaderMatcher` and `HostMatcher`, `template.go`.
//! - `pilot/pkg/security/trustdomain/bundle.go` `ReplaceTrustDomainAliases`.
//! - `pilot/pkg/security/authz/builder/builder.go`: AUDIT, DENY and ALLOW filters; a
//!   policy without rules never matches; with an ALLOW policy, what none matches is
//!   denied (istio/api `authorization_policy.proto`, evaluation rules).
//! - envoy `source/extensions/path/uri_template_lib/uri_template_internal.cc`: the
//!   regex of a path template. Envoy's `safe_regex` is RE2 with a full match; `.`
//!   does not match a newline, as in Rust's `regex`.
#![allow(
    dead_code,
    // The model reads as the Go code it follows (`strings.HasPrefix`, then slicing).
    clippy::manual_strip,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use portcullis_istio::resource::{Action, AuthorizationPolicy, Condition, Operation, Rule, Source};
use regex::Regex;

/// A JWT claim value: a string or a list of strings (other JSON types never match a
/// string matcher), or a nested object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    Str(String),
    List(Vec<String>),
    Object(BTreeMap<String, Claim>),
}

/// A request as the Envoy sidecar sees it.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub method: String,
    /// The path as received, with its query; already normalized.
    pub path: String,
    /// `:authority`, possibly with a port.
    pub authority: String,
    /// The destination port of the connection.
    pub port: u16,
    /// The peer address of the connection.
    pub source: Option<IpAddr>,
    /// The URI SAN of the peer certificate (mTLS), `spiffe://…`.
    pub principal: Option<String>,
    /// Header lines (one value per name).
    pub headers: Vec<(String, String)>,
    /// The validated JWT's payload.
    pub jwt: Option<BTreeMap<String, Claim>>,
}

/// Istio's decision for `request` under `policies` (those that apply to the workload,
/// none a dry run): allowed, and whether an AUDIT policy matched.
pub fn decide(
    policies: &[AuthorizationPolicy],
    trust_domain: &str,
    request: &Request,
) -> (bool, bool) {
    let matches = |p: &AuthorizationPolicy| {
        let ns = p.metadata.namespace.as_deref().unwrap();
        p.spec
            .rules
            .iter()
            .flatten()
            .any(|r| rule_matches(r.as_ref().unwrap(), ns, trust_domain, request))
    };
    let action = |p: &AuthorizationPolicy| p.spec.action.unwrap_or(Action::Allow);
    let denied = policies
        .iter()
        .any(|p| action(p) == Action::Deny && matches(p));
    let has_allow = policies.iter().any(|p| action(p) == Action::Allow);
    let allowed_by_rule = policies
        .iter()
        .any(|p| action(p) == Action::Allow && matches(p));
    let audited = policies
        .iter()
        .any(|p| action(p) == Action::Audit && matches(p));
    (!denied && (!has_allow || allowed_by_rule), audited)
}

/// Does rule `index` of `policy` match?
pub fn rule_index_matches(
    policy: &AuthorizationPolicy,
    index: usize,
    trust_domain: &str,
    request: &Request,
) -> bool {
    let ns = policy.metadata.namespace.as_deref().unwrap();
    let rule = policy.spec.rules.as_ref().unwrap()[index].as_ref().unwrap();
    rule_matches(rule, ns, trust_domain, request)
}

fn rule_matches(rule: &Rule, ns: &str, td: &str, r: &Request) -> bool {
    let from = match &rule.from {
        None => true,
        Some(from) => from
            .iter()
            .any(|f| source_matches(f.source.as_ref().unwrap(), ns, td, r)),
    };
    let to = match &rule.to {
        None => true,
        Some(to) => to
            .iter()
            .any(|t| operation_matches(t.operation.as_ref().unwrap(), r)),
    };
    let when = rule
        .when
        .iter()
        .flatten()
        .all(|c| condition_matches(c, ns, td, r));
    from && to && when
}

/// `values` (some matches, if given) and `notValues` (none matches, if given).
fn field(
    values: &Option<Vec<String>>,
    not_values: &Option<Vec<String>>,
    m: impl Fn(&str) -> bool,
) -> bool {
    let pos = match values {
        Some(v) if !v.is_empty() => v.iter().any(|v| m(v)),
        _ => true,
    };
    let neg = match not_values {
        Some(v) if !v.is_empty() => !v.iter().any(|v| m(v)),
        _ => true,
    };
    pos && neg
}

fn source_matches(s: &Source, ns: &str, td: &str, r: &Request) -> bool {
    field(&s.principals, &s.not_principals, |v| principal(v, td, r))
        && field(&s.request_principals, &s.not_request_principals, |v| {
            request_principal(v, r)
        })
        && field(&s.namespaces, &s.not_namespaces, |v| namespace(v, r))
        && field(&s.service_accounts, &s.not_service_accounts, |v| {
            service_account(v, ns, r)
        })
        && field(&s.trust_domains, &s.not_trust_domains, |v| {
            trust_domain(v, r)
        })
        && field(&s.ip_blocks, &s.not_ip_blocks, |v| ip_block(v, r))
}

fn operation_matches(o: &Operation, r: &Request) -> bool {
    field(&o.hosts, &o.not_hosts, |v| host(v, &r.authority))
        && field(&o.ports, &o.not_ports, |v| {
            v.parse::<u16>().unwrap() == r.port
        })
        && field(&o.methods, &o.not_methods, |v| {
            header_matcher(v, Some(&r.method))
        })
        && field(&o.paths, &o.not_paths, |v| path(v, &r.path))
}

fn condition_matches(c: &Condition, ns: &str, td: &str, r: &Request) -> bool {
    let key = c.key.as_str();
    let (v, n) = (&c.values, &c.not_values);
    match key {
        "source.ip" => field(v, n, |x| ip_block(x, r)),
        "source.namespace" => field(v, n, |x| namespace(x, r)),
        "source.principal" => field(v, n, |x| principal(x, td, r)),
        "source.serviceAccount" => field(v, n, |x| service_account(x, ns, r)),
        "source.trustDomain" => field(v, n, |x| trust_domain(x, r)),
        "destination.port" => field(v, n, |x| x.parse::<u16>().unwrap() == r.port),
        "request.auth.principal" => field(v, n, |x| request_principal(x, r)),
        "request.auth.audiences" => field(v, n, |x| claim(&["aud"], x, r)),
        "request.auth.presenter" => field(v, n, |x| claim(&["azp"], x, r)),
        _ if key.starts_with("request.headers[") => {
            let name = &key["request.headers[".len()..key.len() - 1];
            let value = r
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str());
            field(v, n, |x| header_matcher(x, value))
        }
        _ if key.starts_with("request.auth.claims[") => {
            let inner = &key["request.auth.claims[".len()..key.len() - 1];
            let path: Vec<&str> = inner.split("][").collect();
            field(v, n, |x| claim(&path, x, r))
        }
        _ => panic!("the generator made a key the model does not know: {key}"),
    }
}

/// Envoy's `StringMatcher` as `matcher.StringMatcherWithPrefix(v, prefix)` builds it.
fn string_matcher(v: &str, prefix: &str, text: &str) -> bool {
    if v == "*" {
        full_match(".+", text)
    } else if let Some(rest) = v.strip_prefix('*') {
        if prefix.is_empty() {
            text.ends_with(rest)
        } else {
            full_match(
                &format!("{}.*{}", regex::escape(prefix), regex::escape(rest)),
                text,
            )
        }
    } else if let Some(rest) = v.strip_suffix('*') {
        text.starts_with(&format!("{prefix}{rest}"))
    } else {
        text == format!("{prefix}{v}")
    }
}

/// RE2 `FullMatch`.
fn full_match(re: &str, text: &str) -> bool {
    thread_local! {
        static CACHE: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
    }
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let regex = cache
            .entry(re.to_string())
            .or_insert_with(|| Regex::new(&format!("^(?:{re})$")).unwrap());
        regex.is_match(text)
    })
}

/// `srcPrincipalGenerator` after `MigrateTrustDomain`, on the authenticated peer.
fn principal(v: &str, td: &str, r: &Request) -> bool {
    let Some(p) = &r.principal else { return false };
    string_matcher(&migrate(v, td), "spiffe://", p)
}

/// `ReplaceTrustDomainAliases` with the bundle `[td]`.
fn migrate(principal: &str, td: &str) -> String {
    let parts: Vec<&str> = principal.split('/').collect();
    if parts.len() != 5 || parts[0] == "*" {
        return principal.to_string();
    }
    let from = parts[0];
    let prefix_match =
        |a: &str, pat: &str| pat.ends_with('*') && a.starts_with(&pat[..pat.len() - 1]);
    let suffix_match = |a: &str, pat: &str| pat.starts_with('*') && a.ends_with(&pat[1..]);
    let string_match = from == td
        || td == "*"
        || prefix_match(from, td)
        || prefix_match(td, from)
        || suffix_match(from, td)
        || suffix_match(td, from);
    if string_match || from == "cluster.local" {
        if suffix_match(td, from) {
            principal.to_string()
        } else {
            format!("{td}/{}", parts[1..].join("/"))
        }
    } else {
        principal.to_string()
    }
}

/// `srcNamespaceGenerator`.
fn namespace(v: &str, r: &Request) -> bool {
    let Some(p) = &r.principal else { return false };
    let parts: Vec<String> = v.split('*').map(regex::escape).collect();
    full_match(&format!(".*/ns/{}/.*", parts.join(".*")), p)
}

/// `srcServiceAccountGenerator`, `serviceAccountRegex`.
fn service_account(v: &str, ns: &str, r: &Request) -> bool {
    let Some(p) = &r.principal else { return false };
    let (ns, sa) = v.split_once('/').unwrap_or((ns, v));
    full_match(
        &format!(
            "spiffe://.+/ns/{}/(.+/|)sa/{}(/.+)?",
            regex::escape(ns),
            regex::escape(sa)
        ),
        p,
    )
}

/// `srcTrustDomainGenerator`.
fn trust_domain(v: &str, r: &Request) -> bool {
    let Some(p) = &r.principal else { return false };
    if v == "*" {
        p.starts_with("spiffe://")
    } else if !v.contains('*') {
        p.starts_with(&format!("spiffe://{v}/"))
    } else {
        let (a, b) = v.split_once('*').unwrap();
        full_match(
            &format!("spiffe://{}[^/]*{}/.*", regex::escape(a), regex::escape(b)),
            p,
        )
    }
}

/// `srcIPGenerator`: the connection's peer address in the block (host bits cleared,
/// as Envoy's `CidrRange`).
fn ip_block(v: &str, r: &Request) -> bool {
    let Some(source) = r.source else { return false };
    let (addr, len) = match v.split_once('/') {
        Some((a, l)) => (a.parse::<IpAddr>().unwrap(), l.parse::<u32>().unwrap()),
        None => {
            let a = v.parse::<IpAddr>().unwrap();
            (a, if a.is_ipv4() { 32 } else { 128 })
        }
    };
    match (addr, source) {
        (IpAddr::V4(a), IpAddr::V4(s)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(a) & mask == u32::from(s) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(s)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            u128::from(a) & mask == u128::from(s) & mask
        }
        _ => false,
    }
}

/// `requestPrincipalGenerator`: the `iss` and `sub` claims, the value split at its
/// last `/`.
fn request_principal(v: &str, r: &Request) -> bool {
    let Some(jwt) = &r.jwt else { return false };
    let (Some(Claim::Str(iss)), Some(Claim::Str(sub))) = (jwt.get("iss"), jwt.get("sub")) else {
        return false;
    };
    let (viss, vsub, found) = match v.rfind('/') {
        Some(i) => (&v[..i], &v[i + 1..], true),
        None => (v, "", false),
    };
    let any = |t: &str| full_match(".+", t);
    let (mi, ms): (bool, bool) = if v == "*" {
        (any(iss), any(sub))
    } else if v.starts_with('*') {
        if found {
            let mi = if viss == "*" {
                any(iss)
            } else {
                iss.ends_with(&viss[1..])
            };
            (mi, sub == vsub)
        } else {
            (any(iss), sub.ends_with(&v[1..]))
        }
    } else if v.ends_with('*') {
        if found {
            let ms = if vsub == "*" {
                any(sub)
            } else {
                sub.starts_with(&vsub[..vsub.len() - 1])
            };
            (iss == viss, ms)
        } else {
            (iss.starts_with(&v[..v.len() - 1]), any(sub))
        }
    } else {
        (iss == viss, sub == vsub)
    };
    mi && ms
}

/// `MetadataListValueMatcherForJWTClaims`: the claim at `path`, a string that matches
/// or a list with an element that does.
fn claim(path: &[&str], v: &str, r: &Request) -> bool {
    let Some(jwt) = &r.jwt else { return false };
    let mut node = jwt;
    let mut value = None;
    for (i, key) in path.iter().enumerate() {
        match node.get(*key) {
            Some(Claim::Object(inner)) if i + 1 < path.len() => node = inner,
            Some(c) if i + 1 == path.len() => value = Some(c),
            _ => return false,
        }
    }
    match value {
        Some(Claim::Str(s)) => string_matcher(v, "", s),
        Some(Claim::List(items)) => items.iter().any(|s| string_matcher(v, "", s)),
        _ => false,
    }
}

/// `HeaderMatcher`: `*` presence, prefix, suffix, exact.
fn header_matcher(v: &str, value: Option<&str>) -> bool {
    let Some(value) = value else { return false };
    if v == "*" {
        true
    } else if let Some(rest) = v.strip_prefix('*') {
        value.ends_with(rest)
    } else if let Some(rest) = v.strip_suffix('*') {
        value.starts_with(rest)
    } else {
        value == v
    }
}

/// `HostMatcher`: as `HeaderMatcher`, ignoring case, on the whole authority.
fn host(v: &str, authority: &str) -> bool {
    header_matcher(
        &v.to_ascii_lowercase(),
        Some(&authority.to_ascii_lowercase()),
    )
}

/// `pathGenerator`: a URI template, or `StringMatcher` on the path without its query.
fn path(v: &str, request_path: &str) -> bool {
    let path = request_path.split('?').next().unwrap();
    if v.contains("{*}") || v.contains("{**}") {
        return full_match(&template_regex(v), path);
    }
    string_matcher(v, "", path)
}

/// `convertPathPatternSyntaxToRegex` after Istio's `{*}` → `*`, `{**}` → `**`.
fn template_regex(v: &str) -> String {
    // Envoy's `kLiteral`, its `-` escaped for Rust's class syntax.
    const LITERAL: &str = "a-zA-Z0-9\\-._~%!$&'()+,;:@";
    let pattern = v.replace("{**}", "**").replace("{*}", "*");
    let segments: Vec<String> = pattern[1..]
        .split('/')
        .map(|s| match s {
            "*" => format!("[{LITERAL}]+"),
            "**" => format!("[{LITERAL}/]*"),
            lit => lit
                .replace('$', "\\$")
                .replace('(', "\\(")
                .replace(')', "\\)")
                .replace('+', "\\+")
                .replace('.', "\\."),
        })
        .collect();
    format!("/{}", segments.join("/"))
}
