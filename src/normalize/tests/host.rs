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
