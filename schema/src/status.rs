//! The status a controller writes back on a `PortcullisPolicy`: ready, or the
//! diagnostics of its spec, each at a JSON Pointer into the resource
//! (`/spec/rules/0/when/1`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The status of a `PortcullisPolicy`.
///
/// ```
/// use portcullis_schema::status::PolicyStatus;
/// let status = PolicyStatus { ready: true, observed_generation: Some(3), diagnostics: vec![] };
/// let json = serde_json::to_string(&status)?;
/// assert_eq!(json, r#"{"ready":true,"observedGeneration":3}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(description = "The status of a `PortcullisPolicy`.")]
pub struct PolicyStatus {
    /// Whether the spec compiles and its tests pass: the policy can be served.
    pub ready: bool,
    /// The `metadata.generation` of the spec this status is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Why the policy is not ready, one entry per error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<StatusDiagnostic>,
}

/// One error in a `PortcullisPolicy`'s spec.
///
/// ```
/// use portcullis_schema::status::StatusDiagnostic;
/// let d = StatusDiagnostic { location: "/spec/rules/0".into(), message: "rule `a` is defined twice".into() };
/// assert_eq!(serde_json::to_value(&d)?["location"], "/spec/rules/0");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(description = "One error in a `PortcullisPolicy`'s spec.")]
pub struct StatusDiagnostic {
    /// Where: a JSON Pointer into the resource, such as `/spec/rules/0/when/1`.
    pub location: String,
    /// What is wrong.
    pub message: String,
}
