//! `portcullis diff` (CLI.md, *`diff`*): one JSON line per region of difference,
//! each request re-evaluated by `eval` to exactly the printed decisions; 0 proved
//! equivalent, 1 differences, 2 a compile or usage error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Dir, MESH};
use serde_json::Value;

const OLD: &str = r#"default deny
let frontends = ["spiffe://prod.example.com/ns/web/sa/frontend"]
allow "frontends read orders" {
  identity in frontends
  method GET, HEAD
  path "/api/v1/orders", "/api/v1/orders/{id}"
}
allow "frontends write orders" {
  identity in frontends
  method POST, DELETE
  path "/api/v1/orders/{id}"
}
audit "debug" { header "x-debug" present }
"#;

/// Every printed request, evaluated by `eval` with each policy, gives exactly the
/// printed decision objects.
fn assert_sound(dir: &Dir, out: &str, old: &[&str], new: &[&str], flags: &[&str]) {
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let requests: String = lines
        .iter()
        .map(|l| format!("{}\n", l["request"]))
        .collect();
    dir.write("requests.jsonl", &requests);
    for (files, field) in [(old, "old"), (new, "new")] {
        let mut args = vec!["eval"];
        for f in files {
            args.extend(["-p", f]);
        }
        args.extend(flags);
        args.push("requests.jsonl");
        let eval = dir.run(&args);
        eval.assert(0);
        for (line, decision) in lines.iter().zip(eval.stdout.lines()) {
            let decision: Value = serde_json::from_str(decision).unwrap();
            assert_eq!(line[field], decision, "{line}");
        }
    }
}

#[test]
fn diff_prints_one_checked_example_per_region_of_difference() {
    let dir = Dir::new("diff_regions");
    let new = OLD.replace("method POST, DELETE", "method POST").replace(
        "\"/api/v1/orders\", \"/api/v1/orders/{id}\"",
        "\"/api/v1/orders/**\"",
    );
    dir.write("old.pcl", OLD).write("new.pcl", &new);
    let out = dir.run(&["diff", "--old", "old.pcl", "--new", "new.pcl"]);
    out.assert(1);
    let lines = out.lines();
    assert_eq!(lines.len(), 2, "{out:#?}");
    assert!(lines[0].starts_with(r#"{"request":{"method":"DELETE","path":"/api/v1/orders/"#));
    assert!(lines[0].ends_with(r#""old":{"decision":"allow","reason":"rule","rule":"frontends write orders","audit":[]},"new":{"decision":"deny","reason":"default","rule":null,"audit":[]}}"#));
    assert_sound(&dir, &out.stdout, &["old.pcl"], &["new.pcl"], &[]);
}

#[test]
fn diff_proves_equivalence_and_counts_rules_with_by_rule() {
    let dir = Dir::new("diff_equivalent");
    // Another spelling of the same decisions, with the rules renamed.
    let new = OLD
        .replace("method GET, HEAD", "method HEAD, GET")
        .replace("frontends read orders", "reads");
    dir.write("old.pcl", OLD)
        .write("new.pcl", &new)
        .write("mesh.pcl", MESH);
    dir.run(&["diff", "--old", "old.pcl", "--new", "new.pcl"])
        .assert(0);
    dir.run(&["diff", "--old", "mesh.pcl", "--new", "mesh.pcl"])
        .assert(0);
    let out = dir.run(&["diff", "--old", "old.pcl", "--new", "new.pcl", "--by-rule"]);
    out.assert(1);
    assert_eq!(out.lines().len(), 1, "{out:#?}");
    assert_sound(&dir, &out.stdout, &["old.pcl"], &["new.pcl"], &[]);
}

#[test]
fn diff_limit_and_errors() {
    let dir = Dir::new("diff_errors");
    dir.write("old.pcl", OLD)
        .write("empty.pcl", "")
        .write("bad.pcl", "allow \"x\" { port 70000 }");
    let out = dir.run(&[
        "diff",
        "--old",
        "old.pcl",
        "--new",
        "empty.pcl",
        "--limit",
        "1",
    ]);
    out.assert(1);
    assert_eq!(out.lines().len(), 1);
    assert!(out.stderr.contains("--limit"), "{out:#?}");
    dir.run(&["diff", "--old", "old.pcl", "--new", "bad.pcl"])
        .assert(2);
    dir.run(&["diff", "--old", "old.pcl"]).assert(2);
}

#[test]
fn diff_says_when_a_regular_expression_leaves_it_open() {
    let dir = Dir::new("diff_regex");
    dir.write("old.pcl", "allow \"a\" { path ~ \"/v[0-9]+/.*\" }\n")
        .write("new.pcl", "allow \"a\" { path ~ \"/v[0-9]/.*\" }\n");
    let out = dir.run(&["diff", "--old", "old.pcl", "--new", "new.pcl"]);
    out.assert(1);
    assert!(out.stderr.contains("regular expression"), "{out:#?}");
}

/// The `diff` and `lint` examples of `docs/tools.md` are what the commands print.
#[test]
fn the_examples_in_the_docs_are_what_diff_and_lint_print() {
    let doc = include_str!("../../docs/tools.md");
    let blocks: Vec<&str> = doc.split("```\n").skip(1).step_by(2).collect();
    let dir = Dir::new("diff_docs");
    dir.write("payments.pcl", blocks[0])
        .write("payments-next.pcl", blocks[1]);
    let section = &doc[doc.find("## `diff`").unwrap()..];
    let session = section.split("```\n").nth(1).unwrap();
    let printed = session
        .strip_prefix("$ portcullis diff --old payments.pcl --new payments-next.pcl\n")
        .unwrap();
    let printed = &printed[..printed.find("$ echo $?").unwrap()];
    let out = dir.run(&[
        "diff",
        "--old",
        "payments.pcl",
        "--new",
        "payments-next.pcl",
    ]);
    out.assert(1);
    assert_eq!(out.stdout, printed);
    assert_sound(
        &dir,
        &out.stdout,
        &["payments.pcl"],
        &["payments-next.pcl"],
        &[],
    );

    let section = &doc[doc.find("A review of the candidate above").unwrap()..];
    let mut blocks = section.split("```\n").skip(1).step_by(2);
    dir.write("payments-review.pcl", blocks.next().unwrap());
    let session = blocks.next().unwrap();
    let printed = session
        .strip_prefix("$ portcullis lint payments-review.pcl\n")
        .unwrap();
    let printed = &printed[..printed.find("$ echo $?").unwrap()];
    let out = dir.run(&["lint", "payments-review.pcl"]);
    out.assert(1);
    assert_eq!(out.stderr, printed);
}
