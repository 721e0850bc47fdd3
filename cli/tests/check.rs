//! `portcullis check` as documented (`docs/language.md`, *Errors*): exit statuses and the diagnostics
//! format.

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
    dir.write_base_and_rules();
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

// ---------------------------------------------------------------------------
// Policies in the JSON form

/// The first line of each diagnostic (`file:location: error: message`).
fn heads(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(": error: ")).collect()
}

#[test]
fn check_reads_json_policies() {
    let dir = Dir::new("check_json");
    let file = portcullis::syntax::parse(MESH).unwrap();
    dir.write("mesh.json", serde_json::to_string_pretty(&file).unwrap());
    let out = dir.run(&["check", "mesh.json"]);
    out.assert(0);
    assert!(out.stderr.is_empty(), "{out:#?}");
    // Text and JSON files form one policy.
    dir.write("base.pcl", "default deny\nlet office = [10.0.0.0/8]\n");
    dir.write(
        "rules.json",
        r#"{"rules": [{"effect": "allow", "name": "o", "when": [
            {"subject": "source", "test": {"in": {"name": "office"}}}]}]}"#,
    );
    dir.run(&["check", "base.pcl", "rules.json"]).assert(0);
    let out = dir.run(&["check", "rules.json"]);
    out.assert(1);
    assert_eq!(
        heads(&out.stderr),
        ["rules.json:/rules/0/when/0/test/in/name: error: undefined name `office`"]
    );
    // A `.json` file from stdin is not a thing: `-` is read as text.
    let out = dir.run_with_stdin(&["check", "-"], Some(b"{\"default\": \"deny\"}"));
    out.assert(1);
    assert!(out.stderr.starts_with("<stdin>:1:1: error: "), "{out:#?}");
}

#[test]
fn check_json_diagnostics_name_the_json_location() {
    let dir = Dir::new("check_json_locations");
    let json = r#"{"default": "deny",
 "let": [{"name": "office", "value": [{"address": "10.0.0.0/8"}]}],
 "rules": [
   {"effect": "allow", "name": "ops", "when": [
     {"subject": "source", "test": {"in": {"name": "ofice"}}},
     {"subject": "port", "test": {"values": [80, 70000]}}]},
   {"effect": "deny", "name": "ops", "when": []}]}
"#;
    dir.write("policy.json", json);
    let out = dir.run(&["check", "policy.json"]);
    out.assert(1);
    assert!(out.stdout.is_empty(), "{out:#?}");
    assert_eq!(
        heads(&out.stderr),
        [
            "policy.json:/rules/0/when/0/test/in/name: error: undefined name `ofice`; did you mean `office`?",
            "policy.json:/rules/0/when/1/test/values/1: error: port `70000` is above 65535",
            "policy.json:/rules/1/name: error: duplicate rule name `ops`",
        ]
    );
    // Each with its JSON line and a caret under the node.
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        lines[1..4],
        [
            "  |",
            r#"5 |      {"subject": "source", "test": {"in": {"name": "ofice"}}},"#,
            "  |                                                    ^^^^^^^",
        ]
    );
    assert_eq!(lines[7], format!("  | {}^^^^^", " ".repeat(49)));
    // Related places too: the first rule of the name.
    assert_eq!(
        lines[12..16],
        [
            "policy.json:/rules/0/name: note: first defined here",
            "  |",
            r#"4 |    {"effect": "allow", "name": "ops", "when": ["#,
            "  |                                ^^^^^",
        ]
    );
    // Across a text and a JSON file, each place in its own form.
    dir.write("first.pcl", "allow \"ops\" {}\n");
    dir.write(
        "second.json",
        r#"{"rules": [{"effect": "deny", "name": "ops"}]}"#,
    );
    let out = dir.run(&["check", "first.pcl", "second.json"]);
    out.assert(1);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        [lines[0], lines[4]],
        [
            "second.json:/rules/0/name: error: duplicate rule name `ops`",
            "first.pcl:1:7: note: first defined here",
        ]
    );
}

#[test]
fn check_json_that_is_not_a_policy() {
    let dir = Dir::new("check_json_not_a_policy");
    for (json, head) in [
        // Shape errors, at the JSON location.
        (
            r#"{"rules": [{"effect": "allow", "name": "r", "when": [{"subject": "path", "test": {"glob": "/a"}}]}]}"#,
            "p.json:/rules/0/when/0/test/glob: error: unknown variant `glob`, expected one of `values`, `in`, `regex`, `present`, `equals`",
        ),
        (
            r#"{"rules": [{"effect": "allow", "when": []}]}"#,
            "p.json:/rules/0: error: missing field `name`",
        ),
        (
            r#"{"rules": [{"effect": "permit", "name": "r"}]}"#,
            "p.json:/rules/0/effect: error: unknown variant `permit`, expected one of `allow`, `deny`, `audit`",
        ),
        (
            r#"{"rules": [5]}"#,
            "p.json:/rules/0: error: invalid type: integer `5`, expected an object",
        ),
        (
            r#"{"let": [{"name": "a", "value": true}]}"#,
            "p.json:/let/0/value: error: not a `let` value: a value or a list of values",
        ),
        (
            r#"{"rules": [{"effect": "allow", "name": "r", "when": [{"subject": "port", "test": {"values": [80, {"range": [1, "x"]}]}}]}]}"#,
            "p.json:/rules/0/when/0/test/values/1: error: not a value: a string, a port number, or an object `{\"method\": ...}`, `{\"address\": ...}`, `{\"range\": [from, to]}` or `{\"name\": ...}`",
        ),
        (
            r#"{"colour": "red"}"#,
            "p.json:/colour: error: unknown field `colour`, expected one of `default`, `let`, `rules`, `tests`, `end_comments`",
        ),
        // A tree the text form cannot hold, at the node it cannot hold.
        (
            r#"{"rules": [{"effect": "allow", "name": "r", "when": [
                {"subject": "method", "test": {"values": [{"method": "GET"}]}},
                {"subject": "source", "test": {"values": [{"address": "10.0.0.0/8, 0.0.0.0/0"}]}}]}]}"#,
            r#"p.json:/rules/0/when/1/test/values/0: error: "10.0.0.0/8, 0.0.0.0/0" is neither a valid name nor a valid address"#,
        ),
        // Not JSON, or not an object: at the line and column.
        (
            "{\"rules\": [\n  {\"effect\": \"allow\", \"name\": \"x\",}]}",
            "p.json:2:35: error: trailing comma",
        ),
        (
            "[1]",
            "p.json:1:1: error: a policy in the JSON form is a JSON object",
        ),
        ("", "p.json:1:1: error: EOF while parsing a value"),
    ] {
        dir.write("p.json", json);
        let out = dir.run(&["check", "p.json"]);
        out.assert(1);
        assert_eq!(heads(&out.stderr), [head], "{json}");
        assert!(!out.stderr.contains("enum"), "{out:#?}");
        assert!(!out.stderr.contains("struct"), "{out:#?}");
    }
}
