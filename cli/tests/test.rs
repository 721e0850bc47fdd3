//! `portcullis test` as documented (`docs/language.md`, *Tests*): the failure lines, the summary and the
//! exit statuses.

mod common;

use common::{Dir, MESH, assert_diagnostic, line_of};

#[test]
fn test_without_tests_says_so_and_fails() {
    // Issue 11: an empty file whose `test` run "passes" hides that nothing was tested.
    let dir = Dir::new("test_without_tests");
    dir.write("p.pcl", "default deny\n")
        .write("empty.pcl", "")
        .write("e.pcl", "allow \"a\" {}\ntest \"t\" {}\n");
    for file in ["p.pcl", "empty.pcl", "e.pcl"] {
        let out = dir.run(&["test", file]);
        out.assert(1);
        assert_eq!(out.stdout, "0 passed, 0 failed\n");
        assert_eq!(
            out.stderr,
            "portcullis: nothing to test: the policy has no `test` block with an expectation\n"
        );
    }
    // Tests in another file of the same policy count.
    dir.write("t.pcl", "test \"t\" { deny GET \"/\" }\n");
    dir.run(&["test", "p.pcl", "t.pcl"]).assert(0);
}

#[test]
fn test_coverage_counts_rules_matched_by_an_expectation() {
    let dir = Dir::new("test_coverage");
    let policy = r#"default deny
deny "no deletes" { method DELETE }
allow "reads" { method GET }
allow "say \"hi\"" { path "/hi" }
audit "debug" { header "x-debug" present }
allow "writes" { method POST path "/w" }
test "t" {
  deny DELETE "/"
  # matches "reads" too, though "no deletes" decides nothing here and "reads" allows
  allow GET "/" header "x-debug" = "1"
  # fails: "writes" needs the path too, so it is not matched
  allow POST "/x"
}
"#;
    dir.write("p.pcl", policy);
    let out = dir.run(&["test", "--coverage", "p.pcl"]);
    out.assert(1);
    assert_eq!(
        out.lines(),
        [
            "p.pcl:12:3: test `t`: expected allow, got deny (default)",
            "2 passed, 1 failed",
            r#"coverage: 3/5 rules matched by a test; never matched: "say \"hi\"", "writes""#,
        ]
    );
    // A rule that matched without deciding counts.
    dir.write(
        "q.pcl",
        "deny \"d\" {}\nallow \"a\" {}\ntest \"t\" { deny GET \"/\" by \"d\" }\n",
    );
    let out = dir.run(&["test", "--coverage", "q.pcl"]);
    out.assert(0);
    assert_eq!(
        out.lines(),
        [
            "1 passed, 0 failed",
            "coverage: 2/2 rules matched by a test"
        ]
    );
    // Without the flag, no coverage line.
    let out = dir.run(&["test", "q.pcl"]);
    assert_eq!(out.lines(), ["1 passed, 0 failed"]);
}

#[test]
fn test_coverage_reads_requests_with_the_options() {
    let dir = Dir::new("test_coverage_options");
    dir.write(
        "p.pcl",
        "allow \"a\" { path \"/a/b\" }\ntest \"t\" { allow GET \"/a;x/b\" }\n",
    );
    let out = dir.run(&["test", "--coverage", "p.pcl"]);
    out.assert(1);
    assert_eq!(
        out.lines()[2],
        r#"coverage: 0/1 rules matched by a test; never matched: "a""#
    );
    let out = dir.run(&["test", "--coverage", "--semicolon", "strip", "p.pcl"]);
    out.assert(0);
    assert_eq!(
        out.lines(),
        [
            "1 passed, 0 failed",
            "coverage: 1/1 rules matched by a test"
        ]
    );
}

#[test]
fn test_coverage_of_the_mesh_example() {
    let dir = Dir::new("test_coverage_mesh");
    dir.write("mesh.pcl", MESH);
    let out = dir.run(&["test", "--coverage", "mesh.pcl"]);
    out.assert(0);
    let lines = out.lines();
    assert_eq!(lines[0], "35 passed, 0 failed");
    assert!(lines[1].starts_with("coverage: "), "{out:#?}");
    assert_eq!(lines.len(), 2);
}

#[test]
fn test_the_mesh_example() {
    let dir = Dir::new("test_the_mesh_example");
    dir.write("mesh.pcl", MESH);
    let out = dir.run(&["test", "mesh.pcl"]);
    out.assert(0);
    assert_eq!(out.stdout, "35 passed, 0 failed\n");
    // Merging slashes or not changes none of its expectations.
    let out = dir.run(&["test", "--no-merge-slashes", "mesh.pcl"]);
    out.assert(0);
    assert_eq!(out.stdout, "35 passed, 0 failed\n");
}

#[test]
fn test_options_change_the_outcome() {
    let dir = Dir::new("test_options");
    dir.write("mesh.pcl", MESH);
    let block = "test `deny rules and malformed requests`";
    for (flags, needle) in [
        (&["--semicolon", "keep"][..], r#""/static/a;b.css""#),
        (&["--semicolon=strip"], r#""/static/a;b.css""#),
        (&["--backslash", "slash"], r#""/static\\site.css""#),
        (
            &["--escaped-slashes=keep"],
            r#""/api/v1/orders/..%2fadmin""#,
        ),
    ] {
        let mut args = vec!["test"];
        args.extend_from_slice(flags);
        args.push("mesh.pcl");
        let out = dir.run(&args);
        out.assert(1);
        let line = line_of(MESH, needle);
        let lines = out.lines();
        assert_eq!(lines.len(), 2, "{flags:?}: {out:#?}");
        assert!(
            lines[0].starts_with(&format!(
                "mesh.pcl:{line}:3: {block}: expected deny, got allow"
            )),
            "{flags:?}: {}",
            lines[0]
        );
        assert_eq!(lines[1], "34 passed, 1 failed");
    }
}

#[test]
fn test_failures_are_listed_then_the_summary() {
    let dir = Dir::new("test_failures");
    dir.write("rules.pcl", "allow \"probes\" { path \"/healthz\" }\n");
    dir.write(
        "t.pcl",
        "test \"t\" {\n  allow GET \"/\"\n  allow GET \"/healthz\" by \"probes\"\n  deny GET \"/healthz\"\n}\n",
    );
    let out = dir.run(&["test", "rules.pcl", "t.pcl"]);
    out.assert(1);
    let lines = out.lines();
    assert_eq!(lines.len(), 3, "{out:#?}");
    assert_eq!(
        lines[0],
        "t.pcl:2:3: test `t`: expected allow, got deny (default)"
    );
    assert!(
        lines[1].starts_with("t.pcl:4:3: test `t`: expected deny, got allow"),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "1 passed, 2 failed");
}

#[test]
fn test_compile_error_exits_1() {
    let dir = Dir::new("test_compile_error");
    dir.write(
        "bad.pcl",
        "default allow\ndefault deny\ntest \"t\" { deny GET \"/\" }\n",
    );
    let out = dir.run(&["test", "bad.pcl"]);
    out.assert(1);
    assert!(out.stdout.is_empty(), "{out:#?}");
    assert_diagnostic(&out.stderr, "bad.pcl", 2, 1, "default deny");
}

#[test]
fn test_reads_a_policy_from_stdin() {
    let dir = Dir::new("test_reads_stdin");
    let out = dir.run_with_stdin(&["test", "-"], Some(MESH.as_bytes()));
    out.assert(0);
    assert_eq!(out.stdout, "35 passed, 0 failed\n");
    let policy = "test \"t\" {\n  allow GET \"/\"\n}\n";
    let out = dir.run_with_stdin(&["test", "-"], Some(policy.as_bytes()));
    out.assert(1);
    assert_eq!(
        out.lines(),
        [
            "<stdin>:2:3: test `t`: expected allow, got deny (default)",
            "0 passed, 1 failed"
        ]
    );
}

#[test]
fn test_json_failures_name_the_expectation() {
    let dir = Dir::new("test_json_failures");
    let file = portcullis::syntax::parse(MESH).unwrap();
    dir.write("mesh.json", serde_json::to_string(&file).unwrap());
    let out = dir.run(&["test", "mesh.json"]);
    out.assert(0);
    assert_eq!(out.stdout, "35 passed, 0 failed\n");
    dir.write("rules.pcl", "allow \"probes\" { path \"/healthz\" }\n");
    dir.write(
        "t.json",
        r#"{"tests": [{"name": "t", "expectations": [
            {"effect": "allow", "method": "GET", "path": "/"},
            {"effect": "allow", "method": "GET", "path": "/healthz", "by": {"rule": "probes"}}]}]}"#,
    );
    let out = dir.run(&["test", "rules.pcl", "t.json"]);
    out.assert(1);
    assert_eq!(
        out.lines(),
        [
            "t.json:/tests/0/expectations/0: test `t`: expected allow, got deny (default)",
            "1 passed, 1 failed"
        ]
    );
}
