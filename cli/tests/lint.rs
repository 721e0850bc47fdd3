//! `portcullis lint` (CLI.md, *`lint`*): findings as `warning[CODE]` diagnostics with
//! carets; 0 nothing found, 1 findings or a compile error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Dir, MESH};

#[test]
fn lint_reports_unused_lets_and_default_allow_without_deny() {
    let dir = Dir::new("lint_findings");
    dir.write(
        "p.pcl",
        "default allow\n\nlet office = [10.0.0.0/8]\nlet inner = [192.168.0.0/16]\nlet both = [inner, 172.16.0.0/12]\nlet cluster = 10.0.0.0/8\n\nallow \"cluster\" { source in cluster }\n",
    );
    let out = dir.run(&["lint", "p.pcl"]);
    out.assert(1);
    assert!(out.stdout.is_empty(), "{out:#?}");
    assert_eq!(
        out.stderr,
        "\
p.pcl:1:1: warning[default-allow-without-deny]: `default allow` without any `deny` rule allows every request: the `allow` rules change nothing
  |
1 | default allow
  | ^^^^^^^^^^^^^
p.pcl:3:5: warning[unused-let]: `office` is never used
  |
3 | let office = [10.0.0.0/8]
  |     ^^^^^^
p.pcl:5:5: warning[unused-let]: `both` is never used
  |
5 | let both = [inner, 172.16.0.0/12]
  |     ^^^^
"
    );
}

#[test]
fn lint_is_silent_on_clean_policies() {
    let dir = Dir::new("lint_clean");
    dir.write("mesh.pcl", MESH)
        .write(
            "d.pcl",
            "default allow\ndeny \"no deletes\" { method DELETE }\n",
        )
        .write(
            "base.pcl",
            "let ops = [\"spiffe://p/ns/ops/sa/*\"]\nlet all = [ops]\n",
        )
        .write("rules.pcl", "allow \"ops\" { identity in all }\n");
    for args in [
        &["lint", "mesh.pcl"][..],
        &["lint", "d.pcl"],
        // A name used in another file of the same policy is used.
        &["lint", "base.pcl", "rules.pcl"],
    ] {
        let out = dir.run(args);
        out.assert(0);
        assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:#?}");
    }
    // `deny` in another file counts.
    dir.write("allow.pcl", "default allow\n");
    dir.run(&["lint", "allow.pcl", "d.pcl"]).assert(1);
    dir.write("d2.pcl", "deny \"x\" { method DELETE }\n");
    dir.run(&["lint", "allow.pcl", "d2.pcl"]).assert(0);
}

#[test]
fn lint_compile_errors_exit_1_and_usage() {
    let dir = Dir::new("lint_errors");
    dir.write("bad.pcl", "default dney\n");
    let out = dir.run(&["lint", "bad.pcl"]);
    out.assert(1);
    assert!(out.stderr.starts_with("bad.pcl:1:9: error: "), "{out:#?}");
    dir.run(&["lint"]).assert_usage_error();
}

#[test]
fn lint_json_policies_name_the_json_place() {
    let dir = Dir::new("lint_json");
    dir.write(
        "p.json",
        r#"{"let": [{"name": "unused", "value": 8080}], "rules": [{"effect": "allow", "name": "a"}]}"#,
    );
    let out = dir.run(&["lint", "p.json"]);
    out.assert(1);
    assert!(
        out.stderr
            .starts_with("p.json:/let/0/name: warning[unused-let]: `unused` is never used\n"),
        "{out:#?}"
    );
}

#[test]
fn lint_reports_unsatisfiable_shadowed_rules_and_redundant_values() {
    let dir = Dir::new("lint_exact");
    dir.write(
        "p.pcl",
        "\
deny \"no deletes\" { method DELETE }
allow \"ops deletes\" {
  identity \"spiffe://p/ns/ops/sa/*\"
  method DELETE
}
allow \"reads\" { method GET path \"/a/**\", \"/a/b\" }
allow \"never\" { port 80..90 port 100 }
",
    );
    let out = dir.run(&["lint", "p.pcl"]);
    out.assert(1);
    assert_eq!(
        out.stderr,
        "\
p.pcl:2:1: warning[shadowed-rule]: `ops deletes` never decides: every request it matches is decided by `no deletes`
  |
2 | allow \"ops deletes\" {
  | ^^^^^
p.pcl:6:42: warning[redundant-value]: `\"/a/b\"` is already covered by `\"/a/**\"` in this condition of `reads`
  |
6 | allow \"reads\" { method GET path \"/a/**\", \"/a/b\" }
  |                                          ^^^^^^
p.pcl:7:1: warning[unsatisfiable-rule]: `never` matches no valid request: its conditions on `port` exclude each other
  |
7 | allow \"never\" { port 80..90 port 100 }
  | ^^^^^
"
    );
}

#[test]
fn lint_stays_silent_where_the_rules_do_overlap_only_in_part() {
    let dir = Dir::new("lint_partial");
    dir.write(
        "p.pcl",
        "\
deny \"no deletes outside ops\" { method DELETE not identity \"spiffe://p/ns/ops/sa/*\" }
allow \"deletes\" { method DELETE }
allow \"reads\" { method GET path \"/a/*\", \"/b/**\" }
allow \"more reads\" { method GET, HEAD path \"/a/x\" }
allow \"regex\" { path ~ \"/a/.*\" }
allow \"regex covered?\" { path \"/a/y\" }
",
    );
    dir.run(&["lint", "p.pcl"]).assert(0);
}
