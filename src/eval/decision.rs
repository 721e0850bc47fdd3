//! The answer to a request: effect, reason, deciding rule, audit list.

use std::fmt;
use std::sync::Arc;

use crate::normalize::InvalidRequest;
use crate::syntax;

/// What a decision says: the request may proceed, or not.
///
/// Not `#[non_exhaustive]`, on purpose: a decision is `allow` or `deny` and nothing
/// else, so a `match` needs no wildcard arm (one that could let a future value
/// through).
///
/// ```
/// use portcullis::{Effect, Policy, Request};
/// let policy = Policy::compile("default allow")?;
/// let effect = policy.evaluate(&Request::new("GET", "/")).effect();
/// assert_eq!(effect, Effect::Allow);
/// assert_eq!(effect.to_string(), "allow");
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// The request may proceed.
    Allow,
    /// The request is refused.
    Deny,
}

impl Effect {
    /// The name used in JSON and in the language: `allow` or `deny`.
    ///
    /// ```
    /// assert_eq!(portcullis::Effect::Deny.as_str(), "deny");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The effect a policy's `default` or a test expectation names.
///
/// ```
/// use portcullis::{Effect, syntax};
/// assert_eq!(Effect::from(syntax::Effect::Allow), Effect::Allow);
/// ```
impl From<syntax::Effect> for Effect {
    fn from(effect: syntax::Effect) -> Effect {
        match effect {
            syntax::Effect::Allow => Effect::Allow,
            syntax::Effect::Deny => Effect::Deny,
        }
    }
}

/// Why a decision came out as it did.
///
/// Not `#[non_exhaustive]`, on purpose: the language fixes these three reasons, and
/// code that acts on a decision should be able to match them all without a wildcard
/// arm. A new reason would be a breaking change, made in a new major version.
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

/// How many matching audit rules a policy with more than 256 of them records inline.
const FEW: usize = 8;

/// Audit-rule matches. A policy with at most 256 audit rules has a bit per audit rule,
/// inline. A larger one records the positions of the audit rules that match, up to
/// [`FEW`] inline (a request seldom matches more than one or two), and only a request
/// that matches more than that allocates: a bit per audit rule on the heap.
#[derive(Clone, Debug)]
pub(crate) enum AuditSet {
    Bits([u64; 4]),
    Few { len: u8, slots: [u32; FEW] },
    Heap(Vec<u64>),
}

impl AuditSet {
    /// An empty set for a policy with `audit_rules` audit rules; allocates nothing.
    pub(crate) fn with_capacity(audit_rules: usize) -> AuditSet {
        if audit_rules <= 256 {
            AuditSet::Bits([0; 4])
        } else {
            AuditSet::Few {
                len: 0,
                slots: [0; FEW],
            }
        }
    }

    pub(crate) fn insert(&mut self, slot: usize) {
        match self {
            AuditSet::Bits(words) => set_bit(words, slot),
            AuditSet::Heap(words) => {
                if words.len() <= slot / 64 {
                    words.resize(slot / 64 + 1, 0);
                }
                set_bit(words, slot);
            }
            AuditSet::Few { len, slots } => {
                let n = usize::from(*len);
                let copy = *slots;
                let taken = copy.get(..n).unwrap_or_default();
                if taken.iter().any(|&s| s as usize == slot) {
                    return;
                }
                if n < FEW {
                    if let (Some(free), Ok(slot)) = (slots.get_mut(n), u32::try_from(slot)) {
                        *free = slot;
                        *len += 1;
                        return;
                    }
                }
                // Full (or a slot past u32, which no policy has): spill to a bit per
                // audit rule.
                let mut words = Vec::new();
                for s in taken.iter().map(|&s| s as usize).chain([slot]) {
                    if words.len() <= s / 64 {
                        words.resize(s / 64 + 1, 0);
                    }
                    set_bit(&mut words, s);
                }
                *self = AuditSet::Heap(words);
            }
        }
    }

    pub(crate) fn contains(&self, slot: usize) -> bool {
        match self {
            AuditSet::Bits(words) => has_bit(words, slot),
            AuditSet::Heap(words) => has_bit(words, slot),
            AuditSet::Few { len, slots } => slots
                .get(..usize::from(*len))
                .unwrap_or_default()
                .iter()
                .any(|&s| s as usize == slot),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            AuditSet::Bits(words) => words.iter().all(|&w| w == 0),
            AuditSet::Heap(words) => words.iter().all(|&w| w == 0),
            AuditSet::Few { len, .. } => *len == 0,
        }
    }
}

fn set_bit(words: &mut [u64], bit: usize) {
    if let Some(word) = words.get_mut(bit / 64) {
        *word |= 1 << (bit % 64);
    }
}

fn has_bit(words: &[u64], bit: usize) -> bool {
    words
        .get(bit / 64)
        .is_some_and(|w| w & (1 << (bit % 64)) != 0)
}

/// The outcome of evaluating one request against a policy.
///
/// It borrows the policy for the names of its rules; evaluating allocates nothing
/// unless the request matches more than 8 `audit` rules of a policy that has more than
/// 256 of them. To keep it past the borrow (in a
/// request's extensions, across an `await`), turn it into an
/// [`OwnedDecision`](crate::OwnedDecision) with [`Decision::to_owned`].
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
    pub(crate) rule: Option<&'p Arc<str>>,
    pub(crate) audits: AuditSet,
    pub(crate) audit_names: &'p [Arc<str>],
    pub(crate) error: Option<InvalidRequest>,
}

impl<'p> Decision<'p> {
    /// `allow` or `deny`.
    ///
    /// ```
    /// use portcullis::{Effect, Policy, Request};
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
        self.rule.map(|name| &**name)
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
        self.audit_shared().map(|n| &**n)
    }

    /// The names of the matching `audit` rules, shared with the policy.
    pub(crate) fn audit_shared(&self) -> impl Iterator<Item = &'p Arc<str>> + '_ {
        let names = self.audit_names;
        let any = !self.audits.is_empty();
        names
            .iter()
            .enumerate()
            .filter(move |(i, _)| any && self.audits.contains(*i))
            .map(|(_, n)| n)
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
