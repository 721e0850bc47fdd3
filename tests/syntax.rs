//! The parser and printer against `docs/language.md` (*Lexical rules*, *Grammar*,
//! *Errors*): every construct,
//! every syntax error with its position, recovery, and print/parse round trips.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure is a test failure"
)]

use portcullis::syntax::{
    self, By, Effect, Field, File, InTarget, LetValue, RuleKind, Subject, Test, ValueKind,
};
use proptest::prelude::*;

/// A payments policy that uses every construct of the language.
const SPEC_EXAMPLE: &str = include_str!("data/spec_example.pcl");

/// The tree without spans, for comparing trees: the JSON form plus the extra
/// `default`s (which the JSON form leaves out).
fn shape(file: &File) -> (serde_json::Value, Vec<Effect>) {
    (
        serde_json::to_value(file).unwrap(),
        file.extra_defaults.iter().map(|d| d.effect).collect(),
    )
}

/// `file` with every comment removed.
fn without_comments(mut file: File) -> File {
    use portcullis::syntax::Comments;
    file.end_comments.clear();
    for d in file.default.iter_mut().chain(&mut file.extra_defaults) {
        d.comments = Comments::default();
    }
    let lists = |list: &mut portcullis::syntax::List| {
        list.end_comments.clear();
        for v in &mut list.values {
            v.comments = Comments::default();
        }
    };
    for l in &mut file.lets {
        l.comments = Comments::default();
        if let LetValue::List(list) = &mut l.value {
            lists(list);
        }
    }
    for r in &mut file.rules {
        r.comments = Comments::default();
        r.end_comments.clear();
        for c in &mut r.conditions {
            c.comments = Comments::default();
            if let Test::In(InTarget::List(list)) = &mut c.test {
                lists(list);
            }
        }
    }
    for t in &mut file.tests {
        t.comments = Comments::default();
        t.end_comments.clear();
        for e in &mut t.expectations {
            e.comments = Comments::default();
        }
    }
    file
}

fn parse_ok(text: &str) -> File {
    match syntax::parse(text) {
        Ok(file) => file,
        Err(err) => panic!("{text:?} did not parse:\n{err}"),
    }
}

/// Every error as `(line, column, message)`.
fn errors(text: &str) -> Vec<(u32, u32, String)> {
    match syntax::parse(text) {
        Ok(file) => panic!("{text:?} parsed: {file:?}"),
        Err(err) => err
            .diagnostics()
            .iter()
            .map(|d| (d.line(), d.column(), d.message().to_string()))
            .collect(),
    }
}

fn values(file: &File, rule: usize, condition: usize) -> Vec<ValueKind> {
    match &file.rules[rule].conditions[condition].test {
        Test::Values(values) => values.iter().map(|v| v.kind.clone()).collect(),
        other => panic!("not values: {other:?}"),
    }
}

fn string(s: &str) -> ValueKind {
    ValueKind::String(s.into())
}
fn method(s: &str) -> ValueKind {
    ValueKind::Method { method: s.into() }
}
fn address(s: &str) -> ValueKind {
    ValueKind::Address { address: s.into() }
}
fn name(s: &str) -> ValueKind {
    ValueKind::Name { name: s.into() }
}

#[test]
fn spec_example_parses_fully() {
    let file = parse_ok(SPEC_EXAMPLE);
    assert_eq!(file.default.as_ref().map(|d| d.effect), Some(Effect::Deny));
    assert!(file.extra_defaults.is_empty());
    assert_eq!(file.lets.len(), 2);
    assert_eq!(file.lets[0].name.name, "frontends");
    let LetValue::List(office) = &file.lets[1].value else {
        panic!("office is a list")
    };
    let office: Vec<_> = office.values.iter().map(|v| v.kind.clone()).collect();
    assert_eq!(office, [address("10.0.0.0/8"), address("2001:db8::/32")]);

    let names: Vec<_> = file.rules.iter().map(|r| r.name.value.as_str()).collect();
    assert_eq!(
        names,
        [
            "frontends read orders",
            "ops anywhere from the office",
            "no writes from outside the office",
            "debug header seen",
            "probes"
        ]
    );
    let kinds: Vec<_> = file.rules.iter().map(|r| r.kind).collect();
    use RuleKind::*;
    assert_eq!(kinds, [Allow, Allow, Deny, Audit, Allow]);
    assert!(matches!(
        &file.rules[0].conditions[0].test,
        Test::In(InTarget::Name(n)) if n.name == "frontends"
    ));
    assert_eq!(values(&file, 0, 1), [method("GET"), method("HEAD")]);
    assert_eq!(
        values(&file, 0, 2),
        [string("/api/v1/orders"), string("/api/v1/orders/{id}")]
    );
    assert!(file.rules[2].conditions[1].not);
    assert_eq!(file.rules[2].conditions[1].subject, Subject::Source);
    assert!(
        matches!(&file.rules[3].conditions[0].subject, Subject::Header(h) if h.value == "x-debug")
    );
    assert_eq!(file.rules[3].conditions[0].test, Test::Present);
    assert_eq!(values(&file, 4, 1), [ValueKind::Integer(9090)]);

    let expectations = &file.tests[0].expectations;
    assert_eq!(expectations.len(), 3);
    assert_eq!(expectations[0].effect, Effect::Allow);
    assert_eq!(expectations[0].method.value, "GET");
    assert!(matches!(&expectations[0].by, Some(By::Rule(r)) if r.value == "frontends read orders"));
    assert!(matches!(&expectations[1].fields[1], Field::Source(a) if a.text == "192.0.2.7"));
    assert_eq!(expectations[1].by, None);
    assert_eq!(expectations[2].by, Some(By::Default));
}

#[test]
fn spec_example_spans() {
    let file = parse_ok(SPEC_EXAMPLE);
    let at = |span: portcullis::Span| (span.line, span.column);
    assert_eq!(at(file.default.as_ref().unwrap().span), (2, 1));
    assert_eq!(at(file.lets[1].span), (8, 1));
    let rule = &file.rules[0];
    assert_eq!(at(rule.span), (10, 1));
    assert_eq!(
        &SPEC_EXAMPLE[rule.span.start..rule.span.end].lines().last(),
        &Some("}")
    );
    assert_eq!(at(rule.name.span), (10, 7));
    assert_eq!(
        &SPEC_EXAMPLE[rule.name.span.start..rule.name.span.end],
        "\"frontends read orders\""
    );
    assert_eq!(at(rule.conditions[1].span), (12, 3));
    assert_eq!(
        &SPEC_EXAMPLE[rule.conditions[1].span.start..rule.conditions[1].span.end],
        "method GET, HEAD"
    );
    let not = &file.rules[2].conditions[1];
    assert_eq!(at(not.span), (23, 3));
    assert_eq!(
        &SPEC_EXAMPLE[not.span.start..not.span.end],
        "not source in office"
    );
    let Test::Values(vs) = &rule.conditions[1].test else {
        panic!()
    };
    assert_eq!(at(vs[1].span), (12, 15));
    let e = &file.tests[0].expectations[1];
    assert_eq!(at(e.span), (37, 3));
    assert!(SPEC_EXAMPLE[e.span.start..e.span.end].ends_with("source 192.0.2.7"));
    // Columns count characters: the comment's em dash is one column.
    let file = parse_ok("# — é\n  allow \"é\" { path \"/é\" }");
    assert_eq!(at(file.rules[0].conditions[0].span), (2, 15));
}

#[test]
fn every_construct() {
    let file = parse_ok(
        r#"
        default allow
        let one = "a"
        let port_list = [80, 8000..8100,]
        let empty = []
        let m = M-SEARCH
        let n = other
        allow "all" {}
        deny "r" {
          identity "a", b, "c"
          method GET, "M-SEARCH", PROPFIND
          path ~ "/v[0-9]+/.*"
          host in ["a.example", "*.b.example"]
          port 443, 8000..8100, ports
          source fd00::/8, dead:beef::1, FD00::1, 10.1.2.3, ::1
          not header "x-env" == "prod"
          header "x-a" in names
          header "x-b" ~ "v.*"
          attr "tenant" in ["acme", "globex"]
          attr "k" present
          method present
          path in []
        }
        test "t" {
          allow "M-SEARCH" "/x" host "h" port 8443 header "x-env" = "prod" attr "t" = "acme"
          deny POST "/y" by default
        }
        test "empty" {}
        "#,
    );
    assert_eq!(file.default.as_ref().map(|d| d.effect), Some(Effect::Allow));
    let single = |i: usize| match &file.lets[i].value {
        LetValue::Single(v) => v.kind.clone(),
        LetValue::List(l) => panic!("{l:?}"),
    };
    assert_eq!(single(0), string("a"));
    assert_eq!(single(3), method("M-SEARCH"));
    assert_eq!(single(4), name("other"));
    let LetValue::List(ports) = &file.lets[1].value else {
        panic!()
    };
    assert_eq!(
        ports
            .values
            .iter()
            .map(|v| v.kind.clone())
            .collect::<Vec<_>>(),
        [
            ValueKind::Integer(80),
            ValueKind::Range {
                range: (8000, 8100)
            }
        ]
    );
    assert!(matches!(&file.lets[2].value, LetValue::List(l) if l.values.is_empty()));
    assert!(file.rules[0].conditions.is_empty());
    let r = 1;
    assert_eq!(values(&file, r, 0), [string("a"), name("b"), string("c")]);
    assert_eq!(
        values(&file, r, 1),
        [method("GET"), string("M-SEARCH"), method("PROPFIND")]
    );
    assert!(
        matches!(&file.rules[r].conditions[2].test, Test::Regex(s) if s.value == "/v[0-9]+/.*")
    );
    assert!(
        matches!(&file.rules[r].conditions[3].test, Test::In(InTarget::List(l)) if l.values.len() == 2)
    );
    assert_eq!(
        values(&file, r, 4),
        [
            ValueKind::Integer(443),
            ValueKind::Range {
                range: (8000, 8100)
            },
            name("ports")
        ]
    );
    assert_eq!(
        values(&file, r, 5),
        [
            address("fd00::/8"),
            address("dead:beef::1"),
            address("FD00::1"),
            address("10.1.2.3"),
            address("::1")
        ]
    );
    let c = &file.rules[r].conditions[6];
    assert!(c.not);
    assert!(matches!(&c.test, Test::Equals(s) if s.value == "prod"));
    assert!(
        matches!(&file.rules[r].conditions[7].test, Test::In(InTarget::Name(n)) if n.name == "names")
    );
    assert!(matches!(&file.rules[r].conditions[10].subject, Subject::Attr(a) if a.value == "k"));
    assert_eq!(file.rules[r].conditions[10].test, Test::Present);
    assert_eq!(file.rules[r].conditions[11].test, Test::Present);
    assert!(
        matches!(&file.rules[r].conditions[12].test, Test::In(InTarget::List(l)) if l.values.is_empty())
    );
    let e = &file.tests[0].expectations[0];
    assert_eq!(e.method.value, "M-SEARCH");
    assert_eq!(e.fields.len(), 4);
    assert!(matches!(&e.fields[1], Field::Port(p) if p.value == 8443));
    assert!(matches!(&e.fields[2], Field::Header(n, v) if n.value == "x-env" && v.value == "prod"));
    assert!(matches!(&e.fields[3], Field::Attr(n, v) if n.value == "t" && v.value == "acme"));
    assert!(file.tests[1].expectations.is_empty());
}

#[test]
fn layout_is_free() {
    let compact = parse_ok(
        r#"default deny let a=[1,2] allow "r"{method GET,HEAD path"/x"}test "t"{allow GET"/"by"r"}"#,
    );
    let spread = parse_ok(
        "default\ndeny\nlet\na\n=\n[\n1\n,\n2\n]\nallow\n\"r\"\n{\nmethod\nGET\n,\nHEAD\npath\n\"/x\"\n}\n\
         test \"t\" {\n allow GET \"/\"\n by \"r\" # by\n}\n",
    );
    // Comments are kept in the tree, beside what they stand by; they change nothing
    // else.
    let e = &spread.tests[0].expectations[0];
    assert_eq!(e.comments.after().map(|c| c.text.as_str()), Some("by"));
    assert_eq!(shape(&compact), shape(&without_comments(spread)));
    let crlf = parse_ok("default deny\r\n\tallow \"r\" {\r\n\tport 1\r\n}\r\n");
    assert_eq!(crlf.rules[0].conditions.len(), 1);
}

#[test]
fn addresses_beat_names_and_methods() {
    let file = parse_ok(
        "allow \"r\" { source fd00::/8, dead:beef::1, FD00::1, fd00, BEEF, 10, 8000..8100, 1.2.3.4/24, ::ffff:1.2.3.4 }",
    );
    assert_eq!(
        values(&file, 0, 0),
        [
            address("fd00::/8"),
            address("dead:beef::1"),
            address("FD00::1"),
            name("fd00"),
            method("BEEF"),
            ValueKind::Integer(10),
            ValueKind::Range {
                range: (8000, 8100)
            },
            address("1.2.3.4/24"),
            address("::ffff:1.2.3.4"),
        ]
    );
    // Not validated here: the checker reports these.
    let file = parse_ok("allow \"r\" { source 010.0.0.1, 10.1.2.3/8, 1.2, 999.1.1.1, 1::2::3 }");
    assert_eq!(
        values(&file, 0, 0)[..4],
        [
            address("010.0.0.1"),
            address("10.1.2.3/8"),
            address("1.2"),
            address("999.1.1.1")
        ]
    );
}

#[test]
fn strings_decode_escapes() {
    let file = parse_ok(r#"allow "a \\ \" \n \t \u{41}\u{1F600}" {}"#);
    assert_eq!(file.rules[0].name.value, "a \\ \" \n \t A\u{1f600}");
}

#[test]
fn defaults_after_the_first_are_kept_for_the_checker() {
    let file = parse_ok("default allow\ndefault deny\n  default allow");
    assert_eq!(file.default.as_ref().map(|d| d.effect), Some(Effect::Allow));
    let extra: Vec<_> = file
        .extra_defaults
        .iter()
        .map(|d| (d.effect, d.span.line, d.span.column))
        .collect();
    assert_eq!(extra, [(Effect::Deny, 2, 1), (Effect::Allow, 3, 3)]);
}

#[test]
fn every_error_kind_with_its_position() {
    let cases: &[(&str, u32, u32, &str)] = &[
        (
            "default maybe",
            1,
            9,
            "expected `allow` or `deny` after `default`, found `maybe`",
        ),
        (
            "\n\ndefault",
            3,
            8,
            "expected `allow` or `deny` after `default`, found end of input",
        ),
        (
            "default alow",
            1,
            9,
            "unknown keyword `alow`; did you mean `allow`?",
        ),
        (
            "allow \"r\" method",
            1,
            11,
            "expected `{` after the rule name, found `method`",
        ),
        (
            "allow {}",
            1,
            7,
            "expected the rule name (a string) after `allow`, found `{`",
        ),
        (
            "allow \"r\" {\n  identiy \"x\"\n}",
            2,
            3,
            "unknown keyword `identiy`; did you mean `identity`?",
        ),
        (
            "allow \"r\" { Path \"/\" }",
            1,
            13,
            "unknown keyword `Path`; did you mean `path`?",
        ),
        (
            "allow \"r\" { bogus }",
            1,
            13,
            "expected a condition or `}`, found `bogus`",
        ),
        (
            "allow \"r\" { method }",
            1,
            20,
            "expected a value, `in`, `~` or `present` after `method`, found `}`",
        ),
        (
            "allow \"r\" { method GET, }",
            1,
            25,
            "expected a value after `,`, found `}`",
        ),
        (
            "allow \"r\" { method GET \"HEAD\" }",
            1,
            24,
            "expected a condition or `}`, found a string (missing `,` between values?)",
        ),
        (
            "allow \"r\" { header \"x\" \"v\" }",
            1,
            24,
            "expected `==`, `in`, `~` or `present` after the header name, found a string",
        ),
        (
            "allow \"r\" { attr \"x\" presnt }",
            1,
            22,
            "unknown keyword `presnt`; did you mean `present`?",
        ),
        (
            "allow \"r\" { header present }",
            1,
            20,
            "expected the header name (a string) after `header`, found `present`",
        ),
        (
            "allow \"r\" { header \"x\" == y }",
            1,
            27,
            "expected a string after `==`, found `y`",
        ),
        (
            "allow \"r\" { path ~ x }",
            1,
            20,
            "expected a regular expression (a string) after `~`, found `x`",
        ),
        (
            "allow \"r\" { path in \"x\" }",
            1,
            21,
            "expected a name or a list after `in`, found a string",
        ),
        (
            "allow \"r\" { path in [\"a\" \"b\"] }",
            1,
            26,
            "expected `,` or `]` after a value in the list, found a string",
        ),
        (
            "allow \"r\" { path in [,] }",
            1,
            22,
            "expected a value or `]` in the list, found `,`",
        ),
        (
            "allow \"r\" { not not path \"/\" }",
            1,
            17,
            "expected a subject after `not`, found `not`",
        ),
        (
            "allow \"r\" { not pth \"/\" }",
            1,
            17,
            "unknown keyword `pth`; did you mean `path`?",
        ),
        (
            "allow \"r\" {\n  path \"/\"\n",
            1,
            11,
            "unclosed `{` of rule \"r\"",
        ),
        (
            "allow \"r\" {\n  path \"/\"\nallow \"s\" {}",
            1,
            11,
            "unclosed `{` of rule \"r\"",
        ),
        ("let = 1", 1, 5, "expected a name after `let`, found `=`"),
        (
            "let path = 1",
            1,
            5,
            "expected a name after `let`, found `path`",
        ),
        ("let x 1", 1, 7, "expected `=` after `let x`, found `1`"),
        (
            "let x = }",
            1,
            9,
            "expected a value or a list after `=`, found `}`",
        ),
        (
            "identity \"x\"",
            1,
            1,
            "expected `default`, `let`, `allow`, `deny`, `audit` or `test`, found `identity`",
        ),
        (
            "alow \"r\" {}",
            1,
            1,
            "unknown keyword `alow`; did you mean `allow`?",
        ),
        (
            "}",
            1,
            1,
            "expected `default`, `let`, `allow`, `deny`, `audit` or `test`, found `}`",
        ),
        ("allow \"r\" { path \"/x }\n", 1, 18, "unterminated string"),
        (
            "allow \"r\" { path \"/\\q\" }",
            1,
            20,
            "invalid escape `\\q` in string",
        ),
        (
            "allow \"r\" { path \"\\u{d800}\" }",
            1,
            19,
            "invalid escape `\\u{d800}` in string",
        ),
        (
            "allow \"r\" { port 99999999999999999999 }",
            1,
            18,
            "integer `99999999999999999999` is too large",
        ),
        ("allow \"r\" { port 80x }", 1, 18, "invalid number `80x`"),
        (
            "allow \"r\" { port 8000 .. 8100 }",
            1,
            23,
            "unexpected characters `..`",
        ),
        ("allow \"r\" { path $ }", 1, 18, "unexpected character `$`"),
        (
            "test \"t\" { allow \"/\" }",
            1,
            22,
            "expected the request path (a string) after the method, found `}`",
        ),
        (
            "test \"t\" { allow \"/\" \"/\" bogus }",
            1,
            26,
            "expected an expectation (`allow` or `deny`) or `}`, found `bogus`",
        ),
        (
            "test \"t\" { allow GET \"/\" prt 80 }",
            1,
            26,
            "unknown keyword `prt`; did you mean `port`?",
        ),
        (
            "test \"t\" { allow 1 \"/\" }",
            1,
            18,
            "expected a method (`GET` or a string) after `allow`, found `1`",
        ),
        (
            "test \"t\" { allow GET \"/\" port \"80\" }",
            1,
            31,
            "expected a port number after `port`, found a string",
        ),
        (
            "test \"t\" { allow GET \"/\" source host }",
            1,
            33,
            "expected an address after `source`, found `host`",
        ),
        (
            "test \"t\" { allow GET \"/\" header \"a\" \"b\" }",
            1,
            37,
            "expected `=` after the header name, found a string",
        ),
        (
            "test \"t\" { allow GET \"/\" attr \"a\" = }",
            1,
            37,
            "expected the attribute value (a string) after `=`, found `}`",
        ),
        (
            "test \"t\" { allow GET \"/\" by }",
            1,
            29,
            "expected a rule name (a string) or `default` after `by`, found `}`",
        ),
        (
            "test \"t\" { default }",
            1,
            12,
            "expected an expectation (`allow` or `deny`) or `}`, found `default`",
        ),
        (
            "test \"t\" {\n  allow GET \"/\"\n",
            1,
            10,
            "unclosed `{` of test \"t\"",
        ),
        (
            "test { }",
            1,
            6,
            "expected the test name (a string) after `test`, found `{`",
        ),
        (
            "test \"t\" allow",
            1,
            10,
            "expected `{` after the test name, found `allow`",
        ),
    ];
    for &(text, line, column, message) in cases {
        assert_eq!(
            errors(text),
            [(line, column, message.to_string())],
            "input: {text:?}"
        );
    }
}

#[test]
fn diagnostics_render_with_a_caret() {
    let err = syntax::parse("default deny\nallow \"r\" {\n  identiy \"x\"\n}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "policy:3:3: error: unknown keyword `identiy`; did you mean `identity`?\n  |\n3 |   identiy \"x\"\n  |   ^^^^^^^\n"
    );
}

#[test]
fn reports_every_error_in_one_run() {
    let text = r#"default maybe
let x = [1 2]
allow "a" {
  identiy "x"
  method GET,
  path "/ok"
  port
}
deny "b" {
  path "/\q"
}
allow c {}
test "t" {
  allow GET
  deny GET "/" by default
  allow GET "/" bogus
}
audit "d" {
  method GET
"#;
    let found: Vec<(u32, u32)> = errors(text).iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(
        found,
        [
            (1, 9),   // default maybe
            (2, 12),  // missing comma in the list
            (4, 3),   // identiy
            (6, 3),   // value expected after `,`
            (8, 1),   // value expected after `port`
            (10, 10), // bad escape
            (12, 7),  // rule name not a string
            (15, 3),  // path expected, found `deny`
            (16, 17), // bogus
            (18, 11), // unclosed rule at the end
        ],
        "{:#?}",
        errors(text)
    );
}

#[test]
fn recovery_does_not_cascade() {
    // An unterminated string swallows the closing brace: one error, not two.
    assert_eq!(errors("allow \"r\" { path \"/x }\nallow \"s\" {}").len(), 1);
    // A rule without a name: its body is still read, once.
    assert_eq!(
        errors("allow {\n  method GET\n  pth \"/\"\n}\nallow \"s\" {}"),
        [
            (
                1,
                7,
                "expected the rule name (a string) after `allow`, found `{`".to_string()
            ),
            (
                3,
                3,
                "unknown keyword `pth`; did you mean `path`?".to_string()
            ),
        ]
    );
    // A test block missing its `}` ends at the next rule.
    assert_eq!(
        errors("test \"t\" {\n  allow GET \"/\"\nallow \"r\" {}\n"),
        [(1, 10, "unclosed `{` of test \"t\"".to_string())]
    );
    // A broken header skips the whole block, expectations included.
    assert_eq!(
        errors("test t {\n  allow GET \"/\"\n  deny GET \"/\"\n}\nallow \"r\" {}").len(),
        1
    );
}

#[test]
fn too_many_errors_are_capped() {
    let text = "allow \"r\" { path $ }\n".repeat(500);
    let found = errors(&text);
    assert_eq!(found.len(), 101);
    assert_eq!(found[100].2, "too many errors: 400 more not shown");
}

#[test]
fn spec_example_round_trips() {
    let file = parse_ok(SPEC_EXAMPLE);
    let text = syntax::print(&file);
    let again = parse_ok(&text);
    assert_eq!(shape(&again), shape(&file));
    assert_eq!(syntax::print(&again), text);
    assert!(text.contains("let office = [10.0.0.0/8, 2001:db8::/32]\n"));
    assert!(text.contains(
        "deny \"no writes from outside the office\" {\n  method POST, PUT, PATCH, DELETE\n  not source in office\n}\n"
    ));
    assert!(
        text.contains("let frontends = [\n  \"spiffe://prod.example.com/ns/web/sa/frontend\",\n")
    );
}

#[test]
fn hostile_inputs_round_trip() {
    let cases = [
        "allow \"\\\"\\\\\\n\\t\\u{0}\\u{7f}\\u{202e}\\u{2028}\\u{1F600}é\" {}",
        "allow \"r\" { header \"\\u{d}\" == \"\\u{85}\" attr \"\" present not path ~ \"\\\\\" }",
        "default allow\ndefault deny\ndefault deny",
        "let _ = []\nlet a_1 = 18446744073709551615..0",
        "allow \"r\" { source ::, :, 1.1.1., ::1/999999999999999999999 }",
        "test \"\" { allow \"get\" \"\" source 1.2.3.4 port 0 header \"\" = \"\" by \"\" deny \"M SEARCH\" \"\" }",
        "allow \"r\" { method A-, Z_9, \"\", \"-A\" }",
    ];
    for text in cases {
        let file = parse_ok(text);
        let printed = syntax::print(&file);
        let again = parse_ok(&printed);
        assert_eq!(shape(&again), shape(&file), "{text}\n{printed}");
        assert_eq!(syntax::print(&again), printed);
    }
}

#[test]
fn printing_never_widens_json_trees() {
    // Names and addresses that would read back as something else are printed as
    // errors; a method that is no bare token is printed as a string.
    for (json, fragment) in [
        (
            r#"{"subject": "identity", "test": {"values": [{"name": "present"}]}}"#,
            r#"!"present""#,
        ),
        (
            r#"{"subject": "method", "test": {"values": [{"name": "GET"}]}}"#,
            r#"!"GET""#,
        ),
        (
            r#"{"subject": "source", "test": {"values": [{"address": "office"}]}}"#,
            r#"!"office""#,
        ),
        (
            r#"{"subject": "source", "test": {"values": [{"address": "10"}]}}"#,
            r#"!"10""#,
        ),
        (
            r#"{"subject": "source", "test": {"in": {"name": "a b"}}}"#,
            r#"!"a b""#,
        ),
        (r#"{"subject": "path", "test": {"values": []}}"#, "path\n"),
        (
            r#"{"subject": "path", "test": {"equals": "x"}}"#,
            "path == ",
        ),
        (
            r#"{"subject": {"header": "x"}, "test": {"values": ["v"]}}"#,
            "header \"x\" \"v\"",
        ),
    ] {
        let file: File = serde_json::from_str(&format!(
            r#"{{"rules": [{{"effect": "allow", "name": "r", "when": [{json}]}}]}}"#
        ))
        .unwrap();
        let text = syntax::print(&file);
        assert!(text.contains(fragment), "{text}");
        assert!(syntax::parse(&text).is_err(), "{text}");
    }
    let file: File = serde_json::from_str(
        r#"{"rules": [{"effect": "allow", "name": "r", "when": [
            {"subject": "method", "test": {"values": [{"method": "get"}, {"method": "M SEARCH"}]}}]}],
           "tests": [{"name": "t", "expectations": [{"effect": "deny", "method": "x y", "path": "/"}]}]}"#,
    )
    .unwrap();
    let text = syntax::print(&file);
    assert!(text.contains("method \"get\", \"M SEARCH\""), "{text}");
    assert!(text.contains("deny \"x y\" \"/\""), "{text}");
    parse_ok(&text);
}

#[test]
fn pathological_inputs_stay_fast() {
    let deep = "[".repeat(100_000);
    assert!(syntax::parse(&format!("let x = {deep}")).is_err());
    let long = format!(
        "allow \"r\" {{ method {} }}",
        vec!["GET"; 50_000].join(", ")
    );
    assert_eq!(parse_ok(&long).rules[0].conditions.len(), 1);
    let many = "allow \"r\" { path \"/\\q\" } ".repeat(20_000);
    assert!(syntax::parse(&many).is_err());
    let name = "a".repeat(100_000);
    assert!(syntax::parse(&format!("{name} {name}")).is_err());
    // Comments are placed by binary search, not by a walk over a block per comment.
    let commented = format!(
        "allow \"r\" {{\n{}}}\n",
        "  # why\n  port 80 # web\n".repeat(40_000)
    );
    let file = parse_ok(&commented);
    assert_eq!(file.rules[0].conditions.len(), 40_000);
    assert!(file.rules[0].conditions[39_999].comments.after().is_some());
    let stray = format!(
        "let x = [\n{}]\n{}",
        "  1,\n".repeat(40_000),
        "} # c\n".repeat(40_000)
    );
    assert!(syntax::parse(&stray).is_err());
}

/// Fragments of the language, to build inputs that are often nearly valid.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "default",
            "allow",
            "deny",
            "audit",
            "let",
            "test",
            "by",
            "identity",
            "method",
            "path",
            "host",
            "port",
            "source",
            "header",
            "attr",
            "not",
            "in",
            "present",
            "{",
            "}",
            "[",
            "]",
            ",",
            "~",
            "==",
            "=",
            "GET",
            "M-SEARCH",
            "Get",
            "x",
            "office",
            "10.0.0.0/8",
            "fd00::/8",
            "::1",
            "80",
            "8000..8100",
            "1..",
            "\"r\"",
            "\"/a\"",
            "\"\\u{41}\"",
            "\"\\q\"",
            "\"",
            "\n",
            " ",
            "#c\n",
            "é",
            "\t",
            "\r\n",
            "\\",
        ])
        .prop_map(str::to_string),
        "\"[^\"\\\\\n]{0,8}\"",
        "[a-z_][a-z0-9_]{0,6}",
        "[0-9a-fA-F:./]{1,12}",
    ]
}

fn nearly_valid() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..60).prop_map(|parts| parts.join(" "))
}

proptest! {
    #[test]
    fn parse_never_panics(text in "\\PC{0,200}") {
        let _ = syntax::parse(&text);
    }

    #[test]
    fn parse_never_panics_on_fragments(text in nearly_valid()) {
        let _ = syntax::parse(&text);
    }

    #[test]
    fn a_parsed_tree_compiles_like_its_text(text in nearly_valid()) {
        // `Policy::from_syntax` checks the tree as it is: whatever the text gives,
        // the tree gives, error for error.
        if let Ok(file) = syntax::parse(&text) {
            let codes = |r: Result<portcullis::Policy, portcullis::CompileError>| {
                let mut codes: Vec<&str> = match r {
                    Ok(_) => Vec::new(),
                    Err(e) => e.diagnostics().iter().map(|d| d.code().as_str()).collect(),
                };
                codes.sort_unstable();
                codes
            };
            prop_assert_eq!(
                codes(portcullis::Policy::compile(&text)),
                codes(portcullis::Policy::from_syntax(&file))
            );
        }
    }

    #[test]
    fn print_parse_is_a_fixpoint(text in nearly_valid()) {
        if let Ok(file) = syntax::parse(&text) {
            let printed = syntax::print(&file);
            let again = syntax::parse(&printed);
            prop_assert!(again.is_ok(), "{printed}");
            let again = again.unwrap();
            prop_assert_eq!(shape(&again), shape(&file));
            prop_assert_eq!(syntax::print(&again), printed);
        }
    }
}

#[test]
fn unknown_items_after_a_block_are_reported() {
    // Tried as a new user would: both misspelled items are reported, not only the
    // first, with a hint where the word is close to a keyword.
    assert_eq!(
        errors("permit \"a\" {\n  method GET\n}\nalow \"b\" {\n  path \"/\"\n}\n"),
        [
            (
                1,
                1,
                "expected `default`, `let`, `allow`, `deny`, `audit` or `test`, found `permit`"
                    .to_string()
            ),
            (
                4,
                1,
                "unknown keyword `alow`; did you mean `allow`?".to_string()
            ),
        ]
    );
    // After a broken header too.
    assert_eq!(
        errors("allow r {}\nalow \"b\" {}\ndeny \"c\" {}").len(),
        2,
        "{:?}",
        errors("allow r {}\nalow \"b\" {}\ndeny \"c\" {}")
    );
}

#[test]
fn an_unclosed_block_is_blamed_on_its_brace() {
    let text = "allow \"a\" {\n  method GET\n\nallow \"b\" {}\n";
    let err = syntax::parse(text).unwrap_err();
    assert_eq!(err.diagnostics().len(), 1, "{err}");
    let d = &err.diagnostics()[0];
    assert_eq!((d.line(), d.column()), (1, 11));
    assert_eq!(d.message(), "unclosed `{` of rule \"a\"");
    let related = d.related();
    assert_eq!(related.len(), 1);
    assert_eq!(
        (related[0].location().line(), related[0].location().column()),
        (4, 1)
    );
    assert_eq!(related[0].label(), "expected `}` before the next item");
    assert_eq!(
        err.to_string(),
        "policy:1:11: error: unclosed `{` of rule \"a\"\n  |\n1 | allow \"a\" {\n  |           ^\n\
         policy:4:1: note: expected `}` before the next item\n  |\n4 | allow \"b\" {}\n  | ^^^^^\n"
    );
    // At the end of the input.
    let err = syntax::parse("test \"t\" {\n  allow GET \"/\"\n").unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!((d.line(), d.column()), (1, 10));
    assert_eq!(
        d.related()[0].label(),
        "expected `}` before the end of input"
    );
    // An error inside the body does not hide the missing `}`, nor does a
    // misspelled keyword on the next item's line.
    assert_eq!(
        errors("allow \"a\" {\n  pth \"/\"\nalow \"b\" {}\n"),
        [
            (1, 11, "unclosed `{` of rule \"a\"".to_string()),
            (
                2,
                3,
                "unknown keyword `pth`; did you mean `path`?".to_string()
            ),
            (
                3,
                1,
                "unknown keyword `alow`; did you mean `allow`?".to_string()
            ),
        ]
    );
}

#[test]
fn words_in_value_positions_are_left_to_the_checker() {
    // The parser reads any word where a value may stand: a word starting with an
    // upper-case letter as a bare method, any other as a name. Whether it is a valid
    // one is the checker's to say, so that both are reported.
    let file = parse_ok("let Bad = 1\nallow \"r\" { method get, Post }");
    assert_eq!(file.lets[0].name.name, "Bad");
    assert_eq!(values(&file, 0, 0), [name("get"), method("Post")]);
    let file = parse_ok("allow \"r\" { identity in a-b }");
    assert!(
        matches!(&file.rules[0].conditions[0].test, Test::In(InTarget::Name(n)) if n.name == "a-b")
    );
}

/// A policy with a comment in every place one can stand.
const COMMENTED: &str = r#"# payments: who may call
default deny # closed by default

# the web tier
let frontends = [ # every frontend
  # the storefront
  "spiffe://p/ns/web/sa/frontend", # main
  "spiffe://p/ns/web/sa/checkout",
  # more to come
]
let office = [10.0.0.0/8] # the office

deny "no writes" {} # for now

# reads
allow "reads" {
  # who
  identity in frontends # only them
  method GET,
    HEAD # and HEAD
  # done
}

test "reads" {
  # the storefront reads
  allow GET "/" identity "spiffe://p/ns/web/sa/frontend" # by reads
  # more later
}
# the end
"#;

#[test]
fn comments_stay_beside_what_they_stand_by() {
    let file = parse_ok(COMMENTED);
    let texts = |c: &[portcullis::syntax::Comment]| -> Vec<String> {
        c.iter().map(|c| c.text.clone()).collect()
    };
    let after = |c: &portcullis::syntax::Comments| c.after().map(|c| c.text.clone());
    let default = file.default.as_ref().unwrap();
    assert_eq!(texts(default.comments.before()), ["payments: who may call"]);
    assert_eq!(
        after(&default.comments).as_deref(),
        Some("closed by default")
    );

    let frontends = &file.lets[0];
    assert_eq!(texts(frontends.comments.before()), ["the web tier"]);
    let LetValue::List(list) = &frontends.value else {
        panic!("a list")
    };
    assert_eq!(
        texts(list.values[0].comments.before()),
        ["every frontend", "the storefront"]
    );
    assert_eq!(after(&list.values[0].comments).as_deref(), Some("main"));
    assert!(list.values[1].comments.is_empty());
    assert_eq!(texts(&list.end_comments), ["more to come"]);
    assert_eq!(after(&file.lets[1].comments).as_deref(), Some("the office"));

    assert_eq!(after(&file.rules[0].comments).as_deref(), Some("for now"));
    let reads = &file.rules[1];
    assert_eq!(texts(reads.comments.before()), ["reads"]);
    assert_eq!(texts(reads.conditions[0].comments.before()), ["who"]);
    assert_eq!(
        after(&reads.conditions[0].comments).as_deref(),
        Some("only them")
    );
    assert_eq!(
        after(&reads.conditions[1].comments).as_deref(),
        Some("and HEAD")
    );
    assert_eq!(texts(&reads.end_comments), ["done"]);

    let block = &file.tests[0];
    let e = &block.expectations[0];
    assert_eq!(texts(e.comments.before()), ["the storefront reads"]);
    assert_eq!(after(&e.comments).as_deref(), Some("by reads"));
    assert_eq!(texts(&block.end_comments), ["more later"]);
    assert_eq!(texts(&file.end_comments), ["the end"]);
    assert_eq!(file.end_comments[0].span.line, 29);
}

#[test]
fn printing_keeps_every_comment_and_the_item_order() {
    let file = parse_ok(COMMENTED);
    let printed = syntax::print(&file);
    assert_eq!(
        printed,
        r#"# payments: who may call
default deny # closed by default

# the web tier
let frontends = [
  # every frontend
  # the storefront
  "spiffe://p/ns/web/sa/frontend", # main
  "spiffe://p/ns/web/sa/checkout",
  # more to come
]
let office = [10.0.0.0/8] # the office

deny "no writes" {} # for now

# reads
allow "reads" {
  # who
  identity in frontends # only them
  method GET, HEAD # and HEAD
  # done
}

test "reads" {
  # the storefront reads
  allow GET "/" identity "spiffe://p/ns/web/sa/frontend" # by reads
  # more later
}

# the end
"#
    );
    let again = parse_ok(&printed);
    assert_eq!(shape(&again), shape(&file));
    assert_eq!(syntax::print(&again), printed);

    // Items are printed in source order, whatever their kind.
    let text = "allow \"a\" {}\n\nlet x = 1\n\ndefault deny\n\ntest \"t\" {}\n\ndeny \"b\" {}\n";
    assert_eq!(syntax::print(&parse_ok(text)), text);
}

#[test]
fn comments_in_odd_places_find_a_home() {
    // Wherever a comment is, printing puts it where parsing puts it back.
    for text in [
        "allow #a\n \"r\" #b\n { #c\n method #d\n GET, #e\n HEAD #f\n #g\n } #h\n",
        "let #a\n x = #b\n 1 #c\n",
        "let x = [ #a\n ]\n",
        "default #a\n deny\n#b",
        "test \"t\" { #a\n allow GET #b\n \"/\" by #c\n default }",
        "allow \"r\" { identity in [\"a\", #a\n \"b\" #b\n ] #c\n not #d\n port 1 }",
        "#only a comment",
    ] {
        let file = parse_ok(text);
        let printed = syntax::print(&file);
        let again = parse_ok(&printed);
        assert_eq!(shape(&again), shape(&file), "{text:?}\n{printed}");
        assert_eq!(syntax::print(&again), printed, "{text:?}");
        let count = |t: &str| t.matches('#').count();
        assert_eq!(count(&printed), count(text), "{text:?}\n{printed}");
    }
}

#[test]
fn comments_in_the_json_form() {
    let file = parse_ok("# why\nallow \"r\" {\n  port 80 # web\n}\n");
    let json = serde_json::to_string(&file).unwrap();
    assert_eq!(
        json,
        r#"{"rules":[{"effect":"allow","name":"r","when":[{"subject":"port","test":{"values":[80]},"comments":{"after":"web"}}],"comments":{"before":["why"]}}]}"#
    );
    let back: File = serde_json::from_str(&json).unwrap();
    assert_eq!(syntax::print(&back), syntax::print(&file));
    // Without comments, the JSON form is as before; an unknown field is refused.
    assert!(
        !serde_json::to_string(&parse_ok("allow \"r\" {}"))
            .unwrap()
            .contains("comments")
    );
    for bad in [
        r#"{"rules":[{"effect":"allow","name":"r","comments":{"before":["a"],"inline":"b"}}]}"#,
        r#"{"end_comments":[1]}"#,
    ] {
        assert!(serde_json::from_str::<File>(bad).is_err(), "{bad}");
    }
    // A line break in a comment from JSON cannot end the comment early.
    let file: File =
        serde_json::from_str(r#"{"default":"deny","end_comments":["x\nallow \"all\" {}"]}"#)
            .unwrap();
    let text = syntax::print(&file);
    assert_eq!(text, "default deny\n\n# x allow \"all\" {}\n");
    assert!(parse_ok(&text).rules.is_empty());
}
