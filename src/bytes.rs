//! Byte tables: one entry per byte value, built at compile time, read with one load
//! per byte on the hot paths of the normalizer; and the byte classes more than one
//! stage reads (the HTTP token bytes, for methods and header names in the checker and
//! the normalizer).

/// A value for every byte: what [`byte_table!`] builds.
#[derive(Debug)]
pub(crate) struct ByteTable<T>([T; 256]);

impl<T: Copy> ByteTable<T> {
    /// The table of `entries` (entry `b` for byte `b`); used by [`byte_table!`].
    pub(crate) const fn new(entries: [T; 256]) -> ByteTable<T> {
        ByteTable(entries)
    }

    /// The entry of `byte`.
    #[inline]
    #[expect(
        clippy::indexing_slicing,
        reason = "a byte always indexes a 256-entry table"
    )]
    pub(crate) const fn get(&self, byte: u8) -> T {
        self.0[byte as usize]
    }
}

/// Builds a [`ByteTable`] at compile time, the entry of each byte `b` being the value
/// of the expression: `byte_table!(|b| b.is_ascii_digit())`. Use it to initialize a
/// `static`, so that the table is computed once, by the compiler.
macro_rules! byte_table {
    (|$b:ident| $entry:expr) => {{
        let mut entries = [{
            let $b: u8 = 0;
            $entry
        }; 256];
        let mut i: usize = 0;
        while i < 256 {
            let $b = i as u8;
            #[allow(
                clippy::indexing_slicing,
                reason = "evaluated at compile time, where an index out of bounds is a build error"
            )]
            {
                entries[i] = $entry;
            }
            i += 1;
        }
        $crate::bytes::ByteTable::new(entries)
    }};
}
pub(crate) use byte_table;

/// The first eight bytes of `bytes` as one little-endian word (byte `k` in bits
/// `8k..8k + 8`): the unit of the word-at-a-time scans, which give it slices of
/// exactly eight bytes (0 for a shorter slice).
#[inline]
pub(crate) fn read_word(bytes: &[u8]) -> u64 {
    bytes
        .get(..8)
        .and_then(|word| word.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// The eight bytes of `bytes` from `at`, as an array, so that the scans over them
/// are unrolled and need no bounds checks (`None` past the end).
#[inline]
pub(crate) fn word_at(bytes: &[u8], at: usize) -> Option<&[u8; 8]> {
    bytes.get(at..at.checked_add(8)?)?.try_into().ok()
}

/// `0x01` in every byte of a word.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
/// The low seven bits of every byte of a word.
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The bytes of `word` equal to `byte`, marked by the high bit of each (`0x80`),
/// every other bit clear. Exact: no carry crosses from one byte into the next (the
/// usual `(x - 0x01…) & !x` test also marks a byte `0x01` above a match).
#[cfg(test)]
pub(crate) fn eq_mask(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    // Per byte: bit 7 of `(x & 0x7f) + 0x7f` is set when the low seven bits are not all
    // zero, and bit 7 of `x` when the high one is not: a byte is zero when neither is.
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The bytes of `word` equal to `byte`, marked by their high bit, for a word of ASCII
/// bytes (every high bit clear): the general mask (`eq_mask`, kept for the tests) in
/// four operations instead of six: no byte of `word ^ pattern` exceeds 0x7f, so adding 0x7f to each
/// sets its high bit exactly when it is not zero, and never carries into the next.
/// The word scans call it only on words whose bytes they have already looked up in
/// a table that stops at non-ASCII bytes.
#[inline]
pub(crate) fn ascii_eq_mask(word: u64, byte: u8) -> u64 {
    debug_assert!(word & !LOW7 == 0 && byte < 0x80);
    let x = word ^ (ONES * u64::from(byte));
    !x.wrapping_add(LOW7) & !LOW7
}

/// How many bytes a mask from [`ascii_eq_mask`] marks.
#[inline]
pub(crate) fn count_marked(mask: u64) -> u32 {
    // Each byte of `mask >> 7` is 0 or 1; the multiplication sums them into the top byte.
    ((mask >> 7).wrapping_mul(ONES) >> 56) as u32
}

/// The entries of `table` for the bytes of `chunk`, or-ed together: 0 when every byte's
/// entry is 0. One load per byte, no branch.
#[inline]
pub(crate) fn or_entries(table: &ByteTable<u8>, chunk: &[u8]) -> u8 {
    chunk.iter().fold(0, |all, &b| all | table.get(b))
}

/// The bytes of `chunk` whose entry in `table` is not 0, as bits (bit `k` for byte
/// `k`): one load, shift and or per byte, no branch, so that the first one is found
/// with `trailing_zeros`.
#[inline]
pub(crate) fn marked_bits(table: &ByteTable<u8>, chunk: &[u8; 8]) -> u32 {
    chunk
        .iter()
        .enumerate()
        .fold(0, |bits, (k, &b)| bits | u32::from(table.get(b) != 0) << k)
}

/// The bytes of an RFC 9110 token (`tchar`): what a method and a header name are made
/// of.
pub(crate) static TCHAR: ByteTable<bool> = byte_table!(|b| tchar(b));

/// Whether `byte` is an RFC 9110 `tchar` (one load, from [`TCHAR`]).
#[inline]
pub(crate) fn is_tchar(byte: u8) -> bool {
    TCHAR.get(byte)
}

/// RFC 9110 `tchar`: `ALPHA / DIGIT` and ``!#$%&'*+-.^_`|~``; for building tables
/// (at run time, read [`TCHAR`] or [`is_tchar`]).
pub(crate) const fn tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(
            byte,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tchar_is_rfc_9110() {
        let specials = b"!#$%&'*+-.^_`|~";
        for b in 0..=255u8 {
            let expected = b.is_ascii_alphanumeric() || specials.contains(&b);
            assert_eq!(is_tchar(b), expected, "byte {b:#04x}");
            assert_eq!(tchar(b), expected, "byte {b:#04x}");
        }
    }

    #[test]
    fn word_masks_mark_exactly_the_equal_bytes() {
        // Every byte value at every position, beside every value that could carry or
        // borrow into it (0x00, 0x01, 0x7f, 0x80, 0xff) and the searched byte itself.
        for searched in [b'/', b'.', 0x00, 0x7f, 0x80, 0xff] {
            for b in 0..=255u8 {
                for fill in [0x00, 0x01, 0x7f, 0x80, 0xff, searched, searched ^ 1] {
                    for at in 0..8 {
                        let mut bytes = [fill; 8];
                        bytes[at] = b;
                        let mask = eq_mask(u64::from_le_bytes(bytes), searched);
                        for (k, &x) in bytes.iter().enumerate() {
                            let marked = (mask >> (8 * k)) & 0xff;
                            assert_eq!(marked, if x == searched { 0x80 } else { 0 });
                        }
                        let count = bytes.iter().filter(|&&x| x == searched).count();
                        assert_eq!(count_marked(mask) as usize, count);
                        if searched < 0x80 && bytes.iter().all(u8::is_ascii) {
                            let word = u64::from_le_bytes(bytes);
                            assert_eq!(ascii_eq_mask(word, searched), mask);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn words_are_little_endian() {
        assert_eq!(read_word(b"\x01\0\0\0\0\0\0\x02"), 0x0200_0000_0000_0001);
        assert_eq!(
            read_word(b"\x01\0\0\0\0\0\0\x02\x03"),
            0x0200_0000_0000_0001
        );
        assert_eq!(read_word(b"\x01\x02"), 0);
        static ODD: ByteTable<u8> = byte_table!(|b| b & 1);
        assert_eq!(or_entries(&ODD, b"02468BDF"), 0);
        assert_eq!(or_entries(&ODD, b"0246813F"), 1);
        assert_eq!(marked_bits(&ODD, b"02468BDF"), 0);
        assert_eq!(marked_bits(&ODD, b"1246813F"), 0b0110_0001);
    }

    #[test]
    fn tables_hold_the_expression_for_every_byte() {
        static CLASS: ByteTable<u8> = byte_table!(|b| b % 7);
        static DIGIT: ByteTable<bool> = byte_table!(|b| b.is_ascii_digit());
        for b in 0..=255u8 {
            assert_eq!(CLASS.get(b), b % 7);
            assert_eq!(DIGIT.get(b), b.is_ascii_digit());
        }
    }
}
