//! `portcullis check` against `spec/CLI.md`: exit statuses and the diagnostics
//! format.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Dir, MESH, assert_diagnostic};

#[test]
fn check_valid_policy() {
    let dir = Dir::new("check_valid_policy");
    dir.write("p.pcl", "default deny\n");
    let out = dir.run(&["check", "p.pcl"]);
    out.assert(0);
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:#?}");
}

#[test]
fn check_ignores_a_byte_order_mark() {
    let dir = Dir::new("check_ignores_a_byte_order_mark");
    dir.write("p.pcl", "\u{feff}default deny\n");
    dir.run(&["check", "p.pcl"]).assert(0);
    // Columns count from after the mark, as an editor shows the line.
    dir.write("q.pcl", "\u{feff}allow \"r\" { port 70000 }\n");
    let out = dir.run(&["check", "q.pcl"]);
    out.assert(1);
    assert!(out.stderr.starts_with("q.pcl:1:18: error:"), "{out:#?}");
}

#[test]
fn check_the_mesh_example() {
    let dir = Dir::new("check_the_mesh_example");
    dir.write("mesh.pcl", MESH);
    let out = dir.run(&["check", "mesh.pcl"]);
    out.assert(0);
    assert!(out.stderr.is_empty(), "{out:#?}");
}

#[test]
fn check_reports_every_error_with_location_and_caret() {
    let dir = Dir::new("check_reports_every_error");
    let text = "default deny\nallow \"r\" { port 70000 }\ndefault allow\n";
    dir.write("bad.pcl", text);
    let out = dir.run(&["check", "bad.pcl"]);
    out.assert(1);
    assert!(out.stdout.is_empty(), "{out:#?}");
    assert_diagnostic(&out.stderr, "bad.pcl", 2, 18, "allow \"r\" { port 70000 }");
    assert_diagnostic(&out.stderr, "bad.pcl", 3, 1, "default allow");
    // One `file:line:col: error:` line per error, in source order.
    let heads: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains(": error: "))
        .collect();
    assert_eq!(heads.len(), 2, "{}", out.stderr);
    assert!(heads[0].starts_with("bad.pcl:2:18: error: "));
    assert!(heads[1].starts_with("bad.pcl:3:1: error: "));
}

#[test]
fn check_undefined_name_is_reported_where_used() {
    let dir = Dir::new("check_undefined_name");
    let text = "let frontends = [\"spiffe://p/ns/web/sa/*\"]\n\nallow \"r\" {\n  identity in frontend\n}\n";
    dir.write("payments.pcl", text);
    let out = dir.run(&["check", "payments.pcl"]);
    out.assert(1);
    assert_diagnostic(&out.stderr, "payments.pcl", 4, 15, "  identity in frontend");
    assert!(out.stderr.contains("`frontend`"), "{}", out.stderr);
    let caret = out.stderr.lines().nth(3).unwrap();
    assert_eq!(caret, format!("  | {}^^^^^^^^", " ".repeat(14)));
}

#[test]
fn check_compiles_several_files_as_one_policy() {
    let dir = Dir::new("check_several_files");
    dir.write(
        "base.pcl",
        "default deny\nlet ops = [\"spiffe://p/ns/ops/sa/*\"]\n",
    );
    dir.write("rules.pcl", "allow \"ops\" { identity in ops }\n");
    dir.write("dup.pcl", "\nallow \"ops\" { method GET }\n");
    dir.write("second_default.pcl", "default allow\n");
    dir.run(&["check", "base.pcl", "rules.pcl"]).assert(0);
    // Alone, `rules.pcl` uses an undefined name.
    let out = dir.run(&["check", "rules.pcl"]);
    out.assert(1);
    assert_diagnostic(
        &out.stderr,
        "rules.pcl",
        1,
        27,
        "allow \"ops\" { identity in ops }",
    );
    // A duplicate across files is reported at its second occurrence; errors in file
    // order.
    let out = dir.run(&[
        "check",
        "base.pcl",
        "rules.pcl",
        "dup.pcl",
        "second_default.pcl",
    ]);
    out.assert(1);
    assert_diagnostic(&out.stderr, "dup.pcl", 2, 7, "allow \"ops\" { method GET }");
    assert_diagnostic(&out.stderr, "second_default.pcl", 1, 1, "default allow");
    let dup = out.stderr.find("dup.pcl:2:7:").unwrap();
    let second = out.stderr.find("second_default.pcl:1:1:").unwrap();
    assert!(dup < second, "{}", out.stderr);
}

#[test]
fn check_reads_a_policy_from_stdin() {
    let dir = Dir::new("check_reads_stdin");
    dir.write("base.pcl", "let ops = [\"spiffe://p/ns/ops/sa/*\"]\n");
    let out = dir.run_with_stdin(&["check", "-"], Some(b"default deny\n"));
    out.assert(0);
    assert!(out.stderr.is_empty(), "{out:#?}");
    // With other files, as one policy, in command-line order.
    let rules = b"allow \"ops\" { identity in ops }\n";
    dir.run_with_stdin(&["check", "base.pcl", "-"], Some(rules))
        .assert(0);
    // Diagnostics name it `<stdin>`.
    let out = dir.run_with_stdin(&["check", "-"], Some(rules));
    out.assert(1);
    assert_diagnostic(
        &out.stderr,
        "<stdin>",
        1,
        27,
        "allow \"ops\" { identity in ops }",
    );
    let out = dir.run_with_stdin(&["check", "-"], Some(b"default deny\xff\n"));
    out.assert(1);
    assert!(out.stderr.contains("<stdin>"), "{out:#?}");
}
