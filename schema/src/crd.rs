//! The `PortcullisPolicy` CRD, and the conversion of a JSON Schema into the
//! *structural* OpenAPI v3 schema that Kubernetes requires of a CRD: no `$ref`, a
//! `type` on every node, no `type` or `description` inside `anyOf`/`oneOf`, nothing
//! OpenAPI 3.0 lacks (`const`, `prefixItems`, `$defs`).
//!
//! A node that may be of several JSON types (a value is a string, a number or an
//! object; a subject a string or an object) cannot be typed in a structural schema:
//! it becomes `x-kubernetes-preserve-unknown-fields: true`, and what it holds is
//! checked by Portcullis when the policy is compiled (the controller), as it is for
//! everything a schema cannot say (names, addresses, regular expressions).

use serde_json::{Map, Value, json};

use crate::{json_schema, status_schema};

/// The API group of `PortcullisPolicy`.
pub const GROUP: &str = "portcullis.dev";
/// The version of `PortcullisPolicy` the CRD serves.
pub const VERSION: &str = "v1alpha1";
/// The kind.
pub const KIND: &str = "PortcullisPolicy";
/// The plural resource name (`kubectl get portcullispolicies`).
pub const PLURAL: &str = "portcullispolicies";

/// Formats Kubernetes knows; others (schemars' `uint64`, `uint16`) are left out.
const KNOWN_FORMATS: &[&str] = &["int32", "int64", "float", "double", "byte", "date-time"];

/// The `PortcullisPolicy` CustomResourceDefinition.
///
/// ```
/// let crd = portcullis_schema::crd();
/// let version = &crd["spec"]["versions"][0];
/// let spec = &version["schema"]["openAPIV3Schema"]["properties"]["spec"];
/// assert_eq!(spec["type"], "object");
/// assert_eq!(spec["properties"]["rules"]["type"], "array");
/// ```
pub fn crd() -> Value {
    let mut spec = structural(&json_schema());
    if let Some(spec) = spec.as_object_mut() {
        spec.insert(
            "description".into(),
            json!("The policy in its JSON form (docs/language.md, The JSON form)."),
        );
    }
    let mut status = structural(&status_schema());
    if let Some(status) = status.as_object_mut() {
        status.insert(
            "description".into(),
            json!("Written by the controller: whether the policy compiles, and why not."),
        );
    }
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{PLURAL}.{GROUP}")},
        "spec": {
            "group": GROUP,
            "names": {
                "kind": KIND,
                "listKind": format!("{KIND}List"),
                "plural": PLURAL,
                "singular": "portcullispolicy",
                "shortNames": ["pcpolicy"],
                "categories": ["portcullis"],
            },
            "scope": "Namespaced",
            "versions": [{
                "name": VERSION,
                "served": true,
                "storage": true,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"name": "Ready", "type": "boolean", "jsonPath": ".status.ready"},
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
                "schema": {"openAPIV3Schema": {
                    "description": "A Portcullis authorization policy, in its JSON form.",
                    "type": "object",
                    "required": ["spec"],
                    "properties": {
                        "apiVersion": {"type": "string"},
                        "kind": {"type": "string"},
                        "metadata": {"type": "object"},
                        "spec": spec,
                        "status": status,
                    },
                }},
            }],
        },
    })
}

/// A JSON Schema (as `schemars` writes it) made structural, for a CRD: references
/// inlined, every node typed or marked `x-kubernetes-preserve-unknown-fields`.
///
/// ```
/// use serde_json::json;
/// let schema = json!({"$defs": {"E": {"type": "string", "const": "a"}},
///     "type": "object", "additionalProperties": false,
///     "properties": {"e": {"$ref": "#/$defs/E"}, "n": {"type": ["integer", "null"]}}});
/// assert_eq!(portcullis_schema::structural(&schema), json!({"type": "object",
///     "properties": {"e": {"type": "string", "enum": ["a"]},
///     "n": {"type": "integer", "nullable": true}}}));
/// ```
pub fn structural(schema: &Value) -> Value {
    let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
    convert(schema, &defs, 0)
}

/// How deep references are followed (the JSON form is not recursive).
const MAX_DEPTH: usize = 64;

fn convert(node: &Value, defs: &Value, depth: usize) -> Value {
    let Some(object) = node.as_object() else {
        // `true` (anything): only an untyped node can say so.
        return preserve(None);
    };
    if depth > MAX_DEPTH {
        return preserve(None);
    }
    if let Some(target) = object.get("$ref").and_then(Value::as_str) {
        let name = target.strip_prefix("#/$defs/").unwrap_or(target);
        let resolved = defs.get(name).cloned().unwrap_or(Value::Bool(true));
        let mut inlined = convert(&resolved, defs, depth + 1);
        // A description beside the reference (a field's doc comment) wins.
        if let (Some(description), Some(out)) = (object.get("description"), inlined.as_object_mut())
        {
            out.insert("description".into(), description.clone());
        }
        return inlined;
    }
    let description = object.get("description").cloned();
    for junctor in ["anyOf", "oneOf"] {
        if let Some(branches) = object.get(junctor).and_then(Value::as_array) {
            return alternatives(branches, description, defs, depth);
        }
    }
    let mut out = Map::new();
    for (key, value) in object {
        match key.as_str() {
            "$schema" | "$defs" | "title" | "default" | "examples" => {}
            "additionalProperties" if value == &Value::Bool(false) => {}
            "format" if !value.as_str().is_some_and(|f| KNOWN_FORMATS.contains(&f)) => {}
            "const" => {
                out.insert("enum".into(), json!([value]));
            }
            "type" => match value {
                Value::Array(types) => {
                    let typed: Vec<&Value> = types.iter().filter(|t| *t != "null").collect();
                    if typed.len() < types.len() {
                        out.insert("nullable".into(), Value::Bool(true));
                    }
                    match typed.as_slice() {
                        [one] => {
                            out.insert("type".into(), (*one).clone());
                        }
                        _ => return preserve(description),
                    }
                }
                _ => {
                    out.insert("type".into(), value.clone());
                }
            },
            "properties" => {
                let properties = value
                    .as_object()
                    .map(|p| {
                        p.iter()
                            .map(|(name, s)| (name.clone(), convert(s, defs, depth + 1)))
                            .collect::<Map<_, _>>()
                    })
                    .unwrap_or_default();
                out.insert("properties".into(), Value::Object(properties));
            }
            "items" => {
                out.insert("items".into(), convert(value, defs, depth + 1));
            }
            "prefixItems" => {
                let items: Vec<Value> = value
                    .as_array()
                    .map(|items| items.iter().map(|s| convert(s, defs, depth + 1)).collect())
                    .unwrap_or_default();
                match items.split_first() {
                    Some((first, rest)) if rest.iter().all(|s| s == first) => {
                        out.insert("items".into(), first.clone());
                    }
                    _ => {
                        out.insert("items".into(), preserve(None));
                    }
                }
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

/// `anyOf` / `oneOf`: an optional value (`[X, null]`) is `X` made nullable; strings
/// that differ in their constants are one string enum; objects that differ in
/// which one key they hold are one object with every key and a `oneOf` of
/// `required`; anything else (several JSON types) is left to Portcullis.
fn alternatives(
    branches: &[Value],
    description: Option<Value>,
    defs: &Value,
    depth: usize,
) -> Value {
    let is_null = |b: &Value| b.get("type").is_some_and(|t| t == "null");
    let nullable = branches.iter().any(is_null);
    let converted: Vec<Value> = branches
        .iter()
        .filter(|b| !is_null(b))
        .map(|b| convert(b, defs, depth + 1))
        .collect();
    let mut merged = match converted.as_slice() {
        [one] => one.clone(),
        many => merge(many).unwrap_or_else(|| preserve(None)),
    };
    if let Some(out) = merged.as_object_mut() {
        if let Some(description) = description {
            out.insert("description".into(), description);
        }
        if nullable && out.contains_key("type") {
            out.insert("nullable".into(), Value::Bool(true));
        }
    }
    merged
}

/// One typed schema for several branches of the same type, when there is one.
fn merge(branches: &[Value]) -> Option<Value> {
    let types: Vec<&str> = branches
        .iter()
        .map(|b| b.get("type").and_then(Value::as_str))
        .collect::<Option<_>>()?;
    let first = *types.first()?;
    if types.iter().any(|t| *t != first) {
        return None;
    }
    match first {
        "string" => {
            let mut values = Vec::new();
            for branch in branches {
                values.extend(branch.get("enum")?.as_array()?.iter().cloned());
            }
            Some(json!({"type": "string", "enum": values}))
        }
        "object" => {
            let mut properties = Map::new();
            let mut one_of = Vec::new();
            for branch in branches {
                for (name, schema) in branch.get("properties")?.as_object()? {
                    if properties.get(name).is_some_and(|known| known != schema) {
                        return None;
                    }
                    properties.insert(name.clone(), schema.clone());
                }
                let required = branch.get("required")?;
                one_of.push(json!({"required": required}));
            }
            Some(json!({"type": "object", "properties": properties, "oneOf": one_of}))
        }
        _ => None,
    }
}

/// A node Kubernetes keeps as it is, of any JSON type.
fn preserve(description: Option<Value>) -> Value {
    let mut out = Map::new();
    if let Some(description) = description {
        out.insert("description".into(), description);
    }
    out.insert(
        "x-kubernetes-preserve-unknown-fields".into(),
        Value::Bool(true),
    );
    Value::Object(out)
}
