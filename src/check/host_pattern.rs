//! Host patterns: `name.example` exact, `*.example` one or more labels before
//! `.example`, `*` any host; compared in ASCII lower case.

use std::sync::Arc;

use crate::normalize::normalize_host;

/// A checked host pattern. The name is shared ([`Arc`]): copies of a repeated
/// pattern, and the index keys made from it, cost a reference count.
///
/// INVARIANT: names are lower case and in normalized form; a `Suffix` starts with `.`
/// and has at least one character after it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum HostPattern {
    /// The host must equal this.
    Exact(Arc<str>),
    /// `*.example`: stored as `.example`; the host must end with it after at least one
    /// non-empty label.
    Suffix(Arc<str>),
    /// `*`: any host (the request must have one).
    Any,
}

impl HostPattern {
    pub(crate) fn new(text: &str) -> Result<HostPattern, String> {
        if text == "*" {
            return Ok(HostPattern::Any);
        }
        let (wild, name) = match text.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if name.contains('*') {
            return Err(format!(
                "host pattern `{text}`: `*` may only be the whole pattern or its first label (`*.example`)"
            ));
        }
        let has_port = if let Some(after) = name.rfind(']') {
            name.get(after..).is_some_and(|s| s.contains(':'))
        } else {
            name.contains(':')
        };
        if has_port {
            return Err(format!(
                "host pattern `{text}` has a port; hosts are matched without it (use `port`)"
            ));
        }
        let normalized =
            normalize_host(name).map_err(|_| format!("invalid host pattern `{text}`"))?;
        if normalized.is_empty() || normalized.ends_with('.') || normalized.starts_with('.') {
            return Err(format!("invalid host pattern `{text}`"));
        }
        if wild {
            Ok(HostPattern::Suffix(format!(".{normalized}").into()))
        } else {
            Ok(HostPattern::Exact(normalized.into()))
        }
    }

    /// Does the normalized `host` match?
    pub(crate) fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(name) => **name == *host,
            HostPattern::Suffix(suffix) => suffix_matches(suffix, host),
            HostPattern::Any => true,
        }
    }
}

/// `host` ends with `suffix` (which starts with `.`) after a non-empty last label.
pub(crate) fn suffix_matches(suffix: &str, host: &str) -> bool {
    host.strip_suffix(suffix)
        .is_some_and(|labels| !labels.is_empty() && !labels.ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_specified() {
        let cases: &[(&str, &str, bool)] = &[
            ("payments.svc", "payments.svc", true),
            ("Payments.SVC", "payments.svc", true),
            ("payments.svc", "x.payments.svc", false),
            ("*.example", "a.example", true),
            ("*.example", "a.b.example", true),
            ("*.example", "example", false),
            ("*.example", ".example", false),
            ("*.example", "a..example", false),
            ("*", "anything", true),
            ("[::1]", "[::1]", true),
        ];
        for &(pattern, host, expected) in cases {
            assert_eq!(
                HostPattern::new(pattern).unwrap().matches(host),
                expected,
                "{pattern} ~ {host}"
            );
        }
    }

    #[test]
    fn rejects_invalid_patterns() {
        for bad in [
            "",
            "a:80",
            "a*.example",
            "*.",
            "a b",
            "*.*.example",
            "a@b",
            "[::1]:80",
            ".a",
        ] {
            assert!(HostPattern::new(bad).is_err(), "{bad}");
        }
    }
}
