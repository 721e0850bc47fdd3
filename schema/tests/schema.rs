//! The schema is the core's JSON form, checked with a real validator (boon):
//!
//! - every policy the generators make, serialized by the core, validates, and reads
//!   into the mirror types and prints back unchanged;
//! - documents mutated from those are accepted by the schema exactly when the core
//!   reads them (and by the mirror types exactly when the core does), apart from
//!   one documented leniency of serde's;
//! - the policies the docs show in the JSON form validate and compile;
//! - invalid documents are refused, at the right place.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Validator, core_reads, doc_policies, root};
use portcullis::syntax;
use portcullis_schema::form;
use portcullis_support::reference::generate;
use portcullis_support::workload::{Config, Rng, Workload};
use proptest::prelude::*;
use serde_json::{Value, json};

/// The core's JSON form of policy text.
fn core_json(text: &str) -> Value {
    let file = syntax::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    serde_json::to_value(&file).unwrap()
}

/// A valid policy validates, and reads into the mirror and prints back unchanged.
fn assert_in_step(validator: &Validator, json: &Value) {
    if let Err(places) = validator.check(json) {
        panic!("the schema refuses a policy of the core at {places:?}:\n{json:#}");
    }
    let mirror: form::Policy = serde_json::from_value(json.clone())
        .unwrap_or_else(|e| panic!("the mirror types refuse a policy of the core: {e}\n{json:#}"));
    assert_eq!(&serde_json::to_value(&mirror).unwrap(), json);
}

/// Policy text with every construct of the JSON form, comments and tests included.
fn fixed_corpus() -> Vec<String> {
    let mut texts = vec![
        std::fs::read_to_string(root().join("examples/mesh.pcl")).unwrap(),
        std::fs::read_to_string(root().join("tests/data/spec_example.pcl")).unwrap(),
        r#"# top
default allow # why
let one = "a"
let none = []
let nets = [10.0.0.0/8, 2001:db8::/32, 192.0.2.1] # nets
allow "every kind" {
  # before
  identity "spiffe://x/ns/a/sa/*", one
  method GET, "M-SEARCH"
  path "/a/{id}/**"
  host "*.svc", "a.svc"
  port 80, 8000..8100
  source in nets
  source in [10.1.0.0/16]
  header "x-env" == "prod"
  not header "x-debug" present
  attr "groups" in ["eng", "ops"]
  path ~ "/v[0-9]+/.*" # after
  # end of rule
}
deny "none" {}
audit "a" { method DELETE }
test "t" {
  # first
  allow GET "/a/1/b" identity "spiffe://x/ns/a/sa/b" host "a.svc" port 8080 source 10.1.2.3 header "x-env" = "prod" attr "groups" = "eng" by "every kind"
  deny POST "/" by default
  allow GET "/x"
  # end of test
}
# end
"#
        .to_string(),
    ];
    for rules in [5, 60] {
        texts.push(Workload::generate(Config::full(rules)).policy_text());
    }
    texts
}

#[test]
fn the_fixed_corpus_is_in_step() {
    let validator = Validator::policy();
    for text in fixed_corpus() {
        assert_in_step(&validator, &core_json(&text));
    }
}

proptest! {
    #[test]
    fn generated_policies_are_in_step(policy in generate::policy(0..8)) {
        let validator = Validator::policy();
        assert_in_step(&validator, &core_json(&policy.print()));
    }

    #[test]
    fn mutated_policies_are_accepted_exactly_when_the_core_reads_them(
        policy in generate::policy(1..5),
        seed in any::<u64>(),
    ) {
        let validator = Validator::policy();
        let json = core_json(&policy.print());
        let mut rng = Rng::new(seed);
        for _ in 0..8 {
            let (mutated, what) = mutate(&json, &mut rng);
            assert_same_verdict(&validator, &mutated, &what);
        }
    }
}

#[test]
fn mutations_of_the_fixed_corpus_are_accepted_exactly_when_the_core_reads_them() {
    let validator = Validator::policy();
    let mut rng = Rng::new(0x5eed);
    for text in fixed_corpus() {
        let json = core_json(&text);
        for _ in 0..300 {
            let (mutated, what) = mutate(&json, &mut rng);
            assert_same_verdict(&validator, &mutated, &what);
        }
    }
}

/// The schema, the core and the mirror types agree on `document`. The one
/// exception: serde reads an object also from an array of its fields in order, so
/// the core reads `[]` where an object whose fields all have defaults (`comments`)
/// is expected; the schema, like the docs, says an object.
fn assert_same_verdict(validator: &Validator, document: &Value, what: &Mutation) {
    let core = core_reads(document);
    let mirror = serde_json::from_value::<form::Policy>(document.clone()).is_ok();
    assert_eq!(
        mirror, core,
        "the mirror types and the core disagree ({what:?}):\n{document:#}"
    );
    let schema = validator.check(document);
    match (&schema, core) {
        (Ok(()), true) | (Err(_), false) => {}
        (Ok(()), false) => {
            panic!("the schema accepts what the core refuses ({what:?}):\n{document:#}")
        }
        (Err(places), true) => assert!(
            what.array_for_object,
            "the schema refuses at {places:?} what the core reads ({what:?}):\n{document:#}"
        ),
    }
}

/// What a mutation did, for the failure message.
#[derive(Debug)]
#[allow(dead_code, reason = "read through Debug")]
struct Mutation {
    pointer: String,
    change: String,
    /// An object was replaced by an array (serde's leniency, see above).
    array_for_object: bool,
}

/// Replacements: every JSON type, and shapes the form uses elsewhere.
fn replacements() -> Vec<Value> {
    vec![
        json!("x"),
        json!("present"),
        json!("default"),
        json!("identity"),
        json!(""),
        json!(7),
        json!(-1),
        json!(1.5),
        json!(true),
        json!(null),
        json!({}),
        json!([]),
        json!(["x"]),
        json!(["x", "y"]),
        json!([80, 90]),
        json!({"x": 1}),
        json!({"name": "a"}),
        json!({"method": "GET"}),
        json!({"range": [1, 2]}),
        json!({"range": [1]}),
        json!({"values": ["a"]}),
        json!({"header": "x"}),
        json!({"header": ["x", "y"]}),
        json!({"rule": "r"}),
        json!({"before": ["c"]}),
        json!({"subject": "method", "test": "present"}),
    ]
}

/// One random change at a random node: remove it, replace it, or add an unknown
/// field to it.
fn mutate(document: &Value, rng: &mut Rng) -> (Value, Mutation) {
    let mut pointers = Vec::new();
    collect_pointers(document, String::new(), &mut pointers);
    let pointer = rng.pick(&pointers).cloned().unwrap_or_default();
    let mut out = document.clone();
    let target = out.pointer(&pointer).cloned().unwrap_or(Value::Null);
    let choice = rng.below(4);
    let (change, array_for_object) = if choice == 0 && !pointer.is_empty() {
        remove(&mut out, &pointer);
        ("removed".to_string(), false)
    } else if choice == 1 && target.is_object() {
        if let Some(Value::Object(map)) = out.pointer_mut(&pointer) {
            map.insert("unknown".into(), json!(1));
        }
        ("unknown field added".to_string(), false)
    } else {
        let replacements = replacements();
        let replacement = rng.pick(&replacements).cloned().unwrap_or(Value::Null);
        let array_for_object = target.is_object() && replacement.is_array();
        let change = format!("replaced by {replacement}");
        if let Some(node) = out.pointer_mut(&pointer) {
            *node = replacement;
        }
        (change, array_for_object)
    };
    (
        out,
        Mutation {
            pointer,
            change,
            array_for_object,
        },
    )
}

fn collect_pointers(value: &Value, here: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                collect_pointers(child, format!("{here}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_pointers(child, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(here);
}

fn remove(document: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let key = last.replace("~1", "/").replace("~0", "~");
    match document.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&key);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = key.parse::<usize>() {
                if i < items.len() {
                    items.remove(i);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn the_policies_in_the_docs_validate_and_compile() {
    let validator = Validator::policy();
    let policies = doc_policies();
    // language.md's policy, and the `PortcullisPolicy` of deploy.md.
    assert!(
        policies.iter().any(|(place, _)| place.contains("(spec)")),
        "no `PortcullisPolicy` found in the docs"
    );
    assert!(
        policies.len() >= 2,
        "the docs show a policy in the JSON form and a `PortcullisPolicy`: found {}",
        policies.len()
    );
    for (place, policy) in policies {
        if let Err(places) = validator.check(&policy) {
            panic!("{place}: the policy does not validate, at {places:?}");
        }
        let file: syntax::File = serde_json::from_value(policy)
            .unwrap_or_else(|e| panic!("{place}: the core does not read the policy: {e}"));
        if let Err(e) = portcullis::Policy::from_syntax(&file) {
            panic!("{place}: the policy does not compile:\n{e}");
        }
    }
}

#[test]
fn invalid_documents_are_refused_where_they_are_wrong() {
    let validator = Validator::policy();
    let rule = |when: Value| json!({"rules": [{"effect": "allow", "name": "r", "when": [when]}]});
    let cases = [
        (json!({"rule": []}), ""),
        (json!({"default": "permit"}), "/default"),
        (json!({"rules": [{"effect": "allow"}]}), "/rules/0"),
        (
            json!({"rules": [{"effect": "permit", "name": "r"}]}),
            "/rules/0/effect",
        ),
        (
            json!({"rules": [{"effect": "allow", "name": 5}]}),
            "/rules/0/name",
        ),
        (
            rule(json!({"subject": "verb", "test": "present"})),
            "/rules/0/when/0/subject",
        ),
        (
            rule(json!({"subject": "method", "test": {"values": "GET"}})),
            "/rules/0/when/0/test",
        ),
        (
            rule(json!({"subject": "port", "test": {"values": [{"range": [1]}]}})),
            "/rules/0/when/0/test",
        ),
        (
            rule(json!({"subject": "port", "test": {"values": [-1]}})),
            "/rules/0/when/0/test",
        ),
        (
            rule(
                json!({"subject": "source", "test": {"values": [{"address": "10.0.0.0/8", "x": 1}]}}),
            ),
            "/rules/0/when/0/test",
        ),
        (
            rule(json!({"not": "yes", "subject": "path", "test": "present"})),
            "/rules/0/when/0/not",
        ),
        (
            rule(json!({"subject": "path", "test": "present", "comments": {"before": "c"}})),
            "/rules/0/when/0/comments/before",
        ),
        (json!({"let": [{"name": "a"}]}), "/let/0"),
        (
            json!({"let": [{"name": "a", "value": [true]}]}),
            "/let/0/value",
        ),
        (
            json!({"tests": [{"name": "t", "expectations": [{"effect": "allow", "method": "GET", "path": "/", "fields": [{"header": ["x"]}]}]}]}),
            "/tests/0/expectations/0/fields/0",
        ),
        (
            json!({"tests": [{"name": "t", "expectations": [{"effect": "allow", "method": "GET", "path": "/", "by": "rule"}]}]}),
            "/tests/0/expectations/0/by",
        ),
        (json!("default deny"), ""),
    ];
    for (document, place) in cases {
        assert!(
            !core_reads(&document),
            "not invalid for the core: {document}"
        );
        match validator.check(&document) {
            Ok(()) => panic!("the schema accepts {document}"),
            Err(places) => assert!(
                places.iter().any(|p| p.starts_with(place)),
                "{document}: refused at {places:?}, not under `{place}`"
            ),
        }
    }
}

#[test]
fn the_schema_is_draft_2020_12_and_closed() {
    let schema = portcullis_schema::json_schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    // Every object of the form refuses unknown fields, as the core does.
    let mut open = Vec::new();
    closed(&schema, String::new(), &mut open);
    assert!(
        open.is_empty(),
        "objects without `additionalProperties: false`: {open:?}"
    );
}

fn closed(schema: &Value, here: String, open: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties")
                && map.get("additionalProperties") != Some(&json!(false))
            {
                open.push(here.clone());
            }
            for (key, child) in map {
                closed(child, format!("{here}/{key}"), open);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                closed(child, format!("{here}/{i}"), open);
            }
        }
        _ => {}
    }
}
