//! Leaves: the rules a subtree ends with, each with the conditions it still checks,
//! prepared and ordered cheapest first.

use std::sync::Arc;

use crate::check::identity_glob::IdentityGlob;
use crate::check::path_pattern::PathPattern;
use crate::check::{Cond, CondTest, Keyed};
use crate::compile::{Check, CheckTest, LeafRule, Node, Role, to_u32};
use crate::syntax::RuleKind;

use super::{Builder, Placed};

/// How expensive a condition is to check in a leaf, roughly: leaves check the cheap
/// ones first, so that a rule that fails on its method never runs its regex.
pub(crate) fn cost(cond: &Cond) -> u8 {
    match &cond.test {
        CondTest::Present(_) => 0,
        CondTest::Method(_) | CondTest::Port(_) => 1,
        // Exact identities and `prefix/*` globs: a length compare rejects most.
        CondTest::Identity(gs) if gs.iter().all(IdentityGlob::is_simple) => 1,
        CondTest::Source(_) => 2,
        CondTest::Host(_) | CondTest::Identity(_) => 3,
        CondTest::Header {
            test: Keyed::Regex(_),
            ..
        }
        | CondTest::Attr {
            test: Keyed::Regex(_),
            ..
        } => 8,
        CondTest::Header { .. } | CondTest::Attr { .. } => 4,
        // A literal first segment fails most paths on one short compare.
        CondTest::Path(ps) if ps.iter().all(PathPattern::starts_literal) => 2,
        CondTest::Path(_) => 5,
        CondTest::IdentityRegex(_) | CondTest::PathRegex(_) | CondTest::HostRegex(_) => 8,
    }
}

/// The leaf form of condition `c`, `cond` (see [`CheckTest`]).
fn prepare(cond: &Arc<Cond>, c: u32) -> Check {
    let test = match &cond.test {
        CondTest::Identity(globs) => match globs.as_slice() {
            [IdentityGlob::PrefixOneSegment(prefix)] if prefix.ends_with('/') => {
                CheckTest::IdentityDir((**prefix).into())
            }
            _ => CheckTest::Cond(Arc::clone(cond)),
        },
        CondTest::Method(methods) => CheckTest::Method(methods.iter().cloned().collect()),
        CondTest::Path(patterns) => CheckTest::Path(patterns.iter().cloned().collect()),
        _ => CheckTest::Cond(Arc::clone(cond)),
    };
    Check {
        negated: cond.negated,
        cond: c,
        test,
    }
}

impl Builder<'_> {
    /// Makes a leaf of `rules` (ascending).
    pub(super) fn leaf(&mut self, rules: &[Placed]) -> Box<Node> {
        self.placements += rules.len();
        let mut entries = Vec::with_capacity(rules.len());
        for placed in rules {
            // INVARIANT: rule numbers come from `Tree::build`, one per rule of the
            // policy, and are only copied from there.
            let Some(rule) = self.policy.rules.get(placed.rule as usize) else {
                debug_assert!(false, "rule {} is not in the policy", placed.rule);
                continue;
            };
            let order = &mut self.order;
            order.clear();
            for (c, cond) in rule.conditions.iter().enumerate() {
                let proven = c < 64 && placed.proven & (1 << c) != 0;
                if !proven {
                    order.push((cost(cond), to_u32(c), cond));
                }
            }
            // Stable: equal costs keep source order.
            order.sort_by_key(|&(cost, _, _)| cost);
            let checks = order.iter().map(|&(_, c, cond)| prepare(cond, c)).collect();
            let role = match rule.kind {
                RuleKind::Deny => Role::Deny,
                RuleKind::Allow => Role::Allow,
                RuleKind::Audit => Role::Audit(to_u32(rule.audit_slot)),
            };
            entries.push(LeafRule {
                rule: placed.rule,
                role,
                checks,
            });
        }
        Box::new(Node::Leaf(entries.into_boxed_slice()))
    }
}
