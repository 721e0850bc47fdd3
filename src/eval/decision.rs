//! The answer to a request: effect, reason, deciding rule, audit list.

use std::fmt;

use crate::normalize::InvalidRequest;
use crate::syntax::Effect;

/// Why a decision came out as it did.
///
/// ```
/// use portcullis::{Policy, Reason, Request};
/// let policy = Policy::compile("default deny")?;
/// assert_eq!(policy.evaluate(&Request::new("GET", "/")).reason(), Reason::Default);
/// assert_eq!(policy.evaluate(&Request::new("get", "/")).reason(), Reason::InvalidRequest);
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// A rule decided: the first matching `deny`, else the first matching `allow`.
    Rule,
    /// No `allow` or `deny` rule matched; the policy's default decided.
    Default,
    /// The request could not be normalized and was denied.
    InvalidRequest,
}

impl Reason {
    /// The name used in JSON: `rule`, `default` or `invalid_request`.
    ///
    /// ```
    /// assert_eq!(portcullis::Reason::InvalidRequest.as_str(), "invalid_request");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Rule => "rule",
            Reason::Default => "default",
            Reason::InvalidRequest => "invalid_request",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Audit-rule matches: a bit per audit rule, inline for up to 256 audit rules.
#[derive(Clone, Debug)]
pub(crate) enum AuditSet {
    Inline([u64; 4]),
    Heap(Vec<u64>),
}

impl AuditSet {
    /// An empty set able to hold `audit_rules` bits; allocates only past 256.
    pub(crate) fn with_capacity(audit_rules: usize) -> AuditSet {
        if audit_rules <= 256 {
            AuditSet::Inline([0; 4])
        } else {
            AuditSet::Heap(vec![0; audit_rules.div_ceil(64)])
        }
    }

    fn words(&self) -> &[u64] {
        match self {
            AuditSet::Inline(w) => w,
            AuditSet::Heap(w) => w,
        }
    }

    pub(crate) fn insert(&mut self, bit: usize) {
        let words = match self {
            AuditSet::Inline(w) => &mut w[..],
            AuditSet::Heap(w) => &mut w[..],
        };
        if let Some(word) = words.get_mut(bit / 64) {
            *word |= 1 << (bit % 64);
        }
    }

    pub(crate) fn contains(&self, bit: usize) -> bool {
        self.words()
            .get(bit / 64)
            .is_some_and(|w| w & (1 << (bit % 64)) != 0)
    }

    fn is_empty(&self) -> bool {
        self.words().iter().all(|&w| w == 0)
    }
}

/// The outcome of evaluating one request against a policy.
///
/// It borrows the policy for the names of its rules; evaluating allocates nothing
/// unless the policy has more than 256 audit rules.
///
/// ```
/// use portcullis::{Policy, Reason, Request};
/// let policy = Policy::compile(r#"
///     allow "read" { method GET }
///     audit "seen" { header "x-debug" present }
/// "#)?;
/// let d = policy.evaluate(&Request::new("GET", "/").header("x-debug", b"1"));
/// assert!(d.is_allowed());
/// assert_eq!(d.reason(), Reason::Rule);
/// assert_eq!(d.rule(), Some("read"));
/// assert_eq!(d.audit().collect::<Vec<_>>(), ["seen"]);
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Decision<'p> {
    pub(crate) effect: Effect,
    pub(crate) reason: Reason,
    pub(crate) rule: Option<&'p str>,
    pub(crate) audits: AuditSet,
    pub(crate) audit_names: &'p [Box<str>],
    pub(crate) error: Option<InvalidRequest>,
}

impl<'p> Decision<'p> {
    /// `allow` or `deny`.
    ///
    /// ```
    /// use portcullis::{Policy, Request, syntax::Effect};
    /// let policy = Policy::compile("default allow")?;
    /// assert_eq!(policy.evaluate(&Request::new("GET", "/")).effect(), Effect::Allow);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// True when the effect is `allow`.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("default deny")?;
    /// assert!(!policy.evaluate(&portcullis::Request::new("GET", "/")).is_allowed());
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn is_allowed(&self) -> bool {
        self.effect == Effect::Allow
    }

    /// Why: a rule, the default, or an invalid request.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("default deny")?;
    /// let d = policy.evaluate(&portcullis::Request::new("GET", "/%2F"));
    /// assert_eq!(d.reason(), portcullis::Reason::InvalidRequest);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// The deciding rule's name when the reason is [`Reason::Rule`].
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("deny \"no\" {}")?;
    /// assert_eq!(policy.evaluate(&portcullis::Request::new("GET", "/")).rule(), Some("no"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn rule(&self) -> Option<&'p str> {
        self.rule
    }

    /// The names of the matching `audit` rules, in source order.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("audit \"a\" {}\naudit \"b\" { method POST }")?;
    /// let d = policy.evaluate(&portcullis::Request::new("GET", "/"));
    /// assert_eq!(d.audit().collect::<Vec<_>>(), ["a"]);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn audit(&self) -> impl Iterator<Item = &'p str> + '_ {
        let names = self.audit_names;
        let any = !self.audits.is_empty();
        names
            .iter()
            .enumerate()
            .filter(move |(i, _)| any && self.audits.contains(*i))
            .map(|(_, n)| &**n)
    }

    /// Why the request was invalid, when the reason is [`Reason::InvalidRequest`].
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("default allow")?;
    /// let d = policy.evaluate(&portcullis::Request::new("GET", "/a%2fb"));
    /// assert_eq!(d.error().map(|e| e.to_string()).as_deref(), Some("encoded slash in path"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn error(&self) -> Option<InvalidRequest> {
        self.error
    }
}
