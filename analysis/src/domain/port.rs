//! Ports: the range 0–65535 cut at every range's ends, so that each piece is inside or
//! outside every range written.

/// The classes of the port domain: maximal runs of ports that every range treats
/// alike, in increasing order.
#[derive(Debug)]
pub(crate) struct Ports {
    /// The first port of each class (each class runs to the next one's start).
    starts: Vec<u16>,
}

impl Ports {
    /// The classes for `ranges` (inclusive).
    pub(crate) fn new(ranges: &[(u16, u16)]) -> Ports {
        let mut cuts: Vec<u32> = vec![0];
        for &(lo, hi) in ranges {
            cuts.push(u32::from(lo));
            cuts.push(u32::from(hi) + 1);
        }
        cuts.sort_unstable();
        cuts.dedup();
        let starts = cuts
            .into_iter()
            .filter_map(|c| u16::try_from(c).ok())
            .collect();
        Ports { starts }
    }

    /// The number of classes.
    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    /// The representative of class `i`: its first port.
    pub(crate) fn rep(&self, i: usize) -> u16 {
        self.starts.get(i).copied().unwrap_or(0)
    }

    /// The classes inside the inclusive range `lo..=hi`.
    pub(crate) fn classes(&self, lo: u16, hi: u16) -> impl Iterator<Item = usize> + '_ {
        self.starts
            .iter()
            .enumerate()
            .filter(move |(_, s)| lo <= **s && **s <= hi)
            .map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cut_the_domain() {
        let ports = Ports::new(&[(80, 80), (8000, 8100), (8080, 65535)]);
        assert_eq!(ports.starts, [0, 80, 81, 8000, 8080, 8101]);
        assert_eq!(ports.classes(8000, 8100).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(ports.classes(80, 80).collect::<Vec<_>>(), [1]);
    }
}
