//! The committed CRD (`deploy/kubernetes/portcullispolicy.yaml`) is the generated one,
//! its schema is structural as Kubernetes requires, and it accepts every policy the
//! JSON Schema accepts that the tests try (it may be looser, never stricter).
//!
//! After a change to the JSON form, regenerate the file with
//! `UPDATE_CRD=1 cargo test -p portcullis-schema --test crd` (or
//! `portcullis schema --crd > deploy/kubernetes/portcullispolicy.yaml`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Validator, doc_policies, root};
use portcullis_support::workload::{Config, Workload};
use serde_json::{Value, json};

const CRD_PATH: &str = "deploy/kubernetes/portcullispolicy.yaml";

#[test]
fn the_committed_crd_is_the_generated_one() {
    let path = root().join(CRD_PATH);
    let generated = portcullis_schema::crd_yaml();
    if std::env::var_os("UPDATE_CRD").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{CRD_PATH} is not the generated CRD: run \
         `UPDATE_CRD=1 cargo test -p portcullis-schema --test crd` and commit the file"
    );
}

#[test]
fn the_crd_reads_back_as_the_crd() {
    let committed = std::fs::read_to_string(root().join(CRD_PATH)).unwrap();
    let read: Value = serde_norway::from_str(&committed).unwrap();
    assert_eq!(read, portcullis_schema::crd());
}

/// The keywords of Kubernetes' `JSONSchemaProps` that the CRD may use.
const KEYWORDS: &[&str] = &[
    "description",
    "type",
    "format",
    "enum",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "minProperties",
    "maxProperties",
    "pattern",
    "required",
    "items",
    "properties",
    "oneOf",
    "anyOf",
    "nullable",
    "x-kubernetes-preserve-unknown-fields",
];

/// Kubernetes' rules for a structural schema (apiextensions.k8s.io/v1): every node
/// typed (or `x-kubernetes-preserve-unknown-fields`), no `$ref`; inside `anyOf` and
/// `oneOf` no `type`, `description` or `nullable`, and only properties that are also
/// specified outside.
fn structural_errors(node: &Value, here: &str, in_junctor: bool, errors: &mut Vec<String>) {
    let Some(map) = node.as_object() else {
        errors.push(format!("{here}: not a schema object"));
        return;
    };
    for key in map.keys() {
        if !KEYWORDS.contains(&key.as_str()) {
            errors.push(format!("{here}: keyword `{key}` is not allowed"));
        }
    }
    let preserve = map.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
    if in_junctor {
        for key in ["type", "description", "nullable", "default"] {
            if map.contains_key(key) {
                errors.push(format!("{here}: `{key}` inside anyOf/oneOf"));
            }
        }
    } else if !preserve
        && map
            .get("type")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    {
        errors.push(format!("{here}: no type"));
    }
    if let Some(properties) = map.get("properties").and_then(Value::as_object) {
        for (name, child) in properties {
            structural_errors(
                child,
                &format!("{here}/properties/{name}"),
                in_junctor,
                errors,
            );
        }
    }
    if let Some(items) = map.get("items") {
        structural_errors(items, &format!("{here}/items"), in_junctor, errors);
    }
    for junctor in ["anyOf", "oneOf"] {
        let Some(branches) = map.get(junctor).and_then(Value::as_array) else {
            continue;
        };
        for (i, branch) in branches.iter().enumerate() {
            let place = format!("{here}/{junctor}/{i}");
            structural_errors(branch, &place, true, errors);
            for name in branch
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = name.as_str().unwrap_or_default();
                if map.get("properties").and_then(|p| p.get(name)).is_none() {
                    errors.push(format!("{place}: `{name}` is not specified outside"));
                }
            }
        }
    }
}

fn open_api_schema() -> Value {
    portcullis_schema::crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone()
}

#[test]
fn the_crd_schema_is_structural() {
    let mut errors = Vec::new();
    structural_errors(&open_api_schema(), "", false, &mut errors);
    assert!(
        errors.is_empty(),
        "not a structural schema:\n{}",
        errors.join("\n")
    );
    let crd = portcullis_schema::crd();
    assert_eq!(crd["kind"], "CustomResourceDefinition");
    assert_eq!(crd["spec"]["names"]["kind"], "PortcullisPolicy");
    assert_eq!(crd["metadata"]["name"], "portcullispolicies.portcullis.dev");
}

#[test]
fn the_structural_check_finds_what_kubernetes_refuses() {
    let mut errors = Vec::new();
    let bad = json!({"type": "object", "properties": {
        "a": {"$ref": "#/$defs/A"},
        "b": {"description": "untyped"},
        "c": {"type": "object", "oneOf": [{"type": "string"}, {"required": ["d"]}]}}});
    structural_errors(&bad, "", false, &mut errors);
    assert_eq!(errors.len(), 5, "{errors:#?}");
}

fn resource(spec: &Value) -> Value {
    json!({"apiVersion": "portcullis.dev/v1alpha1", "kind": "PortcullisPolicy",
           "metadata": {"name": "p"}, "spec": spec})
}

#[test]
fn the_crd_accepts_the_policies_the_schema_accepts() {
    // The OpenAPI schema read as a JSON Schema (its `nullable` and
    // `x-kubernetes-*` keywords are unknown to the validator and ignored).
    let crd = Validator::new(open_api_schema());
    let policy = Validator::policy();
    let mut specs: Vec<Value> = doc_policies().into_iter().map(|(_, p)| p).collect();
    for rules in [5, 40] {
        let text = Workload::generate(Config::full(rules)).policy_text();
        let file = portcullis::syntax::parse(&text).unwrap();
        specs.push(serde_json::to_value(&file).unwrap());
    }
    for spec in specs {
        assert!(policy.accepts(&spec));
        if let Err(places) = crd.check(&resource(&spec)) {
            panic!("the CRD refuses a valid policy at {places:?}:\n{spec:#}");
        }
    }
    // And it checks what it types.
    for spec in [
        json!({"rules": [{"effect": "permit", "name": "r"}]}),
        json!({"rules": [{"effect": "allow"}]}),
        json!({"tests": [{"name": "t", "expectations": [{"effect": "allow", "method": "GET", "path": "/", "fields": [{"port": "80"}]}]}]}),
    ] {
        assert!(!crd.accepts(&resource(&spec)), "the CRD accepts {spec}");
    }
}
