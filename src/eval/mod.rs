//! Evaluation: normalize the request once, walk the compiled tree, and turn what the
//! leaves found into a [`Decision`] (`docs/language.md`, *How a decision is made*).

pub(crate) mod decision;
pub(crate) mod matching;
pub(crate) mod owned_decision;

use crate::check::CheckedPolicy;
use crate::compile::{Check, LeafRule, Node, NodeId, Tree};
use crate::normalize::{self, Normalized, Options, Scratch};
use crate::request::Request;
use crate::syntax::RuleKind;

use decision::{AuditSet, Decision, Effect, Reason};

/// What the leaves found so far.
struct Found {
    /// Lowest matching `deny` rule.
    deny: Option<u32>,
    /// Lowest matching `allow` rule.
    allow: Option<u32>,
    audits: AuditSet,
}

impl Tree {
    /// Decides on `request`.
    pub(crate) fn evaluate<'p>(
        &'p self,
        policy: &'p CheckedPolicy,
        request: &Request<'_>,
        options: &Options,
    ) -> Decision<'p> {
        let mut scratch = Scratch::new();
        let normalized = match normalize::normalize(request, options, &mut scratch) {
            Ok(n) => n,
            Err(error) => {
                return Decision {
                    effect: Effect::Deny,
                    reason: Reason::InvalidRequest,
                    rule: None,
                    audits: AuditSet::with_capacity(0),
                    audit_names: &policy.audit_names,
                    error: Some(error),
                };
            }
        };
        let mut found = Found {
            deny: None,
            allow: None,
            audits: AuditSet::with_capacity(policy.audit_names.len()),
        };
        self.visit(self.root, policy, &normalized, &mut found);
        let name = |r: u32| policy.rules.get(r as usize).map(|rule| &rule.name);
        let (effect, reason, rule) = match (found.deny, found.allow) {
            (Some(r), _) => (Effect::Deny, Reason::Rule, name(r)),
            (None, Some(r)) => (Effect::Allow, Reason::Rule, name(r)),
            (None, None) => (Effect::from(policy.default), Reason::Default, None),
        };
        Decision {
            effect,
            reason,
            rule,
            audits: found.audits,
            audit_names: &policy.audit_names,
            error: None,
        }
    }

    fn visit(&self, id: NodeId, policy: &CheckedPolicy, r: &Normalized<'_>, found: &mut Found) {
        match self.node(id) {
            Some(Node::Leaf(rules)) => {
                for entry in rules.iter() {
                    check_rule(policy, &self.checks, entry, r, found);
                }
            }
            Some(Node::Split { index, rest }) => {
                index.for_each(r, &mut |child| self.visit(child, policy, r, found));
                if let Some(rest) = rest {
                    self.visit(*rest, policy, r, found);
                }
            }
            None => {}
        }
    }
}

/// Checks the rule of `entry` unless it could not change the outcome: the entry
/// carries the rule's kind and audit slot, so a rule that cannot is passed over without
/// loading it.
#[inline]
fn check_rule(
    policy: &CheckedPolicy,
    checks: &[Check],
    entry: &LeafRule,
    r: &Normalized<'_>,
    found: &mut Found,
) {
    let i = entry.rule;
    let slot = entry.audit_slot as usize;
    let wanted = match entry.kind {
        RuleKind::Deny => found.deny.is_none_or(|d| i < d),
        RuleKind::Allow => found.deny.is_none() && found.allow.is_none_or(|a| i < a),
        RuleKind::Audit => !found.audits.contains(slot),
    };
    if !wanted {
        return;
    }
    let conditions = checks
        .get(entry.start as usize..entry.end as usize)
        .unwrap_or_default();
    if !matching::checks_match(policy, i, conditions, r) {
        return;
    }
    match entry.kind {
        RuleKind::Deny => found.deny = Some(i),
        RuleKind::Allow => found.allow = Some(i),
        RuleKind::Audit => found.audits.insert(slot),
    }
}
