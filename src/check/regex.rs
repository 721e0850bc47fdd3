//! Regular expressions of `~` tests: anchored at both ends, bounded in size.

use regex::bytes::{Regex, RegexBuilder};

/// Compiles `pattern` so that it must match a whole value. Matching is on bytes, with
/// Unicode enabled, so header values that are not UTF-8 are still matched as written.
/// An expression that needs more than `limit` bytes of heap is an error: this bounds
/// both memory and the time any one match can take.
pub(crate) fn anchored(pattern: &str, limit: usize) -> Result<Regex, String> {
    RegexBuilder::new(&format!(r"\A(?:{pattern})\z"))
        .size_limit(limit)
        .dfa_size_limit(limit)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => {
                format!("regular expression is too large (over the limit of {limit} bytes)")
            }
            regex::Error::Syntax(text) => {
                let last = text
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                let last = last.trim().trim_start_matches("error: ");
                format!("invalid regular expression: {last}")
            }
            other => format!("invalid regular expression: {other}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_both_ends() {
        let re = anchored("a|b", 1 << 18).unwrap();
        assert!(re.is_match(b"a"));
        assert!(!re.is_match(b"ab"));
        assert!(!re.is_match(b"xa"));
    }

    #[test]
    fn reports_syntax_and_size() {
        assert!(
            anchored("(", 1 << 18)
                .unwrap_err()
                .starts_with("invalid regular expression")
        );
        assert!(
            anchored(r"\w{1000}{1000}", 1 << 18)
                .unwrap_err()
                .contains("too large")
        );
    }
}
