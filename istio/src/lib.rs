//! Import Istio `AuthorizationPolicy` resources into one Portcullis policy that
//! decides as Istio does.
//!
//! Teams that already authorize service-to-service calls with Istio can bring their
//! policies over unchanged, test them with `portcullis test` and run them anywhere.
//! The `portcullis import istio` command is this crate; `docs/istio.md` is the guide
//! (the field-by-field mapping, what is refused and why, the one designed difference).
//!
//! # Example
//!
//! ```
//! use portcullis::{Policy, Request};
//! use portcullis_istio::{Input, Options, Workload, import};
//!
//! let yaml = r#"
//! apiVersion: security.istio.io/v1
//! kind: AuthorizationPolicy
//! metadata: {name: httpbin, namespace: foo}
//! spec:
//!   selector: {matchLabels: {app: httpbin}}
//!   action: ALLOW
//!   rules:
//!   - from:
//!     - source: {principals: ["cluster.local/ns/default/sa/sleep"]}
//!     - source: {namespaces: ["test"]}
//!     to:
//!     - operation: {methods: ["GET"], paths: ["/info*"]}
//!     - operation: {methods: ["POST"], paths: ["/data"]}
//! "#;
//! let options = Options {
//!     workload: Some(Workload::new("foo").label("app", "httpbin")),
//!     ..Options::default()
//! };
//! let imported = import(&[Input { name: "httpbin.yaml", text: yaml }], &options).unwrap();
//! assert!(imported.text().contains("allow \"foo/httpbin[0].from[1].to[0]\""));
//!
//! let policy = Policy::compile(imported.text())?;
//! let sleep = "spiffe://cluster.local/ns/default/sa/sleep";
//! assert!(policy.evaluate(&Request::new("GET", "/info/x").identity(sleep)).is_allowed());
//! assert!(!policy.evaluate(&Request::new("GET", "/data").identity(sleep)).is_allowed());
//! assert!(!policy.evaluate(&Request::new("POST", "/data")).is_allowed());
//! # Ok::<(), portcullis::CompileError>(())
//! ```
//!
//! # How it works
//!
//! ```text
//! files ──read──▶ resources ──scope──▶ the policies that apply ──translate──▶ rules ──▶ text
//! ```
//!
//! - [`read`] parses YAML (several documents per file; JSON is YAML) into
//!   [`resource::AuthorizationPolicy`] values whose types refuse unknown fields.
//! - Scoping keeps the policies that apply to the workload ([`Workload`]): its
//!   namespace, the root namespace, `selector.matchLabels`.
//! - Translation follows Istio's own generator (istio/istio
//!   `pilot/pkg/security/authz/model`): DENY policies become `deny` rules, ALLOW
//!   `allow`, AUDIT `audit`; the default is `deny` when an ALLOW policy applies, else
//!   `allow`. Each pair of a `from` entry and a `to` entry of a rule is one Portcullis
//!   rule named `"<namespace>/<name>[<rule>]"`, with `.from[i]` and `.to[j]` when
//!   there are several.
//! - What cannot be said with Istio's meaning is an [`Error`] that names the file, the
//!   resource and the field, and nothing is produced.
#![forbid(unsafe_code)]
#![deny(
    missing_docs,
    missing_debug_implementations,
    rustdoc::broken_intra_doc_links
)]

mod error;
pub mod read;
pub mod resource;
mod translate;

pub use error::Error;
pub use translate::{
    DEFAULT_ROOT_NAMESPACE, DEFAULT_TRUST_DOMAIN, DRY_RUN_ANNOTATION, Import, Options, Workload,
    translate,
};

/// One input file: its name (for messages) and its text.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// The file's name as the user gave it.
    pub name: &'a str,
    /// Its contents.
    pub text: &'a str,
}

/// Reads every file and translates the resources that apply into one policy.
///
/// # Errors
///
/// Every error of every file: YAML that does not parse, resources that do not fit
/// the schema, and whatever cannot be translated with Istio's meaning. When there is
/// one, there is no policy.
///
/// ```
/// use portcullis_istio::{Input, Options, import};
///
/// let custom = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n\
///               metadata: {name: ext, namespace: foo}\n\
///               spec: {action: CUSTOM, provider: {name: opa}, rules: [{}]}\n";
/// let errors = import(&[Input { name: "ext.yaml", text: custom }], &Options::default())
///     .unwrap_err();
/// assert!(errors[0].to_string().starts_with(
///     "ext.yaml (document 1): foo/ext: spec.action: `CUSTOM` is not supported"
/// ));
/// ```
pub fn import(inputs: &[Input<'_>], options: &Options) -> Result<Import, Vec<Error>> {
    let mut resources = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        match read::read(input.name, input.text) {
            Ok(found) => resources.extend(found),
            Err(e) => errors.extend(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    translate(&resources, options)
}
