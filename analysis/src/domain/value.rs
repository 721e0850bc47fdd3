//! Header and attribute values, and their presence. A request carries a set of
//! values under one name; a test `in V` holds when some value is in `V`, `not`
//! when none is, `present` when there is any. So the domain of one name is a set of
//! *value sets*.
//!
//! Values are first cut into atoms: each value written is one, and one fresh value
//! stands for every other. A value set matters only through which tests it meets;
//! of all value sets meeting the same tests, the largest is the atoms not in any
//! test it misses: so the classes are the complements of unions of tests' atom sets
//! (the empty set, from the union of all, is the name being absent).

use std::collections::{BTreeSet, HashSet};

use super::set::Set;

/// How many classes one name may have before the analysis gives up.
pub(crate) const MAX_CLASSES: usize = 4096;

/// The classes of one header's or attribute's domain.
#[derive(Debug)]
pub(crate) struct Values {
    /// The values written, then the fresh one: the atoms.
    atoms: Vec<Vec<u8>>,
    /// Each class, as a set of atoms (empty: absent).
    classes: Vec<Set>,
}

/// Too many classes.
#[derive(Debug)]
pub(crate) struct TooMany;

impl Values {
    /// The classes for `tests`: each the set of values a test meets (`None` for
    /// `present`). `valid` says whether a value can occur in a valid request; an
    /// invalid one is no atom (and when `usable` is false, no value is).
    pub(crate) fn new(
        tests: &[Option<Vec<&[u8]>>],
        valid: impl Fn(&[u8]) -> bool,
        usable: bool,
    ) -> Result<Values, TooMany> {
        let mut written: BTreeSet<&[u8]> = BTreeSet::new();
        for values in tests.iter().flatten() {
            written.extend(values.iter().copied().filter(|v| valid(v)));
        }
        let mut atoms: Vec<Vec<u8>> = written.iter().map(|v| v.to_vec()).collect();
        let fresh = (0..)
            .map(|i| {
                if i == 0 {
                    b"x".to_vec()
                } else {
                    format!("x{i}").into_bytes()
                }
            })
            .find(|v| !written.contains(v.as_slice()))
            .unwrap_or_default();
        atoms.push(fresh);
        let n = atoms.len();
        let full = Set::full(n);
        if !usable {
            return Ok(Values {
                atoms,
                classes: vec![Set::empty(n)],
            });
        }
        // The unions of test sets (each test's atoms; `present` is all of them).
        let mut unions: Vec<Set> = vec![Set::empty(n)];
        let mut seen: HashSet<Set> = unions.iter().cloned().collect();
        let mut tested: Vec<Set> = Vec::new();
        for test in tests {
            let set = match test {
                None => full.clone(),
                Some(values) => {
                    let mut set = Set::empty(n);
                    for v in values {
                        if let Some(i) = atoms.iter().position(|a| a.as_slice() == *v) {
                            set.insert(i);
                        }
                    }
                    set
                }
            };
            if !tested.contains(&set) {
                tested.push(set);
            }
        }
        for test in &tested {
            let mut added = Vec::new();
            for union in &unions {
                let next = union.or(test);
                if seen.insert(next.clone()) {
                    added.push(next);
                }
            }
            unions.extend(added);
            if unions.len() > MAX_CLASSES {
                return Err(TooMany);
            }
        }
        let mut classes: Vec<Set> = unions.iter().map(|u| full.minus(u)).collect();
        // Absence is a class of its own even when no test tells it from a value that
        // no test names: examples then leave the name out rather than invent a value.
        if !classes.iter().any(Set::is_empty) {
            classes.push(Set::empty(n));
        }
        // Present classes first (by size, largest first), absence last: a region's
        // first class then reads as a request with values.
        classes.sort_by_key(|c| (c.is_empty(), std::cmp::Reverse(c.iter().count())));
        Ok(Values { atoms, classes })
    }

    /// The number of classes.
    pub(crate) fn len(&self) -> usize {
        self.classes.len()
    }

    /// The classes whose value sets meet `values` (`None`: any value, `present`).
    pub(crate) fn meeting(&self, values: Option<&[&[u8]]>) -> Vec<usize> {
        let mut set = Set::empty(self.atoms.len());
        for (i, atom) in self.atoms.iter().enumerate() {
            if values.is_none_or(|vs| vs.contains(&atom.as_slice())) {
                set.insert(i);
            }
        }
        self.classes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.meets(&set))
            .map(|(i, _)| i)
            .collect()
    }

    /// The atom of one value, as a set of atoms (empty for a value no valid request
    /// carries).
    pub(crate) fn atom(&self, value: &[u8]) -> Set {
        let mut set = Set::empty(self.atoms.len());
        if let Some(i) = self.atoms.iter().position(|a| a.as_slice() == value) {
            set.insert(i);
        }
        set
    }

    /// The values of class `i`'s representative (none: absent).
    pub(crate) fn rep(&self, i: usize) -> Vec<&[u8]> {
        self.classes
            .get(i)
            .map(|c| {
                c.iter()
                    .filter_map(|a| self.atoms.get(a))
                    .map(Vec::as_slice)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The class of the absent name.
    pub(crate) fn absent(&self) -> Option<usize> {
        self.classes.iter().position(Set::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_sets_that_meet_the_same_tests_are_one_class() {
        let a: &[u8] = b"a";
        let b: &[u8] = b"b";
        let tests = [Some(vec![a]), Some(vec![b]), None];
        let values = Values::new(&tests, |_| true, true).unwrap();
        // {a,b,x}, {b,x}, {a,x}, {x}, absent
        assert_eq!(values.len(), 5);
        assert_eq!(values.meeting(Some(&[a])).len(), 2);
        assert_eq!(values.meeting(None).len(), 4);
        assert_eq!(values.rep(values.absent().unwrap()), Vec::<&[u8]>::new());
    }
}
