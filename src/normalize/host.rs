//! Host normalization (spec §6), without allocating.
//!
//! Lower case, then the `:port` suffix removed, then one trailing `.` removed. The
//! characters allowed are read strictly (fail closed): a registered name may only carry
//! `a–z 0–9 - . _ ~` (RFC 3986 unreserved; upper case is folded first) and no empty
//! label; percent-escapes, sub-delimiters, `@` (userinfo), spaces and non-ASCII are
//! refused even where RFC 3986 would allow them in a `reg-name`, because no legitimate
//! service-to-service host needs them and each is a way to make two spellings of one
//! host. An IPv6 literal keeps its brackets and is written in its canonical RFC 5952
//! form, so that `[0:0::1]` and `[::1]` are one host.

use std::fmt::Write as _;
use std::net::Ipv6Addr;

use super::InvalidRequest;

/// Checks a port (the text after `:`): digits only, possibly none (RFC 3986 allows an
/// empty port), at most 65535.
fn check_port(port: &[u8]) -> Result<(), InvalidRequest> {
    let mut value: u32 = 0;
    for &b in port {
        if !b.is_ascii_digit() {
            return Err(InvalidRequest::InvalidHost);
        }
        value = value * 10 + u32::from(b - b'0');
        if value > u32::from(u16::MAX) {
            return Err(InvalidRequest::InvalidHost);
        }
    }
    Ok(())
}

/// A byte of a registered name, before lower-casing.
fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// Normalizes `host`; `max_len` bounds its length as given. Uses `buf` (or `heap`,
/// for names longer than `buf`) only when the name has upper-case letters or is an IPv6
/// literal; otherwise returns a slice of `host`.
pub(crate) fn normalize_host<'a>(
    host: &'a str,
    max_len: usize,
    buf: &'a mut [u8],
    heap: &'a mut Vec<u8>,
) -> Result<&'a str, InvalidRequest> {
    let bytes = host.as_bytes();
    if bytes.is_empty() || bytes.len() > max_len {
        return Err(InvalidRequest::InvalidHost);
    }
    if bytes.first() == Some(&b'[') {
        return ipv6_literal(host, buf);
    }
    // A name has no `:`, so the first one starts the port. One pass finds it, checks
    // the name's bytes and empty labels, and notes upper case.
    let mut upper = false;
    let mut previous = b'.';
    let mut name_len = bytes.len();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b':' {
            name_len = i;
            break;
        }
        if !is_name_byte(b) || (b == b'.' && previous == b'.') {
            return Err(InvalidRequest::InvalidHost);
        }
        upper |= b.is_ascii_uppercase();
        previous = b;
    }
    let (name, port) = host
        .split_at_checked(name_len)
        .ok_or(InvalidRequest::InvalidHost)?;
    if let Some(digits) = port.as_bytes().get(1..) {
        check_port(digits)?;
    }
    // One trailing `.`; what remains must not be empty or end in `.` (`a.b..`).
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.ends_with('.') {
        return Err(InvalidRequest::InvalidHost);
    }
    if !upper {
        return Ok(name);
    }
    let out: &'a mut [u8] = if name.len() <= buf.len() {
        buf
    } else {
        heap.clear();
        heap.resize(name.len(), 0);
        heap.as_mut_slice()
    };
    let out = out
        .get_mut(..name.len())
        .ok_or(InvalidRequest::InvalidHost)?;
    for (slot, &b) in out.iter_mut().zip(name.as_bytes()) {
        *slot = b.to_ascii_lowercase();
    }
    let out: &'a [u8] = out;
    std::str::from_utf8(out).map_err(|_| InvalidRequest::InvalidHost)
}

/// `[v6]` or `[v6]:port`: only hex digits, `:` and `.` inside the brackets, and they
/// must parse as an IPv6 address (no zone identifiers, no IPvFuture).
fn ipv6_literal<'a>(host: &'a str, buf: &'a mut [u8]) -> Result<&'a str, InvalidRequest> {
    let inside_and_after = host.get(1..).ok_or(InvalidRequest::InvalidHost)?;
    let (inside, after) = inside_and_after
        .split_once(']')
        .ok_or(InvalidRequest::InvalidHost)?;
    match after.as_bytes().split_first() {
        None => {}
        Some((b':', port)) => check_port(port)?,
        Some(_) => return Err(InvalidRequest::InvalidHost),
    }
    if !inside
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    {
        return Err(InvalidRequest::InvalidHost);
    }
    let address: Ipv6Addr = inside.parse().map_err(|_| InvalidRequest::InvalidHost)?;
    let mut writer = SliceWriter { buf, len: 0 };
    write!(writer, "[{address}]").map_err(|_| InvalidRequest::InvalidHost)?;
    let SliceWriter { buf, len } = writer;
    let buf: &'a [u8] = buf;
    let written = buf.get(..len).ok_or(InvalidRequest::InvalidHost)?;
    std::str::from_utf8(written).map_err(|_| InvalidRequest::InvalidHost)
}

/// Formats into a fixed buffer (no allocation); fails when it is full.
struct SliceWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl std::fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(std::fmt::Error)?;
        let slot = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
