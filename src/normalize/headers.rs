//! Header and attribute validation (spec §6), without allocating.

use super::method::is_token;
use super::{InvalidRequest, RequestLimits};
use crate::request::InlineList;

/// Checks the header lines: at most `max_headers` of them and `max_header_bytes` of
/// names and values together; every name an RFC 9110 token; no value containing NUL,
/// CR or LF (the bytes that split or truncate a header line downstream, spec §6).
/// Other bytes, obs-text included, are allowed: values are matched as bytes.
pub(crate) fn check_headers(
    headers: &InlineList<(&str, &[u8])>,
    limits: &RequestLimits,
) -> Result<(), InvalidRequest> {
    if headers.len() > limits.max_headers {
        return Err(InvalidRequest::HeadersTooLarge);
    }
    let mut total: usize = 0;
    for &(name, value) in headers.iter() {
        total = total.saturating_add(name.len()).saturating_add(value.len());
        if total > limits.max_header_bytes {
            return Err(InvalidRequest::HeadersTooLarge);
        }
        if !is_token(name) {
            return Err(InvalidRequest::InvalidHeaderName);
        }
        if value.iter().any(|&b| b == 0 || b == b'\r' || b == b'\n') {
            return Err(InvalidRequest::InvalidHeaderValue);
        }
    }
    Ok(())
}

/// Checks the attributes: at most `max_attrs`, and no key set twice (a request that
/// sets a claim twice is refused rather than one value being picked). Keys and values
/// are otherwise free text. The duplicate check compares pairs: quadratic, but bounded
/// by `max_attrs`, and it allocates nothing.
pub(crate) fn check_attrs(
    attrs: &InlineList<(&str, &str)>,
    limits: &RequestLimits,
) -> Result<(), InvalidRequest> {
    if attrs.len() > limits.max_attrs {
        return Err(InvalidRequest::InvalidAttrs);
    }
    for (i, (key, _)) in attrs.iter().enumerate() {
        if attrs.iter().take(i).any(|(other, _)| other == key) {
            return Err(InvalidRequest::InvalidAttrs);
        }
    }
    Ok(())
}
