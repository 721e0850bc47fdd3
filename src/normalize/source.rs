//! Source address normalization (`docs/language.md`, *Request normalization*).

use std::net::IpAddr;

use super::InvalidRequest;

/// Turns an IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) into its IPv4 address, so
/// that `source "10.0.0.0/8"` covers a dual-stack socket's view of an IPv4 peer.
///
/// An IPv4-*compatible* address (`::10.1.2.3`: the first 96 bits zero, other than `::`
/// and `::1`) is refused: it is deprecated (RFC 4291 §2.5.5.1), and reading it as
/// either the IPv4 address or the IPv6 one lets a rule written for the other reading be
/// bypassed, so neither is safe.
pub(crate) fn normalize_source(source: IpAddr) -> Result<IpAddr, InvalidRequest> {
    let IpAddr::V6(v6) = source else {
        return Ok(source);
    };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Ok(IpAddr::V4(v4));
    }
    let bits = u128::from(v6);
    if bits >> 32 == 0 && bits > 1 {
        return Err(InvalidRequest::AmbiguousSource);
    }
    Ok(source)
}
