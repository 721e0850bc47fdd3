//! Evaluation: normalize the request once, walk the compiled tree, and turn what the
//! leaves found into a [`Decision`] (`docs/language.md`, *How a decision is made*).

pub(crate) mod decision;
pub(crate) mod matching;
pub(crate) mod owned_decision;

use crate::check::CheckedPolicy;
use crate::compile::{LeafRule, Node, NodeId, Role, Tree};
use crate::normalize::{self, Normalized, Options, Scratch};
use crate::request::Request;

use decision::{AuditSet, Decision, Effect, Reason};

/// What the leaves found so far.
struct Found {
    /// Lowest matching `deny` rule.
    deny: Option<u32>,
    /// Lowest matching `allow` rule.
    allow: Option<u32>,
    audits: AuditSet,
    /// A position in the tree pointed outside its table (never, for a tree
    /// `Tree::build` made): the decision denies.
    corrupt: bool,
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
            corrupt: false,
        };
        self.visit(self.root, &normalized, &mut found);
        if found.corrupt {
            debug_assert!(false, "the tree points outside itself");
            return Decision {
                effect: Effect::Deny,
                reason: Reason::Rule,
                rule: None,
                audits: found.audits,
                audit_names: &policy.audit_names,
                error: None,
            };
        }
        // INVARIANT: leaves hold rule numbers of this policy (`Tree::validate`); a
        // number that names no rule cannot let a request through.
        let name = |r: u32| policy.rules.get(r as usize).map(|rule| &rule.name);
        let (effect, reason, rule) = match (found.deny, found.allow) {
            (Some(r), _) => (Effect::Deny, Reason::Rule, name(r)),
            (None, Some(r)) => match name(r) {
                Some(name) => (Effect::Allow, Reason::Rule, Some(name)),
                None => {
                    debug_assert!(false, "allow rule {r} is not in the policy");
                    (Effect::Deny, Reason::Rule, None)
                }
            },
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
}

impl Tree {
    /// Visits node `id`: checks the rules of a leaf; at a split, visits the children
    /// the request's value selects, then the rest. A position outside the tree marks
    /// the decision corrupt (it denies) rather than skip what it should have reached.
    fn visit(&self, id: NodeId, r: &Normalized<'_>, found: &mut Found) {
        match self.nodes.get(id.0 as usize) {
            Some(Node::Leaf(range)) => match range.of(&self.rules) {
                Some(rules) => {
                    for entry in rules {
                        self.check_rule(entry, r, found);
                    }
                }
                None => found.corrupt = true,
            },
            Some(&Node::Split { index, rest }) => {
                // Children come before their parent (`Tree::validate`): a walk that
                // would go up or round in circles is corrupt instead.
                let mut child_of = |child: NodeId| {
                    if child.0 < id.0 {
                        self.visit(child, r, found);
                    } else {
                        found.corrupt = true;
                    }
                };
                match self.indexes.get(index as usize) {
                    Some(index) => index.for_each(r, &mut child_of),
                    // `id` is not below itself: the decision is marked corrupt.
                    None => child_of(id),
                }
                child_of(rest);
            }
            None => found.corrupt = true,
        }
    }

    /// Checks the rule of `entry` unless it could not change the outcome: the entry
    /// carries the rule's kind and audit slot, so a rule that cannot is passed over without
    /// loading it.
    #[inline]
    fn check_rule(&self, entry: &LeafRule, r: &Normalized<'_>, found: &mut Found) {
        let i = entry.rule;
        let wanted = match entry.role() {
            Role::Deny => found.deny.is_none_or(|d| i < d),
            Role::Allow => found.deny.is_none() && found.allow.is_none_or(|a| i < a),
            Role::Audit(slot) => !found.audits.contains(slot as usize),
        };
        if !wanted {
            return;
        }
        match matching::checks_match(self, entry.checks, r) {
            Some(true) => {}
            Some(false) => return,
            None => {
                found.corrupt = true;
                return;
            }
        }
        match entry.role() {
            Role::Deny => found.deny = Some(i),
            Role::Allow => found.allow = Some(i),
            // INVARIANT: audit slots are below the policy's number of audit rules, which
            // `found.audits` was made for (`Tree::validate` checks it).
            Role::Audit(slot) => found.audits.insert(slot as usize),
        }
    }
}
