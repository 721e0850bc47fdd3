//! From an `http::Request` to a Portcullis request: a pure mapping, borrowed, that
//! allocates nothing.

use http::header::HOST;
use portcullis::Request;

use crate::extensions::{LocalAddr, PeerAddr, PeerIdentity};

/// Builds the request to decide on, borrowing every field from `req`:
///
/// - method: as received;
/// - path: the request target as received, query included (`*` and an authority
///   form have none and are invalid, so denied);
/// - host: the URI's authority (HTTP/2 `:authority`, an absolute-form target) without
///   user info, else the `Host` header;
/// - port: the [`LocalAddr`] extension's port, else the port the authority names
///   explicitly, else none;
/// - identity: the [`PeerIdentity`] extension; source: the [`PeerAddr`] extension's
///   address;
/// - headers: every header line, a repeated one as several values, values as bytes.
///
/// `None` when the host is ambiguous, which is denied: several `Host` lines, a `Host`
/// that is not UTF-8, or a `Host` that names another authority than the URI's (RFC
/// 9112 §3.2.2 and RFC 9113 §8.3.1 let servers disagree on which one wins).
pub(crate) fn from_http<B>(req: &http::Request<B>) -> Option<Request<'_>> {
    let uri = req.uri();
    let path = uri.path_and_query().map_or("", |pq| pq.as_str());
    let mut request = Request::new(req.method().as_str(), path);

    let mut host_lines = req.headers().get_all(HOST).iter();
    let host_header = match (host_lines.next(), host_lines.next()) {
        (None, _) => None,
        (Some(value), None) => Some(std::str::from_utf8(value.as_bytes()).ok()?),
        (Some(_), Some(_)) => return None,
    };
    let mut port = None;
    match uri.authority() {
        Some(authority) => {
            let text = authority.as_str();
            let host = text.rsplit_once('@').map_or(text, |(_, host)| host);
            if host_header.is_some_and(|h| !h.eq_ignore_ascii_case(host)) {
                return None;
            }
            request = request.host(host);
            port = authority.port_u16();
        }
        None => {
            if let Some(host) = host_header {
                request = request.host(host);
                port = host
                    .parse::<http::uri::Authority>()
                    .ok()
                    .and_then(|a| a.port_u16());
            }
        }
    }
    let extensions = req.extensions();
    if let Some(LocalAddr(local)) = extensions.get::<LocalAddr>() {
        port = Some(local.port());
    }
    if let Some(port) = port {
        request = request.port(port);
    }
    if let Some(PeerIdentity(identity)) = extensions.get::<PeerIdentity>() {
        request = request.identity(identity);
    }
    if let Some(PeerAddr(peer)) = extensions.get::<PeerAddr>() {
        request = request.source(peer.ip());
    }
    for (name, value) in req.headers() {
        request = request.header(name.as_str(), value.as_bytes());
    }
    Some(request)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn build(
        f: impl FnOnce(http::request::Builder) -> http::request::Builder,
    ) -> http::Request<()> {
        f(http::Request::builder()).body(()).unwrap()
    }

    #[test]
    fn every_field_comes_from_where_it_should() {
        let mut req = build(|b| {
            b.method("PATCH")
                .uri("/api/v1/orders/42?x=1&y=%2F")
                .header("host", "Orders.svc:8443")
                .header("x-env", "prod")
                .header("x-forwarded-for", "10.0.0.1")
                .header("x-forwarded-for", "10.0.0.2")
        });
        req.extensions_mut()
            .insert(PeerIdentity("spiffe://p/ns/a/sa/b".into()));
        req.extensions_mut()
            .insert(PeerAddr("[2001:db8::7]:5000".parse().unwrap()));
        let r = from_http(&req).unwrap();
        assert_eq!(r.method(), "PATCH");
        assert_eq!(r.path(), "/api/v1/orders/42?x=1&y=%2F");
        assert_eq!(r.host_value(), Some("Orders.svc:8443"));
        assert_eq!(r.port_value(), Some(8443));
        assert_eq!(r.identity_value(), Some("spiffe://p/ns/a/sa/b"));
        assert_eq!(r.source_value(), Some("2001:db8::7".parse().unwrap()));
        let xff: Vec<&[u8]> = r.header_values("x-forwarded-for").collect();
        assert_eq!(xff, [&b"10.0.0.1"[..], b"10.0.0.2"]);
        assert_eq!(r.header_values("host").count(), 1);
    }

    #[test]
    fn absent_fields_stay_absent() {
        let r = build(|b| b.uri("/"));
        let r = from_http(&r).unwrap();
        assert_eq!(r.method(), "GET");
        assert_eq!(
            (
                r.host_value(),
                r.port_value(),
                r.identity_value(),
                r.source_value()
            ),
            (None, None, None, None)
        );
        // No port named: none assumed from the scheme.
        let r = build(|b| b.uri("/").header("host", "api.example.com"));
        assert_eq!(from_http(&r).unwrap().port_value(), None);
    }

    #[test]
    fn the_uri_authority_wins_without_user_info() {
        let r = build(|b| b.uri("https://user:pw@api.example.com:9443/a?b"));
        let r = from_http(&r).unwrap();
        assert_eq!(r.host_value(), Some("api.example.com:9443"));
        assert_eq!(r.port_value(), Some(9443));
        assert_eq!(r.path(), "/a?b");
        // A Host line that agrees (in any case) is fine.
        let r = build(|b| {
            b.uri("http://API.example.com/")
                .header("host", "api.example.com")
        });
        assert_eq!(from_http(&r).unwrap().host_value(), Some("API.example.com"));
    }

    #[test]
    fn the_local_port_beats_the_claimed_one() {
        let mut r = build(|b| b.uri("/").header("host", "a:9000"));
        r.extensions_mut()
            .insert(LocalAddr("127.0.0.1:8443".parse().unwrap()));
        assert_eq!(from_http(&r).unwrap().port_value(), Some(8443));
    }

    #[test]
    fn an_ambiguous_host_is_refused() {
        let two = build(|b| b.uri("/").header("host", "a").header("host", "b"));
        assert!(from_http(&two).is_none());
        let same_twice = build(|b| b.uri("/").header("host", "a").header("host", "a"));
        assert!(from_http(&same_twice).is_none());
        let other = build(|b| b.uri("http://a/").header("host", "b"));
        assert!(from_http(&other).is_none());
        let mut bytes = build(|b| b.uri("/"));
        bytes
            .headers_mut()
            .insert("host", HeaderValue::from_bytes(b"caf\xe9.example").unwrap());
        assert!(from_http(&bytes).is_none());
    }

    #[test]
    fn header_values_that_are_not_text_are_kept_as_bytes() {
        let mut r = build(|b| b.uri("/"));
        r.headers_mut()
            .append("x-raw", HeaderValue::from_bytes(b"\xff\xfe ok").unwrap());
        let r2 = from_http(&r).unwrap();
        let values: Vec<&[u8]> = r2.header_values("x-raw").collect();
        assert_eq!(values, [&b"\xff\xfe ok"[..]]);
    }

    #[test]
    fn targets_without_a_path_are_empty_and_so_invalid() {
        let star = build(|b| b.method("OPTIONS").uri("*"));
        let star = from_http(&star).unwrap();
        assert!(!star.path().starts_with('/'));
        let connect = build(|b| b.method("CONNECT").uri("example.com:443"));
        let connect = from_http(&connect).unwrap();
        assert!(!connect.path().starts_with('/'));
    }
}
