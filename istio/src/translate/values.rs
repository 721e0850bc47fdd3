//! One Istio value → one Portcullis value, with Istio's meaning.
//!
//! Istio turns each value of a field into an Envoy matcher (istio/istio
//! `pilot/pkg/security/authz/model/generator.go`, `authz/matcher/*.go`); each function
//! here follows one generator and returns a [`Piece`]: a plain value of the Portcullis
//! subject when one has exactly that meaning, else an anchored regular expression
//! built from escaped literals. `super::rule` joins the pieces of a field into
//! one condition.

use std::net::IpAddr;

use portcullis::normalize::{Options, normalize_host, normalize_path};

/// One value of a condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Matches whenever the attribute is present (`header "x" present`).
    Present,
    /// A plain value of the subject (a glob, a pattern, an exact value) and the
    /// regular expression with the same meaning, for when the condition must be one
    /// regular expression.
    Plain(String, String),
    /// Only a regular expression says it.
    Regex(String),
}

/// Istio's four forms of a string value (istio/api `Rule` doc: exact `abc`, prefix
/// `abc*`, suffix `*abc`, presence `*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form<'a> {
    Exact(&'a str),
    Prefix(&'a str),
    Suffix(&'a str),
    Any,
}

/// Classifies `value`. Istio refuses empty values (`CheckEmptyValues`); a `*` anywhere
/// but at one end Istio matches as the character `*` (`StringMatcherWithPrefix` only
/// looks at the ends), which is almost never what the author meant and which the
/// Portcullis globs cannot say: refused.
pub(crate) fn form(value: &str) -> Result<Form<'_>, String> {
    if value.is_empty() {
        return Err("empty value (Istio refuses it)".into());
    }
    if value == "*" {
        return Ok(Form::Any);
    }
    let stars = value.matches('*').count();
    match (stars, value.strip_prefix('*'), value.strip_suffix('*')) {
        (0, _, _) => Ok(Form::Exact(value)),
        (1, Some(rest), _) => Ok(Form::Suffix(rest)),
        (1, _, Some(rest)) => Ok(Form::Prefix(rest)),
        _ => Err(format!(
            "`{value}`: `*` may only begin or end a value (Istio would match any other `*` as the character itself)"
        )),
    }
}

/// `text` as a regular expression that matches exactly it. Only the characters that
/// are special outside a bracketed class are escaped (the expressions here never put a
/// literal inside one), so that the printed policy stays readable.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '.'
                | '+'
                | '*'
                | '?'
                | '('
                | ')'
                | '|'
                | '['
                | ']'
                | '{'
                | '}'
                | '^'
                | '$'
                | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Any run of characters, newlines included: what Envoy's prefix and suffix matchers
/// leave free.
const ANY: &str = "(?s:.*)";

fn prefix_regex(prefix: &str) -> String {
    format!("{}{ANY}", escape(prefix))
}

fn suffix_regex(suffix: &str) -> String {
    format!("{ANY}{}", escape(suffix))
}

/// A peer identity, `principals` and `source.principal`, already carried to the
/// trust domain ([`migrate_trust_domain`]). `srcPrincipalGenerator`:
/// `StringMatcherWithPrefix(value, "spiffe://")`: `*` is the regex `.+` (any
/// identity), `abc*` the prefix `spiffe://abc`, `*abc` the regex
/// `spiffe://.*abc`, else exact. Identity globs say each: `**` crosses `/` as
/// Istio's prefix, suffix and `.*` do.
pub(crate) fn principal(value: &str) -> Result<Piece, String> {
    Ok(match form(value)? {
        Form::Any => Piece::Present,
        Form::Exact(v) => {
            let full = format!("spiffe://{v}");
            Piece::Plain(full.clone(), escape(&full))
        }
        Form::Prefix(p) => Piece::Plain(
            format!("spiffe://{p}**"),
            prefix_regex(&format!("spiffe://{p}")),
        ),
        Form::Suffix(s) => Piece::Plain(
            format!("spiffe://**{s}"),
            format!("spiffe://{ANY}{}", escape(s)),
        ),
    })
}

/// A namespace, `namespaces` and `source.namespace`. `srcNamespaceGenerator`: the
/// regex `.*/ns/<namespace>/.*` over the peer identity, each `*` of the value (at any
/// place) being `.*`. As an identity glob: `**/ns/<namespace>/**`, each `*` `**`.
pub(crate) fn namespace(value: &str) -> Result<Piece, String> {
    if value.is_empty() {
        return Err("empty value (Istio refuses it)".into());
    }
    let glob = format!("**/ns/{}/**", value.replace('*', "**"));
    let literal: Vec<String> = value.split('*').map(escape).collect();
    let regex = format!(".*/ns/{}/.*", literal.join(".*"));
    Ok(Piece::Plain(glob, regex))
}

/// A service account, `serviceAccounts` and `source.serviceAccount`, `<ns>/<sa>` or
/// `<sa>` in the policy's namespace. Validated as Istio's `CheckServiceAccount`; the
/// regex is `serviceAccountRegex`'s.
pub(crate) fn service_account(value: &str, policy_namespace: &str) -> Result<Piece, String> {
    if value.is_empty() {
        return Err("empty value (Istio refuses it)".into());
    }
    if value.contains('*') {
        return Err(format!(
            "`{value}`: a service account takes no wildcard (Istio refuses it)"
        ));
    }
    if value.len() > 320 {
        return Err("a service account is at most 320 characters (Istio refuses it)".into());
    }
    let (ns, sa) = match value.split_once('/') {
        Some((ns, sa)) => (ns, sa),
        None => (policy_namespace, value),
    };
    if ns.is_empty() || sa.is_empty() || sa.contains('/') {
        return Err(format!(
            "`{value}`: expected `serviceAccount` or `namespace/serviceAccount` (Istio refuses it)"
        ));
    }
    Ok(Piece::Regex(format!(
        "spiffe://.+/ns/{}/(.+/|)sa/{}(/.+)?",
        escape(ns),
        escape(sa)
    )))
}

/// A trust domain, `trustDomains` and `source.trustDomain`. Validated as Istio's
/// `CheckTrustDomainValues`; `srcTrustDomainGenerator`: `*` the prefix `spiffe://`,
/// exact the prefix `spiffe://<td>/`, one `*` at an end the regex
/// `spiffe://<p>[^/]*<s>/.*`, which is the identity glob `spiffe://<p>*<s>/**`.
pub(crate) fn trust_domain(value: &str) -> Result<Piece, String> {
    let form = form(value)?;
    if value.contains('/') {
        return Err(format!(
            "`{value}`: a trust domain has no `/` (Istio refuses it)"
        ));
    }
    Ok(match form {
        Form::Any => Piece::Plain("spiffe://**".into(), prefix_regex("spiffe://")),
        Form::Exact(td) => Piece::Plain(
            format!("spiffe://{td}/**"),
            prefix_regex(&format!("spiffe://{td}/")),
        ),
        Form::Prefix(_) | Form::Suffix(_) => {
            let (p, s) = value.split_once('*').unwrap_or((value, ""));
            Piece::Plain(
                format!("spiffe://{value}/**"),
                format!("spiffe://{}[^/]*{}/.*", escape(p), escape(s)),
            )
        }
    })
}

/// A JWT identity, `requestPrincipals` and `request.auth.principal`, matched against
/// the attribute `request.auth.principal` = `<iss>/<sub>` (Istio's format, the `sub`
/// being what follows the last `/`). `requestPrincipalGenerator` matches the `iss` and
/// `sub` claims apart, splitting the value at its last `/`: `*` is both non-empty, `*`
/// before the split a suffix of `iss` (or any `iss` for `*/sub`) with `sub` exact, and
/// so on. The regular expression matches the two halves apart too: the part for
/// `sub` never matches a `/`, so its `/` is the attribute's last one.
pub(crate) fn request_principal(value: &str) -> Result<Piece, String> {
    form(value)?;
    let (iss, sub) = match value.rfind('/') {
        Some(i) => (
            value.get(..i).unwrap_or(""),
            Some(value.get(i + 1..).unwrap_or("")),
        ),
        None => (value, None),
    };
    // Envoy's `.+`, for a claim that must be present and non-empty.
    const ISS_ANY: &str = ".+";
    const SUB_ANY: &str = "[^/\n]+";
    let (iss_re, sub_re) = if value == "*" {
        (ISS_ANY.to_string(), SUB_ANY.to_string())
    } else if let Some(rest) = value.strip_prefix('*') {
        match sub {
            Some(sub) => {
                let iss_re = if iss == "*" {
                    ISS_ANY.to_string()
                } else {
                    suffix_regex(iss.get(1..).unwrap_or(""))
                };
                (iss_re, escape(sub))
            }
            None => (ISS_ANY.to_string(), format!("[^/]*{}", escape(rest))),
        }
    } else if let Some(rest) = value.strip_suffix('*') {
        match sub {
            Some(sub) => {
                let sub_re = if sub == "*" {
                    SUB_ANY.to_string()
                } else {
                    format!("{}[^/]*", escape(sub.get(..sub.len() - 1).unwrap_or("")))
                };
                (escape(iss), sub_re)
            }
            None => (prefix_regex(rest), SUB_ANY.to_string()),
        }
    } else {
        // Exact: `iss` and `sub` equal, so the attribute is `iss/sub` (with an empty
        // `sub` when the value has no `/`).
        let literal = format!("{iss}/{}", sub.unwrap_or(""));
        let regex = escape(&literal);
        return Ok(Piece::Plain(literal, regex));
    };
    Ok(Piece::Regex(format!("(?:{iss_re})/(?:{sub_re})")))
}

/// A JWT claim, audience or presenter (`request.auth.claims[…]`,
/// `request.auth.audiences`, `request.auth.presenter`): `StringMatcher(value)`, where
/// `*` is the regex `.+` (a non-empty value), prefix and suffix are themselves, else
/// exact. A list claim matches when one of its elements does (`MetadataListMatcher`),
/// as a test on an attribute with several values.
pub(crate) fn claim(value: &str) -> Result<Piece, String> {
    Ok(match form(value)? {
        Form::Any => Piece::Regex(".+".into()),
        Form::Exact(v) => Piece::Plain(v.to_string(), escape(v)),
        Form::Prefix(p) => Piece::Regex(prefix_regex(p)),
        Form::Suffix(s) => Piece::Regex(suffix_regex(s)),
    })
}

/// A header value (`request.headers[…]`): `HeaderMatcher`, where `*` is presence.
pub(crate) fn header(value: &str) -> Result<Piece, String> {
    Ok(match form(value)? {
        Form::Any => Piece::Present,
        Form::Exact(v) => Piece::Plain(v.to_string(), escape(v)),
        Form::Prefix(p) => Piece::Regex(prefix_regex(p)),
        Form::Suffix(s) => Piece::Regex(suffix_regex(s)),
    })
}

/// A host (`hosts`): `HostMatcher`, case-insensitive, `*` presence. Istio compares
/// with the whole authority, Portcullis with the host normalized (lower case, no port,
/// no trailing `.`): so a value with a port, or ending with `.`, could never match as
/// Istio means it and is refused. A host without a port also matching that host with a
/// port is the one designed difference (`docs/istio.md`).
pub(crate) fn host(value: &str) -> Result<Piece, String> {
    let form = form(value)?;
    if value.contains(':') || value.contains('[') {
        return Err(format!(
            "host `{value}` has a port or is an IPv6 literal: Portcullis matches the host without its port (use `ports`), so this cannot be translated with Istio's meaning"
        ));
    }
    if value.ends_with('.') && form != Form::Any {
        return Err(format!(
            "host `{value}` ends with `.`: Portcullis removes one trailing `.` from the request's host, so this cannot be translated with Istio's meaning"
        ));
    }
    let lower = value.to_ascii_lowercase();
    Ok(match form {
        Form::Any => Piece::Present,
        Form::Exact(_) => {
            if is_plain_host(&lower) {
                Piece::Plain(lower.clone(), escape(&lower))
            } else {
                Piece::Regex(escape(&lower))
            }
        }
        Form::Prefix(_) => Piece::Regex(prefix_regex(lower.trim_end_matches('*'))),
        Form::Suffix(_) => {
            let suffix = lower.get(1..).unwrap_or("");
            match suffix.strip_prefix('.') {
                Some(name) if is_plain_host(name) => {
                    Piece::Plain(format!("*{suffix}"), suffix_regex(suffix))
                }
                _ => Piece::Regex(suffix_regex(suffix)),
            }
        }
    })
}

/// A lower-case host name that is its own normalized form, so a plain host pattern.
fn is_plain_host(name: &str) -> bool {
    !name.is_empty() && !name.contains('*') && normalize_host(name).is_ok_and(|n| n == name)
}

/// The path pattern that every path matches: what Istio's `*` and `/*` mean.
pub(crate) const EVERY_PATH: &str = "/**";

/// Where the path regex of a value comes from, for the notes about paths that
/// normalized request paths never have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PathPiece {
    pub(crate) piece: Piece,
    /// Set when the value is not in normalized form: it matches only when requests are
    /// normalized with other options than the defaults (`/a//b` needs
    /// `--no-merge-slashes`).
    pub(crate) unnormalized: bool,
}

/// A path (`paths`). Istio first validates it (`CheckValidPathTemplate`: no `{` or
/// `}` outside `{*}` and `{**}`, whole segments, `{**}` last, literals of RFC 3986
/// `pchar`s); a path with a template becomes an Envoy URI template (`{*}` one
/// non-empty segment of `pchar`s but `*` and `=`, `{**}` any run of those and `/`),
/// any other a `StringMatcher` (`*` the regex `.+`, prefix, suffix, exact) on the path
/// without its query.
pub(crate) fn path(value: &str) -> Result<PathPiece, String> {
    if value.is_empty() {
        return Err("empty value (Istio refuses it)".into());
    }
    if value.contains("{*}") || value.contains("{**}") {
        return template(value).map(|regex| PathPiece {
            piece: Piece::Regex(regex),
            unnormalized: false,
        });
    }
    let trimmed = value.trim_matches('/');
    if trimmed.contains(['{', '}']) {
        return Err(format!(
            "path `{value}`: `{{` or `}}` outside a `{{*}}` or `{{**}}` template (Istio refuses it)"
        ));
    }
    let piece = match form(value).map_err(|_| {
        format!(
            "path `{value}`: `*` may only begin or end a path (Istio would match any other `*` as the character itself); use `{{*}}` for one segment, `{{**}}` for any"
        )
    })? {
        Form::Any => Piece::Plain(EVERY_PATH.into(), ".+".into()),
        Form::Exact(v) if is_plain_path(v) => Piece::Plain(v.to_string(), escape(v)),
        Form::Exact(v) => {
            return Ok(PathPiece {
                piece: Piece::Regex(escape(v)),
                unnormalized: !is_normalized(v),
            });
        }
        Form::Prefix("/") => Piece::Plain(EVERY_PATH.into(), prefix_regex("/")),
        Form::Prefix(p) if !p.ends_with('/') && is_plain_path(&format!("{p}x")) => {
            Piece::Plain(format!("{p}*/**"), prefix_regex(p))
        }
        Form::Prefix(p) => {
            return Ok(PathPiece {
                piece: Piece::Regex(prefix_regex(p)),
                unnormalized: odd_literal(p),
            });
        }
        Form::Suffix(s) => {
            return Ok(PathPiece {
                piece: Piece::Regex(suffix_regex(s)),
                unnormalized: odd_literal(s),
            });
        }
    };
    Ok(PathPiece {
        piece,
        unnormalized: false,
    })
}

/// Text that a normalized path cannot contain as written: repeated `/`, dot segments,
/// escapes (kept only in upper case, unreserved ones decoded), `;` and `\`.
fn odd_literal(text: &str) -> bool {
    ["//", "/./", "/../", "%", ";", "\\"]
        .iter()
        .any(|odd| text.contains(odd))
}

/// A literal path that is a plain Portcullis path pattern: it starts with `/`, has no
/// `*`, `{` or `}`, and normalizes to itself.
fn is_plain_path(path: &str) -> bool {
    path.starts_with('/') && !path.contains(['*', '{', '}']) && is_normalized(path)
}

/// Does `path` come out of request normalization (default options) unchanged? A
/// value that does not can only match a request normalized with other options.
fn is_normalized(path: &str) -> bool {
    normalize_path(path, &Options::default()).is_ok_and(|n| n == path)
}

/// The characters of an Envoy URI template literal and of `{*}` (RFC 3986 `pchar`
/// without `*` and `=`): envoy `source/extensions/path/uri_template_lib/
/// uri_template_internal.cc` `kLiteral`.
const TEMPLATE_CHARS: &str = "a-zA-Z0-9\\-._~%!$&'()+,;:@";

/// The regular expression of a path template, as Envoy builds it
/// (`convertPathPatternSyntaxToRegex`), after Istio's validation and Envoy's parsing
/// (which refuses what Istio's validation lets through: `=` in a literal, a template
/// not starting with `/`).
fn template(value: &str) -> Result<String, String> {
    let Some(rest) = value.strip_prefix('/') else {
        return Err(format!(
            "path template `{value}` does not begin with `/` (Envoy refuses it)"
        ));
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let last = segments.len() - 1;
    let mut out = Vec::with_capacity(segments.len());
    let mut seen_any = false;
    for (i, segment) in segments.into_iter().enumerate() {
        match segment {
            "{*}" | "{**}" if seen_any => {
                return Err(format!(
                    "path template `{value}`: `{{**}}` must be the last operator (Istio refuses it)"
                ));
            }
            "{*}" => out.push(format!("[{TEMPLATE_CHARS}]+")),
            "{**}" => {
                seen_any = true;
                out.push(format!("[{TEMPLATE_CHARS}/]*"));
            }
            // A trailing `/`: the empty last segment.
            "" if i == last && i > 0 => out.push(String::new()),
            literal => {
                if literal.contains(['{', '}']) {
                    return Err(format!(
                        "path template `{value}`: `{{` or `}}` outside a `{{*}}` or `{{**}}` template (Istio refuses it)"
                    ));
                }
                let valid = !literal.is_empty()
                    && literal
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._~%!$&'()+,;:@".contains(&b));
                if !valid {
                    return Err(format!(
                        "path template `{value}`: segment `{literal}` is not a template literal (Istio or Envoy refuses it: a literal is letters, digits and `-._~%!$&'()+,;:@`, without `*` or `=`)"
                    ));
                }
                out.push(escape(literal));
            }
        }
    }
    Ok(format!("/{}", out.join("/")))
}

/// A port (`ports`, `destination.port`): `ValidatePorts` (`strconv.ParseUint(v, 10,
/// 32)`, at most 65535).
pub(crate) fn port(value: &str) -> Result<u16, String> {
    if value.is_empty() {
        return Err("empty value (Istio refuses it)".into());
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{value}` is not a port (Istio refuses it)"));
    }
    let trimmed = value.trim_start_matches('0');
    if trimmed.len() > 5 {
        return Err(format!("port `{value}` is above 65535 (Istio refuses it)"));
    }
    match trimmed.parse::<u32>() {
        Ok(p) => u16::try_from(p)
            .map_err(|_| format!("port `{value}` is above 65535 (Istio refuses it)")),
        Err(_) if trimmed.is_empty() => Ok(0),
        Err(_) => Err(format!("`{value}` is not a port (Istio refuses it)")),
    }
}

/// A method (`methods`): `HeaderMatcher(":method", value)`. `*` matches every request;
/// an exact method is a Portcullis method. A prefix or suffix cannot be said (methods
/// take no pattern), and a method that is not an upper-case HTTP token only matches
/// requests that Portcullis refuses as invalid: both refused.
pub(crate) fn method(value: &str) -> Result<Option<String>, String> {
    match form(value)? {
        Form::Any => Ok(None),
        Form::Prefix(_) | Form::Suffix(_) => Err(format!(
            "method `{value}`: a method prefix or suffix cannot be translated (Portcullis compares methods exactly)"
        )),
        Form::Exact(m) => {
            let token = m
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token {
                return Err(format!("method `{m}` is not an HTTP token"));
            }
            if m.bytes().any(|b| b.is_ascii_lowercase()) {
                return Err(format!(
                    "method `{m}` is not upper case: Portcullis refuses such requests as invalid; did you mean `{}`?",
                    m.to_ascii_uppercase()
                ));
            }
            Ok(Some(m.to_string()))
        }
    }
}

/// An address or CIDR block (`ipBlocks`, `source.ip`): `ValidateIPs`
/// (`netip.ParsePrefix` or `netip.ParseAddr`), then Envoy's `CidrRange`, which clears
/// the bits below the prefix. Written as the Portcullis address: a bare address for
/// a whole-address block. Zones and IPv4-mapped IPv6 blocks are refused (Envoy
/// compares a mapped block with IPv6 peers only, Portcullis reads it as IPv4).
pub(crate) fn address(value: &str) -> Result<String, String> {
    let bad = || format!("`{value}` is not an IP address or CIDR block (Istio refuses it)");
    if value.is_empty() {
        return Err("empty value (Istio refuses it)".into());
    }
    let (addr, len) = match value.split_once('/') {
        Some((addr, len)) => {
            let digits = !len.is_empty()
                && len.len() <= 3
                && len.bytes().all(|b| b.is_ascii_digit())
                && (len == "0" || !len.starts_with('0'));
            if !digits {
                return Err(bad());
            }
            (addr, Some(len.parse::<u8>().map_err(|_| bad())?))
        }
        None => (value, None),
    };
    if addr.contains('%') {
        return Err(format!(
            "`{value}`: an address with a zone cannot be translated"
        ));
    }
    let ip: IpAddr = addr.parse().map_err(|_| bad())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = len.unwrap_or(max);
    if len > max {
        return Err(bad());
    }
    if let IpAddr::V6(v6) = ip {
        let s = v6.segments();
        let mapped = s.get(..6) == Some(&[0, 0, 0, 0, 0, 0xffff][..]);
        if mapped {
            return Err(format!(
                "`{value}`: an IPv4-mapped IPv6 block cannot be translated (Envoy matches it against IPv6 peers only); write the IPv4 block"
            ));
        }
    }
    let network = mask(ip, len);
    Ok(if len == max {
        network.to_string()
    } else {
        format!("{network}/{len}")
    })
}

fn mask(ip: IpAddr, len: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let m = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let m = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            IpAddr::V6((bits & m).into())
        }
    }
}

/// Istio's trust-domain migration of a principal (istio/istio
/// `pilot/pkg/security/trustdomain/bundle.go` `ReplaceTrustDomainAliases`), for a mesh
/// whose only trust domain is `trust_domain`: a principal of the form
/// `<td>/ns/<ns>/sa/<sa>` (five parts) whose trust domain is `cluster.local`, or
/// matches `trust_domain` as Istio's `stringMatch` has it, is rewritten to
/// `trust_domain`, unless its trust domain is `*` or a `*suffix` that `trust_domain`
/// ends with. Every other principal stays as written.
pub(crate) fn migrate_trust_domain(principal: &str, trust_domain: &str) -> String {
    let parts: Vec<&str> = principal.split('/').collect();
    let [from, rest @ ..] = parts.as_slice() else {
        return principal.to_string();
    };
    if parts.len() != 5 || *from == "*" {
        return principal.to_string();
    }
    if string_match(from, trust_domain) || *from == "cluster.local" {
        if suffix_match(trust_domain, from) {
            principal.to_string()
        } else {
            format!("{trust_domain}/{}", rest.join("/"))
        }
    } else {
        principal.to_string()
    }
}

/// `trustdomain.stringMatch(a, []string{s})`.
fn string_match(a: &str, s: &str) -> bool {
    a == s
        || s == "*"
        || prefix_match(a, s)
        || prefix_match(s, a)
        || suffix_match(a, s)
        || suffix_match(s, a)
}

fn prefix_match(a: &str, pattern: &str) -> bool {
    pattern.strip_suffix('*').is_some_and(|p| a.starts_with(p))
}

fn suffix_match(a: &str, pattern: &str) -> bool {
    pattern.strip_prefix('*').is_some_and(|s| a.ends_with(s))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

    use super::*;

    fn plain(p: Piece) -> String {
        match p {
            Piece::Plain(v, _) => v,
            other => panic!("not plain: {other:?}"),
        }
    }

    fn regex(p: Piece) -> String {
        match p {
            Piece::Regex(r) | Piece::Plain(_, r) => r,
            Piece::Present => panic!("present"),
        }
    }

    #[test]
    fn forms() {
        assert_eq!(form("abc"), Ok(Form::Exact("abc")));
        assert_eq!(form("abc*"), Ok(Form::Prefix("abc")));
        assert_eq!(form("*abc"), Ok(Form::Suffix("abc")));
        assert_eq!(form("*"), Ok(Form::Any));
        assert!(form("").is_err());
        assert!(form("a*c").is_err());
        assert!(form("*a*").is_err());
        assert!(form("**").is_err());
    }

    #[test]
    fn principals_as_identity_globs() {
        assert_eq!(
            plain(principal("cluster.local/ns/a/sa/b").unwrap()),
            "spiffe://cluster.local/ns/a/sa/b"
        );
        assert_eq!(
            plain(principal("cluster.local/ns/a/*").unwrap()),
            "spiffe://cluster.local/ns/a/**"
        );
        assert_eq!(plain(principal("*/sa/b").unwrap()), "spiffe://**/sa/b");
        assert_eq!(principal("*").unwrap(), Piece::Present);
    }

    #[test]
    fn namespaces_cross_slashes() {
        // generator.go srcNamespaceGenerator: `.*/ns/<ns>/.*`, `*` → `.*`.
        let p = namespace("fo*").unwrap();
        assert_eq!(
            p,
            Piece::Plain("**/ns/fo**/**".into(), ".*/ns/fo.*/.*".into())
        );
    }

    #[test]
    fn service_accounts_use_istios_regex() {
        assert_eq!(
            regex(service_account("sleep", "foo").unwrap()),
            "spiffe://.+/ns/foo/(.+/|)sa/sleep(/.+)?"
        );
        assert_eq!(
            regex(service_account("a.b/c", "foo").unwrap()),
            "spiffe://.+/ns/a\\.b/(.+/|)sa/c(/.+)?"
        );
        assert!(service_account("a/b/c", "foo").is_err());
        assert!(service_account("a*", "foo").is_err());
        assert!(service_account("/b", "foo").is_err());
    }

    #[test]
    fn trust_domains() {
        assert_eq!(plain(trust_domain("td").unwrap()), "spiffe://td/**");
        assert_eq!(plain(trust_domain("*").unwrap()), "spiffe://**");
        assert_eq!(plain(trust_domain("*-td").unwrap()), "spiffe://*-td/**");
        assert!(trust_domain("a/b").is_err());
    }

    #[test]
    fn request_principals_split_at_the_last_slash() {
        assert_eq!(
            request_principal("https://a.example/sub").unwrap(),
            Piece::Plain(
                "https://a.example/sub".into(),
                "https://a\\.example/sub".into()
            )
        );
        assert_eq!(regex(request_principal("*").unwrap()), "(?:.+)/(?:[^/\n]+)");
        assert_eq!(regex(request_principal("*/sub").unwrap()), "(?:.+)/(?:sub)");
        assert_eq!(
            regex(request_principal("iss/*").unwrap()),
            "(?:iss)/(?:[^/\n]+)"
        );
        assert_eq!(regex(request_principal("*b").unwrap()), "(?:.+)/(?:[^/]*b)");
    }

    #[test]
    fn hosts() {
        assert_eq!(plain(host("Example.COM").unwrap()), "example.com");
        assert_eq!(plain(host("*.example.com").unwrap()), "*.example.com");
        assert_eq!(regex(host("*example.com").unwrap()), "(?s:.*)example\\.com");
        assert_eq!(regex(host("api.*").unwrap()), "api\\.(?s:.*)");
        assert_eq!(host("*").unwrap(), Piece::Present);
        assert!(host("example.com:8080").is_err());
        assert!(host("example.com.").is_err());
        assert_eq!(regex(host("10.0.0.1").unwrap()), "10\\.0\\.0\\.1");
    }

    #[test]
    fn paths() {
        let p = |v| path(v).unwrap().piece;
        assert_eq!(plain(p("/a/b")), "/a/b");
        assert_eq!(plain(p("/a/b*")), "/a/b*/**");
        assert_eq!(regex(p("/a/*")), "/a/(?s:.*)");
        assert_eq!(plain(p("/*")), "/**");
        assert_eq!(plain(p("*")), "/**");
        assert_eq!(regex(p("*.png")), "(?s:.*)\\.png");
        assert_eq!(
            regex(p("/a/{*}/b/{**}")),
            "/a/[a-zA-Z0-9\\-._~%!$&'()+,;:@]+/b/[a-zA-Z0-9\\-._~%!$&'()+,;:@/]*"
        );
        assert_eq!(regex(p("/a/{**}/")), "/a/[a-zA-Z0-9\\-._~%!$&'()+,;:@/]*/");
        assert!(path("/a/*/b").is_err());
        assert!(path("/a/{x}").is_err());
        assert!(path("/{**}/{*}").is_err());
        assert!(path("/a/{*}.txt").is_err());
        assert!(path("/a=b/{*}").is_err());
        assert!(path("a/{*}").is_err());
        assert!(path("/a//{*}").is_err());
        assert!(path("/a//b").unwrap().unnormalized);
    }

    #[test]
    fn ports_as_go_parses_them() {
        assert_eq!(port("8080"), Ok(8080));
        assert_eq!(port("080"), Ok(80));
        assert_eq!(port("0"), Ok(0));
        assert!(port("65536").is_err());
        assert!(port("-1").is_err());
        assert!(port("+80").is_err());
        assert!(port("80a").is_err());
        assert!(port("0000000000000000080").is_ok());
    }

    #[test]
    fn methods() {
        assert_eq!(method("GET"), Ok(Some("GET".into())));
        assert_eq!(method("*"), Ok(None));
        assert!(method("G*").is_err());
        assert!(method("get").is_err());
        assert!(method("GE T").is_err());
    }

    #[test]
    fn addresses_are_masked_as_envoy_does() {
        assert_eq!(address("10.1.2.3"), Ok("10.1.2.3".into()));
        assert_eq!(address("10.1.2.3/8"), Ok("10.0.0.0/8".into()));
        assert_eq!(address("10.1.2.3/32"), Ok("10.1.2.3".into()));
        assert_eq!(address("2001:db8::1/32"), Ok("2001:db8::/32".into()));
        assert_eq!(address("0.0.0.0/0"), Ok("0.0.0.0/0".into()));
        assert!(address("10.0.0.256").is_err());
        assert!(address("010.0.0.1").is_err());
        assert!(address("10.0.0.0/33").is_err());
        assert!(address("10.0.0.0/08").is_err());
        assert!(address("fe80::1%eth0").is_err());
        assert!(address("::ffff:10.0.0.0/104").is_err());
    }

    #[test]
    fn trust_domain_migration_follows_istio() {
        // bundle_test.go TestReplaceTrustDomainAliases, with one trust domain.
        let m = |p| migrate_trust_domain(p, "td1");
        assert_eq!(m("cluster.local/ns/foo/sa/bar"), "td1/ns/foo/sa/bar");
        assert_eq!(m("td1/ns/foo/sa/bar"), "td1/ns/foo/sa/bar");
        assert_eq!(m("other/ns/foo/sa/bar"), "other/ns/foo/sa/bar");
        assert_eq!(m("*/ns/foo/sa/bar"), "*/ns/foo/sa/bar");
        assert_eq!(m("*1/ns/foo/sa/bar"), "*1/ns/foo/sa/bar");
        assert_eq!(m("cluster.local/ns/foo*"), "cluster.local/ns/foo*");
        assert_eq!(m("cluster.local/ns/foo/sa/*"), "td1/ns/foo/sa/*");
        assert_eq!(
            migrate_trust_domain("cluster.local/ns/a/sa/b", "cluster.local"),
            "cluster.local/ns/a/sa/b"
        );
    }
}
