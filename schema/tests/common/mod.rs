//! What the tests share: the schema compiled by a real JSON Schema validator (boon,
//! draft 2020-12), the core's reading of a JSON document, and the policies the
//! documentation shows in the JSON form.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// A compiled schema.
pub struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Validator {
    /// Compiles `schema`.
    pub fn new(schema: Value) -> Validator {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler
            .add_resource("urn:portcullis-policy", schema)
            .unwrap();
        let index = compiler
            .compile("urn:portcullis-policy", &mut schemas)
            .unwrap();
        Validator { schemas, index }
    }

    /// The policy's JSON Schema.
    pub fn policy() -> Validator {
        Validator::new(portcullis_schema::json_schema())
    }

    /// `Ok`, or the instance locations (JSON Pointers) of the innermost errors.
    pub fn check(&self, document: &Value) -> Result<(), Vec<String>> {
        self.schemas
            .validate(document, self.index)
            .map_err(|e| leaves(&e))
    }

    /// Whether `document` validates.
    pub fn accepts(&self, document: &Value) -> bool {
        self.check(document).is_ok()
    }
}

fn leaves(error: &boon::ValidationError<'_, '_>) -> Vec<String> {
    if error.causes.is_empty() {
        vec![error.instance_location.to_string()]
    } else {
        error.causes.iter().flat_map(leaves).collect()
    }
}

/// Whether the core reads `document` as a policy.
pub fn core_reads(document: &Value) -> bool {
    serde_json::from_value::<portcullis::syntax::File>(document.clone()).is_ok()
}

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every ```json block of docs/*.md and README.md that parses as one JSON value, and
/// every document of a ```yaml block that parses, with its file and line.
pub fn doc_json_blocks() -> Vec<(String, usize, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.push(root().join("README.md"));
    files.sort();
    let mut blocks = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let mut lines = text.lines().enumerate();
        while let Some((start, line)) = lines.next() {
            let yaml = match line.trim() {
                "```json" => false,
                "```yaml" => true,
                _ => continue,
            };
            let mut body = String::new();
            for (_, line) in lines.by_ref() {
                if line.trim() == "```" {
                    break;
                }
                body.push_str(line);
                body.push('\n');
            }
            if !yaml {
                if let Ok(value) = serde_json::from_str::<Value>(&body) {
                    blocks.push((name.clone(), start + 1, value));
                }
                continue;
            }
            for document in body.split("\n---\n") {
                if let Ok(value) = serde_norway::from_str::<Value>(document) {
                    blocks.push((name.clone(), start + 1, value));
                }
            }
        }
    }
    blocks
}

/// The keys of a policy in the JSON form.
const POLICY_KEYS: [&str; 5] = ["default", "let", "rules", "tests", "end_comments"];

/// The policies the docs show in the JSON form: blocks that are a policy (an object
/// whose keys are a policy's), and the `spec` of `PortcullisPolicy` resources (alone
/// or in a `List`).
pub fn doc_policies() -> Vec<(String, Value)> {
    let mut policies = Vec::new();
    for (file, line, value) in doc_json_blocks() {
        let place = format!("{file}:{line}");
        collect_policies(&place, &value, &mut policies);
    }
    policies
}

fn collect_policies(place: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    let Some(object) = value.as_object() else {
        return;
    };
    if object.get("kind").and_then(Value::as_str) == Some("PortcullisPolicy") {
        if let Some(spec) = object.get("spec") {
            out.push((format!("{place} (spec)"), spec.clone()));
        }
    } else if let Some(items) = object.get("items").and_then(Value::as_array) {
        for item in items {
            collect_policies(place, item, out);
        }
    } else if !object.is_empty() && object.keys().all(|k| POLICY_KEYS.contains(&k.as_str())) {
        out.push((place.to_string(), value.clone()));
    }
}
