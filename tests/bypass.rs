//! The bypass corpus: documented authorization-bypass techniques against path-,
//! method-, host-, header-, address- and identity-based policies, each run against a
//! deny-list and an allow-list policy. The data is `tests/bypass/vectors.tsv`; the
//! columns are described in `tests/bypass/README.md`.
//!
//! Run with `cargo test --test bypass -- --nocapture` to see every failing row.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::IpAddr;

use portcullis::normalize::{Backslash, EscapedSlashes, InvalidRequest, Options, Semicolon};
use portcullis::{Decision, Policy, Reason, Request};

/// `default allow`, with deny rules protecting each target. The way a deny-list has to
/// be written to be safe is part of what the corpus checks (see README.md).
const DENY_LIST: &str = r#"
default allow

deny "admin path" { path "/admin/**" }
deny "secret path" { path ~ "/secret/.*" }
deny "writes" { method DELETE, PUT, PATCH }
deny "method override" { header "x-http-method-override" present }
deny "method override (x-method-override)" { header "x-method-override" present }
deny "method override (x-http-method)" { header "x-http-method" present }
deny "internal host" { host "admin.example.com" }
deny "loopback host" { host "127.0.0.1" }
deny "from 10/8" { source 10.0.0.0/8 }
deny "admin identities" { identity "spiffe://prod.example.com/ns/admin/**" }
deny "prod env" { header "x-env" == "prod" }
deny "admin role" { header "x-role" ~ "(.*,)?[ \t]*admin[ \t]*(,.*)?" }
deny "javascript" { header "content-type" == "application/javascript" }
"#;

/// Rules in [`DENY_LIST`].
const DENY_LIST_RULES: usize = 13;

/// `default deny`, with one allow rule for the public surface.
const ALLOW_LIST: &str = r#"
default deny

allow "public" {
  path "/public/**"
  method GET, HEAD, POST
  host "www.example.com"
  source 192.0.2.0/24, 2001:db8::/32
  identity "spiffe://prod.example.com/ns/web/sa/*"
  not header "x-http-method-override" present
  not header "x-method-override" present
  not header "x-http-method" present
  not header "x-env" == "prod"
  not header "x-role" ~ "(.*,)?[ \t]*admin[ \t]*(,.*)?"
  not header "content-type" == "application/javascript"
}
"#;

/// Defaults for a `-` cell: a benign request that both policies allow.
const DEFAULT_METHOD: &str = "GET";
const DEFAULT_PATH: &str = "/public/index.html";
const DEFAULT_HOST: &str = "www.example.com";
const DEFAULT_IDENTITY: &str = "spiffe://prod.example.com/ns/web/sa/frontend";
const DEFAULT_SOURCE: &str = "192.0.2.10";

const CORPUS: &str = include_str!("bypass/vectors.tsv");

/// The kinds of row, in the order the summary line counts them (see README.md).
const KINDS: [&str; 5] = ["vector", "hardened", "limitation", "control", "option"];

/// One line of the corpus, cells already unescaped.
#[derive(Debug)]
struct Row {
    line: usize,
    id: String,
    kind: String,
    category: String,
    options: String,
    method: String,
    path: String,
    host: Option<String>,
    identity: Option<String>,
    source: String,
    headers: Vec<(String, Vec<u8>)>,
    deny_list: String,
    allow_list: String,
    citation: String,
}

/// Undoes the escapes a TSV cell may carry: `\\`, `\t`, `\r`, `\n`, `\0`, `\u{H..H}`.
fn unescape(cell: &str) -> String {
    let mut out = String::new();
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some('0') => out.push('\0'),
            Some('u') => {
                assert_eq!(chars.next(), Some('{'), "bad \\u escape in {cell:?}");
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let code = u32::from_str_radix(&hex, 16).expect("hex in \\u{}");
                out.push(char::from_u32(code).expect("scalar value in \\u{}"));
            }
            other => panic!("unknown escape \\{other:?} in {cell:?}"),
        }
    }
    out
}

fn cell(value: &str, default: &str) -> String {
    if value == "-" {
        default.to_string()
    } else {
        unescape(value)
    }
}

/// `-` is the default, `~` is "absent".
fn optional(value: &str, default: &str) -> Option<String> {
    match value {
        "~" => None,
        "-" => Some(default.to_string()),
        v => Some(unescape(v)),
    }
}

fn parse_headers(value: &str) -> Vec<(String, Vec<u8>)> {
    if value == "-" {
        return Vec::new();
    }
    value
        .split('|')
        .map(|field| {
            let (name, value) = field.split_once(": ").expect("header as `name: value`");
            (name.to_string(), unescape(value).into_bytes())
        })
        .collect()
}

fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    let mut lines = CORPUS
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#'));
    let (_, header) = lines.next().expect("header line");
    assert_eq!(
        header,
        "id\tkind\tcategory\toptions\tmethod\tpath\thost\tidentity\tsource\theaders\tdeny_list\tallow_list\tcitation"
    );
    for (index, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let c: Vec<&str> = line.split('\t').collect();
        assert_eq!(c.len(), 13, "line {}: {} cells", index + 1, c.len());
        rows.push(Row {
            line: index + 1,
            id: c[0].to_string(),
            kind: c[1].to_string(),
            category: c[2].to_string(),
            options: c[3].to_string(),
            method: cell(c[4], DEFAULT_METHOD),
            path: cell(c[5], DEFAULT_PATH),
            host: optional(c[6], DEFAULT_HOST),
            identity: optional(c[7], DEFAULT_IDENTITY),
            source: cell(c[8], DEFAULT_SOURCE),
            headers: parse_headers(c[9]),
            deny_list: c[10].to_string(),
            allow_list: c[11].to_string(),
            citation: c[12].to_string(),
        });
    }
    rows
}

/// `default`, or a comma-separated list of `field=value` settings.
fn options(spec: &str) -> Options {
    let mut options = Options::default();
    if spec == "default" {
        return options;
    }
    for setting in spec.split(',') {
        match setting {
            "semicolon=strip" => options.semicolon = Semicolon::Strip,
            "semicolon=keep" => options.semicolon = Semicolon::Keep,
            "escaped_slashes=decode" => options.escaped_slashes = EscapedSlashes::Decode,
            "escaped_slashes=keep" => options.escaped_slashes = EscapedSlashes::Keep,
            "backslash=slash" => options.backslash = Backslash::Slash,
            "merge_slashes=false" => options.merge_slashes = false,
            "strict_escapes" => options.strict_escapes = true,
            "underscores_in_headers" => options.underscores_in_headers = true,
            other => panic!("unknown option {other:?}"),
        }
    }
    options
}

/// What happened to a row under one policy.
enum Outcome {
    /// The library decided.
    Decided {
        allowed: bool,
        error: Option<InvalidRequest>,
        text: String,
    },
    /// The request never reaches the library: `std::net::IpAddr` cannot hold the
    /// source (leading-zero octets), so a proxy cannot even build the request.
    Stopped(String),
}

impl Outcome {
    fn allowed(&self) -> bool {
        match self {
            Outcome::Decided { allowed, .. } => *allowed,
            Outcome::Stopped(_) => false,
        }
    }

    /// Why the library found the request invalid, if it did.
    fn error(&self) -> Option<InvalidRequest> {
        match self {
            Outcome::Decided { error, .. } => *error,
            Outcome::Stopped(_) => None,
        }
    }

    fn text(&self) -> &str {
        match self {
            Outcome::Decided { text, .. } | Outcome::Stopped(text) => text,
        }
    }
}

fn describe(decision: &Decision<'_>) -> String {
    let effect = if decision.is_allowed() {
        "allow"
    } else {
        "deny"
    };
    let mut text = format!("{effect} ({}", decision.reason());
    if let Some(rule) = decision.rule() {
        let _ = write!(text, " {rule:?}");
    }
    if let Some(error) = decision.error() {
        let _ = write!(text, ": {error}");
    }
    text.push(')');
    text
}

fn evaluate(policy: &Policy, row: &Row) -> Outcome {
    let source: IpAddr = match row.source.parse() {
        Ok(source) => source,
        Err(_) => {
            return Outcome::Stopped(format!(
                "deny (stopped before the library: std::net::IpAddr rejects {:?})",
                row.source
            ));
        }
    };
    let mut request = Request::new(&row.method, &row.path).source(source);
    if let Some(host) = &row.host {
        request = request.host(host);
    }
    if let Some(identity) = &row.identity {
        request = request.identity(identity);
    }
    for (name, value) in &row.headers {
        request = request.header(name, value);
    }
    let decision = policy.evaluate(&request);
    Outcome::Decided {
        allowed: decision.is_allowed(),
        error: decision.error(),
        text: describe(&decision),
    }
}

fn policies() -> (Policy, Policy) {
    let deny_list = Policy::compile(DENY_LIST).expect("deny-list compiles");
    let allow_list = Policy::compile(ALLOW_LIST).expect("allow-list compiles");
    assert_eq!(
        (deny_list.rule_count(), allow_list.rule_count()),
        (DENY_LIST_RULES, 1),
        "the corpus policies did not compile to their rules (is the parser merged?)"
    );
    (deny_list, allow_list)
}

#[test]
fn corpus_is_well_formed() {
    let rows = rows();
    let mut ids = BTreeSet::new();
    for row in &rows {
        assert!(ids.insert(row.id.as_str()), "duplicate id {}", row.id);
        assert!(
            KINDS.contains(&row.kind.as_str()),
            "line {}: kind {:?}",
            row.line,
            row.kind
        );
        for expected in [&row.deny_list, &row.allow_list] {
            assert!(["allow", "deny"].contains(&expected.as_str()));
        }
        let expected = (row.deny_list.as_str(), row.allow_list.as_str());
        match row.kind.as_str() {
            "vector" => {
                assert_eq!(expected, ("deny", "deny"), "{}: vectors are denied", row.id);
                assert_eq!(
                    row.options, "default",
                    "{}: vectors use the default options",
                    row.id
                );
            }
            "hardened" => {
                assert_eq!(
                    expected,
                    ("deny", "deny"),
                    "{}: hardened rows are denied",
                    row.id
                );
                assert_eq!(
                    row.options, "strict_escapes",
                    "{}: hardened rows use strict_escapes alone",
                    row.id
                );
            }
            "limitation" => {
                assert_eq!(
                    expected,
                    ("allow", "allow"),
                    "{}: a limitation documents what gets through",
                    row.id
                );
                assert_eq!(row.options, "default", "{}: default options", row.id);
            }
            _ => {}
        }
        assert!(!row.citation.is_empty(), "{}: no citation", row.id);
        let _ = options(&row.options);
    }
    let vectors: Vec<&Row> = rows.iter().filter(|r| r.kind == "vector").collect();
    assert!(vectors.len() >= 60, "only {} vectors", vectors.len());
    let vectors: Vec<&Row> = rows
        .iter()
        .filter(|r| r.kind == "vector" || r.kind == "hardened")
        .collect();
    // Every category of vectors has a control, and the controls include requests that
    // must be allowed, so that a policy denying everything cannot pass.
    for category in vectors.iter().map(|r| r.category.as_str()) {
        assert!(
            rows.iter()
                .any(|r| r.kind == "control" && r.category == category),
            "no control for category {category}"
        );
    }
    let columns: [fn(&Row) -> &str; 2] = [|r| &r.deny_list, |r| &r.allow_list];
    for column in columns {
        assert!(
            rows.iter()
                .any(|r| r.kind == "control" && column(r) == "allow")
        );
    }
}

#[test]
fn every_vector_is_denied_and_every_control_keeps_its_decision() {
    let (deny_list, allow_list) = policies();
    let rows = rows();
    let mut failures = Vec::new();
    let mut counts = [0; KINDS.len()];
    for row in &rows {
        if let Some(i) = KINDS.iter().position(|k| *k == row.kind) {
            counts[i] += 1;
        }
        let options = options(&row.options);
        for (name, policy, expected) in [
            ("deny-list", &deny_list, &row.deny_list),
            ("allow-list", &allow_list, &row.allow_list),
        ] {
            let policy = policy.clone().with_options(options);
            let outcome = evaluate(&policy, row);
            // The columns every failure line starts with.
            let label = format!(
                "{:<32} {:<8} {:<16} {:<10}",
                row.id, row.kind, row.category, name
            );
            let expected_allowed = expected == "allow";
            if outcome.allowed() != expected_allowed {
                failures.push(format!(
                    "{label} expected {:<5} got {}  [{} {:?} line {}]",
                    expected,
                    outcome.text(),
                    row.method,
                    row.path,
                    row.line,
                ));
            }
            if row.kind == "hardened" {
                // Denied because of `strict_escapes`, and not invalid without it: the
                // language keeps these escapes as text (normalization step 3).
                if outcome.error() != Some(InvalidRequest::AmbiguousEscape) {
                    failures.push(format!(
                        "{label} expected invalid (strict escapes) got {}  [line {}]",
                        outcome.text(),
                        row.line,
                    ));
                }
                let plain = policy.clone().with_options(Options::default());
                let outcome = evaluate(&plain, row);
                if outcome.error().is_some() {
                    failures.push(format!(
                        "{label} expected valid under the default options got {}  [line {}]",
                        outcome.text(),
                        row.line,
                    ));
                }
            }
        }
    }
    println!(
        "bypass corpus: {} vectors, {} hardened, {} limitations, {} controls, {} option rows, {} failing checks",
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        counts[4],
        failures.len()
    );
    for failure in &failures {
        println!("FAIL {failure}");
    }
    assert!(
        failures.is_empty(),
        "{} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Leading-zero octets (`010.1.2.3`, read as octal by some parsers: CVE-2021-29921,
/// CVE-2021-29923) cannot reach the library as a source, because `IpAddr` cannot hold
/// them; in a policy they are a compile error (`docs/language.md`, *Errors*).
#[test]
fn leading_zero_octets_are_stopped_on_both_sides() {
    for text in ["010.1.2.3", "0177.0.0.1", "10.01.2.3"] {
        assert!(text.parse::<IpAddr>().is_err(), "{text} parsed");
    }
    for source in [
        "deny \"x\" { source 010.0.0.1 }",
        "deny \"x\" { source 010.0.0.0/8 }",
        "deny \"x\" { source 10.001.0.0/16 }",
        "let nets = [010.0.0.0/8]\ndeny \"x\" { source in nets }",
    ] {
        assert!(Policy::compile(source).is_err(), "{source:?} compiled");
    }
    assert!(Policy::compile("deny \"x\" { source 10.0.0.0/8 }").is_ok());
}

/// A method-override header is not a method: `method` rules see the request line only.
/// The policy author must write a header rule; with one, the override is denied.
#[test]
fn method_override_needs_a_header_rule() {
    let override_post =
        Request::new("POST", "/public/x").header("X-HTTP-Method-Override", b"DELETE");
    let naive = Policy::compile("default allow\ndeny \"writes\" { method DELETE, PUT, PATCH }")
        .expect("compiles");
    assert_eq!(naive.rule_count(), 1);
    assert!(
        naive.evaluate(&override_post).is_allowed(),
        "method rules do not read override headers"
    );
    let guarded = Policy::compile(
        "default allow\n\
         deny \"writes\" { method DELETE, PUT, PATCH }\n\
         deny \"override\" { header \"x-http-method-override\" present }",
    )
    .expect("compiles");
    let decision = guarded.evaluate(&override_post);
    assert!(!decision.is_allowed());
    assert_eq!(decision.rule(), Some("override"));
    assert!(
        guarded
            .evaluate(&Request::new("POST", "/public/x"))
            .is_allowed()
    );
}

/// In an identity glob `*` stops at `/`: an allow-list written with `*` is not widened
/// by extra segments, but a deny-list written with `*` does not cover them either.
/// Deny-lists must use `**`.
#[test]
fn deny_list_identity_globs_need_double_star() {
    let extra = Request::new("GET", "/").identity("spiffe://prod.example.com/ns/admin/sa/x/extra");
    let single = Policy::compile(
        "default allow\ndeny \"admin\" { identity \"spiffe://prod.example.com/ns/admin/sa/*\" }",
    )
    .expect("compiles");
    assert_eq!(single.rule_count(), 1);
    assert!(
        single.evaluate(&extra).is_allowed(),
        "`*` is one segment; this documents the pitfall"
    );
    let double = Policy::compile(
        "default allow\ndeny \"admin\" { identity \"spiffe://prod.example.com/ns/admin/**\" }",
    )
    .expect("compiles");
    assert!(!double.evaluate(&extra).is_allowed());
}

/// Language 1.1: a deny rule whose identity pattern no valid identity can match would
/// never deny, and a `default allow` policy would let through what it meant to stop
/// (`Staging.example.com`, upper case, is no valid trust domain; request identities
/// with it are invalid). Such a pattern is a compile error; the lower-case one denies.
#[test]
fn dead_identity_patterns_in_deny_rules_do_not_compile() {
    for pattern in [
        "spiffe://Staging.example.com/**",
        "SPIFFE://staging.example.com/**",
        "spiffe://staging.example.com//**",
        "spiffe:/staging.example.com/**",
    ] {
        let text = format!("default allow\ndeny \"block staging\" {{ identity \"{pattern}\" }}");
        let err = Policy::compile(&text).expect_err(pattern);
        assert!(
            err.to_string().contains("can never match a valid identity"),
            "{err}"
        );
    }
    let policy = Policy::compile(
        "default allow\ndeny \"block staging\" { identity \"spiffe://staging.example.com/**\" }",
    )
    .expect("compiles");
    let staging = Request::new("GET", "/").identity("spiffe://staging.example.com/ns/a/sa/b");
    assert_eq!(policy.evaluate(&staging).rule(), Some("block staging"));
    let upper = Request::new("GET", "/").identity("spiffe://Staging.example.com/ns/a/sa/b");
    assert_eq!(policy.evaluate(&upper).reason(), Reason::InvalidRequest);
}

/// A header test matches when any one value matches. An allow-list that requires
/// `x-env == "staging"` is satisfied by a request that also carries `x-env: prod`; the
/// author must also write `not header "x-env" == "prod"`.
#[test]
fn allow_list_header_equality_matches_any_value() {
    let both = Request::new("GET", "/")
        .header("x-env", b"staging")
        .header("x-env", b"prod");
    let naive =
        Policy::compile("allow \"staging\" { header \"x-env\" == \"staging\" }").expect("compiles");
    assert_eq!(naive.rule_count(), 1);
    assert!(naive.evaluate(&both).is_allowed(), "any value matches");
    let guarded = Policy::compile(
        "allow \"staging\" { header \"x-env\" == \"staging\"\n not header \"x-env\" == \"prod\" }",
    )
    .expect("compiles");
    assert!(!guarded.evaluate(&both).is_allowed());
    assert!(
        guarded
            .evaluate(&Request::new("GET", "/").header("x-env", b"staging"))
            .is_allowed()
    );
}
