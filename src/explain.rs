//! [`Policy::explain`](crate::Policy::explain): a decision with, for every rule, whether
//! it matched and, when not, the first condition that did not.
//!
//! The decision is [`Policy::evaluate`](crate::Policy::evaluate)'s own. The per-rule
//! answers come from a second, plain pass: the request is normalized again and every
//! condition of every rule is matched in source order against it, with the same
//! matcher the tree's leaves use. Nothing here is on the evaluation path, so
//! `evaluate` costs what it did.

use crate::check::CheckedPolicy;
use crate::eval::decision::{Decision, Reason};
use crate::eval::matching::condition_matches;
use crate::normalize::{self, Options, Scratch};
use crate::request::Request;
use crate::sites::{ConditionInfo, RuleInfo};
use crate::syntax::RuleKind;

/// What [`Policy::explain`](crate::Policy::explain) found: the decision, exactly as
/// [`Policy::evaluate`](crate::Policy::evaluate) gives it, and one entry per rule in
/// source order (none for an invalid request).
///
/// ```
/// let policy = portcullis::Policy::compile_sources([(
///     "payments.pcl",
///     "allow \"reads\" {\n  method GET, HEAD\n  path \"/orders/*\"\n}",
/// )])?;
/// let explanation = policy.explain(&portcullis::Request::new("POST", "/orders/1"));
/// assert!(!explanation.decision().is_allowed());
/// let rule = &explanation.rules()[0];
/// assert_eq!((rule.name(), rule.matched()), ("reads", false));
/// let failed = rule.failed().unwrap();
/// assert_eq!(failed.text(), "method GET, HEAD");
/// assert_eq!((failed.file(), failed.span().line, failed.span().column), ("payments.pcl", 2, 3));
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Explanation<'p> {
    decision: Decision<'p>,
    rules: Vec<RuleExplanation<'p>>,
}

impl<'p> Explanation<'p> {
    /// The decision, as `evaluate` gives it.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"any\" {}")?;
    /// assert_eq!(policy.explain(&portcullis::Request::new("GET", "/")).decision().rule(), Some("any"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn decision(&self) -> &Decision<'p> {
        &self.decision
    }

    /// Every rule (`allow`, `deny` and `audit`) in source order, or none when the
    /// request is invalid (it matches no rule).
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"a\" {}\naudit \"b\" {}")?;
    /// assert_eq!(policy.explain(&portcullis::Request::new("GET", "/")).rules().len(), 2);
    /// assert!(policy.explain(&portcullis::Request::new("GET", "/a%2Fb")).rules().is_empty());
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn rules(&self) -> &[RuleExplanation<'p>] {
        &self.rules
    }

    /// The decision, leaving the rules.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("default allow")?;
    /// assert!(policy.explain(&portcullis::Request::new("GET", "/")).into_decision().is_allowed());
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn into_decision(self) -> Decision<'p> {
        self.decision
    }
}

/// One rule of an [`Explanation`]: whether every condition matched, and if not, the
/// first one in source order that did not.
///
/// ```
/// let policy = portcullis::Policy::compile("deny \"no deletes\" { method DELETE }")?;
/// let explanation = policy.explain(&portcullis::Request::new("DELETE", "/"));
/// let rule = &explanation.rules()[0];
/// assert!(rule.matched() && rule.failed().is_none());
/// assert_eq!(rule.kind(), portcullis::syntax::RuleKind::Deny);
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RuleExplanation<'p> {
    rule: RuleInfo<'p>,
    failed: Option<ConditionInfo<'p>>,
}

impl<'p> RuleExplanation<'p> {
    /// The rule: its name, kind, place and conditions.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"a\" {}")?;
    /// let explanation = policy.explain(&portcullis::Request::new("GET", "/"));
    /// assert_eq!(explanation.rules()[0].rule().span().line, 1);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn rule(&self) -> RuleInfo<'p> {
        self.rule
    }

    /// The rule's name.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("audit \"seen\" {}")?;
    /// let explanation = policy.explain(&portcullis::Request::new("GET", "/"));
    /// assert_eq!(explanation.rules()[0].name(), "seen");
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn name(&self) -> &'p str {
        self.rule.name()
    }

    /// `allow`, `deny` or `audit`.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("audit \"seen\" {}")?;
    /// let explanation = policy.explain(&portcullis::Request::new("GET", "/"));
    /// assert_eq!(explanation.rules()[0].kind(), portcullis::syntax::RuleKind::Audit);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn kind(&self) -> RuleKind {
        self.rule.kind()
    }

    /// Whether every condition matched (a rule without conditions always does),
    /// whether or not the rule decided.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"a\" {}\nallow \"b\" {}")?;
    /// let explanation = policy.explain(&portcullis::Request::new("GET", "/"));
    /// assert!(explanation.rules().iter().all(|r| r.matched()));
    /// assert_eq!(explanation.decision().rule(), Some("a"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn matched(&self) -> bool {
        self.failed.is_none()
    }

    /// The first condition in source order that did not match; `None` when the rule
    /// matched.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"a\" { method GET\n  not   port 80 }")?;
    /// let request = portcullis::Request::new("GET", "/").port(80);
    /// let explanation = policy.explain(&request);
    /// assert_eq!(explanation.rules()[0].failed().map(|c| c.text()), Some("not port 80"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn failed(&self) -> Option<ConditionInfo<'p>> {
        self.failed
    }
}

/// Explains `request` under `checked` (whose rules `rules` describes), given the
/// decision `evaluate` made.
pub(crate) fn explain<'p>(
    checked: &'p CheckedPolicy,
    rules: impl Iterator<Item = RuleInfo<'p>>,
    decision: Decision<'p>,
    request: &Request<'_>,
    options: &Options,
) -> Explanation<'p> {
    let mut scratch = Scratch::new();
    let normalized = match normalize::normalize(request, options, &mut scratch) {
        Ok(normalized) if decision.reason() != Reason::InvalidRequest => normalized,
        // Invalid: no rule is matched against it.
        _ => {
            return Explanation {
                decision,
                rules: Vec::new(),
            };
        }
    };
    let explained = checked
        .rules
        .iter()
        .zip(rules)
        .map(|(checked_rule, rule)| {
            // The checker records one site per condition it keeps.
            let conditions = checked.conditions(checked_rule);
            debug_assert_eq!(conditions.len(), rule.conditions().len());
            let failed = conditions
                .iter()
                .zip(rule.conditions())
                .find(|(condition, _)| !condition_matches(condition, &normalized))
                .map(|(_, info)| info);
            RuleExplanation { rule, failed }
        })
        .collect();
    Explanation {
        decision,
        rules: explained,
    }
}
