//! Checked policy → decision tree.
//!
//! The tree divides the rules by the request attributes they test, so that a decision
//! looks at a handful of rules however many the policy has:
//!
//! ```text
//!                      split on identity
//!            ┌────────────────┼──────────────────────┬──────────────┐
//!   exact "…/sa/frontend"   "…/ns/ops/sa/*"      other globs       rest (rules with
//!            │                │                     │               no identity test)
//!     split on host        leaf [r7]              leaf [r9]              │
//!     ┌──────┴───────┐                                            split on path (trie)
//!  "payments.svc"  "*.shop.svc"                                  ┌───────┴────────┐
//!     │               │                                   /healthz        /static/**
//!  split on path    leaf [r3, r4]                          leaf [r12]      leaf [r13]
//!  /api/v1/orders/{id} → leaf [r1]
//! ```
//!
//! A *split* node holds one attribute's [index] (method table, identity exact
//! map plus glob list, path trie, host exact plus suffix map, port ranges, CIDR tables,
//! header or attribute value maps) and a `rest` subtree for the rules that do not test
//! that attribute. A *leaf* holds a few rule numbers, in source order; evaluation
//! checks each, except for the conditions the splits above it already looked up. A request visits, at each split, the children its value
//! selects plus `rest`: the work grows with the request (its path's segments, its
//! identity's slashes), not with the number of rules. How the splits are chosen is in
//! [`build`].
//!
//! The tree is stored flat, in a few vectors of small plain records: nodes, indexes,
//! leaf rules and their checks refer to one another by position (`u32`), strings a
//! check compares live in one byte arena, and the conditions and path lists leaves
//! test are kept once each, however many leaves test them. A decision touches a few
//! cache lines per node instead of following a pointer per node, per leaf rule and per
//! condition; see the section on memory in `BENCHMARKS.md`. A position that points
//! outside its vector (never, for a tree [`Tree::build`] made) makes the decision
//! deny. What the types cannot hold (every rule under every key of its condition, no
//! condition skipped that no split looked up, positions in range) is checked by
//! [`Tree::validate`]; [`Tree::dump`] writes a tree out for people. Both are
//! debugging aids, public as `Policy::validate_tree` and `Policy::dump_tree`.

mod build;
mod dump;
pub(crate) mod hash;
pub(crate) mod index;
mod path_check;
mod validate;

use std::sync::Arc;

use crate::check::{CheckedPolicy, Cond};

use index::Index;
pub(crate) use path_check::PathCheck;

/// What a rule in a leaf does when it matches: the rule's kind, with the audit slot
/// of an `audit` rule (its position among the audit rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Deny,
    Allow,
    Audit(u32),
}

/// A node's position in [`Tree::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct NodeId(pub(crate) u32);

impl NodeId {
    /// The empty leaf every tree has first: the `rest` of a split whose rules all
    /// test its attribute.
    pub(crate) const EMPTY: NodeId = NodeId(0);
}

/// A range of a flat vector of the tree: `len` entries from `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Range32 {
    pub(crate) start: u32,
    pub(crate) len: u32,
}

impl Range32 {
    /// Appends `new` to `items`: the range they take there.
    pub(crate) fn append<T>(items: &mut Vec<T>, new: impl IntoIterator<Item = T>) -> Range32 {
        let start = items.len();
        items.extend(new);
        Range32 {
            start: to_u32(start),
            len: to_u32(items.len() - start),
        }
    }

    /// The entries of `items` in the range, or `None` if it does not fit in `items`
    /// (never, for a tree [`Tree::build`] made: the caller then fails closed).
    #[inline]
    pub(crate) fn of<T>(self, items: &[T]) -> Option<&[T]> {
        let start = self.start as usize;
        items.get(start..start.checked_add(self.len as usize)?)
    }
}

/// A rule in a leaf, with the conditions left to check, cheapest first: a range of
/// [`Tree::checks`]. The conditions not listed are the ones every request reaching
/// the leaf already satisfies (the splits above it looked them up: each index only
/// leads to a child when that child's key matches).
///
/// The rule's role is copied here, so that a leaf decides whether a rule could still
/// change the outcome without loading the rule itself. 16 bytes, four to a cache line
/// (the role packed in a `u32`: see [`role`](Self::role)).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LeafRule {
    /// The rule's position in the policy (its identity and its precedence).
    pub(crate) rule: u32,
    /// The role: 0 deny, 1 allow, 2 + slot an audit.
    role: u32,
    pub(crate) checks: Range32,
}

impl LeafRule {
    pub(crate) fn new(rule: u32, role: Role, checks: Range32) -> LeafRule {
        let role = match role {
            Role::Deny => 0,
            Role::Allow => 1,
            // INVARIANT: fewer than 2³² − 2 audit rules (see `to_u32`).
            Role::Audit(slot) => slot.saturating_add(2),
        };
        LeafRule { rule, role, checks }
    }

    /// What the rule does when it matches.
    #[inline]
    pub(crate) fn role(&self) -> Role {
        match self.role {
            0 => Role::Deny,
            1 => Role::Allow,
            slot => Role::Audit(slot - 2),
        }
    }

    /// Gives the rule another role (for tests that break a tree on purpose).
    #[cfg(test)]
    pub(crate) fn set_role(&mut self, role: Role) {
        *self = LeafRule::new(self.rule, role, self.checks);
    }
}

/// A condition a leaf checks, prepared when the tree is built: the common shapes are
/// held in the form their test reads, so that checking one is a direct compare
/// rather than the general test of the condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Check {
    /// Which condition of its rule this is (for the dump and [`Tree::validate`]).
    pub(crate) cond: u32,
    pub(crate) test: CheckTest,
    /// The condition is `not ...`.
    pub(crate) negated: bool,
}

/// What a [`Check`] tests (before `not`), by position in the tree's tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum CheckTest {
    /// `identity "prefix/*"` with one glob whose prefix ends in `/`: the identity's
    /// directory (see [`Normalized`](crate::normalize::Normalized)) is the prefix, a
    /// range of [`Tree::bytes`].
    IdentityDir(Range32),
    /// The method is one of these: a range of [`Tree::strings`].
    Method(Range32),
    /// `header "name" in [...]`: a range of [`Tree::strings`], the name (lower case)
    /// then the values; some line of the header has one of the values. (Prepared
    /// when every value is UTF-8, as nearly all are: the arena is a string.)
    Header(Range32),
    /// `attr "key" in [...]`, as [`Header`](Self::Header) (the key as written).
    Attr(Range32),
    /// The path matches one of these patterns: a range of [`Tree::path_checks`].
    Path(Range32),
    /// Any other condition, tested as written: [`Tree::conds`] at this position.
    Cond(u32),
}

/// A node of the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// Rules to check, ascending (source order): a range of [`Tree::rules`].
    Leaf(Range32),
    /// Children chosen by one attribute ([`Tree::indexes`] at `index`), plus the
    /// rules that do not test it ([`NodeId::EMPTY`] when there are none).
    Split { index: u32, rest: NodeId },
}

/// The compiled decision tree.
///
/// INVARIANT: every rule that matches a request is in a leaf reachable by that request
/// (indexes are complete); an index reaches a child only when the request matches the
/// child's key exactly as the condition the key came from would (indexes are exact:
/// leaves skip that condition); every position is in range. [`Tree::validate`] checks
/// them against the policy.
#[derive(Debug)]
pub(crate) struct Tree {
    pub(crate) root: NodeId,
    /// Every node; [`NodeId::EMPTY`] first. Children come before their parent.
    pub(crate) nodes: Vec<Node>,
    pub(crate) indexes: Vec<Index>,
    /// The rules of the leaves, leaf after leaf.
    pub(crate) rules: Vec<LeafRule>,
    /// The checks of the leaf rules; a rule placed alike in several leaves (same
    /// conditions proven) shares one range.
    pub(crate) checks: Vec<Check>,
    /// The strings checks compare, one after the other (each once).
    pub(crate) bytes: String,
    /// Ranges of [`bytes`](Self::bytes): the method lists of checks, and the name and
    /// values of header and attribute checks.
    pub(crate) strings: Vec<Range32>,
    /// The path patterns of checks, a list's side by side, each list once (their
    /// texts in [`bytes`](Self::bytes)).
    pub(crate) path_checks: Vec<PathCheck>,
    /// The conditions checks test as written, each once (shared with the rules).
    pub(crate) conds: Vec<Arc<Cond>>,
}

impl Tree {
    /// Builds the tree for a checked policy.
    pub(crate) fn build(policy: &CheckedPolicy) -> Tree {
        let all: Vec<build::Placed> = (0..policy.rules.len())
            .map(|rule| build::Placed {
                rule: to_u32(rule),
                proven: 0,
            })
            .collect();
        let mut builder = build::Builder::new(policy);
        let root = builder.build(&all);
        builder.finish(root)
    }

    /// The bytes of `range` of [`bytes`](Self::bytes), if it is one.
    #[inline]
    pub(crate) fn str(&self, range: Range32) -> Option<&str> {
        let start = range.start as usize;
        self.bytes
            .get(start..start.checked_add(range.len as usize)?)
    }
}

/// A position or count among one policy's rules, conditions, keys or dimensions, as a
/// `u32`.
///
/// INVARIANT: there are fewer than 2³² of each (every one of them takes memory of its
/// own: 2³² rules or conditions would need hundreds of gigabytes), so the value never
/// saturates; the `debug_assert!` is there for the tests.
pub(crate) fn to_u32(n: usize) -> u32 {
    debug_assert!(u32::try_from(n).is_ok(), "{n} does not fit in 32 bits");
    u32::try_from(n).unwrap_or(u32::MAX)
}
