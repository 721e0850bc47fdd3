//! Header and attribute validation (`docs/language.md`, *Request normalization*),
//! without allocating.

use super::{InvalidRequest, Options, RequestLimits};
use crate::bytes::{ByteTable, TCHAR, byte_table, tchar};
use crate::request::InlineList;

/// Checks the header lines: at most `max_headers` of them and `max_header_bytes` of
/// names and values together; every name an RFC 9110 token, without `_` unless
/// [`Options::underscores_in_headers`]; no value containing NUL, CR or LF (the bytes
/// that split or truncate a header line downstream) or any other control but tab, and
/// none with leading or trailing space or tab (fail closed: no HTTP parser delivers
/// them). Other bytes, obs-text included, are allowed: values are matched as bytes.
pub(crate) fn check_headers(
    headers: &InlineList<(&str, &[u8])>,
    options: &Options,
) -> Result<(), InvalidRequest> {
    let limits = &options.limits;
    if headers.len() > limits.max_headers {
        return Err(InvalidRequest::HeadersTooLarge);
    }
    let mut total: usize = 0;
    for &(name, value) in headers.iter() {
        total = total.saturating_add(name.len()).saturating_add(value.len());
        if total > limits.max_header_bytes {
            return Err(InvalidRequest::HeadersTooLarge);
        }
        // CGI, WSGI and Rack name a header `HTTP_X_ENV` whether it came as `x-env` or
        // `x_env`: a backend there reads `x_env: prod` as the `x-env` a rule tests.
        let name_bytes = if options.underscores_in_headers {
            &TCHAR
        } else {
            &TOKEN_NO_UNDERSCORE
        };
        // Every byte looked up, without a branch per byte: names are short.
        if name.is_empty() || !name.bytes().fold(true, |ok, b| ok & name_bytes.get(b)) {
            return Err(InvalidRequest::InvalidHeaderName);
        }
        // NUL, CR and LF split or cut a line; RFC 9110 §5.5 allows no other
        // control but tab in a value, and some servers trim VT and FF like spaces.
        if has_control(value) {
            return Err(InvalidRequest::InvalidHeaderValue);
        }
        // RFC 9110 §5.5: a field value has no leading or trailing white space, and
        // HTTP parsers strip it. A value that still carries some did not come from
        // one, and `"prod "` must not slip past a rule on `"prod"`.
        let padded = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
        if padded(value.first()) || padded(value.last()) {
            return Err(InvalidRequest::PaddedHeaderValue);
        }
    }
    Ok(())
}

/// Checks the attributes: at most `max_attrs` values in all. A key may occur several
/// times, once per value (a JWT `groups` claim); keys and values are otherwise free
/// text.
pub(crate) fn check_attrs(
    attrs: &InlineList<(&str, &str)>,
    limits: &RequestLimits,
) -> Result<(), InvalidRequest> {
    if attrs.len() > limits.max_attrs {
        return Err(InvalidRequest::InvalidAttrs);
    }
    Ok(())
}

/// The bytes of a header name without `_` ([`TCHAR`] has them all).
static TOKEN_NO_UNDERSCORE: ByteTable<bool> = byte_table!(|b| tchar(b) && b != b'_');

/// The bytes a header value may not carry: controls (C0 and DEL) but tab.
static VALUE_CONTROL: ByteTable<bool> = byte_table!(|b| (b < 0x20 && b != b'\t') || b == 0x7f);

/// Whether `value` has a byte of [`VALUE_CONTROL`]. Eight bytes at a time: a word
/// with no byte below 0x20 and none equal to 0x7f has none (the tests below have no
/// false negatives); a word that might is looked at byte by byte.
fn has_control(value: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = value.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let del = x ^ (ONES * 0x7f);
        let has_del = del.wrapping_sub(ONES) & !del & HIGH;
        if below_space | has_del != 0 && chunk.iter().any(|&b| VALUE_CONTROL.get(b)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| VALUE_CONTROL.get(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_control_agrees_with_a_byte_scan() {
        for b in 0..=255u8 {
            for at in 0..17 {
                let mut value = vec![b'a'; 17];
                value[at] = b;
                let plain = value.iter().any(|&x| (x < 0x20 && x != b'\t') || x == 0x7f);
                assert_eq!(has_control(&value), plain, "{b:#x} at {at}");
                let mut high = vec![0xffu8; 17];
                high[at] = b;
                let plain = high.iter().any(|&x| (x < 0x20 && x != b'\t') || x == 0x7f);
                assert_eq!(has_control(&high), plain, "{b:#x} at {at} among 0xff");
            }
        }
    }
}
