//! The decision line format of `eval` (`docs/language.md`, *Decision lines*):
//!
//! ```json
//! {"decision":"deny","reason":"invalid_request","rule":null,"audit":[],"error":"encoded slash in path"}
//! ```
//!
//! Keys always in this order; `rule` is `null` unless the reason is `rule`; `error`
//! only when the reason is `invalid_request`. An input line that is not a request
//! gives `{"error":"..."}` and nothing else. Either ends with the input line's `id`,
//! exactly as written, when it has one.

use portcullis::{Decision, Reason};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

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
    /// `eval --shadow`: the candidate policy's decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    shadow: Option<Box<DecisionJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a RawValue>,
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
            shadow: None,
            id: None,
        }
    }

    /// The same, echoing the input line's `id`.
    pub fn with_id(self, id: Option<&'a RawValue>) -> DecisionJson<'a> {
        DecisionJson { id, ..self }
    }

    /// The same, with a candidate policy's decision as `shadow`.
    pub fn with_shadow(self, shadow: DecisionJson<'a>) -> DecisionJson<'a> {
        DecisionJson {
            shadow: Some(Box::new(shadow)),
            ..self
        }
    }
}

/// The output for an input line that is not a valid request.
#[derive(Debug, Serialize)]
pub struct InputError<'a> {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a RawValue>,
}

impl<'a> InputError<'a> {
    /// `{"error": "line N, column C: message"}` (`line N: message` without a column).
    pub fn new(line: usize, error: &LineError) -> InputError<'a> {
        let error = match error.column {
            Some(column) => format!("line {line}, column {column}: {}", error.message),
            None => format!("line {line}: {}", error.message),
        };
        InputError { error, id: None }
    }

    /// The same, echoing the input line's `id`.
    pub fn with_id(self, id: Option<&'a RawValue>) -> InputError<'a> {
        InputError { id, ..self }
    }
}

/// The `id` of an input line that is not a valid request, when the line is a JSON
/// object with one `id` (whatever else is wrong with it).
pub fn line_id(line: &[u8]) -> Option<Box<RawValue>> {
    #[derive(Deserialize)]
    struct IdOnly {
        #[serde(default, deserialize_with = "some_raw")]
        id: Option<Box<RawValue>>,
    }

    fn some_raw<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
        Box::<RawValue>::deserialize(d).map(Some)
    }

    // A derived struct also reads a JSON array, by position: only an object has an
    // `id`.
    let first = line.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return None;
    }
    serde_json::from_slice::<IdOnly>(line).ok()?.id
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
    fn ids_are_echoed_as_written() {
        let error = LineError {
            column: None,
            message: "missing field `path`".to_string(),
        };
        for id in [
            r#""a""#,
            "7",
            "-1.5e3",
            "null",
            r#"{"b": [1, "c"]}"#,
            "123456789012345678901234567890",
        ] {
            let line = format!(r#"{{"id": {id}, "method": "GET"}}"#);
            let echoed = line_id(line.as_bytes()).unwrap();
            assert_eq!(echoed.get(), id);
            let json = serde_json::to_string(&InputError::new(1, &error).with_id(Some(&echoed)));
            assert_eq!(
                json.unwrap(),
                format!(r#"{{"error":"line 1: missing field `path`","id":{id}}}"#)
            );
        }
        for line in ["[\"x\"]", "{\"id\": 1", "{\"id\": 1, \"id\": 2}", "{}", "7"] {
            assert!(line_id(line.as_bytes()).is_none(), "{line}");
        }
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
