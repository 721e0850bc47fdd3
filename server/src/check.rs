//! Envoy `ext_authz` v3 over gRPC: a `CheckRequest` to a Portcullis request, and a
//! decision to a `CheckResponse`. Pure functions: no socket, no policy.
//!
//! | Portcullis | from the `CheckRequest`'s `attributes` |
//! |---|---|
//! | method | `request.http.method` |
//! | path | `request.http.path` (the raw target, query included) |
//! | host | `request.http.host`, absent when empty |
//! | headers | `request.http.header_map` when set (one value per entry, `raw_value` when not empty), else `request.http.headers`; pseudo-headers left out |
//! | identity | `source.principal`, absent when empty |
//! | source | `source.address.socket_address.address` |
//! | port | `destination.address.socket_address.port_value`, absent when 0 |
//! | attrs | `context_extensions` |

use std::fmt;
use std::net::IpAddr;

use envoy_types::pb::envoy::config::core::v3::address::Address as AddressKind;
use envoy_types::pb::envoy::config::core::v3::header_value_option::HeaderAppendAction;
use envoy_types::pb::envoy::config::core::v3::{Address, HeaderValue, HeaderValueOption};
use envoy_types::pb::envoy::service::auth::v3::check_response::HttpResponse;
use envoy_types::pb::envoy::service::auth::v3::{
    CheckRequest, CheckResponse, DeniedHttpResponse, OkHttpResponse,
};
use envoy_types::pb::envoy::r#type::v3::{HttpStatus, StatusCode as HttpStatusCode};
use envoy_types::pb::google::protobuf::value::Kind;
use envoy_types::pb::google::protobuf::{BoolValue, ListValue, Struct, Value};
use envoy_types::pb::google::rpc::Status;

use crate::decision::DecisionObject;
use portcullis::OwnedRequest;

/// The header that names the deciding rule on an allowed request.
pub const RULE_HEADER: &str = "x-portcullis-rule";

/// gRPC status `OK`: Envoy lets the request through.
const OK: i32 = 0;
/// gRPC status `PERMISSION_DENIED`: Envoy refuses the request.
const PERMISSION_DENIED: i32 = 7;

/// Why a `CheckRequest` could not be turned into a request. Each one is answered
/// with a deny (reason `invalid_request`), never an allow.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckError {
    /// `attributes.request.http` is missing.
    NoHttpAttributes,
    /// The source address is not an IP address.
    BadSource(String),
    /// The destination port is above 65535.
    BadPort(u32),
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::NoHttpAttributes => f.write_str("check request without http attributes"),
            CheckError::BadSource(address) => {
                write!(f, "source address `{address}` is not an ip address")
            }
            CheckError::BadPort(port) => write!(f, "destination port `{port}` is out of range"),
        }
    }
}

impl std::error::Error for CheckError {}

/// Builds the request to decide from what Envoy sent.
///
/// ```
/// use envoy_types::pb::envoy::service::auth::v3::{AttributeContext, CheckRequest};
/// use envoy_types::pb::envoy::service::auth::v3::attribute_context::{HttpRequest, Request};
/// let check = CheckRequest {
///     attributes: Some(AttributeContext {
///         request: Some(Request {
///             http: Some(HttpRequest {
///                 method: "GET".into(),
///                 path: "/api/v1/orders?x=1".into(),
///                 ..Default::default()
///             }),
///             ..Default::default()
///         }),
///         ..Default::default()
///     }),
/// };
/// let request = portcullis_server::check::request_from_check(&check)?;
/// assert_eq!(request.path(), "/api/v1/orders?x=1");
/// let empty = portcullis_server::check::request_from_check(&CheckRequest::default());
/// assert!(empty.is_err());
/// # Ok::<(), portcullis_server::check::CheckError>(())
/// ```
pub fn request_from_check(check: &CheckRequest) -> Result<OwnedRequest, CheckError> {
    let attributes = check.attributes.as_ref();
    let http = attributes
        .and_then(|a| a.request.as_ref())
        .and_then(|r| r.http.as_ref())
        .ok_or(CheckError::NoHttpAttributes)?;
    let mut request = OwnedRequest::new(http.method.as_str(), http.path.as_str());
    if !http.host.is_empty() {
        request.set_host(http.host.as_str());
    }
    if let Some(map) = &http.header_map {
        for header in &map.headers {
            if header.key.starts_with(':') {
                continue;
            }
            let value = if header.raw_value.is_empty() {
                header.value.as_bytes()
            } else {
                header.raw_value.as_slice()
            };
            request.push_header(header.key.as_str(), value);
        }
    } else {
        // A map has no order; sort so that the same CheckRequest always builds the
        // same request.
        let mut headers: Vec<(&String, &String)> = http
            .headers
            .iter()
            .filter(|(name, _)| !name.starts_with(':'))
            .collect();
        headers.sort_unstable();
        for (name, value) in headers {
            request.push_header(name.as_str(), value.as_bytes());
        }
    }
    let source = attributes.and_then(|a| a.source.as_ref());
    if let Some(principal) = source.map(|s| &s.principal).filter(|p| !p.is_empty()) {
        request.set_identity(principal.as_str());
    }
    let source_address = source
        .and_then(|s| socket_address(s.address.as_ref()))
        .map(|socket| &socket.address)
        .filter(|address| !address.is_empty());
    if let Some(address) = source_address {
        let address: IpAddr = address
            .parse()
            .map_err(|_| CheckError::BadSource(address.clone()))?;
        request.set_source(address);
    }
    let destination = attributes.and_then(|a| a.destination.as_ref());
    let port = destination
        .and_then(|d| socket_address(d.address.as_ref()))
        .and_then(socket_port);
    if let Some(port) = port {
        let port = u16::try_from(port).map_err(|_| CheckError::BadPort(port))?;
        request.set_port(port);
    }
    if let Some(attributes) = attributes {
        let mut extensions: Vec<(&String, &String)> =
            attributes.context_extensions.iter().collect();
        extensions.sort_unstable();
        for (key, value) in extensions {
            request.push_attr(key.as_str(), value.as_str());
        }
    }
    Ok(request)
}

type SocketAddress = envoy_types::pb::envoy::config::core::v3::SocketAddress;

fn socket_address(address: Option<&Address>) -> Option<&SocketAddress> {
    match address?.address.as_ref()? {
        AddressKind::SocketAddress(socket) => Some(socket),
        _ => None,
    }
}

/// The numeric port of a socket address; 0 (proto3's "not set") and named ports are
/// absent.
fn socket_port(socket: &SocketAddress) -> Option<u32> {
    use envoy_types::pb::envoy::config::core::v3::socket_address::PortSpecifier;
    match socket.port_specifier {
        Some(PortSpecifier::PortValue(port)) if port != 0 => Some(port),
        _ => None,
    }
}

/// The answer to Envoy for a decision.
///
/// - allow: status 0 and an `ok_response` that sets `x-portcullis-rule` to the deciding
///   rule, overwriting a copy the client sent, or removes it when the default decided;
/// - deny, whatever the reason: status 7 and a `denied_response` with HTTP status 403.
///
/// Both carry `dynamic_metadata` whose top-level fields are the decision object.
///
/// ```
/// use portcullis_server::{DecisionObject, check::check_response};
/// let response = check_response(&DecisionObject::invalid("no http attributes"));
/// assert_eq!(response.status.map(|s| s.code), Some(7));
/// ```
pub fn check_response(decision: &DecisionObject) -> CheckResponse {
    let metadata = metadata(decision);
    if decision.is_allowed() {
        let mut ok = OkHttpResponse::default();
        match decision.rule() {
            Some(rule) => ok.headers.push(overwrite(RULE_HEADER, &header_value(rule))),
            None => ok.headers_to_remove.push(RULE_HEADER.to_string()),
        }
        CheckResponse {
            status: Some(Status {
                code: OK,
                ..Status::default()
            }),
            dynamic_metadata: Some(metadata),
            http_response: Some(HttpResponse::OkResponse(ok)),
        }
    } else {
        CheckResponse {
            status: Some(Status {
                code: PERMISSION_DENIED,
                message: "denied by policy".to_string(),
                ..Status::default()
            }),
            dynamic_metadata: Some(metadata),
            http_response: Some(HttpResponse::DeniedResponse(DeniedHttpResponse {
                status: Some(HttpStatus {
                    code: HttpStatusCode::Forbidden as i32,
                }),
                headers: Vec::new(),
                body: "forbidden\n".to_string(),
            })),
        }
    }
}

/// A header that replaces every copy the request had: `append: false` for the Envoy
/// versions that read the deprecated field (ext_authz treats it as false when unset,
/// but saying so costs nothing), `OVERWRITE_IF_EXISTS_OR_ADD` for the ones that read
/// `append_action`.
#[expect(deprecated, reason = "`append` is what older Envoy versions read")]
fn overwrite(name: &str, value: &str) -> HeaderValueOption {
    HeaderValueOption {
        header: Some(HeaderValue {
            key: name.to_string(),
            value: value.to_string(),
            raw_value: Vec::new(),
        }),
        append: Some(BoolValue { value: false }),
        append_action: HeaderAppendAction::OverwriteIfExistsOrAdd as i32,
        keep_empty_value: false,
    }
}

/// A rule name as a header value: printable ASCII as is, `%` and every other byte as
/// `%XX`, so that no rule name can break the header (a control character) or be read
/// differently by two proxies (non-ASCII bytes).
///
/// ```
/// use portcullis_server::check::header_value;
/// assert_eq!(header_value("frontends read orders"), "frontends read orders");
/// assert_eq!(header_value("100% é\n"), "100%25 %C3%A9%0A");
/// ```
pub fn header_value(rule: &str) -> String {
    let mut out = String::with_capacity(rule.len());
    for &byte in rule.as_bytes() {
        if (0x20..0x7f).contains(&byte) && byte != b'%' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn metadata(decision: &DecisionObject) -> Struct {
    let string = |s: &str| Value {
        kind: Some(Kind::StringValue(s.to_string())),
    };
    let mut fields = std::collections::HashMap::with_capacity(5);
    fields.insert("decision".to_string(), string(decision.effect_str()));
    fields.insert("reason".to_string(), string(decision.reason().as_str()));
    fields.insert(
        "rule".to_string(),
        decision.rule().map_or(
            Value {
                kind: Some(Kind::NullValue(0)),
            },
            string,
        ),
    );
    fields.insert(
        "audit".to_string(),
        Value {
            kind: Some(Kind::ListValue(ListValue {
                values: decision.audit().map(string).collect(),
            })),
        },
    );
    if let Some(error) = decision.error() {
        fields.insert("error".to_string(), string(error));
    }
    Struct { fields }
}
