//! The client's identity from the certificate headers a TLS-terminating proxy adds:
//! a PEM (or bare base64 DER) certificate, URL-escaped as nginx's
//! `$ssl_client_escaped_cert` and Traefik's `passTLSClientCert` write it, or Envoy's
//! `X-Forwarded-Client-Cert`.
//!
//! The proxy verified the certificate; these functions only read it. A header that
//! cannot be read is an error (the caller refuses the request), never "no identity".

use std::fmt;

use rustls_pki_types::CertificateDer;
use x509_cert::Certificate;
use x509_cert::der::Decode;

/// Why a certificate header could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertError {
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// Not PEM or base64.
    BadEncoding,
    /// Base64 that is not a DER X.509 certificate.
    BadCertificate,
    /// An `X-Forwarded-Client-Cert` value that does not parse (an unterminated quote).
    BadXfcc,
}

impl fmt::Display for CertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertError::BadEscape => "malformed percent escape",
            CertError::BadEncoding => "not a pem or base64 certificate",
            CertError::BadCertificate => "not an x.509 certificate",
            CertError::BadXfcc => "malformed value",
        })
    }
}

impl std::error::Error for CertError {}

/// The SPIFFE ID of the certificate in a PEM client-certificate header (see
/// [`spiffe_id`]), or `None` when the header is empty or the certificate has none.
///
/// Accepted forms, after percent-decoding: a PEM block (the first one, the client's
/// own certificate, when a chain follows), or base64 DER without the PEM lines (the
/// first of a comma-separated list, as Traefik sends a chain). White space is ignored.
///
/// ```
/// use portcullis_server::client_cert::identity_from_pem_header;
/// assert_eq!(identity_from_pem_header(b""), Ok(None));
/// assert!(identity_from_pem_header(b"-----BEGIN%20CERTIFICATE-----%0AAAAA").is_err());
/// ```
pub fn identity_from_pem_header(value: &[u8]) -> Result<Option<String>, CertError> {
    let decoded = percent_decode(value)?;
    let text = std::str::from_utf8(&decoded).map_err(|_| CertError::BadEncoding)?;
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let body = match text.find(BEGIN) {
        Some(start) => {
            let rest = text.get(start + BEGIN.len()..).unwrap_or("");
            let end = rest.find(END).ok_or(CertError::BadEncoding)?;
            rest.get(..end).unwrap_or("")
        }
        None => text.split(',').next().unwrap_or(""),
    };
    let der = base64_decode(body).ok_or(CertError::BadEncoding)?;
    spiffe_id(&der)
}

/// The SPIFFE ID of a DER certificate, by the rule of
/// `portcullis_http::peer_identity` (its one `spiffe:` URI SAN; `None` when it has
/// none or several), or an error when the bytes are not a certificate.
///
/// ```
/// assert!(portcullis_server::client_cert::spiffe_id(b"\x30\x00").is_err());
/// ```
pub fn spiffe_id(der: &[u8]) -> Result<Option<String>, CertError> {
    Certificate::from_der(der).map_err(|_| CertError::BadCertificate)?;
    Ok(portcullis_http::peer_identity(&[CertificateDer::from(der)]))
}

/// The `URI=` of the last element of an `X-Forwarded-Client-Cert` value (the element
/// the nearest proxy appended), or `None` when that element has none.
///
/// Elements are separated by `,`, pairs by `;`; a value may be double-quoted, with
/// `\"` for a quote inside.
///
/// ```
/// use portcullis_server::client_cert::identity_from_xfcc;
/// let xfcc = r#"By=spiffe://a/x;URI=spiffe://a/old,By=spiffe://a/y;Hash=ab;Subject="CN=web,O=a";URI=spiffe://a/web"#;
/// assert_eq!(identity_from_xfcc(xfcc), Ok(Some("spiffe://a/web".to_string())));
/// assert_eq!(identity_from_xfcc("Hash=ab"), Ok(None));
/// ```
pub fn identity_from_xfcc(value: &str) -> Result<Option<String>, CertError> {
    let elements = split_xfcc(value)?;
    let Some(last) = elements.last() else {
        return Ok(None);
    };
    Ok(last
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("uri"))
        .map(|(_, value)| value.clone())
        .filter(|value| !value.is_empty()))
}

/// Splits an XFCC value into elements of `(key, unquoted value)` pairs.
fn split_xfcc(value: &str) -> Result<Vec<Vec<(String, String)>>, CertError> {
    let mut elements = Vec::new();
    let mut pairs = Vec::new();
    let mut key = String::new();
    let mut current = String::new();
    let mut in_key = true;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' if !in_key => {
                // A quoted value runs to the next unescaped quote.
                loop {
                    match chars.next() {
                        Some('\\') => current.push(chars.next().ok_or(CertError::BadXfcc)?),
                        Some('"') => break,
                        Some(c) => current.push(c),
                        None => return Err(CertError::BadXfcc),
                    }
                }
            }
            '=' if in_key => in_key = false,
            ';' | ',' => {
                let pair = (key.trim().to_string(), std::mem::take(&mut current));
                if !pair.0.is_empty() {
                    pairs.push(pair);
                }
                key.clear();
                in_key = true;
                if c == ',' {
                    elements.push(std::mem::take(&mut pairs));
                }
            }
            c if in_key => key.push(c),
            c => current.push(c),
        }
    }
    let pair = (key.trim().to_string(), current);
    if !pair.0.is_empty() {
        pairs.push(pair);
    }
    elements.push(pairs);
    Ok(elements)
}

/// Decodes `%XX` escapes; any other byte is kept. `+` stays `+` (base64 uses it, and
/// none of the proxies turns a space into `+` here).
fn percent_decode(value: &[u8]) -> Result<Vec<u8>, CertError> {
    let mut out = Vec::with_capacity(value.len());
    let mut bytes = value.iter();
    while let Some(&byte) = bytes.next() {
        if byte == b'%' {
            let high = bytes.next().and_then(|&b| hex(b));
            let low = bytes.next().and_then(|&b| hex(b));
            match (high, low) {
                (Some(high), Some(low)) => out.push(high << 4 | low),
                _ => return Err(CertError::BadEscape),
            }
        } else {
            out.push(byte);
        }
    }
    Ok(out)
}

fn hex(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Standard base64 with padding optional, white space ignored; `None` for anything
/// else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    let mut padding = 0;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        if padding > 0 {
            return None;
        }
        buffer = buffer << 6 | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    (padding <= 2 && !out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn base64_round_trips() {
        let cases: [(&str, &[u8]); 5] = [
            ("TWFu", b"Man"),
            ("TWE=", b"Ma"),
            ("TQ==", b"M"),
            ("TQ", b"M"),
            ("TW\nFu", b"Man"),
        ];
        for (text, bytes) in cases {
            assert_eq!(base64_decode(text).as_deref(), Some(bytes), "{text}");
        }
        for bad in ["", "T$Q=", "TQ=a", "===="] {
            assert_eq!(base64_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn percent_escapes() {
        assert_eq!(percent_decode(b"a%20b%2Bc+").unwrap(), b"a b+c+");
        assert_eq!(percent_decode(b"%2"), Err(CertError::BadEscape));
        assert_eq!(percent_decode(b"%zz"), Err(CertError::BadEscape));
    }

    #[test]
    fn xfcc_cases() {
        let cases: [(&str, Option<&str>); 7] = [
            ("URI=spiffe://a/b", Some("spiffe://a/b")),
            ("By=x;uri=spiffe://a/b", Some("spiffe://a/b")),
            ("URI=spiffe://a/one,Hash=x", None),
            (r#"URI="spiffe://a/q;x=1""#, Some("spiffe://a/q;x=1")),
            (
                r#"Subject="CN=a,\"b\"";URI=spiffe://a/c"#,
                Some("spiffe://a/c"),
            ),
            ("", None),
            ("URI=", None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                identity_from_xfcc(value).unwrap().as_deref(),
                expected,
                "{value}"
            );
        }
        assert_eq!(identity_from_xfcc(r#"URI="open"#), Err(CertError::BadXfcc));
        assert_eq!(identity_from_xfcc(r#"URI="a\"#), Err(CertError::BadXfcc));
    }
}
