//! The decision object of the CLI's `eval` (`decision`, `reason`, `rule`, `audit`,
//! `error`), as the server reports it in Envoy's dynamic metadata, in the decision log
//! and in the metrics.

use std::fmt;
use std::sync::Arc;

use portcullis::{Decision, Reason};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// One decision, owning what it reports, in the shape of the CLI's decision object:
///
/// ```json
/// {"decision": "deny", "reason": "invalid_request", "rule": null, "audit": [],
///  "error": "check request without http attributes"}
/// ```
///
/// It comes from a policy's [`Decision`], or from a request the server could not build
/// from the wire: that one is a deny with reason `invalid_request` and an `error`.
///
/// ```
/// use portcullis_server::DecisionObject;
/// let policy = portcullis::Policy::compile("allow \"probes\" { path \"/healthz\" }")?;
/// let decision = DecisionObject::from_decision(
///     &policy.evaluate(&portcullis::Request::new("GET", "/healthz")),
/// );
/// assert!(decision.is_allowed());
/// assert_eq!(
///     serde_json::to_string(&decision)?,
///     r#"{"decision":"allow","reason":"rule","rule":"probes","audit":[]}"#,
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionObject {
    allowed: bool,
    reason: Reason,
    rule: Option<Arc<str>>,
    audit: Vec<Arc<str>>,
    error: Option<Arc<str>>,
}

impl DecisionObject {
    /// The object for a policy's decision.
    pub fn from_decision(decision: &Decision<'_>) -> DecisionObject {
        let reason = decision.reason();
        let error = (reason == Reason::InvalidRequest).then(|| {
            decision.error().map_or_else(
                || Arc::from("invalid request"),
                |e| Arc::from(e.to_string()),
            )
        });
        // The names are shared with the policy: a reference count each, not a copy.
        let owned = decision.to_owned();
        DecisionObject {
            allowed: decision.is_allowed(),
            reason,
            rule: owned.rule_shared().cloned(),
            audit: owned.audit_shared().to_vec(),
            error,
        }
    }

    /// A deny for a request the server could not build from the wire: reason
    /// `invalid_request`, `error` saying why.
    ///
    /// ```
    /// let d = portcullis_server::DecisionObject::invalid("no http attributes");
    /// assert!(!d.is_allowed());
    /// assert_eq!(d.error(), Some("no http attributes"));
    /// ```
    pub fn invalid(error: impl fmt::Display) -> DecisionObject {
        DecisionObject {
            allowed: false,
            reason: Reason::InvalidRequest,
            rule: None,
            audit: Vec::new(),
            error: Some(Arc::from(error.to_string())),
        }
    }

    /// True for `allow`.
    pub fn is_allowed(&self) -> bool {
        self.allowed
    }

    /// `allow` or `deny`.
    pub fn effect_str(&self) -> &'static str {
        if self.allowed { "allow" } else { "deny" }
    }

    /// Why: a rule, the default or an invalid request.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// The deciding rule, when a rule decided.
    pub fn rule(&self) -> Option<&str> {
        self.rule.as_deref()
    }

    /// The matching audit rules, in source order.
    pub fn audit(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.audit.iter().map(|a| &**a)
    }

    /// Why the request was invalid, when it was.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

impl Serialize for DecisionObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = if self.error.is_some() { 5 } else { 4 };
        let mut map = serializer.serialize_map(Some(len))?;
        map.serialize_entry("decision", self.effect_str())?;
        map.serialize_entry("reason", self.reason.as_str())?;
        map.serialize_entry("rule", &self.rule.as_deref())?;
        map.serialize_entry(
            "audit",
            &self.audit.iter().map(|a| &**a).collect::<Vec<_>>(),
        )?;
        if let Some(error) = &self.error {
            map.serialize_entry("error", &**error)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn json(source: &str, request: portcullis::Request<'_>) -> String {
        let policy = portcullis::Policy::compile(source).unwrap();
        let object = DecisionObject::from_decision(&policy.evaluate(&request));
        serde_json::to_string(&object).unwrap()
    }

    #[test]
    fn the_cli_shapes() {
        use portcullis::Request;
        let cases = [
            (
                "allow \"read\" { method GET }\naudit \"a\" {}",
                Request::new("GET", "/"),
                r#"{"decision":"allow","reason":"rule","rule":"read","audit":["a"]}"#,
            ),
            (
                "default deny",
                Request::new("GET", "/"),
                r#"{"decision":"deny","reason":"default","rule":null,"audit":[]}"#,
            ),
            (
                "default allow",
                Request::new("GET", "/a%2fb"),
                r#"{"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"encoded slash in path"}"#,
            ),
        ];
        for (source, request, expected) in cases {
            assert_eq!(json(source, request), expected, "{source}");
        }
        let invalid = serde_json::to_string(&DecisionObject::invalid("bad")).unwrap();
        assert_eq!(
            invalid,
            r#"{"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"bad"}"#
        );
    }
}
