//! Hosts: exact names, `*.suffix` and `*`. A host's class is the set of patterns it
//! matches; every class that a valid host can be in has one of these candidates in
//! it: each exact name, each suffix behind a fresh label (or, for a numeric last
//! label, completed to an IPv4 address), and one fresh name that only `*` matches.

use std::collections::HashMap;

use portcullis::view::HostView;

/// The classes of the host domain.
#[derive(Debug)]
pub(crate) struct Hosts {
    /// Each class's representative, a normalized host.
    pub(crate) reps: Vec<String>,
    /// For each pattern given, the classes it matches.
    pub(crate) matched: Vec<Vec<usize>>,
}

impl Hosts {
    /// The classes for `patterns`.
    pub(crate) fn new(patterns: &[HostView<'_>]) -> Hosts {
        let mut candidates: Vec<String> = Vec::new();
        let labels: Vec<&str> = patterns
            .iter()
            .flat_map(|p| match p {
                HostView::Exact(n) | HostView::Suffix(n) => n.split('.').collect(),
                HostView::Any => Vec::new(),
            })
            .collect();
        let fresh = (0..)
            .map(|i| format!("x{i}"))
            .find(|l| !labels.contains(&l.as_str()))
            .unwrap_or_default();
        candidates.push(fresh.clone());
        for pattern in patterns {
            match pattern {
                HostView::Exact(name) => candidates.push((*name).to_string()),
                HostView::Suffix(suffix) => {
                    candidates.push(format!("{fresh}{suffix}"));
                    // `*.0.1` matches IPv4 addresses only: complete one.
                    let labels = suffix.split('.').filter(|l| !l.is_empty()).count();
                    let numeric = suffix
                        .rsplit('.')
                        .next()
                        .is_some_and(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()));
                    if numeric && (1..4).contains(&labels) {
                        let prefix = vec!["1"; 4 - labels].join(".");
                        candidates.push(format!("{prefix}{suffix}"));
                    }
                }
                HostView::Any => {}
            }
        }
        let mut reps = Vec::new();
        let mut matched = vec![Vec::new(); patterns.len()];
        let mut seen: HashMap<Vec<usize>, usize> = HashMap::new();
        for candidate in candidates {
            if portcullis::normalize::normalize_host(&candidate)
                .ok()
                .as_deref()
                != Some(candidate.as_str())
            {
                continue;
            }
            let signature: Vec<usize> = patterns
                .iter()
                .enumerate()
                .filter(|(_, p)| matches(p, &candidate))
                .map(|(i, _)| i)
                .collect();
            if seen.contains_key(&signature) {
                continue;
            }
            let class = reps.len();
            seen.insert(signature.clone(), class);
            reps.push(candidate);
            for i in signature {
                if let Some(m) = matched.get_mut(i) {
                    m.push(class);
                }
            }
        }
        Hosts { reps, matched }
    }
}

/// Whether the normalized `host` matches `pattern` (language §5).
pub(crate) fn matches(pattern: &HostView<'_>, host: &str) -> bool {
    match pattern {
        HostView::Exact(name) => *name == host,
        HostView::Suffix(suffix) => host
            .strip_suffix(suffix)
            .is_some_and(|labels| !labels.is_empty() && !labels.ends_with('.')),
        HostView::Any => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_class_per_combination_of_patterns() {
        let patterns = [
            HostView::Exact("api.example.com"),
            HostView::Suffix(".example.com"),
            HostView::Any,
            HostView::Suffix(".0.1"),
        ];
        let hosts = Hosts::new(&patterns);
        // other, api.example.com, x.example.com, an IPv4 address under .0.1
        assert_eq!(hosts.reps.len(), 4, "{:?}", hosts.reps);
        assert_eq!(hosts.matched[2].len(), 4);
        assert_eq!(hosts.matched[1].len(), 2);
        assert_eq!(hosts.matched[3].len(), 1);
    }
}
