//! Request normalization: turn what arrived on the wire into the one form every
//! matcher reads, or refuse it. (`docs/language.md`, *Request normalization*, is the
//! user's reference; the steps are numbered the same there.)
//!
//! A request that cannot be normalized safely is *invalid* and is denied with reason
//! `invalid_request`, whatever the rules say. Normalizing a valid request allocates
//! nothing (for paths up to 4096 bytes).
//!
//! # Why
//!
//! A proxy that authorizes a path and a backend that serves it must agree on what the
//! path *is*. Every difference between the two readings is a bypass: Envoy's
//! CVE-2019-9901 (`/public/../admin` allowed as `/public/**`, served as `/admin`),
//! Istio's CVE-2021-31920 (`/public%2F..%2Fadmin`), Tomcat's `..;` (`/public/..;/admin`,
//! which the proxy sees as a segment `..;` and Tomcat as `..`), merged or unmerged
//! `//`, `\` read as `/` by some servers, double decoding of `%252e`. Portcullis
//! normalizes the request to one form before matching, and refuses what it cannot put
//! in one form safely. The defaults refuse every ambiguous construct; the options
//! accept some of them *if* your backend reads them the documented way.
//!
//! # Path, in order
//!
//! 1. The target must begin with `/` (origin form), else invalid.
//! 2. A `#` anywhere in the target makes the request invalid: no client sends a
//!    fragment, and servers disagree on what follows one. The query (from the first
//!    `?`) is set apart: `path` never matches it (so `/a?x=/..` is `/a`). An ASCII
//!    control byte (0x00–0x1F, 0x7F) anywhere in the target, query included, makes the
//!    request invalid: a control in the query is how header injection and log forgery
//!    travel, and no valid target has one (fail closed).
//! 3. Every `%` must start an escape `%XX` with two hex digits, and `%00` is invalid.
//!    Escapes of unreserved characters (`A–Z a–z 0–9 - . _ ~`) are decoded, exactly
//!    once (`%41` → `A`, `%2e` → `.`, which steps 7 and 9 then see as a dot); every other
//!    escape is kept as text with upper-case hex (`%c3%a9` → `%C3%A9`; `%252e` is
//!    `%25` and then the text `2e`: it never becomes `.`). The bytes of all escapes,
//!    with the raw bytes between them, must be valid UTF-8: overlong forms (`%C0%AE`,
//!    an old way to spell `.`), stray bytes (`%FF`) and truncated sequences (`%C3`) are
//!    invalid. Other escapes, controls included (`%0A`), stay escaped and are matched
//!    as their text. The raw bytes allowed are `A–Z a–z 0–9 - . _ ~ ! $ & ' ( ) * + , =
//!    : @ /` and escapes (`\` and `;` below); any other byte (controls, space,
//!    non-ASCII, `"` `<` `>` `[` `]` `^` `{` `|` `}` and the backtick) is invalid.
//! 4. An encoded slash or backslash (`%2F`, `%5C`, either case) is invalid by default
//!    ([`EscapedSlashes`]).
//! 5. A raw `\` is invalid by default ([`Backslash`]).
//! 6. A `;` is invalid by default ([`Semicolon`]).
//! 7. A `..` segment that would remove an empty segment makes the request invalid
//!    (`/a//../b`, `/a//./../b`, `//..`), however the dots or the slashes are spelled
//!    (`%2e%2e`, a decoded `%2F`, a `\` read as `/`): RFC 3986 resolvers, URL parsers
//!    and Envoy read `/a//../b` as `/a/b`, path cleaners that merge first as `/b`. This
//!    is decided on the path before runs of `/` are merged, whether or not they are.
//!    A segment that [`Semicolon::Strip`] leaves empty (`/a/;x/../b`) counts as empty
//!    (fail closed: a servlet container sees `/a//../b` there).
//! 8. Runs of `/` are merged into one ([`Options::merge_slashes`]).
//! 9. Dot segments `.` and `..` are removed as in RFC 3986 §5.2.4; `..` at the root stays
//!    at the root (`/..` → `/`, `/a/..` → `/`, `/a/b/..` → `/a/`, `/a/.` → `/a/`).
//!
//! The steps apply in this order: a decoded `%2E` is a dot for steps 7 and 9, a
//! stripped `..;x` is `..` for them, a decoded `%2F` separates segments for steps 6–9.
//! Normalizing is idempotent: a normalized path, normalized again with the same
//! options, is unchanged (kept `%2F` stays `%2F`; with merging off `//` stays).
//! A target longer than [`RequestLimits::max_path_len`] is invalid.
//!
//! # The options and what they trade off
//!
//! - [`EscapedSlashes::Reject`] (default) refuses `%2F`/`%5C`: the proxy and the
//!   backend cannot disagree on a segment boundary. `Decode` matches what a backend
//!   that decodes before routing serves (the CVE-2021-31920 fix); `Keep` matches a
//!   backend that routes on the raw path and treats `%2F` as part of a name (say, an
//!   object key). Pick the one your backend does: the wrong one reopens the bypass.
//! - [`Backslash::Reject`] (default) refuses `\`; `Slash` matches backends (IIS,
//!   some frameworks) that read `\` as `/`, where `/public\..\admin` is `/admin`.
//! - [`Semicolon::Reject`] (default) refuses `;`. `Keep` is for backends where `;` is
//!   ordinary text; `Strip` for servlet containers (Tomcat, Jetty) that drop
//!   `;jsessionid=...`-style parameters, which is what makes `/public/..;/admin` reach
//!   `/admin` there: stripped, it is `..` and is removed before matching.
//! - [`Options::merge_slashes`] (default on) makes `//admin` match `/admin` rules, as
//!   most backends serve it (CVE-2019-9901); turn it off only for a backend that
//!   really distinguishes empty segments.
//! - [`Options::strict_escapes`] (default off, as the language keeps these escapes as
//!   text) refuses `%25`, `%3B`, `%3F`, `%23`, escaped controls and space, and escaped
//!   non-ASCII bytes: in front of a backend that decodes twice (`%252e` → `.`), trims
//!   (`admin%20`) or folds Unicode (`%EF%BC%8F`, a full-width `/`), they are other
//!   paths than the ones matched.
//! - [`Options::underscores_in_headers`] (default off) accepts header names with `_`;
//!   off, they are invalid, because CGI-style backends read `x_env` as `x-env`.
//!
//! # Other attributes
//!
//! - Method: a non-empty RFC 9110 token with no lower-case letter (`get` is invalid,
//!   never folded).
//! - Host: see [`normalize_host`].
//! - Source: an IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) becomes its IPv4 address;
//!   an IPv4-compatible one (`::10.1.2.3`) is invalid (ambiguous).
//! - Identity: non-empty, at most [`RequestLimits::max_identity_len`] bytes, no
//!   controls or white space, no `.` or `..` segment; one that starts with `spiffe:`
//!   (in any case: `SPIFFE://…`, `spiffe:/x`) must be a valid SPIFFE ID (lower-case scheme and trust domain,
//!   non-empty `[A-Za-z0-9._-]` path segments, no trailing `/`, no port, userinfo,
//!   query, fragment or percent-encoding).
//! - Headers: at most [`RequestLimits::max_headers`] lines and
//!   [`RequestLimits::max_header_bytes`] bytes; names are RFC 9110 tokens without `_`
//!   (unless [`Options::underscores_in_headers`]); values may not contain NUL, CR or
//!   LF nor, failing closed, any other ASCII control character but tab, nor start or
//!   end with a space or tab.
//! - Attributes: at most [`RequestLimits::max_attrs`] values in all; a key may occur
//!   several times, once per value.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

mod owned;

pub use owned::{NormalizedRequest, normalize_request};

use crate::request::{InlineList, Request};

mod headers;
mod host;
pub(crate) mod identity;
mod method;
mod path;
mod source;
#[cfg(test)]
mod tests;

/// What to do with an encoded slash or backslash (`%2F`, `%2f`, `%5C`, `%5c`) in a path
/// (step 4 of the [module docs](self)).
///
/// The attack: a proxy that matches `/public%2F..%2Fadmin` as one segment while the
/// backend decodes it and serves `/admin` (Istio CVE-2021-31920). Choose the reading
/// your backend has; when unsure, keep the default.
///
/// ```
/// use portcullis::normalize::{EscapedSlashes, Options, normalize_path};
/// // `Options` is `#[non_exhaustive]`: start from the defaults and set fields.
/// let mut decode = Options::default();
/// decode.escaped_slashes = EscapedSlashes::Decode;
/// assert_eq!(normalize_path("/a%2Fb", &decode).unwrap(), "/a/b");
/// assert!(normalize_path("/a%2Fb", &Options::default()).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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

impl EscapedSlashes {
    /// The accepted names, in the order of the CLI's help: the default first.
    ///
    /// ```
    /// use portcullis::normalize::EscapedSlashes;
    /// assert_eq!(EscapedSlashes::NAMES[0], EscapedSlashes::default().as_str());
    /// ```
    pub const NAMES: &'static [&'static str] = &["reject", "decode", "keep"];

    /// The name of the choice, as the CLI flag and the serde form spell it.
    ///
    /// ```
    /// assert_eq!(portcullis::normalize::EscapedSlashes::Keep.as_str(), "keep");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            EscapedSlashes::Reject => "reject",
            EscapedSlashes::Decode => "decode",
            EscapedSlashes::Keep => "keep",
        }
    }
}

impl fmt::Display for EscapedSlashes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads a choice by its name (what `--escaped-slashes` takes).
///
/// ```
/// use portcullis::normalize::EscapedSlashes;
/// assert_eq!("keep".parse::<EscapedSlashes>(), Ok(EscapedSlashes::Keep));
/// let err = "nope".parse::<EscapedSlashes>().unwrap_err();
/// assert_eq!(err.to_string(), "`nope` is not a choice for escaped slashes: expected `reject`, `decode` or `keep`");
/// ```
impl FromStr for EscapedSlashes {
    type Err = UnknownChoice;

    fn from_str(value: &str) -> Result<EscapedSlashes, UnknownChoice> {
        match value {
            "reject" => Ok(EscapedSlashes::Reject),
            "decode" => Ok(EscapedSlashes::Decode),
            "keep" => Ok(EscapedSlashes::Keep),
            _ => Err(UnknownChoice::new(
                "escaped slashes",
                value,
                EscapedSlashes::NAMES,
            )),
        }
    }
}

/// What to do with a raw `\` in a path (step 5 of the [module docs](self)).
///
/// The attack: `/public\..\admin` matched as one odd segment while a backend that
/// reads `\` as `/` (IIS, some frameworks) serves `/admin`.
///
/// ```
/// use portcullis::normalize::{Backslash, Options, normalize_path};
/// let mut slash = Options::default();
/// slash.backslash = Backslash::Slash;
/// assert_eq!(normalize_path("/a\\b", &slash).unwrap(), "/a/b");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Backslash {
    /// The request is invalid (the default).
    #[default]
    Reject,
    /// `\` is treated as `/`.
    Slash,
}

impl Backslash {
    /// The accepted names, in the order of the CLI's help: the default first.
    ///
    /// ```
    /// use portcullis::normalize::Backslash;
    /// assert_eq!(Backslash::NAMES[0], Backslash::default().as_str());
    /// ```
    pub const NAMES: &'static [&'static str] = &["reject", "slash"];

    /// The name of the choice, as the CLI flag and the serde form spell it.
    ///
    /// ```
    /// assert_eq!(portcullis::normalize::Backslash::Slash.as_str(), "slash");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Backslash::Reject => "reject",
            Backslash::Slash => "slash",
        }
    }
}

impl fmt::Display for Backslash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads a choice by its name (what `--backslash` takes).
///
/// ```
/// use portcullis::normalize::Backslash;
/// assert_eq!("slash".parse::<Backslash>(), Ok(Backslash::Slash));
/// let err = "nope".parse::<Backslash>().unwrap_err();
/// assert_eq!(err.to_string(), "`nope` is not a choice for backslash: expected `reject` or `slash`");
/// ```
impl FromStr for Backslash {
    type Err = UnknownChoice;

    fn from_str(value: &str) -> Result<Backslash, UnknownChoice> {
        match value {
            "reject" => Ok(Backslash::Reject),
            "slash" => Ok(Backslash::Slash),
            _ => Err(UnknownChoice::new("backslash", value, Backslash::NAMES)),
        }
    }
}

/// What to do with a `;` (path parameter) in a path (step 6 of the [module docs](self)).
///
/// The attack: `/public/..;/admin`, a segment `..;` to the proxy but `..` to a servlet
/// container that strips parameters (Tomcat, Jetty), which then serves `/admin`.
/// [`Semicolon::Strip`] reads it as those containers do; [`Semicolon::Keep`] is for
/// backends where `;` is plain text.
///
/// ```
/// use portcullis::normalize::{Options, Semicolon, normalize_path};
/// let mut strip = Options::default();
/// strip.semicolon = Semicolon::Strip;
/// assert_eq!(normalize_path("/a;jsessionid=1/b", &strip).unwrap(), "/a/b");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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

impl Semicolon {
    /// The accepted names, in the order of the CLI's help: the default first.
    ///
    /// ```
    /// use portcullis::normalize::Semicolon;
    /// assert_eq!(Semicolon::NAMES[0], Semicolon::default().as_str());
    /// ```
    pub const NAMES: &'static [&'static str] = &["reject", "keep", "strip"];

    /// The name of the choice, as the CLI flag and the serde form spell it.
    ///
    /// ```
    /// assert_eq!(portcullis::normalize::Semicolon::Strip.as_str(), "strip");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Semicolon::Reject => "reject",
            Semicolon::Keep => "keep",
            Semicolon::Strip => "strip",
        }
    }
}

impl fmt::Display for Semicolon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads a choice by its name (what `--semicolon` takes).
///
/// ```
/// use portcullis::normalize::Semicolon;
/// assert_eq!("strip".parse::<Semicolon>(), Ok(Semicolon::Strip));
/// let err = "nope".parse::<Semicolon>().unwrap_err();
/// assert_eq!(err.to_string(), "`nope` is not a choice for semicolon: expected `reject`, `keep` or `strip`");
/// ```
impl FromStr for Semicolon {
    type Err = UnknownChoice;

    fn from_str(value: &str) -> Result<Semicolon, UnknownChoice> {
        match value {
            "reject" => Ok(Semicolon::Reject),
            "keep" => Ok(Semicolon::Keep),
            "strip" => Ok(Semicolon::Strip),
            _ => Err(UnknownChoice::new("semicolon", value, Semicolon::NAMES)),
        }
    }
}

/// Bounds on what a request may carry; a request past any of them is invalid.
///
/// In serde forms (a server's configuration, say) the fields are spelled in kebab
/// case (`max-path-len`); a missing one keeps its default, an unknown one is an error.
///
/// ```
/// let limits = portcullis::normalize::RequestLimits::default();
/// assert_eq!(limits.max_path_len, 4096);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
#[non_exhaustive]
pub struct RequestLimits {
    /// Longest request target as given (path, query and any fragment), in bytes.
    /// Default 4096. Normalizing allocates nothing for targets up to 4096 bytes.
    pub max_path_len: usize,
    /// Longest host, in bytes. Default 255.
    pub max_host_len: usize,
    /// Longest identity, in bytes. Default 2048 (the SPIFFE limit).
    pub max_identity_len: usize,
    /// Most header field lines. Default 100.
    pub max_headers: usize,
    /// Most bytes of header names and values together. Default 65536.
    pub max_header_bytes: usize,
    /// Most attribute values, all keys together (a key with three values counts
    /// three). Default 64.
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

/// The normalization options (`docs/language.md`, *Request normalization*, *Options*).
/// The defaults are the strictest reading: reject encoded slashes, backslashes and `;`, merge runs of `/`, refuse
/// header names with `_`; [`Options::strict_escapes`] is stricter still, and off.
///
/// ```
/// use portcullis::normalize::Options;
/// // `#[non_exhaustive]`: start from the defaults and set fields.
/// let mut options = Options::default();
/// options.merge_slashes = false;
/// assert_eq!(portcullis::normalize::normalize_path("/a//b", &options).unwrap(), "/a//b");
/// ```
///
/// In serde forms the fields and choices are spelled as the CLI flags spell them
/// (`escaped-slashes: decode`, `merge-slashes: false`); a missing field keeps its
/// default, an unknown field or choice is an error:
///
/// ```
/// use portcullis::normalize::{EscapedSlashes, Options};
/// let options: Options = serde_json::from_str(
///     r#"{"escaped-slashes": "decode", "merge-slashes": false, "limits": {"max-attrs": 8}}"#,
/// )?;
/// assert_eq!(options.escaped_slashes, EscapedSlashes::Decode);
/// assert!(!options.merge_slashes);
/// assert_eq!(options.limits.max_attrs, 8);
/// assert_eq!(options.limits.max_headers, 100);
/// assert!(serde_json::from_str::<Options>(r#"{"merge_slashes": false}"#).is_err());
/// assert!(serde_json::from_str::<Options>(r#"{"semicolon": "drop"}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
#[non_exhaustive]
pub struct Options {
    /// Encoded `/` and `\`.
    pub escaped_slashes: EscapedSlashes,
    /// Raw `\`.
    pub backslash: Backslash,
    /// `;` path parameters.
    pub semicolon: Semicolon,
    /// Merge runs of `/` into one (default true). Off, `//admin` does not match rules
    /// for `/admin`, which most backends would serve for it (Envoy CVE-2019-9901).
    pub merge_slashes: bool,
    /// Refuse escapes that are harmless to this library but that a backend which
    /// decodes again, folds Unicode (NFKC) or trims could read as something else:
    /// `%25` (double encoding: `%252e`), `%3B` (an encoded `;`), `%3F` and `%23` (an
    /// encoded `?` or `#`, which a second decoding turns into the end of the path, as
    /// Apache's `mod_rewrite` did in CVE-2024-38474), escaped controls and space
    /// (`%00`–`%20`, `%7F`) and escaped non-ASCII bytes (`%EF%BC%8F`, a full-width
    /// `/`). Off by default, as the language specifies that these escapes
    /// are kept and matched as written; turn it on in front of such backends.
    pub strict_escapes: bool,
    /// Accept header names with `_` (default false: such a request is invalid).
    /// CGI, WSGI and Rack backends read `x_env` and `x-env` as one header
    /// (`HTTP_X_ENV`), so a request could send a value under the spelling the policy
    /// does not test; turn this on only for backends that keep the two apart. Like
    /// nginx's `underscores_in_headers off` and Envoy's
    /// `headers_with_underscores_action`.
    pub underscores_in_headers: bool,
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
            strict_escapes: false,
            underscores_in_headers: false,
            limits: RequestLimits::default(),
        }
    }
}

/// A name that is not one of a normalization option's choices (from `FromStr`).
///
/// ```
/// use portcullis::normalize::Semicolon;
/// let err = "Strip".parse::<Semicolon>().unwrap_err();
/// assert_eq!(err.value(), "Strip");
/// assert_eq!(err.accepted(), ["reject", "keep", "strip"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownChoice {
    option: &'static str,
    value: String,
    accepted: &'static [&'static str],
}

impl UnknownChoice {
    fn new(option: &'static str, value: &str, accepted: &'static [&'static str]) -> UnknownChoice {
        UnknownChoice {
            option,
            value: value.to_string(),
            accepted,
        }
    }

    /// The name given.
    ///
    /// ```
    /// let err = "x".parse::<portcullis::normalize::Backslash>().unwrap_err();
    /// assert_eq!(err.value(), "x");
    /// ```
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The names the option accepts.
    ///
    /// ```
    /// let err = "x".parse::<portcullis::normalize::Backslash>().unwrap_err();
    /// assert_eq!(err.accepted(), ["reject", "slash"]);
    /// ```
    pub fn accepted(&self) -> &'static [&'static str] {
        self.accepted
    }
}

/// `` `VALUE` is not a choice for OPTION: expected `a`, `b` or `c` ``.
impl fmt::Display for UnknownChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a choice for {}: expected ",
            self.value, self.option
        )?;
        let last = self.accepted.len().saturating_sub(1);
        for (i, name) in self.accepted.iter().enumerate() {
            let separator = match i {
                0 => "",
                i if i == last => " or ",
                _ => ", ",
            };
            write!(f, "{separator}`{name}`")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownChoice {}

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
    /// A character that may not appear in the query (controls).
    #[error("invalid character in query")]
    InvalidQueryCharacter,
    /// A `#` anywhere in the request target: no client sends a fragment, and servers
    /// disagree on what follows one.
    #[error("fragment (`#`) in request target")]
    Fragment,
    /// A `..` segment that would remove an empty segment (`/a//../b`), however the
    /// dots or the slashes were spelled: RFC 3986 resolvers read `/a//../b` as `/a/b`,
    /// path cleaners that merge slashes first as `/b`.
    #[error("`..` would remove an empty path segment")]
    DotDotOverEmptySegment,
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
    /// A header value contains a control character other than tab (NUL, CR and LF
    /// among them).
    #[error("header value contains a control character")]
    InvalidHeaderValue,
    /// A header value starts or ends with a space or tab, which no HTTP parser
    /// delivers (RFC 9110 §5.5) and which would let `"prod "` differ from `"prod"`.
    #[error("header value has leading or trailing white space")]
    PaddedHeaderValue,
    /// Under [`Options::strict_escapes`], an escape that a second decoder could turn
    /// into something else: `%25` (double encoding), `%3B`, `%3F`, `%23`, controls and
    /// space, or non-ASCII bytes.
    #[error("escape in path that a second decoding could change (strict escapes)")]
    AmbiguousEscape,
    /// More header lines or bytes than the limits allow.
    #[error("too many or too large headers")]
    HeadersTooLarge,
    /// More attribute values than [`RequestLimits::max_attrs`].
    #[error("too many attributes")]
    InvalidAttrs,
    /// The source is an IPv4-compatible IPv6 address (`::10.1.2.3`), which is ambiguous.
    #[error("ambiguous source address")]
    AmbiguousSource,
}

/// Normalizes a request target (path and optional query) and returns the normalized
/// path, without the query (steps 1–9 of the [module docs](self)).
///
/// This allocates the returned `String`; evaluation uses an internal form that does not.
///
/// # Errors
///
/// The [`InvalidRequest`] that makes the target invalid.
///
/// ```
/// use portcullis::normalize::{InvalidRequest, Options, normalize_path};
/// let o = Options::default();
/// assert_eq!(normalize_path("/a/./b/../c%41?x=1", &o).unwrap(), "/a/cA");
/// assert_eq!(normalize_path("/a/%2e%2e/b", &o).unwrap(), "/b");
/// assert_eq!(normalize_path("/a#f", &o), Err(InvalidRequest::Fragment));
/// assert_eq!(normalize_path("/a//../b", &o), Err(InvalidRequest::DotDotOverEmptySegment));
/// assert_eq!(normalize_path("/a/..;/b", &o), Err(InvalidRequest::Semicolon));
/// assert!(normalize_path("a/b", &o).is_err());
/// ```
pub fn normalize_path(target: &str, options: &Options) -> Result<String, InvalidRequest> {
    let mut buffers = PathBuffers::default();
    path::normalize_path(target, options, &mut buffers).map(str::to_owned)
}

/// Normalizes a host: lower case, `:port` removed (digits, possibly none, at most
/// 65535), then one trailing `.` removed.
///
/// What may remain is read strictly, as the fail-closed reading of "characters that
/// cannot appear in an authority": a name is non-empty labels of `a–z 0–9 - _ ~`
/// separated by `.` (so `a.b..`, `.a` and `a..b` are invalid, as are `@`, `%`,
/// sub-delimiters, spaces and non-ASCII). An IPv6 literal keeps its brackets, may hold
/// only hex digits, `:` and `.`, must parse as an IPv6 address, and is written in its
/// canonical RFC 5952 form (`[0:0::1]` → `[::1]`), so that one address is one host.
/// For the same reason a name whose last label is a number (decimal, or `0x` and hex)
/// must be a dotted-quad IPv4 address without leading zeros: URL parsers and
/// `inet_aton` read `127.1`, `0x7f.0.0.1`, `0177.0.0.1` and `2130706433` as
/// `127.0.0.1`, so they are invalid. A host longer than the default
/// [`RequestLimits::max_host_len`] is invalid.
///
/// # Errors
///
/// [`InvalidRequest::InvalidHost`].
///
/// ```
/// use portcullis::normalize::normalize_host;
/// assert_eq!(normalize_host("Payments.SVC.:8443").unwrap(), "payments.svc");
/// assert_eq!(normalize_host("[::1]:8443").unwrap(), "[::1]");
/// assert!(normalize_host("user@host").is_err());
/// assert!(normalize_host("host:99999").is_err());
/// assert_eq!(normalize_host("127.0.0.1:80").unwrap(), "127.0.0.1");
/// assert!(normalize_host("127.1").is_err());
/// ```
pub fn normalize_host(host: &str) -> Result<String, InvalidRequest> {
    let mut buf = None;
    let mut heap = Vec::new();
    host::normalize_host(
        host,
        RequestLimits::default().max_host_len,
        &mut buf,
        &mut heap,
    )
    .map(str::to_owned)
}

/// A request after normalization: what every matcher reads.
#[derive(Debug)]
pub(crate) struct Normalized<'a> {
    pub(crate) method: &'a str,
    /// The normalized path, without query.
    pub(crate) path: &'a str,
    /// How many segments `path` has: its number of `/` (`/` has one, the empty one).
    pub(crate) path_segments: usize,
    pub(crate) identity: Option<&'a str>,
    /// How many bytes of the identity come before its last segment: up to and
    /// including its last `/` (0 without one, or without an identity).
    pub(crate) identity_dir: usize,
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

/// Output space for a path that needs rewriting, from the smallest that fits: a
/// buffer is zeroed only when it is used, and only as much as the path needs, since
/// zeroing 4 KiB for every request would cost more than the rest of a decision.
#[derive(Debug, Default)]
pub(crate) struct PathBuffers {
    small: Option<[u8; 128]>,
    large: Option<[u8; 4096]>,
    /// Only for paths over 4096 bytes, when the configured limit allows them.
    pub(crate) heap: Vec<u8>,
}

impl PathBuffers {
    /// A zeroed buffer of at least `len` bytes.
    pub(crate) fn get(&mut self, len: usize) -> &mut [u8] {
        if len <= 128 {
            self.small.insert([0; 128]).as_mut_slice()
        } else if len <= 4096 {
            self.large.insert([0; 4096]).as_mut_slice()
        } else {
            self.heap.clear();
            self.heap.resize(len, 0);
            self.heap.as_mut_slice()
        }
    }
}
/// Bytes of stack for a normalized host.
pub(crate) const HOST_INLINE: usize = 256;

/// Stack space for a normalized path and host, so that normalizing allocates nothing
/// for paths up to the default limit. The buffers start as `None` and are zeroed only
/// when a copy is needed: zeroing 4 KiB on every request would cost more than the
/// rest of a decision.
#[derive(Debug)]
pub(crate) struct Scratch {
    pub(crate) path: PathBuffers,
    pub(crate) host: Option<[u8; HOST_INLINE]>,
    /// Only for a host longer than `host` when the configured limit allows one.
    pub(crate) host_heap: Vec<u8>,
}

impl Scratch {
    pub(crate) fn new() -> Scratch {
        Scratch {
            path: PathBuffers::default(),
            host: None,
            host_heap: Vec::new(),
        }
    }
}

/// Normalizes `request` with `options`, using `scratch` for the path and host.
///
/// Allocates nothing unless the configured limits allow a path longer than 4096 bytes
/// or a host longer than 256 bytes and the request has one.
pub(crate) fn normalize<'a>(
    request: &'a Request<'a>,
    options: &Options,
    scratch: &'a mut Scratch,
) -> Result<Normalized<'a>, InvalidRequest> {
    let limits = &options.limits;
    method::check_method(request.method)?;
    let Scratch {
        path: path_buffers,
        host: host_buf,
        host_heap,
    } = scratch;
    let (path, path_segments) = path::normalize_path_counted(request.path, options, path_buffers)?;
    let host = match request.host {
        Some(host) => Some(host::normalize_host(
            host,
            limits.max_host_len,
            host_buf,
            host_heap,
        )?),
        None => None,
    };
    let identity_dir = match request.identity {
        Some(identity) => identity::check_identity(identity, limits.max_identity_len)?,
        None => 0,
    };
    // An IPv4 source, the common case, needs nothing.
    let source = match request.source {
        Some(IpAddr::V6(v6)) => Some(source::normalize_source(IpAddr::V6(v6))?),
        other => other,
    };
    headers::check_headers(&request.headers, options)?;
    headers::check_attrs(&request.attrs, limits)?;
    Ok(Normalized {
        method: request.method,
        path,
        path_segments,
        identity: request.identity,
        identity_dir,
        host,
        port: request.port,
        source,
        headers: &request.headers,
        attrs: &request.attrs,
    })
}
