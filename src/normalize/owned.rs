//! An owned copy of a normalized request, for tools, tests and explanations.

use std::net::IpAddr;

use crate::request::Request;

use super::{InvalidRequest, Options, Scratch, normalize};

/// A request after normalization (`docs/language.md`, *Request normalization*), owning
/// its parts. Evaluation uses a
/// borrowed form that does not allocate; this one is for tools, tests and explanations.
///
/// ```
/// use portcullis::{Request, normalize::{Options, normalize_request}};
/// let request = Request::new("GET", "/a/./b//c?x=1").host("API.Example.com.:443");
/// let n = normalize_request(&request, &Options::default()).unwrap();
/// assert_eq!(n.path, "/a/b/c");
/// assert_eq!(n.host.as_deref(), Some("api.example.com"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NormalizedRequest {
    /// The method (validated, never folded).
    pub method: String,
    /// The normalized path, without the query.
    pub path: String,
    /// The identity (validated).
    pub identity: Option<String>,
    /// The normalized host.
    pub host: Option<String>,
    /// The destination port.
    pub port: Option<u16>,
    /// The source address, IPv4-mapped addresses turned into IPv4.
    pub source: Option<IpAddr>,
    /// Header lines as given (values validated), in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Attribute values, in order: a key once per value.
    pub attrs: Vec<(String, String)>,
}

/// Normalizes a whole request, or says why it is invalid.
///
/// ```
/// use portcullis::{Request, normalize::{InvalidRequest, Options, normalize_request}};
/// let err = normalize_request(&Request::new("get", "/"), &Options::default()).unwrap_err();
/// assert_eq!(err, InvalidRequest::InvalidMethod);
/// ```
pub fn normalize_request(
    request: &Request<'_>,
    options: &Options,
) -> Result<NormalizedRequest, InvalidRequest> {
    let mut scratch = Scratch::new();
    let n = normalize(request, options, &mut scratch)?;
    Ok(NormalizedRequest {
        method: n.method.to_string(),
        path: n.path.to_string(),
        identity: n.identity.map(str::to_string),
        host: n.host.map(str::to_string),
        port: n.port,
        source: n.source,
        headers: n
            .headers
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.to_vec()))
            .collect(),
        attrs: n
            .attrs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect(),
    })
}
