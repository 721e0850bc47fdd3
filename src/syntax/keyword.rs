//! The reserved words of the language, written once: the lexer reads them, the
//! printer writes them, and name validation refuses them, all from the table below.

use crate::syntax::ast::{Effect, RuleKind, Subject};

/// Declares [`Keyword`] from one table of variants and spellings.
macro_rules! keywords {
    ($($variant:ident = $text:literal,)*) => {
        /// A reserved word.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Keyword {
            $(
                #[doc = concat!("`", $text, "`")]
                $variant,
            )*
        }

        impl Keyword {
            /// Every keyword, in the table's order.
            #[cfg(test)]
            pub(crate) const ALL: &'static [Keyword] = &[$(Keyword::$variant,)*];

            /// The keyword as written.
            pub(crate) fn as_str(self) -> &'static str {
                match self {
                    $(Keyword::$variant => $text,)*
                }
            }

            /// The keyword spelled `word`, if any.
            pub(crate) fn from_word(word: &str) -> Option<Keyword> {
                match word {
                    $($text => Some(Keyword::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

keywords! {
    Default = "default",
    Allow = "allow",
    Deny = "deny",
    Audit = "audit",
    Let = "let",
    Test = "test",
    By = "by",
    Identity = "identity",
    Method = "method",
    Path = "path",
    Host = "host",
    Port = "port",
    Source = "source",
    Header = "header",
    Attr = "attr",
    Not = "not",
    In = "in",
    Present = "present",
}

impl Keyword {
    /// The keyword a condition on `subject` starts with.
    pub(crate) fn of_subject(subject: &Subject) -> Keyword {
        match subject {
            Subject::Identity => Keyword::Identity,
            Subject::Method => Keyword::Method,
            Subject::Path => Keyword::Path,
            Subject::Host => Keyword::Host,
            Subject::Port => Keyword::Port,
            Subject::Source => Keyword::Source,
            Subject::Header(_) => Keyword::Header,
            Subject::Attr(_) => Keyword::Attr,
        }
    }

    /// The keyword a rule of `kind` starts with.
    pub(crate) fn of_rule(kind: RuleKind) -> Keyword {
        match kind {
            RuleKind::Allow => Keyword::Allow,
            RuleKind::Deny => Keyword::Deny,
            RuleKind::Audit => Keyword::Audit,
        }
    }

    /// The keyword of `effect`.
    pub(crate) fn of_effect(effect: Effect) -> Keyword {
        match effect {
            Effect::Allow => Keyword::Allow,
            Effect::Deny => Keyword::Deny,
        }
    }
}

/// Whether `s` is a name: `[a-z_][a-z0-9_]*` and not a keyword.
pub(crate) fn is_name(s: &str) -> bool {
    name_shaped(s) && Keyword::from_word(s).is_none()
}

/// Whether `s` is `[a-z_][a-z0-9_]*` (a name, or a keyword).
pub(crate) fn name_shaped(s: &str) -> bool {
    s.as_bytes().split_first().is_some_and(|(&first, rest)| {
        (first.is_ascii_lowercase() || first == b'_')
            && rest
                .iter()
                .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    })
}

/// Whether `s` is a bare method token: `[A-Z][A-Z0-9_-]*`.
pub(crate) fn is_method(s: &str) -> bool {
    s.as_bytes().split_first().is_some_and(|(&first, rest)| {
        first.is_ascii_uppercase()
            && rest
                .iter()
                .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    })
}

/// Why `s` is not a name, for a message (`None` when it is one).
pub(crate) fn not_a_name(s: &str) -> Option<String> {
    if is_name(s) {
        None
    } else if Keyword::from_word(s).is_some() {
        Some(format!("invalid name `{s}`: `{s}` is a keyword"))
    } else {
        Some(format!(
            "invalid name `{}`: a name is lower-case letters, digits and `_`, not starting with a digit",
            crate::syntax::lex::shown(s)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_read_back() {
        for &keyword in Keyword::ALL {
            assert_eq!(Keyword::from_word(keyword.as_str()), Some(keyword));
            assert!(name_shaped(keyword.as_str()));
            assert!(!is_name(keyword.as_str()));
        }
        assert_eq!(Keyword::ALL.len(), 18);
        assert_eq!(Keyword::from_word("Allow"), None);
    }

    #[test]
    fn names_and_methods() {
        for name in ["a", "_", "frontends", "a_1", "fd00"] {
            assert!(is_name(name), "{name}");
            assert_eq!(not_a_name(name), None);
        }
        for bad in ["", "A", "a-b", "1a", "in", "é"] {
            assert!(!is_name(bad), "{bad}");
            assert!(not_a_name(bad).is_some(), "{bad}");
        }
        assert!(not_a_name("in").unwrap_or_default().contains("keyword"));
        for method in ["GET", "M-SEARCH", "A_", "Z9"] {
            assert!(is_method(method), "{method}");
        }
        for bad in ["", "get", "Get", "-A", "9A"] {
            assert!(!is_method(bad), "{bad}");
        }
    }
}
