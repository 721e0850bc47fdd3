//! The decision line format of `eval` (CLI.md, "Decision"):
//!
//! ```json
//! {"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"encoded slash in path"}
//! ```
//!
//! Keys always in this order; `rule` is `null` unless the reason is `rule`; `error`
//! only when the reason is `invalid_request`. An input line that is not a request
//! gives `{"error":"..."}` and nothing else.

use portcullis::{Decision, Reason};
use serde::Serialize;

use crate::request_json::LineError;

/// One decision, serialized in the contract's key order.
#[derive(Debug, Serialize)]
pub struct DecisionJson<'a> {
    decision: &'static str,
    reason: &'static str,
    rule: Option<&'a str>,
    audit: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl<'a> DecisionJson<'a> {
    /// The JSON view of `decision`.
    pub fn new(decision: &Decision<'a>) -> DecisionJson<'a> {
        let reason = decision.reason();
        let error = (reason == Reason::InvalidRequest).then(|| {
            decision
                .error()
                .map_or_else(|| "invalid request".to_string(), |e| e.to_string())
        });
        DecisionJson {
            decision: if decision.is_allowed() {
                "allow"
            } else {
                "deny"
            },
            reason: reason.as_str(),
            rule: decision.rule(),
            audit: decision.audit().collect(),
            error,
        }
    }
}

/// The output for an input line that is not a valid request.
#[derive(Debug, Serialize)]
pub struct InputError {
    error: String,
}

impl InputError {
    /// `{"error": "line N, column C: message"}` (`line N: message` without a column).
    pub fn new(line: usize, error: &LineError) -> InputError {
        let error = match error.column {
            Some(column) => format!("line {line}, column {column}: {}", error.message),
            None => format!("line {line}: {}", error.message),
        };
        InputError { error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_error_shape() {
        let error = LineError {
            column: Some(12),
            message: "missing field `path`".to_string(),
        };
        let json = serde_json::to_string(&InputError::new(3, &error)).unwrap();
        assert_eq!(
            json,
            r#"{"error":"line 3, column 12: missing field `path`"}"#
        );
        let error = LineError {
            column: None,
            message: "a request must be a JSON object".to_string(),
        };
        let json = serde_json::to_string(&InputError::new(4, &error)).unwrap();
        assert_eq!(
            json,
            r#"{"error":"line 4: a request must be a JSON object"}"#
        );
    }

    #[test]
    fn decision_shape() {
        let policy = portcullis::Policy::compile("default deny").unwrap();
        let decision = policy.evaluate(&portcullis::Request::new("GET", "/"));
        let json = serde_json::to_string(&DecisionJson::new(&decision)).unwrap();
        assert_eq!(
            json,
            r#"{"decision":"deny","reason":"default","rule":null,"audit":[]}"#
        );
    }
}
