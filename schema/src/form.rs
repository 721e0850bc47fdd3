//! The policy's JSON form, as types that mirror the core's serde types
//! (`portcullis::syntax`, `src/syntax/ast.rs`) field for field, with the same serde
//! attributes, and derive [`JsonSchema`] besides.
//!
//! The core may not depend on `schemars`, so the schema cannot be derived from its
//! types directly. These types carry no spans and no comments the JSON form leaves
//! out; what they accept and print is the core's JSON form exactly, which the tests
//! check both ways: every policy the workload generator makes, serialized by the
//! core, reads into these types and prints back unchanged and validates against the
//! schema; and mutated documents are accepted by the schema exactly when the core
//! reads them (`tests/schema.rs`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A Portcullis policy in its JSON form: the same policy as its text, item for item
/// (docs/language.md, *The JSON form*).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Portcullis policy")]
pub struct Policy {
    /// The effect when no rule decides (`default allow` or `default deny`); `deny`
    /// when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Effect>,
    /// `let` bindings: named values or lists of values that conditions use by name.
    #[serde(default, rename = "let", skip_serializing_if = "Vec::is_empty")]
    pub lets: Vec<Let>,
    /// The rules, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    /// `test` blocks: requests and the decision the policy must give them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<TestBlock>,
    /// Comments after the last item (the text after `#`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub end_comments: Vec<String>,
}

/// The comments beside an item, a condition or an expectation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Comments {
    /// The comments on their own lines before it, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<String>,
    /// The comment at the end of its last line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

impl Comments {
    /// Whether there is no comment (then the JSON form leaves the field out).
    ///
    /// ```
    /// assert!(portcullis_schema::form::Comments::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.before.is_empty() && self.after.is_none()
    }
}

/// What a decision, a `default` or an expectation says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// The request may proceed.
    Allow,
    /// The request is refused.
    Deny,
}

/// `let NAME = value` or `let NAME = [values]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Let {
    /// The bound name.
    pub name: String,
    /// The bound value, or list of values.
    pub value: LetValue,
    /// The comments beside it.
    #[serde(default, skip_serializing_if = "Comments::is_empty")]
    pub comments: Comments,
}

/// What a `let` binds: a list of values, or one value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum LetValue {
    /// A list of values (possibly empty).
    List(Vec<Value>),
    /// One value.
    Single(Value),
}

/// `allow|deny|audit "name" { conditions }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `allow`, `deny` or `audit`.
    pub effect: RuleKind,
    /// The rule's name, unique in the policy.
    pub name: String,
    /// The conditions: every one must match for the rule to match.
    #[serde(default)]
    pub when: Vec<Condition>,
    /// The comments beside it.
    #[serde(default, skip_serializing_if = "Comments::is_empty")]
    pub comments: Comments,
    /// Comments after the last condition.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub end_comments: Vec<String>,
}

/// What a rule does when it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// Allows the request unless a `deny` rule matches.
    Allow,
    /// Denies the request.
    Deny,
    /// Records that it matched; never changes the effect.
    Audit,
}

/// One condition of a rule: `[not] subject test`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Inverts the test.
    #[serde(default, skip_serializing_if = "is_false")]
    pub not: bool,
    /// What the condition looks at.
    pub subject: Subject,
    /// How it tests it.
    pub test: Test,
    /// The comments beside it.
    #[serde(default, skip_serializing_if = "Comments::is_empty")]
    pub comments: Comments,
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_false(b: &bool) -> bool {
    !*b
}

/// The request attribute a condition looks at: a keyword, or `{"header": NAME}` or
/// `{"attr": KEY}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Subject {
    /// The caller's identity (mTLS peer, SPIFFE ID).
    Identity,
    /// The HTTP method.
    Method,
    /// The normalized path.
    Path,
    /// The normalized host.
    Host,
    /// The destination port.
    Port,
    /// The peer address.
    Source,
    /// A header, by name (case-insensitive).
    Header(String),
    /// A caller attribute, by key (case-sensitive).
    Attr(String),
}

/// How a condition tests its subject: `{"values": [...]}`, `{"in": ...}`,
/// `{"regex": "..."}`, `{"equals": "..."}` or `"present"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Test {
    /// Any of the values matches.
    Values(Vec<Value>),
    /// `in NAME` or `in [values]`.
    In(InTarget),
    /// The whole value matches the regular expression.
    Regex(String),
    /// The attribute occurs in the request.
    Present,
    /// `== "value"` (headers and attributes only).
    Equals(String),
}

/// What follows `in`: a `let` name or a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InTarget {
    /// A `let` name.
    Name(String),
    /// A list of values.
    List(Vec<Value>),
}

/// A value: a string, a port number, or `{"method": ...}`, `{"address": ...}`,
/// `{"range": [from, to]}`, `{"name": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum Value {
    /// A string.
    String(String),
    /// A port number.
    Integer(u64),
    /// A bare method token such as `GET`.
    Method {
        /// The token.
        method: String,
    },
    /// An address or CIDR block, for example `10.0.0.0/8`.
    Address {
        /// The address.
        address: String,
    },
    /// An inclusive port range.
    Range {
        /// Start and end, inclusive.
        range: (u64, u64),
    },
    /// A use of a `let` name; its values are spliced in place.
    Name {
        /// The name.
        name: String,
    },
}

/// `test "name" { expectations }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestBlock {
    /// The block's name, unique in the policy.
    pub name: String,
    /// The expectations, in order.
    #[serde(default)]
    pub expectations: Vec<Expectation>,
    /// The comments beside it.
    #[serde(default, skip_serializing_if = "Comments::is_empty")]
    pub comments: Comments,
    /// Comments after the last expectation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub end_comments: Vec<String>,
}

/// One expectation: `allow|deny METHOD "path" fields... [by ...]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The expected effect.
    pub effect: Effect,
    /// The request's method.
    pub method: String,
    /// The request's path.
    pub path: String,
    /// Further request fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// The expected deciding rule (`{"rule": NAME}`), or `"default"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<By>,
    /// The comments beside it.
    #[serde(default, skip_serializing_if = "Comments::is_empty")]
    pub comments: Comments,
}

/// What `by` names: a rule, or the default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// Decided by this rule.
    Rule(String),
    /// Decided by the default.
    Default,
}

/// A request field of an expectation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// The caller's identity.
    Identity(String),
    /// The host.
    Host(String),
    /// The destination port.
    Port(u64),
    /// The peer address.
    Source(String),
    /// A header: name and value.
    Header(String, String),
    /// A caller attribute: key and value.
    Attr(String, String),
}
