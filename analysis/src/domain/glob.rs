//! Identities: classes cut by identity globs (`*` any run without `/`, `**` any run),
//! over the valid identities of language §6 (not empty, no controls or white space,
//! no `.` or `..` segment; one that starts with `spiffe:` in any case must be a
//! valid SPIFFE ID).

use portcullis::view::GlobView;

use super::automaton::{Classes, Patterns, Token, TooComplex, Validity};

/// The characters tried, in order, as the fresh unit: valid in every part of a
/// SPIFFE ID and of a general identity.
const FRESH: &str = "xyzqjkwvubcdefghilmnoprstua0123456789-_";

/// The classes of the identity domain for `globs` (without the absent identity).
pub(crate) fn identities(globs: &[GlobView<'_>]) -> Result<Classes, TooComplex> {
    let mut patterns = Patterns::new();
    for glob in globs {
        let tokens = tokens(glob, &mut patterns);
        patterns.add(vec![tokens]);
    }
    if !patterns.set_fresh(FRESH) {
        return Err(TooComplex);
    }
    patterns.classes(&IdentityValidity)
}

fn tokens(glob: &GlobView<'_>, patterns: &mut Patterns) -> Vec<Token> {
    let (text, tail) = match glob {
        GlobView::Exact(t) | GlobView::General(t) => (*t, None),
        GlobView::PrefixOneSegment(p) => (*p, Some(Token::Star)),
        GlobView::PrefixAny(p) => (*p, Some(Token::Any)),
    };
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '*' {
            if chars.peek() == Some(&'*') {
                while chars.peek() == Some(&'*') {
                    chars.next();
                }
                out.push(Token::Any);
            } else {
                out.push(Token::Star);
            }
        } else {
            out.push(Token::Unit(patterns.unit(c.encode_utf8(&mut [0; 4]))));
        }
    }
    out.extend(tail);
    out
}

/// Valid identities, as a deterministic automaton. The state packs:
/// - bits 0–3: how many characters of `spiffe:` were read (case folded), 8 once the
///   identity cannot start so (then only the general rules apply);
/// - bit 4: those characters were not all lower case;
/// - bits 5–6: the general rules' segment state (empty, `.`, `..`, other);
/// - bit 7: some character was read;
/// - bits 8–11: the SPIFFE state once `spiffe:` was read.
#[derive(Debug)]
pub(crate) struct IdentityValidity;

const DIVERGED: u32 = 8;
const SEG_EMPTY: u32 = 0;
const SEG_DOT: u32 = 1;
const SEG_DOTDOT: u32 = 2;
const SEG_OTHER: u32 = 3;
// SPIFFE states after `spiffe:`.
const SP_SLASH1: u32 = 0;
const SP_SLASH2: u32 = 1;
const SP_TD_EMPTY: u32 = 2;
const SP_TD: u32 = 3;
const SP_SEG_EMPTY: u32 = 4;
const SP_SEG_DOT: u32 = 5;
const SP_SEG_DOTDOT: u32 = 6;
const SP_SEG: u32 = 7;

fn pack(scheme: u32, upper: bool, seg: u32, nonempty: bool, spiffe: u32) -> u32 {
    scheme | u32::from(upper) << 4 | seg << 5 | u32::from(nonempty) << 7 | spiffe << 8
}

fn unpack(state: u32) -> (u32, bool, u32, bool, u32) {
    (
        state & 0xf,
        state & 0x10 != 0,
        (state >> 5) & 3,
        state & 0x80 != 0,
        state >> 8,
    )
}

impl Validity for IdentityValidity {
    fn start(&self) -> u32 {
        pack(0, false, SEG_EMPTY, false, SP_SLASH1)
    }

    fn step(&self, state: u32, unit: &str) -> Option<u32> {
        let mut chars = unit.chars();
        let c = chars.next()?;
        let (scheme, upper, seg, _, spiffe) = unpack(state);
        if scheme == 7 {
            if upper {
                return None;
            }
            return spiffe_step(spiffe, c).map(|s| pack(7, false, SEG_OTHER, true, s));
        }
        if c.is_control() || c.is_whitespace() {
            return None;
        }
        let seg = match (seg, c) {
            (SEG_DOT | SEG_DOTDOT, '/') => return None,
            (_, '/') => SEG_EMPTY,
            (SEG_EMPTY, '.') => SEG_DOT,
            (SEG_DOT, '.') => SEG_DOTDOT,
            _ => SEG_OTHER,
        };
        let (scheme, upper) = if scheme == DIVERGED {
            (DIVERGED, upper)
        } else {
            let expected = b"spiffe:".get(scheme as usize).copied().map(char::from);
            if expected.is_some_and(|e| e.eq_ignore_ascii_case(&c)) {
                (scheme + 1, upper || c.is_ascii_uppercase())
            } else {
                (DIVERGED, false)
            }
        };
        Some(pack(scheme, upper, seg, true, SP_SLASH1))
    }

    fn accepts(&self, state: u32) -> bool {
        let (scheme, upper, seg, nonempty, spiffe) = unpack(state);
        if scheme == 7 {
            !upper && matches!(spiffe, SP_TD | SP_SEG)
        } else {
            nonempty && !matches!(seg, SEG_DOT | SEG_DOTDOT)
        }
    }
}

fn spiffe_step(state: u32, c: char) -> Option<u32> {
    let lower = c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_');
    let segment = lower || c.is_ascii_uppercase();
    match (state, c) {
        (SP_SLASH1, '/') => Some(SP_SLASH2),
        (SP_SLASH2, '/') => Some(SP_TD_EMPTY),
        (SP_TD_EMPTY | SP_TD, _) if lower => Some(SP_TD),
        (SP_TD, '/') => Some(SP_SEG_EMPTY),
        (SP_SEG_DOT | SP_SEG_DOTDOT | SP_SEG_EMPTY, '/') => None,
        (SP_SEG, '/') => Some(SP_SEG_EMPTY),
        (SP_SEG_EMPTY, '.') => Some(SP_SEG_DOT),
        (SP_SEG_DOT, '.') => Some(SP_SEG_DOTDOT),
        (SP_SEG_EMPTY | SP_SEG_DOT | SP_SEG_DOTDOT | SP_SEG, _) if segment => Some(SP_SEG),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(text: &str) -> bool {
        let v = IdentityValidity;
        let mut state = v.start();
        for c in text.chars() {
            match v.step(state, c.encode_utf8(&mut [0; 4])) {
                Some(s) => state = s,
                None => return false,
            }
        }
        v.accepts(state)
    }

    #[test]
    fn validity_follows_the_language() {
        for ok in [
            "spiffe://td",
            "spiffe://td/a/B",
            "x",
            "Spif",
            "a/b",
            "a//b",
            "...",
            "spiffex",
        ] {
            assert!(valid(ok), "{ok}");
        }
        for bad in [
            "",
            "SPIFFE://td",
            "spiffe:/td",
            "spiffe://",
            "spiffe://td/",
            "spiffe://TD",
            "spiffe://td/./a",
            "spiffe://td//a",
            "a/./b",
            "..",
            "a b",
        ] {
            assert!(!valid(bad), "{bad}");
        }
    }

    #[test]
    fn classes_of_overlapping_globs() {
        let globs = [
            GlobView::PrefixOneSegment("spiffe://p/ns/web/sa/"),
            GlobView::Exact("spiffe://p/ns/web/sa/frontend"),
            GlobView::PrefixAny("spiffe://p/"),
            GlobView::General("spiffe://p/ns/*/sa/db"),
        ];
        let classes = identities(&globs).unwrap();
        // none; **; ** and */sa/db; ** and web/*; ** and web/* and exact; ** and
        // web/* and */sa/db (`spiffe://p/ns/web/sa/db`).
        assert_eq!(classes.reps.len(), 6, "{:?}", classes.reps);
        assert_eq!(classes.reps[0], "x");
        for rep in &classes.reps {
            assert!(valid(rep), "{rep}");
        }
        assert_eq!(classes.matched[1].len(), 1);
        assert_eq!(classes.matched[0].len(), 3);
    }
}
