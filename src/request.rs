//! The request to decide on, as the caller hands it over: borrowed, unnormalized.

use std::net::IpAddr;

/// Headers and attributes kept inline up to this many before spilling to the heap.
const INLINE: usize = 8;

/// A small list that stores its first [`INLINE`] items without allocating.
#[derive(Clone, Debug, Default)]
pub(crate) struct InlineList<T: Copy + Default> {
    len: usize,
    inline: [T; INLINE],
    spill: Vec<T>,
}

impl<T: Copy + Default> InlineList<T> {
    fn push(&mut self, item: T) {
        if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = item;
        } else {
            self.spill.push(item);
        }
        self.len += 1;
    }

    /// The items in insertion order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.inline
            .iter()
            .take(self.len.min(INLINE))
            .chain(self.spill.iter())
    }

    /// How many items there are.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// A request to authorize. It borrows every string; building one allocates nothing for
/// up to eight headers and eight attributes.
///
/// Only `method` and `path` are required. Values are taken as they arrive from the
/// wire: [`Policy::evaluate`](crate::Policy::evaluate) normalizes them
/// (`docs/language.md`, *Request normalization*) and denies what it cannot normalize
/// safely.
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
/// use portcullis::Request;
///
/// let request = Request::new("GET", "/api/v1/orders/42?verbose=1")
///     .identity("spiffe://prod.example.com/ns/web/sa/frontend")
///     .source(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)))
///     .host("payments.svc:8443")
///     .port(8443)
///     .header("x-env", b"prod")
///     .attr("tenant", "acme");
/// assert_eq!(request.method(), "GET");
/// ```
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) identity: Option<&'a str>,
    pub(crate) host: Option<&'a str>,
    pub(crate) port: Option<u16>,
    pub(crate) source: Option<IpAddr>,
    pub(crate) headers: InlineList<(&'a str, &'a [u8])>,
    pub(crate) attrs: InlineList<(&'a str, &'a str)>,
}

impl<'a> Request<'a> {
    /// A request with a method and a request target in origin form (path and query).
    ///
    /// ```
    /// let request = portcullis::Request::new("POST", "/orders");
    /// assert_eq!(request.path(), "/orders");
    /// ```
    pub fn new(method: &'a str, path: &'a str) -> Request<'a> {
        Request {
            method,
            path,
            identity: None,
            host: None,
            port: None,
            source: None,
            headers: InlineList::default(),
            attrs: InlineList::default(),
        }
    }

    /// Sets the caller's authenticated identity (the mTLS peer, usually a SPIFFE ID).
    ///
    /// ```
    /// let r = portcullis::Request::new("GET", "/").identity("spiffe://example.org/ns/a/sa/b");
    /// assert_eq!(r.identity_value(), Some("spiffe://example.org/ns/a/sa/b"));
    /// ```
    #[must_use]
    pub fn identity(mut self, identity: &'a str) -> Request<'a> {
        self.identity = Some(identity);
        self
    }

    /// Sets the authority (`Host` header or `:authority`), port included if sent.
    ///
    /// ```
    /// let r = portcullis::Request::new("GET", "/").host("Payments.svc:8443");
    /// assert_eq!(r.host_value(), Some("Payments.svc:8443"));
    /// ```
    #[must_use]
    pub fn host(mut self, host: &'a str) -> Request<'a> {
        self.host = Some(host);
        self
    }

    /// Sets the destination port.
    ///
    /// ```
    /// let r = portcullis::Request::new("GET", "/").port(9090);
    /// assert_eq!(r.port_value(), Some(9090));
    /// ```
    #[must_use]
    pub fn port(mut self, port: u16) -> Request<'a> {
        self.port = Some(port);
        self
    }

    /// Sets the peer address: the address of the connection, not one taken from
    /// `X-Forwarded-For` unless a trusted proxy put it there.
    ///
    /// ```
    /// let r = portcullis::Request::new("GET", "/").source("10.1.2.3".parse().unwrap());
    /// assert!(r.source_value().is_some());
    /// ```
    #[must_use]
    pub fn source(mut self, source: IpAddr) -> Request<'a> {
        self.source = Some(source);
        self
    }

    /// Adds one header field line. Call it again with the same name for a repeated
    /// header; names compare case-insensitively, values are bytes.
    ///
    /// ```
    /// let r = portcullis::Request::new("GET", "/")
    ///     .header("X-Forwarded-For", b"10.0.0.1")
    ///     .header("x-forwarded-for", b"10.0.0.2");
    /// assert_eq!(r.header_values("x-forwarded-for").count(), 2);
    /// ```
    #[must_use]
    pub fn header(mut self, name: &'a str, value: &'a [u8]) -> Request<'a> {
        self.headers.push((name, value));
        self
    }

    /// Adds one value of a caller attribute (a JWT claim, a label). Call it again with
    /// the same key for another value (a `groups` claim): a test on the attribute
    /// matches when any one value matches, `not` when none does. Keys are
    /// case-sensitive.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile(r#"allow "eng" { attr "groups" == "eng" }"#)?;
    /// let r = portcullis::Request::new("GET", "/")
    ///     .attr("groups", "ops")
    ///     .attr("groups", "eng");
    /// assert_eq!(r.attr_values("groups").collect::<Vec<_>>(), ["ops", "eng"]);
    /// assert!(policy.evaluate(&r).is_allowed());
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    #[must_use]
    pub fn attr(mut self, key: &'a str, value: &'a str) -> Request<'a> {
        self.attrs.push((key, value));
        self
    }

    /// The method as given.
    ///
    /// ```
    /// assert_eq!(portcullis::Request::new("PUT", "/").method(), "PUT");
    /// ```
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The request target as given.
    ///
    /// ```
    /// assert_eq!(portcullis::Request::new("GET", "/a?b").path(), "/a?b");
    /// ```
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The identity as given.
    ///
    /// ```
    /// assert_eq!(portcullis::Request::new("GET", "/").identity_value(), None);
    /// ```
    pub fn identity_value(&self) -> Option<&'a str> {
        self.identity
    }

    /// The host as given.
    ///
    /// ```
    /// assert_eq!(portcullis::Request::new("GET", "/").host_value(), None);
    /// ```
    pub fn host_value(&self) -> Option<&'a str> {
        self.host
    }

    /// The port as given.
    ///
    /// ```
    /// assert_eq!(portcullis::Request::new("GET", "/").port_value(), None);
    /// ```
    pub fn port_value(&self) -> Option<u16> {
        self.port
    }

    /// The source address as given.
    ///
    /// ```
    /// assert_eq!(portcullis::Request::new("GET", "/").source_value(), None);
    /// ```
    pub fn source_value(&self) -> Option<IpAddr> {
        self.source
    }

    /// Every value of the header `name` (case-insensitive), in the order given.
    ///
    /// ```
    /// let r = portcullis::Request::new("GET", "/").header("X-Env", b"prod");
    /// assert_eq!(r.header_values("x-env").collect::<Vec<_>>(), [b"prod"]);
    /// ```
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a [u8]> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, v)| v)
    }

    /// The first value of the attribute `key`, if it has one ([`Request::attr_values`]
    /// has them all).
    ///
    /// ```
    /// let r = portcullis::Request::new("GET", "/").attr("tenant", "acme");
    /// assert_eq!(r.attr_value("tenant"), Some("acme"));
    /// assert_eq!(r.attr_value("team"), None);
    /// ```
    pub fn attr_value(&self, key: &str) -> Option<&'a str> {
        self.attr_values(key).next()
    }

    /// Every value of the attribute `key` (case-sensitive), in the order given.
    ///
    /// ```
    /// let r = portcullis::Request::new("GET", "/").attr("scope", "read").attr("scope", "write");
    /// assert_eq!(r.attr_values("scope").collect::<Vec<_>>(), ["read", "write"]);
    /// ```
    pub fn attr_values<'s>(&'s self, key: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.attrs
            .iter()
            .filter(move |(k, _)| *k == key)
            .map(|&(_, v)| v)
    }
}
