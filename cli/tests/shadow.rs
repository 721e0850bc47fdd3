//! `portcullis eval --shadow` (CLI.md, *`eval --shadow`*): every decision line gains
//! `shadow`, the candidate policy's decision object; the enforced fields are those
//! of the enforced policy alone.

mod common;

use common::{Dir, MESH, REQUESTS};
use serde_json::Value;

const ENFORCED: &str = r#"default deny
allow "read" { method GET }
audit "debug" { header "x-debug" present }
"#;

const CANDIDATE: &str = r#"default deny
allow "read or write" { method GET, POST }
deny "no admin" { path "/admin/**" }
"#;

#[test]
fn shadow_adds_the_candidates_decision_and_keeps_the_enforced_one() {
    let dir = Dir::new("shadow_adds");
    dir.write("p.pcl", ENFORCED).write("c.pcl", CANDIDATE);
    let requests = [
        r#"{"method":"GET","path":"/a","id":1}"#,
        r#"{"method":"POST","path":"/a","headers":{"x-debug":"1"}}"#,
        r#"{"method":"GET","path":"/admin/x","id":"z"}"#,
        r#"{"method":"GET","path":"/a%2Fb"}"#,
    ];
    dir.write("r.jsonl", requests.join("\n"));
    let out = dir.run(&["eval", "-p", "p.pcl", "--shadow", "c.pcl", "r.jsonl"]);
    out.assert(0);
    assert_eq!(
        out.lines(),
        [
            r#"{"decision":"allow","reason":"rule","rule":"read","audit":[],"shadow":{"decision":"allow","reason":"rule","rule":"read or write","audit":[]},"id":1}"#,
            r#"{"decision":"deny","reason":"default","rule":null,"audit":["debug"],"shadow":{"decision":"allow","reason":"rule","rule":"read or write","audit":[]}}"#,
            r#"{"decision":"allow","reason":"rule","rule":"read","audit":[],"shadow":{"decision":"deny","reason":"rule","rule":"no admin","audit":[]},"id":"z"}"#,
            r#"{"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"encoded slash in path","shadow":{"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"encoded slash in path"}}"#,
        ]
    );
}

#[test]
fn shadow_equals_eval_of_each_policy_alone() {
    let dir = Dir::new("shadow_equals_eval");
    dir.write("mesh.pcl", MESH)
        .write("requests.jsonl", REQUESTS)
        .write(
            "candidate.pcl",
            "default allow\ndeny \"no deletes\" { method DELETE }\n",
        );
    let enforced = dir.run(&["eval", "-p", "mesh.pcl", "requests.jsonl"]);
    let candidate = dir.run(&["eval", "-p", "candidate.pcl", "requests.jsonl"]);
    let both = dir.run(&[
        "eval",
        "-p",
        "mesh.pcl",
        "--shadow",
        "candidate.pcl",
        "requests.jsonl",
    ]);
    both.assert(enforced.status);
    let lines = both.lines();
    assert_eq!(lines.len(), enforced.lines().len());
    for ((line, alone), shadow_alone) in lines.iter().zip(enforced.lines()).zip(candidate.lines()) {
        let mut value: Value = serde_json::from_str(line).unwrap();
        let object = value.as_object_mut().unwrap();
        let shadow = object.remove("shadow").unwrap();
        let alone: Value = serde_json::from_str(alone).unwrap();
        let mut shadow_alone: Value = serde_json::from_str(shadow_alone).unwrap();
        // `id` is echoed on the line, not inside `shadow`.
        let id = shadow_alone.as_object_mut().unwrap().remove("id");
        assert_eq!(id, alone.as_object().unwrap().get("id").cloned());
        assert_eq!(value, alone, "{line}");
        assert_eq!(shadow, shadow_alone, "{line}");
    }
}

#[test]
fn shadow_files_form_one_policy() {
    let dir = Dir::new("shadow_files");
    dir.write("p.pcl", "default deny\n")
        .write(
            "c1.pcl",
            "default deny\nlet ops = [\"spiffe://p/ns/ops/sa/*\"]\n",
        )
        .write("c2.pcl", "allow \"ops\" { identity in ops }\n")
        .write(
            "r.jsonl",
            r#"{"method":"GET","path":"/","identity":"spiffe://p/ns/ops/sa/a"}"#,
        );
    let out = dir.run(&[
        "eval", "-p", "p.pcl", "--shadow", "c1.pcl", "--shadow", "c2.pcl", "r.jsonl",
    ]);
    out.assert(0);
    assert_eq!(
        out.lines(),
        [
            r#"{"decision":"deny","reason":"default","rule":null,"audit":[],"shadow":{"decision":"allow","reason":"rule","rule":"ops","audit":[]}}"#
        ]
    );
}

#[test]
fn shadow_that_does_not_compile_exits_1() {
    let dir = Dir::new("shadow_bad");
    dir.write("p.pcl", "default deny\n")
        .write("c.pcl", "default dney\n")
        .write("r.jsonl", r#"{"method":"GET","path":"/"}"#);
    let out = dir.run(&["eval", "-p", "p.pcl", "--shadow", "c.pcl", "r.jsonl"]);
    out.assert(1);
    assert!(out.stdout.is_empty(), "{out:#?}");
    assert!(out.stderr.starts_with("c.pcl:1:9: error: "), "{out:#?}");
}

#[test]
fn shadow_invalid_lines_and_normalization_options() {
    let dir = Dir::new("shadow_invalid");
    dir.write("p.pcl", "allow \"a\" { path \"/a/b\" }\n")
        .write("c.pcl", "deny \"a\" { path \"/a/b\" }\n")
        .write(
            "r.jsonl",
            "{\"method\":\"GET\"}\n{\"method\":\"GET\",\"path\":\"/a;x/b\"}\n",
        );
    let out = dir.run(&[
        "eval",
        "-p",
        "p.pcl",
        "--shadow",
        "c.pcl",
        "--semicolon",
        "strip",
        "r.jsonl",
    ]);
    out.assert(2);
    let lines = out.lines();
    assert_eq!(
        lines[0],
        r#"{"error":"line 1, column 16: missing field `path`"}"#
    );
    assert_eq!(
        lines[1],
        r#"{"decision":"allow","reason":"rule","rule":"a","audit":[],"shadow":{"decision":"deny","reason":"rule","rule":"a","audit":[]}}"#
    );
}

#[test]
fn shadow_and_requests_cannot_both_be_stdin() {
    let dir = Dir::new("shadow_stdin");
    dir.write("p.pcl", "default deny\n");
    let out = dir.run_with_stdin(&["eval", "-p", "p.pcl", "--shadow", "-"], Some(b""));
    out.assert_usage_error();
    let out = dir.run_with_stdin(&["eval", "-p", "-", "--shadow", "-", "r.jsonl"], Some(b""));
    out.assert_usage_error();
    dir.write("r.jsonl", r#"{"method":"GET","path":"/"}"#);
    let out = dir.run_with_stdin(
        &["eval", "-p", "p.pcl", "--shadow", "-", "r.jsonl"],
        Some(b"default allow\n"),
    );
    out.assert(0);
    assert_eq!(
        out.lines(),
        [
            r#"{"decision":"deny","reason":"default","rule":null,"audit":[],"shadow":{"decision":"allow","reason":"default","rule":null,"audit":[]}}"#
        ]
    );
}
