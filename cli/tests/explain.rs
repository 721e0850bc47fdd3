//! `portcullis explain` (CLI.md, *`explain`*): `eval`'s decision fields, then `rules`
//! with every rule in source order, `matched`, and the first failing condition's text
//! and place; exit statuses as `eval`.

mod common;

use common::{Dir, MESH, REQUESTS};
use serde_json::Value;

const PAYMENTS: &str = r#"default deny

allow "frontends read orders" {
  identity "spiffe://prod.example.com/ns/web/sa/*"
  method GET,
         HEAD
  path "/api/v1/orders/{id}"
}

deny "no deletes" { method DELETE  not source in [10.0.0.0/8] }

audit "probes" { path "/healthz" }
"#;

#[test]
fn explain_prints_every_rule_with_its_first_failing_condition() {
    let dir = Dir::new("explain_rules");
    dir.write("payments.pcl", PAYMENTS);
    let requests = [
        r#"{"id":7,"method":"POST","path":"/api/v1/orders/1","identity":"spiffe://prod.example.com/ns/web/sa/frontend"}"#,
        r#"{"method":"DELETE","path":"/healthz","source":"10.1.2.3"}"#,
        r#"{"method":"GET","path":"/a%2Fb","id":"x"}"#,
    ];
    dir.write("r.jsonl", requests.join("\n"));
    let out = dir.run(&["explain", "-p", "payments.pcl", "r.jsonl"]);
    out.assert(0);
    assert_eq!(
        out.lines(),
        [
            concat!(
                r#"{"decision":"deny","reason":"default","rule":null,"audit":[],"rules":["#,
                r#"{"rule":"frontends read orders","effect":"allow","matched":false,"failed":{"condition":"method GET, HEAD","at":"payments.pcl:5:3"}},"#,
                r#"{"rule":"no deletes","effect":"deny","matched":false,"failed":{"condition":"method DELETE","at":"payments.pcl:10:21"}},"#,
                r#"{"rule":"probes","effect":"audit","matched":false,"failed":{"condition":"path \"/healthz\"","at":"payments.pcl:12:18"}}],"id":7}"#,
            ),
            concat!(
                r#"{"decision":"deny","reason":"default","rule":null,"audit":["probes"],"rules":["#,
                r#"{"rule":"frontends read orders","effect":"allow","matched":false,"failed":{"condition":"identity \"spiffe://prod.example.com/ns/web/sa/*\"","at":"payments.pcl:4:3"}},"#,
                r#"{"rule":"no deletes","effect":"deny","matched":false,"failed":{"condition":"not source in [10.0.0.0/8]","at":"payments.pcl:10:36"}},"#,
                r#"{"rule":"probes","effect":"audit","matched":true,"failed":null}]}"#,
            ),
            r#"{"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"encoded slash in path","rules":[],"id":"x"}"#,
        ]
    );
}

#[test]
fn explain_decisions_are_evals() {
    let dir = Dir::new("explain_is_eval");
    dir.write("mesh.pcl", MESH)
        .write("requests.jsonl", REQUESTS);
    let eval = dir.run(&["eval", "-p", "mesh.pcl", "requests.jsonl"]);
    let explain = dir.run(&["explain", "-p", "mesh.pcl", "requests.jsonl"]);
    explain.assert(eval.status);
    let rules = portcullis::Policy::compile(MESH).unwrap().rule_count();
    assert_eq!(explain.lines().len(), eval.lines().len());
    for (explained, evaluated) in explain.lines().iter().zip(eval.lines()) {
        let mut explained: Value = serde_json::from_str(explained).unwrap();
        let evaluated: Value = serde_json::from_str(evaluated).unwrap();
        let object = explained.as_object_mut().unwrap();
        match object.remove("rules") {
            Some(Value::Array(entries)) => {
                let invalid = object["reason"] == "invalid_request";
                assert_eq!(entries.len(), if invalid { 0 } else { rules });
                for entry in &entries {
                    let matched = entry["matched"].as_bool().unwrap();
                    assert_eq!(matched, entry["failed"].is_null(), "{entry}");
                }
                // The deciding rule matched.
                if let Some(name) = object["rule"].as_str() {
                    assert!(
                        entries
                            .iter()
                            .any(|e| e["rule"] == name && e["matched"] == true)
                    );
                }
            }
            // An input error line has no decision and no rules.
            None => assert!(object.contains_key("error") && !object.contains_key("decision")),
            Some(other) => panic!("rules is {other}"),
        }
        assert_eq!(explained, evaluated);
    }
}

#[test]
fn explain_exit_statuses_are_evals() {
    let dir = Dir::new("explain_status");
    dir.write("p.pcl", "default deny\n")
        .write("bad.pcl", "default dney\n")
        .write(
            "r.jsonl",
            "{\"method\":\"GET\"}\n{\"method\":\"GET\",\"path\":\"/\"}\n",
        );
    let out = dir.run(&["explain", "-p", "p.pcl", "r.jsonl"]);
    out.assert(2);
    assert_eq!(
        out.lines(),
        [
            r#"{"error":"line 1, column 16: missing field `path`"}"#,
            r#"{"decision":"deny","reason":"default","rule":null,"audit":[],"rules":[]}"#,
        ]
    );
    let out = dir.run(&["explain", "-p", "bad.pcl", "r.jsonl"]);
    out.assert(1);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.starts_with("bad.pcl:1:9: error: "), "{out:#?}");
    dir.run(&["explain", "r.jsonl"]).assert_usage_error();
    dir.run_with_stdin(&["explain", "-p", "-"], Some(b""))
        .assert_usage_error();
}

#[test]
fn explain_normalization_options_and_json_policies() {
    let dir = Dir::new("explain_json");
    dir.write(
        "p.json",
        r#"{"rules": [{"effect": "allow", "name": "r", "when": [{"subject": "path", "test": {"values": ["/a/b"]}}]}]}"#,
    )
    .write("r.jsonl", r#"{"method":"GET","path":"/a;x/b"}"#);
    let out = dir.run(&["explain", "-p", "p.json", "r.jsonl"]);
    out.assert(0);
    assert_eq!(
        out.lines(),
        [
            r#"{"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"semicolon in path","rules":[]}"#
        ]
    );
    let out = dir.run(&["explain", "-p", "p.json", "--semicolon", "keep", "r.jsonl"]);
    out.assert(0);
    assert_eq!(
        out.lines(),
        [
            r#"{"decision":"deny","reason":"default","rule":null,"audit":[],"rules":[{"rule":"r","effect":"allow","matched":false,"failed":{"condition":"path \"/a/b\"","at":"p.json:/rules/0/when/0"}}]}"#
        ]
    );
    let out = dir.run(&["explain", "-p", "p.json", "--semicolon", "strip", "r.jsonl"]);
    out.assert(0);
    assert_eq!(
        out.lines(),
        [
            r#"{"decision":"allow","reason":"rule","rule":"r","audit":[],"rules":[{"rule":"r","effect":"allow","matched":true,"failed":null}]}"#
        ]
    );
}
