//! The reference's own reading of the request path and identity rules of
//! `docs/language.md` (*Request normalization*, language 1.1), written as literally
//! as possible, one pass per step, with allocation everywhere. The differential test
//! decides with it, and `tests/normalize_path.rs` compares the library's paths with
//! it. The other attributes are the library's `normalize_request`; they are tested
//! in `tests/normalize_request.rs`.

use portcullis::normalize::{Backslash, EscapedSlashes, Options, Semicolon};

/// The path steps 1–9. `None` when the path makes the request invalid (which
/// rule refused it is not compared).
pub fn path(target: &str, o: &Options) -> Option<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Text(u8),
        Esc(u8),
        EncSlash(u8),
        Slash,
        Backslash,
        Semi,
        /// The start of stripped parameters.
        Param,
    }
    // Step 1, and the length limit.
    if target.len() > o.limits.max_path_len || !target.starts_with('/') {
        return None;
    }
    // Controls anywhere in the target, query included (the library's fail-closed
    // reading, see its module docs).
    if target.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return None;
    }
    // Step 2.
    if target.contains('#') {
        return None;
    }
    let path = target.split('?').next().unwrap_or("");
    let bytes = path.as_bytes();
    // Step 3.
    let mut toks = Vec::new();
    let mut decoded = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = path.get(i + 1..i + 3)?;
            if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                return None;
            }
            let v = u8::from_str_radix(hex, 16).ok()?;
            if v == 0 {
                return None;
            }
            decoded.push(v);
            toks.push(if v.is_ascii_alphanumeric() || b"-._~".contains(&v) {
                Tok::Text(v)
            } else if v == b'/' || v == b'\\' {
                Tok::EncSlash(v)
            } else if o.strict_escapes && (b"%;?#".contains(&v) || v <= 0x20 || v >= 0x7f) {
                return None;
            } else {
                Tok::Esc(v)
            });
            i += 3;
            continue;
        }
        decoded.push(b);
        toks.push(match b {
            b'/' => Tok::Slash,
            b'\\' => Tok::Backslash,
            b';' => Tok::Semi,
            _ if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,=:@".contains(&b) => Tok::Text(b),
            _ => return None,
        });
        i += 1;
    }
    if std::str::from_utf8(&decoded).is_err() {
        return None;
    }
    // Step 4.
    let mut step4 = Vec::new();
    for t in toks {
        step4.push(match (t, o.escaped_slashes) {
            (Tok::EncSlash(_), EscapedSlashes::Reject) => return None,
            (Tok::EncSlash(b'/'), EscapedSlashes::Decode) => Tok::Slash,
            (Tok::EncSlash(_), EscapedSlashes::Decode) => Tok::Backslash,
            (Tok::EncSlash(v), _) => Tok::Esc(v),
            (t, _) => t,
        });
    }
    // Step 5.
    let mut step5 = Vec::new();
    for t in step4 {
        step5.push(match (t, o.backslash) {
            (Tok::Backslash, Backslash::Reject) => return None,
            (Tok::Backslash, _) => Tok::Slash,
            (t, _) => t,
        });
    }
    // Step 6.
    let mut step6 = Vec::new();
    for t in step5 {
        step6.push(match (t, o.semicolon) {
            (Tok::Semi, Semicolon::Reject) => return None,
            (Tok::Semi, Semicolon::Keep) => Tok::Text(b';'),
            (Tok::Semi, _) => Tok::Param,
            (t, _) => t,
        });
    }
    let mut s = String::new();
    let mut in_param = false;
    for t in step6 {
        match t {
            Tok::Slash => {
                in_param = false;
                s.push('/');
            }
            Tok::Param => in_param = true,
            _ if in_param => {}
            Tok::Text(b) => s.push(char::from(b)),
            Tok::Esc(v) => s.push_str(&format!("%{v:02X}")),
            _ => return None,
        }
    }
    // Step 7: the segments as they are, before merging; a `..` takes the segment
    // before it off a stack, and taking an empty one is invalid. (A segment that
    // stripping left empty is empty.)
    let mut stack: Vec<&str> = Vec::new();
    for segment in s.split('/').skip(1) {
        match segment {
            "." => {}
            ".." => {
                if stack.pop() == Some("") {
                    return None;
                }
            }
            other => stack.push(other),
        }
    }
    // Step 8.
    if o.merge_slashes {
        while s.contains("//") {
            s = s.replace("//", "/");
        }
    }
    // Step 9: RFC 3986 §5.2.4, literally.
    let mut input = s;
    let mut output = String::new();
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix("../") {
            input = rest.to_owned();
        } else if let Some(rest) = input.strip_prefix("./") {
            input = rest.to_owned();
        } else if input.starts_with("/./") {
            input = input.split_off(2);
        } else if input == "/." {
            input = "/".to_owned();
        } else if input.starts_with("/../") || input == "/.." {
            input = if input == "/.." {
                "/".to_owned()
            } else {
                input.split_off(3)
            };
            let cut = output.rfind('/').unwrap_or(0);
            output.truncate(cut);
        } else if input == "." || input == ".." {
            input.clear();
        } else {
            let start = usize::from(input.starts_with('/'));
            let end = input
                .get(start..)
                .and_then(|r| r.find('/'))
                .map_or(input.len(), |e| e + start);
            output.push_str(input.get(..end).unwrap_or(""));
            input = input.split_off(end);
        }
    }
    Some(output)
}

/// The identity rules of normalization, plus the library's documented fail-closed rules: is
/// `identity` valid?
pub fn identity(identity: &str, max_len: usize) -> bool {
    if identity.is_empty() || identity.len() > max_len {
        return false;
    }
    let claims_spiffe = identity
        .get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("spiffe:"));
    if claims_spiffe {
        return spiffe_id(identity);
    }
    // No control character or white space, and no `.` or `..` segment.
    if identity
        .chars()
        .any(|c| c.is_control() || c.is_whitespace())
    {
        return false;
    }
    !identity.split('/').any(|s| s == "." || s == "..")
}

/// A SPIFFE ID: `spiffe://`, a trust domain of 1 to 255 `a-z 0-9 . - _`, and a path
/// of non-empty segments of `A-Z a-z 0-9 . - _`, none of them `.` or `..`.
fn spiffe_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("spiffe://") else {
        return false;
    };
    let (domain, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, ""),
    };
    let domain_ok = !domain.is_empty()
        && domain.len() <= 255
        && domain
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !domain_ok {
        return false;
    }
    if path.is_empty() {
        return true;
    }
    path[1..].split('/').all(|segment| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    })
}
