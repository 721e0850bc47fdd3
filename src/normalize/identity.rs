//! Identity validation (`docs/language.md`, *Request normalization*), failing closed.
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
//! them). An identity that starts with `spiffe:` in any case must be a valid SPIFFE ID
//! ([`check_spiffe`]).

use super::InvalidRequest;
use crate::bytes::{ByteTable, ONES, ascii_eq_mask, byte_table, or_entries, word_at};

/// The SPIFFE limit on a trust domain name, in bytes.
const MAX_TRUST_DOMAIN_LEN: usize = 255;

/// Checks `identity` (see the module docs), in one pass over the bytes for the common,
/// ASCII case, and returns the length of its *directory*: the bytes up to and
/// including its last `/` (0 without one), which the `prefix/*` globs compare against.
pub(crate) fn check_identity(identity: &str, max_len: usize) -> Result<usize, InvalidRequest> {
    let bytes = identity.as_bytes();
    if bytes.is_empty() || bytes.len() > max_len {
        return Err(InvalidRequest::InvalidIdentity);
    }
    // Anything that claims the `spiffe:` scheme, in any case and however the rest is
    // spelled (`SPIFFE://`, `spiffe:/x`, `Spiffe:x`), must be a valid SPIFFE ID: a
    // consumer that folds the scheme's case or resolves a missing `//` would read it
    // as one. The exact compare first: it is one word compare, and SPIFFE IDs
    // are nearly always written in lower case.
    if bytes
        .get(..7)
        .is_some_and(|scheme| scheme == b"spiffe:" || scheme.eq_ignore_ascii_case(b"spiffe:"))
    {
        // A SPIFFE ID's characters are a strict subset of the general ones (no
        // controls, no white space, no non-ASCII) and its path has no dot segments:
        // its own check is the whole check.
        return check_spiffe(bytes);
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
    Ok(seg_start)
}

fn is_dot_segment(segment: Option<&[u8]>) -> bool {
    matches!(segment, Some(b"." | b".."))
}

/// Checks a SPIFFE ID against the SPIFFE ID standard (§2):
/// - the scheme is exactly `spiffe://`, in lower case (`SPIFFE://` and `spiffe:/x` are
///   refused, not folded or resolved);
/// - the trust domain is non-empty, at most 255 bytes, and only `a–z 0–9 . - _` (lower
///   case): so no port, no userinfo, no percent-encoding;
/// - the path is empty or `/segment/segment...`, each segment non-empty and only
///   `a–z A–Z 0–9 . - _`, never `.` or `..`, with no trailing `/`: so no query, no
///   fragment, no percent-encoding.
///
/// Returns the directory length (see [`check_identity`]).
fn check_spiffe(identity: &[u8]) -> Result<usize, InvalidRequest> {
    const BAD: InvalidRequest = InvalidRequest::InvalidIdentity;
    const SCHEME: usize = b"spiffe://".len();
    let rest = identity.strip_prefix(b"spiffe://").ok_or(BAD)?;
    // Trust domain: lower-case segment bytes up to the first `/`. Whole words of
    // them are passed over first, their classes folded without a branch per byte
    // (`LOWER` is the only class with bit 0 set); the byte loop finds where the
    // domain ends, or the byte that makes it invalid.
    let mut skip = 0;
    for chunk in rest.chunks_exact(8) {
        if chunk.iter().fold(LOWER, |all, &b| all & spiffe_class(b)) != LOWER {
            break;
        }
        skip += 8;
    }
    let mut domain_len = rest.len();
    for (i, &b) in rest.iter().enumerate().skip(skip) {
        if spiffe_class(b) != LOWER {
            if b == b'/' {
                domain_len = i;
                break;
            }
            return Err(BAD);
        }
    }
    if domain_len == 0 || domain_len > MAX_TRUST_DOMAIN_LEN {
        return Err(BAD);
    }
    let Some(path) = rest.get(domain_len..).filter(|p| !p.is_empty()) else {
        return Ok(SCHEME);
    };
    Ok(SCHEME + domain_len + check_spiffe_path(path)?)
}

/// Checks the path of a SPIFFE ID (`path` starts with `/`: the caller found it there): every piece after it is a
/// segment, non-empty, of segment bytes, and not `.` or `..`. Returns where its last
/// segment starts.
///
/// Eight bytes at a time: a word of segment bytes and slashes, with no `/` after a
/// `/` (an empty segment) and no `.` after one (where a dot segment could start), is
/// passed over; the last piece shorter than eight bytes is read as the last eight
/// bytes of the path. A `//` or `/.` anywhere (both found with one compare) sends the
/// whole path to [`spiffe_path_bytes`], which decides byte by byte.
pub(super) fn check_spiffe_path(path: &[u8]) -> Result<usize, InvalidRequest> {
    const BAD: InvalidRequest = InvalidRequest::InvalidIdentity;
    let mut i = 1;
    // 0x80 when the byte before `i` is a `/`.
    let mut slash_before: u64 = 0x80;
    let mut last_slash = 0;
    while let Some(chunk) = word_at(path, i) {
        if or_entries(&PATH_STOPS, chunk) != 0 {
            return Err(BAD);
        }
        let word = u64::from_le_bytes(*chunk);
        let (slashes, slash_or_dot) = slashes_and_dots(word);
        let after_slash = (slashes << 8) | slash_before;
        // A `/` or a `.` after a `/`: the byte loop tells an empty segment (invalid)
        // from a dot segment (invalid) and from a name that starts with a dot.
        if after_slash & slash_or_dot != 0 {
            return spiffe_path_bytes(path);
        }
        if slashes != 0 {
            // The highest marked byte is the last `/`.
            last_slash = i + (63 - slashes.leading_zeros() as usize) / 8;
        }
        slash_before = slashes >> 56;
        i += 8;
    }
    let len = path.len();
    if i < len {
        // The last `len - i` bytes (1 to 7), as the last word of the path when it has
        // one: its other bytes, and the pairs among them, have passed already.
        let Some(at) = len.checked_sub(8) else {
            return spiffe_path_bytes(path);
        };
        let last = word_at(path, at).ok_or(BAD)?;
        if or_entries(&PATH_STOPS, last) != 0 {
            return Err(BAD);
        }
        let (slashes, slash_or_dot) = slashes_and_dots(u64::from_le_bytes(*last));
        if (slashes << 8) & slash_or_dot != 0 {
            return spiffe_path_bytes(path);
        }
        if slashes != 0 {
            last_slash = last_slash.max(at + (63 - slashes.leading_zeros() as usize) / 8);
        }
    }
    // No trailing `/` (an empty last segment; also the path `/` alone).
    if path.last() == Some(&b'/') {
        return Err(BAD);
    }
    Ok(last_slash + 1)
}

/// The slashes of a word of ASCII bytes, and its slashes and dots together, marked as
/// [`ascii_eq_mask`] marks: `.` (0x2e) and `/` (0x2f) differ only in the low bit, so
/// one compare with that bit cleared finds both, and the low bit then tells them
/// apart.
#[inline]
fn slashes_and_dots(word: u64) -> (u64, u64) {
    let slash_or_dot = ascii_eq_mask(word & !ONES, b'.');
    (slash_or_dot & (word << 7), slash_or_dot)
}

/// [`check_spiffe_path`], byte by byte: segments are checked when they end, so the
/// loop over their bytes only looks each one up.
#[cold]
pub(super) fn spiffe_path_bytes(path: &[u8]) -> Result<usize, InvalidRequest> {
    const BAD: InvalidRequest = InvalidRequest::InvalidIdentity;
    let mut seg_start = 1;
    for (i, &b) in path.iter().enumerate().skip(1) {
        if spiffe_class(b) == NONE {
            if b != b'/' || bad_segment(path.get(seg_start..i)) {
                return Err(BAD);
            }
            seg_start = i + 1;
        }
    }
    if bad_segment(path.get(seg_start..)) {
        return Err(BAD);
    }
    Ok(seg_start)
}

/// An empty segment, `.` or `..` (or a range that does not exist).
fn bad_segment(segment: Option<&[u8]>) -> bool {
    matches!(segment, None | Some(b"" | b"." | b".."))
}

/// Byte classes of a SPIFFE ID: not a segment byte, a lower-case one (allowed in a
/// trust domain), or an upper-case letter (path only).
const NONE: u8 = 0;
const LOWER: u8 = 1;
const UPPER: u8 = 2;

/// The class of every byte, as a table: one load per byte.
static SPIFFE_CLASS: ByteTable<u8> = byte_table!(|b| if b.is_ascii_uppercase() {
    UPPER
} else if is_segment_byte(b) {
    LOWER
} else {
    NONE
});

#[inline]
fn spiffe_class(b: u8) -> u8 {
    SPIFFE_CLASS.get(b)
}

/// The bytes the word scan of a SPIFFE path refuses: all but segment bytes and `/`.
static PATH_STOPS: ByteTable<u8> = byte_table!(|b| if is_segment_byte(b) || b == b'/' {
    0
} else {
    1
});

/// `a–z A–Z 0–9 . - _`: the bytes of a SPIFFE path segment (and, upper case aside, of
/// a trust domain).
const fn is_segment_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')
}
