//! The syntax tree: what a policy file says, before names are resolved.
//!
//! Every node carries a [`Span`] pointing back into its source text. The tree is also
//! the policy's JSON form (`docs/language.md`, *The JSON form*): it derives `serde`
//! with unknown fields rejected, and spans are left out of the JSON.
//!
//! Comments are kept with what they stand beside ([`Comments`]): the comments on
//! their own lines before an item, a condition, an expectation or a list value, and
//! the comment at the end of its last line; comments after the last of a block's
//! conditions (or a list's values, or a file's items) are the block's
//! `end_comments`. The JSON form holds the comments of items, conditions and
//! expectations, and leaves the field out when there are none.

use serde::{Deserialize, Serialize};

use crate::span::Span;

/// One parsed policy source: its declarations grouped by kind, each in source order.
/// Their spans keep the order of the items across kinds, which the printer follows.
///
/// This is also the JSON form of a policy.
///
/// ```
/// let file = portcullis::syntax::parse("default allow\nallow \"all\" {}")?;
/// assert_eq!(file.rules.len(), 1);
/// let json = serde_json::to_string(&file)?;
/// assert_eq!(json, r#"{"default":"allow","rules":[{"effect":"allow","name":"all","when":[]}]}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// The `default` declaration, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<DefaultDecl>,
    /// Further `default` declarations: each is an error, kept so the checker can say where.
    #[serde(skip)]
    pub extra_defaults: Vec<DefaultDecl>,
    /// `let` bindings, in source order.
    #[serde(default, rename = "let", skip_serializing_if = "Vec::is_empty")]
    pub lets: Vec<Let>,
    /// Rules, in source order (the order decides which rule is reported).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    /// `test` blocks, in source order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<TestBlock>,
    /// Comments after the last item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub end_comments: Vec<Comment>,
}

/// One comment: its text after the `#` (and after one space, if the comment starts
/// with one), trailing white space removed. In JSON, a string.
///
/// ```
/// let file = portcullis::syntax::parse("default deny\n#no space\n# one space\n")?;
/// let texts: Vec<&str> = file.end_comments.iter().map(|c| c.text.as_str()).collect();
/// assert_eq!(texts, ["no space", "one space"]);
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Comment {
    /// The text, without the `#`.
    pub text: String,
    /// Where the comment is, from its `#`.
    #[serde(skip)]
    pub span: Span,
}

/// The comments that stand beside a node: on their own lines just before it, and at
/// the end of its last line. Most nodes have none, and then this takes one word.
///
/// In JSON, `{"before": ["..."], "after": "..."}`, each field left out when empty.
///
/// ```
/// let file = portcullis::syntax::parse(
///     "# who may read\nallow \"reads\" {\n  method GET # and not HEAD\n}\n",
/// )?;
/// assert_eq!(file.rules[0].comments.before()[0].text, "who may read");
/// let after = file.rules[0].conditions[0].comments.after().map(|c| c.text.as_str());
/// assert_eq!(after, Some("and not HEAD"));
/// let json = serde_json::to_string(&file.rules[0].comments)?;
/// assert_eq!(json, r#"{"before":["who may read"]}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "CommentParts", into = "CommentParts")]
pub struct Comments(Option<Box<CommentParts>>);

/// The parts of [`Comments`], and their JSON form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentParts {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    before: Vec<Comment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<Comment>,
}

impl From<CommentParts> for Comments {
    fn from(parts: CommentParts) -> Comments {
        Comments::new(parts.before, parts.after)
    }
}

impl From<Comments> for CommentParts {
    fn from(comments: Comments) -> CommentParts {
        comments.0.map(|parts| *parts).unwrap_or_default()
    }
}

impl Comments {
    /// Comments with `before` on their own lines before the node and `after` at the
    /// end of its last line.
    ///
    /// ```
    /// use portcullis::syntax::{Comment, Comments};
    /// let comments = Comments::new(vec![], Some(Comment { text: "why".into(), span: Default::default() }));
    /// assert_eq!(comments.after().map(|c| c.text.as_str()), Some("why"));
    /// assert!(Comments::new(vec![], None).is_empty());
    /// ```
    pub fn new(before: Vec<Comment>, after: Option<Comment>) -> Comments {
        if before.is_empty() && after.is_none() {
            Comments(None)
        } else {
            Comments(Some(Box::new(CommentParts { before, after })))
        }
    }

    /// The comments on their own lines before the node, in order.
    ///
    /// ```
    /// let file = portcullis::syntax::parse("# a\n# b\ndefault deny")?;
    /// let before = file.default.as_ref().map(|d| d.comments.before().len());
    /// assert_eq!(before, Some(2));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn before(&self) -> &[Comment] {
        self.0.as_ref().map_or(&[], |parts| &parts.before)
    }

    /// The comment at the end of the node's last line.
    ///
    /// ```
    /// let file = portcullis::syntax::parse("default deny # closed")?;
    /// let after = file.default.as_ref().and_then(|d| d.comments.after());
    /// assert_eq!(after.map(|c| c.text.as_str()), Some("closed"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn after(&self) -> Option<&Comment> {
        self.0.as_ref().and_then(|parts| parts.after.as_ref())
    }

    /// Adds a comment on its own line before the node, after those already there.
    ///
    /// ```
    /// use portcullis::syntax::{Comment, Comments};
    /// let mut comments = Comments::default();
    /// comments.push_before(Comment { text: "a".into(), span: Default::default() });
    /// assert_eq!(comments.before().len(), 1);
    /// ```
    pub fn push_before(&mut self, comment: Comment) {
        self.0.get_or_insert_default().before.push(comment);
    }

    /// Sets (or, with `None`, removes) the comment at the end of the node's last line.
    ///
    /// ```
    /// use portcullis::syntax::{Comment, Comments};
    /// let mut comments = Comments::default();
    /// comments.set_after(Some(Comment { text: "a".into(), span: Default::default() }));
    /// comments.set_after(None);
    /// assert!(comments.is_empty());
    /// ```
    pub fn set_after(&mut self, comment: Option<Comment>) {
        match (comment, &mut self.0) {
            (comment, Some(parts)) => {
                parts.after = comment;
                if parts.before.is_empty() && parts.after.is_none() {
                    self.0 = None;
                }
            }
            (Some(comment), None) => {
                self.0 = Some(Box::new(CommentParts {
                    before: Vec::new(),
                    after: Some(comment),
                }));
            }
            (None, None) => {}
        }
    }

    /// Whether there is no comment.
    ///
    /// ```
    /// assert!(portcullis::syntax::Comments::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// Every comment, mutably: those before the node, then the one after it.
    pub(crate) fn parts_mut(&mut self) -> (&mut [Comment], Option<&mut Comment>) {
        match &mut self.0 {
            Some(parts) => (&mut parts.before, parts.after.as_mut()),
            None => (&mut [], None),
        }
    }
}

/// `default allow` or `default deny`.
///
/// ```
/// let file = portcullis::syntax::parse("default allow")?;
/// assert_eq!(file.default.as_ref().map(|d| d.effect), Some(portcullis::syntax::Effect::Allow));
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DefaultDecl {
    /// The effect when no rule decides.
    pub effect: Effect,
    /// Where the declaration is.
    #[serde(skip)]
    pub span: Span,
    /// The comments beside it (not part of the JSON form).
    #[serde(skip)]
    pub comments: Comments,
}

/// An effect: what a decision (or a `default`, or an expectation) says.
///
/// ```
/// use portcullis::syntax::Effect;
/// assert_eq!(serde_json::to_string(&Effect::Deny)?, r#""deny""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// The request may proceed.
    Allow,
    /// The request is refused.
    Deny,
}

/// `let NAME = value` or `let NAME = [values]`.
///
/// ```
/// let file = portcullis::syntax::parse("let office = [10.0.0.0/8]")?;
/// assert_eq!(file.lets[0].name.name, "office");
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Let {
    /// The bound name.
    pub name: Ident,
    /// The bound values; a single value binds a one-element list.
    pub value: LetValue,
    /// Where the whole binding is.
    #[serde(skip)]
    pub span: Span,
    /// The comments beside it.
    #[serde(default, skip_serializing_if = "Comments::is_empty")]
    pub comments: Comments,
}

/// What a `let` binds: one value or a bracketed list.
///
/// ```
/// use portcullis::syntax::LetValue;
/// let file = portcullis::syntax::parse("let one = \"a\"\nlet many = [\"a\", \"b\"]")?;
/// assert!(matches!(file.lets[0].value, LetValue::Single(_)));
/// assert!(matches!(file.lets[1].value, LetValue::List(_)));
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LetValue {
    /// A bracketed list (possibly empty).
    List(List),
    /// A single value.
    Single(Value),
}

/// A bracketed list of values: `[a, b, c]`.
///
/// ```
/// use portcullis::syntax::LetValue;
/// let file = portcullis::syntax::parse("let ports = [80, 8000..8100]")?;
/// let LetValue::List(list) = &file.lets[0].value else { unreachable!() };
/// assert_eq!(list.values.len(), 2);
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct List {
    /// The values, in order.
    pub values: Vec<Value>,
    /// From `[` to `]`.
    #[serde(skip)]
    pub span: Span,
    /// Comments after the last value, before the `]` (not part of the JSON form).
    #[serde(skip)]
    pub end_comments: Vec<Comment>,
}

/// A name: a `let` binding, or a use of one.
///
/// ```
/// let file = portcullis::syntax::parse("let frontends = [\"a\"]")?;
/// assert_eq!(file.lets[0].name.name, "frontends");
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ident {
    /// The name as written.
    pub name: String,
    /// Where it is written.
    #[serde(skip)]
    pub span: Span,
}

/// A string literal, escapes already decoded.
///
/// ```
/// let file = portcullis::syntax::parse("allow \"a \\\"quoted\\\" name\" {}")?;
/// assert_eq!(file.rules[0].name.value, "a \"quoted\" name");
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StringLit {
    /// The decoded text.
    pub value: String,
    /// Where the literal is, quotes included.
    #[serde(skip)]
    pub span: Span,
}

/// A rule: `allow|deny|audit "name" { conditions }`.
///
/// ```
/// use portcullis::syntax::RuleKind;
/// let file = portcullis::syntax::parse("deny \"no deletes\" { method DELETE }")?;
/// assert_eq!(file.rules[0].kind, RuleKind::Deny);
/// assert_eq!(file.rules[0].conditions.len(), 1);
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `allow`, `deny` or `audit`.
    #[serde(rename = "effect")]
    pub kind: RuleKind,
    /// The rule's name, unique in the policy.
    pub name: StringLit,
    /// Every condition must match for the rule to match.
    #[serde(rename = "when", default)]
    pub conditions: Vec<Condition>,
    /// Where the rule is; its start is the keyword.
    #[serde(skip)]
    pub span: Span,
    /// The comments beside it.
    #[serde(default, skip_serializing_if = "Comments::is_empty")]
    pub comments: Comments,
    /// Comments after the last condition, before the closing `}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub end_comments: Vec<Comment>,
}

/// What a rule does when it matches.
///
/// ```
/// use portcullis::syntax::RuleKind;
/// assert_eq!(serde_json::to_string(&RuleKind::Audit)?, r#""audit""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
///
/// ```
/// use portcullis::syntax::Subject;
/// let file = portcullis::syntax::parse("allow \"r\" { not header \"x-debug\" present }")?;
/// let cond = &file.rules[0].conditions[0];
/// assert!(cond.not);
/// assert!(matches!(cond.subject, Subject::Header(_)));
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// `not` inverts the test.
    #[serde(default, skip_serializing_if = "is_false")]
    pub not: bool,
    /// What the condition looks at.
    pub subject: Subject,
    /// How it tests it.
    pub test: Test,
    /// Where the condition is (from `not` or the subject keyword).
    #[serde(skip)]
    pub span: Span,
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

/// The request attribute a condition looks at.
///
/// ```
/// use portcullis::syntax::Subject;
/// assert_eq!(serde_json::to_string(&Subject::Identity)?, r#""identity""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
///
/// Non-exhaustive: later language versions may add subjects.
#[non_exhaustive]
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
    Header(StringLit),
    /// A caller attribute, by key (case-sensitive).
    Attr(StringLit),
}

/// How a condition tests its subject.
///
/// ```
/// use portcullis::syntax::Test;
/// let file = portcullis::syntax::parse("allow \"r\" { path ~ \"/v[0-9]+/.*\" }")?;
/// assert!(matches!(file.rules[0].conditions[0].test, Test::Regex(_)));
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
///
/// Non-exhaustive: later language versions may add tests.
#[non_exhaustive]
pub enum Test {
    /// `value, value, ...`: any of the values matches.
    Values(Vec<Value>),
    /// `in NAME` or `in [values]`.
    In(InTarget),
    /// `~ "regex"`: the whole value matches the regular expression.
    Regex(StringLit),
    /// `present`: the attribute occurs in the request.
    Present,
    /// `== "value"` (headers and attributes only).
    Equals(StringLit),
}

/// What follows `in`: a bound name or a literal list.
///
/// ```
/// use portcullis::syntax::{InTarget, Test};
/// let file = portcullis::syntax::parse("let o = [10.0.0.0/8]\nallow \"r\" { source in o }")?;
/// assert!(matches!(file.rules[0].conditions[0].test, Test::In(InTarget::Name(_))));
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InTarget {
    /// A `let` name.
    Name(Ident),
    /// A literal list.
    List(List),
}

/// A value as written: its kind and where it is.
///
/// ```
/// use portcullis::syntax::{Test, ValueKind};
/// let file = portcullis::syntax::parse("allow \"r\" { port 8000..8100 }")?;
/// let Test::Values(values) = &file.rules[0].conditions[0].test else { unreachable!() };
/// assert_eq!(values[0].kind, ValueKind::Range { range: (8000, 8100) });
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Value {
    /// What was written.
    pub kind: ValueKind,
    /// Where.
    #[serde(skip)]
    pub span: Span,
    /// The comments beside it, in a list written one value per line (not part of
    /// the JSON form).
    #[serde(skip)]
    pub comments: Comments,
}

/// The kinds of value. In JSON a string is a JSON string, an integer a JSON number, and
/// the others are one-key objects: `{"method": "GET"}`, `{"address": "10.0.0.0/8"}`,
/// `{"range": [8000, 8100]}`, `{"name": "office"}`.
///
/// ```
/// use portcullis::syntax::ValueKind;
/// let v: ValueKind = serde_json::from_str(r#"{"address": "10.0.0.0/8"}"#)?;
/// assert_eq!(v, ValueKind::Address { address: "10.0.0.0/8".into() });
/// assert!(serde_json::from_str::<ValueKind>(r#"{"address": "10.0.0.0/8", "x": 1}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
///
/// Non-exhaustive: later language versions may add kinds of value.
#[non_exhaustive]
pub enum ValueKind {
    /// A string literal (decoded).
    String(String),
    /// A decimal integer (a port).
    Integer(u64),
    /// A bare method token such as `GET`.
    Method {
        /// The token.
        method: String,
    },
    /// A bare address or CIDR block, as written (validated by the checker).
    Address {
        /// The text, for example `10.0.0.0/8`.
        address: String,
    },
    /// An inclusive port range `start..end`.
    Range {
        /// Start and end, inclusive.
        range: (u64, u64),
    },
    /// A use of a `let` name; its list is spliced in place.
    Name {
        /// The name.
        name: String,
    },
}

/// A `test "name" { expectations }` block.
///
/// ```
/// let file = portcullis::syntax::parse("test \"t\" { deny GET \"/\" by default }")?;
/// assert_eq!(file.tests[0].expectations.len(), 1);
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestBlock {
    /// The block's name, unique in the policy.
    pub name: StringLit,
    /// The expectations, in order.
    #[serde(default)]
    pub expectations: Vec<Expectation>,
    /// Where the block is.
    #[serde(skip)]
    pub span: Span,
    /// The comments beside it.
    #[serde(default, skip_serializing_if = "Comments::is_empty")]
    pub comments: Comments,
    /// Comments after the last expectation, before the closing `}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub end_comments: Vec<Comment>,
}

/// One expectation: `allow|deny METHOD "path" fields... [by ...]`.
///
/// ```
/// use portcullis::syntax::{By, Effect};
/// let file = portcullis::syntax::parse(
///     "test \"t\" { allow GET \"/a\" identity \"spiffe://x/y\" port 80 by \"r\" }",
/// )?;
/// let e = &file.tests[0].expectations[0];
/// assert_eq!(e.effect, Effect::Allow);
/// assert_eq!(e.fields.len(), 2);
/// assert!(matches!(&e.by, Some(By::Rule(name)) if name.value == "r"));
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The expected effect.
    pub effect: Effect,
    /// The request method, as written (not checked at compile time).
    pub method: StringLit,
    /// The request path, as written (not checked at compile time).
    pub path: StringLit,
    /// Further request fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// The expected deciding rule, or `by default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<By>,
    /// Where the expectation is; its line is reported when it fails.
    #[serde(skip)]
    pub span: Span,
    /// The comments beside it.
    #[serde(default, skip_serializing_if = "Comments::is_empty")]
    pub comments: Comments,
}

/// What `by` names: a rule, or the default.
///
/// ```
/// use portcullis::syntax::By;
/// let by: By = serde_json::from_str(r#"{"rule": "probes"}"#)?;
/// assert!(matches!(by, By::Rule(name) if name.value == "probes"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// `by "rule name"`: decided by that rule.
    Rule(StringLit),
    /// `by default`: decided by the default.
    Default,
}

/// A request field of an expectation.
///
/// ```
/// use portcullis::syntax::Field;
/// let f: Field = serde_json::from_str(r#"{"header": ["x-env", "prod"]}"#)?;
/// assert!(matches!(f, Field::Header(name, value) if name.value == "x-env" && value.value == "prod"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
///
/// Non-exhaustive: later language versions may add expectation fields.
#[non_exhaustive]
pub enum Field {
    /// `identity "..."`.
    Identity(StringLit),
    /// `host "..."`.
    Host(StringLit),
    /// `port N`.
    Port(Integer),
    /// `source ADDRESS`.
    Source(Address),
    /// `header "name" = "value"`.
    Header(StringLit, StringLit),
    /// `attr "key" = "value"`.
    Attr(StringLit, StringLit),
}

/// An integer with its span.
///
/// ```
/// let i: portcullis::syntax::Integer = serde_json::from_str("8443")?;
/// assert_eq!(i.value, 8443);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Integer {
    /// The value.
    pub value: u64,
    /// Where it is written.
    #[serde(skip)]
    pub span: Span,
}

/// An address token with its span, as written.
///
/// ```
/// let a: portcullis::syntax::Address = serde_json::from_str(r#""10.1.2.3""#)?;
/// assert_eq!(a.text, "10.1.2.3");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Address {
    /// The address as written.
    pub text: String,
    /// Where it is written.
    #[serde(skip)]
    pub span: Span,
}
