//! Host buffers.

use super::super::host::normalize_host;

#[test]
fn long_hosts_use_the_heap_when_the_limit_allows() {
    let mut buf = None;
    let mut heap = Vec::new();
    let long = "A".repeat(300);
    let got = normalize_host(&long, 1000, &mut buf, &mut heap);
    assert_eq!(got, Ok("a".repeat(300).as_str()));
    let mut buf = None;
    let mut heap = Vec::new();
    assert_eq!(
        normalize_host("Payments.SVC.:8443", 255, &mut buf, &mut heap),
        Ok("payments.svc")
    );
    assert_eq!(heap.capacity(), 0);
}

// --- the word scan of a name against the byte loop ---

use proptest::prelude::*;

use super::super::host::{scan_name, scan_name_bytes};

fn assert_scans_agree(host: &[u8]) {
    assert_eq!(
        scan_name(host),
        scan_name_bytes(host, 0, 0),
        "{:?}",
        String::from_utf8_lossy(host)
    );
}

/// Every byte at every position of a name long enough for several words, and every
/// pair that makes an empty label, on either side of a word boundary.
#[test]
fn the_word_scan_agrees_with_the_byte_loop_at_every_offset() {
    let valid = b"payments2-api.shop_1.svc.cluster~local:8443";
    for at in 0..valid.len() {
        for b in 0..=255u8 {
            let mut host = valid.to_vec();
            host[at] = b;
            assert_scans_agree(&host);
            host.truncate(at + 1);
            assert_scans_agree(&host);
        }
        for pair in [b"..", b".:", b":.", b"A.", b".a"] {
            let mut host = valid.to_vec();
            host.splice(at..at, pair.iter().copied());
            assert_scans_agree(&host);
            host.truncate(at + 2);
            assert_scans_agree(&host);
        }
    }
}

fn host_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9_~-]{1,12}",
        1 => "[A-Za-z]{1,5}",
        2 => prop::sample::select(vec![
            ".", ".", "..", ":", ":8443", ":", "@", "%2e", " ", "\t", "[", "]", "é", "\u{0}",
            "0x7f", "127", "1", "a.", ".a",
        ])
        .prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_word_scan_is_exact_on_hostile_hosts(
        parts in prop::collection::vec(host_piece(), 0..12)
    ) {
        assert_scans_agree(parts.concat().as_bytes());
    }
}
