//! `peer_identity`: the one SPIFFE ID of the first certificate, or none.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use portcullis_http::peer_identity;
use rcgen::{CertificateParams, KeyPair, SanType};
use rustls::pki_types::CertificateDer;

fn certificate(names: &[SanType]) -> CertificateDer<'static> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.subject_alt_names = names.to_vec();
    params
        .self_signed(&KeyPair::generate().unwrap())
        .unwrap()
        .der()
        .clone()
}

fn uri(text: &str) -> SanType {
    SanType::URI(text.try_into().unwrap())
}

fn dns(text: &str) -> SanType {
    SanType::DnsName(text.try_into().unwrap())
}

#[test]
fn the_spiffe_id_of_the_first_certificate() {
    let cases: &[(&[SanType], Option<&str>)] = &[
        (
            &[uri("spiffe://example.org/ns/a/sa/b")],
            Some("spiffe://example.org/ns/a/sa/b"),
        ),
        // Other names beside it do not matter.
        (
            &[
                dns("a.example.org"),
                uri("https://example.org/x"),
                uri("spiffe://example.org/w"),
            ],
            Some("spiffe://example.org/w"),
        ),
        // Returned as written: the policy's normalizer judges it.
        (
            &[uri("SPIFFE://Example.org/w")],
            Some("SPIFFE://Example.org/w"),
        ),
        // None, or several: no identity.
        (&[], None),
        (&[dns("spiffe.example.org")], None),
        (&[uri("https://example.org/spiffe://x")], None),
        (
            &[uri("spiffe://example.org/a"), uri("spiffe://example.org/b")],
            None,
        ),
    ];
    for (names, expected) in cases {
        let chain = [certificate(names)];
        assert_eq!(peer_identity(&chain).as_deref(), *expected, "{names:?}");
    }
}

#[test]
fn only_the_first_certificate_counts() {
    let leaf = certificate(&[dns("leaf.example.org")]);
    let issuer = certificate(&[uri("spiffe://example.org/issuer")]);
    assert_eq!(peer_identity(&[leaf, issuer]), None);
    assert_eq!(peer_identity(&[]), None);
}

#[test]
fn bytes_that_are_not_a_certificate_give_none() {
    let good = certificate(&[uri("spiffe://example.org/a")]);
    let mut cut = good.to_vec();
    cut.truncate(cut.len() / 2);
    for bytes in [
        Vec::new(),
        b"not der".to_vec(),
        cut,
        vec![0x30, 0x82, 0xff, 0xff],
    ] {
        assert_eq!(peer_identity(&[CertificateDer::from(bytes)]), None);
    }
}
