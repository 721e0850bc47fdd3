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
use std::rc::Rc;

use crate::domain::set::Set;
use crate::space::{RuleModel, Space};

/// A cube of the request space: one set of classes per dimension it cuts (sorted
/// by dimension); every other dimension is whole. Sparse, as a policy may have
/// thousands of dimensions (one per regular expression) and a region cuts few.
#[derive(Clone, Debug)]
pub(crate) struct Region {
    cuts: Vec<(usize, Set)>,
    sizes: Rc<[usize]>,
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
            cuts: Vec::new(),
            sizes: space.sizes.as_slice().into(),
        }
    }

    /// The region of one cube (sorted by dimension).
    pub(crate) fn of(space: &Space, cube: &[(usize, Set)]) -> Region {
        Region {
            cuts: cube.to_vec(),
            sizes: space.sizes.as_slice().into(),
        }
    }

    /// How `cube` relates to the region; `partial` receives the dimensions where it
    /// is partial.
    pub(crate) fn relation(&self, cube: &[(usize, Set)], partial: &mut Vec<usize>) -> Relation {
        partial.clear();
        for (dim, set) in cube {
            match self.cut(*dim) {
                Some(mine) => {
                    if !mine.meets(set) {
                        return Relation::Disjoint;
                    }
                    if !mine.is_subset(set) {
                        partial.push(*dim);
                    }
                }
                None => {
                    if set.is_empty() {
                        return Relation::Disjoint;
                    }
                    if set.count() != self.sizes.get(*dim).copied().unwrap_or(0) {
                        partial.push(*dim);
                    }
                }
            }
        }
        if partial.is_empty() {
            Relation::Full
        } else {
            Relation::Partial
        }
    }

    fn cut(&self, dim: usize) -> Option<&Set> {
        self.cuts
            .binary_search_by_key(&dim, |(d, _)| *d)
            .ok()
            .and_then(|i| self.cuts.get(i))
            .map(|(_, set)| set)
    }

    /// The classes of `dim` in the region.
    pub(crate) fn classes(&self, dim: usize) -> Set {
        self.cut(dim)
            .cloned()
            .unwrap_or_else(|| Set::full(self.sizes.get(dim).copied().unwrap_or(0)))
    }

    /// How many classes of `dim` the region holds.
    pub(crate) fn count(&self, dim: usize) -> usize {
        self.cut(dim)
            .map_or_else(|| self.sizes.get(dim).copied().unwrap_or(0), Set::count)
    }

    /// The dimensions the region cuts, with their classes.
    pub(crate) fn cuts(&self) -> &[(usize, Set)] {
        &self.cuts
    }

    /// The same region with `dim` cut down to `set`.
    pub(crate) fn with(&self, dim: usize, set: Set) -> Region {
        let mut region = self.clone();
        match region.cuts.binary_search_by_key(&dim, |(d, _)| *d) {
            Ok(i) => {
                if let Some(slot) = region.cuts.get_mut(i) {
                    slot.1 = set;
                }
            }
            Err(i) => region.cuts.insert(i, (dim, set)),
        }
        region
    }
}

/// One piece of a region cut along a dimension: its classes there, and the rules
/// (positions in the list cut by) that test the dimension and hold the piece. The
/// others that test it are disjoint from the piece; those that do not test it are
/// as they were.
#[derive(Debug)]
pub(crate) struct Piece {
    pub(crate) set: Set,
    pub(crate) members: Vec<u32>,
}

/// Cuts `region` along `dim` into pieces that every rule of `rules` (by their cubes)
/// treats alike: each piece is full or disjoint for each rule on `dim`.
pub(crate) fn split(
    space: &Space,
    region: &Region,
    dim: usize,
    rules: &[&RuleModel],
) -> Vec<Piece> {
    let size = space.sizes.get(dim).copied().unwrap_or(0);
    let mine = region.classes(dim);
    let classes: Vec<usize> = mine.iter().collect();
    let mut position: HashMap<usize, usize> = HashMap::new();
    for (i, c) in classes.iter().enumerate() {
        position.insert(*c, i);
    }
    let mut signatures: Vec<Vec<u32>> = vec![Vec::new(); classes.len()];
    for (r, rule) in rules.iter().enumerate() {
        let Some(set) = tested(rule, dim) else {
            continue;
        };
        for c in set.and(&mine).iter() {
            if let Some(sig) = position.get(&c).and_then(|&i| signatures.get_mut(i)) {
                sig.push(r as u32);
            }
        }
    }
    let mut groups: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut pieces: Vec<Piece> = Vec::new();
    for (i, sig) in signatures.into_iter().enumerate() {
        let Some(&c) = classes.get(i) else { continue };
        let at = match groups.get(&sig) {
            Some(&at) => at,
            None => {
                groups.insert(sig.clone(), pieces.len());
                pieces.push(Piece {
                    set: Set::empty(size),
                    members: sig,
                });
                pieces.len() - 1
            }
        };
        if let Some(piece) = pieces.get_mut(at) {
            piece.set.insert(c);
        }
    }
    pieces
}

/// The classes `rule` allows on `dim`, when it tests `dim`.
pub(crate) fn tested(rule: &RuleModel, dim: usize) -> Option<&Set> {
    rule.cube
        .as_ref()?
        .iter()
        .find(|(d, _)| *d == dim)
        .map(|(_, set)| set)
}

/// The items of `list` kept in a piece cut along some dimension: those at the
/// positions `untested` (whose rules do not test the dimension; sorted), and the
/// piece's members (positions offset by `offset` in the list that was cut; sorted),
/// in the order of `list`.
pub(crate) fn kept_in_piece(
    list: &[usize],
    offset: usize,
    untested: &[usize],
    members: &[u32],
) -> Vec<usize> {
    let mut members = members
        .iter()
        .map(|&m| m as usize)
        .filter(|&m| m >= offset && m < offset + list.len())
        .map(|m| m - offset)
        .peekable();
    let mut untested = untested.iter().copied().peekable();
    let mut out = Vec::new();
    loop {
        let next = match (untested.peek(), members.peek()) {
            (Some(&u), Some(&m)) if u <= m => {
                untested.next();
                if u == m {
                    members.next();
                }
                u
            }
            (_, Some(&m)) => {
                members.next();
                m
            }
            (Some(&u), None) => {
                untested.next();
                u
            }
            (None, None) => break,
        };
        if let Some(&item) = list.get(next) {
            out.push(item);
        }
    }
    out
}

/// The positions in `list` of the rules (found by `rule`) that do not test `dim`.
pub(crate) fn untested_positions<'m>(
    list: &[usize],
    dim: usize,
    rule: impl Fn(usize) -> Option<&'m RuleModel>,
) -> Vec<usize> {
    list.iter()
        .enumerate()
        .filter(|(_, i)| rule(**i).is_some_and(|r| tested(r, dim).is_none()))
        .map(|(p, _)| p)
        .collect()
}

/// The dimension to cut `region` along for `rules`: where cutting leaves each piece
/// the fewest partial rules, estimated as the sum, over the rules partial there, of
/// the share of the region's classes they do not hold.
pub(crate) fn busiest(region: &Region, rules: &[&RuleModel]) -> Option<usize> {
    let mut scores: HashMap<usize, f64> = HashMap::new();
    let mut partial = Vec::new();
    for rule in rules {
        let Some(cube) = &rule.cube else { continue };
        if region.relation(cube, &mut partial) != Relation::Partial {
            continue;
        }
        for &d in &partial {
            let Some(theirs) = tested(rule, d) else {
                continue;
            };
            let total = region.count(d).max(1) as f64;
            let inside = region.cuts().binary_search_by_key(&d, |(c, _)| *c).ok();
            let shared = match inside.and_then(|i| region.cuts().get(i)) {
                Some((_, mine)) => mine.count_and(theirs),
                None => theirs.count(),
            };
            let outside = 1.0 - shared as f64 / total;
            *scores.entry(d).or_default() += outside;
        }
    }
    scores
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
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
        let positions: Vec<usize> = (0..in_play.len()).collect();
        let untested = untested_positions(&positions, dim, |p| in_play.get(p).copied());
        for piece in split(space, &region, dim, &in_play) {
            let kept = kept_in_piece(&positions, 0, &untested, &piece.members);
            let rules = kept
                .iter()
                .filter_map(|&p| in_play.get(p).copied())
                .collect();
            stack.push((region.with(dim, piece.set), rules));
        }
    }
    covering.sort_unstable();
    Some(covering)
}
