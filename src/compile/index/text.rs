//! Keys written as text, one way for the indexes (listing their children) and for the
//! conditions the keys came from: the dump of a tree shows them, and the validation of
//! a tree compares them. Not used by evaluation.

use std::fmt::Write as _;

use ipnet::IpNet;

use crate::check::host_pattern::HostPattern;
use crate::check::identity_glob::IdentityGlob;
use crate::check::path_pattern::{PathPattern, Segment};

/// `bytes` in double quotes; `"`, `\` and the bytes that are not printable ASCII
/// escaped (`\x0a`).
pub(crate) fn quoted(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            b' '..=b'~' => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

/// A method key.
pub(crate) fn method(method: &str) -> String {
    quoted(method.as_bytes())
}

/// An identity key: the glob as written (up to the number of trailing `*` of a
/// `prefix**` glob).
pub(crate) fn identity(glob: &IdentityGlob) -> String {
    match glob {
        IdentityGlob::Exact(s) => identity_exact(s),
        IdentityGlob::PrefixOneSegment(p) => identity_one_segment(p),
        IdentityGlob::PrefixAny(p) => quoted(format!("{p}**").as_bytes()),
        IdentityGlob::General { glob, .. } => quoted(glob.as_bytes()),
    }
}

/// The key of an identity glob without `*`.
pub(crate) fn identity_exact(identity: &str) -> String {
    quoted(identity.as_bytes())
}

/// The key of an identity glob `prefix*`.
pub(crate) fn identity_one_segment(prefix: &str) -> String {
    quoted(format!("{prefix}*").as_bytes())
}

/// The text of a path segment (`*` and `{name}` both as `*`: they match alike).
pub(crate) fn segment(segment: &Segment) -> String {
    match segment {
        Segment::Literal(lit) => lit.to_string(),
        Segment::One => "*".to_string(),
        Segment::Glob(parts) => parts.join("*"),
        Segment::Tail => "**".to_string(),
    }
}

/// A path key from the texts of its segments.
pub(crate) fn path(segments: &[String]) -> String {
    quoted(format!("/{}", segments.join("/")).as_bytes())
}

/// The key of a path pattern.
pub(crate) fn path_pattern(pattern: &PathPattern) -> String {
    let segments: Vec<String> = pattern.segments().iter().map(segment).collect();
    path(&segments)
}

/// A host key.
pub(crate) fn host(pattern: &HostPattern) -> String {
    match pattern {
        HostPattern::Exact(name) => host_exact(name),
        HostPattern::Suffix(suffix) => host_suffix(suffix),
        HostPattern::Any => host_any(),
    }
}

/// The key of an exact host name.
pub(crate) fn host_exact(name: &str) -> String {
    quoted(name.as_bytes())
}

/// The key of `*.example`, stored as its suffix `.example`.
pub(crate) fn host_suffix(suffix: &str) -> String {
    quoted(format!("*{suffix}").as_bytes())
}

/// The key of the host pattern `*`.
pub(crate) fn host_any() -> String {
    quoted(b"*")
}

/// A port key: `443` or `8000..8999`.
pub(crate) fn port((lo, hi): (u16, u16)) -> String {
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}..{hi}")
    }
}

/// A CIDR key: the network without host bits, `10.1.0.0/16`.
pub(crate) fn net(net: &IpNet) -> String {
    net.trunc().to_string()
}

/// A header or attribute value key.
pub(crate) fn bytes(value: &[u8]) -> String {
    quoted(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_escape_what_is_not_printable() {
        assert_eq!(quoted(b"GET"), r#""GET""#);
        assert_eq!(quoted(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quoted(b"\n\xff\x7f "), r#""\x0a\xff\x7f ""#);
    }

    #[test]
    fn index_and_condition_sides_write_keys_alike() {
        assert_eq!(
            identity(&IdentityGlob::new("spiffe://a/ns/*")),
            identity_one_segment("spiffe://a/ns/")
        );
        assert_eq!(
            identity(&IdentityGlob::new("spiffe://a/x")),
            identity_exact("spiffe://a/x")
        );
        assert_eq!(
            identity(&IdentityGlob::new("spiffe://a/**")),
            r#""spiffe://a/**""#
        );
        let pattern = PathPattern::new("/api/{id}/*.png/**").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(path_pattern(&pattern), r#""/api/*/*.png/**""#);
        assert_eq!(port((80, 80)), "80");
        assert_eq!(port((8000, 8999)), "8000..8999");
    }
}
