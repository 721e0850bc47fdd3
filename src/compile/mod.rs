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
//! Children are owned by their parent and a leaf owns the conditions it checks, so no
//! index or range can point outside the tree. What the types cannot hold (every rule
//! under every key of its condition, no condition skipped that no split looked up) is
//! checked by [`Tree::validate`]; [`Tree::dump`] writes a tree out for people. Both
//! are debugging aids, public as `Policy::validate_tree` and `Policy::dump_tree`.

mod build;
mod dump;
pub(crate) mod hash;
pub(crate) mod index;
mod validate;

use std::sync::Arc;

use crate::check::path_pattern::PathPattern;
use crate::check::{CheckedPolicy, Cond};

use index::Index;

/// What a rule in a leaf does when it matches: the rule's kind, with the audit slot
/// of an `audit` rule (its position among the audit rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Deny,
    Allow,
    Audit(u32),
}

/// A rule in a leaf, with the conditions left to check, cheapest first. The
/// conditions not listed are the ones every request reaching the leaf already
/// satisfies (the splits above it looked them up: each index only leads to a child
/// when that child's key matches).
///
/// The rule's role is copied here, so that a leaf decides whether a rule could still
/// change the outcome without loading the rule itself.
#[derive(Debug)]
pub(crate) struct LeafRule {
    /// The rule's position in the policy (its identity and its precedence).
    pub(crate) rule: u32,
    pub(crate) role: Role,
    pub(crate) checks: Box<[Check]>,
}

/// A condition a leaf checks, prepared when the tree is built: the common shapes are
/// held inline in the form their test reads, so that checking one is a direct compare
/// rather than the general test of the condition.
#[derive(Debug)]
pub(crate) struct Check {
    /// The condition is `not ...`.
    pub(crate) negated: bool,
    /// Which condition of its rule this is (for the dump and [`Tree::validate`]).
    pub(crate) cond: u32,
    pub(crate) test: CheckTest,
}

/// What a [`Check`] tests (before `not`). The lists are copied into each leaf (a
/// rule sits in several) rather than shared: a leaf reads them in place, one pointer
/// away, and the copy is cheap since the patterns themselves are shared.
#[derive(Debug)]
pub(crate) enum CheckTest {
    /// `identity "prefix/*"` with one glob whose prefix ends in `/`: the identity's
    /// directory (see [`Normalized`](crate::normalize::Normalized)) is the prefix.
    IdentityDir(Box<str>),
    /// The method is one of these.
    Method(Box<[Box<str>]>),
    /// The path matches one of these.
    Path(Box<[PathPattern]>),
    /// Any other condition, tested as written (shared with the checked rule).
    Cond(Arc<Cond>),
}

/// A node of the tree. Children are owned by their parent, so a node cannot point at
/// a node that is not there.
#[derive(Debug)]
pub(crate) enum Node {
    /// Rules to check, ascending (source order).
    Leaf(Box<[LeafRule]>),
    /// Children chosen by one attribute, plus the rules that do not test it.
    Split {
        index: Index,
        rest: Option<Box<Node>>,
    },
}

/// The compiled decision tree.
///
/// INVARIANT: every rule that matches a request is in a leaf reachable by that request
/// (indexes are complete); an index reaches a child only when the request matches the
/// child's key exactly as the condition the key came from would (indexes are exact:
/// leaves skip that condition). [`Tree::validate`] checks both against the policy.
#[derive(Debug)]
pub(crate) struct Tree {
    pub(crate) root: Node,
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
        Tree {
            root: *builder.build(&all),
        }
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
