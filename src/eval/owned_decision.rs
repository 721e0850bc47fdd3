//! [`OwnedDecision`]: a decision that outlives the borrow of its policy.

use std::sync::Arc;

use crate::normalize::InvalidRequest;

use super::decision::{Decision, Effect, Reason};

/// A decision that owns what it reports: `Send + Sync + 'static`, cheap to clone, and
/// storable where a borrowed [`Decision`] cannot go (an `http::Extensions` map, a
/// channel, a cache, across an `await`).
///
/// Rule names are shared with the policy that decided: converting a [`Decision`]
/// copies reference counts, never names, and allocates only the list of matching audit
/// rules (nothing when none matched). The policy may be dropped or replaced meanwhile.
///
/// ```
/// use portcullis::{Effect, OwnedDecision, Policy, Reason, Request};
///
/// let policy = Policy::compile(r#"
///     allow "read" { method GET }
///     audit "seen" { header "x-debug" present }
/// "#)?;
/// let decision: OwnedDecision = policy
///     .evaluate(&Request::new("GET", "/").header("x-debug", b"1"))
///     .to_owned();
/// drop(policy);
/// assert_eq!(decision.effect(), Effect::Allow);
/// assert_eq!(decision.reason(), Reason::Rule);
/// assert_eq!(decision.rule(), Some("read"));
/// assert_eq!(decision.audit().collect::<Vec<_>>(), ["seen"]);
///
/// fn storable<T: Send + Sync + Clone + 'static>(_: &T) {}
/// storable(&decision);
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OwnedDecision {
    effect: Effect,
    reason: Reason,
    rule: Option<Arc<str>>,
    audit: Vec<Arc<str>>,
    error: Option<InvalidRequest>,
}

impl OwnedDecision {
    /// `allow` or `deny`.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("default deny")?;
    /// let d = policy.evaluate(&portcullis::Request::new("GET", "/")).to_owned();
    /// assert_eq!(d.effect(), portcullis::Effect::Deny);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// True when the effect is `allow`.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("default allow")?;
    /// assert!(policy.evaluate(&portcullis::Request::new("GET", "/")).to_owned().is_allowed());
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn is_allowed(&self) -> bool {
        self.effect == Effect::Allow
    }

    /// Why: a rule, the default, or an invalid request.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("default allow")?;
    /// let d = policy.evaluate(&portcullis::Request::new("GET", "/%2F")).to_owned();
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
    /// let d = policy.evaluate(&portcullis::Request::new("GET", "/")).to_owned();
    /// assert_eq!(d.rule(), Some("no"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn rule(&self) -> Option<&str> {
        self.rule.as_deref()
    }

    /// The deciding rule's name, shared with the policy (a clone is a reference
    /// count), when the reason is [`Reason::Rule`].
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("deny \"no\" {}")?;
    /// let d = policy.evaluate(&portcullis::Request::new("GET", "/")).to_owned();
    /// assert_eq!(d.rule_shared().map(|n| &**n), Some("no"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn rule_shared(&self) -> Option<&Arc<str>> {
        self.rule.as_ref()
    }

    /// The names of the matching `audit` rules, in source order.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("audit \"a\" {}\naudit \"b\" { method POST }")?;
    /// let d = policy.evaluate(&portcullis::Request::new("GET", "/")).to_owned();
    /// assert_eq!(d.audit().collect::<Vec<_>>(), ["a"]);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn audit(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.audit.iter().map(|n| &**n)
    }

    /// The names of the matching `audit` rules, shared with the policy.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("audit \"a\" {}")?;
    /// let d = policy.evaluate(&portcullis::Request::new("GET", "/")).to_owned();
    /// assert_eq!(d.audit_shared().len(), 1);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn audit_shared(&self) -> &[Arc<str>] {
        &self.audit
    }

    /// Why the request was invalid, when the reason is [`Reason::InvalidRequest`].
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("default allow")?;
    /// let d = policy.evaluate(&portcullis::Request::new("GET", "/a%2fb")).to_owned();
    /// assert_eq!(d.error().map(|e| e.to_string()).as_deref(), Some("encoded slash in path"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn error(&self) -> Option<InvalidRequest> {
        self.error
    }
}

impl Decision<'_> {
    /// The same decision, owning what it reports (see [`OwnedDecision`]): rule names
    /// are shared with the policy, so this allocates only the list of matching audit
    /// rules, and nothing when none matched.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"all\" {}")?;
    /// let owned = policy.evaluate(&portcullis::Request::new("GET", "/")).to_owned();
    /// assert_eq!(owned.rule(), Some("all"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn to_owned(&self) -> OwnedDecision {
        OwnedDecision {
            effect: self.effect,
            reason: self.reason,
            rule: self.rule.cloned(),
            audit: self.audit_shared().cloned().collect(),
            error: self.error,
        }
    }
}

/// See [`Decision::to_owned`].
///
/// ```
/// let policy = portcullis::Policy::compile("default allow")?;
/// let owned = portcullis::OwnedDecision::from(policy.evaluate(&portcullis::Request::new("GET", "/")));
/// assert!(owned.is_allowed());
/// # Ok::<(), portcullis::CompileError>(())
/// ```
impl From<Decision<'_>> for OwnedDecision {
    fn from(decision: Decision<'_>) -> OwnedDecision {
        decision.to_owned()
    }
}

/// See [`Decision::to_owned`].
///
/// ```
/// let policy = portcullis::Policy::compile("default allow")?;
/// let decision = policy.evaluate(&portcullis::Request::new("GET", "/"));
/// assert!(portcullis::OwnedDecision::from(&decision).is_allowed());
/// # Ok::<(), portcullis::CompileError>(())
/// ```
impl From<&Decision<'_>> for OwnedDecision {
    fn from(decision: &Decision<'_>) -> OwnedDecision {
        decision.to_owned()
    }
}
