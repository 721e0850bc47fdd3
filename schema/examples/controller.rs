//! One pass of a `PortcullisPolicy` controller: reads the resources as
//! `kubectl get portcullispolicies -o json` prints them (a `List`, or one object; a
//! file, or stdin), checks and compiles each `spec` with Portcullis, runs its tests,
//! and prints, one JSON line per resource, the status a controller would write back
//! (`kubectl patch --subresource=status`): ready, or the diagnostics, each at a JSON
//! Pointer into the resource (`/spec/rules/0/when/1`).
//!
//! ```text
//! kubectl get portcullispolicies -A -o json \
//!   | cargo run -p portcullis-schema --example controller
//! cargo run -p portcullis-schema --example controller -- resources.json
//! ```
//!
//! A real controller watches the resources and patches each status; the checking
//! is this. The spec is first checked against the policy's JSON Schema (the CRD's
//! structural schema is looser: Kubernetes cannot type a value that may be a string
//! or an object), so that a shape error is reported at its place; then it is
//! compiled, and each compile error and failed test expectation is placed at the
//! node of the spec it is about (by `portcullis_http::json`, which reads `*.json`
//! policy files for the CLI and `serve`).

use std::io::Read as _;
use std::process::ExitCode;

use portcullis::Policy;
use portcullis_http::json::JsonPolicy;
use portcullis_schema::status::{PolicyStatus, StatusDiagnostic};
use serde_json::{Value, json};

fn main() -> ExitCode {
    let path = std::env::args().nth(1).unwrap_or_else(|| "-".to_string());
    let input = if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map(|_| text)
            .map_err(|e| e.to_string())
    } else {
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read `{path}`: {e}"))
    };
    match input.and_then(|text| run(&text)) {
        Ok(lines) => {
            print!("{lines}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("controller: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The status patch of every resource in `input`, one JSON line each.
pub fn run(input: &str) -> Result<String, String> {
    let document: Value =
        serde_json::from_str(input).map_err(|e| format!("the input is not JSON: {e}"))?;
    let resources = match document.get("items").and_then(Value::as_array) {
        Some(items) => items.clone(),
        None => vec![document],
    };
    let checker = Checker::new()?;
    let mut out = String::new();
    for resource in &resources {
        if resource.get("kind").and_then(Value::as_str) != Some(portcullis_schema::KIND) {
            return Err(format!(
                "not a `{}`: {}",
                portcullis_schema::KIND,
                resource.get("kind").unwrap_or(&Value::Null)
            ));
        }
        let metadata = resource.get("metadata").cloned().unwrap_or(json!({}));
        // The resource's name and namespace, as the patch names them.
        let mut name = serde_json::Map::new();
        for key in ["name", "namespace"] {
            if let Some(value) = metadata.get(key) {
                name.insert(key.into(), value.clone());
            }
        }
        let mut status = checker.status(resource.get("spec"));
        status.observed_generation = metadata.get("generation").and_then(Value::as_i64);
        let patch = json!({
            "apiVersion": resource.get("apiVersion"),
            "kind": portcullis_schema::KIND,
            "metadata": name,
            "status": status,
        });
        out.push_str(&patch.to_string());
        out.push('\n');
    }
    Ok(out)
}

/// The policy's JSON Schema, compiled once.
struct Checker {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Checker {
    fn new() -> Result<Checker, String> {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        let url = "urn:portcullis-policy";
        compiler
            .add_resource(url, portcullis_schema::json_schema())
            .map_err(|e| e.to_string())?;
        let index = compiler
            .compile(url, &mut schemas)
            .map_err(|e| e.to_string())?;
        Ok(Checker { schemas, index })
    }

    /// Ready, or why not.
    fn status(&self, spec: Option<&Value>) -> PolicyStatus {
        let diagnostics = match spec {
            None => vec![StatusDiagnostic {
                location: String::new(),
                message: "missing field `spec`".to_string(),
            }],
            Some(spec) => self.diagnostics(spec),
        };
        PolicyStatus {
            ready: diagnostics.is_empty(),
            observed_generation: None,
            diagnostics,
        }
    }

    fn diagnostics(&self, spec: &Value) -> Vec<StatusDiagnostic> {
        if let Err(error) = self.schemas.validate(spec, self.index) {
            let mut out = Vec::new();
            shape_errors(&error, &mut out);
            return out;
        }
        // The reader the CLI and `serve` use for `*.json` policy files: it prints the
        // tree as policy text, and leads each place of that text back to its node's
        // JSON Pointer.
        let policy = match JsonPolicy::read("spec.json", spec.to_string()) {
            Ok(policy) => policy,
            // Not expected: the schema and the core read the same form.
            Err(e) => return vec![diagnostic("", &e.to_string())],
        };
        let at = |line: u32, column: u32| policy.pointer_at(line, column).to_string();
        match Policy::compile_sources([(policy.name(), policy.text())]) {
            Err(e) => e
                .diagnostics()
                .iter()
                .map(|d| diagnostic(&at(d.line(), d.column()), d.message()))
                .collect(),
            Ok(compiled) => compiled
                .run_tests()
                .failures()
                .iter()
                .map(|f| {
                    let message = format!("test `{}`: {}", f.test(), f.message());
                    diagnostic(&at(f.line(), f.column()), &message)
                })
                .collect(),
        }
    }
}

/// A diagnostic at `pointer` inside the spec.
fn diagnostic(pointer: &str, message: &str) -> StatusDiagnostic {
    StatusDiagnostic {
        location: format!("/spec{pointer}"),
        message: message.to_string(),
    }
}

/// The schema's errors: the innermost ones, except that a value matching none of
/// the forms allowed at its place is one error there (not one per form).
fn shape_errors(error: &boon::ValidationError<'_, '_>, out: &mut Vec<StatusDiagnostic>) {
    let pointer = error.instance_location.to_string();
    match &error.kind {
        boon::ErrorKind::AnyOf | boon::ErrorKind::OneOf(None) => {
            out.push(diagnostic(&pointer, "not one of the forms allowed here"));
        }
        boon::ErrorKind::AdditionalProperties { got } => {
            for name in got {
                out.push(diagnostic(&pointer, &format!("unknown field `{name}`")));
            }
        }
        boon::ErrorKind::Required { want } => {
            for name in want {
                out.push(diagnostic(&pointer, &format!("missing field `{name}`")));
            }
        }
        _ if error.causes.is_empty() => out.push(diagnostic(&pointer, &error.kind.to_string())),
        _ => {
            for cause in &error.causes {
                shape_errors(cause, out);
            }
        }
    }
}
