//! What rules mean and how a decision is made (`docs/language.md`, *Rules*, *Subjects*,
//! *How a decision is made*), through the public API, one case a line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use portcullis::{Policy, Reason, Request};

/// Asserts one decision. `want` is `"allow NAME"`, `"deny NAME"`, `"allow default"`,
/// `"deny default"` or `"deny invalid_request"`; `audits` the audit list in order.
#[track_caller]
fn case(policy: &Policy, request: Request<'_>, want: &str, audits: &[&str]) {
    let d = policy.evaluate(&request);
    let (effect, by) = want.split_once(' ').expect("`effect by`");
    let got_effect = if d.is_allowed() { "allow" } else { "deny" };
    let got_by = match d.reason() {
        Reason::Rule => d.rule().expect("a rule when the reason is `rule`"),
        Reason::Default => "default",
        Reason::InvalidRequest => "invalid_request",
    };
    assert_eq!(
        (got_effect, got_by),
        (effect, by),
        "decision for {request:?}: {d:?}"
    );
    if d.reason() != Reason::Rule {
        assert_eq!(d.rule(), None, "no rule unless the reason is `rule`");
    }
    assert_eq!(
        d.audit().collect::<Vec<_>>(),
        audits,
        "audits for {request:?}"
    );
}

fn compile(text: &str) -> Policy {
    Policy::compile(text).unwrap_or_else(|e| panic!("{e}\n--- policy ---\n{text}"))
}

fn get(path: &str) -> Request<'_> {
    Request::new("GET", path)
}

#[test]
fn first_deny_wins_over_every_allow() {
    let p = compile(
        r#"
        allow "a1" { path "/a/**" }
        deny "d1" { method POST }
        allow "a2" {}
        deny "d2" { path "/a/**" }
        deny "d3" {}
        "#,
    );
    case(&p, get("/a/x"), "deny d2", &[]);
    case(&p, Request::new("POST", "/a/x"), "deny d1", &[]);
    case(&p, get("/b"), "deny d3", &[]);
}

#[test]
fn first_allow_in_source_order() {
    let p = compile(
        r#"
        allow "specific" { path "/a/b" }
        allow "subtree" { path "/a/**" }
        allow "anything" {}
        deny "posts" { method POST }
        "#,
    );
    case(&p, get("/a/b"), "allow specific", &[]);
    case(&p, get("/a/c"), "allow subtree", &[]);
    case(&p, get("/z"), "allow anything", &[]);
    case(&p, Request::new("POST", "/a/b"), "deny posts", &[]);
}

#[test]
fn audits_are_listed_in_source_order_and_never_change_the_effect() {
    let p = compile(
        r#"
        audit "z first" { method GET }
        deny "no b" { path "/b" }
        audit "a second" {}
        audit "never" { method DELETE }
        audit "c third" { path "/b", "/c" }
        "#,
    );
    case(
        &p,
        get("/b"),
        "deny no b",
        &["z first", "a second", "c third"],
    );
    case(
        &p,
        get("/c"),
        "deny default",
        &["z first", "a second", "c third"],
    );
    case(&p, Request::new("PUT", "/x"), "deny default", &["a second"]);
    let allow = compile("default allow\naudit \"deny-looking\" { method GET }");
    case(&allow, get("/"), "allow default", &["deny-looking"]);
}

#[test]
fn not_on_a_missing_attribute_is_true() {
    let p = compile(
        r#"
        allow "no identity" { not identity "spiffe://p/ns/a/sa/b" }
        "#,
    );
    case(&p, get("/"), "allow no identity", &[]);
    case(
        &p,
        get("/").identity("spiffe://p/ns/a/sa/c"),
        "allow no identity",
        &[],
    );
    case(
        &p,
        get("/").identity("spiffe://p/ns/a/sa/b"),
        "deny default",
        &[],
    );
    for (text, req, want) in [
        ("allow \"r\" { not host \"a.svc\" }", get("/"), "allow r"),
        ("allow \"r\" { not port 80 }", get("/"), "allow r"),
        ("allow \"r\" { not source 10.0.0.0/8 }", get("/"), "allow r"),
        (
            "allow \"r\" { not header \"x-env\" == \"prod\" }",
            get("/"),
            "allow r",
        ),
        (
            "allow \"r\" { not attr \"tenant\" in [\"acme\"] }",
            get("/"),
            "allow r",
        ),
        (
            "allow \"r\" { not attr \"tenant\" ~ \".*\" }",
            get("/"),
            "allow r",
        ),
        ("allow \"r\" { not identity present }", get("/"), "allow r"),
        (
            "allow \"r\" { identity ~ \".*\" }",
            get("/"),
            "deny default",
        ),
        ("allow \"r\" { host \"*\" }", get("/"), "deny default"),
        ("allow \"r\" { port 0..65535 }", get("/"), "deny default"),
        (
            "allow \"r\" { source 0.0.0.0/0, ::/0 }",
            get("/"),
            "deny default",
        ),
        ("allow \"r\" { source present }", get("/"), "deny default"),
    ] {
        case(&compile(text), req, want, &[]);
    }
}

#[test]
fn an_empty_rule_matches_every_valid_request() {
    let p = compile("allow \"all\" {}\naudit \"seen\" {}");
    case(&p, get("/"), "allow all", &["seen"]);
    case(
        &p,
        Request::new("M-SEARCH", "/x/y?z")
            .host("Any.Host:1")
            .port(1)
            .source("::1".parse().unwrap()),
        "allow all",
        &["seen"],
    );
}

#[test]
fn an_invalid_request_matches_no_rule_not_even_an_audit() {
    let p = compile("default allow\nallow \"all\" {}\naudit \"seen\" {}\ndeny \"d\" {}");
    case(&p, Request::new("get", "/"), "deny invalid_request", &[]);
    case(&p, get("/a%2Fb"), "deny invalid_request", &[]);
    case(&p, get("no-slash"), "deny invalid_request", &[]);
    case(
        &p,
        get("/").header("x-env", b"a\nb"),
        "deny invalid_request",
        &[],
    );
}

#[test]
fn default_allow_and_default_deny() {
    case(&compile("default allow"), get("/"), "allow default", &[]);
    case(&compile("default deny"), get("/"), "deny default", &[]);
    case(&compile(""), get("/"), "deny default", &[]);
    let p = compile("default allow\ndeny \"d\" { method DELETE }");
    case(&p, Request::new("DELETE", "/"), "deny d", &[]);
    case(&p, get("/"), "allow default", &[]);
}

#[test]
fn several_sources_keep_source_order() {
    let p = Policy::compile_sources([
        (
            "one.pcl",
            "let readers = [GET, HEAD]\naudit \"one-audit\" {}\nallow \"one\" { method in readers }",
        ),
        (
            "two.pcl",
            "audit \"two-audit\" {}\nallow \"two\" {}\ndeny \"two-deny\" { path \"/x\" }",
        ),
        ("three.pcl", "deny \"three-deny\" {}"),
    ])
    .unwrap();
    case(&p, get("/"), "deny three-deny", &["one-audit", "two-audit"]);
    case(&p, get("/x"), "deny two-deny", &["one-audit", "two-audit"]);
    let p = Policy::compile_sources([
        ("a.pcl", "allow \"a\" { method GET }"),
        ("b.pcl", "allow \"b\" {}"),
    ])
    .unwrap();
    case(&p, get("/"), "allow a", &[]);
    case(&p, Request::new("PUT", "/"), "allow b", &[]);
}

#[test]
fn the_same_subject_twice_in_one_rule() {
    let p = compile(
        r#"
        allow "subtree but secret" {
          path "/a/**"
          not path "/a/secret", "/a/secret/**"
        }
        allow "two headers" {
          header "x-env" == "prod"
          header "x-env" == "dev"
        }
        "#,
    );
    case(&p, get("/a"), "allow subtree but secret", &[]);
    case(&p, get("/a/public"), "allow subtree but secret", &[]);
    case(&p, get("/a/secret"), "deny default", &[]);
    case(&p, get("/a/secret/x"), "deny default", &[]);
    case(&p, get("/b").header("x-env", b"prod"), "deny default", &[]);
    case(
        &p,
        get("/b").header("x-env", b"prod").header("X-Env", b"dev"),
        "allow two headers",
        &[],
    );
}

#[test]
fn a_header_test_matches_when_any_value_matches() {
    let p = compile(
        r#"
        allow "prod" { header "X-Env" == "prod" }
        deny "not dev" { header "x-debug" present  not header "x-debug" in ["1"] }
        "#,
    );
    case(&p, get("/").header("x-env", b"prod"), "allow prod", &[]);
    case(
        &p,
        get("/").header("X-ENV", b"dev").header("x-env", b"prod"),
        "allow prod",
        &[],
    );
    case(&p, get("/").header("x-env", b"dev"), "deny default", &[]);
    // Values are not split at commas.
    case(
        &p,
        get("/").header("x-env", b"dev,prod"),
        "deny default",
        &[],
    );
    // `not` means that no value matches.
    case(&p, get("/").header("x-debug", b"1"), "deny default", &[]);
    case(
        &p,
        get("/").header("x-debug", b"1").header("x-debug", b"2"),
        "deny default",
        &[],
    );
    case(&p, get("/").header("x-debug", b"2"), "deny not dev", &[]);
    let re = compile("allow \"re\" { header \"x-env\" ~ \"pr.d\" }");
    case(
        &re,
        get("/").header("x-env", b"dev").header("x-env", b"prod"),
        "allow re",
        &[],
    );
    case(
        &re,
        get("/").header("x-env", b"production"),
        "deny default",
        &[],
    );
}

#[test]
fn an_attribute_test_matches_when_any_value_matches() {
    let p = compile(
        r#"
        allow "eng" { attr "groups" == "eng" }
        deny "not ops" { attr "team" present  not attr "team" in ["ops"] }
        allow "both" { attr "scope" == "read"  attr "scope" == "write" }
        audit "has groups" { attr "groups" present }
        audit "admin-ish" { attr "groups" ~ "adm.*" }
        "#,
    );
    let groups = |values: &[&'static str]| {
        values
            .iter()
            .copied()
            .fold(get("/"), |r, v| r.attr("groups", v))
    };
    case(&p, groups(&["eng"]), "allow eng", &["has groups"]);
    case(&p, groups(&["ops", "eng"]), "allow eng", &["has groups"]);
    case(
        &p,
        groups(&["ops", "admins"]),
        "deny default",
        &["has groups", "admin-ish"],
    );
    // Values are never split.
    case(&p, groups(&["ops,eng"]), "deny default", &["has groups"]);
    // A repeated value is the same value.
    case(&p, groups(&["eng", "eng"]), "allow eng", &["has groups"]);
    // `not` means that no value matches.
    case(&p, get("/").attr("team", "ops"), "deny default", &[]);
    case(
        &p,
        get("/").attr("team", "ops").attr("team", "web"),
        "deny default",
        &[],
    );
    case(&p, get("/").attr("team", "web"), "deny not ops", &[]);
    // Two conditions on one key, each met by a different value.
    case(&p, get("/").attr("scope", "read"), "deny default", &[]);
    case(
        &p,
        get("/").attr("scope", "write").attr("scope", "read"),
        "allow both",
        &[],
    );
}

/// Enough rules keyed on one attribute that the tree splits on its values: every
/// value of the request must be looked up, not only the first.
#[test]
fn an_attribute_split_looks_up_every_value() {
    let mut text = String::from("default deny\n");
    for i in 0..40 {
        text.push_str(&format!(
            "allow \"group {i}\" {{ attr \"groups\" == \"g{i}\" }}\n"
        ));
        text.push_str(&format!(
            "deny \"team {i}\" {{ attr \"team\" in [\"t{i}\", \"u{i}\"] }}\n"
        ));
    }
    let p = compile(&text);
    case(&p, get("/").attr("groups", "g7"), "allow group 7", &[]);
    case(
        &p,
        get("/")
            .attr("groups", "x")
            .attr("groups", "g31")
            .attr("groups", "g9"),
        "allow group 9",
        &[],
    );
    case(
        &p,
        get("/")
            .attr("groups", "g3")
            .attr("team", "none")
            .attr("team", "u20"),
        "deny team 20",
        &[],
    );
    case(&p, get("/").attr("groups", "g40"), "deny default", &[]);
}

#[test]
fn present_is_true_even_with_an_empty_value() {
    let p = compile(
        r#"
        audit "debug" { header "x-debug" present }
        audit "tenant" { attr "tenant" present }
        audit "empty tenant" { attr "tenant" == "" }
        "#,
    );
    case(
        &p,
        get("/").header("x-debug", b""),
        "deny default",
        &["debug"],
    );
    case(
        &p,
        get("/").header("X-Debug", b""),
        "deny default",
        &["debug"],
    );
    case(
        &p,
        get("/").attr("tenant", ""),
        "deny default",
        &["tenant", "empty tenant"],
    );
    case(&p, get("/"), "deny default", &[]);
}

#[test]
fn attribute_keys_are_case_sensitive() {
    let p = compile(
        r#"
        allow "acme" { attr "tenant" == "acme" }
        allow "Acme" { attr "Tenant" in ["acme"] }
        "#,
    );
    case(&p, get("/").attr("tenant", "acme"), "allow acme", &[]);
    case(&p, get("/").attr("Tenant", "acme"), "allow Acme", &[]);
    case(&p, get("/").attr("TENANT", "acme"), "deny default", &[]);
    case(&p, get("/").attr("tenant", "ACME"), "deny default", &[]);
    case(
        &p,
        get("/").attr("Tenant", "acme").attr("tenant", "x"),
        "allow Acme",
        &[],
    );
}

#[test]
fn regexes_match_the_whole_value() {
    let p = compile(
        r#"
        allow "id" { identity ~ "spiffe://p/ns/[a-z]+" }
        allow "path" { path ~ "/api/v[0-9]+" }
        allow "host" { host ~ "[a-z]+\\.svc" }
        "#,
    );
    case(&p, get("/").identity("spiffe://p/ns/web"), "allow id", &[]);
    case(
        &p,
        get("/").identity("spiffe://p/ns/web/sa/x"),
        "deny default",
        &[],
    );
    case(&p, get("/api/v2?q=1"), "allow path", &[]);
    case(&p, get("/api/v2/x"), "deny default", &[]);
    case(&p, get("/").host("Pay.SVC.:80"), "allow host", &[]);
    case(&p, get("/").host("a.pay.svc"), "deny default", &[]);
}

#[test]
fn ports_sources_methods_hosts() {
    let p = compile(
        r#"
        allow "ports" { port 80, 8000..8100 }
        allow "office" { source 10.0.0.0/8, 2001:db8::/32 }
        allow "search" { method "M-SEARCH", PROPFIND }
        allow "svc" { host "*.svc" }
        "#,
    );
    case(&p, get("/").port(8100), "allow ports", &[]);
    case(&p, get("/").port(8101), "deny default", &[]);
    case(
        &p,
        get("/").source("::ffff:10.9.8.7".parse().unwrap()),
        "allow office",
        &[],
    );
    case(
        &p,
        get("/").source("2001:db8:1::1".parse().unwrap()),
        "allow office",
        &[],
    );
    case(
        &p,
        get("/").source("11.0.0.1".parse().unwrap()),
        "deny default",
        &[],
    );
    case(&p, Request::new("M-SEARCH", "/"), "allow search", &[]);
    case(&p, Request::new("PROPFIND", "/"), "allow search", &[]);
    case(&p, get("/").host("A.B.Svc:443"), "allow svc", &[]);
    case(&p, get("/").host("svc"), "deny default", &[]);
}

/// `*` and `{name}` are the same one-segment wildcard (*Subjects*, `path`): two rules whose
/// patterns differ only in that spelling are both still rules, and the first matching
/// `deny` decides. Five rules, so that the compiled tree splits on the path.
#[test]
fn star_and_named_segment_in_different_rules_both_match() {
    let p = compile(
        r#"
        deny "block" { path "/admin/*" }
        allow "pages" { path "/admin/{page}" }
        allow "c" { path "/c" }
        allow "d" { path "/d" }
        allow "e" { path "/e" }
        "#,
    );
    case(&p, get("/admin/users"), "deny block", &[]);
    let p = compile(
        r#"
        allow "a" { path "/*" }
        allow "b" { path "/{id}" }
        allow "c" { path "/c" }
        allow "d" { path "/d" }
        allow "e" { path "/e" }
        "#,
    );
    case(&p, get("/x"), "allow a", &[]);
    let p = compile(
        r#"
        audit "tail a" { path "/*/**" }
        audit "tail b" { path "/{id}/**" }
        allow "c" { path "/c" }
        allow "d" { path "/d" }
        allow "e" { path "/e" }
        "#,
    );
    case(&p, get("/x/y"), "deny default", &["tail a", "tail b"]);
}
