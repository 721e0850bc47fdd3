//! The SPIFFE ID of a verified client certificate, as rustls hands the chain over.

use rustls_pki_types::CertificateDer;
use x509_cert::Certificate;
use x509_cert::der::Decode;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

/// The SPIFFE ID of the first certificate of a verified chain (the peer's own): its
/// URI subject alternative name with the scheme `spiffe`. Pass what
/// `rustls::ServerConnection::peer_certificates` returns once the handshake has
/// verified the chain, and insert the result as a
/// [`PeerIdentity`](crate::PeerIdentity).
///
/// `None` when the chain is empty, the certificate cannot be parsed, or it has no
/// such name or more than one (an X.509-SVID has exactly one URI name; with several
/// there is no telling which the issuer meant). Other URI names are ignored. The ID is
/// returned as written: the policy's normalizer validates it, so a malformed one
/// makes the request invalid, hence denied.
///
/// ```
/// # fn certificate_with_uri(uri: &str) -> Vec<u8> {
/// #     let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
/// #     params.subject_alt_names = vec![rcgen::SanType::URI(uri.try_into().unwrap())];
/// #     let key = rcgen::KeyPair::generate().unwrap();
/// #     params.self_signed(&key).unwrap().der().to_vec()
/// # }
/// use rustls_pki_types::CertificateDer;
/// use portcullis_http::peer_identity;
///
/// let leaf = CertificateDer::from(certificate_with_uri("spiffe://example.org/ns/web/sa/frontend"));
/// assert_eq!(peer_identity(&[leaf]).as_deref(), Some("spiffe://example.org/ns/web/sa/frontend"));
/// assert_eq!(peer_identity(&[]), None);
/// ```
pub fn peer_identity(chain: &[CertificateDer<'_>]) -> Option<String> {
    let first = chain.first()?;
    let certificate = Certificate::from_der(first.as_ref()).ok()?;
    let (_, names) = certificate.tbs_certificate.get::<SubjectAltName>().ok()??;
    let mut spiffe = names.0.iter().filter_map(|name| match name {
        GeneralName::UniformResourceIdentifier(uri) => {
            let uri = uri.as_str();
            let scheme = uri.get(..uri.find(':')?)?;
            scheme.eq_ignore_ascii_case("spiffe").then_some(uri)
        }
        _ => None,
    });
    match (spiffe.next(), spiffe.next()) {
        (Some(id), None) => Some(id.to_string()),
        _ => None,
    }
}
