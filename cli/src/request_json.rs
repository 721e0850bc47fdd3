//! The request line format of `eval`: one JSON object per line (`docs/language.md`,
//! *Request lines*).
//!
//! ```json
//! {"method": "GET", "path": "/api/v1/orders/42", "identity": "spiffe://...",
//!  "host": "orders.svc:8443", "port": 8443, "source": "10.1.2.3",
//!  "headers": {"x-env": "prod", "x-forwarded-for": ["10.0.0.1", "10.0.0.2"]},
//!  "attrs": {"tenant": "acme", "groups": ["eng", "ops"]}}
//! ```
//!
//! Invalid *input* (not an object, a missing `method` or `path`, an unknown field, a
//! wrong type, a port out of range, a `source` that is not an IP address) is reported
//! here. Whether a well-formed request is *acceptable* (methods, path escapes, header
//! bytes, too many attributes, ...) is the library's call: it answers with a `deny`
//! decision, reason `invalid_request`.
//!
//! Choices where the contract is silent:
//! - `null` is a wrong type for every field (it is not read as "absent"): leave the
//!   field out instead.
//! - A header or attribute value is a string or an array of strings; an empty array
//!   means absent. Header and attribute values keep file order. A header name repeated
//!   in the object (exactly, or differing in case) adds its values to the same header,
//!   in file order.
//! - An attribute key repeated in the object is invalid input: JSON parsers disagree
//!   on a repeated key (most keep the last value, some the first), so a program that
//!   wrote or checked the line may have meant other values than both together; the
//!   values of one key go in one array.

use std::fmt;
use std::net::IpAddr;

use portcullis::{OwnedRequest, Request};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// The fields of a request line, as the JSON has them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    method: String,
    path: String,
    #[serde(default, deserialize_with = "some_string")]
    identity: Option<String>,
    #[serde(default, deserialize_with = "some_string")]
    host: Option<String>,
    #[serde(default, deserialize_with = "some_port")]
    port: Option<u16>,
    #[serde(default, deserialize_with = "some_source")]
    source: Option<IpAddr>,
    #[serde(default)]
    headers: Headers,
    #[serde(default)]
    attrs: Attrs,
    /// Not part of the request: echoed in the line's output (any JSON value).
    #[serde(default, deserialize_with = "some_raw")]
    id: Option<Box<RawValue>>,
}

/// One parsed request line: the library's owned request, and the line's `id`.
#[derive(Debug)]
pub struct RequestLine {
    request: OwnedRequest,
    id: Option<Box<RawValue>>,
}

impl RequestLine {
    /// The line's `id`, as written.
    pub fn id(&self) -> Option<&RawValue> {
        self.id.as_deref()
    }

    /// The library request for this line, borrowing it.
    pub fn request(&self) -> Request<'_> {
        self.request.as_request()
    }
}

impl From<Line> for RequestLine {
    fn from(line: Line) -> RequestLine {
        let mut request = OwnedRequest::new(line.method, line.path);
        if let Some(identity) = line.identity {
            request.set_identity(identity);
        }
        if let Some(host) = line.host {
            request.set_host(host);
        }
        if let Some(port) = line.port {
            request.set_port(port);
        }
        if let Some(source) = line.source {
            request.set_source(source);
        }
        for (name, value) in line.headers.0 {
            request.push_header(name, value);
        }
        for (key, value) in line.attrs.0 {
            request.push_attr(key, value);
        }
        RequestLine {
            request,
            id: line.id,
        }
    }
}

/// Why an input line is not a request: a one-line message, and the column (in
/// bytes, 1-based) where the JSON parser stopped, when it knows.
#[derive(Debug, PartialEq, Eq)]
pub struct LineError {
    /// Where in the line, if known.
    pub column: Option<usize>,
    /// What is wrong, without location.
    pub message: String,
}

/// Parses one input line (its line ending, if any, is JSON whitespace).
pub fn parse_line(line: &[u8]) -> Result<RequestLine, LineError> {
    // A derived struct also accepts a JSON array (fields by position); a request is
    // an object and nothing else.
    let first = line.iter().find(|b| !is_json_whitespace(**b));
    if first != Some(&b'{') {
        return Err(LineError {
            column: None,
            message: "a request must be a JSON object".to_string(),
        });
    }
    serde_json::from_slice::<Line>(line)
        .map(RequestLine::from)
        .map_err(|e| {
            let text = e.to_string();
            let location = format!(" at line {} column {}", e.line(), e.column());
            LineError {
                column: (e.column() > 0).then_some(e.column()),
                message: text.strip_suffix(&location).unwrap_or(&text).to_string(),
            }
        })
}

/// JSON's insignificant whitespace.
pub fn is_json_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

fn some_raw<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(d).map(Some)
}

fn some_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

fn some_source<'de, D: Deserializer<'de>>(d: D) -> Result<Option<IpAddr>, D::Error> {
    let text = String::deserialize(d)?;
    text.parse::<IpAddr>()
        .map(Some)
        .map_err(|_| de::Error::custom(format!("`source` is not an IP address: {text:?}")))
}

fn some_port<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    struct PortVisitor;

    impl Visitor<'_> for PortVisitor {
        type Value = u16;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a port, an integer from 0 to 65535")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u16, E> {
            u16::try_from(v).map_err(|_| E::custom(format!("`port` {v} is not in 0..=65535")))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u16, E> {
            u16::try_from(v).map_err(|_| E::custom(format!("`port` {v} is not in 0..=65535")))
        }
    }

    d.deserialize_u64(PortVisitor).map(Some)
}

/// Header field lines in file order: (name, value), one entry per value.
#[derive(Debug, Default)]
struct Headers(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Headers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Headers, D::Error> {
        struct HeadersVisitor;

        impl<'de> Visitor<'de> for HeadersVisitor {
            type Value = Headers;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of header names to a string or an array of strings")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Headers, A::Error> {
                let mut lines = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    let Values(values) = map.next_value()?;
                    lines.extend(values.into_iter().map(|v| (name.clone(), v)));
                }
                Ok(Headers(lines))
            }
        }

        d.deserialize_map(HeadersVisitor)
    }
}

/// The values of one header or attribute entry: a string, or an array of strings
/// (empty: absent).
struct Values(Vec<String>);

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Values, D::Error> {
        struct ValuesVisitor;

        impl<'de> Visitor<'de> for ValuesVisitor {
            type Value = Values;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Values, E> {
                Ok(Values(vec![v.to_string()]))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Values, E> {
                Ok(Values(vec![v]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Values, A::Error> {
                let mut values = Vec::new();
                while let Some(value) = seq.next_element::<String>()? {
                    values.push(value);
                }
                Ok(Values(values))
            }
        }

        d.deserialize_any(ValuesVisitor)
    }
}

/// Attribute values in file order: (key, value), one entry per value.
#[derive(Debug, Default)]
struct Attrs(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Attrs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Attrs, D::Error> {
        struct AttrsVisitor;

        impl<'de> Visitor<'de> for AttrsVisitor {
            type Value = Attrs;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of attribute names to a string or an array of strings")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attrs, A::Error> {
                let mut attrs: Vec<(String, String)> = Vec::new();
                let mut keys: Vec<String> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if keys.contains(&key) {
                        return Err(de::Error::custom(format!(
                            "attribute `{key}` is given twice: give its values as one array"
                        )));
                    }
                    let Values(values) = map.next_value()?;
                    attrs.extend(values.into_iter().map(|v| (key.clone(), v)));
                    keys.push(key);
                }
                Ok(Attrs(attrs))
            }
        }

        d.deserialize_map(AttrsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> RequestLine {
        parse_line(line.as_bytes()).unwrap()
    }

    fn err(line: &str) -> String {
        match parse_line(line.as_bytes()) {
            Ok(parsed) => format!("unexpectedly parsed: {parsed:?}"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn full_request() {
        let line = ok(r#"{"method": "GET", "path": "/api/v1/orders/42?verbose=1",
            "identity": "spiffe://prod.example.com/ns/web/sa/frontend",
            "host": "payments.prod.svc:8443", "port": 8443, "source": "10.1.2.3",
            "headers": {"x-env": "prod", "x-forwarded-for": ["10.0.0.1", "10.0.0.2"]},
            "attrs": {"tenant": "acme"}}"#
            .replace('\n', " ")
            .as_str());
        let r = line.request();
        assert_eq!(r.method(), "GET");
        assert_eq!(r.path(), "/api/v1/orders/42?verbose=1");
        assert_eq!(
            r.identity_value(),
            Some("spiffe://prod.example.com/ns/web/sa/frontend")
        );
        assert_eq!(r.host_value(), Some("payments.prod.svc:8443"));
        assert_eq!(r.port_value(), Some(8443));
        assert_eq!(r.source_value(), Some("10.1.2.3".parse().unwrap()));
        assert_eq!(r.header_values("x-env").collect::<Vec<_>>(), [b"prod"]);
        assert_eq!(
            r.header_values("X-Forwarded-For").collect::<Vec<_>>(),
            [b"10.0.0.1", b"10.0.0.2"]
        );
        assert_eq!(r.attr_value("tenant"), Some("acme"));
    }

    #[test]
    fn minimal_request() {
        let line = ok(r#"  {"method":"DELETE","path":"/x"}  "#);
        let r = line.request();
        assert_eq!((r.method(), r.path()), ("DELETE", "/x"));
        assert_eq!(r.identity_value(), None);
        assert_eq!(r.host_value(), None);
        assert_eq!(r.port_value(), None);
        assert_eq!(r.source_value(), None);
        assert_eq!(r.header_values("x").count(), 0);
    }

    #[test]
    fn header_names_merge_in_file_order() {
        let line = ok(r#"{"method":"GET","path":"/","headers":
            {"X-A": "1", "b": [], "x-a": ["2", "3"], "X-a": "4"}}"#
            .replace('\n', " ")
            .as_str());
        let r = line.request();
        assert_eq!(
            r.header_values("x-a").collect::<Vec<_>>(),
            [b"1", b"2", b"3", b"4"]
        );
        assert_eq!(r.header_values("b").count(), 0, "empty array is absent");
        let line = ok(r#"{"method":"GET","path":"/","headers":{"x":"é"}}"#);
        assert_eq!(
            line.request().header_values("x").collect::<Vec<_>>(),
            ["é".as_bytes()]
        );
    }

    #[test]
    fn attributes_have_several_values() {
        let line = ok(r#"{"method":"GET","path":"/","attrs":
            {"groups": ["eng", "ops"], "tenant": "acme", "none": [], "Groups": ["x"]}}"#
            .replace('\n', " ")
            .as_str());
        let r = line.request();
        assert_eq!(r.attr_values("groups").collect::<Vec<_>>(), ["eng", "ops"]);
        assert_eq!(r.attr_values("tenant").collect::<Vec<_>>(), ["acme"]);
        assert_eq!(r.attr_values("none").count(), 0, "empty array is absent");
        assert_eq!(r.attr_values("Groups").collect::<Vec<_>>(), ["x"]);
        let repeated = err(r#"{"method":"GET","path":"/","attrs":{"team":"a","team":["b"]}}"#);
        assert!(
            repeated.contains("attribute `team` is given twice"),
            "{repeated}"
        );
    }

    #[test]
    fn source_addresses() {
        for (text, addr) in [
            ("::1", "::1"),
            ("2001:db8::7", "2001:db8::7"),
            ("::ffff:10.1.2.3", "::ffff:10.1.2.3"),
        ] {
            let line = ok(&format!(
                r#"{{"method":"GET","path":"/","source":"{text}"}}"#
            ));
            assert_eq!(line.request().source_value(), Some(addr.parse().unwrap()));
        }
    }

    #[test]
    fn port_range() {
        assert_eq!(
            ok(r#"{"method":"GET","path":"/","port":0}"#)
                .request()
                .port_value(),
            Some(0)
        );
        assert_eq!(
            ok(r#"{"method":"GET","path":"/","port":65535}"#)
                .request()
                .port_value(),
            Some(65535)
        );
    }

    #[test]
    fn invalid_lines() {
        for line in [
            "",
            "null",
            "[\"GET\", \"/\"]",
            "\"GET /\"",
            "{",
            r#"{"method":"GET","path":"/"} x"#,
            r#"{"path":"/"}"#,
            r#"{"method":"GET"}"#,
            r#"{"method":"GET","path":"/","extra":1}"#,
            r#"{"method":"GET","path":"/","Method":"GET"}"#,
            r#"{"method":"GET","path":"/","method":"PUT"}"#,
            r#"{"method":1,"path":"/"}"#,
            r#"{"method":"GET","path":["/"]}"#,
            r#"{"method":"GET","path":"/","identity":null}"#,
            r#"{"method":"GET","path":"/","identity":7}"#,
            r#"{"method":"GET","path":"/","host":true}"#,
            r#"{"method":"GET","path":"/","port":65536}"#,
            r#"{"method":"GET","path":"/","port":-1}"#,
            r#"{"method":"GET","path":"/","port":80.5}"#,
            r#"{"method":"GET","path":"/","port":"80"}"#,
            r#"{"method":"GET","path":"/","source":"10.1.2"}"#,
            r#"{"method":"GET","path":"/","source":"10.0.0.0/8"}"#,
            r#"{"method":"GET","path":"/","source":"fe80::1%eth0"}"#,
            r#"{"method":"GET","path":"/","source":"example.com"}"#,
            r#"{"method":"GET","path":"/","source":167772161}"#,
            r#"{"method":"GET","path":"/","headers":[]}"#,
            r#"{"method":"GET","path":"/","headers":{"x":1}}"#,
            r#"{"method":"GET","path":"/","headers":{"x":[1]}}"#,
            r#"{"method":"GET","path":"/","headers":{"x":null}}"#,
            r#"{"method":"GET","path":"/","headers":{"x":{"y":"z"}}}"#,
            r#"{"method":"GET","path":"/","headers":null}"#,
            r#"{"method":"GET","path":"/","attrs":{"tenant":[1]}}"#,
            r#"{"method":"GET","path":"/","attrs":{"tenant":null}}"#,
            r#"{"method":"GET","path":"/","attrs":{"tenant":{"a":"b"}}}"#,
            r#"{"method":"GET","path":"/","attrs":{"t":"a","t":"b"}}"#,
            r#"{"method":"GET","path":"/","attrs":{"t":[],"t":["b"]}}"#,
            r#"{"method":"GET","path":"/","attrs":"tenant=acme"}"#,
        ] {
            assert!(
                parse_line(line.as_bytes()).is_err(),
                "{line} should be invalid"
            );
        }
    }

    #[test]
    fn error_messages() {
        assert_eq!(err("[1]"), "a request must be a JSON object");
        let missing = err(r#"{"path":"/"}"#);
        assert!(missing.contains("missing field `method`"), "{missing}");
        assert!(!missing.contains("line"), "{missing}");
        let unknown = parse_line(br#"{"method":"GET","path":"/","extra":1}"#).unwrap_err();
        assert!(unknown.column.is_some());
        assert!(
            unknown.message.starts_with("unknown field `extra`"),
            "{unknown:?}"
        );
        let source = err(r#"{"method":"GET","path":"/","source":"nope"}"#);
        assert!(source.contains("`source` is not an IP address"), "{source}");
        let port = err(r#"{"method":"GET","path":"/","port":70000}"#);
        assert!(port.contains("70000"), "{port}");
    }

    #[test]
    fn non_utf8_is_invalid() {
        assert!(parse_line(b"{\"method\":\"GET\",\"path\":\"/\xff\"}").is_err());
    }
}
