//! Header and attribute validation (spec §6), without allocating.

use super::method::is_token;
use super::{InvalidRequest, Options, RequestLimits};
use crate::request::InlineList;

/// Checks the header lines: at most `max_headers` of them and `max_header_bytes` of
/// names and values together; every name an RFC 9110 token, without `_` unless
/// [`Options::underscores_in_headers`]; no value containing NUL, CR or LF (the bytes
/// that split or truncate a header line downstream, spec §6) or any other control but
/// tab, and none with leading or trailing space or tab (fail closed where the spec is
/// silent). Other bytes, obs-text included, are allowed: values are matched as bytes.
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
        if !is_token(name) {
            return Err(InvalidRequest::InvalidHeaderName);
        }
        // CGI, WSGI and Rack name a header `HTTP_X_ENV` whether it came as `x-env` or
        // `x_env`: a backend there reads `x_env: prod` as the `x-env` a rule tests.
        if !options.underscores_in_headers && name.as_bytes().contains(&b'_') {
            return Err(InvalidRequest::InvalidHeaderName);
        }
        // NUL, CR and LF split or cut a line (spec §6); RFC 9110 §5.5 allows no other
        // control but tab in a value, and some servers trim VT and FF like spaces.
        if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
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
