//! The directory of an identity: the bytes up to and including its last `/`, which
//! the `prefix/*` globs compare against without searching.

use super::super::identity::check_identity;

#[test]
fn the_directory_is_up_to_the_last_slash() {
    let long_domain = format!("spiffe://{}/a", "t".repeat(255));
    for (identity, dir) in [
        ("spiffe://prod.example.com/ns/web/sa/frontend", 36),
        ("spiffe://example.org", 9),
        ("spiffe://td/x", 12),
        ("CN=frontend,O=Example", 0),
        ("a/b/c", 4),
        ("a/b/", 4),
        ("a//b", 3),
        ("https://example.com/a", 20),
        (long_domain.as_str(), 9 + 255 + 1),
    ] {
        assert_eq!(check_identity(identity, 2048), Ok(dir), "{identity:?}");
        let expected = identity.rfind('/').map_or(0, |i| i + 1);
        assert_eq!(dir, expected, "{identity:?}");
    }
}
