//! What imported policies decide, case by case, with the Istio source each case comes
//! from: istio/api `security/v1beta1/authorization_policy.proto` (the reference's
//! examples and its rules of evaluation), istio/istio
//! `tests/integration/security/authz_test.go` with its `testdata/authz/*.yaml.tmpl`,
//! `pilot/pkg/security/authz/builder/testdata`, and the generators in
//! `pilot/pkg/security/authz/model/generator.go` and `authz/matcher`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use portcullis::normalize::Options as Normalization;

/// authorization_policy.proto, the first example: principals or namespaces, GET with
/// prefix `/info` or POST `/data`, and the `iss` claim.
const HTTPBIN: &str = r#"
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: httpbin
  namespace: foo
spec:
  action: ALLOW
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/default/sa/sleep"]
    - source:
        namespaces: ["test"]
    to:
    - operation:
        methods: ["GET"]
        paths: ["/info*"]
    - operation:
        methods: ["POST"]
        paths: ["/data"]
    when:
    - key: request.auth.claims[iss]
      values: ["https://accounts.google.com"]
"#;

#[test]
fn the_reference_example_from_to_when() {
    let p = policy(HTTPBIN);
    let sleep = id("default", "sleep");
    let test_ns = id("test", "anyone");
    let iss = "https://accounts.google.com";
    // Method, path, identity, `iss` claim, allowed.
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, bool);
    let cases: &[Case<'_>] = &[
        ("GET", "/info", Some(&sleep), Some(iss), true),
        ("GET", "/info/x/y", Some(&sleep), Some(iss), true),
        ("GET", "/information", Some(&test_ns), Some(iss), true),
        ("POST", "/data", Some(&test_ns), Some(iss), true),
        // Each of from, to and when must match.
        ("POST", "/info", Some(&sleep), Some(iss), false),
        ("GET", "/data", Some(&sleep), Some(iss), false),
        ("GET", "/info", Some(&sleep), None, false),
        ("GET", "/info", Some(&sleep), Some("https://other"), false),
        (
            "GET",
            "/info",
            Some(&id("default", "other")),
            Some(iss),
            false,
        ),
        ("GET", "/info", None, Some(iss), false),
        ("GET", "/inf", Some(&sleep), Some(iss), false),
    ];
    for &(method, path, identity, claim, expected) in cases {
        let mut r = req(method, path);
        if let Some(identity) = identity {
            r = r.identity(identity);
        }
        if let Some(claim) = claim {
            r = r.attr("request.auth.claims[iss]", claim);
        }
        assert_eq!(
            allows(&p, &r),
            expected,
            "{method} {path} {identity:?} {claim:?}"
        );
    }
}

#[test]
fn one_rule_per_from_and_to_pair_named_after_it() {
    let imported = imported_with(HTTPBIN, &portcullis_istio::Options::default());
    for name in [
        "foo/httpbin[0].from[0].to[0]",
        "foo/httpbin[0].from[0].to[1]",
        "foo/httpbin[0].from[1].to[0]",
        "foo/httpbin[0].from[1].to[1]",
    ] {
        assert!(
            imported.text().contains(&format!("allow \"{name}\"")),
            "{name}"
        );
    }
    // A comment naming the resource stands above each rule.
    assert!(imported
        .text()
        .contains("# foo/httpbin (p.yaml): ALLOW rules[0], from[1], to[0]\nallow \"foo/httpbin[0].from[1].to[0]\""));
    let p = policy(HTTPBIN);
    let d = p.evaluate(
        &req("POST", "/data")
            .identity(&id("test", "x"))
            .attr("request.auth.claims[iss]", "https://accounts.google.com"),
    );
    assert_eq!(d.rule(), Some("foo/httpbin[0].from[1].to[1]"));
}

/// authorization_policy.proto: "It denies requests from the `dev` namespace to the
/// `POST` method"; with no ALLOW policy, everything else is allowed (rule 3).
#[test]
fn deny_without_allow_policies_allows_the_rest() {
    let p = policy(&resource(
        "  action: DENY\n  rules:\n  - from:\n    - source: {namespaces: [dev]}\n    to:\n    - operation: {methods: [POST]}",
    ));
    assert!(!allows(&p, &req("POST", "/").identity(&id("dev", "a"))));
    assert!(allows(&p, &req("GET", "/").identity(&id("dev", "a"))));
    assert!(allows(&p, &req("POST", "/").identity(&id("prod", "a"))));
    assert!(allows(&p, &req("POST", "/")));
}

/// authorization_policy.proto: `spec: {}` allows nothing; `rules: [{}]` allows all.
#[test]
fn allow_nothing_and_allow_all() {
    let nothing = policy(&resource("  {}"));
    assert!(!allows(&nothing, &req("GET", "/")));
    let nothing = policy(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: n, namespace: foo}\n",
    );
    assert!(!allows(&nothing, &req("GET", "/")));
    let all = policy(&resource("  rules:\n  - {}"));
    assert!(allows(&all, &req("DELETE", "/x")));
    assert!(allows(&all, &req("GET", "/")));
}

/// authorization_policy.proto, evaluation rules 2–5; authz_test.go
/// TestAuthz_PathPrecedence (testdata/authz/path-precedence.yaml.tmpl).
#[test]
fn deny_wins_over_allow() {
    let yaml = format!(
        "{}---\n{}",
        resource("  action: DENY\n  rules:\n  - to:\n    - operation: {paths: [\"/allow/admin\"]}")
            .replace("name: p", "name: deny"),
        resource("  action: ALLOW\n  rules:\n  - to:\n    - operation: {paths: [\"/allow*\"]}")
            .replace("name: p", "name: allow"),
    );
    let p = policy(&yaml);
    assert!(!allows(&p, &req("GET", "/allow/admin")));
    assert_eq!(
        p.evaluate(&req("GET", "/allow/admin")).rule(),
        Some("foo/deny[0]")
    );
    assert!(allows(&p, &req("GET", "/allow")));
    assert!(allows(&p, &req("GET", "/allow/admin/x")));
    assert!(allows(&p, &req("GET", "/allowed")));
    assert!(!allows(&p, &req("GET", "/other")));
}

/// testdata/authz/plaintext.yaml.tmpl: "denies access to the service if the request
/// was not mTLS, since mTLS is required in order to match source principals".
#[test]
fn plaintext_satisfies_not_principals_star() {
    let p = policy(&resource(
        "  action: DENY\n  rules:\n  - from:\n    - source: {notPrincipals: [\"*\"]}",
    ));
    assert!(!allows(&p, &req("GET", "/")));
    assert!(allows(&p, &req("GET", "/").identity(&id("a", "b"))));
}

/// testdata/authz/not-namespace.yaml.tmpl.
#[test]
fn not_namespaces() {
    let p = policy(&resource(
        "  action: DENY\n  rules:\n  - from:\n    - source: {notNamespaces: [allowed]}",
    ));
    assert!(allows(&p, &req("GET", "/").identity(&id("allowed", "x"))));
    assert!(!allows(&p, &req("GET", "/").identity(&id("other", "x"))));
    assert!(!allows(&p, &req("GET", "/")));
}

/// testdata/authz/not-host.yaml.tmpl; hosts are case-insensitive (`HostMatcher`).
#[test]
fn not_hosts_case_insensitive() {
    let p = policy(&resource(
        "  action: ALLOW\n  rules:\n  - to:\n    - operation: {notHosts: [deny.svc.com]}",
    ));
    assert!(allows(&p, &req("GET", "/").host("allow.svc.com")));
    assert!(!allows(&p, &req("GET", "/").host("deny.svc.com")));
    assert!(!allows(&p, &req("GET", "/").host("DENY.svc.COM")));
}

/// matcher/header.go `HostMatcher`: exact, `*.suffix`, `prefix.*`, `*` presence, all
/// without case.
#[test]
fn host_forms() {
    let p = policy(&resource(
        "  rules:\n  - to:\n    - operation: {hosts: [exact.com, \"*.suffix.com\", \"prefix.*\", \"*tail.org\"]}",
    ));
    for (host, expected) in [
        ("exact.com", true),
        ("EXACT.com", true),
        ("x.exact.com", false),
        ("a.suffix.com", true),
        ("a.b.suffix.com", true),
        ("suffix.com", false),
        ("prefix.io", true),
        ("prefix", false),
        ("tail.org", true),
        ("mytail.org", true),
        ("other.com", false),
    ] {
        assert_eq!(allows(&p, &req("GET", "/").host(host)), expected, "{host}");
    }
    let any = policy(&resource(
        "  rules:\n  - to:\n    - operation: {hosts: [\"*\"]}",
    ));
    assert!(allows(&any, &req("GET", "/").host("x.y")));
}

/// The designed difference (docs/istio.md): Istio compares `hosts` with the whole
/// authority, so `exact.com` does not match `exact.com:8080` there; Portcullis
/// compares the host without its port.
#[test]
fn a_host_without_port_matches_the_host_with_one() {
    let p = policy(&resource(
        "  rules:\n  - to:\n    - operation: {hosts: [exact.com]}",
    ));
    assert!(allows(&p, &req("GET", "/").host("exact.com:8080")));
}

/// testdata/authz/not-port.yaml.tmpl; ports are the destination port.
#[test]
fn ports_and_not_ports() {
    let p = policy(&resource(
        "  rules:\n  - to:\n    - operation: {notPorts: [\"8080\"]}",
    ));
    assert!(!allows(&p, &req("GET", "/")));
    assert!(allows(&p, &req("GET", "/").port(9090)));
    let p = policy(&resource(
        "  rules:\n  - when:\n    - {key: destination.port, values: [\"9090\", \"9091\"]}",
    ));
    assert!(allows(&p, &req("GET", "/").port(9091)));
    assert!(!allows(&p, &req("GET", "/")));
}

/// testdata/authz/conditions.yaml.tmpl: `request.headers`, `source.ip`,
/// `source.namespace`, `source.principal`, each with `values` and `notValues`.
#[test]
fn conditions() {
    let p = policy(&resource(
        r#"  rules:
  - to: [{operation: {paths: ["/request-headers"]}}]
    when: [{key: "request.headers[x-foo]", values: ["foo"]}]
  - to: [{operation: {paths: ["/request-headers-notValues"]}}]
    when: [{key: "request.headers[x-foo]", notValues: ["bar"]}]
  - to: [{operation: {paths: ["/source-ip"]}}]
    when: [{key: source.ip, values: ["10.0.0.1"]}]
  - to: [{operation: {paths: ["/source-ip-notValues"]}}]
    when: [{key: source.ip, notValues: ["10.0.0.0/24"]}]
  - to: [{operation: {paths: ["/source-namespace"]}}]
    when: [{key: source.namespace, values: ["allowed"]}]
  - to: [{operation: {paths: ["/source-namespace-notValues"]}}]
    when: [{key: source.namespace, notValues: ["denied"]}]
  - to: [{operation: {paths: ["/source-principal"]}}]
    when: [{key: source.principal, values: ["cluster.local/ns/allowed/sa/a"]}]
  - to: [{operation: {paths: ["/source-principal-notValues"]}}]
    when: [{key: source.principal, notValues: ["cluster.local/ns/denied/sa/d"]}]"#,
    ));
    let allowed = id("allowed", "a");
    let denied = id("denied", "d");
    assert!(allows(
        &p,
        &req("GET", "/request-headers").header("x-foo", b"foo")
    ));
    assert!(!allows(
        &p,
        &req("GET", "/request-headers").header("x-foo", b"bar")
    ));
    assert!(!allows(&p, &req("GET", "/request-headers")));
    assert!(allows(&p, &req("GET", "/request-headers-notValues")));
    assert!(allows(
        &p,
        &req("GET", "/request-headers-notValues").header("X-Foo", b"foo")
    ));
    assert!(!allows(
        &p,
        &req("GET", "/request-headers-notValues").header("x-foo", b"bar")
    ));
    assert!(allows(&p, &req("GET", "/source-ip")));
    assert!(!allows(
        &p,
        &req("GET", "/source-ip").source("10.0.0.2".parse().unwrap())
    ));
    assert!(!allows(&p, &req("GET", "/source-ip-notValues")));
    assert!(allows(
        &p,
        &req("GET", "/source-ip-notValues").source("10.0.1.1".parse().unwrap())
    ));
    assert!(allows(
        &p,
        &req("GET", "/source-namespace").identity(&allowed)
    ));
    assert!(!allows(
        &p,
        &req("GET", "/source-namespace").identity(&denied)
    ));
    assert!(allows(
        &p,
        &req("GET", "/source-namespace-notValues").identity(&allowed)
    ));
    assert!(allows(&p, &req("GET", "/source-namespace-notValues")));
    assert!(!allows(
        &p,
        &req("GET", "/source-namespace-notValues").identity(&denied)
    ));
    assert!(allows(
        &p,
        &req("GET", "/source-principal").identity(&allowed)
    ));
    assert!(!allows(
        &p,
        &req("GET", "/source-principal").identity(&denied)
    ));
    assert!(allows(
        &p,
        &req("GET", "/source-principal-notValues").identity(&allowed)
    ));
    assert!(!allows(
        &p,
        &req("GET", "/source-principal-notValues").identity(&denied)
    ));
}

/// authz_test.go TestAuthz_PathTemplating (testdata/authz/path-templating.yaml.tmpl),
/// every case. Istio's default path normalization (BASE) does not merge slashes;
/// Portcullis does unless told not to, so the cases run without merging.
#[test]
fn path_templates() {
    let yaml = resource(
        "  rules:\n  - to:\n    - operation:\n        paths: [\"/allow/admin/{**}\", \"/foo/{*}/bar/{**}\", \"/store/{**}/cart\"]",
    );
    let mut no_merging = Normalization::default();
    no_merging.merge_slashes = false;
    let p = policy(&yaml).with_options(no_merging);
    for (path, expected) in [
        ("/allow/admin/", true),
        ("/allow/admin", false),
        ("/allow/user/", false),
        ("/allow/admin?param=value", false),
        ("/allow", false),
        ("/allow/admin/temp", true),
        ("/allow/admin/temp.txt", true),
        ("/allow/admin/foo/temp.txt", true),
        ("/foo/buzz/bar/bat.txt", true),
        ("/foo/buzz/bar/bat.temp.txt", true),
        ("/foo/buzz/bar/bat/fuzz.txt", true),
        ("/foo/bar/bat.txt", false),
        ("/foo//bar/bat.txt", false),
        ("/foo/buzz/bar/bat", true),
        ("/store//cart", true),
        ("/store/cart", false),
        ("/store/foo/cart", true),
        ("/store/foo/bar/cart", true),
    ] {
        assert_eq!(allows(&p, &req("GET", path)), expected, "{path}");
    }
    // Envoy's template characters leave out `*` and `=` (uri_template_internal.cc).
    assert!(!allows(&p, &req("GET", "/allow/admin/a=b")));
}

/// matcher/string.go `StringMatcher` for paths: exact, prefix, suffix, `*`.
#[test]
fn path_forms() {
    let p = policy(&resource(
        "  rules:\n  - to:\n    - operation: {paths: [\"/exact\", \"/prefix/*\", \"*/suffix\", \"/pre*\"]}",
    ));
    for (path, expected) in [
        ("/exact", true),
        ("/exact/", false),
        ("/exact?q=1", true),
        ("/prefix/", true),
        ("/prefix/a/b", true),
        ("/prefix", true),
        ("/prefixed", true),
        ("/a/b/suffix", true),
        ("/suffix", true),
        ("/a/suffixes", false),
        ("/other", false),
    ] {
        assert_eq!(allows(&p, &req("GET", path)), expected, "{path}");
    }
    let only_dir = policy(&resource(
        "  rules:\n  - to:\n    - operation: {paths: [\"/dir/*\"]}",
    ));
    assert!(!allows(&only_dir, &req("GET", "/dir")));
    assert!(allows(&only_dir, &req("GET", "/dir/")));
    let all = policy(&resource(
        "  rules:\n  - to:\n    - operation: {notPaths: [\"*\"]}",
    ));
    assert!(!allows(&all, &req("GET", "/")));
}

/// generator.go `srcPrincipalGenerator`: prefix and suffix matches cross `/`.
#[test]
fn principal_forms() {
    let p = policy(&resource(
        "  rules:\n  - from:\n    - source: {principals: [\"cluster.local/ns/foo/*\", \"*/sa/admin\"]}",
    ));
    assert!(allows(&p, &req("GET", "/").identity(&id("foo", "x"))));
    assert!(allows(&p, &req("GET", "/").identity(&id("bar", "admin"))));
    assert!(allows(
        &p,
        &req("GET", "/").identity("spiffe://other.td/ns/x/y/sa/admin")
    ));
    assert!(!allows(&p, &req("GET", "/").identity(&id("bar", "x"))));
    let any = policy(&resource(
        "  rules:\n  - from:\n    - source: {principals: [\"*\"]}",
    ));
    assert!(allows(&any, &req("GET", "/").identity(&id("a", "b"))));
    assert!(!allows(&any, &req("GET", "/")));
}

/// generator.go `srcNamespaceGenerator`: `.*/ns/<ns>/.*` over the identity, `*` as
/// `.*` anywhere in the value.
#[test]
fn namespace_forms() {
    let p = policy(&resource(
        "  rules:\n  - from:\n    - source: {namespaces: [\"team-*\", \"*-ops\"]}",
    ));
    assert!(allows(&p, &req("GET", "/").identity(&id("team-a", "x"))));
    assert!(allows(&p, &req("GET", "/").identity(&id("sre-ops", "x"))));
    assert!(!allows(&p, &req("GET", "/").identity(&id("team", "x"))));
    // The regex is over the whole identity: `/ns/<ns>/` anywhere.
    assert!(allows(
        &p,
        &req("GET", "/").identity("spiffe://td/cluster/c1/ns/team-b/sa/x")
    ));
}

/// generator.go `serviceAccountRegex`; testdata/authz/allow-serviceaccount.yaml.tmpl.
#[test]
fn service_accounts() {
    let p = policy(&resource(
        "  rules:\n  - from:\n    - source: {serviceAccounts: [\"other/sleep\", \"local\"]}",
    ));
    assert!(allows(&p, &req("GET", "/").identity(&id("other", "sleep"))));
    assert!(allows(&p, &req("GET", "/").identity(&id("foo", "local"))));
    assert!(allows(
        &p,
        &req("GET", "/").identity("spiffe://td/ns/foo/x/y/sa/local/z")
    ));
    assert!(!allows(
        &p,
        &req("GET", "/").identity(&id("other", "sleepy"))
    ));
    assert!(!allows(&p, &req("GET", "/").identity(&id("bar", "local"))));
}

/// generator.go `srcTrustDomainGenerator`.
#[test]
fn trust_domains() {
    let p = policy(&resource(
        "  rules:\n  - from:\n    - source: {trustDomains: [\"td.example\", \"*-old\"]}",
    ));
    assert!(allows(
        &p,
        &req("GET", "/").identity("spiffe://td.example/ns/a/sa/b")
    ));
    assert!(allows(
        &p,
        &req("GET", "/").identity("spiffe://mesh-old/ns/a/sa/b")
    ));
    assert!(!allows(
        &p,
        &req("GET", "/").identity("spiffe://td.example.com/ns/a/sa/b")
    ));
}

/// trustdomain/bundle.go `ReplaceTrustDomainAliases`; builder testdata
/// simple-policy-td-aliases: `cluster.local/…` stands for the mesh's trust domain.
#[test]
fn cluster_local_stands_for_the_trust_domain() {
    let yaml = resource(
        "  rules:\n  - from:\n    - source: {principals: [\"cluster.local/ns/foo/sa/sleep\", \"other.td/ns/foo/sa/x\"]}",
    );
    let p = policy_with(
        &yaml,
        &portcullis_istio::Options {
            trust_domain: "prod.example".into(),
            ..portcullis_istio::Options::default()
        },
    );
    assert!(allows(
        &p,
        &req("GET", "/").identity("spiffe://prod.example/ns/foo/sa/sleep")
    ));
    assert!(!allows(
        &p,
        &req("GET", "/").identity("spiffe://cluster.local/ns/foo/sa/sleep")
    ));
    assert!(allows(
        &p,
        &req("GET", "/").identity("spiffe://other.td/ns/foo/sa/x")
    ));
}

/// generator.go `requestPrincipalGenerator`: `iss/sub`, split at the last `/`.
#[test]
fn request_principals() {
    let p = policy(&resource(
        "  rules:\n  - from:\n    - source: {requestPrincipals: [\"https://issuer.example/alice\", \"*/bob\", \"https://b.example/*\"]}",
    ));
    fn with(principal: &str) -> portcullis::Request<'_> {
        req("GET", "/").attr("request.auth.principal", principal)
    }
    assert!(allows(&p, &with("https://issuer.example/alice")));
    assert!(allows(&p, &with("https://any.example/bob")));
    assert!(allows(&p, &with("https://b.example/carol")));
    assert!(!allows(&p, &with("https://b.example/x/carol")));
    assert!(!allows(&p, &with("https://issuer.example/alice2")));
    assert!(!allows(&p, &req("GET", "/")));
    let any = policy(&resource(
        "  rules:\n  - from:\n    - source: {notRequestPrincipals: [\"*\"]}",
    ));
    assert!(allows(&any, &req("GET", "/")));
    assert!(!allows(&any, &with("iss/sub")));
}

/// generator.go `requestClaimGenerator`, `requestAudiencesGenerator`: claims by
/// Istio's key, nested names, prefix and `*` (a non-empty value).
#[test]
fn claims() {
    let p = policy(&resource(
        r#"  rules:
  - when:
    - {key: "request.auth.claims[groups]", values: ["eng-*"]}
    - {key: "request.auth.claims[a][b]", notValues: ["x"]}
    - {key: request.auth.audiences, values: ["*"]}"#,
    ));
    let base = || {
        req("GET", "/")
            .attr("request.auth.claims[groups]", "eng-core")
            .attr("request.auth.audiences", "api")
    };
    assert!(allows(&p, &base()));
    assert!(!allows(&p, &base().attr("request.auth.claims[a][b]", "x")));
    assert!(allows(&p, &base().attr("request.auth.claims[a][b]", "y")));
    assert!(!allows(
        &p,
        &req("GET", "/")
            .attr("request.auth.claims[groups]", "eng-core")
            .attr("request.auth.audiences", "")
    ));
    assert!(!allows(
        &p,
        &req("GET", "/")
            .attr("request.auth.claims[groups]", "ops")
            .attr("request.auth.audiences", "api")
    ));
}

/// `methods: ["*"]` matches every request; `notMethods: ["*"]` none.
#[test]
fn methods() {
    let p = policy(&resource(
        "  rules:\n  - to:\n    - operation: {methods: [GET, HEAD]}\n  - to:\n    - operation: {methods: [\"*\"], paths: [/any]}\n  - to:\n    - operation: {notMethods: [\"*\"], paths: [/none]}",
    ));
    assert!(allows(&p, &req("HEAD", "/x")));
    assert!(!allows(&p, &req("POST", "/x")));
    assert!(allows(&p, &req("POST", "/any")));
    assert!(!allows(&p, &req("POST", "/none")));
}

/// builder/builder.go: an AUDIT rule never decides.
#[test]
fn audit_rules_never_decide() {
    let p = policy(&resource(
        "  action: AUDIT\n  rules:\n  - to:\n    - operation: {paths: [\"/user/profile/*\"], methods: [GET]}",
    ));
    let d = p.evaluate(&req("GET", "/user/profile/x"));
    assert!(d.is_allowed());
    assert_eq!(d.audit().collect::<Vec<_>>(), ["foo/p[0]"]);
    assert_eq!(p.evaluate(&req("GET", "/")).audit().count(), 0);
}

/// pilot/pkg/model/authorization.go `ListAuthorizationPolicies` and
/// policyattachment.go `isSelected`: the workload's namespace and the root namespace,
/// and a selector's labels among the workload's.
#[test]
fn scoping_by_namespace_root_and_selector() {
    let doc = |ns: &str, name: &str, selector: &str| {
        format!(
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{selector}  action: DENY\n  rules:\n  - to:\n    - operation: {{paths: [\"/{name}\"]}}\n---\n"
        )
    };
    let yaml = [
        doc("foo", "ns-wide", ""),
        doc(
            "foo",
            "for-httpbin",
            "  selector: {matchLabels: {app: httpbin}}\n",
        ),
        doc(
            "foo",
            "for-v2",
            "  selector: {matchLabels: {app: httpbin, version: v2}}\n",
        ),
        doc("bar", "other-ns", ""),
        doc("istio-system", "mesh-wide", ""),
        doc(
            "istio-system",
            "mesh-httpbin",
            "  selector: {matchLabels: {app: httpbin}}\n",
        ),
    ]
    .concat();
    let p = policy_for(&yaml, "foo", &[("app", "httpbin"), ("version", "v1")]);
    let denied = |path: &str| !allows(&p, &req("GET", path));
    assert!(denied("/ns-wide"));
    assert!(denied("/for-httpbin"));
    assert!(!denied("/for-v2"));
    assert!(!denied("/other-ns"));
    assert!(denied("/mesh-wide"));
    assert!(denied("/mesh-httpbin"));
    // Without a workload, everything is taken.
    let all = policy(&yaml);
    assert!(!allows(&all, &req("GET", "/for-v2")));
    assert!(!allows(&all, &req("GET", "/other-ns")));
}

/// builder.go `isDryRun`: a dry run is evaluated, never enforced, so it neither
/// decides nor makes the default deny.
#[test]
fn dry_run_policies_are_left_out() {
    let yaml = resource("  rules:\n  - to:\n    - operation: {paths: [/only]}").replace(
        "namespace: foo",
        "namespace: foo\n  annotations: {\"istio.io/dry-run\": \"true\"}",
    );
    let imported = imported_with(&yaml, &portcullis_istio::Options::default());
    assert!(imported.notes().iter().any(|n| n.contains("dry run")));
    let p = portcullis::Policy::compile(imported.text()).unwrap();
    assert!(allows(&p, &req("GET", "/anything")));
}

#[test]
fn json_and_kubectl_lists() {
    let json = r#"{"apiVersion": "security.istio.io/v1beta1", "kind": "AuthorizationPolicy",
      "metadata": {"name": "p", "namespace": "foo"},
      "spec": {"action": "DENY", "rules": [{"to": [{"operation": {"methods": ["DELETE"]}}]}]}}"#;
    let p = policy(json);
    assert!(!allows(&p, &req("DELETE", "/")));
    assert!(allows(&p, &req("GET", "/")));
    let list = r#"
apiVersion: v1
kind: List
items:
- apiVersion: security.istio.io/v1
  kind: AuthorizationPolicy
  metadata: {name: a, namespace: foo, uid: 1234, resourceVersion: "5", creationTimestamp: "2024-01-01T00:00:00Z"}
  spec: {rules: [{to: [{operation: {paths: [/a]}}]}]}
  status: {validationMessages: []}
- apiVersion: security.istio.io/v1
  kind: AuthorizationPolicy
  metadata: {name: b, namespace: foo}
  spec: {rules: [{to: [{operation: {paths: [/b]}}]}]}
"#;
    let p = policy(list);
    assert!(allows(&p, &req("GET", "/a")));
    assert!(allows(&p, &req("GET", "/b")));
    assert!(!allows(&p, &req("GET", "/c")));
}

#[test]
fn a_resource_without_namespace_is_in_the_workloads() {
    let yaml = resource("  rules:\n  - from:\n    - source: {serviceAccounts: [sleep]}")
        .replace("  namespace: foo\n", "");
    let p = policy_for(&yaml, "bar", &[]);
    assert!(allows(&p, &req("GET", "/").identity(&id("bar", "sleep"))));
    assert!(!allows(&p, &req("GET", "/").identity(&id("foo", "sleep"))));
}
