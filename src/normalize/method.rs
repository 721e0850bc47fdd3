//! Method validation (spec §6): an RFC 9110 token with no lower-case letter.

use super::InvalidRequest;
use crate::bytes::is_tchar;

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
