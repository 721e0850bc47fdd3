//! Validation of scalar values: addresses and CIDR blocks, ports, methods.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::bytes::is_tchar;

/// Parses an address or CIDR block as written in a policy. A bare address is a single
/// host; host bits below the prefix, IPv4 octets with leading zeros and prefixes longer
/// than the address are errors. An IPv4-mapped IPv6 block (`::ffff:10.0.0.0/104`) is
/// turned into its IPv4 block, since sources are matched as IPv4 after normalization.
pub(crate) fn parse_net(text: &str) -> Result<IpNet, String> {
    // Only a tree from the JSON form can hold other characters (the lexer reads
    // none into an address); say so plainly rather than blame a part.
    if !text
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.' | b'/'))
    {
        return Err(format!("invalid address `{text}`"));
    }
    let (addr_text, prefix_text) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let addr = parse_addr(addr_text).map_err(|e| {
        if prefix_text.is_some() {
            format!("{e} in `{text}`")
        } else {
            e
        }
    })?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix_text {
        None => max,
        Some(p) => {
            let ok = !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && !(p.len() > 1 && p.starts_with('0'));
            match p.parse::<u8>() {
                Ok(n) if ok && n <= max => n,
                Ok(n) if n <= max && p.starts_with('0') => {
                    return Err(format!(
                        "prefix length `/{p}` in `{text}` has a leading zero; did you mean `/{n}`?"
                    ));
                }
                _ => {
                    return Err(format!(
                        "invalid prefix length `/{p}` in `{text}` (0 to {max})"
                    ));
                }
            }
        }
    };
    let net = IpNet::new(addr, prefix).map_err(|_| format!("invalid address `{text}`"))?;
    if net.network() != addr {
        return Err(format!(
            "`{text}` has host bits set below the prefix; did you mean `{}`?",
            net.trunc()
        ));
    }
    Ok(unmap(net))
}

/// Parses one address (no prefix), rejecting IPv4 octets with leading zeros.
pub(crate) fn parse_addr(text: &str) -> Result<IpAddr, String> {
    if text.contains(':') {
        // An embedded IPv4 tail follows the IPv4 rules too.
        if let Some(tail) = text.rsplit(':').next().filter(|t| t.contains('.')) {
            check_octets(tail)?;
        }
        return text
            .parse::<Ipv6Addr>()
            .map(IpAddr::V6)
            .map_err(|_| format!("invalid IPv6 address `{text}`"));
    }
    check_octets(text)?;
    text.parse::<Ipv4Addr>()
        .map(IpAddr::V4)
        .map_err(|_| format!("invalid IPv4 address `{text}`"))
}

fn check_octets(text: &str) -> Result<(), String> {
    if text.split('.').any(|o| o.len() > 1 && o.starts_with('0')) {
        return Err(format!("IPv4 octet with a leading zero in `{text}`"));
    }
    Ok(())
}

/// IPv4-mapped IPv6 blocks become IPv4 blocks.
fn unmap(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net {
        if v6.prefix_len() >= 96 {
            if let Some(v4) = v6.network().to_ipv4_mapped() {
                if let Ok(n) = Ipv4Net::new(v4, v6.prefix_len() - 96) {
                    return IpNet::V4(n);
                }
            }
        }
        return IpNet::V6(Ipv6Net::new(v6.network(), v6.prefix_len()).unwrap_or(v6));
    }
    net
}

/// A port value: at most 65535.
pub(crate) fn port(value: u64) -> Result<u16, String> {
    u16::try_from(value).map_err(|_| format!("port `{value}` is above 65535"))
}

/// A port range `start..end`: both ports, start not above end.
pub(crate) fn port_range(start: u64, end: u64) -> Result<(u16, u16), String> {
    let (s, e) = (port(start)?, port(end)?);
    if s > e {
        return Err(format!("port range `{start}..{end}` starts after it ends"));
    }
    Ok((s, e))
}

/// A method: an RFC 9110 token in upper case.
pub(crate) fn method(text: &str) -> Result<(), String> {
    if text.is_empty() || !text.bytes().all(is_tchar) {
        return Err(format!("invalid method `{text}`: not an HTTP token"));
    }
    if text.bytes().any(|b| b.is_ascii_lowercase()) {
        return Err(format!(
            "method `{text}` is not upper case; did you mean `{}`?",
            text.to_ascii_uppercase()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(parse_net("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_net("10.1.2.3").unwrap().to_string(), "10.1.2.3/32");
        assert_eq!(parse_net("::1").unwrap().to_string(), "::1/128");
        assert_eq!(parse_net("fd00::/8").unwrap().to_string(), "fd00::/8");
        assert_eq!(
            parse_net("::ffff:10.0.0.0/104").unwrap().to_string(),
            "10.0.0.0/8"
        );
        for bad in [
            "10.1.2.3/8",
            "010.0.0.1",
            "10.0.0.256",
            "10.0.0.0/33",
            "10.0.0.0/08",
            "1.2.3",
            "::g",
            "::ffff:010.0.0.1",
            "10.0.0.0/",
        ] {
            assert!(parse_net(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ports_and_methods() {
        assert!(port(65535).is_ok());
        assert!(port(65536).is_err());
        assert!(port_range(9, 8).is_err());
        assert!(method("M-SEARCH").is_ok());
        assert!(method("get").unwrap_err().contains("`GET`"));
        assert!(method("GE T").is_err());
        assert!(method("").is_err());
    }
}
