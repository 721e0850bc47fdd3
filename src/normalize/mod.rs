//! Request normalization (spec §6): turn what arrived on the wire into the one form
//! every matcher reads, or refuse it.
//!
//! A request that cannot be normalized safely is *invalid* and is denied with reason
//! `invalid_request`, whatever the rules say. Normalizing a valid request allocates
//! nothing.

use std::net::IpAddr;

mod owned;

pub use owned::{NormalizedRequest, normalize_request};

use crate::request::{InlineList, Request};

/// What to do with an encoded slash or backslash (`%2F`, `%2f`, `%5C`, `%5c`) in a path.
///
/// ```
/// use portcullis::normalize::{EscapedSlashes, Options, normalize_path};
/// let decode = Options { escaped_slashes: EscapedSlashes::Decode, ..Options::default() };
/// assert_eq!(normalize_path("/a%2Fb", &decode).unwrap(), "/a/b");
/// assert!(normalize_path("/a%2Fb", &Options::default()).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EscapedSlashes {
    /// The request is invalid (the default).
    #[default]
    Reject,
    /// `%2F` becomes `/` and `%5C` becomes `\` (which the [`Backslash`] option then
    /// treats); both then take part in merging and dot-segment removal.
    Decode,
    /// The escape stays as text (`%2F`), part of its segment.
    Keep,
}

/// What to do with a raw `\` in a path.
///
/// ```
/// use portcullis::normalize::{Backslash, Options, normalize_path};
/// let slash = Options { backslash: Backslash::Slash, ..Options::default() };
/// assert_eq!(normalize_path("/a\\b", &slash).unwrap(), "/a/b");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backslash {
    /// The request is invalid (the default).
    #[default]
    Reject,
    /// `\` is treated as `/`.
    Slash,
}

/// What to do with a `;` (path parameter) in a path.
///
/// ```
/// use portcullis::normalize::{Options, Semicolon, normalize_path};
/// let strip = Options { semicolon: Semicolon::Strip, ..Options::default() };
/// assert_eq!(normalize_path("/a;jsessionid=1/b", &strip).unwrap(), "/a/b");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Semicolon {
    /// The request is invalid (the default).
    #[default]
    Reject,
    /// `;` is an ordinary character of its segment.
    Keep,
    /// Each segment loses its `;...` parameters.
    Strip,
}

/// Bounds on what a request may carry; a request past any of them is invalid.
///
/// ```
/// let limits = portcullis::normalize::RequestLimits::default();
/// assert_eq!(limits.max_path_len, 4096);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RequestLimits {
    /// Longest request target (path and query), in bytes. Default 4096.
    pub max_path_len: usize,
    /// Longest host, in bytes. Default 255.
    pub max_host_len: usize,
    /// Longest identity, in bytes. Default 2048 (the SPIFFE limit).
    pub max_identity_len: usize,
    /// Most header field lines. Default 100.
    pub max_headers: usize,
    /// Most bytes of header names and values together. Default 65536.
    pub max_header_bytes: usize,
    /// Most attributes. Default 64.
    pub max_attrs: usize,
}

impl Default for RequestLimits {
    fn default() -> RequestLimits {
        RequestLimits {
            max_path_len: 4096,
            max_host_len: 255,
            max_identity_len: 2048,
            max_headers: 100,
            max_header_bytes: 65536,
            max_attrs: 64,
        }
    }
}

/// The normalization options of spec §6. The defaults are the strictest: reject
/// encoded slashes, backslashes and `;`, and merge runs of `/`.
///
/// ```
/// use portcullis::normalize::Options;
/// let options = Options { merge_slashes: false, ..Options::default() };
/// assert_eq!(portcullis::normalize::normalize_path("/a//b", &options).unwrap(), "/a//b");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Options {
    /// Encoded `/` and `\`.
    pub escaped_slashes: EscapedSlashes,
    /// Raw `\`.
    pub backslash: Backslash,
    /// `;` path parameters.
    pub semicolon: Semicolon,
    /// Merge runs of `/` into one (default true).
    pub merge_slashes: bool,
    /// Size limits.
    pub limits: RequestLimits,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            escaped_slashes: EscapedSlashes::Reject,
            backslash: Backslash::Reject,
            semicolon: Semicolon::Reject,
            merge_slashes: true,
            limits: RequestLimits::default(),
        }
    }
}

/// Why a request could not be normalized. Its `Display` is the one-line message the
/// CLI puts in a decision's `error` field.
///
/// ```
/// use portcullis::normalize::{InvalidRequest, Options, normalize_path};
/// let err = normalize_path("/a%2Fb", &Options::default()).unwrap_err();
/// assert_eq!(err, InvalidRequest::EncodedSlash);
/// assert_eq!(err.to_string(), "encoded slash in path");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidRequest {
    /// The path does not begin with `/`.
    #[error("path does not begin with `/`")]
    PathNotAbsolute,
    /// A `%` not followed by two hex digits.
    #[error("malformed percent escape in path")]
    MalformedEscape,
    /// `%00`.
    #[error("encoded NUL in path")]
    EncodedNul,
    /// Escapes whose bytes are not valid UTF-8 (overlong forms, stray bytes).
    #[error("percent escapes in path are not valid UTF-8")]
    InvalidUtf8,
    /// A raw byte that may not appear in a path.
    #[error("invalid character in path")]
    InvalidPathCharacter,
    /// `%2F` or `%5C` under [`EscapedSlashes::Reject`].
    #[error("encoded slash in path")]
    EncodedSlash,
    /// A raw `\` under [`Backslash::Reject`].
    #[error("backslash in path")]
    Backslash,
    /// A `;` under [`Semicolon::Reject`].
    #[error("semicolon in path")]
    Semicolon,
    /// A character that may not appear in the query or fragment (controls).
    #[error("invalid character in query")]
    InvalidQueryCharacter,
    /// The request target is longer than the limit.
    #[error("path too long")]
    PathTooLong,
    /// The method is not an upper-case RFC 9110 token.
    #[error("invalid method")]
    InvalidMethod,
    /// The host has characters that cannot appear in an authority, a bad port, or is empty.
    #[error("invalid host")]
    InvalidHost,
    /// The identity has control characters, dot segments or is otherwise unsafe.
    #[error("invalid identity")]
    InvalidIdentity,
    /// A header name is not an RFC 9110 token.
    #[error("invalid header name")]
    InvalidHeaderName,
    /// A header value contains NUL, CR or LF.
    #[error("header value contains NUL, CR or LF")]
    InvalidHeaderValue,
    /// More header lines or bytes than the limits allow.
    #[error("too many or too large headers")]
    HeadersTooLarge,
    /// The same attribute key was set twice, or too many attributes.
    #[error("duplicate or too many attributes")]
    InvalidAttrs,
    /// The source is an IPv4-compatible IPv6 address (`::10.1.2.3`), which is ambiguous.
    #[error("ambiguous source address")]
    AmbiguousSource,
}

/// Normalizes a request target (path and optional query) and returns the normalized
/// path, without the query.
///
/// This allocates; evaluation uses an internal form that does not.
///
/// ```
/// use portcullis::normalize::{Options, normalize_path};
/// let o = Options::default();
/// assert_eq!(normalize_path("/a/./b/../c%41?x=1#f", &o).unwrap(), "/a/cA");
/// assert!(normalize_path("a/b", &o).is_err());
/// ```
pub fn normalize_path(target: &str, options: &Options) -> Result<String, InvalidRequest> {
    let _ = (target, options);
    Err(InvalidRequest::PathNotAbsolute)
}

/// Normalizes a host: lower case, `:port` removed, then one trailing `.` removed.
///
/// ```
/// assert_eq!(portcullis::normalize::normalize_host("Payments.SVC.:8443").unwrap(), "payments.svc");
/// assert_eq!(portcullis::normalize::normalize_host("[::1]:8443").unwrap(), "[::1]");
/// ```
pub fn normalize_host(host: &str) -> Result<String, InvalidRequest> {
    let _ = host;
    Err(InvalidRequest::InvalidHost)
}

/// A request after normalization: what every matcher reads.
#[derive(Debug)]
pub(crate) struct Normalized<'a> {
    pub(crate) method: &'a str,
    /// The normalized path, without query.
    pub(crate) path: &'a str,
    pub(crate) identity: Option<&'a str>,
    /// The normalized host.
    pub(crate) host: Option<&'a str>,
    pub(crate) port: Option<u16>,
    /// IPv4-mapped addresses already turned into IPv4.
    pub(crate) source: Option<IpAddr>,
    /// Header lines as given (values validated); compare names case-insensitively.
    pub(crate) headers: &'a InlineList<(&'a str, &'a [u8])>,
    /// Attributes (keys unique).
    pub(crate) attrs: &'a InlineList<(&'a str, &'a str)>,
}

/// Stack space for a normalized path and host, so that normalizing allocates nothing
/// for paths up to the default limit.
#[derive(Debug)]
pub(crate) struct Scratch {
    pub(crate) path: [u8; 4096],
    pub(crate) path_heap: Vec<u8>,
    pub(crate) host: [u8; 256],
}

impl Scratch {
    pub(crate) fn new() -> Scratch {
        Scratch {
            path: [0; 4096],
            path_heap: Vec::new(),
            host: [0; 256],
        }
    }
}

/// Normalizes `request` with `options`, using `scratch` for the path and host.
pub(crate) fn normalize<'a>(
    request: &'a Request<'a>,
    options: &Options,
    scratch: &'a mut Scratch,
) -> Result<Normalized<'a>, InvalidRequest> {
    let _ = (request, options, scratch);
    Err(InvalidRequest::PathNotAbsolute)
}
