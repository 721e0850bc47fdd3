//! Helpers for the importer's tests: import YAML, compile, evaluate.
#![allow(dead_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use portcullis::{Policy, Request};
use portcullis_istio::{Error, Import, Input, Options, Workload, import};

/// Imports `yaml` (one file) with `options`; panics on errors, with them.
pub fn imported_with(yaml: &str, options: &Options) -> Import {
    match import(
        &[Input {
            name: "p.yaml",
            text: yaml,
        }],
        options,
    ) {
        Ok(imported) => imported,
        Err(errors) => panic!(
            "import failed:\n{}",
            errors.iter().map(|e| format!("{e}\n")).collect::<String>()
        ),
    }
}

/// The compiled policy of `yaml`, every resource taken.
pub fn policy(yaml: &str) -> Policy {
    policy_with(yaml, &Options::default())
}

pub fn policy_with(yaml: &str, options: &Options) -> Policy {
    let imported = imported_with(yaml, options);
    Policy::compile(imported.text()).unwrap_or_else(|e| panic!("{e}\n---\n{}", imported.text()))
}

/// The policy for the workload in `namespace` with `labels`.
pub fn policy_for(yaml: &str, namespace: &str, labels: &[(&str, &str)]) -> Policy {
    let mut workload = Workload::new(namespace);
    for (k, v) in labels {
        workload = workload.label(k, v);
    }
    policy_with(
        yaml,
        &Options {
            workload: Some(workload),
            ..Options::default()
        },
    )
}

/// The errors of importing `yaml`; panics if it imports.
pub fn errors(yaml: &str) -> Vec<Error> {
    errors_with(yaml, &Options::default())
}

pub fn errors_with(yaml: &str, options: &Options) -> Vec<Error> {
    match import(
        &[Input {
            name: "p.yaml",
            text: yaml,
        }],
        options,
    ) {
        Ok(imported) => panic!("imported, expected an error:\n{}", imported.text()),
        Err(errors) => errors,
    }
}

/// Asserts that the only error names `field` and says `says`.
pub fn assert_refused(yaml: &str, field: &str, says: &str) {
    let errors = errors(yaml);
    assert!(
        errors
            .iter()
            .any(|e| e.field_path() == Some(field) && e.message().contains(says)),
        "expected an error at `{field}` saying `{says}`, got:\n{}",
        errors.iter().map(|e| format!("{e}\n")).collect::<String>()
    );
}

/// A resource in namespace `foo` named `p` with this `spec` (YAML flow or block text
/// indented by two spaces).
pub fn resource(spec: &str) -> String {
    format!(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: p\n  namespace: foo\nspec:\n{spec}\n"
    )
}

/// A request builder with the fields Istio always has: a source and a port.
pub fn req<'a>(method: &'a str, path: &'a str) -> Request<'a> {
    Request::new(method, path)
        .source("10.0.0.1".parse().unwrap())
        .port(8080)
}

pub fn id(ns: &str, sa: &str) -> String {
    format!("spiffe://cluster.local/ns/{ns}/sa/{sa}")
}

/// Allowed?
pub fn allows(policy: &Policy, request: &Request<'_>) -> bool {
    let decision = policy.evaluate(request);
    assert_ne!(
        decision.reason(),
        portcullis::Reason::InvalidRequest,
        "the request itself is invalid: {request:?}"
    );
    decision.is_allowed()
}
