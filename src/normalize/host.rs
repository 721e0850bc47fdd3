//! Host normalization (`docs/language.md`, *Request normalization*), without
//! allocating.
//!
//! Lower case, then the `:port` suffix removed, then one trailing `.` removed. The
//! characters allowed are read strictly (fail closed): a registered name may only carry
//! `a–z 0–9 - . _ ~` (RFC 3986 unreserved; upper case is folded first) and no empty
//! label; percent-escapes, sub-delimiters, `@` (userinfo), spaces and non-ASCII are
//! refused even where RFC 3986 would allow them in a `reg-name`, because no legitimate
//! service-to-service host needs them and each is a way to make two spellings of one
//! host. An IPv6 literal keeps its brackets and is written in its canonical RFC 5952
//! form, so that `[0:0::1]` and `[::1]` are one host. A name whose last label is a
//! number must be a plain dotted-quad IPv4 address: `127.1`, `0x7f.0.0.1` and
//! `2130706433` are other spellings of `127.0.0.1` to URL parsers, and are refused.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::HOST_INLINE;
use super::InvalidRequest;
use crate::bytes::{ByteTable, ascii_eq_mask, byte_table, marked_bits, or_entries, word_at};

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

/// Byte classes of a host: invalid, a name byte that needs no change, an upper-case
/// letter, `.`, `:`.
const H_INVALID: u8 = 0;
const H_NAME: u8 = 1;
const H_UPPER: u8 = 2;
const H_DOT: u8 = 3;
const H_COLON: u8 = 4;

/// The class of every byte, as a table: one load per byte.
static HOST_CLASS: ByteTable<u8> = byte_table!(|b| match b {
    b'A'..=b'Z' => H_UPPER,
    b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'~' => H_NAME,
    b'.' => H_DOT,
    b':' => H_COLON,
    _ => H_INVALID,
});

#[inline]
fn host_class(b: u8) -> u8 {
    HOST_CLASS.get(b)
}

/// The bytes the word scan of a name stops at: all but the name bytes that need no
/// change ([`H_NAME`]) and `.`.
static WORD_STOPS: ByteTable<u8> = byte_table!(|b| match b {
    b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'~' | b'.' => 0,
    _ => 1,
});

/// What the scan of a host that is not an IPv6 literal found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct NameScan {
    /// The name has upper-case letters.
    pub(super) upper: bool,
    /// Just after the last `.` of the name; 0 without one.
    pub(super) after_dot: usize,
    /// Where the name ends: the first `:`, or the length.
    pub(super) name_len: usize,
}

/// Scans a host that is not an IPv6 literal: a name has no `:`, so the first one
/// starts the port. One pass finds it, checks the name's bytes and empty labels, and
/// notes upper case.
///
/// Eight bytes at a time first, as far as they are name bytes that need no change and
/// dots with no `.` after a `.` (an empty label); [`scan_name_bytes`] goes on from
/// the first word that holds anything else (upper case, the `:` of the port, an
/// invalid byte), or from the last piece shorter than a word.
pub(super) fn scan_name(bytes: &[u8]) -> Result<NameScan, InvalidRequest> {
    let mut start = 0;
    let mut after_dot = 0;
    // 0x80 when the byte before `start` is a `.`, or `start` is 0: a leading `.` is an
    // empty label too.
    let mut dot_before: u64 = 0x80;
    while let Some(chunk) = word_at(bytes, start) {
        if or_entries(&WORD_STOPS, chunk) != 0 {
            return scan_to_port(bytes, start, 0, after_dot, dot_before);
        }
        let dots = ascii_eq_mask(u64::from_le_bytes(*chunk), b'.');
        if ((dots << 8) | dot_before) & dots != 0 {
            return Err(InvalidRequest::InvalidHost);
        }
        if dots != 0 {
            // Just after the highest marked byte, the last `.`.
            after_dot = start + (63 - dots.leading_zeros() as usize) / 8 + 1;
        }
        dot_before = dots >> 56;
        start += 8;
    }
    let len = bytes.len();
    if start == len {
        return Ok(NameScan {
            upper: false,
            after_dot,
            name_len: len,
        });
    }
    // The last `len - start` bytes (1 to 7), as the last word of the host when it
    // has one before them: its other bytes, and the pairs among them, have passed.
    let at = len.saturating_sub(8);
    let Some(last) = word_at(bytes, at).filter(|_| start > 0) else {
        return scan_name_bytes(bytes, start, after_dot);
    };
    if or_entries(&WORD_STOPS, last) != 0 {
        return scan_to_port(bytes, start, start - at, after_dot, 0);
    }
    let dots = ascii_eq_mask(u64::from_le_bytes(*last), b'.');
    if (dots << 8) & dots != 0 {
        return Err(InvalidRequest::InvalidHost);
    }
    if dots != 0 {
        // The last `.`: one of the new bytes, or else the one noted already.
        after_dot = at + (63 - dots.leading_zeros() as usize) / 8 + 1;
    }
    Ok(NameScan {
        upper: false,
        after_dot,
        name_len: len,
    })
}

/// [`scan_name`] on the word that ends at `start + 8 - old` (its first `old` bytes
/// come before `start` and have passed), which holds a byte the word scan stops at:
/// when the first such byte from `start` on is the `:` that starts the port, and the
/// bytes before it pass as the word scan's would, the name ends there. Otherwise
/// [`scan_name_bytes`] decides from `start`. `dot_before` is as in the word scan (0
/// when `old` is not 0: the word's own pairs cover the byte before `start`).
#[inline(never)]
fn scan_to_port(
    bytes: &[u8],
    start: usize,
    old: usize,
    after_dot: usize,
    dot_before: u64,
) -> Result<NameScan, InvalidRequest> {
    let at = start - old;
    let Some(chunk) = word_at(bytes, at) else {
        return scan_name_bytes(bytes, start, after_dot);
    };
    // The first stop among the new bytes.
    let stop = (marked_bits(&WORD_STOPS, chunk) >> old << old).trailing_zeros() as usize;
    if chunk.get(stop) != Some(&b':') {
        return scan_name_bytes(bytes, start, after_dot);
    }
    // The bytes before the `:` (name bytes and dots: ASCII), the others cleared: a
    // zero byte marks nothing below.
    let word = u64::from_le_bytes(*chunk) & u64::MAX.checked_shr(64 - 8 * stop as u32).unwrap_or(0);
    let dots = ascii_eq_mask(word, b'.');
    if ((dots << 8) | dot_before) & dots != 0 {
        return Err(InvalidRequest::InvalidHost);
    }
    let after_dot = if dots == 0 {
        after_dot
    } else {
        at + (63 - dots.leading_zeros() as usize) / 8 + 1
    };
    Ok(NameScan {
        upper: false,
        after_dot,
        name_len: at + stop,
    })
}

/// [`scan_name`] byte by byte from `start`, when the bytes before it are name bytes
/// that need no change and dots, with no empty label, the last `.` just before
/// `after_dot`. The common byte (lower case, digit, `-`, `_`, `~`) costs one table load.
pub(super) fn scan_name_bytes(
    bytes: &[u8],
    start: usize,
    after_dot: usize,
) -> Result<NameScan, InvalidRequest> {
    let mut upper = false;
    // 0 stands for a `.` before the name, so that a leading `.` counts as an empty
    // label.
    let mut after_dot = after_dot;
    let mut name_len = bytes.len();
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        let class = host_class(b);
        // The common byte first, with one compare (a `match` alone becomes a jump
        // table, an indirect jump per byte).
        if class == H_NAME {
            continue;
        }
        match class {
            H_UPPER => upper = true,
            H_DOT => {
                if i == after_dot {
                    return Err(InvalidRequest::InvalidHost);
                }
                after_dot = i + 1;
            }
            H_COLON => {
                name_len = i;
                break;
            }
            _ => return Err(InvalidRequest::InvalidHost),
        }
    }
    Ok(NameScan {
        upper,
        after_dot,
        name_len,
    })
}

/// Normalizes `host`; `max_len` bounds its length as given. Uses `buf` (or `heap`,
/// for names longer than `buf`) only when the name has upper-case letters or is an IPv6
/// literal; otherwise returns a slice of `host`.
pub(crate) fn normalize_host<'a>(
    host: &'a str,
    max_len: usize,
    buf: &'a mut Option<[u8; HOST_INLINE]>,
    heap: &'a mut Vec<u8>,
) -> Result<&'a str, InvalidRequest> {
    let bytes = host.as_bytes();
    if bytes.is_empty() || bytes.len() > max_len {
        return Err(InvalidRequest::InvalidHost);
    }
    if bytes.first() == Some(&b'[') {
        return ipv6_literal(host, buf.get_or_insert([0; HOST_INLINE]));
    }
    let NameScan {
        upper,
        after_dot,
        name_len,
    } = scan_name(bytes)?;
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
    // The last label starts after the last `.` the loop saw, unless that `.` was
    // the trailing one just removed.
    let last_label = match name.get(after_dot..) {
        Some(label) if after_dot > 0 => label,
        _ => name.rsplit_once('.').map_or(name, |(_, label)| label),
    };
    // A number starts with a digit (`0x` too): most names end in a label that does
    // not, and are done with one compare.
    if last_label
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_digit)
        && is_number(last_label)
        && name.parse::<Ipv4Addr>().is_err()
    {
        return Err(InvalidRequest::InvalidHost);
    }
    if !upper {
        return Ok(name);
    }
    let out: &'a mut [u8] = if name.len() <= HOST_INLINE {
        buf.get_or_insert([0; HOST_INLINE]).as_mut_slice()
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

/// Whether a label is a number: decimal digits, or `0x` and hex digits (the WHATWG
/// URL standard's "ends in a number" test looks at the last label). URL parsers and `inet_aton` read
/// such a name as an IPv4 address, and accept forms that are not dotted quads:
/// `127.1`, `0x7f.0.0.1`, `2130706433` and `0177.0.0.1` all name 127.0.0.1. A name
/// that ends in a number is valid only as a plain dotted quad (no leading zeros), so
/// that one address is one host.
fn is_number(label: &str) -> bool {
    match label.as_bytes() {
        [b'0', b'x' | b'X', hex @ ..] => hex.iter().all(u8::is_ascii_hexdigit),
        [first, rest @ ..] => first.is_ascii_digit() && rest.iter().all(u8::is_ascii_digit),
        [] => false,
    }
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
