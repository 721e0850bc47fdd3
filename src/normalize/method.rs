//! Method validation (spec §6): an RFC 9110 token with no lower-case letter.

use super::InvalidRequest;
use crate::bytes::{ByteTable, byte_table, tchar};

/// The bytes of a method: token bytes but lower-case letters (one load per byte).
static METHOD: ByteTable<bool> = byte_table!(|b| tchar(b) && !b.is_ascii_lowercase());

/// Checks a method: a non-empty token without lower-case letters. Methods are case
/// sensitive (RFC 9110 §9.1) and are never folded: `get` is not `GET`, and a policy
/// that allows `GET` must not let a server that treats `get` differently see it.
pub(crate) fn check_method(method: &str) -> Result<(), InvalidRequest> {
    // Every byte looked up, without a branch per byte: a method is short.
    if !method.is_empty() && method.bytes().fold(true, |ok, b| ok & METHOD.get(b)) {
        Ok(())
    } else {
        Err(InvalidRequest::InvalidMethod)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::is_tchar;

    #[test]
    fn a_method_is_token_bytes_without_lower_case() {
        assert_eq!(check_method(""), Err(InvalidRequest::InvalidMethod));
        for b in 0..=255u8 {
            let method = [b'G', b, b'T'];
            let Ok(method) = std::str::from_utf8(&method) else {
                continue;
            };
            let valid = is_tchar(b) && !b.is_ascii_lowercase();
            assert_eq!(check_method(method).is_ok(), valid, "{b:#04x}");
        }
    }
}
