//! The importer against a model of Istio: generated `AuthorizationPolicy` resources
//! and requests, each request decided by the reference model of Istio's semantics
//! (`reference/mod.rs`, written from Istio's generator and Envoy's matchers,
//! independent of the importer) and by the imported Portcullis policy, compiled by the
//! core. They must agree on every request: allowed or not, audited or not, and the
//! Portcullis rule that decides must come from an Istio rule of the right action that
//! matches the request.
//!
//! The values are drawn from small vocabularies that sit on the boundaries: principals
//! in and out of namespaces, prefixes and suffixes that cross `/`, paths at prefix
//! and template boundaries, plaintext requests, hosts in other cases, list claims,
//! JWTs without some claims. Requests are valid for Portcullis (so not denied as
//! invalid) and carry what an Envoy sidecar always knows: an authority, a port and a
//! source address. Paths are compared as Istio's default normalization leaves them
//! (slashes not merged: Portcullis runs with `merge_slashes` off).
//!
//! Each property runs `DEFAULT_CASES` generated sets of policies (or
//! `PROPTEST_CASES`), each deciding `REQUESTS` requests (16 for the port property).
//! A longer run:
//! `PROPTEST_CASES=20000 cargo test -p portcullis-istio --release --test differential`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod reference;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::OnceLock;

use portcullis::normalize::Options as Normalization;
use portcullis::{Policy, Reason, Request};
use portcullis_istio::resource::{
    Action, AuthorizationPolicy, Condition, From, Metadata, Operation, Rule, Source, Spec, To,
};
use portcullis_istio::{Input, Options, import};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use reference::Claim;

/// Requests decided per generated set of policies.
const REQUESTS: usize = 48;

/// Generated sets of policies per property, unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: u32 = 96;

const PRINCIPALS: &[&str] = &[
    "cluster.local/ns/foo/sa/sleep",
    "cluster.local/ns/bar/sa/admin",
    "cluster.local/ns/foo/sa/*",
    "cluster.local/ns/foo/*",
    "cluster.local/ns/ba*",
    "*/sa/sleep",
    "*o/sa/admin",
    "*",
    "other.td/ns/foo/sa/sleep",
    "td.example/ns/bar/sa/admin",
    "cluster*",
    "*.td/ns/foo/sa/sleep",
];
const NAMESPACES: &[&str] = &["foo", "bar", "ba*", "*o", "*", "f*o", "ns"];
const SERVICE_ACCOUNTS: &[&str] = &["sleep", "foo/admin", "bar/sleep", "admin"];
const TRUST_DOMAINS: &[&str] = &["cluster.local", "other.td", "*.td", "cluster*", "*"];
const REQUEST_PRINCIPALS: &[&str] = &[
    "https://iss.example/alice",
    "https://iss.example/*",
    "*/bob",
    "*",
    "*ice",
    "https://other.example*",
    "*.example/carol",
    "https://iss.example/al*",
];
const IP_BLOCKS: &[&str] = &[
    "10.0.0.0/8",
    "10.1.2.3",
    "10.1.2.3/24",
    "192.168.0.0/16",
    "2001:db8::/32",
    "0.0.0.0/0",
];
const HOSTS: &[&str] = &[
    "example.com",
    "*.example.com",
    "api.*",
    "*",
    "*example.com",
    "API.Example.com",
    "other.org",
    "API.*",
    "*.EXAMPLE.com",
];
const PORTS: &[&str] = &["80", "8080", "9090"];
const METHODS: &[&str] = &["GET", "POST", "DELETE", "*"];
const PATHS: &[&str] = &[
    "/",
    "/api",
    "/api/*",
    "/api*",
    "*/admin",
    "*",
    "/api/{*}",
    "/api/{**}",
    "/{*}/admin",
    "/api/{**}/admin",
    "/static/",
    "/{**}",
    "/a=b",
];
const HEADER_VALUES: &[&str] = &["prod", "pro*", "*od", "*", "dev"];
const CLAIM_VALUES: &[&str] = &["eng", "en*", "*ops", "*", "x"];
const AUDIENCES: &[&str] = &["api", "ap*", "*eb", "*"];

fn values(vocab: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    subsequence(vocab, 1..=3).prop_map(|v| v.into_iter().map(String::from).collect())
}

/// The fields of a source the generator sets.
#[derive(Clone, Copy, Debug)]
enum SourceField {
    Principals,
    Namespaces,
    ServiceAccounts,
    RequestPrincipals,
    TrustDomains,
    IpBlocks,
}

impl SourceField {
    /// The field of `s`, or its `not…` field.
    fn slot(self, s: &mut Source, not: bool) -> &mut Option<Vec<String>> {
        match (self, not) {
            (SourceField::Principals, false) => &mut s.principals,
            (SourceField::Principals, true) => &mut s.not_principals,
            (SourceField::Namespaces, false) => &mut s.namespaces,
            (SourceField::Namespaces, true) => &mut s.not_namespaces,
            (SourceField::ServiceAccounts, false) => &mut s.service_accounts,
            (SourceField::ServiceAccounts, true) => &mut s.not_service_accounts,
            (SourceField::RequestPrincipals, false) => &mut s.request_principals,
            (SourceField::RequestPrincipals, true) => &mut s.not_request_principals,
            (SourceField::TrustDomains, false) => &mut s.trust_domains,
            (SourceField::TrustDomains, true) => &mut s.not_trust_domains,
            (SourceField::IpBlocks, false) => &mut s.ip_blocks,
            (SourceField::IpBlocks, true) => &mut s.not_ip_blocks,
        }
    }
}

/// A field of a source, negated or not, with its values.
fn source_field() -> impl Strategy<Value = (SourceField, bool, Vec<String>)> {
    let field = |f: SourceField, vocab| (Just(f), any::<bool>(), values(vocab));
    prop_oneof![
        3 => field(SourceField::Principals, PRINCIPALS),
        3 => field(SourceField::Namespaces, NAMESPACES),
        2 => field(SourceField::ServiceAccounts, SERVICE_ACCOUNTS),
        2 => field(SourceField::RequestPrincipals, REQUEST_PRINCIPALS),
        1 => field(SourceField::TrustDomains, TRUST_DOMAINS),
        2 => field(SourceField::IpBlocks, IP_BLOCKS),
    ]
}

/// A source of one or two fields (Istio refuses `serviceAccounts` beside
/// `principals` or `namespaces`: those are dropped then).
fn source() -> impl Strategy<Value = Source> {
    prop::collection::vec(source_field(), 1..=2).prop_map(|fields| {
        let mut s = Source::default();
        for (field, not, values) in fields {
            *field.slot(&mut s, not) = Some(values);
        }
        if s.service_accounts.is_some() || s.not_service_accounts.is_some() {
            s.principals = None;
            s.not_principals = None;
            s.namespaces = None;
            s.not_namespaces = None;
        }
        s
    })
}

/// The fields of an operation the generator sets.
#[derive(Clone, Copy, Debug)]
enum OperationField {
    Hosts,
    Ports,
    Methods,
    Paths,
}

impl OperationField {
    fn slot(self, o: &mut Operation, not: bool) -> &mut Option<Vec<String>> {
        match (self, not) {
            (OperationField::Hosts, false) => &mut o.hosts,
            (OperationField::Hosts, true) => &mut o.not_hosts,
            (OperationField::Ports, false) => &mut o.ports,
            (OperationField::Ports, true) => &mut o.not_ports,
            (OperationField::Methods, false) => &mut o.methods,
            (OperationField::Methods, true) => &mut o.not_methods,
            (OperationField::Paths, false) => &mut o.paths,
            (OperationField::Paths, true) => &mut o.not_paths,
        }
    }
}

fn operation_field() -> impl Strategy<Value = (OperationField, bool, Vec<String>)> {
    let field = |f: OperationField, vocab| (Just(f), any::<bool>(), values(vocab));
    prop_oneof![
        2 => field(OperationField::Hosts, HOSTS),
        1 => field(OperationField::Ports, PORTS),
        2 => field(OperationField::Methods, METHODS),
        4 => field(OperationField::Paths, PATHS),
    ]
}

/// An operation of one or two fields.
fn operation() -> impl Strategy<Value = Operation> {
    prop::collection::vec(operation_field(), 1..=2).prop_map(|fields| {
        let mut o = Operation::default();
        for (field, not, values) in fields {
            *field.slot(&mut o, not) = Some(values);
        }
        o
    })
}

fn condition() -> impl Strategy<Value = Condition> {
    let keyed = |key: &'static str, vocab: &'static [&'static str]| {
        (
            prop::option::of(values(vocab)),
            prop::option::weighted(0.3, values(vocab)),
        )
            .prop_map(move |(v, n)| {
                let v = if v.is_none() && n.is_none() {
                    Some(vec![vocab[0].to_string()])
                } else {
                    v
                };
                Condition {
                    key: key.to_string(),
                    values: v,
                    not_values: n,
                }
            })
    };
    prop_oneof![
        keyed("request.headers[x-env]", HEADER_VALUES),
        keyed("request.auth.claims[groups]", CLAIM_VALUES),
        keyed("request.auth.claims[a][b]", CLAIM_VALUES),
        keyed(
            "request.auth.claims[iss]",
            &["https://iss.example", "https://*", "*"]
        ),
        keyed("request.auth.audiences", AUDIENCES),
        keyed("request.auth.presenter", AUDIENCES),
        keyed("request.auth.principal", REQUEST_PRINCIPALS),
        keyed("source.ip", IP_BLOCKS),
        keyed("source.namespace", NAMESPACES),
        keyed("source.principal", PRINCIPALS),
        keyed("source.serviceAccount", SERVICE_ACCOUNTS),
        keyed("source.trustDomain", TRUST_DOMAINS),
        keyed("destination.port", PORTS),
    ]
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        prop::option::weighted(0.6, prop::collection::vec(source(), 1..=2)),
        prop::option::weighted(0.7, prop::collection::vec(operation(), 1..=2)),
        prop::option::weighted(0.4, prop::collection::vec(condition(), 1..=2)),
    )
        .prop_map(|(from, to, when)| Rule {
            from: from.map(|f| f.into_iter().map(|s| From { source: Some(s) }).collect()),
            to: to.map(|t| t.into_iter().map(|o| To { operation: Some(o) }).collect()),
            when,
        })
}

fn policy(index: usize) -> impl Strategy<Value = AuthorizationPolicy> {
    (
        select(&[Action::Allow, Action::Allow, Action::Deny, Action::Audit][..]),
        prop::collection::vec(rule(), 0..=3),
        select(&["foo", "bar"][..]),
    )
        .prop_map(move |(action, rules, ns)| {
            let rules = if rules.is_empty() && action == Action::Deny {
                vec![Rule::default()]
            } else {
                rules
            };
            AuthorizationPolicy {
                api_version: "security.istio.io/v1".into(),
                kind: "AuthorizationPolicy".into(),
                metadata: Metadata::new(ns, &format!("p{index}")),
                spec: Spec {
                    action: Some(action),
                    rules: Some(rules.into_iter().map(Some).collect()),
                    ..Spec::default()
                },
                ..AuthorizationPolicy::default()
            }
        })
}

fn policies() -> impl Strategy<Value = Vec<AuthorizationPolicy>> {
    (1usize..=4).prop_flat_map(|n| (0..n).map(policy).collect::<Vec<_>>())
}

fn request() -> impl Strategy<Value = reference::Request> {
    let identities = select(
        &[
            None,
            Some("spiffe://cluster.local/ns/foo/sa/sleep"),
            Some("spiffe://cluster.local/ns/foo/sa/admin"),
            Some("spiffe://cluster.local/ns/bar/sa/admin"),
            Some("spiffe://cluster.local/ns/baz/sa/sleep"),
            Some("spiffe://other.td/ns/foo/sa/sleep"),
            Some("spiffe://x.td/ns/bar/sa/sleep"),
            Some("spiffe://td.example/ns/bar/sa/admin"),
            Some("spiffe://td.example/ns/foo/sa/sleep"),
            Some("spiffe://cluster.local/ns/fo/o/sa/x"),
            Some("spiffe://cluster.local/ns/f/x/o/sa/admin"),
            Some("spiffe://cluster.local/ns/foo/extra/sa/sleep/more"),
            Some("spiffe://cluster.localx/ns/ns/sa/sleep"),
        ][..],
    );
    let paths = select(
        &[
            "/",
            "/api",
            "/api/",
            "/api/x",
            "/api/x/y",
            "/apix",
            "/x/admin",
            "/admin",
            "/api/x/admin",
            "/api/x/y/admin",
            "/static/",
            "/static",
            "/a=b",
            "/api/a=b",
            "/api/x?q=1",
            "/api//admin",
        ][..],
    );
    let hosts = select(
        &[
            "example.com",
            "api.example.com",
            "API.EXAMPLE.COM",
            "other.org",
            "myexample.com",
            "api.io",
            "a.b.example.com",
        ][..],
    );
    let sources = select(
        &[
            "10.1.2.3",
            "10.1.2.200",
            "10.200.0.1",
            "192.168.1.1",
            "2001:db8::1",
            "8.8.8.8",
        ][..],
    );
    let header = select(
        &[
            None,
            Some("prod"),
            Some("production"),
            Some("od"),
            Some("dev"),
            Some(""),
        ][..],
    );
    let jwt = prop::option::weighted(
        0.6,
        (
            select(
                &[
                    None,
                    Some("https://iss.example"),
                    Some("https://other.example"),
                    Some("https://x.example"),
                ][..],
            ),
            select(&[None, Some("alice"), Some("bob"), Some("carol"), Some("")][..]),
            subsequence(&["api", "web"][..], 0..=2),
            select(&[None, Some("web"), Some("cli")][..]),
            subsequence(&["eng", "ops", "devops", "eng-x", "en\nops"][..], 0..=2),
            select(&[None, Some("x"), Some("eng")][..]),
        ),
    );
    (
        select(&["GET", "POST", "DELETE", "PUT"][..]),
        paths,
        hosts,
        select(&[80u16, 8080, 9090][..]),
        sources,
        identities,
        header,
        jwt,
    )
        .prop_map(
            |(method, path, host, port, source, identity, header, jwt)| {
                let jwt = jwt.map(|(iss, sub, aud, azp, groups, ab)| {
                    let mut claims = BTreeMap::new();
                    if let Some(iss) = iss {
                        claims.insert("iss".to_string(), Claim::Str(iss.into()));
                    }
                    if let Some(sub) = sub {
                        claims.insert("sub".to_string(), Claim::Str(sub.into()));
                    }
                    if !aud.is_empty() {
                        claims.insert("aud".to_string(), list(&aud));
                    }
                    if let Some(azp) = azp {
                        claims.insert("azp".to_string(), Claim::Str(azp.into()));
                    }
                    if !groups.is_empty() {
                        claims.insert("groups".to_string(), list(&groups));
                    }
                    if let Some(ab) = ab {
                        let mut a = BTreeMap::new();
                        a.insert("b".to_string(), Claim::Str(ab.into()));
                        claims.insert("a".to_string(), Claim::Object(a));
                    }
                    claims
                });
                reference::Request {
                    method: method.into(),
                    path: path.into(),
                    authority: host.into(),
                    port,
                    source: Some(source.parse().unwrap()),
                    principal: identity.map(String::from),
                    headers: header
                        .map(|v| vec![("x-env".to_string(), v.to_string())])
                        .unwrap_or_default(),
                    jwt,
                }
            },
        )
}

/// A list claim; with one element, as a string or a list alike.
fn list(items: &[&str]) -> Claim {
    if !multi_valued_attributes() {
        Claim::Str(items[0].into())
    } else {
        Claim::List(items.iter().map(|s| s.to_string()).collect())
    }
}

/// Does the core take several values for one attribute (language 1.1)? Until it
/// does, list claims are generated with one element.
fn multi_valued_attributes() -> bool {
    static SUPPORTED: OnceLock<bool> = OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        let policy = Policy::compile("allow \"all\" {}").unwrap();
        let request = Request::new("GET", "/").attr("k", "a").attr("k", "b");
        policy.evaluate(&request).reason() != Reason::InvalidRequest
    })
}

/// The attributes a proxy fills from a validated JWT, named by Istio's keys: the
/// principal `iss/sub`, audiences (`aud`), presenter (`azp`) and the claims the
/// generated policies name; a list claim gives several values.
fn jwt_attributes(jwt: &BTreeMap<String, Claim>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut push = |key: String, claim: Option<&Claim>| match claim {
        Some(Claim::Str(s)) => out.push((key, s.clone())),
        Some(Claim::List(items)) => out.extend(items.iter().map(|s| (key.clone(), s.clone()))),
        _ => {}
    };
    if let (Some(Claim::Str(iss)), Some(Claim::Str(sub))) = (jwt.get("iss"), jwt.get("sub")) {
        push(
            "request.auth.principal".into(),
            Some(&Claim::Str(format!("{iss}/{sub}"))),
        );
    }
    push("request.auth.audiences".into(), jwt.get("aud"));
    push("request.auth.presenter".into(), jwt.get("azp"));
    for name in ["iss", "sub", "aud", "azp", "groups"] {
        push(format!("request.auth.claims[{name}]"), jwt.get(name));
    }
    if let Some(Claim::Object(a)) = jwt.get("a") {
        push("request.auth.claims[a][b]".into(), a.get("b"));
    }
    out
}

/// What Portcullis decides for the request: allowed, audited, deciding rule.
fn portcullis_decision(
    policy: &Policy,
    r: &reference::Request,
    host: &str,
) -> (bool, bool, Option<String>) {
    let attrs = r.jwt.as_ref().map(jwt_attributes).unwrap_or_default();
    let mut request = Request::new(&r.method, &r.path).host(host).port(r.port);
    if let Some(source) = r.source {
        request = request.source(source);
    }
    if let Some(identity) = &r.principal {
        request = request.identity(identity);
    }
    for (name, value) in &r.headers {
        request = request.header(name, value.as_bytes());
    }
    for (key, value) in &attrs {
        request = request.attr(key, value);
    }
    let decision = policy.evaluate(&request);
    assert_ne!(decision.reason(), Reason::InvalidRequest, "{r:?}");
    (
        decision.is_allowed(),
        decision.audit().next().is_some(),
        decision.rule().map(String::from),
    )
}

fn import_policies(policies: &[AuthorizationPolicy], trust_domain: &str) -> (String, Policy) {
    // Through YAML text, as the command reads it.
    let yaml: String = policies
        .iter()
        .map(|p| format!("---\n{}", serde_norway::to_string(p).unwrap()))
        .collect();
    let options = Options {
        trust_domain: trust_domain.into(),
        ..Options::default()
    };
    let imported = match import(
        &[Input {
            name: "generated.yaml",
            text: &yaml,
        }],
        &options,
    ) {
        Ok(imported) => imported,
        Err(errors) => panic!(
            "the importer refused generated policies:\n{}\n{yaml}",
            errors.iter().map(|e| format!("{e}\n")).collect::<String>()
        ),
    };
    // Istio's default path normalization (`BASE`: RFC 3986, slashes not merged), so
    // that both sides match the same path.
    let mut like_istio = Normalization::default();
    like_istio.merge_slashes = false;
    let policy = Policy::compile(imported.text())
        .unwrap()
        .with_options(like_istio);
    (imported.text().to_string(), policy)
}

/// `ns/name[i]…` → the policy and rule index it comes from.
fn origin<'p>(policies: &'p [AuthorizationPolicy], rule: &str) -> (&'p AuthorizationPolicy, usize) {
    let (id, rest) = rule.split_once('[').unwrap();
    let index: usize = rest[..rest.find(']').unwrap()].parse().unwrap();
    let policy = policies
        .iter()
        .find(|p| {
            format!(
                "{}/{}",
                p.metadata.namespace.as_deref().unwrap(),
                p.metadata.name.as_deref().unwrap()
            ) == id
        })
        .unwrap();
    (policy, index)
}

fn check(
    policies: &[AuthorizationPolicy],
    trust_domain: &str,
    requests: &[reference::Request],
) -> Result<(), TestCaseError> {
    let (text, policy) = import_policies(policies, trust_domain);
    for r in requests {
        let (istio_allows, istio_audits) = reference::decide(policies, trust_domain, r);
        let (allows, audits, rule) = portcullis_decision(&policy, r, &r.authority);
        prop_assert_eq!(
            (allows, audits),
            (istio_allows, istio_audits),
            "request {:?}\npolicy:\n{}",
            r,
            text
        );
        if let Some(rule) = rule {
            let (p, index) = origin(policies, &rule);
            prop_assert!(
                reference::rule_index_matches(p, index, trust_domain, r),
                "rule {} decided, but its Istio rule does not match {:?}\n{}",
                rule,
                r,
                text
            );
            let action = p.spec.action.unwrap_or(Action::Allow);
            prop_assert_eq!(action == Action::Allow, allows);
        }
    }
    Ok(())
}

/// `PROPTEST_CASES` when set, else `default`: modest by default, for CI.
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(cases(DEFAULT_CASES))]

    #[test]
    fn imported_policies_decide_as_istio(
        policies in policies(),
        trust_domain in select(&["cluster.local", "td.example"][..]),
        requests in prop::collection::vec(request(), REQUESTS),
    ) {
        check(&policies, trust_domain, &requests)?;
    }

    /// The designed difference, exactly: Portcullis decides a request whose authority
    /// has a port as Istio decides the same request without the port.
    #[test]
    fn hosts_are_compared_without_their_port(
        policies in policies(),
        requests in prop::collection::vec(request(), 16),
        port in select(&["80", "8080", "443"][..]),
    ) {
        let (text, policy) = import_policies(&policies, "cluster.local");
        for r in &requests {
            let expected = reference::decide(&policies, "cluster.local", r);
            let with_port = format!("{}:{port}", r.authority);
            let (allows, audits, _) = portcullis_decision(&policy, r, &with_port);
            prop_assert_eq!((allows, audits), expected, "{:?} {}\n{}", r, with_port, text);
        }
    }
}

/// A default run decides thousands of requests: `DEFAULT_CASES` × (`REQUESTS` + 16).
#[test]
fn a_default_run_decides_thousands_of_requests() {
    assert!(DEFAULT_CASES as usize * (REQUESTS + 16) >= 5000);
}

#[test]
fn the_reference_model_is_not_trivial() {
    // A few hand-checked decisions of the model itself, so that agreement is not
    // agreement with a model that allows everything.
    let deny_dev: AuthorizationPolicy = serde_norway::from_str(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: d, namespace: foo}\n\
         spec: {action: DENY, rules: [{from: [{source: {namespaces: [dev]}}], to: [{operation: {methods: [POST]}}]}]}\n",
    )
    .unwrap();
    let r = |method: &str, principal: Option<&str>| reference::Request {
        method: method.into(),
        path: "/".into(),
        authority: "a".into(),
        port: 80,
        source: Some(IpAddr::from([10, 0, 0, 1])),
        principal: principal.map(String::from),
        ..reference::Request::default()
    };
    let policies = [deny_dev];
    assert_eq!(
        reference::decide(
            &policies,
            "cluster.local",
            &r("POST", Some("spiffe://cluster.local/ns/dev/sa/x"))
        ),
        (false, false)
    );
    assert_eq!(
        reference::decide(&policies, "cluster.local", &r("POST", None)),
        (true, false)
    );
    assert_eq!(
        reference::decide(
            &policies,
            "cluster.local",
            &r("GET", Some("spiffe://cluster.local/ns/dev/sa/x"))
        ),
        (true, false)
    );
}
