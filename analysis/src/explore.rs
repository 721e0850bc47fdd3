//! Splitting regions of the request space until every rule that matters is either
//! certain to match or certain not to, everywhere in the region (the approach of
//! header-space analysis and Batfish's `compareFilters`, without a solver).
//!
//! A region is a cube: one set of classes per dimension. At each region the rules
//! still in play are classified as *full* (the region is inside the rule), *partial*
//! or out of play (disjoint). When a question cannot be answered yet, the region is
//! cut along the dimension where most rules in play are partial, into one piece per
//! group of classes that every rule in play treats alike there: so along that
//! dimension every rule in play becomes full or disjoint in each piece, and no
//! dimension is cut twice on one branch.

use std::collections::HashMap;

use crate::domain::set::Set;
use crate::space::{RuleModel, Space};

/// A cube of the request space: one set of classes per dimension.
#[derive(Clone, Debug)]
pub(crate) struct Region {
    pub(crate) sets: Vec<Set>,
}

/// How a rule relates to a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Relation {
    Disjoint,
    Full,
    Partial,
}

impl Region {
    /// The whole space.
    pub(crate) fn all(space: &Space) -> Region {
        Region {
            sets: (0..space.dims()).map(|d| space.full(d)).collect(),
        }
    }

    /// The region of one cube.
    pub(crate) fn of(space: &Space, cube: &[(usize, Set)]) -> Region {
        let mut region = Region::all(space);
        for (dim, set) in cube {
            if let Some(slot) = region.sets.get_mut(*dim) {
                *slot = set.clone();
            }
        }
        region
    }

    /// How `cube` relates to the region; `partial` receives the dimensions where it
    /// is partial.
    pub(crate) fn relation(&self, cube: &[(usize, Set)], partial: &mut Vec<usize>) -> Relation {
        partial.clear();
        for (dim, set) in cube {
            let Some(mine) = self.sets.get(*dim) else {
                continue;
            };
            if !mine.meets(set) {
                return Relation::Disjoint;
            }
            if !mine.is_subset(set) {
                partial.push(*dim);
            }
        }
        if partial.is_empty() {
            Relation::Full
        } else {
            Relation::Partial
        }
    }

    /// The classes of `dim` in the region.
    pub(crate) fn classes(&self, dim: usize) -> Option<&Set> {
        self.sets.get(dim)
    }

    /// The same region with `dim` cut down to `set`.
    pub(crate) fn with(&self, dim: usize, set: Set) -> Region {
        let mut region = self.clone();
        if let Some(slot) = region.sets.get_mut(dim) {
            *slot = set;
        }
        region
    }
}

/// Cuts `region` along `dim` into pieces that every rule of `rules` (by their cubes)
/// treats alike: each piece is full or disjoint for each rule on `dim`.
pub(crate) fn split(space: &Space, region: &Region, dim: usize, rules: &[&RuleModel]) -> Vec<Set> {
    let size = space.sizes.get(dim).copied().unwrap_or(0);
    let mine = region
        .classes(dim)
        .cloned()
        .unwrap_or_else(|| Set::empty(size));
    let classes: Vec<usize> = mine.iter().collect();
    let mut position: HashMap<usize, usize> = HashMap::new();
    for (i, c) in classes.iter().enumerate() {
        position.insert(*c, i);
    }
    let mut signatures: Vec<Vec<u32>> = vec![Vec::new(); classes.len()];
    for (r, rule) in rules.iter().enumerate() {
        let Some(cube) = &rule.cube else { continue };
        let Some((_, set)) = cube.iter().find(|(d, _)| *d == dim) else {
            continue;
        };
        for c in set.and(&mine).iter() {
            if let Some(sig) = position.get(&c).and_then(|&i| signatures.get_mut(i)) {
                sig.push(r as u32);
            }
        }
    }
    let mut groups: HashMap<&Vec<u32>, Set> = HashMap::new();
    let mut order: Vec<&Vec<u32>> = Vec::new();
    for (i, sig) in signatures.iter().enumerate() {
        let Some(&c) = classes.get(i) else { continue };
        groups
            .entry(sig)
            .or_insert_with(|| {
                order.push(sig);
                Set::empty(size)
            })
            .insert(c);
    }
    order
        .into_iter()
        .filter_map(|sig| groups.remove(sig))
        .collect()
}

/// The dimension along which most of `rules` are partial in `region` (their partial
/// dimensions counted by [`Region::relation`]).
pub(crate) fn busiest(region: &Region, rules: &[&RuleModel]) -> Option<usize> {
    let mut counts: HashMap<usize, usize> = HashMap::new();
    let mut partial = Vec::new();
    for rule in rules {
        let Some(cube) = &rule.cube else { continue };
        if region.relation(cube, &mut partial) == Relation::Partial {
            for d in &partial {
                *counts.entry(*d).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(d, n)| (n, std::cmp::Reverse(d)))
        .map(|(d, _)| d)
}

/// Whether every point of `region` is in the cube of some rule of `rules`; then the
/// rules that cover it, each the first of `rules` whose cube holds a whole piece.
/// `None` when some point is in none (or the search gave up after `budget` pieces).
pub(crate) fn cover(
    space: &Space,
    region: Region,
    rules: &[&RuleModel],
    mut budget: usize,
) -> Option<Vec<usize>> {
    let mut stack = vec![(region, rules.to_vec())];
    let mut covering: Vec<usize> = Vec::new();
    let mut partial = Vec::new();
    while let Some((region, rules)) = stack.pop() {
        budget = budget.checked_sub(1)?;
        let mut in_play = Vec::with_capacity(rules.len());
        let mut full = None;
        for rule in rules {
            let Some(cube) = &rule.cube else { continue };
            match region.relation(cube, &mut partial) {
                Relation::Disjoint => {}
                Relation::Full => {
                    full = Some(rule.index);
                    break;
                }
                Relation::Partial => in_play.push(rule),
            }
        }
        if let Some(index) = full {
            if !covering.contains(&index) {
                covering.push(index);
            }
            continue;
        }
        let dim = busiest(&region, &in_play)?;
        for piece in split(space, &region, dim, &in_play) {
            stack.push((region.with(dim, piece), in_play.clone()));
        }
    }
    covering.sort_unstable();
    Some(covering)
}
