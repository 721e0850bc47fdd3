//! [`Set`]: a set of classes of one domain, as a bit set.

/// A set of class numbers below the domain's size. Every set of one domain has the
/// same number of words, so that sets compare and hash by value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Set {
    words: Vec<u64>,
}

impl Set {
    /// The empty set of a domain of `size` classes.
    pub(crate) fn empty(size: usize) -> Set {
        Set {
            words: vec![0; size.div_ceil(64)],
        }
    }

    /// Every class of a domain of `size` classes.
    pub(crate) fn full(size: usize) -> Set {
        let mut set = Set::empty(size);
        for i in 0..size {
            set.insert(i);
        }
        set
    }

    /// Adds class `i`.
    pub(crate) fn insert(&mut self, i: usize) {
        if let Some(word) = self.words.get_mut(i / 64) {
            *word |= 1 << (i % 64);
        }
    }

    /// Whether class `i` is in the set.
    pub(crate) fn contains(&self, i: usize) -> bool {
        self.words
            .get(i / 64)
            .is_some_and(|word| word & (1 << (i % 64)) != 0)
    }

    /// Whether no class is in the set.
    pub(crate) fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// The set of classes in both.
    pub(crate) fn and(&self, other: &Set) -> Set {
        Set {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(a, b)| a & b)
                .collect(),
        }
    }

    /// The set of classes in either.
    pub(crate) fn or(&self, other: &Set) -> Set {
        Set {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(a, b)| a | b)
                .collect(),
        }
    }

    /// The classes of `self` not in `other`.
    pub(crate) fn minus(&self, other: &Set) -> Set {
        Set {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(a, b)| a & !b)
                .collect(),
        }
    }

    /// Whether the two share a class.
    pub(crate) fn meets(&self, other: &Set) -> bool {
        self.words.iter().zip(&other.words).any(|(a, b)| a & b != 0)
    }

    /// Whether every class of `self` is in `other`.
    pub(crate) fn is_subset(&self, other: &Set) -> bool {
        self.words
            .iter()
            .zip(&other.words)
            .all(|(a, b)| a & !b == 0)
    }

    /// How many classes the set holds.
    pub(crate) fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// How many classes the two sets share.
    pub(crate) fn count_and(&self, other: &Set) -> usize {
        self.words
            .iter()
            .zip(&other.words)
            .map(|(a, b)| (a & b).count_ones() as usize)
            .sum()
    }

    /// The classes, in increasing order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            (0..64)
                .filter(move |b| word & (1 << b) != 0)
                .map(move |b| w * 64 + b)
        })
    }

    /// The smallest class, if any.
    pub(crate) fn first(&self) -> Option<usize> {
        self.words
            .iter()
            .enumerate()
            .find(|(_, w)| **w != 0)
            .map(|(i, w)| i * 64 + w.trailing_zeros() as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::Set;

    #[test]
    fn operations_follow_set_algebra() {
        let mut a = Set::empty(70);
        a.insert(1);
        a.insert(65);
        let full = Set::full(70);
        assert!(a.is_subset(&full));
        assert!(!full.is_subset(&a));
        assert_eq!(full.minus(&a).iter().count(), 68);
        assert_eq!(a.iter().collect::<Vec<_>>(), [1, 65]);
        assert_eq!(a.first(), Some(1));
        assert!(a.meets(&full) && !a.meets(&full.minus(&a)));
        assert!(Set::empty(70).is_empty());
        assert_eq!(a.and(&full), a);
        assert_eq!(a.or(&Set::empty(70)), a);
    }
}
