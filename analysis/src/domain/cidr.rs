//! Source addresses: IPv4 and IPv6, each cut at the ends of every block written, so
//! that each piece is inside or outside every block. IPv4-mapped IPv6 addresses
//! (`::ffff:0:0/96`) are read as IPv4 (language §6): they are no IPv6 class.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The first IPv4-mapped IPv6 address and the first after them.
const MAPPED: (u128, u128) = (0xffff_0000_0000, 0x1_0000_0000_0000);

/// The classes of the source domain: runs of IPv4 addresses, then runs of IPv6.
#[derive(Debug)]
pub(crate) struct Sources {
    /// The first address of each IPv4 class, increasing.
    v4: Vec<u32>,
    /// The first address of each IPv6 class, increasing, and the end (exclusive)
    /// of the class.
    v6: Vec<(u128, u128)>,
}

impl Sources {
    /// The classes for the blocks `nets` (address and prefix length).
    pub(crate) fn new(nets: &[(IpAddr, u8)]) -> Sources {
        let mut cuts4: Vec<u64> = vec![0];
        let mut cuts6: Vec<u128> = vec![0, MAPPED.0, MAPPED.1];
        for &(addr, len) in nets {
            match addr {
                IpAddr::V4(a) => {
                    let (lo, hi) = v4_range(a, len);
                    cuts4.push(u64::from(lo));
                    cuts4.push(u64::from(hi) + 1);
                }
                IpAddr::V6(a) => {
                    let (lo, hi) = v6_range(a, len);
                    cuts6.push(lo);
                    if let Some(end) = hi.checked_add(1) {
                        cuts6.push(end);
                    }
                }
            }
        }
        cuts4.sort_unstable();
        cuts4.dedup();
        cuts6.sort_unstable();
        cuts6.dedup();
        let v4 = cuts4
            .into_iter()
            .filter_map(|c| u32::try_from(c).ok())
            .collect();
        let mut v6 = Vec::new();
        for (i, &start) in cuts6.iter().enumerate() {
            let end = cuts6.get(i + 1).copied().unwrap_or(u128::MAX);
            if start != MAPPED.0 {
                v6.push((start, end));
            }
        }
        Sources { v4, v6 }
    }

    /// The number of classes.
    pub(crate) fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// The representative of class `i`: its first address.
    pub(crate) fn rep(&self, i: usize) -> IpAddr {
        if let Some(&a) = self.v4.get(i) {
            return IpAddr::V4(Ipv4Addr::from(a));
        }
        let (start, _) = self
            .v6
            .get(i.saturating_sub(self.v4.len()))
            .copied()
            .unwrap_or((0, 0));
        IpAddr::V6(Ipv6Addr::from(start))
    }

    /// The classes inside the block `addr/len`.
    pub(crate) fn classes(&self, addr: IpAddr, len: u8) -> Vec<usize> {
        match addr {
            IpAddr::V4(a) => {
                let (lo, hi) = v4_range(a, len);
                self.v4
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| lo <= **s && **s <= hi)
                    .map(|(i, _)| i)
                    .collect()
            }
            IpAddr::V6(a) => {
                let (lo, hi) = v6_range(a, len);
                self.v6
                    .iter()
                    .enumerate()
                    .filter(|(_, (s, _))| lo <= *s && *s <= hi)
                    .map(|(i, _)| self.v4.len() + i)
                    .collect()
            }
        }
    }
}

fn v4_range(addr: Ipv4Addr, len: u8) -> (u32, u32) {
    let bits = u32::from(addr);
    let host = u32::MAX.checked_shr(u32::from(len)).unwrap_or(0);
    (bits & !host, bits | host)
}

fn v6_range(addr: Ipv6Addr, len: u8) -> (u128, u128) {
    let bits = u128::from(addr);
    let host = u128::MAX.checked_shr(u32::from(len)).unwrap_or(0);
    (bits & !host, bits | host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> (IpAddr, u8) {
        let (a, l) = text.split_once('/').unwrap_or((text, "128"));
        (a.parse().unwrap(), l.parse().unwrap())
    }

    #[test]
    fn blocks_cut_both_families() {
        let sources = Sources::new(&[net("10.0.0.0/8"), net("10.1.0.0/16"), net("2001:db8::/32")]);
        let inside: Vec<IpAddr> = sources
            .classes(net("10.0.0.0/8").0, 8)
            .into_iter()
            .map(|i| sources.rep(i))
            .collect();
        assert_eq!(inside.len(), 3);
        assert_eq!(inside[0].to_string(), "10.0.0.0");
        assert_eq!(inside[1].to_string(), "10.1.0.0");
        assert_eq!(sources.classes(net("2001:db8::/32").0, 32).len(), 1);
        // No class stands for an IPv4-mapped address.
        let mapped = (0..sources.len()).any(|i| match sources.rep(i) {
            IpAddr::V6(a) => a.to_ipv4_mapped().is_some(),
            IpAddr::V4(_) => false,
        });
        assert!(!mapped);
    }
}
