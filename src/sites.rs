//! Where a compiled policy's rules and conditions are written: for tools that point
//! at them (`explain` names the first condition that failed, `lint` the rule it
//! reports), without keeping the syntax tree or the source text.
//!
//! The checker records one entry per rule and per condition it keeps, in the order
//! of the compiled policy, so rule `i` of the policy is entry `i` here, and its
//! condition `j` is the `j`-th of its conditions. Condition texts share one string.

use std::sync::Arc;

use crate::check::Cond;
use crate::compile::hash::FxHashMap;
use crate::span::Span;
use crate::syntax::RuleKind;
use crate::view::{ConditionTest, view};

/// The places of a policy's rules and conditions.
#[derive(Debug, Default)]
pub(crate) struct Sites {
    /// Source names, in source order.
    files: Vec<Box<str>>,
    rules: Vec<RuleSite>,
    conditions: Vec<ConditionSite>,
    /// Every distinct condition text, one after the other.
    texts: String,
    /// While recording: where each distinct text is in `texts` (a policy repeats
    /// its conditions: the same method list or host in many rules). Emptied by
    /// [`Sites::finish`].
    seen: FxHashMap<Box<str>, (usize, usize)>,
}

#[derive(Debug)]
struct RuleSite {
    file: usize,
    span: Span,
    /// The range of its conditions in [`Sites::conditions`].
    conditions: (usize, usize),
}

#[derive(Debug)]
struct ConditionSite {
    span: Span,
    /// The range of its text in [`Sites::texts`].
    text: (usize, usize),
}

impl Sites {
    /// Room for `rules` rules with `conditions` conditions whose texts total at most
    /// `text_bytes` bytes, so that recording never reallocates.
    pub(crate) fn with_capacity(rules: usize, conditions: usize, text_bytes: usize) -> Sites {
        Sites {
            files: Vec::new(),
            rules: Vec::with_capacity(rules),
            conditions: Vec::with_capacity(conditions),
            texts: String::with_capacity(text_bytes),
            seen: FxHashMap::default(),
        }
    }

    /// Records a source; rules are then recorded for it.
    pub(crate) fn push_file(&mut self, name: &str) {
        self.files.push(name.into());
    }

    /// Records a rule at `span` of the last source recorded; its conditions follow.
    pub(crate) fn push_rule(&mut self, span: Span) {
        let at = self.conditions.len();
        self.rules.push(RuleSite {
            file: self.files.len().saturating_sub(1),
            span,
            conditions: (at, at),
        });
    }

    /// Records a condition of the last rule recorded: its span and its source text
    /// (white space collapsed by [`collapse`]), stored once however many conditions
    /// have it. Returns where the text is: conditions with the same text (the same
    /// range) are the same condition, since names are the policy's.
    pub(crate) fn push_condition(&mut self, span: Span, text: &str) -> (usize, usize) {
        let start = self.texts.len();
        collapse(text, &mut self.texts);
        let end = self.texts.len();
        let written = self.texts.get(start..end).unwrap_or_default();
        let range = match self.seen.get(written) {
            Some(&earlier) => {
                self.texts.truncate(start);
                earlier
            }
            None => {
                self.seen.insert(written.into(), (start, end));
                (start, end)
            }
        };
        self.conditions.push(ConditionSite { span, text: range });
        if let Some(rule) = self.rules.last_mut() {
            rule.conditions.1 = self.conditions.len();
        }
        range
    }

    /// Ends recording: drops what only recording needed and trims the tables.
    pub(crate) fn finish(&mut self) {
        self.seen = FxHashMap::default();
        self.texts.shrink_to_fit();
        self.rules.shrink_to_fit();
        self.conditions.shrink_to_fit();
    }
}

/// Appends `text` to `out` with every run of white space (and every comment, which
/// runs to the end of its line) turned into one space, and none at either end. Text
/// inside string literals is kept as written.
fn collapse(text: &str, out: &mut String) {
    let start = out.len();
    let mut space = false;
    let mut in_string = false;
    let mut escaped = false;
    let mut comment = false;
    for c in text.chars() {
        if comment {
            if c == '\n' {
                comment = false;
                space = true;
            }
            continue;
        }
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            ' ' | '\t' | '\r' | '\n' => space = true,
            '#' => comment = true,
            _ => {
                if space && out.len() > start {
                    out.push(' ');
                }
                space = false;
                in_string = c == '"';
                out.push(c);
            }
        }
    }
}

/// A rule of a compiled policy, as written: its name, kind, and where it is.
///
/// ```
/// let policy = portcullis::Policy::compile_sources([(
///     "payments.pcl",
///     "default deny\n\nallow \"reads\" {\n  method GET,\n         HEAD\n  not path \"/admin/**\"\n}\n",
/// )])?;
/// let rule = policy.rules().next().unwrap();
/// assert_eq!((rule.name(), rule.file()), ("reads", "payments.pcl"));
/// assert_eq!((rule.span().line, rule.span().column), (3, 1));
/// let texts: Vec<&str> = rule.conditions().map(|c| c.text()).collect();
/// assert_eq!(texts, ["method GET, HEAD", "not path \"/admin/**\""]);
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RuleInfo<'p> {
    sites: &'p Sites,
    name: &'p str,
    kind: RuleKind,
    index: usize,
    tests: &'p [Arc<Cond>],
}

impl<'p> RuleInfo<'p> {
    /// The view of rule `index`, named `name`, of kind `kind`, whose checked
    /// conditions are `tests`.
    pub(crate) fn new(
        sites: &'p Sites,
        index: usize,
        name: &'p str,
        kind: RuleKind,
        tests: &'p [Arc<Cond>],
    ) -> Self {
        RuleInfo {
            sites,
            name,
            kind,
            index,
            tests,
        }
    }

    /// What each condition tests, in source order (the order of
    /// [`conditions`](Self::conditions)): whether it is negated (`not`), and its test
    /// with names spliced and values checked. For analyses of the request space.
    ///
    /// ```
    /// use portcullis::view::{ConditionTest, HostView};
    /// let policy = portcullis::Policy::compile(r#"allow "a" { host "*.Example.com" }"#)?;
    /// let rule = policy.rules().next().unwrap();
    /// let (negated, test) = rule.tests().next().unwrap();
    /// assert!(!negated);
    /// assert!(matches!(test, ConditionTest::Host(h) if h == [HostView::Suffix(".example.com")]));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn tests(&self) -> impl ExactSizeIterator<Item = (bool, ConditionTest<'p>)> + 'p {
        self.tests.iter().map(|cond| view(cond))
    }

    /// Its site (recorded for every rule the checker keeps).
    fn site(&self) -> Option<&'p RuleSite> {
        self.sites.rules.get(self.index)
    }

    /// The rule's name.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("audit \"seen\" {}")?;
    /// assert_eq!(policy.rules().next().map(|r| r.name()), Some("seen"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn name(&self) -> &'p str {
        self.name
    }

    /// `allow`, `deny` or `audit`.
    ///
    /// ```
    /// use portcullis::syntax::RuleKind;
    /// let policy = portcullis::Policy::compile("audit \"seen\" {}")?;
    /// assert_eq!(policy.rules().next().map(|r| r.kind()), Some(RuleKind::Audit));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn kind(&self) -> RuleKind {
        self.kind
    }

    /// Its position among the policy's rules (source order, from 0).
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"a\" {}\ndeny \"b\" {}")?;
    /// assert_eq!(policy.rules().map(|r| r.index()).collect::<Vec<_>>(), [0, 1]);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// The name of the source it is written in.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile_sources([("a.pcl", "allow \"a\" {}")])?;
    /// assert_eq!(policy.rules().next().map(|r| r.file()), Some("a.pcl"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn file(&self) -> &'p str {
        self.site()
            .and_then(|site| self.sites.files.get(site.file))
            .map_or("", |f| f)
    }

    /// Where it is written: from its keyword (`allow`, `deny` or `audit`, its first
    /// token) to its `}`. A policy compiled from a syntax tree has the spans of the
    /// tree.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("\n  deny \"b\" {}")?;
    /// let span = policy.rules().next().unwrap().span();
    /// assert_eq!((span.line, span.column, span.end - span.start), (2, 3, 11));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn span(&self) -> Span {
        self.site().map_or_else(Span::default, |site| site.span)
    }

    /// Its conditions, in source order.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"a\" { method GET port 80 }")?;
    /// assert_eq!(policy.rules().next().unwrap().conditions().len(), 2);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn conditions(&self) -> impl ExactSizeIterator<Item = ConditionInfo<'p>> + 'p {
        let sites = self.sites;
        let file = self.file();
        let (start, end) = self.site().map_or((0, 0), |site| site.conditions);
        sites
            .conditions
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(move |site| ConditionInfo { sites, site, file })
    }
}

/// A condition of a compiled rule, as written.
///
/// ```
/// let policy = portcullis::Policy::compile("allow \"a\" {\n  not header \"x-debug\"   present\n}")?;
/// let rule = policy.rules().next().unwrap();
/// let condition = rule.conditions().next().unwrap();
/// assert_eq!(condition.text(), "not header \"x-debug\" present");
/// assert_eq!((condition.span().line, condition.span().column), (2, 3));
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ConditionInfo<'p> {
    sites: &'p Sites,
    site: &'p ConditionSite,
    file: &'p str,
}

impl<'p> ConditionInfo<'p> {
    /// Its source text, with every run of white space (and any comment) collapsed to
    /// one space: `method GET, HEAD`.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"a\" { header \"x\" in [\"a  b\",\n   \"c\"] }")?;
    /// let rule = policy.rules().next().unwrap();
    /// assert_eq!(rule.conditions().next().unwrap().text(), "header \"x\" in [\"a  b\", \"c\"]");
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn text(&self) -> &'p str {
        let (start, end) = self.site.text;
        self.sites.texts.get(start..end).unwrap_or("")
    }

    /// Where it is written: from its first token (`not` or the subject) to its last.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"a\" { port 80 }")?;
    /// let rule = policy.rules().next().unwrap();
    /// let span = rule.conditions().next().unwrap().span();
    /// assert_eq!((span.start, span.end), (12, 19));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn span(&self) -> Span {
        self.site.span
    }

    /// The name of the source it is written in.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile_sources([("a.pcl", "allow \"a\" { port 80 }")])?;
    /// let rule = policy.rules().next().unwrap();
    /// assert_eq!(rule.conditions().next().unwrap().file(), "a.pcl");
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn file(&self) -> &'p str {
        self.file
    }
}

#[cfg(test)]
mod tests {
    use super::collapse;

    fn collapsed(text: &str) -> String {
        let mut out = String::from("x");
        collapse(text, &mut out);
        out.split_off(1)
    }

    #[test]
    fn collapses_white_space_and_comments_outside_strings() {
        assert_eq!(collapsed("method GET,\n\t  HEAD"), "method GET, HEAD");
        assert_eq!(collapsed("  path \"/a  #b\"  "), "path \"/a  #b\"");
        assert_eq!(
            collapsed("identity in [ # the web tier\n  \"a\",\n  \"b\\\" c\",\n]"),
            "identity in [ \"a\", \"b\\\" c\", ]"
        );
        assert_eq!(collapsed(""), "");
    }
}
