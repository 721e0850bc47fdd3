//! CIDR tables: for each prefix length in use, a map from network to subtree. A lookup
//! masks the address once per prefix length.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::compile::NodeId;
use crate::compile::hash::FxHashMap;

use super::{insert_new, text};

#[derive(Debug, Default)]
pub(crate) struct CidrIndex {
    /// (prefix length, network address → child), longest prefixes first.
    v4: Vec<(u8, FxHashMap<u32, NodeId>)>,
    v6: Vec<(u8, FxHashMap<u128, NodeId>)>,
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl CidrIndex {
    /// Puts `child` under `net`; gives it back if `net` already has one.
    pub(crate) fn insert(&mut self, net: &IpNet, child: NodeId) -> Result<(), NodeId> {
        let prefix = net.prefix_len();
        match net {
            IpNet::V4(n) => {
                let key = u32::from(n.network()) & mask32(prefix);
                match table(&mut self.v4, prefix) {
                    Some(map) => insert_new(map, key, child),
                    None => Err(child),
                }
            }
            IpNet::V6(n) => {
                let key = u128::from(n.network()) & mask128(prefix);
                match table(&mut self.v6, prefix) {
                    Some(map) => insert_new(map, key, child),
                    None => Err(child),
                }
            }
        }
    }

    pub(crate) fn for_each(&self, source: IpAddr, f: &mut impl FnMut(NodeId)) {
        match source {
            IpAddr::V4(a) => {
                let bits = u32::from(a);
                for (prefix, map) in &self.v4 {
                    if let Some(child) = map.get(&(bits & mask32(*prefix))) {
                        f(*child);
                    }
                }
            }
            IpAddr::V6(a) => {
                let bits = u128::from(a);
                for (prefix, map) in &self.v6 {
                    if let Some(child) = map.get(&(bits & mask128(*prefix))) {
                        f(*child);
                    }
                }
            }
        }
    }

    /// Appends every child with its key (see [`Index::children`](super::Index::children)).
    pub(crate) fn children(&self, out: &mut Vec<(String, NodeId)>) {
        for (prefix, map) in &self.v4 {
            for (bits, child) in map {
                let net = Ipv4Net::new(Ipv4Addr::from(*bits), *prefix).map(IpNet::V4);
                out.push((
                    net.map_or_else(|e| e.to_string(), |n| text::net(&n)),
                    *child,
                ));
            }
        }
        for (prefix, map) in &self.v6 {
            for (bits, child) in map {
                let net = Ipv6Net::new(Ipv6Addr::from(*bits), *prefix).map(IpNet::V6);
                out.push((
                    net.map_or_else(|e| e.to_string(), |n| text::net(&n)),
                    *child,
                ));
            }
        }
    }
}

/// The table of `prefix`, added (longest prefixes first) if there is none yet. (Never
/// `None`: the table is found, or pushed just before it is looked for.)
fn table<K, V>(
    tables: &mut Vec<(u8, FxHashMap<K, V>)>,
    prefix: u8,
) -> Option<&mut FxHashMap<K, V>> {
    if !tables.iter().any(|(p, _)| *p == prefix) {
        tables.push((prefix, FxHashMap::default()));
        tables.sort_by_key(|t| std::cmp::Reverse(t.0));
    }
    tables
        .iter_mut()
        .find(|(p, _)| *p == prefix)
        .map(|(_, map)| map)
}
