//! Forward auth over HTTP (nginx `auth_request`, Traefik `ForwardAuth`, Caddy
//! `forward_auth`): the headers of the auth request to a Portcullis request, and a
//! decision to the HTTP answer. Pure functions: no socket, no policy.
//!
//! | Portcullis | from |
//! |---|---|
//! | method | `X-Forwarded-Method`, else `X-Original-Method` |
//! | path | `X-Forwarded-Uri`, else `X-Original-URI` |
//! | host | `X-Forwarded-Host` (absent when missing) |
//! | port | `X-Forwarded-Port` |
//! | source | the last address of `X-Forwarded-For`, else `X-Real-IP` |
//! | identity | the URI SAN of `X-Forwarded-Tls-Client-Cert` or `X-SSL-Client-Cert`, else the `URI=` of the last element of `X-Forwarded-Client-Cert` |
//! | headers | every other header, except `Host` (which names this server) |
//!
//! These headers are believed only from a trusted proxy: from any other peer the
//! answer is 403 whatever they say. A trusted request without a method or a path, or
//! with one of these headers unreadable (repeated where one value is expected, not
//! UTF-8, a malformed address, port or certificate), is answered 400.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

use crate::client_cert::{self, CertError};
use crate::decision::DecisionObject;
use portcullis::OwnedRequest;

/// The path the proxies call.
pub const PATH: &str = "/forward-auth";

/// The response header that names the deciding rule on an allowed request.
pub const RULE_HEADER: &str = "X-Portcullis-Rule";

/// The address blocks whose forwarded headers are believed.
///
/// ```
/// use portcullis_server::forward_auth::TrustedProxies;
/// let trusted = TrustedProxies::default();
/// assert!(trusted.contains("127.0.0.1".parse()?));
/// assert!(trusted.contains("::ffff:127.0.0.2".parse()?));
/// assert!(!trusted.contains("10.0.0.1".parse()?));
/// let office: TrustedProxies = "10.0.0.0/8".parse()?;
/// assert!(office.contains("10.1.2.3".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Trust exactly these blocks.
    pub fn new(blocks: impl IntoIterator<Item = IpNet>) -> TrustedProxies {
        TrustedProxies(blocks.into_iter().collect())
    }

    /// True when `peer` (an IPv4-mapped IPv6 address read as IPv4) is in a block.
    pub fn contains(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.0.iter().any(|block| block.contains(&peer))
    }

    /// The blocks.
    pub fn blocks(&self) -> &[IpNet] {
        &self.0
    }
}

/// `127.0.0.0/8` and `::1`: a proxy on the same host.
impl Default for TrustedProxies {
    fn default() -> TrustedProxies {
        TrustedProxies(vec![
            IpNet::from(ipnet::Ipv4Net::new_assert(std::net::Ipv4Addr::LOCALHOST, 8)),
            IpNet::from(ipnet::Ipv6Net::new_assert(
                std::net::Ipv6Addr::LOCALHOST,
                128,
            )),
        ])
    }
}

/// One block: `10.0.0.0/8`, or one address (`10.1.2.3`, `::1`).
impl FromStr for TrustedProxies {
    type Err = String;

    fn from_str(text: &str) -> Result<TrustedProxies, String> {
        parse_block(text).map(|block| TrustedProxies(vec![block]))
    }
}

/// Parses `CIDR` or a bare address (a block of one).
///
/// ```
/// use portcullis_server::forward_auth::parse_block;
/// assert_eq!(parse_block("10.0.0.0/8")?.to_string(), "10.0.0.0/8");
/// assert_eq!(parse_block("::1")?.to_string(), "::1/128");
/// assert!(parse_block("10.0.0.0/33").is_err());
/// # Ok::<(), String>(())
/// ```
pub fn parse_block(text: &str) -> Result<IpNet, String> {
    if let Ok(block) = text.parse::<IpNet>() {
        return Ok(block);
    }
    text.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("`{text}` is not an address block (such as `10.0.0.0/8`)"))
}

/// Why forward-auth headers give no request to decide.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForwardError {
    /// The TCP peer is not a trusted proxy: 403.
    UntrustedPeer,
    /// A required header is missing: 400.
    Missing(&'static str),
    /// A header given more than once where one value is expected: 400.
    Repeated(&'static str),
    /// A header that cannot be read: 400.
    Malformed(&'static str, &'static str),
    /// A client-certificate header that cannot be read: 400.
    Certificate(&'static str, CertError),
}

impl ForwardError {
    /// The HTTP status to answer: 403 for an untrusted peer, else 400.
    pub fn status(&self) -> u16 {
        match self {
            ForwardError::UntrustedPeer => 403,
            _ => 400,
        }
    }
}

impl fmt::Display for ForwardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForwardError::UntrustedPeer => f.write_str("forwarded headers from an untrusted peer"),
            ForwardError::Missing(name) => write!(f, "missing header `{name}`"),
            ForwardError::Repeated(name) => write!(f, "header `{name}` given more than once"),
            ForwardError::Malformed(name, problem) => write!(f, "header `{name}`: {problem}"),
            ForwardError::Certificate(name, error) => write!(f, "header `{name}`: {error}"),
        }
    }
}

impl std::error::Error for ForwardError {}

const FORWARDED_METHOD: &str = "x-forwarded-method";
const ORIGINAL_METHOD: &str = "x-original-method";
const FORWARDED_URI: &str = "x-forwarded-uri";
const ORIGINAL_URI: &str = "x-original-uri";
const FORWARDED_HOST: &str = "x-forwarded-host";
const FORWARDED_PORT: &str = "x-forwarded-port";
const FORWARDED_FOR: &str = "x-forwarded-for";
const REAL_IP: &str = "x-real-ip";
const TLS_CLIENT_CERT: &str = "x-forwarded-tls-client-cert";
const SSL_CLIENT_CERT: &str = "x-ssl-client-cert";
const CLIENT_CERT: &str = "x-forwarded-client-cert";
const HOST: &str = "host";

/// The headers read for a field, never passed on as request headers.
const CONSUMED: [&str; 12] = [
    FORWARDED_METHOD,
    ORIGINAL_METHOD,
    FORWARDED_URI,
    ORIGINAL_URI,
    FORWARDED_HOST,
    FORWARDED_PORT,
    FORWARDED_FOR,
    REAL_IP,
    TLS_CLIENT_CERT,
    SSL_CLIENT_CERT,
    CLIENT_CERT,
    HOST,
];

/// Builds the request that the forwarded headers describe, if `peer` may describe it.
///
/// `headers` are the auth request's header lines, names in any case.
///
/// ```
/// use portcullis_server::forward_auth::{ForwardError, TrustedProxies, request_from_headers};
/// let trusted = TrustedProxies::default();
/// let headers: [(&str, &[u8]); 3] = [
///     ("X-Forwarded-Method", b"GET"),
///     ("X-Forwarded-Uri", b"/api/..%2Fadmin"),
///     ("X-Env", b"prod"),
/// ];
/// let request = request_from_headers("127.0.0.1".parse()?, &trusted, headers)?;
/// assert_eq!(request.path(), "/api/..%2Fadmin");
/// assert_eq!(request.headers().collect::<Vec<_>>(), [("x-env", &b"prod"[..])]);
///
/// let outside = request_from_headers("192.0.2.1".parse()?, &trusted, headers);
/// assert_eq!(outside, Err(ForwardError::UntrustedPeer));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn request_from_headers<'h>(
    peer: IpAddr,
    trusted: &TrustedProxies,
    headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
) -> Result<OwnedRequest, ForwardError> {
    if !trusted.contains(peer) {
        return Err(ForwardError::UntrustedPeer);
    }
    let mut fields = Fields::default();
    let mut others = Vec::new();
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        match CONSUMED.iter().position(|c| *c == lower) {
            Some(index) => fields.add(index, value),
            None => others.push((lower, value)),
        }
    }
    let method = fields
        .text(FORWARDED_METHOD)?
        .or(fields.text(ORIGINAL_METHOD)?)
        .ok_or(ForwardError::Missing("X-Forwarded-Method"))?;
    let path = fields
        .text(FORWARDED_URI)?
        .or(fields.text(ORIGINAL_URI)?)
        .ok_or(ForwardError::Missing("X-Forwarded-Uri"))?;
    let mut request = OwnedRequest::new(method, path);
    if let Some(host) = fields.text(FORWARDED_HOST)? {
        request.set_host(host);
    }
    if let Some(port) = fields.text(FORWARDED_PORT)? {
        let port = port
            .trim()
            .parse::<u16>()
            .map_err(|_| ForwardError::Malformed("X-Forwarded-Port", "not a port number"))?;
        request.set_port(port);
    }
    if let Some(source) = fields.source()? {
        request.set_source(source);
    }
    if let Some(identity) = fields.identity()? {
        request.set_identity(identity);
    }
    for (name, value) in others {
        request.push_header(name, value);
    }
    Ok(request)
}

/// The consumed headers' values, by position in [`CONSUMED`].
#[derive(Default)]
struct Fields<'h> {
    values: [Vec<&'h [u8]>; CONSUMED.len()],
}

impl<'h> Fields<'h> {
    fn add(&mut self, index: usize, value: &'h [u8]) {
        if let Some(values) = self.values.get_mut(index) {
            values.push(value);
        }
    }

    fn all(&self, name: &str) -> &[&'h [u8]] {
        CONSUMED
            .iter()
            .position(|c| *c == name)
            .and_then(|i| self.values.get(i))
            .map_or(&[], Vec::as_slice)
    }

    /// The one value of a header, as bytes; `None` when absent.
    fn one(&self, name: &'static str) -> Result<Option<&'h [u8]>, ForwardError> {
        match self.all(name) {
            [] => Ok(None),
            [value] => Ok(Some(value)),
            _ => Err(ForwardError::Repeated(display_name(name))),
        }
    }

    /// The one value of a header, as text; `None` when absent.
    fn text(&self, name: &'static str) -> Result<Option<&'h str>, ForwardError> {
        self.one(name)?
            .map(|value| {
                std::str::from_utf8(value)
                    .map_err(|_| ForwardError::Malformed(display_name(name), "not valid utf-8"))
            })
            .transpose()
    }

    /// The last address of `X-Forwarded-For` (its lines read as one list), else
    /// `X-Real-IP`.
    fn source(&self) -> Result<Option<IpAddr>, ForwardError> {
        const BAD: &str = "not an ip address";
        if let Some(line) = self.all(FORWARDED_FOR).last() {
            let line = std::str::from_utf8(line)
                .map_err(|_| ForwardError::Malformed("X-Forwarded-For", BAD))?;
            let last = line.rsplit(',').next().unwrap_or("").trim();
            return last
                .parse()
                .map(Some)
                .map_err(|_| ForwardError::Malformed("X-Forwarded-For", BAD));
        }
        match self.text(REAL_IP)? {
            Some(address) => address
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ForwardError::Malformed("X-Real-IP", BAD)),
            None => Ok(None),
        }
    }

    /// The client certificate's URI SAN, from the first certificate header present.
    fn identity(&self) -> Result<Option<String>, ForwardError> {
        for name in [TLS_CLIENT_CERT, SSL_CLIENT_CERT] {
            if let Some(value) = self.one(name)? {
                return client_cert::identity_from_pem_header(value)
                    .map_err(|e| ForwardError::Certificate(display_name(name), e));
            }
        }
        let lines = self.all(CLIENT_CERT);
        if let Some(line) = lines.last() {
            // Repeated lines form one list; its last element is in the last line.
            let line = std::str::from_utf8(line).map_err(|_| {
                ForwardError::Certificate("X-Forwarded-Client-Cert", CertError::BadXfcc)
            })?;
            return client_cert::identity_from_xfcc(line)
                .map_err(|e| ForwardError::Certificate("X-Forwarded-Client-Cert", e));
        }
        Ok(None)
    }
}

/// The usual spelling of a header name, for messages.
fn display_name(name: &str) -> &'static str {
    match name {
        FORWARDED_METHOD => "X-Forwarded-Method",
        ORIGINAL_METHOD => "X-Original-Method",
        FORWARDED_URI => "X-Forwarded-Uri",
        ORIGINAL_URI => "X-Original-URI",
        FORWARDED_HOST => "X-Forwarded-Host",
        FORWARDED_PORT => "X-Forwarded-Port",
        FORWARDED_FOR => "X-Forwarded-For",
        REAL_IP => "X-Real-IP",
        TLS_CLIENT_CERT => "X-Forwarded-Tls-Client-Cert",
        SSL_CLIENT_CERT => "X-SSL-Client-Cert",
        CLIENT_CERT => "X-Forwarded-Client-Cert",
        _ => "Host",
    }
}

/// The HTTP answer to the proxy, before it is put on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// 200, 400 or 403.
    pub status: u16,
    /// The `X-Portcullis-Rule` value, when a rule allowed.
    pub rule: Option<String>,
    /// A short text; never a list of the policy's rules.
    pub body: String,
}

/// The answer for a decision: 200 (with `X-Portcullis-Rule` when a rule decided) or
/// 403, empty bodies.
///
/// ```
/// use portcullis_server::{DecisionObject, forward_auth::answer};
/// assert_eq!(answer(&DecisionObject::invalid("x")).status, 403);
/// ```
pub fn answer(decision: &DecisionObject) -> Answer {
    if decision.is_allowed() {
        Answer {
            status: 200,
            rule: decision.rule().map(crate::check::header_value),
            body: String::new(),
        }
    } else {
        Answer {
            status: 403,
            rule: None,
            body: String::new(),
        }
    }
}

/// The answer when the headers give no request: 403 or 400 with the reason.
///
/// ```
/// use portcullis_server::forward_auth::{ForwardError, refusal};
/// let answer = refusal(&ForwardError::Missing("X-Forwarded-Uri"));
/// assert_eq!((answer.status, answer.body.as_str()), (400, "missing header `X-Forwarded-Uri`\n"));
/// ```
pub fn refusal(error: &ForwardError) -> Answer {
    Answer {
        status: error.status(),
        rule: None,
        body: format!("{error}\n"),
    }
}
