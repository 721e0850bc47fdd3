//! Building the tree: split the rules on the attribute that divides them best, recurse,
//! and stop at small leaves.
//!
//! A rule is *keyed* on an attribute when it has a plain (not negated) condition on it
//! whose values an index can look up: methods, identity globs, path patterns, host
//! patterns, ports, CIDR blocks, header or attribute values. A split node puts each
//! keyed rule under every key of that condition, and the others in a `rest` subtree
//! that every request visits. An index must be complete (never miss a rule that could
//! match) and exact (reach a child only when the request matches that child's key,
//! under the same semantics as the condition): a leaf does not re-check the condition
//! a rule was placed by ([`Placed::proven`]), so an index that reached a child too
//! often would let a rule match without that condition holding.

mod keys;
mod leaves;
mod split;

use crate::check::CheckedPolicy;

use super::{Check, Node, NodeId};
use keys::{Keys, make_index};
use split::Scratch;

/// A leaf holds at most this many rules unless no attribute divides them.
const LEAF_SIZE: usize = 4;

/// Rules are placed at most this many times per rule, over the whole tree (a rule with
/// several values sits under several keys); past it, subtrees become leaves.
const PLACEMENTS_PER_RULE: usize = 16;

/// A rule placed in a subtree, with the conditions that every request reaching the
/// subtree satisfies: bit `c` for condition `c` (conditions past 64 are never
/// marked), set when the rule sits under a key of that (plain, not negated) condition.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Placed {
    pub(crate) rule: u32,
    pub(crate) proven: u64,
}

/// The state of one tree being built.
pub(crate) struct Builder<'p> {
    policy: &'p CheckedPolicy,
    /// The keys of every rule's indexable conditions.
    keys: Keys<'p>,
    /// Whether each dimension is split on above the subtree being built.
    used: Vec<bool>,
    /// Scratch space for [`best_split`](Self::best_split), kept from one node to the
    /// next so that choosing a split allocates nothing.
    scratch: Scratch,
    /// For a leaf: (cost, condition) of the conditions a rule still checks.
    order: Vec<(u8, u32)>,
    /// Buffers for the rules of a split's children, reused once their subtrees are
    /// built.
    pool: Vec<Vec<Placed>>,
    pub(crate) nodes: Vec<Node>,
    /// The conditions each leaf entry checks, cheapest first (see
    /// [`LeafRule`](super::LeafRule)).
    pub(crate) checks: Vec<Check>,
    placements: usize,
    budget: usize,
}

impl<'p> Builder<'p> {
    pub(crate) fn new(policy: &'p CheckedPolicy) -> Builder<'p> {
        let keys = Keys::collect(policy);
        let scratch = Scratch::new(keys.dims.len(), keys.distinct);
        Builder {
            policy,
            used: vec![false; keys.dims.len()],
            keys,
            scratch,
            order: Vec::new(),
            pool: Vec::new(),
            nodes: Vec::new(),
            checks: Vec::new(),
            placements: 0,
            budget: policy
                .rules
                .len()
                .saturating_mul(PLACEMENTS_PER_RULE)
                .saturating_add(1024),
        }
    }

    fn push(&mut self, node: Node) -> NodeId {
        let id = NodeId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        self.nodes.push(node);
        id
    }

    pub(crate) fn build(&mut self, rules: &[Placed]) -> NodeId {
        if rules.len() <= LEAF_SIZE || self.placements >= self.budget {
            return self.leaf(rules);
        }
        let Some(split) = self.best_split(rules) else {
            return self.leaf(rules);
        };
        let dim = split.dim as usize;
        let Some(&dim_key) = self.keys.dims.get(dim) else {
            return self.leaf(rules);
        };
        if let Some(used) = self.used.get_mut(dim) {
            *used = true;
        }
        let mut children = Vec::with_capacity(split.keys.len());
        for (key, range) in &split.keys {
            let bucket = split.placed.get(range.clone()).unwrap_or_default();
            children.push((*key, self.build(bucket)));
        }
        let rest = if split.rest.is_empty() {
            None
        } else {
            Some(self.build(split.placed.get(split.rest).unwrap_or_default()))
        };
        if let Some(used) = self.used.get_mut(dim) {
            *used = false;
        }
        let mut placed = split.placed;
        placed.clear();
        self.pool.push(placed);
        let index = make_index(&dim_key, &children);
        self.push(Node::Split { index, rest })
    }
}
