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

/// Checks `identity` (see the module docs). One pass over the bytes for the common,
/// ASCII case.
pub(crate) fn check_identity(identity: &str, max_len: usize) -> Result<(), InvalidRequest> {
    let bytes = identity.as_bytes();
    if bytes.is_empty() || bytes.len() > max_len {
        return Err(InvalidRequest::InvalidIdentity);
    }
    let mut non_ascii = false;
    let mut seg_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            // C0 controls (tab, CR, LF, ...), space and DEL.
            0x00..=0x20 | 0x7f => return Err(InvalidRequest::InvalidIdentity),
            b'/' => {
                if is_dot_segment(bytes.get(seg_start..i)) {
                    return Err(InvalidRequest::InvalidIdentity);
                }
                seg_start = i + 1;
            }
            0x80..=0xff => non_ascii = true,
            _ => {}
        }
    }
    if is_dot_segment(bytes.get(seg_start..)) {
        return Err(InvalidRequest::InvalidIdentity);
    }
    // C1 controls and Unicode white space (U+0085, U+00A0, U+2028, U+3000, ...).
    if non_ascii
        && identity
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(InvalidRequest::InvalidIdentity);
    }
    let is_spiffe = bytes
        .get(..9)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case(b"spiffe://"));
    if is_spiffe {
        check_spiffe(bytes)?;
    }
    Ok(())
}

fn is_dot_segment(segment: Option<&[u8]>) -> bool {
    matches!(segment, Some(b"." | b".."))
}

/// Checks a SPIFFE ID against the SPIFFE ID standard (§2):
/// - the scheme is exactly `spiffe://`, in lower case (`SPIFFE://` is refused, not
///   folded);
/// - the trust domain is non-empty, at most 255 bytes, and only `a–z 0–9 . - _` (lower
///   case): so no port, no userinfo, no percent-encoding;
/// - the path is empty or `/segment/segment...`, each segment non-empty and only
///   `a–z A–Z 0–9 . - _`, never `.` or `..`, with no trailing `/`: so no query, no
///   fragment, no percent-encoding.
fn check_spiffe(identity: &[u8]) -> Result<(), InvalidRequest> {
    let rest = identity
        .strip_prefix(b"spiffe://")
        .ok_or(InvalidRequest::InvalidIdentity)?;
    let domain_len = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
    let (trust_domain, path) = rest
        .split_at_checked(domain_len)
        .ok_or(InvalidRequest::InvalidIdentity)?;
    if trust_domain.is_empty()
        || trust_domain.len() > MAX_TRUST_DOMAIN_LEN
        || !trust_domain.iter().all(|&b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        })
    {
        return Err(InvalidRequest::InvalidIdentity);
    }
    if path.is_empty() {
        return Ok(());
    }
    // `path` starts with `/`: every piece after it is a segment.
    let mut seg_start = 1;
    for (i, &b) in path.iter().enumerate().skip(1) {
        if b == b'/' {
            if i == seg_start || is_dot_segment(path.get(seg_start..i)) {
                return Err(InvalidRequest::InvalidIdentity);
            }
            seg_start = i + 1;
        } else if !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')) {
            return Err(InvalidRequest::InvalidIdentity);
        }
    }
    if seg_start == path.len() || is_dot_segment(path.get(seg_start..)) {
        return Err(InvalidRequest::InvalidIdentity);
    }
    Ok(())
}
