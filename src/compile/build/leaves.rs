//! Leaves: the rules a subtree ends with, each with the conditions it still checks,
//! prepared and ordered cheapest first.

use std::sync::Arc;

use crate::check::identity_glob::IdentityGlob;
use crate::check::path_pattern::PathPattern;
use crate::check::{CheckedRule, Cond, CondTest, Keyed};
use crate::compile::{Check, CheckTest, LeafRule, Node, NodeId, PathCheck, Range32, Role, to_u32};
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
        CondTest::Header(keyed) | CondTest::Attr(keyed) => match keyed.test {
            Keyed::Regex(_) => 8,
            Keyed::Values(_) | Keyed::Present => 4,
        },
        // A literal first segment fails most paths on one short compare.
        CondTest::Path(ps) if ps.iter().all(PathPattern::starts_literal) => 2,
        CondTest::Path(_) => 5,
        CondTest::IdentityRegex(_) | CondTest::PathRegex(_) | CondTest::HostRegex(_) => 8,
    }
}

impl<'p> Builder<'p> {
    /// Makes a leaf of `rules` (ascending).
    pub(super) fn leaf(&mut self, rules: &[Placed]) -> NodeId {
        self.placements += rules.len();
        let start = to_u32(self.out.rules.len());
        for placed in rules {
            // INVARIANT: rule numbers come from `Tree::build`, one per rule of the
            // policy, and are only copied from there.
            let Some(rule) = self.policy.rules.get(placed.rule as usize) else {
                debug_assert!(false, "rule {} is not in the policy", placed.rule);
                continue;
            };
            let checks = self.checks_of(placed, rule);
            let role = match rule.kind {
                RuleKind::Deny => Role::Deny,
                RuleKind::Allow => Role::Allow,
                RuleKind::Audit => Role::Audit(rule.audit_slot),
            };
            self.out
                .rules
                .push(LeafRule::new(placed.rule, role, checks));
        }
        let len = to_u32(self.out.rules.len()) - start;
        self.push(Node::Leaf(Range32 { start, len }))
    }

    /// The checks of `rule` placed as `placed`: its conditions not proven, prepared
    /// and cheapest first; made once for each set of proven conditions, and shared by
    /// every leaf that holds the rule placed alike.
    fn checks_of(&mut self, placed: &Placed, rule: &'p CheckedRule) -> Range32 {
        if let Some(&range) = self.check_lists.get(&(placed.rule, placed.proven)) {
            return range;
        }
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        for (c, cond) in self.policy.conditions(rule).iter().enumerate() {
            let proven = c < 64 && placed.proven & (1 << c) != 0;
            if !proven {
                order.push((cost(cond), to_u32(c), cond));
            }
        }
        // Stable: equal costs keep source order.
        order.sort_by_key(|&(cost, _, _)| cost);
        let start = to_u32(self.out.checks.len());
        for &(_, c, cond) in &order {
            let check = self.prepare(cond, c);
            self.out.checks.push(check);
        }
        self.order = order;
        let range = Range32 {
            start,
            len: to_u32(self.out.checks.len()) - start,
        };
        self.check_lists.insert((placed.rule, placed.proven), range);
        range
    }

    /// The leaf form of condition `c`, `cond` (see [`CheckTest`]).
    fn prepare(&mut self, cond: &'p Arc<Cond>, c: u32) -> Check {
        let test = match &cond.test {
            CondTest::Identity(globs) => match &**globs {
                [IdentityGlob::PrefixOneSegment(prefix)] if prefix.ends_with('/') => {
                    CheckTest::IdentityDir(self.intern(prefix))
                }
                _ => CheckTest::Cond(self.cond(cond)),
            },
            CondTest::Method(methods) => CheckTest::Method(self.methods(methods)),
            CondTest::Header(keyed) | CondTest::Attr(keyed) => {
                let list = match &keyed.test {
                    Keyed::Values(values) => self.keyed_list(&keyed.name, values),
                    Keyed::Regex(_) | Keyed::Present => None,
                };
                match (list, &cond.test) {
                    (Some(list), CondTest::Header(_)) => CheckTest::Header(list),
                    (Some(list), _) => CheckTest::Attr(list),
                    (None, _) => CheckTest::Cond(self.cond(cond)),
                }
            }
            CondTest::Path(patterns) => CheckTest::Path(self.paths(patterns)),
            _ => CheckTest::Cond(self.cond(cond)),
        };
        Check {
            cond: c,
            test,
            negated: cond.negated,
        }
    }

    /// `text` in the tree's byte arena, stored once.
    fn intern(&mut self, text: &'p str) -> Range32 {
        let bytes = &mut self.out.bytes;
        *self.interned.entry(text).or_insert_with(|| {
            let start = to_u32(bytes.len());
            bytes.push_str(text);
            Range32 {
                start,
                len: to_u32(text.len()),
            }
        })
    }

    /// A method list in the tree's string table, stored once.
    fn methods(&mut self, methods: &'p [Box<str>]) -> Range32 {
        let key: Vec<&'p str> = methods.iter().map(|m| &**m).collect();
        self.string_list(key)
    }

    /// The name and values of a header or attribute check, as a list of strings, or
    /// `None` if a value is not UTF-8 (the arena is a string).
    fn keyed_list(&mut self, name: &'p str, values: &'p [Box<[u8]>]) -> Option<Range32> {
        let mut key: Vec<&'p str> = Vec::with_capacity(values.len() + 1);
        key.push(name);
        for value in values {
            key.push(std::str::from_utf8(value).ok()?);
        }
        Some(self.string_list(key))
    }

    /// The strings `key` as a range of the tree's string list, each interned, each
    /// list stored once.
    fn string_list(&mut self, key: Vec<&'p str>) -> Range32 {
        if let Some(&range) = self.string_lists.get(&key) {
            return range;
        }
        let ranges: Vec<Range32> = key.iter().map(|m| self.intern(m)).collect();
        let range = Range32::append(&mut self.out.strings, ranges);
        self.string_lists.insert(key, range);
        range
    }

    /// A path-pattern list in the tree's flat form, stored once (by the patterns'
    /// texts), the texts in the byte arena.
    fn paths(&mut self, patterns: &'p [PathPattern]) -> Range32 {
        let key: Vec<&'p str> = patterns.iter().map(PathPattern::text).collect();
        if let Some(&range) = self.path_lists.get(&key) {
            return range;
        }
        let checks: Vec<PathCheck> = patterns
            .iter()
            .map(|p| PathCheck::new(p, self.intern(p.text())))
            .collect();
        let range = Range32::append(&mut self.out.path_checks, checks);
        self.path_lists.insert(key, range);
        range
    }

    /// A condition in the tree's table, stored once.
    fn cond(&mut self, cond: &'p Arc<Cond>) -> u32 {
        let conds = &mut self.out.conds;
        *self.cond_ids.entry(Arc::as_ptr(cond)).or_insert_with(|| {
            conds.push(Arc::clone(cond));
            to_u32(conds.len() - 1)
        })
    }
}
