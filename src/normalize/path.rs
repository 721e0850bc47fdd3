//! Path normalization (steps 1–9 of the [module docs](super)), without allocating.
//!
//! One pass over the request target turns it into a stream of *tokens* (text bytes,
//! kept escapes and slashes) after steps 1–6, and feeds every segment, when it ends,
//! to the dot-segment logic of steps 7 and 9, on the path as it is before runs of `/`
//! are merged: a `..` that would remove an empty segment is found there (step 7).
//! When merging is on, runs of `/` are merged afterwards, in place (step 8); when no
//! `..` removes an empty segment, merging before or after removing dot segments gives
//! the same path, so the documented order is kept. The output is written into a
//! caller-provided buffer; it is never longer than the input path, because every step
//! either keeps a byte, keeps an escape at its length, or shortens.
//!
//! A path that needs no change at all (no `%`, `\`, `;`, no dot segment, no `//` when
//! merging) is recognised by a cheaper first scan and borrowed from the input.

use super::PathBuffers;
use super::{Backslash, EscapedSlashes, InvalidRequest, Options, Semicolon};
use crate::bytes::{
    ByteTable, ONES, ascii_eq_mask, byte_table, count_marked, marked_bits, or_entries, word_at,
};

/// Byte classes of the request target.
const PLAIN: u8 = 0;
const DOT: u8 = 1;
const SLASH: u8 = 2;
const PERCENT: u8 = 3;
const BACKSLASH: u8 = 4;
const SEMICOLON: u8 = 5;
/// `?`: the end of the path.
const END: u8 = 6;
const INVALID: u8 = 7;
/// `#`: a fragment, which makes the request invalid (step 2).
const HASH: u8 = 8;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// The class of every byte, as a table: one load per byte on the hot path.
static CLASS: ByteTable<u8> = byte_table!(|b| class_of(b));

/// The class of a byte.
#[inline]
fn class(byte: u8) -> u8 {
    CLASS.get(byte)
}

/// Which raw bytes a path may carry (step 3), and what the others are.
const fn class_of(byte: u8) -> u8 {
    match byte {
        b'A'..=b'Z'
        | b'a'..=b'z'
        | b'0'..=b'9'
        | b'-'
        | b'_'
        | b'~'
        | b'!'
        | b'$'
        | b'&'
        | b'\''
        | b'('
        | b')'
        | b'*'
        | b'+'
        | b','
        | b'='
        | b':'
        | b'@' => PLAIN,
        b'/' => SLASH,
        b'.' => DOT,
        b'%' => PERCENT,
        b'\\' => BACKSLASH,
        b';' => SEMICOLON,
        b'?' => END,
        b'#' => HASH,
        _ => INVALID,
    }
}

fn hex_value(byte: Option<&u8>) -> Option<u8> {
    match byte? {
        b @ b'0'..=b'9' => Some(b - b'0'),
        b @ b'a'..=b'f' => Some(b - b'a' + 10),
        b @ b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// RFC 3986 unreserved: the escapes that are decoded.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// ASCII control bytes, rejected anywhere in the target.
const fn is_control(byte: u8) -> bool {
    byte < 0x20 || byte == 0x7f
}

/// Incremental UTF-8 validation of the decoded byte string (raw bytes are ASCII;
/// escapes contribute the byte they encode). Follows the well-formed byte sequences
/// of Unicode table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF.
#[derive(Clone, Copy)]
struct Utf8 {
    /// Continuation bytes still expected.
    need: u8,
    /// Bounds of the next continuation byte.
    lo: u8,
    hi: u8,
}

impl Utf8 {
    const START: Utf8 = Utf8 {
        need: 0,
        lo: 0x80,
        hi: 0xbf,
    };

    /// An ASCII byte: valid only between characters.
    fn ascii(&self) -> Result<(), InvalidRequest> {
        if self.need == 0 {
            Ok(())
        } else {
            Err(InvalidRequest::InvalidUtf8)
        }
    }

    /// Any byte (from an escape).
    fn byte(&mut self, byte: u8) -> Result<(), InvalidRequest> {
        if self.need > 0 {
            if byte < self.lo || byte > self.hi {
                return Err(InvalidRequest::InvalidUtf8);
            }
            self.need -= 1;
            self.lo = 0x80;
            self.hi = 0xbf;
            return Ok(());
        }
        let (need, lo, hi) = match byte {
            0x00..=0x7f => return Ok(()),
            0xc2..=0xdf => (1, 0x80, 0xbf),
            0xe0 => (2, 0xa0, 0xbf),
            0xe1..=0xec | 0xee..=0xef => (2, 0x80, 0xbf),
            0xed => (2, 0x80, 0x9f),
            0xf0 => (3, 0x90, 0xbf),
            0xf1..=0xf3 => (3, 0x80, 0xbf),
            0xf4 => (3, 0x80, 0x8f),
            _ => return Err(InvalidRequest::InvalidUtf8),
        };
        *self = Utf8 { need, lo, hi };
        Ok(())
    }

    /// The end of the path: no character may be left unfinished.
    fn finish(&self) -> Result<(), InvalidRequest> {
        self.ascii()
    }
}

/// The output buffer, with the start of the segment being written. It holds the path
/// with its dot segments removed but its runs of `/` not yet merged.
struct Out<'b> {
    buf: &'b mut [u8],
    len: usize,
    /// Where the current (last) segment starts: just after its `/`.
    seg_start: usize,
    /// Whether an empty segment was ended (the output may hold `//`): only then has
    /// merging anything to do.
    ended_empty: bool,
}

impl Out<'_> {
    #[inline]
    fn push(&mut self, byte: u8) -> Result<(), InvalidRequest> {
        // The output is never longer than the input and the buffer is at least as long
        // as the input, so this never fails; if it did, refuse rather than panic.
        let slot = self
            .buf
            .get_mut(self.len)
            .ok_or(InvalidRequest::PathTooLong)?;
        *slot = byte;
        self.len += 1;
        Ok(())
    }

    fn push_escape(&mut self, byte: u8) -> Result<(), InvalidRequest> {
        self.push(b'%')?;
        self.push(hex_digit(byte >> 4))?;
        self.push(hex_digit(byte & 0x0f))
    }

    /// 1 for a `.` segment, 2 for `..`, 0 otherwise.
    fn current_dots(&self) -> usize {
        match self.buf.get(self.seg_start..self.len) {
            Some(b".") => 1,
            Some(b"..") => 2,
            _ => 0,
        }
    }

    /// Drops the last complete segment before the current (empty) one, with its `/`,
    /// unless the output is the root: `..` at the root stays at the root. Dropping an
    /// empty segment makes the request invalid (step 7): RFC 3986 resolvers and URL
    /// parsers read `/a//../b` as `/a/b`, path cleaners that merge first as `/b`.
    fn pop_segment(&mut self) -> Result<(), InvalidRequest> {
        // Invariant: the byte before `seg_start` is a `/`, and `seg_start >= 1`.
        let before_slash = self.seg_start.saturating_sub(1);
        let previous = self
            .buf
            .get(..before_slash)
            .and_then(|head| head.iter().rposition(|&b| b == b'/'));
        if let Some(slash) = previous {
            if slash + 1 == before_slash {
                return Err(InvalidRequest::DotDotOverEmptySegment);
            }
            self.seg_start = slash + 1;
            self.len = self.seg_start;
        }
        Ok(())
    }

    /// A `/` ends the current segment (steps 7 and 9).
    fn end_segment(&mut self) -> Result<(), InvalidRequest> {
        match self.current_dots() {
            // `/./` → `/`: the `.` and this slash disappear.
            1 => self.len = self.seg_start,
            // `/../` → `/` and the previous segment disappears.
            2 => {
                self.len = self.seg_start;
                self.pop_segment()?;
            }
            _ => {
                if self.len == self.seg_start {
                    self.ended_empty = true;
                }
                self.push(b'/')?;
                self.seg_start = self.len;
            }
        }
        Ok(())
    }

    /// The end of the path ends the last segment: a final `.` or `..` leaves a `/`.
    fn end_path(&mut self) -> Result<(), InvalidRequest> {
        match self.current_dots() {
            1 => self.len = self.seg_start,
            2 => {
                self.len = self.seg_start;
                self.pop_segment()?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Step 8: merges every run of `/` into one, in place.
    fn merge_slashes(&mut self) {
        if !self.ended_empty {
            return;
        }
        let mut write = 0;
        let mut after_slash = false;
        for read in 0..self.len {
            let Some(&byte) = self.buf.get(read) else {
                break;
            };
            if byte == b'/' && after_slash {
                continue;
            }
            after_slash = byte == b'/';
            if let Some(slot) = self.buf.get_mut(write) {
                *slot = byte;
            }
            write += 1;
        }
        self.len = write;
    }
}

fn hex_digit(nibble: u8) -> u8 {
    HEX_UPPER.get(usize::from(nibble)).copied().unwrap_or(b'0')
}

/// Checks the query (from `rest`, which starts with `?`, or is empty): it is never
/// matched, but a `#` in it (a fragment, step 2) or an ASCII control byte is refused.
fn check_rest(rest: &[u8]) -> Result<(), InvalidRequest> {
    // One table load per byte, no branch, for the common query with neither.
    if or_entries(&QUERY_STOPS, rest) == 0 {
        return Ok(());
    }
    for &b in rest {
        if b == b'#' {
            return Err(InvalidRequest::Fragment);
        }
        if is_control(b) {
            return Err(InvalidRequest::InvalidQueryCharacter);
        }
    }
    Ok(())
}

/// The bytes [`check_rest`] refuses in a query: `#` and ASCII controls.
static QUERY_STOPS: ByteTable<u8> = byte_table!(|b| if b == b'#' || is_control(b) { 1 } else { 0 });

/// What the fast scan found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scan {
    /// The path needs no change; it ends at `end` (where the query starts)
    /// and has `segments` segments (as many as it has `/`).
    Unchanged { end: usize, segments: usize },
    /// The full pass must run, but the bytes before this point (whole segments, each
    /// with its `/`) come out as they are: it can start here.
    ChangedFrom(usize),
}

/// The bytes the word scan stops at: all but [`PLAIN`], [`DOT`] and [`SLASH`].
static STOPS: ByteTable<u8> = byte_table!(|b| match class_of(b) {
    PLAIN | DOT | SLASH => 0,
    _ => 1,
});

/// The fast path: does the path need no change? Where it does (or may be invalid),
/// how much of it is known to come out unchanged.
///
/// Eight bytes at a time first, as far as the path is plain bytes, dots and slashes
/// with no `/` followed by a `.` (where a dot segment could start), nor by a `/` when
/// merging: such bytes come out as they are, whatever the options. The last piece
/// shorter than eight bytes is read as the last eight bytes of the path, whose first
/// ones were read already. Where a word holds anything else, [`scan_bytes`] decides,
/// byte by byte from the start of that word's segment, exactly as if it had scanned
/// the whole path itself.
#[inline]
pub(super) fn scan_unchanged(bytes: &[u8], merge_slashes: bool) -> Scan {
    // bytes[0] == b'/' has been checked.
    let mut i = 1;
    let mut segments: usize = 1;
    // 0x80 when the byte before `i` is a `/` (the pair test across words).
    let mut slash_before: u64 = 0x80;
    // A `.` after a `/` could start a dot segment; a `/` after a `/` is an empty
    // segment, which merging removes. With the low bit of every byte cleared, `.`
    // (0x2e) and `/` (0x2f) are both 0x2e.
    let risky_bits = if merge_slashes { !ONES } else { !0 };
    while let Some(chunk) = word_at(bytes, i) {
        if or_entries(&STOPS, chunk) != 0 {
            return scan_to_query(bytes, i, 0, segments, slash_before, merge_slashes);
        }
        let word = u64::from_le_bytes(*chunk);
        let slashes = ascii_eq_mask(word, b'/');
        if ((slashes << 8) | slash_before) & ascii_eq_mask(word & risky_bits, b'.') != 0 {
            return scan_from_segment(bytes, i, segments, merge_slashes);
        }
        segments += count_marked(slashes) as usize;
        slash_before = slashes >> 56;
        i += 8;
    }
    let len = bytes.len();
    if i == len {
        return Scan::Unchanged { end: len, segments };
    }
    // The last `len - i` bytes (1 to 7), as the last word of the path when it has one
    // before them: its other bytes, and the pairs among them, have passed already.
    let Some(last) = len.checked_sub(8).and_then(|at| word_at(bytes, at)) else {
        return scan_bytes(bytes, 1, 1, merge_slashes);
    };
    if or_entries(&STOPS, last) != 0 {
        return scan_to_query(bytes, i, 8 - (len - i), segments, 0, merge_slashes);
    }
    let word = u64::from_le_bytes(*last);
    let slashes = ascii_eq_mask(word, b'/');
    if (slashes << 8) & ascii_eq_mask(word & risky_bits, b'.') != 0 {
        return scan_from_segment(bytes, i, segments, merge_slashes);
    }
    // Only the new bytes' slashes: the top `len - i` bytes of the word.
    let new_slashes = slashes >> (8 * (8 - (len - i)));
    Scan::Unchanged {
        end: len,
        segments: segments + count_marked(new_slashes) as usize,
    }
}

/// [`scan_unchanged`] on the word that ends at `i + 8 - old` (the first `old` of its
/// bytes come before `i` and have passed), which holds a byte the word scan stops at:
/// when the first such byte from `i` on is the `?` that starts the query, and the
/// bytes before it pass as the word scan's would, the path ends there, unchanged.
/// Otherwise [`scan_from_segment`] decides. `slash_before` is as in the word scan
/// (0 when `old` is not 0: the word's own pairs cover the byte before `i`).
#[inline(never)]
fn scan_to_query(
    bytes: &[u8],
    i: usize,
    old: usize,
    segments: usize,
    slash_before: u64,
    merge_slashes: bool,
) -> Scan {
    let start = i - old;
    let Some(chunk) = word_at(bytes, start) else {
        return scan_from_segment(bytes, i, segments, merge_slashes);
    };
    // The first stop among the new bytes.
    let stop = (marked_bits(&STOPS, chunk) >> old << old).trailing_zeros() as usize;
    if chunk.get(stop) != Some(&b'?') {
        return scan_from_segment(bytes, i, segments, merge_slashes);
    }
    // The bytes before the `?` (plain bytes, dots and slashes: ASCII), the others
    // cleared: a zero byte marks nothing below.
    let word = u64::from_le_bytes(*chunk) & u64::MAX.checked_shr(64 - 8 * stop as u32).unwrap_or(0);
    let risky_bits = if merge_slashes { !ONES } else { !0 };
    let slashes = ascii_eq_mask(word, b'/');
    if ((slashes << 8) | slash_before) & ascii_eq_mask(word & risky_bits, b'.') != 0 {
        return scan_from_segment(bytes, i, segments, merge_slashes);
    }
    Scan::Unchanged {
        end: start + stop,
        // Only the new bytes' slashes.
        segments: segments + count_marked(slashes >> (8 * old)) as usize,
    }
}

/// [`scan_bytes`] from the start of the segment that holds `at`, when the bytes
/// before `at` come out as they are and have `segments` slashes.
#[cold]
fn scan_from_segment(bytes: &[u8], at: usize, segments: usize, merge_slashes: bool) -> Scan {
    let seg_start = bytes
        .get(..at)
        .and_then(|head| head.iter().rposition(|&b| b == b'/'))
        .map_or(1, |slash| slash + 1);
    scan_bytes(bytes, seg_start, segments, merge_slashes)
}

/// [`scan_unchanged`] byte by byte from `seg_start`, the start of a segment, when
/// `bytes[..seg_start]` would come out as it is and has `segments` slashes.
pub(super) fn scan_bytes(
    bytes: &[u8],
    seg_start: usize,
    segments: usize,
    merge_slashes: bool,
) -> Scan {
    let mut seg_start = seg_start;
    let mut segments = segments;
    let mut end = bytes.len();
    for (i, &b) in bytes.iter().enumerate().skip(seg_start) {
        let c = class(b);
        // The common case first, with one compare: `PLAIN` and `DOT` are 0 and 1.
        if c <= DOT {
            continue;
        }
        match c {
            SLASH => {
                if is_dot_segment(bytes.get(seg_start..i)) || (merge_slashes && i == seg_start) {
                    return Scan::ChangedFrom(seg_start);
                }
                seg_start = i + 1;
                segments += 1;
            }
            END => {
                end = i;
                break;
            }
            _ => return Scan::ChangedFrom(seg_start),
        }
    }
    if is_dot_segment(bytes.get(seg_start..end)) {
        return Scan::ChangedFrom(seg_start);
    }
    Scan::Unchanged { end, segments }
}

fn is_dot_segment(segment: Option<&[u8]>) -> bool {
    matches!(segment, Some(b"." | b".."))
}

/// Normalizes the request target `target` and returns the normalized path (no query).
///
/// Writes into `buf` when the path needs changing and fits (paths up to the default
/// limit do), else into `heap`; returns `target`'s own path when nothing changes.
pub(crate) fn normalize_path<'a>(
    target: &'a str,
    options: &Options,
    buffers: &'a mut PathBuffers,
) -> Result<&'a str, InvalidRequest> {
    normalize_path_counted(target, options, buffers).map(|(path, _)| path)
}

/// [`normalize_path`], with the number of segments of the normalized path (its
/// number of `/`).
pub(crate) fn normalize_path_counted<'a>(
    target: &'a str,
    options: &Options,
    buffers: &'a mut PathBuffers,
) -> Result<(&'a str, usize), InvalidRequest> {
    let bytes = target.as_bytes();
    check_length_and_root(bytes, options)?;
    let start = match scan_unchanged(bytes, options.merge_slashes) {
        Scan::Unchanged { end, segments } => {
            let (path, rest) = target
                .split_at_checked(end)
                .ok_or(InvalidRequest::PathTooLong)?;
            check_rest(rest.as_bytes())?;
            return Ok((path, segments));
        }
        Scan::ChangedFrom(start) => start,
    };
    rewrite(bytes, start, options, buffers)
}

/// [`normalize_path_counted`] without the fast scan: the full pass over the whole
/// path, which the fast scan must agree with on every input.
#[cfg(test)]
pub(super) fn normalize_path_rewritten<'a>(
    target: &'a str,
    options: &Options,
    buffers: &'a mut PathBuffers,
) -> Result<(&'a str, usize), InvalidRequest> {
    let bytes = target.as_bytes();
    check_length_and_root(bytes, options)?;
    rewrite(bytes, 1, options, buffers)
}

/// Step 1, before either pass: a target within the length limit that begins with `/`.
fn check_length_and_root(bytes: &[u8], options: &Options) -> Result<(), InvalidRequest> {
    if bytes.len() > options.limits.max_path_len {
        return Err(InvalidRequest::PathTooLong);
    }
    if bytes.first() != Some(&b'/') {
        return Err(InvalidRequest::PathNotAbsolute);
    }
    Ok(())
}

/// The full pass from `start`, the start of a segment, when `bytes[..start]` comes out
/// as it is (plain bytes and single slashes, no dot segment, all ASCII).
fn rewrite<'a>(
    bytes: &[u8],
    start: usize,
    options: &Options,
    buffers: &'a mut PathBuffers,
) -> Result<(&'a str, usize), InvalidRequest> {
    // Copy the prefix and go on from there, as if the pass had just ended a segment.
    let out_buf = buffers.get(bytes.len());
    let prefix = bytes.get(..start).ok_or(InvalidRequest::PathTooLong)?;
    out_buf
        .get_mut(..start)
        .ok_or(InvalidRequest::PathTooLong)?
        .copy_from_slice(prefix);
    let mut out = Out {
        buf: out_buf,
        len: start,
        seg_start: start,
        // The fast scan stops at the first empty segment when merging: the prefix
        // has none then.
        ended_empty: false,
    };
    let end = full_pass(bytes, start, options, &mut out)?;
    if options.merge_slashes {
        out.merge_slashes();
    }
    check_rest(bytes.get(end..).unwrap_or_default())?;
    let Out { buf, len, .. } = out;
    let buf: &'a [u8] = buf;
    let written = buf.get(..len).ok_or(InvalidRequest::PathTooLong)?;
    let path = std::str::from_utf8(written).map_err(|_| InvalidRequest::InvalidPathCharacter)?;
    // A rewritten path is rare enough to count its segments again.
    let segments = written.iter().filter(|&&b| b == b'/').count();
    Ok((path, segments))
}

/// What one step of the scan produced.
enum Token {
    /// A byte of segment text.
    Text(u8),
    /// An escape kept as `%XX` text.
    Escape(u8),
    /// A segment separator.
    Slash,
    /// Nothing to write (the `;` that starts stripped parameters).
    Nothing,
}

/// Steps 2–7 and 9 over `bytes[start..]` (`bytes` starts with `/`; `start` is the start
/// of a segment, and `bytes[..start]` is already written); returns where the path ends
/// (the first `?`, or the length).
fn full_pass(
    bytes: &[u8],
    start: usize,
    options: &Options,
    out: &mut Out<'_>,
) -> Result<usize, InvalidRequest> {
    let mut utf8 = Utf8::START;
    // Inside a segment's `;...` parameters under `Semicolon::Strip`.
    let mut stripping = false;
    let mut i = start;
    let end = loop {
        let Some(&b) = bytes.get(i) else {
            break bytes.len();
        };
        i += 1;
        let token = match class(b) {
            PLAIN | DOT => {
                utf8.ascii()?;
                Token::Text(b)
            }
            SLASH => {
                utf8.ascii()?;
                Token::Slash
            }
            BACKSLASH => {
                utf8.ascii()?;
                backslash(options)?
            }
            SEMICOLON => {
                utf8.ascii()?;
                match options.semicolon {
                    Semicolon::Keep => Token::Text(b';'),
                    Semicolon::Strip => {
                        stripping = true;
                        Token::Nothing
                    }
                    Semicolon::Reject => return Err(InvalidRequest::Semicolon),
                }
            }
            PERCENT => {
                let high = hex_value(bytes.get(i)).ok_or(InvalidRequest::MalformedEscape)?;
                let low = hex_value(bytes.get(i + 1)).ok_or(InvalidRequest::MalformedEscape)?;
                i += 2;
                let value = (high << 4) | low;
                utf8.byte(value)?;
                escape(value, options)?
            }
            END => break i - 1,
            HASH => return Err(InvalidRequest::Fragment),
            // Controls, space, non-ASCII, `"` `<` `>` `[` `]` `^` `` ` `` `{` `|` `}`.
            _ => return Err(InvalidRequest::InvalidPathCharacter),
        };
        match token {
            Token::Text(byte) if !stripping => out.push(byte)?,
            Token::Escape(byte) if !stripping => out.push_escape(byte)?,
            Token::Slash => {
                stripping = false;
                out.end_segment()?;
            }
            _ => {}
        }
    };
    utf8.finish()?;
    out.end_path()?;
    Ok(end)
}

/// Step 5: a raw `\` (or one decoded from `%5C`).
fn backslash(options: &Options) -> Result<Token, InvalidRequest> {
    match options.backslash {
        Backslash::Slash => Ok(Token::Slash),
        Backslash::Reject => Err(InvalidRequest::Backslash),
    }
}

/// Steps 3 and 4: what the escape of `value` becomes.
fn escape(value: u8, options: &Options) -> Result<Token, InvalidRequest> {
    match value {
        0 => Err(InvalidRequest::EncodedNul),
        b'/' | b'\\' => match options.escaped_slashes {
            EscapedSlashes::Reject => Err(InvalidRequest::EncodedSlash),
            EscapedSlashes::Keep => Ok(Token::Escape(value)),
            EscapedSlashes::Decode if value == b'/' => Ok(Token::Slash),
            EscapedSlashes::Decode => backslash(options),
        },
        _ if is_unreserved(value) => Ok(Token::Text(value)),
        b'%' | b';' | b'?' | b'#' | 0x01..=0x20 | 0x7f..=0xff if options.strict_escapes => {
            Err(InvalidRequest::AmbiguousEscape)
        }
        _ => Ok(Token::Escape(value)),
    }
}
