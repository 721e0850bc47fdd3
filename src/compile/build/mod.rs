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

use std::sync::Arc;

use crate::check::{CheckedPolicy, Cond};
use crate::compile::hash::FxHashMap;

use super::{Node, NodeId, Range32, Tree, to_u32};
pub(crate) use keys::{Key, keys};
use keys::{Keys, make_index};
pub(crate) use leaves::cost;
use split::{Scratch, Split};

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

/// The subtrees of a split's keys.
type Children<'p> = Vec<(Key<'p>, NodeId)>;

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
    /// For a leaf: (cost, number, condition) of the conditions a rule still checks.
    order: Vec<(u8, u32, &'p Arc<Cond>)>,
    /// The tree being built.
    out: Tree,
    /// The checks of each rule for each set of proven conditions, made once.
    check_lists: FxHashMap<(u32, u64), Range32>,
    /// The strings in `out.bytes`, the string lists in `out.strings` (methods; a
    /// header's or attribute's name and values), the path lists
    /// in `out.path_checks` (by their texts) and the conditions in `out.conds` (by address),
    /// each stored once.
    interned: FxHashMap<&'p str, Range32>,
    string_lists: FxHashMap<Vec<&'p str>, Range32>,
    path_lists: FxHashMap<Vec<&'p str>, Range32>,
    cond_ids: FxHashMap<*const Cond, u32>,
    /// Buffers for the rules of a split's children, reused once their subtrees are
    /// built.
    pool: Vec<Vec<Placed>>,
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
            out: Tree {
                root: NodeId::EMPTY,
                nodes: vec![Node::Leaf(Range32 { start: 0, len: 0 })],
                indexes: Vec::new(),
                rules: Vec::new(),
                checks: Vec::new(),
                bytes: String::new(),
                strings: Vec::new(),
                path_checks: Vec::new(),
                conds: Vec::new(),
            },
            check_lists: FxHashMap::default(),
            interned: FxHashMap::default(),
            string_lists: FxHashMap::default(),
            path_lists: FxHashMap::default(),
            cond_ids: FxHashMap::default(),
            pool: Vec::new(),
            placements: 0,
            budget: policy
                .rules
                .len()
                .saturating_mul(PLACEMENTS_PER_RULE)
                .saturating_add(1024),
        }
    }

    /// Builds the subtree for `rules` (ascending), never splitting on a dimension
    /// marked in [`used`](Self::used).
    pub(crate) fn build(&mut self, rules: &[Placed]) -> NodeId {
        if rules.len() <= LEAF_SIZE || self.placements >= self.budget {
            return self.leaf(rules);
        }
        let Some(split) = self.best_split(rules) else {
            return self.leaf(rules);
        };
        let dim = split.dim as usize;
        // INVARIANT: a split's dimension is one of the policy's (`best_split` takes it
        // from the keys); were it not, the rules make a leaf, which is always right.
        let (Some(&dim_key), Some(&false)) = (self.keys.dims.get(dim), self.used.get(dim)) else {
            debug_assert!(false, "a split on dimension {dim}, unknown or already used");
            return self.leaf(rules);
        };
        self.set_used(dim, true);
        let built = self.children(&split);
        self.set_used(dim, false);
        let mut placed = split.placed;
        placed.clear();
        self.pool.push(placed);
        // A split that could not be built (never, by construction) fails closed: its
        // rules make a leaf, which checks every condition they have not proven.
        let Some((children, rest)) = built else {
            debug_assert!(false, "a split whose buckets are not in its rules");
            return self.leaf(rules);
        };
        match make_index(dim_key, children) {
            Some(index) => {
                let at = to_u32(self.out.indexes.len());
                self.out.indexes.push(index);
                self.push(Node::Split { index: at, rest })
            }
            None => self.leaf(rules),
        }
    }

    /// Adds `node` to the tree.
    fn push(&mut self, node: Node) -> NodeId {
        self.out.nodes.push(node);
        NodeId(to_u32(self.out.nodes.len() - 1))
    }

    /// The tree built, rooted at `root`, its vectors trimmed to their length.
    pub(crate) fn finish(self, root: NodeId) -> Tree {
        let mut tree = self.out;
        tree.root = root;
        tree.nodes.shrink_to_fit();
        tree.indexes.shrink_to_fit();
        tree.rules.shrink_to_fit();
        tree.checks.shrink_to_fit();
        tree.bytes.shrink_to_fit();
        tree.strings.shrink_to_fit();
        tree.path_checks.shrink_to_fit();
        tree.conds.shrink_to_fit();
        tree
    }

    fn set_used(&mut self, dim: usize, used: bool) {
        if let Some(slot) = self.used.get_mut(dim) {
            *slot = used;
        }
    }

    /// The subtrees of `split`: one per key, and the rest (if any rule is left to
    /// it); `None` if a bucket lies outside the split's rules.
    fn children(&mut self, split: &Split<'p>) -> Option<(Children<'p>, NodeId)> {
        let mut children = Vec::with_capacity(split.keys.len());
        for (key, range) in &split.keys {
            let bucket = split.placed.get(range.clone())?;
            children.push((*key, self.build(bucket)));
        }
        let rest = if split.rest.is_empty() {
            NodeId::EMPTY
        } else {
            self.build(split.placed.get(split.rest.clone())?)
        };
        Some((children, rest))
    }
}
