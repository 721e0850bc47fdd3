//! The Istio resources, as Kubernetes stores them: `AuthorizationPolicy` of
//! `security.istio.io/v1` or `v1beta1`.
//!
//! Field names and meanings are those of istio/api `security/v1beta1/
//! authorization_policy.proto` (camelCase, as the CRD and `kubectl` write them). Every
//! struct refuses fields it does not know: a misspelled `notPrincipal` must be an
//! error, never a condition silently dropped. Lists are `Option`s so that an explicitly
//! empty `from: []` (which Istio's validation refuses) can be told from an absent one.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// One `AuthorizationPolicy` resource.
///
/// ```
/// use portcullis_istio::resource::{Action, AuthorizationPolicy};
/// let policy: AuthorizationPolicy = serde_norway::from_str(
///     "apiVersion: security.istio.io/v1\n\
///      kind: AuthorizationPolicy\n\
///      metadata: {name: deny-post, namespace: foo}\n\
///      spec:\n  action: DENY\n  rules:\n  - to:\n    - operation: {methods: [POST]}\n",
/// )?;
/// assert_eq!(policy.spec.action, Some(Action::Deny));
/// # Ok::<(), serde_norway::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "camelCase",
    expecting = "a resource"
)]
pub struct AuthorizationPolicy {
    /// `security.istio.io/v1` or `security.istio.io/v1beta1`.
    pub api_version: String,
    /// `AuthorizationPolicy`.
    pub kind: String,
    /// Name, namespace, labels and annotations.
    pub metadata: Metadata,
    /// What the policy says. Absent means `{}`: an ALLOW policy without rules.
    #[serde(default)]
    pub spec: Spec,
    /// Written by the cluster, never read.
    #[serde(default, skip_serializing)]
    pub status: Option<Ignored>,
}

/// Kubernetes object metadata. Only the name, namespace and annotations mean anything
/// here; the other fields that `kubectl get -o yaml` prints are accepted and ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "metadata")]
pub struct Metadata {
    /// The resource's name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its namespace: the policy applies to workloads there (or everywhere, in the
    /// root namespace).
    #[serde(default)]
    pub namespace: Option<String>,
    /// The resource's own labels (not the workload's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations; `istio.io/dry-run` is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing)]
    generate_name: Option<Ignored>,
    #[serde(default, skip_serializing)]
    self_link: Option<Ignored>,
    #[serde(default, skip_serializing)]
    uid: Option<Ignored>,
    #[serde(default, skip_serializing)]
    resource_version: Option<Ignored>,
    #[serde(default, skip_serializing)]
    generation: Option<Ignored>,
    #[serde(default, skip_serializing)]
    creation_timestamp: Option<Ignored>,
    #[serde(default, skip_serializing)]
    deletion_timestamp: Option<Ignored>,
    #[serde(default, skip_serializing)]
    deletion_grace_period_seconds: Option<Ignored>,
    #[serde(default, skip_serializing)]
    owner_references: Option<Ignored>,
    #[serde(default, skip_serializing)]
    finalizers: Option<Ignored>,
    #[serde(default, skip_serializing)]
    managed_fields: Option<Ignored>,
}

impl Metadata {
    /// Metadata with a name and a namespace.
    ///
    /// ```
    /// let m = portcullis_istio::resource::Metadata::new("foo", "httpbin");
    /// assert_eq!(m.namespace.as_deref(), Some("foo"));
    /// ```
    pub fn new(namespace: &str, name: &str) -> Metadata {
        Metadata {
            name: Some(name.to_string()),
            namespace: Some(namespace.to_string()),
            ..Metadata::default()
        }
    }
}

/// The policy itself (`spec`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "camelCase",
    expecting = "a policy spec"
)]
pub struct Spec {
    /// Which workloads of the namespace the policy applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<WorkloadSelector>,
    /// Gateway and waypoint attachment: not supported (refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_ref: Option<serde_norway::Value>,
    /// Gateway and waypoint attachment: not supported (refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_refs: Option<serde_norway::Value>,
    /// The rules; a request matches the policy when it matches one of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<Option<Rule>>>,
    /// What a match does; ALLOW when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// The extension of a CUSTOM policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<serde_norway::Value>,
}

/// `selector`: the labels a workload must have (all of them) for the policy to apply.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "camelCase",
    expecting = "a workload selector"
)]
pub struct WorkloadSelector {
    /// Label names and values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<BTreeMap<String, String>>,
}

/// The action of a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(
    rename_all = "UPPERCASE",
    expecting = "`ALLOW`, `DENY`, `AUDIT` or `CUSTOM`"
)]
pub enum Action {
    /// Allow a request that matches; once an ALLOW policy applies, deny the others.
    Allow,
    /// Deny a request that matches.
    Deny,
    /// Mark a matching request for auditing; never changes the decision.
    Audit,
    /// Delegate to an external authorizer: not supported (refused).
    Custom,
}

/// One rule: some source, some operation and every condition.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a rule")]
pub struct Rule {
    /// Sources; any of them. Absent: any source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Vec<From>>,
    /// Operations; any of them. Absent: any operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<To>>,
    /// Conditions; all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Vec<Condition>>,
}

/// One entry of `from`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "camelCase",
    expecting = "a `from` entry"
)]
pub struct From {
    /// The source (required by Istio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// One entry of `to`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "camelCase",
    expecting = "a `to` entry"
)]
pub struct To {
    /// The operation (required by Istio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Operation>,
}

/// Who sent the request; every field given must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", expecting = "a source")]
pub struct Source {
    /// Peer identities, `<trust domain>/ns/<namespace>/sa/<service account>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principals: Option<Vec<String>>,
    /// Peer identities that must not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_principals: Option<Vec<String>>,
    /// JWT identities, `<iss>/<sub>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_principals: Option<Vec<String>>,
    /// JWT identities that must not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_request_principals: Option<Vec<String>>,
    /// Namespaces of the peer identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
    /// Namespaces that must not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_namespaces: Option<Vec<String>>,
    /// Service accounts, `<namespace>/<name>` or `<name>` (the policy's namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_accounts: Option<Vec<String>>,
    /// Service accounts that must not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_service_accounts: Option<Vec<String>>,
    /// Source addresses and blocks of the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_blocks: Option<Vec<String>>,
    /// Source addresses and blocks that must not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_ip_blocks: Option<Vec<String>>,
    /// Client addresses from `X-Forwarded-For` or the PROXY protocol: refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_ip_blocks: Option<Vec<String>>,
    /// Refused, as `remoteIpBlocks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_remote_ip_blocks: Option<Vec<String>>,
    /// Trust domains of the peer identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_domains: Option<Vec<String>>,
    /// Trust domains that must not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_trust_domains: Option<Vec<String>>,
}

/// What the request asks for; every field given must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "camelCase",
    expecting = "an operation"
)]
pub struct Operation {
    /// Hosts (the authority), case-insensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<Vec<String>>,
    /// Hosts that must not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_hosts: Option<Vec<String>>,
    /// Destination ports, as decimal strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<String>>,
    /// Destination ports that must not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_ports: Option<Vec<String>>,
    /// HTTP methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methods: Option<Vec<String>>,
    /// Methods that must not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_methods: Option<Vec<String>>,
    /// Paths: exact, prefix (`/a*`), suffix (`*.png`), `*`, or templates (`{*}`, `{**}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
    /// Paths that must not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_paths: Option<Vec<String>>,
}

/// One `when` condition: an attribute (`key`) and the values it may or may not have.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "camelCase",
    expecting = "a condition"
)]
pub struct Condition {
    /// The attribute: `request.headers[x-env]`, `source.ip`, `request.auth.claims[iss]`…
    pub key: String,
    /// Any of these must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// None of these may match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_values: Option<Vec<String>>,
}

/// A field that is read and ignored, whatever it holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ignored;

impl<'de> Deserialize<'de> for Ignored {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Ignored, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer).map(|_| Ignored)
    }
}
