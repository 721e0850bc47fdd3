//! Method validation (spec §6): an RFC 9110 token with no lower-case letter.

use super::InvalidRequest;

/// Whether each byte is a `tchar`, as a table: one load per byte.
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time, where an index out of bounds is a build error"
)]
pub(crate) static TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = tchar(i as u8);
        i += 1;
    }
    table
};

/// RFC 9110 `tchar`: `ALPHA / DIGIT` and ``!#$%&'*+-.^_`|~``.
#[inline]
pub(crate) fn is_tchar(byte: u8) -> bool {
    // A `u8` always indexes a 256-entry table.
    TCHAR.get(usize::from(byte)).copied().unwrap_or(false)
}

/// RFC 9110 `tchar`, for building tables at compile time.
pub(crate) const fn tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(
            byte,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// Checks a method: a non-empty token without lower-case letters. Methods are case
/// sensitive (RFC 9110 §9.1) and are never folded: `get` is not `GET`, and a policy
/// that allows `GET` must not let a server that treats `get` differently see it.
pub(crate) fn check_method(method: &str) -> Result<(), InvalidRequest> {
    if method
        .bytes()
        .all(|b| is_tchar(b) && !b.is_ascii_lowercase())
        && !method.is_empty()
    {
        Ok(())
    } else {
        Err(InvalidRequest::InvalidMethod)
    }
}
