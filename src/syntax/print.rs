//! Syntax tree → source text.
//!
//! The output is canonical: the items in the order of their spans (source order for a
//! parsed tree; items without a span, from JSON or built in code, come after, in the
//! order `default`, `let`s, rules, tests), a blank line between items (but not
//! between consecutive `default`s or `let`s), two-space indentation, one condition or
//! expectation per line, and every comment beside the node it belongs to. Every
//! tree the parser produces prints to text that parses back to the same tree (spans
//! aside), comments included. Trees from elsewhere (JSON) may hold what no source can
//! say; those parts are printed so that reading the text back fails with an error,
//! never so that it silently means something else:
//!
//! - a method that is not a bare method token is printed as a string;
//! - a name or an address that would not read back as itself (a keyword, `GET`, `10`,
//!   text with spaces…) is printed as `!` followed by a string, which is a syntax error;
//! - an empty list of values, or a test that does not fit its subject, is printed as
//!   it is and rejected by the parser;
//! - a line break in a comment is printed as a space, so that the comment cannot
//!   end early.

use crate::span::Span;
use crate::syntax::ast::{
    By, Comment, Comments, Condition, DefaultDecl, Effect, Expectation, Field, File, InTarget, Let,
    LetValue, List, Rule, Subject, Test, TestBlock, Value, ValueKind,
};
use crate::syntax::keyword::{Keyword, is_method, is_name};
use crate::syntax::lex::is_address;
use crate::syntax::string::quote;

/// Lists longer than this when written on one line are written one value per line.
const MAX_INLINE_LIST: usize = 72;

/// The choices in which the layout of [`print()`] and the formatter's differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Layout {
    /// [`print()`]: consecutive `default`s and `let`s grouped without a blank line
    /// between them; a list broken when its values take more than
    /// [`MAX_INLINE_LIST`] characters on one line.
    Print,
    /// `portcullis fmt` ([`super::format()`]): a blank line between any two items; a
    /// list broken when its line would end after column [`super::format::WIDTH`].
    Format,
}

/// Prints a syntax tree as policy source text that parses back to the same tree
/// (spans aside).
///
/// ```
/// let file = portcullis::syntax::parse("default deny\nallow \"r\" { method GET }")?;
/// let text = portcullis::syntax::print(&file);
/// assert_eq!(text, "default deny\n\nallow \"r\" {\n  method GET\n}\n");
/// let again = portcullis::syntax::parse(&text)?;
/// assert_eq!(portcullis::syntax::print(&again), text);
/// # Ok::<(), portcullis::CompileError>(())
/// ```
pub fn print(file: &File) -> String {
    print_with_spans(&mut file.clone())
}

/// Prints a syntax tree like [`print()`] and sets the span of every node (and
/// comment) to where it is printed, so that a position in the text leads back to
/// the node printed there. This is how a tree from the JSON form is given places
/// that diagnostics can point at.
///
/// ```
/// let mut file: portcullis::syntax::File = serde_json::from_str(
///     r#"{"rules": [{"effect": "allow", "name": "r", "when": [
///         {"subject": "port", "test": {"values": [80]}}]}]}"#,
/// )?;
/// let text = portcullis::syntax::print_with_spans(&mut file);
/// assert_eq!(text, "allow \"r\" {\n  port 80\n}\n");
/// let condition = &file.rules[0].conditions[0];
/// assert_eq!((condition.span.line, condition.span.column), (2, 3));
/// assert_eq!(&text[condition.span.start..condition.span.end], "port 80");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn print_with_spans(file: &mut File) -> String {
    print_layout(file, Layout::Print)
}

/// Prints a syntax tree in `layout`, setting every span to where it is printed.
pub(super) fn print_layout(file: &mut File, layout: Layout) -> String {
    let mut p = Printer {
        layout,
        ..Printer::default()
    };
    p.file(file);
    p.out
}

/// A condition's text, as printed (on one line unless it holds a long list).
pub(crate) fn condition_text(condition: &Condition) -> String {
    let mut p = Printer::default();
    p.condition(&mut condition.clone(), "");
    p.out
}

/// The kinds of item, in the order items without a span are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum ItemKind {
    Default,
    Let,
    Rule,
    Test,
}

/// A position in the output, with its line and column.
#[derive(Clone, Copy, Debug)]
struct Mark {
    pos: usize,
    line: u32,
    column: u32,
}

/// The text printed so far, with the line it ends on.
#[derive(Debug)]
struct Printer {
    out: String,
    /// The 1-based line being written.
    line: u32,
    /// Where that line starts in `out`.
    line_start: usize,
    /// How items are separated and lists broken.
    layout: Layout,
}

impl Default for Printer {
    fn default() -> Printer {
        Printer {
            out: String::new(),
            line: 1,
            line_start: 0,
            layout: Layout::Print,
        }
    }
}

impl Printer {
    /// Writes `text`, which holds no line break.
    fn push(&mut self, text: &str) {
        self.out.push_str(text);
    }

    fn newline(&mut self) {
        self.out.push('\n');
        self.line = self.line.saturating_add(1);
        self.line_start = self.out.len();
    }

    fn mark(&self) -> Mark {
        let column = self
            .out
            .get(self.line_start..)
            .map_or(0, |s| s.chars().count())
            + 1;
        Mark {
            pos: self.out.len(),
            line: self.line,
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }

    /// The span from `from` to what is written so far.
    fn since(&self, from: Mark) -> Span {
        Span {
            start: from.pos,
            end: self.out.len(),
            line: from.line,
            column: from.column,
        }
    }

    /// Writes `text` (no line break) and returns its span.
    fn token(&mut self, text: &str) -> Span {
        let from = self.mark();
        self.push(text);
        self.since(from)
    }

    fn keyword(&mut self, keyword: Keyword) {
        self.push(keyword.as_str());
    }

    /// `# text`, with any line break in the text written as a space.
    fn comment(&mut self, comment: &mut Comment) {
        let from = self.mark();
        self.push("#");
        if !comment.text.is_empty() {
            self.push(" ");
            if comment.text.contains(['\n', '\r']) {
                self.push(&comment.text.replace(['\n', '\r'], " "));
            } else {
                self.push(&comment.text);
            }
        }
        comment.span = self.since(from);
    }

    /// The comments on their own lines before a node that starts on source line
    /// `node_line`, each at `indent`.
    fn before(&mut self, comments: &mut Comments, indent: &str, node_line: u32) {
        self.comment_lines(comments.parts_mut().0, indent, Some(node_line));
    }

    /// Comments on their own lines at `indent`, followed by a node on source line
    /// `next_line`, if any. In [`Layout::Format`], a blank line of the source
    /// between two of them, or between the last and the node, is kept (one).
    fn comment_lines(&mut self, comments: &mut [Comment], indent: &str, next_line: Option<u32>) {
        let lines: Vec<u32> = comments
            .iter()
            .map(|c| c.span.line)
            .skip(1)
            .chain(next_line)
            .collect();
        for (i, comment) in comments.iter_mut().enumerate() {
            let blank_after = self.layout == Layout::Format
                && comment.span.line > 0
                && lines
                    .get(i)
                    .is_some_and(|&next| next > comment.span.line.saturating_add(1));
            self.push(indent);
            self.comment(comment);
            self.newline();
            if blank_after {
                self.newline();
            }
        }
    }

    /// The comment at the end of a node's last line, if any.
    fn after(&mut self, comments: &mut Comments) {
        if let Some(comment) = comments.parts_mut().1 {
            self.push(" ");
            self.comment(comment);
        }
    }

    /// Comments on their own lines at `indent`, after the last node of a block.
    fn end(&mut self, comments: &mut [Comment], indent: &str) {
        self.comment_lines(comments, indent, None);
    }

    fn file(&mut self, file: &mut File) {
        let File {
            default,
            extra_defaults,
            lets,
            rules,
            tests,
            end_comments,
        } = file;
        let mut items: Vec<(Option<usize>, ItemKind, Item<'_>)> = Vec::new();
        let spanned = |span: Span| (span.end > 0).then_some(span.start);
        for d in default.iter_mut().chain(extra_defaults.iter_mut()) {
            items.push((spanned(d.span), ItemKind::Default, Item::Default(d)));
        }
        for l in lets.iter_mut() {
            items.push((spanned(l.span), ItemKind::Let, Item::Let(l)));
        }
        for r in rules.iter_mut() {
            items.push((spanned(r.span), ItemKind::Rule, Item::Rule(r)));
        }
        for t in tests.iter_mut() {
            items.push((spanned(t.span), ItemKind::Test, Item::Test(t)));
        }
        // Spanned items in source order, then the others in canonical order (the
        // sort is stable, and the kinds were pushed in that order).
        items.sort_by_key(|(start, ..)| start.unwrap_or(usize::MAX));
        let mut previous: Option<ItemKind> = None;
        for (_, kind, item) in items {
            let grouped = self.layout == Layout::Print
                && previous == Some(kind)
                && matches!(kind, ItemKind::Default | ItemKind::Let);
            if previous.is_some() && !grouped {
                self.newline();
            }
            match item {
                Item::Default(d) => self.default_decl(d),
                Item::Let(l) => self.binding(l),
                Item::Rule(r) => self.rule(r),
                Item::Test(t) => self.test_block(t),
            }
            previous = Some(kind);
        }
        if !end_comments.is_empty() {
            if previous.is_some() {
                self.newline();
            }
            self.end(end_comments, "");
        }
    }

    fn default_decl(&mut self, decl: &mut DefaultDecl) {
        self.before(&mut decl.comments, "", decl.span.line);
        let from = self.mark();
        self.keyword(Keyword::Default);
        self.push(" ");
        self.push(effect(decl.effect));
        decl.span = self.since(from);
        self.after(&mut decl.comments);
        self.newline();
    }

    fn binding(&mut self, binding: &mut Let) {
        self.before(&mut binding.comments, "", binding.span.line);
        let from = self.mark();
        self.keyword(Keyword::Let);
        self.push(" ");
        binding.name.span = self.token(&name(&binding.name.name));
        self.push(" = ");
        match &mut binding.value {
            LetValue::List(list) => self.list(list, ""),
            LetValue::Single(value) => self.value(value),
        }
        binding.span = self.since(from);
        self.after(&mut binding.comments);
        self.newline();
    }

    fn rule(&mut self, rule: &mut Rule) {
        self.before(&mut rule.comments, "", rule.span.line);
        let from = self.mark();
        self.keyword(Keyword::of_rule(rule.kind));
        self.push(" ");
        rule.name.span = self.token(&quote(&rule.name.value));
        if rule.conditions.is_empty() && rule.end_comments.is_empty() {
            self.push(" {}");
        } else {
            self.push(" {");
            self.newline();
            for condition in &mut rule.conditions {
                self.before(&mut condition.comments, "  ", condition.span.line);
                self.push("  ");
                self.condition(condition, "  ");
                self.after(&mut condition.comments);
                self.newline();
            }
            self.end(&mut rule.end_comments, "  ");
            self.push("}");
        }
        rule.span = self.since(from);
        self.after(&mut rule.comments);
        self.newline();
    }

    /// One condition, on the current line (a long list continues at `indent`).
    fn condition(&mut self, condition: &mut Condition, indent: &str) {
        let from = self.mark();
        if condition.not {
            self.keyword(Keyword::Not);
            self.push(" ");
        }
        self.keyword(Keyword::of_subject(&condition.subject));
        if let Subject::Header(key) | Subject::Attr(key) = &mut condition.subject {
            self.push(" ");
            key.span = self.token(&quote(&key.value));
        }
        match &mut condition.test {
            Test::Values(values) => {
                for (i, value) in values.iter_mut().enumerate() {
                    self.push(if i == 0 { " " } else { ", " });
                    self.value(value);
                }
            }
            Test::In(target) => {
                self.push(" ");
                self.keyword(Keyword::In);
                self.push(" ");
                match target {
                    InTarget::Name(ident) => ident.span = self.token(&name(&ident.name)),
                    InTarget::List(list) => self.list(list, indent),
                }
            }
            Test::Regex(regex) => {
                self.push(" ~ ");
                regex.span = self.token(&quote(&regex.value));
            }
            Test::Present => {
                self.push(" ");
                self.keyword(Keyword::Present);
            }
            Test::Equals(value) => {
                self.push(" == ");
                value.span = self.token(&quote(&value.value));
            }
        }
        condition.span = self.since(from);
    }

    /// A list on one line if it fits (see [`Layout`]) and has no comments, else one
    /// value per line indented under `indent`, with a trailing comma.
    fn list(&mut self, list: &mut List, indent: &str) {
        let texts: Vec<String> = list.values.iter().map(value_text).collect();
        let commented =
            !list.end_comments.is_empty() || list.values.iter().any(|v| !v.comments.is_empty());
        let from = self.mark();
        let fits = match self.layout {
            Layout::Print => texts.iter().map(|t| t.len() + 2).sum::<usize>() <= MAX_INLINE_LIST,
            Layout::Format => {
                // `[a, b]` from the current column: the brackets, the values and a
                // `, ` between two values; the line's last column must be in bounds.
                let inline =
                    texts.iter().map(|t| t.chars().count()).sum::<usize>() + 2 * texts.len().max(1);
                usize::try_from(from.column.saturating_sub(1))
                    .unwrap_or(usize::MAX)
                    .saturating_add(inline)
                    <= super::format::WIDTH
            }
        };
        if !commented && fits {
            self.push("[");
            for (i, (value, text)) in list.values.iter_mut().zip(&texts).enumerate() {
                if i > 0 {
                    self.push(", ");
                }
                value.span = self.token(text);
            }
            self.push("]");
        } else {
            let inner = format!("{indent}  ");
            self.push("[");
            self.newline();
            for (value, text) in list.values.iter_mut().zip(&texts) {
                self.before(&mut value.comments, &inner, value.span.line);
                self.push(&inner);
                value.span = self.token(text);
                self.push(",");
                self.after(&mut value.comments);
                self.newline();
            }
            self.end(&mut list.end_comments, &inner);
            self.push(indent);
            self.push("]");
        }
        list.span = self.since(from);
    }

    fn value(&mut self, value: &mut Value) {
        value.span = self.token(&value_text(value));
    }

    fn test_block(&mut self, block: &mut TestBlock) {
        self.before(&mut block.comments, "", block.span.line);
        let from = self.mark();
        self.keyword(Keyword::Test);
        self.push(" ");
        block.name.span = self.token(&quote(&block.name.value));
        if block.expectations.is_empty() && block.end_comments.is_empty() {
            self.push(" {}");
        } else {
            self.push(" {");
            self.newline();
            for expectation in &mut block.expectations {
                self.before(&mut expectation.comments, "  ", expectation.span.line);
                self.push("  ");
                self.expectation(expectation);
                self.after(&mut expectation.comments);
                self.newline();
            }
            self.end(&mut block.end_comments, "  ");
            self.push("}");
        }
        block.span = self.since(from);
        self.after(&mut block.comments);
        self.newline();
    }

    fn expectation(&mut self, expectation: &mut Expectation) {
        let from = self.mark();
        self.push(effect(expectation.effect));
        self.push(" ");
        expectation.method.span = self.token(&method_text(&expectation.method.value));
        self.push(" ");
        expectation.path.span = self.token(&quote(&expectation.path.value));
        for field in &mut expectation.fields {
            self.push(" ");
            let keyed = if matches!(field, Field::Header(..)) {
                Keyword::Header
            } else {
                Keyword::Attr
            };
            match field {
                Field::Identity(value) => {
                    self.keyword(Keyword::Identity);
                    self.push(" ");
                    value.span = self.token(&quote(&value.value));
                }
                Field::Host(value) => {
                    self.keyword(Keyword::Host);
                    self.push(" ");
                    value.span = self.token(&quote(&value.value));
                }
                Field::Port(port) => {
                    self.keyword(Keyword::Port);
                    self.push(" ");
                    port.span = self.token(&port.value.to_string());
                }
                Field::Source(address) => {
                    self.keyword(Keyword::Source);
                    self.push(" ");
                    address.span = self.token(&address_text(&address.text));
                }
                Field::Header(key, value) | Field::Attr(key, value) => {
                    self.keyword(keyed);
                    self.push(" ");
                    key.span = self.token(&quote(&key.value));
                    self.push(" = ");
                    value.span = self.token(&quote(&value.value));
                }
            }
        }
        if let Some(by) = &mut expectation.by {
            self.push(" ");
            self.keyword(Keyword::By);
            self.push(" ");
            match by {
                By::Rule(rule) => rule.span = self.token(&quote(&rule.value)),
                By::Default => self.keyword(Keyword::Default),
            }
        }
        expectation.span = self.since(from);
    }
}

/// An item of a file being printed.
enum Item<'f> {
    Default(&'f mut DefaultDecl),
    Let(&'f mut Let),
    Rule(&'f mut Rule),
    Test(&'f mut TestBlock),
}

fn effect(effect: Effect) -> &'static str {
    Keyword::of_effect(effect).as_str()
}

/// A name as written bare, or `!"…"` (an error) when it would not read back as itself.
fn name(text: &str) -> String {
    if is_name(text) {
        text.to_string()
    } else {
        format!("!{}", quote(text))
    }
}

fn value_text(value: &Value) -> String {
    match &value.kind {
        ValueKind::String(text) => quote(text),
        ValueKind::Integer(n) => n.to_string(),
        ValueKind::Method { method } => method_text(method),
        ValueKind::Address { address } => address_text(address),
        ValueKind::Range { range: (a, b) } => format!("{a}..{b}"),
        ValueKind::Name { name: text } => name(text),
    }
}

/// A method bare when it is a bare method token, else as a string.
fn method_text(method: &str) -> String {
    if is_method(method) {
        method.to_string()
    } else {
        quote(method)
    }
}

/// An address bare, or `!"…"` (an error) when it would not read back as itself.
fn address_text(address: &str) -> String {
    if is_address(address) {
        address.to_string()
    } else {
        format!("!{}", quote(address))
    }
}
