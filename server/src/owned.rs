//! A request that owns its parts, with the builder names of the core's owned request,
//! so that the mapping functions can move to it without other changes.
//!
//! Stand-in until the core crate's `OwnedRequest` is available on this branch.

use std::net::IpAddr;

use portcullis::Request;

/// A request that owns its parts; [`OwnedRequest::as_request`] borrows it for
/// evaluation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
    /// A request with a method and a request target.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> OwnedRequest {
        OwnedRequest {
            method: method.into(),
            path: path.into(),
            ..OwnedRequest::default()
        }
    }

    /// Sets the identity.
    pub fn set_identity(&mut self, identity: impl Into<String>) -> &mut OwnedRequest {
        self.identity = Some(identity.into());
        self
    }

    /// Sets the host.
    pub fn set_host(&mut self, host: impl Into<String>) -> &mut OwnedRequest {
        self.host = Some(host.into());
        self
    }

    /// Sets the port.
    pub fn set_port(&mut self, port: u16) -> &mut OwnedRequest {
        self.port = Some(port);
        self
    }

    /// Sets the source address.
    pub fn set_source(&mut self, source: IpAddr) -> &mut OwnedRequest {
        self.source = Some(source);
        self
    }

    /// Adds a header line.
    pub fn push_header(
        &mut self,
        name: impl Into<String>,
        value: impl Into<Vec<u8>>,
    ) -> &mut OwnedRequest {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds an attribute value.
    pub fn push_attr(
        &mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> &mut OwnedRequest {
        self.attrs.push((key.into(), value.into()));
        self
    }

    /// The method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request target.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The identity.
    pub fn identity_value(&self) -> Option<&str> {
        self.identity.as_deref()
    }

    /// The host.
    pub fn host_value(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The port.
    pub fn port_value(&self) -> Option<u16> {
        self.port
    }

    /// The source address.
    pub fn source_value(&self) -> Option<IpAddr> {
        self.source
    }

    /// Every header line, in order.
    pub fn headers(&self) -> impl ExactSizeIterator<Item = (&str, &[u8])> + '_ {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// Every attribute value, in order.
    pub fn attrs(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.attrs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The request to evaluate, borrowing this one.
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
