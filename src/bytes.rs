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
    fn tables_hold_the_expression_for_every_byte() {
        static CLASS: ByteTable<u8> = byte_table!(|b| b % 7);
        static DIGIT: ByteTable<bool> = byte_table!(|b| b.is_ascii_digit());
        for b in 0..=255u8 {
            assert_eq!(CLASS.get(b), b % 7);
            assert_eq!(DIGIT.get(b), b.is_ascii_digit());
        }
    }
}
