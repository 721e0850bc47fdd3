//! Choosing a split: for each dimension the rules offer, how many rules an average
//! request would still check below it; the best one, if it beats a leaf, divides the
//! rules into one bucket per distinct key and the rest.

use std::ops::Range;

use super::keys::{Key, Keys};
use super::{Builder, Placed};
use crate::compile::index::Dim;
use crate::compile::to_u32;

/// Per-number marks that are cleared all at once by moving to a new generation.
#[derive(Default)]
struct Marks {
    /// For each number, the generation it was last marked in, and a value.
    slots: Vec<(u32, u32)>,
    generation: u32,
}

impl Marks {
    fn with_len(len: usize) -> Marks {
        Marks {
            slots: vec![(0, 0); len],
            generation: 0,
        }
    }

    /// Forgets every mark.
    fn clear(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // After 2³² generations, old marks could look current: reset them.
            self.slots.iter_mut().for_each(|slot| *slot = (0, 0));
            self.generation = 1;
        }
    }

    /// The value marked for `id` since the last [`clear`](Self::clear), if any. (Ids
    /// are below the length the marks were made with; a mark set out of range is not
    /// kept, and reads back as none.)
    fn get(&self, id: u32) -> Option<u32> {
        self.slots
            .get(id as usize)
            .and_then(|&(generation, value)| (generation == self.generation).then_some(value))
    }

    fn set(&mut self, id: u32, value: u32) {
        if let Some(slot) = self.slots.get_mut(id as usize) {
            *slot = (self.generation, value);
        }
    }
}

/// The working memory of [`Builder::best_split`] and [`Builder::make_split`].
#[derive(Default)]
pub(super) struct Scratch {
    /// The dimensions offered at this node, in first-seen order.
    dims: Vec<u32>,
    /// Per dimension number: its position in `dims` at this node.
    dim_at: Marks,
    /// Per position in `dims`: the rules keyed on it, as (position in the node's
    /// rules, entry of [`Keys::keyable`]).
    per_dim: Vec<Vec<(u32, u32)>>,
    /// For one rule: the entry with fewest keys for each dimension it offers.
    best: Vec<u32>,
    /// Per key number: seen in the dimension being scored, or the bucket of the key
    /// in the split being made.
    keys: Marks,
    /// Per bucket of the split being made: its rule count, and the last rule placed
    /// in it.
    counts: Vec<(usize, Option<u32>)>,
}

impl Scratch {
    /// Scratch space for a policy with `dims` dimensions and `keys` distinct keys.
    pub(super) fn new(dims: usize, keys: usize) -> Scratch {
        Scratch {
            dim_at: Marks::with_len(dims),
            keys: Marks::with_len(keys),
            ..Scratch::default()
        }
    }
}

/// How a chosen split divides the rules: `placed[ranges[i]]` are the rules (ascending)
/// of the bucket of `keys[i]`, distinct keys in first-seen order; `rest` the others.
pub(super) struct Split<'p> {
    pub(super) dim: u32,
    pub(super) keys: Vec<(Key<'p>, Range<usize>)>,
    pub(super) placed: Vec<Placed>,
    pub(super) rest: Range<usize>,
}

impl<'p> Builder<'p> {
    /// The split that leaves the fewest rules to check on an average path, if it beats
    /// checking them all.
    pub(super) fn best_split(&mut self, rules: &[Placed]) -> Option<Split<'p>> {
        let Builder {
            keys:
                Keys {
                    keyable,
                    keyable_at,
                    key_ids,
                    dims: all_dims,
                    ..
                },
            used,
            scratch,
            ..
        } = self;
        let Scratch {
            dims,
            dim_at,
            per_dim,
            best,
            keys: seen,
            ..
        } = scratch;
        // For each dimension: for each rule keyed on it (by position in `rules`), the
        // condition with fewest keys. (A lookup below that fails, which none can, only
        // leaves a rule out of a dimension's list: `make_split` then puts it in the
        // rest, which every request visits, with its conditions unproven. Choosing
        // the split is a matter of speed; only placing the rules is one of
        // correctness.)
        dims.clear();
        dim_at.clear();
        for list in per_dim.iter_mut() {
            list.clear();
        }
        for (at, placed) in rules.iter().enumerate() {
            let Some(range) = keyable_at.get(placed.rule as usize) else {
                continue;
            };
            best.clear();
            for e in range.clone() {
                let Some(k) = keyable.get(e) else { continue };
                if used.get(k.dim as usize) != Some(&false) {
                    continue;
                }
                let e = to_u32(e);
                let same_dim = best
                    .iter_mut()
                    .find(|b| keyable.get(**b as usize).is_some_and(|b| b.dim == k.dim));
                match same_dim {
                    Some(slot) => {
                        if keyable
                            .get(*slot as usize)
                            .is_some_and(|b| k.keys.len() < b.keys.len())
                        {
                            *slot = e;
                        }
                    }
                    None => best.push(e),
                }
            }
            for &e in best.iter() {
                let Some(k) = keyable.get(e as usize) else {
                    continue;
                };
                let d = match dim_at.get(k.dim) {
                    Some(d) => d as usize,
                    None => {
                        let d = dims.len();
                        dims.push(k.dim);
                        dim_at.set(k.dim, to_u32(d));
                        if per_dim.len() <= d {
                            per_dim.push(Vec::new());
                        }
                        d
                    }
                };
                if let Some(list) = per_dim.get_mut(d) {
                    list.push((to_u32(at), e));
                }
            }
        }
        let n = rules.len();
        let mut chosen: Option<(f64, usize)> = None;
        for (d, (&dim, keyed)) in dims.iter().zip(per_dim.iter()).enumerate() {
            // The average bucket size: keys counted with repeats, over distinct keys.
            seen.clear();
            let mut total = 0usize;
            let mut distinct = 0usize;
            for &(_, e) in keyed {
                let Some(k) = keyable.get(e as usize) else {
                    continue;
                };
                for &id in key_ids.get(k.keys.clone()).unwrap_or_default() {
                    total += 1;
                    if seen.get(id).is_none() {
                        seen.set(id, 0);
                        distinct += 1;
                    }
                }
            }
            let rest = n.saturating_sub(keyed.len());
            let average = if distinct == 0 {
                0.0
            } else {
                total as f64 / distinct as f64
            };
            let score = rest as f64 + average;
            let better = match chosen {
                None => true,
                Some((s, c)) => {
                    score < s
                        || (score == s
                            && dims.get(c).is_some_and(|&cd| {
                                match (all_dims.get(dim as usize), all_dims.get(cd as usize)) {
                                    (Some(a), Some(b)) => dim_rank(a) < dim_rank(b),
                                    _ => false,
                                }
                            }))
                }
            };
            if better {
                chosen = Some((score, d));
            }
        }
        let (score, d) = chosen?;
        if score >= n as f64 * 0.8 {
            return None;
        }
        let dim = *dims.get(d)?;
        self.make_split(rules, dim, d)
    }

    /// Divides `rules` on dimension number `dim`, offered at position `d` of the
    /// scratch lists [`best_split`](Self::best_split) filled: each keyed rule goes
    /// under every key of its chosen condition (once per distinct key), the others to
    /// the rest.
    ///
    /// `None` (never, by construction) if the scratch lists do not describe `rules`:
    /// a split that placed a rule under fewer keys than its condition has, or nowhere,
    /// would drop it from the tree, so the caller makes a leaf instead.
    fn make_split(&mut self, rules: &[Placed], dim: u32, d: usize) -> Option<Split<'p>> {
        let split = self.try_make_split(rules, dim, d);
        debug_assert!(
            split.is_some(),
            "the split scratch does not describe the rules"
        );
        split
    }

    fn try_make_split(&mut self, rules: &[Placed], dim: u32, d: usize) -> Option<Split<'p>> {
        let Builder {
            keys:
                Keys {
                    keyable,
                    keys,
                    key_ids,
                    ..
                },
            scratch,
            pool,
            ..
        } = self;
        let Scratch {
            per_dim,
            keys: bucket_of,
            counts,
            ..
        } = scratch;
        let keyed = per_dim.get(d)?;
        // The keys of entry `e` of `keyable`, with their numbers.
        let keys_of = |e: u32| {
            let range = keyable.get(e as usize)?.keys.clone();
            let ids = key_ids.get(range.clone())?;
            Some(keys.get(range)?.iter().zip(ids))
        };
        // First pass: the distinct keys in first-seen order, and how many rules each
        // bucket gets (a rule that repeats a key is placed under it once).
        bucket_of.clear();
        counts.clear();
        let mut split_keys: Vec<(Key<'p>, Range<usize>)> = Vec::new();
        for &(at, e) in keyed {
            let placed = rules.get(at as usize)?;
            for (key, &id) in keys_of(e)? {
                let b = match bucket_of.get(id) {
                    Some(b) => b as usize,
                    None => {
                        let b = split_keys.len();
                        split_keys.push((*key, 0..0));
                        counts.push((0, None));
                        bucket_of.set(id, to_u32(b));
                        b
                    }
                };
                let (count, last) = counts.get_mut(b)?;
                if *last != Some(placed.rule) {
                    *count += 1;
                    *last = Some(placed.rule);
                }
            }
        }
        // The buckets back to back in one buffer, then the rest.
        let mut offset = 0;
        for ((_, range), (count, last)) in split_keys.iter_mut().zip(counts.iter_mut()) {
            *range = offset..offset;
            offset += *count;
            *last = None;
        }
        let mut rest = offset..offset;
        let mut placed_all = pool.pop().unwrap_or_default();
        let len = offset + rules.len().checked_sub(keyed.len())?;
        placed_all.resize(len, Placed { rule: 0, proven: 0 });
        // Second pass: fill them, in rule order (`keyed` is in rule order too).
        let mut keyed_iter = keyed.iter().peekable();
        for (at, placed) in rules.iter().enumerate() {
            let e = match keyed_iter.peek() {
                Some(&&(kat, e)) if kat as usize == at => {
                    keyed_iter.next();
                    e
                }
                _ => {
                    *placed_all.get_mut(rest.end)? = *placed;
                    rest.end += 1;
                    continue;
                }
            };
            let cond = keyable.get(e as usize)?.cond;
            let bit = if cond < 64 { 1u64 << cond } else { 0 };
            let proven = Placed {
                rule: placed.rule,
                proven: placed.proven | bit,
            };
            for (_, &id) in keys_of(e)? {
                let b = bucket_of.get(id)? as usize;
                let ((_, last), (_, range)) = (counts.get_mut(b)?, split_keys.get_mut(b)?);
                if *last != Some(placed.rule) {
                    *last = Some(placed.rule);
                    *placed_all.get_mut(range.end)? = proven;
                    range.end += 1;
                }
            }
        }
        // Every rule was placed, and every slot filled.
        let full = split_keys
            .iter()
            .zip(counts.iter())
            .all(|((_, range), (count, _))| range.len() == *count);
        if keyed_iter.next().is_some() || rest.end != len || !full {
            return None;
        }
        Some(Split {
            dim,
            keys: split_keys,
            placed: placed_all,
            rest,
        })
    }
}

/// Tie-break between equally good dimensions: the cheaper lookup first.
fn dim_rank(dim: &Dim<'_>) -> u8 {
    match dim {
        Dim::Identity => 0,
        Dim::Host => 1,
        Dim::Path => 2,
        Dim::Method => 3,
        Dim::Port => 4,
        Dim::Source => 5,
        Dim::Header(_) => 6,
        Dim::Attr(_) => 7,
    }
}
