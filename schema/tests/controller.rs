//! The example controller (`examples/controller.rs`) on resources as `kubectl get
//! portcullispolicies -o json` prints them: one status line per resource, ready or
//! the diagnostics at JSON Pointers into the resource.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[allow(dead_code, reason = "the example's `main` is not called here")]
#[path = "../examples/controller.rs"]
mod controller;

use serde_json::{Value, json};

const FIXTURE: &str = include_str!("data/portcullispolicies.json");

fn statuses(input: &str) -> Vec<Value> {
    controller::run(input)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn a_good_and_a_bad_resource() {
    let lines = statuses(FIXTURE);
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        json!({
            "apiVersion": "portcullis.dev/v1alpha1",
            "kind": "PortcullisPolicy",
            "metadata": {"name": "orders", "namespace": "shop"},
            "status": {"ready": true, "observedGeneration": 3},
        })
    );
    assert_eq!(
        lines[1]["metadata"],
        json!({"name": "payments", "namespace": "shop"})
    );
    let status = &lines[1]["status"];
    assert_eq!(status["ready"], false);
    assert_eq!(status["observedGeneration"], 7);
    let diagnostics = status["diagnostics"].as_array().unwrap();
    let at = |location: &str| {
        diagnostics
            .iter()
            .find(|d| d["location"] == location)
            .unwrap_or_else(|| panic!("no diagnostic at {location}: {diagnostics:#?}"))["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(at("/spec/rules/0/when/0/test/in/name").contains("`frontend`"));
    assert!(at("/spec/rules/0/when/1/test/values/1").contains("70000"));
    assert_eq!(diagnostics.len(), 2, "{diagnostics:#?}");
}

#[test]
fn a_single_resource_with_a_shape_error_and_a_failing_test() {
    let resource = |spec: Value| {
        json!({"apiVersion": "portcullis.dev/v1alpha1", "kind": "PortcullisPolicy",
               "metadata": {"name": "p", "namespace": "n", "generation": 1}, "spec": spec})
        .to_string()
    };
    let shape = resource(json!({"rules": [{"effect": "allow", "name": "r", "when": [
        {"subject": "method", "test": {"values": [{"method": "GET"}]}},
        {"subject": "verb", "test": "present"}]}]}));
    let status = &statuses(&shape)[0]["status"];
    assert_eq!(status["ready"], false);
    assert_eq!(
        status["diagnostics"][0]["location"],
        "/spec/rules/0/when/1/subject"
    );

    let failing = resource(json!({
        "rules": [{"effect": "allow", "name": "r", "when": [
            {"subject": "method", "test": {"values": [{"method": "GET"}]}}]}],
        "tests": [{"name": "t", "expectations": [
            {"effect": "allow", "method": "GET", "path": "/"},
            {"effect": "allow", "method": "POST", "path": "/"}]}]}));
    let status = &statuses(&failing)[0]["status"];
    assert_eq!(status["ready"], false);
    let diagnostics = status["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["location"], "/spec/tests/0/expectations/1");
    assert!(
        diagnostics[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("test `t`: ")
    );
}

#[test]
fn what_is_not_a_portcullis_policy_is_an_error() {
    assert!(controller::run("{\"kind\": \"ConfigMap\"}").is_err());
    assert!(controller::run("not json").is_err());
}
