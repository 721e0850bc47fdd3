//! The formatter (`syntax::format`, `portcullis fmt`): the canonical layout of CLI.md,
//! every comment kept beside what it stands by, the same policy, and idempotence,
//! on examples and on generated policies with comments in random places.
//!
//! The property runs proptest's default number of cases (256), or `PROPTEST_CASES`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use portcullis::Policy;
use portcullis::syntax::{self, Comment, Comments, File, InTarget, LetValue, List, Test};
use proptest::prelude::*;

use portcullis_support::reference::eval::Outcome;
use portcullis_support::reference::generate;

fn parse_ok(text: &str) -> File {
    syntax::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn fmt(text: &str) -> String {
    syntax::format_source("policy", text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Every comment's text in `file`, sorted.
fn comment_texts(file: &File) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut of = |c: &Comments| {
        out.extend(c.before().iter().map(|c| c.text.clone()));
        out.extend(c.after().map(|c| c.text.clone()));
    };
    let mut ends: Vec<&Comment> = file.end_comments.iter().collect();
    for d in file.default.iter().chain(&file.extra_defaults) {
        of(&d.comments);
    }
    let mut lists: Vec<&List> = Vec::new();
    for l in &file.lets {
        of(&l.comments);
        if let LetValue::List(list) = &l.value {
            lists.push(list);
        }
    }
    for r in &file.rules {
        of(&r.comments);
        ends.extend(&r.end_comments);
        for c in &r.conditions {
            of(&c.comments);
            if let Test::In(InTarget::List(list)) = &c.test {
                lists.push(list);
            }
        }
    }
    for t in &file.tests {
        of(&t.comments);
        ends.extend(&t.end_comments);
        for e in &t.expectations {
            of(&e.comments);
        }
    }
    for list in lists {
        ends.extend(&list.end_comments);
        for v in &list.values {
            of(&v.comments);
        }
    }
    out.extend(ends.into_iter().map(|c| c.text.clone()));
    out.sort();
    out
}

/// The tree as JSON (spans left out, comments of items, conditions and expectations
/// in) and what JSON leaves out: repeated `default`s and the comments of lists.
fn shape(file: &File) -> (serde_json::Value, usize, Vec<String>) {
    (
        serde_json::to_value(file).unwrap(),
        file.extra_defaults.len(),
        comment_texts(file),
    )
}

#[test]
fn the_canonical_layout() {
    let text = "default deny\nlet a = 1\nlet b=[2,3]\n\n\n\nallow \"r\" {method GET,HEAD path \"/\"\n}\ndeny \"d\" {   }\ntest \"t\" {allow GET \"/\" by \"r\" deny POST \"/\"}";
    let expected = "default deny\n\nlet a = 1\n\nlet b = [2, 3]\n\n\
                    allow \"r\" {\n  method GET, HEAD\n  path \"/\"\n}\n\n\
                    deny \"d\" {}\n\n\
                    test \"t\" {\n  allow GET \"/\" by \"r\"\n  deny POST \"/\"\n}\n";
    assert_eq!(fmt(text), expected);
    assert_eq!(fmt(expected), expected);
    // Items stay in source order, whatever their kind.
    let mixed = "allow \"a\" {}\n\nlet x = 1\n\ndefault deny\n\ntest \"t\" {}\n\nlet y = 2\n";
    assert_eq!(fmt(mixed), mixed);
}

#[test]
fn a_list_is_broken_when_its_line_would_pass_column_88() {
    // `let l = [` is 9 columns and `]` one: values of 78 columns in all fit exactly.
    let values = |total: usize| -> Vec<String> {
        // Three strings with `, ` between them: 3 * (w + 2) + 4 = total.
        let w = (total - 4) / 3 - 2;
        let mut v = vec!["a".repeat(w), "b".repeat(w), "c".repeat(w)];
        let extra = total - (3 * (w + 2) + 4);
        v[2].push_str(&"c".repeat(extra));
        v.into_iter().map(|s| format!("\"{s}\"")).collect()
    };
    let fits = format!("let l = [{}]\n", values(78).join(", "));
    assert_eq!(fits.trim_end().chars().count(), 88);
    assert_eq!(fmt(&fits), fits);
    let long = format!("let l = [{}]\n", values(79).join(", "));
    assert_eq!(long.trim_end().chars().count(), 89);
    let broken: Vec<String> = values(79).iter().map(|v| format!("  {v},\n")).collect();
    assert_eq!(fmt(&long), format!("let l = [\n{}]\n", broken.concat()));
    assert_eq!(fmt(&fmt(&long)), fmt(&long));

    // In a rule, the indentation and the condition count; the list's values are
    // indented two more than the condition, and an end-of-line comment does not
    // count.
    let list = (0..9)
        .map(|i| format!("\"spiffe://p/ns/{i}\""))
        .collect::<Vec<_>>();
    let one_line = format!("  identity in [{}]", list.join(", "));
    assert!(one_line.chars().count() > 88);
    let text = format!("allow \"r\" {{\n{one_line} # why\n}}\n");
    let expected = format!(
        "allow \"r\" {{\n  identity in [\n{}  ] # why\n}}\n",
        list.iter()
            .map(|v| format!("    {v},\n"))
            .collect::<String>()
    );
    assert_eq!(fmt(&text), expected);
    let short = "allow \"r\" {\n  identity in [\"a\", \"b\"] # a comment that makes the line longer than eighty-eight columns\n}\n";
    assert_eq!(fmt(short), short);
    // Columns count characters, not bytes.
    let wide = format!("let l = [\"{}\"]\n", "é".repeat(76));
    assert_eq!(fmt(&wide), wide);
}

/// A policy with a comment in every place one can stand, in the layout of `fmt`.
const COMMENTED: &str = r#"# payments: who may call
#
# reviewed by the platform team

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
  # more conditions later
}

test "reads" {
  # the storefront reads
  allow GET "/" identity "spiffe://p/ns/web/sa/frontend" # by reads
  # more later
}

# the end
"#;

#[test]
fn every_comment_stays_where_it_stands() {
    assert_eq!(fmt(COMMENTED), COMMENTED);
    // The same policy written untidily: comments in odd places find the canonical
    // ones, blank lines go, except one within a run of comments.
    let untidy = r#"# payments: who may call
#
# reviewed by the platform team


default   deny # closed by default
# the web tier
let frontends = [ # every frontend
  # the storefront
  "spiffe://p/ns/web/sa/frontend", # main
  "spiffe://p/ns/web/sa/checkout"
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


  # more conditions later
}
test "reads" {
  # the storefront reads
  allow GET "/"
    identity "spiffe://p/ns/web/sa/frontend" # by reads
  # more later
}
# the end"#;
    assert_eq!(fmt(untidy), COMMENTED);
}

#[test]
fn comments_between_tokens_move_beside_their_node() {
    for (text, expected) in [
        // At the end of a line inside a condition: to the end of the condition.
        (
            "allow \"r\" {\n  method GET, # why\n    HEAD\n}\n",
            "allow \"r\" {\n  method GET, HEAD # why\n}\n",
        ),
        // More of them: the first takes the end of the line, one inside the
        // condition goes above it, one after its end below it.
        (
            "allow \"r\" {\n  method # a\n GET, # b\n HEAD # c\n}\n",
            "allow \"r\" {\n  # b\n  method GET, HEAD # a\n  # c\n}\n",
        ),
        // In a rule's header: to the end of the rule.
        (
            "allow # a\n \"r\" {\n  port 80\n}\n",
            "allow \"r\" {\n  port 80\n} # a\n",
        ),
        // After `{` or `[`: above the first child.
        (
            "allow \"r\" { # a\n  port 80\n}\n",
            "allow \"r\" {\n  # a\n  port 80\n}\n",
        ),
        ("let x = [ # a\n 1]\n", "let x = [\n  # a\n  1,\n]\n"),
        // In an empty block or list: before its closing bracket.
        ("allow \"r\" { # a\n}\n", "allow \"r\" {\n  # a\n}\n"),
        ("let x = [ # a\n]\n", "let x = [\n  # a\n]\n"),
        // Inside a test expectation: to its end.
        (
            "test \"t\" {\n  allow GET # a\n \"/\" by # b\n default\n}\n",
            "test \"t\" {\n  # b\n  allow GET \"/\" by default # a\n}\n",
        ),
        // Only comments: kept.
        ("#only\n\n\n#comments", "# only\n\n# comments\n"),
        ("", ""),
    ] {
        assert_eq!(fmt(text), expected, "{text:?}");
        assert_eq!(fmt(expected), expected, "{expected:?}");
        assert_eq!(
            comment_texts(&parse_ok(text)),
            comment_texts(&parse_ok(expected))
        );
    }
}

#[test]
fn a_syntax_error_is_reported_with_the_file_name() {
    let err = syntax::format_source("p.pcl", "default deny\nallow \"r\" { method }\n").unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!((d.file(), d.line()), ("p.pcl", 2));
}

/// A `test` block appended to the generated policies, so that comments land in one
/// too.
const TEST_BLOCK: &str = "test \"fmt\" {\n  allow GET \"/x\" port 80 header \"x-a\" = \"b\"\n  deny POST \"/y\" by default\n}\n";

proptest! {
    #![proptest_config(ProptestConfig::default())]

    /// On generated policies with comments in random places: `fmt` keeps every
    /// comment and the tree (so the policy: the decisions on generated requests are
    /// compared too), and `fmt` of its output changes nothing.
    #[test]
    fn fmt_keeps_the_policy_and_every_comment_and_is_idempotent(
        policy in generate::policy(0..6),
        places in generate::comment_places(12),
        requests in prop::collection::vec(generate::request(), 16),
    ) {
        let plain = format!("{}{TEST_BLOCK}", policy.print());
        let (text, mut inserted) = generate::with_comments(&plain, &places);
        let file = syntax::parse(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        inserted.sort();
        prop_assert_eq!(&comment_texts(&file), &inserted, "the parser lost a comment:\n{}", text);

        let formatted = syntax::format(&file);
        let again = syntax::parse(&formatted)
            .map_err(|e| TestCaseError::fail(format!("{e}\n--- formatted ---\n{formatted}")))?;
        prop_assert_eq!(shape(&again), shape(&file), "\n--- source ---\n{}\n--- formatted ---\n{}", text, formatted);
        prop_assert_eq!(syntax::format(&again), formatted.clone(), "not idempotent:\n{}", formatted);

        let before = Policy::compile(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let after = Policy::compile(&formatted)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{formatted}")))?;
        for req in &requests {
            let request = req.as_request();
            prop_assert_eq!(
                Outcome::of(&before.evaluate(&request)),
                Outcome::of(&after.evaluate(&request)),
                "request {:?}\n--- source ---\n{}\n--- formatted ---\n{}", req, text, formatted
            );
        }
    }
}
