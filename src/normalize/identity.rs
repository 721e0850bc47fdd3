//! Identity validation (spec §6 reads "fail closed" where it is silent).
//!
//! An identity is compared as a string by globs where `*` stops at `/`, so anything
//! that lets two strings name one principal, or lets a path-like identity climb out of
//! its prefix, is refused:
//! - the empty identity (use no identity instead) and identities longer than
//!   [`RequestLimits::max_identity_len`](super::RequestLimits::max_identity_len);
//! - control characters (C0, DEL and C1) and white space, ASCII or Unicode: they hide
//!   in logs and are trimmed or split differently by different parsers;
//! - a `.` or `..` segment anywhere (`a/./b`, `a/../b`, a trailing `/.` or `/..`, and
//!   likewise a leading `./` or `../` or the whole identity being `.` or `..`), which
//!   some consumers resolve as paths.
//!
//! Non-ASCII letters are allowed in general identities (certificate subjects may carry
//! them). An identity that starts with `spiffe://` in any case must be a valid SPIFFE ID
//! ([`check_spiffe`]).

use super::InvalidRequest;

/// The SPIFFE limit on a trust domain name, in bytes.
const MAX_TRUST_DOMAIN_LEN: usize = 255;

/// Checks `identity` (see the module docs).
pub(crate) fn check_identity(identity: &str, max_len: usize) -> Result<(), InvalidRequest> {
    if identity.is_empty() || identity.len() > max_len {
        return Err(InvalidRequest::InvalidIdentity);
    }
    if identity.is_ascii() {
        if identity
            .bytes()
            .any(|b| b.is_ascii_control() || b.is_ascii_whitespace())
        {
            return Err(InvalidRequest::InvalidIdentity);
        }
    } else if identity
        .chars()
        .any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(InvalidRequest::InvalidIdentity);
    }
    if identity
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(InvalidRequest::InvalidIdentity);
    }
    let is_spiffe = identity
        .get(..9)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("spiffe://"));
    if is_spiffe {
        check_spiffe(identity)?;
    }
    Ok(())
}

/// Checks a SPIFFE ID against the SPIFFE ID standard (§2):
/// - the scheme is exactly `spiffe://`, in lower case (`SPIFFE://` is refused, not
///   folded);
/// - the trust domain is non-empty, at most 255 bytes, and only `a–z 0–9 . - _` (lower
///   case): so no port, no userinfo, no percent-encoding;
/// - the path is empty or `/segment/segment...`, each segment non-empty and only
///   `a–z A–Z 0–9 . - _`, never `.` or `..`, with no trailing `/`: so no query, no
///   fragment, no percent-encoding.
fn check_spiffe(identity: &str) -> Result<(), InvalidRequest> {
    let rest = identity
        .strip_prefix("spiffe://")
        .ok_or(InvalidRequest::InvalidIdentity)?;
    let (trust_domain, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    if trust_domain.is_empty()
        || trust_domain.len() > MAX_TRUST_DOMAIN_LEN
        || !trust_domain.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        })
    {
        return Err(InvalidRequest::InvalidIdentity);
    }
    if path.is_empty() {
        return Ok(());
    }
    // `path` starts with `/`: every piece after it is a segment.
    for segment in path.split('/').skip(1) {
        if segment.is_empty()
            || segment == "."
            || segment == ".."
            || !segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        {
            return Err(InvalidRequest::InvalidIdentity);
        }
    }
    Ok(())
}
