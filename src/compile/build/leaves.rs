//! Leaves: the rules a subtree ends with, each with the conditions it still checks,
//! prepared and ordered cheapest first.

use crate::check::identity_glob::IdentityGlob;
use crate::check::path_pattern::PathPattern;
use crate::check::{Cond, CondTest, Keyed};
use crate::compile::{Check, CheckTest, LeafRule, Node, NodeId};

use super::{Builder, Placed};

/// How expensive a condition is to check in a leaf, roughly: leaves check the cheap
/// ones first, so that a rule that fails on its method never runs its regex.
fn cost(cond: &Cond) -> u8 {
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
fn prepare(cond: &Cond, c: u32) -> Check {
    let test = match &cond.test {
        CondTest::Identity(globs) => match globs.as_slice() {
            [IdentityGlob::PrefixOneSegment(prefix)] if prefix.ends_with('/') => {
                CheckTest::IdentityDir((**prefix).into())
            }
            _ => CheckTest::Cond(c),
        },
        CondTest::Method(methods) => CheckTest::Method(methods.iter().cloned().collect()),
        CondTest::Path(patterns) => CheckTest::Path(patterns.iter().cloned().collect()),
        _ => CheckTest::Cond(c),
    };
    Check {
        negated: cond.negated,
        test,
    }
}

impl Builder<'_> {
    /// Makes a leaf of `rules` (ascending).
    pub(super) fn leaf(&mut self, rules: &[Placed]) -> NodeId {
        self.placements += rules.len();
        let mut entries = Vec::with_capacity(rules.len());
        let order = &mut self.order;
        for placed in rules {
            order.clear();
            let Some(rule) = self.policy.rules.get(placed.rule as usize) else {
                continue;
            };
            for (c, cond) in rule.conditions.iter().enumerate() {
                let proven = c < 64 && placed.proven & (1 << c) != 0;
                if !proven {
                    order.push((cost(cond), u32::try_from(c).unwrap_or(u32::MAX)));
                }
            }
            // Stable: equal costs keep source order.
            order.sort_by_key(|&(cost, _)| cost);
            let start = u32::try_from(self.checks.len()).unwrap_or(u32::MAX);
            for &(_, c) in order.iter() {
                if let Some(cond) = rule.conditions.get(c as usize) {
                    self.checks.push(prepare(cond, c));
                }
            }
            let end = u32::try_from(self.checks.len()).unwrap_or(u32::MAX);
            entries.push(LeafRule {
                rule: placed.rule,
                kind: rule.kind,
                audit_slot: u32::try_from(rule.audit_slot).unwrap_or(u32::MAX),
                start,
                end,
            });
        }
        self.push(Node::Leaf(entries.into_boxed_slice()))
    }
}
