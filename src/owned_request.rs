//! [`OwnedRequest`]: a request that owns its strings, built from owned data (a JSON
//! line, an HTTP request, a generated test case) and evaluated through a borrowed
//! [`Request`].

use std::net::IpAddr;

use crate::request::Request;

/// A request that owns its parts: the one way to build a [`Request`] from owned data.
///
/// Fill it with the builder methods (or, field by field, with the `set_*` and `push_*`
/// methods), then evaluate [`OwnedRequest::as_request`], which borrows it without
/// copying. Like [`Request`] it holds values as they arrived, unnormalized: evaluation
/// normalizes them and denies what it cannot normalize safely.
///
/// ```
/// use portcullis::{OwnedRequest, Policy};
///
/// let policy = Policy::compile(r#"
///     allow "engineers in prod" { header "x-env" == "prod"  attr "groups" == "eng" }
/// "#)?;
/// let request = OwnedRequest::new("GET", "/api/v1/orders")
///     .identity("spiffe://prod.example.com/ns/web/sa/frontend")
///     .header("x-env", "dev")
///     .header("X-Env", "prod")
///     .attr("groups", "ops")
///     .attr("groups", "eng");
/// assert_eq!(policy.evaluate(&request.as_request()).rule(), Some("engineers in prod"));
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct OwnedRequest {
    method: String,
    path: String,
    identity: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    source: Option<IpAddr>,
    headers: Vec<(String, Vec<u8>)>,
    attrs: Vec<(String, String)>,
}

impl OwnedRequest {
    /// A request with a method and a request target in origin form (path and query).
    ///
    /// ```
    /// let request = portcullis::OwnedRequest::new("POST", "/orders?dry-run=1");
    /// assert_eq!(request.path(), "/orders?dry-run=1");
    /// ```
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> OwnedRequest {
        OwnedRequest {
            method: method.into(),
            path: path.into(),
            ..OwnedRequest::default()
        }
    }

    /// Sets the caller's authenticated identity (the mTLS peer, usually a SPIFFE ID).
    ///
    /// ```
    /// let r = portcullis::OwnedRequest::new("GET", "/").identity("spiffe://example.org/a");
    /// assert_eq!(r.identity_value(), Some("spiffe://example.org/a"));
    /// ```
    #[must_use]
    pub fn identity(mut self, identity: impl Into<String>) -> OwnedRequest {
        self.set_identity(identity);
        self
    }

    /// Sets the authority (`Host` header or `:authority`), port included if sent.
    ///
    /// ```
    /// let r = portcullis::OwnedRequest::new("GET", "/").host("payments.svc:8443");
    /// assert_eq!(r.host_value(), Some("payments.svc:8443"));
    /// ```
    #[must_use]
    pub fn host(mut self, host: impl Into<String>) -> OwnedRequest {
        self.set_host(host);
        self
    }

    /// Sets the destination port.
    ///
    /// ```
    /// let r = portcullis::OwnedRequest::new("GET", "/").port(8443);
    /// assert_eq!(r.port_value(), Some(8443));
    /// ```
    #[must_use]
    pub fn port(mut self, port: u16) -> OwnedRequest {
        self.set_port(port);
        self
    }

    /// Sets the peer address of the connection.
    ///
    /// ```
    /// use std::net::{IpAddr, Ipv4Addr};
    /// let r = portcullis::OwnedRequest::new("GET", "/").source(IpAddr::V4(Ipv4Addr::LOCALHOST));
    /// assert_eq!(r.source_value(), Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    /// ```
    #[must_use]
    pub fn source(mut self, source: IpAddr) -> OwnedRequest {
        self.set_source(source);
        self
    }

    /// Adds one header field line. Call it again, with the same name in any case, for
    /// another value of the same header; values are bytes.
    ///
    /// ```
    /// let r = portcullis::OwnedRequest::new("GET", "/")
    ///     .header("X-Forwarded-For", "10.0.0.1")
    ///     .header("x-forwarded-for", b"10.0.0.2".to_vec());
    /// assert_eq!(r.as_request().header_values("x-forwarded-for").count(), 2);
    /// ```
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> OwnedRequest {
        self.push_header(name, value);
        self
    }

    /// Adds one value of a caller attribute (a JWT claim, a label). Call it again with
    /// the same key for another value: a test on the attribute matches when any value
    /// does. Keys are case-sensitive.
    ///
    /// ```
    /// let r = portcullis::OwnedRequest::new("GET", "/")
    ///     .attr("groups", "eng")
    ///     .attr("groups", "ops");
    /// assert_eq!(r.attrs().collect::<Vec<_>>(), [("groups", "eng"), ("groups", "ops")]);
    /// ```
    #[must_use]
    pub fn attr(mut self, key: impl Into<String>, value: impl Into<String>) -> OwnedRequest {
        self.push_attr(key, value);
        self
    }

    /// Replaces the method.
    ///
    /// ```
    /// let mut r = portcullis::OwnedRequest::new("GET", "/");
    /// r.set_method("HEAD");
    /// assert_eq!(r.method(), "HEAD");
    /// ```
    pub fn set_method(&mut self, method: impl Into<String>) -> &mut OwnedRequest {
        self.method = method.into();
        self
    }

    /// Replaces the request target.
    ///
    /// ```
    /// let mut r = portcullis::OwnedRequest::new("GET", "/");
    /// r.set_path("/healthz");
    /// assert_eq!(r.path(), "/healthz");
    /// ```
    pub fn set_path(&mut self, path: impl Into<String>) -> &mut OwnedRequest {
        self.path = path.into();
        self
    }

    /// Sets the identity, replacing any.
    ///
    /// ```
    /// let mut r = portcullis::OwnedRequest::new("GET", "/");
    /// r.set_identity("spiffe://example.org/a");
    /// assert_eq!(r.identity_value(), Some("spiffe://example.org/a"));
    /// ```
    pub fn set_identity(&mut self, identity: impl Into<String>) -> &mut OwnedRequest {
        self.identity = Some(identity.into());
        self
    }

    /// Sets the authority, replacing any.
    ///
    /// ```
    /// let mut r = portcullis::OwnedRequest::new("GET", "/");
    /// r.set_host("api.example.com");
    /// assert_eq!(r.host_value(), Some("api.example.com"));
    /// ```
    pub fn set_host(&mut self, host: impl Into<String>) -> &mut OwnedRequest {
        self.host = Some(host.into());
        self
    }

    /// Sets the destination port, replacing any.
    ///
    /// ```
    /// let mut r = portcullis::OwnedRequest::new("GET", "/");
    /// r.set_port(443);
    /// assert_eq!(r.port_value(), Some(443));
    /// ```
    pub fn set_port(&mut self, port: u16) -> &mut OwnedRequest {
        self.port = Some(port);
        self
    }

    /// Sets the peer address, replacing any.
    ///
    /// ```
    /// let mut r = portcullis::OwnedRequest::new("GET", "/");
    /// r.set_source("10.1.2.3".parse().unwrap());
    /// assert!(r.source_value().is_some());
    /// ```
    pub fn set_source(&mut self, source: IpAddr) -> &mut OwnedRequest {
        self.source = Some(source);
        self
    }

    /// Removes the identity, returning it.
    ///
    /// ```
    /// let mut r = portcullis::OwnedRequest::new("GET", "/").identity("spiffe://example.org/a");
    /// assert_eq!(r.take_identity().as_deref(), Some("spiffe://example.org/a"));
    /// assert_eq!(r.identity_value(), None);
    /// ```
    pub fn take_identity(&mut self) -> Option<String> {
        self.identity.take()
    }

    /// Removes the authority, returning it.
    ///
    /// ```
    /// let mut r = portcullis::OwnedRequest::new("GET", "/").host("api.example.com");
    /// assert_eq!(r.take_host().as_deref(), Some("api.example.com"));
    /// assert_eq!(r.host_value(), None);
    /// ```
    pub fn take_host(&mut self) -> Option<String> {
        self.host.take()
    }

    /// Removes the destination port, returning it.
    ///
    /// ```
    /// let mut r = portcullis::OwnedRequest::new("GET", "/").port(443);
    /// assert_eq!(r.take_port(), Some(443));
    /// assert_eq!(r.port_value(), None);
    /// ```
    pub fn take_port(&mut self) -> Option<u16> {
        self.port.take()
    }

    /// Removes the peer address, returning it.
    ///
    /// ```
    /// let mut r = portcullis::OwnedRequest::new("GET", "/").source("::1".parse().unwrap());
    /// assert!(r.take_source().is_some());
    /// assert_eq!(r.source_value(), None);
    /// ```
    pub fn take_source(&mut self) -> Option<IpAddr> {
        self.source.take()
    }

    /// Adds one header field line (see [`OwnedRequest::header`]).
    ///
    /// ```
    /// let mut r = portcullis::OwnedRequest::new("GET", "/");
    /// r.push_header("x-env", "prod").push_header("X-Env", "dev");
    /// assert_eq!(r.headers().count(), 2);
    /// ```
    pub fn push_header(
        &mut self,
        name: impl Into<String>,
        value: impl Into<Vec<u8>>,
    ) -> &mut OwnedRequest {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds one attribute value (see [`OwnedRequest::attr`]).
    ///
    /// ```
    /// let mut r = portcullis::OwnedRequest::new("GET", "/");
    /// r.push_attr("scope", "read").push_attr("scope", "write");
    /// assert_eq!(r.attrs().count(), 2);
    /// ```
    pub fn push_attr(
        &mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> &mut OwnedRequest {
        self.attrs.push((key.into(), value.into()));
        self
    }

    /// The method as given.
    ///
    /// ```
    /// assert_eq!(portcullis::OwnedRequest::new("PUT", "/").method(), "PUT");
    /// ```
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request target as given.
    ///
    /// ```
    /// assert_eq!(portcullis::OwnedRequest::new("GET", "/a?b").path(), "/a?b");
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The identity as given.
    ///
    /// ```
    /// assert_eq!(portcullis::OwnedRequest::new("GET", "/").identity_value(), None);
    /// ```
    pub fn identity_value(&self) -> Option<&str> {
        self.identity.as_deref()
    }

    /// The authority as given.
    ///
    /// ```
    /// assert_eq!(portcullis::OwnedRequest::new("GET", "/").host_value(), None);
    /// ```
    pub fn host_value(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The destination port as given.
    ///
    /// ```
    /// assert_eq!(portcullis::OwnedRequest::new("GET", "/").port_value(), None);
    /// ```
    pub fn port_value(&self) -> Option<u16> {
        self.port
    }

    /// The peer address as given.
    ///
    /// ```
    /// assert_eq!(portcullis::OwnedRequest::new("GET", "/").source_value(), None);
    /// ```
    pub fn source_value(&self) -> Option<IpAddr> {
        self.source
    }

    /// Every header field line, `(name, value)`, in the order added.
    ///
    /// ```
    /// let r = portcullis::OwnedRequest::new("GET", "/").header("x-env", "prod");
    /// assert_eq!(r.headers().collect::<Vec<_>>(), [("x-env", &b"prod"[..])]);
    /// ```
    pub fn headers(&self) -> impl ExactSizeIterator<Item = (&str, &[u8])> + '_ {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// Every attribute value, `(key, value)`, in the order added.
    ///
    /// ```
    /// let r = portcullis::OwnedRequest::new("GET", "/").attr("tenant", "acme");
    /// assert_eq!(r.attrs().collect::<Vec<_>>(), [("tenant", "acme")]);
    /// ```
    pub fn attrs(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.attrs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The request to evaluate, borrowing this one. It allocates only past eight
    /// headers or eight attribute values.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"probes\" { path \"/healthz\" }")?;
    /// let request = portcullis::OwnedRequest::new("GET", "/healthz");
    /// assert!(policy.evaluate(&request.as_request()).is_allowed());
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn as_request(&self) -> Request<'_> {
        let mut request = Request::new(&self.method, &self.path);
        if let Some(identity) = &self.identity {
            request = request.identity(identity);
        }
        if let Some(host) = &self.host {
            request = request.host(host);
        }
        if let Some(port) = self.port {
            request = request.port(port);
        }
        if let Some(source) = self.source {
            request = request.source(source);
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        for (key, value) in &self.attrs {
            request = request.attr(key, value);
        }
        request
    }
}

/// Copies a borrowed request.
///
/// ```
/// use portcullis::{OwnedRequest, Request};
/// let owned = OwnedRequest::from(&Request::new("GET", "/").attr("tenant", "acme"));
/// assert_eq!(owned, OwnedRequest::new("GET", "/").attr("tenant", "acme"));
/// ```
impl From<&Request<'_>> for OwnedRequest {
    fn from(request: &Request<'_>) -> OwnedRequest {
        OwnedRequest {
            method: request.method.to_owned(),
            path: request.path.to_owned(),
            identity: request.identity.map(str::to_owned),
            host: request.host.map(str::to_owned),
            port: request.port,
            source: request.source,
            headers: request
                .headers
                .iter()
                .map(|&(n, v)| (n.to_owned(), v.to_vec()))
                .collect(),
            attrs: request
                .attrs
                .iter()
                .map(|&(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }
}
