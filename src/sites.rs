//! Where a compiled policy's rules and conditions are written: for tools that point
//! at them (`explain` names the first condition that failed, `lint` the rule it
//! reports), without keeping the syntax tree or the source text.
//!
//! The checker records one entry per rule and per condition it keeps, in the order
//! of the compiled policy, so rule `i` of the policy is entry `i` here, and its
//! condition `j` is the `j`-th of its conditions. Condition texts share one string.

use std::sync::Arc;

use crate::check::{CheckedPolicy, CheckedRule, Cond};
use crate::compile::hash::FxHashMap;
use crate::span::Span;
use crate::syntax::RuleKind;
use crate::view::{ConditionTest, view};

/// The places of a policy's rules and conditions, in 16 bytes each: a policy of
/// 10,000 rules has about 40,000 of them.
#[derive(Debug, Default)]
pub(crate) struct Sites {
    /// Source names, in source order, each with the number of the first rule
    /// recorded after it (the rules of a source follow it).
    files: Vec<(Box<str>, u32)>,
    /// Where each rule is, by rule number.
    rules: Vec<Place>,
    /// Where each condition is, in the order of the policy's conditions (rule by
    /// rule: a rule's range of conditions is its range here).
    conditions: Vec<ConditionSite>,
    /// Every distinct condition text, one after the other.
    texts: String,
    /// Where each distinct text is in `texts`, by text number.
    text_ranges: Vec<(u32, u32)>,
    /// Spans whose offsets do not fit in 32 bits (sources over 4 GiB), by
    /// number; a [`Place`] refers to one ([`Place::LARGE`]).
    large: Vec<Span>,
    /// Texts that start past 4 GiB of texts, by number; a text range refers to one
    /// ([`Place::LARGE`] as its start).
    large_texts: Vec<Box<str>>,
    /// While recording: the number of each distinct text (a policy repeats its
    /// conditions: the same method list or host in many rules). Emptied by
    /// [`Sites::finish`].
    seen: FxHashMap<Box<str>, u32>,
}

/// A [`Span`] in 16 bytes. A span whose offsets do not fit (or whose start is
/// [`Place::LARGE`]) is kept whole in [`Sites::large`]: `start` is then
/// [`Place::LARGE`] and `end` its number there.
#[derive(Clone, Copy, Debug)]
struct Place {
    start: u32,
    end: u32,
    line: u32,
    column: u32,
}

impl Place {
    /// The `start` of a place kept in [`Sites::large`].
    const LARGE: u32 = u32::MAX;

    fn new(span: Span, large: &mut Vec<Span>) -> Place {
        match (u32::try_from(span.start), u32::try_from(span.end)) {
            (Ok(start), Ok(end)) if start != Place::LARGE => Place {
                start,
                end,
                line: span.line,
                column: span.column,
            },
            _ => Place {
                start: Place::LARGE,
                end: Place::keep(span, large),
                line: 0,
                column: 0,
            },
        }
    }

    /// Keeps `span` whole in `large`; returns its number there.
    fn keep(span: Span, large: &mut Vec<Span>) -> u32 {
        large.push(span);
        u32::try_from(large.len() - 1).unwrap_or(u32::MAX)
    }

    fn span(self, large: &[Span]) -> Span {
        if self.start == Place::LARGE {
            return large.get(self.end as usize).copied().unwrap_or_default();
        }
        Span {
            start: self.start as usize,
            end: self.end as usize,
            line: self.line,
            column: self.column,
        }
    }
}

/// Where a condition is, in 16 bytes: its offsets, and its line and column as the
/// lines after its rule's line (16 bits) and the column (16 bits). A condition whose
/// span does not fit so is kept whole in [`Sites::large`]: `start` is then
/// [`Place::LARGE`] and `end` its number there.
#[derive(Clone, Copy, Debug)]
struct ConditionSite {
    start: u32,
    end: u32,
    /// The lines from its rule's line, times 2^16, plus its column.
    at: u32,
    /// The number of its text (see [`Sites::text_ranges`]).
    text: u32,
}

impl ConditionSite {
    /// The site of a condition at `span` of a rule at line `rule_line`, with text
    /// number `text`.
    fn new(span: Span, rule_line: Option<u32>, text: u32, large: &mut Vec<Span>) -> Self {
        let lines = rule_line.and_then(|line| span.line.checked_sub(line));
        match (u32::try_from(span.start), u32::try_from(span.end), lines) {
            (Ok(start), Ok(end), Some(lines))
                if start != Place::LARGE && lines <= 0xffff && span.column <= 0xffff =>
            {
                ConditionSite {
                    start,
                    end,
                    at: (lines << 16) | span.column,
                    text,
                }
            }
            _ => ConditionSite {
                start: Place::LARGE,
                end: Place::keep(span, large),
                at: 0,
                text,
            },
        }
    }

    /// Its span, its rule being at line `rule_line`.
    fn span(self, rule_line: u32, large: &[Span]) -> Span {
        if self.start == Place::LARGE {
            return large.get(self.end as usize).copied().unwrap_or_default();
        }
        Span {
            start: self.start as usize,
            end: self.end as usize,
            line: rule_line.saturating_add(self.at >> 16),
            column: self.at & 0xffff,
        }
    }
}

impl Sites {
    /// Room for `rules` rules with `conditions` conditions whose texts total at most
    /// `text_bytes` bytes, so that recording never reallocates.
    pub(crate) fn with_capacity(rules: usize, conditions: usize, text_bytes: usize) -> Sites {
        Sites {
            rules: Vec::with_capacity(rules),
            conditions: Vec::with_capacity(conditions),
            texts: String::with_capacity(text_bytes),
            ..Sites::default()
        }
    }

    /// Records a source; rules are then recorded for it.
    pub(crate) fn push_file(&mut self, name: &str) {
        let first = u32::try_from(self.rules.len()).unwrap_or(u32::MAX);
        self.files.push((name.into(), first));
    }

    /// Records a rule at `span` of the last source recorded; its conditions follow.
    pub(crate) fn push_rule(&mut self, span: Span) {
        let place = Place::new(span, &mut self.large);
        self.rules.push(place);
    }

    /// Records a condition of the last rule recorded: its span and its source text
    /// (white space collapsed by [`collapse`]), stored once however many conditions
    /// have it. Returns the number of the text, from 0 in order of first use:
    /// conditions with the same text (the same number) are the same condition,
    /// since names are the policy's.
    pub(crate) fn push_condition(&mut self, span: Span, text: &str) -> usize {
        let start = self.texts.len();
        collapse(text, &mut self.texts);
        let end = self.texts.len();
        let written = self.texts.get(start..end).unwrap_or_default();
        let number = match self.seen.get(written) {
            Some(&earlier) => {
                self.texts.truncate(start);
                earlier
            }
            None => {
                let number = u32::try_from(self.text_ranges.len()).unwrap_or(u32::MAX);
                self.seen.insert(written.into(), number);
                let range = match (u32::try_from(start), u32::try_from(end)) {
                    (Ok(start), Ok(end)) if start != Place::LARGE => (start, end),
                    _ => {
                        self.large_texts.push(written.into());
                        self.texts.truncate(start);
                        let at = u32::try_from(self.large_texts.len() - 1).unwrap_or(u32::MAX);
                        (Place::LARGE, at)
                    }
                };
                self.text_ranges.push(range);
                number
            }
        };
        // The rule's line, unless the rule's place is kept whole.
        let rule_line = match self.rules.last() {
            Some(rule) if rule.start != Place::LARGE => Some(rule.line),
            _ => None,
        };
        let site = ConditionSite::new(span, rule_line, number, &mut self.large);
        self.conditions.push(site);
        number as usize
    }

    /// Ends recording: drops what only recording needed and trims the tables.
    pub(crate) fn finish(&mut self) {
        self.seen = FxHashMap::default();
        self.texts.shrink_to_fit();
        self.rules.shrink_to_fit();
        self.conditions.shrink_to_fit();
        self.text_ranges.shrink_to_fit();
    }

    /// Text number `number`.
    fn text(&self, number: u32) -> &str {
        match self.text_ranges.get(number as usize) {
            Some(&(Place::LARGE, at)) => self.large_texts.get(at as usize).map_or("", |t| t),
            Some(&(start, end)) => self.texts.get(start as usize..end as usize).unwrap_or(""),
            None => "",
        }
    }

    /// The name of the source rule `rule` is written in.
    fn file(&self, rule: usize) -> &str {
        // The last source whose rules start at or before it (a source without rules
        // starts where the next one does).
        let after = self
            .files
            .partition_point(|&(_, first)| first as usize <= rule);
        after
            .checked_sub(1)
            .and_then(|i| self.files.get(i))
            .map_or("", |(name, _)| name)
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
    policy: &'p CheckedPolicy,
    rule: &'p CheckedRule,
    index: usize,
}

impl<'p> RuleInfo<'p> {
    /// The view of rule `index`, `rule`, of `policy`.
    pub(crate) fn new(policy: &'p CheckedPolicy, index: usize, rule: &'p CheckedRule) -> Self {
        RuleInfo {
            policy,
            rule,
            index,
        }
    }

    /// Its checked conditions, in source order.
    fn checked(&self) -> &'p [Arc<Cond>] {
        self.policy.conditions(self.rule)
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
        self.checked().iter().map(|cond| view(cond))
    }

    /// The rule's name.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("audit \"seen\" {}")?;
    /// assert_eq!(policy.rules().next().map(|r| r.name()), Some("seen"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn name(&self) -> &'p str {
        &self.rule.name
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
        self.rule.kind
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
        self.policy.sites.file(self.index)
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
        let sites = &self.policy.sites;
        sites
            .rules
            .get(self.index)
            .map_or_else(Span::default, |place| place.span(&sites.large))
    }

    /// Its conditions, in source order.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"a\" { method GET port 80 }")?;
    /// assert_eq!(policy.rules().next().unwrap().conditions().len(), 2);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn conditions(&self) -> impl ExactSizeIterator<Item = ConditionInfo<'p>> + 'p {
        let sites = &self.policy.sites;
        let file = self.file();
        // Conditions are placed from their rule's line (see `Sites::push_condition`).
        let rule_line = sites.rules.get(self.index).map_or(0, |rule| rule.line);
        sites
            .conditions
            .get(self.rule.condition_range())
            .unwrap_or_default()
            .iter()
            .map(move |site| ConditionInfo {
                sites,
                site,
                rule_line,
                file,
            })
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
    /// The line of its rule, which its own is counted from.
    rule_line: u32,
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
        self.sites.text(self.site.text)
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
        self.site.span(self.rule_line, &self.sites.large)
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
    use super::{ConditionSite, Place, Span, collapse};

    #[test]
    fn places_keep_every_span_exactly() {
        let span = |start, end, line, column| Span {
            start,
            end,
            line,
            column,
        };
        let mut large = Vec::new();
        let rule = span(10, 90, 3, 1);
        let spans = [
            span(20, 30, 4, 3),
            span(20, 30, 3, 70_000),
            span(20, 30, 70_000, 2),
            span(20, 30, 2, 3),
            span(0, 0, 0, 0),
            span(u32::MAX as usize, u32::MAX as usize + 5, 4, 3),
            span(usize::MAX - 1, usize::MAX, u32::MAX, u32::MAX),
        ];
        let place = Place::new(rule, &mut large);
        for at in spans {
            let site = ConditionSite::new(at, Some(rule.line), 7, &mut large);
            assert_eq!(site.span(rule.line, &large), at);
            assert_eq!(site.text, 7);
            let place = Place::new(at, &mut large);
            assert_eq!(place.span(&large), at);
        }
        assert_eq!(place.span(&large), rule);
        // A rule kept whole: its conditions are kept whole too.
        let site = ConditionSite::new(spans[0], None, 0, &mut large);
        assert_eq!(site.span(0, &large), spans[0]);
    }

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
