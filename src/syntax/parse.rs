//! The parser: tokens → [`File`], recovering from errors so one run reports them all.
//!
//! The lexer ([`super::lex`], built on nom) turns the source into tokens; this module
//! follows the grammar (`docs/language.md`, *Grammar*) over them. The grammar has no
//! nesting beyond item bodies, so the parser is a handful of loops: no recursion,
//! linear time. It takes any word where a name or a bare method may stand (a word
//! starting upper case is a method, any other a name); the checker says whether it
//! is a valid one, as it does for a tree from the JSON form. Comments are attached
//! to the tree afterwards ([`super::comments`]).
//!
//! Recovery: after an error in an item's header, the parser skips to the next item
//! start (an item keyword first on its line, a line shaped like an item with a
//! misspelled keyword, `alow "r" {`, or the first line after a `{ … }` block skipped
//! on the way, which is skipped whole). Inside a rule body it resumes at the next
//! condition keyword; inside a test block at the next `allow` or `deny`. A body that
//! reaches the next item or the end of input without its `}` is reported at its `{`,
//! with a note where it stopped. Tokens the lexer already reported are never
//! reported again. Items whose name is known are kept (with what could be parsed)
//! so the checker does not report their uses as undefined; items without a name are
//! dropped.

use crate::diagnostic::{Code, Diagnostic};
use crate::span::Span;
use crate::suggest::did_you_mean;
use crate::syntax::ast::{
    Address, By, Comments, Condition, DefaultDecl, Effect, Expectation, Field, File, Ident,
    InTarget, Integer, Let, LetValue, List, Rule, RuleKind, StringLit, Subject, Test, TestBlock,
    Value, ValueKind,
};
use crate::syntax::keyword::{Keyword, is_method, name_shaped};
use crate::syntax::lex::{self, Kind, Token};

/// At most this many diagnostics are rendered per source; one more says how many were
/// left out. This bounds the work done on hostile input.
const MAX_DIAGNOSTICS: usize = 100;

/// Keywords that start an item.
const ITEM_KEYWORDS: [Keyword; 6] = [
    Keyword::Default,
    Keyword::Let,
    Keyword::Allow,
    Keyword::Deny,
    Keyword::Audit,
    Keyword::Test,
];

/// Keywords that start a condition.
const CONDITION_KEYWORDS: [Keyword; 9] = [
    Keyword::Not,
    Keyword::Identity,
    Keyword::Method,
    Keyword::Path,
    Keyword::Host,
    Keyword::Port,
    Keyword::Source,
    Keyword::Header,
    Keyword::Attr,
];

/// Keywords that may follow an expectation's path.
const FIELD_KEYWORDS: [Keyword; 9] = [
    Keyword::Allow,
    Keyword::Deny,
    Keyword::Identity,
    Keyword::Host,
    Keyword::Port,
    Keyword::Source,
    Keyword::Header,
    Keyword::Attr,
    Keyword::By,
];

/// Parses `text` (named `name` in diagnostics) and returns what could be parsed plus
/// every syntax error found, in source order.
pub(crate) fn parse_source(name: &str, text: &str) -> (File, Vec<Diagnostic>) {
    let lexed = lex::lex(text);
    let eof = lexed.tokens.last().cloned().unwrap_or_else(|| Token {
        kind: Kind::Eof,
        text: "",
        span: Span::locate(text, text.len(), text.len()),
        line_start: true,
    });
    let mut parser = Parser {
        tokens: lexed.tokens,
        pos: 0,
        prev_end: 0,
        eof,
        errors: lexed
            .errors
            .into_iter()
            .map(|(span, message)| SyntaxError {
                span,
                message,
                related: None,
            })
            .collect(),
        swallowed: 0,
        file: File::default(),
    };
    parser.items();
    let Parser {
        mut file,
        mut errors,
        ..
    } = parser;
    super::comments::attach(&mut file, &lexed.comments, text);
    errors.sort_by_key(|e| e.span.start);
    let mut diagnostics: Vec<Diagnostic> = errors
        .iter()
        .take(MAX_DIAGNOSTICS)
        .map(|e| {
            let d = Diagnostic::new(Code::Syntax, name, text, e.span, e.message.as_str());
            match &e.related {
                Some((span, label)) => d.with_related(name, text, *span, label.as_str()),
                None => d,
            }
        })
        .collect();
    if let Some(e) = errors.get(MAX_DIAGNOSTICS) {
        let more = errors.len() - MAX_DIAGNOSTICS;
        diagnostics.push(Diagnostic::new(
            Code::Syntax,
            name,
            text,
            e.span,
            format!("too many errors: {more} more not shown"),
        ));
    }
    (file, diagnostics)
}

/// A syntax error: where, what, and possibly a related place with its label.
#[derive(Debug)]
struct SyntaxError {
    span: Span,
    message: String,
    related: Option<(Span, String)>,
}

/// An error was reported; the caller recovers.
#[derive(Debug)]
struct Reported;

type Parsed<T> = Result<T, Reported>;

/// The parser's state: tokens, position, errors so far and the tree being built.
struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    pos: usize,
    /// End of the last token consumed.
    prev_end: usize,
    /// Returned by [`Parser::peek`] past the end (never happens: the last token is
    /// the end of input and is never consumed).
    eof: Token<'a>,
    errors: Vec<SyntaxError>,
    /// How many unterminated strings were consumed so far (each may have swallowed
    /// a `}`, so a block it is in is not reported as unclosed).
    swallowed: usize,
    file: File,
}

fn is_value_start(kind: &Kind<'_>) -> bool {
    matches!(
        kind,
        Kind::Str(_) | Kind::Word | Kind::Address | Kind::Int(_) | Kind::Range(..)
    )
}

/// The value a word in a value position stands for: a bare method when it starts
/// with an upper-case letter, else a name. Whether it is a valid one is the
/// checker's to say (`Post` is no method, `a-b` no name), so that the text and the
/// JSON form get the same errors.
fn word_value(word: &str) -> ValueKind {
    if word.starts_with(|c: char| c.is_ascii_uppercase()) {
        ValueKind::Method {
            method: word.to_string(),
        }
    } else {
        ValueKind::Name {
            name: word.to_string(),
        }
    }
}

/// How a token is quoted in "found …".
fn describe(token: &Token<'_>) -> String {
    match &token.kind {
        Kind::Eof => "end of input".to_string(),
        Kind::Str(_) => "a string".to_string(),
        _ => format!("`{}`", lex::shown(token.text)),
    }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &Token<'a> {
        self.tokens.get(self.pos).unwrap_or(&self.eof)
    }

    fn peek_kind(&self, ahead: usize) -> &Kind<'a> {
        self.tokens
            .get(self.pos + ahead)
            .map_or(&Kind::Eof, |t| &t.kind)
    }

    /// Consumes the current token (never the end of input) and returns it.
    fn bump(&mut self) -> Token<'a> {
        if self.pos + 1 >= self.tokens.len() {
            return self.eof.clone();
        }
        let token = self
            .tokens
            .get_mut(self.pos)
            .map(|t| Token {
                kind: std::mem::replace(&mut t.kind, Kind::Invalid),
                text: t.text,
                span: t.span,
                line_start: t.line_start,
            })
            .unwrap_or_else(|| self.eof.clone());
        self.pos += 1;
        self.prev_end = token.span.end;
        if token.kind == Kind::Invalid && token.text.starts_with('"') {
            self.swallowed += 1;
        }
        token
    }

    fn at_kw(&self, keyword: Keyword) -> bool {
        self.peek().kind == Kind::Kw(keyword)
    }

    /// The span from `start` to the end of the last token consumed.
    fn since(&self, start: Span) -> Span {
        Span {
            end: self.prev_end.max(start.start),
            ..start
        }
    }

    fn error(&mut self, span: Span, message: String) {
        self.errors.push(SyntaxError {
            span,
            message,
            related: None,
        });
    }

    /// Reports "expected `what`, found …" at the current token, unless the lexer
    /// already reported it.
    fn expected(&mut self, what: &str) -> Reported {
        let token = self.peek();
        if token.kind != Kind::Invalid {
            let message = format!("expected {what}, found {}", describe(token));
            let span = token.span;
            self.error(span, message);
        }
        Reported
    }

    /// Like [`Parser::expected`], but a word close to one of `keywords` is reported
    /// as a misspelled keyword.
    fn expected_keyword(&mut self, what: &str, keywords: &[Keyword]) -> Reported {
        let token = self.peek();
        if token.kind == Kind::Word && token.text.len() <= 32 {
            let lower = token.text.to_ascii_lowercase();
            let suggestion = Keyword::from_word(&lower)
                .filter(|k| keywords.contains(k))
                .map(Keyword::as_str)
                .or_else(|| did_you_mean(&lower, keywords.iter().map(|k| k.as_str())));
            if let Some(suggestion) = suggestion {
                let message = format!(
                    "unknown keyword `{}`; did you mean `{suggestion}`?",
                    token.text
                );
                let span = token.span;
                self.error(span, message);
                return Reported;
            }
        }
        self.expected(what)
    }

    /// Whether the next tokens are a block header `WORD "name" {`.
    fn at_block_header(&self) -> bool {
        matches!(self.peek_kind(1), Kind::Str(_)) && matches!(self.peek_kind(2), Kind::LBrace)
    }

    /// Whether the current token starts an item: an item keyword first on its line,
    /// or a line starting like one with a misspelled keyword (`alow "r" {`).
    fn at_item_start(&self) -> bool {
        let token = self.peek();
        token.line_start
            && match token.kind {
                Kind::Kw(k) => ITEM_KEYWORDS.contains(&k),
                Kind::Word => self.at_block_header(),
                _ => false,
            }
    }

    /// Whether the current token certainly starts an item, even inside a block:
    /// `default`, `let`, `audit` or `test` first on a line, a rule header
    /// `allow|deny "name" {`, or a line starting like one with a misspelled keyword.
    fn at_strong_item_start(&self) -> bool {
        let token = self.peek();
        match token.kind {
            Kind::Kw(Keyword::Default | Keyword::Let | Keyword::Audit | Keyword::Test) => {
                token.line_start
            }
            Kind::Kw(Keyword::Allow | Keyword::Deny) => self.at_block_header(),
            Kind::Word => token.line_start && self.at_block_header(),
            _ => false,
        }
    }

    // ----- items -------------------------------------------------------------------

    fn items(&mut self) {
        loop {
            let result = match &self.peek().kind {
                Kind::Eof => return,
                Kind::Kw(Keyword::Default) => self.default_decl(),
                Kind::Kw(Keyword::Let) => self.let_decl(),
                Kind::Kw(Keyword::Allow | Keyword::Deny | Keyword::Audit) => self.rule(),
                Kind::Kw(Keyword::Test) => self.test_block(),
                _ => {
                    let reported = self.expected_keyword(
                        "`default`, `let`, `allow`, `deny`, `audit` or `test`",
                        &ITEM_KEYWORDS,
                    );
                    self.bump();
                    Err(reported)
                }
            };
            if result.is_err() {
                self.recover_item();
            }
        }
    }

    /// Skips to the next item start: an item keyword first on its line, a line
    /// starting like an item with a misspelled keyword, or the first line after a
    /// `{ … }` block (the block closes the broken item, so whatever starts the next
    /// line is reported, not skipped). A block met on the way is skipped to its `}`,
    /// unless an item clearly starts in it.
    fn recover_item(&mut self) {
        let mut in_block = false;
        let mut after_block = false;
        loop {
            let token = self.peek();
            match &token.kind {
                Kind::Eof => return,
                _ if in_block => {
                    if self.at_strong_item_start() {
                        return;
                    }
                    if token.kind == Kind::RBrace {
                        in_block = false;
                        after_block = true;
                    }
                }
                _ if token.line_start && after_block => return,
                _ if self.at_item_start() => return,
                Kind::LBrace => in_block = true,
                _ => {}
            }
            self.bump();
        }
    }

    /// `default allow|deny`.
    fn default_decl(&mut self) -> Parsed<()> {
        let keyword = self.bump();
        let effect = match self.peek().kind {
            Kind::Kw(Keyword::Allow) => Effect::Allow,
            Kind::Kw(Keyword::Deny) => Effect::Deny,
            _ => {
                return Err(self.expected_keyword(
                    "`allow` or `deny` after `default`",
                    &[Keyword::Allow, Keyword::Deny],
                ));
            }
        };
        self.bump();
        let decl = DefaultDecl {
            effect,
            span: self.since(keyword.span),
            comments: Comments::default(),
        };
        if self.file.default.is_none() {
            self.file.default = Some(decl);
        } else {
            self.file.extra_defaults.push(decl);
        }
        Ok(())
    }

    /// `let NAME = value` or `let NAME = [values]`. A binding whose name was read is
    /// kept even when its value has an error, so its uses are not reported too.
    fn let_decl(&mut self) -> Parsed<()> {
        let keyword = self.bump();
        if self.peek().kind != Kind::Word {
            return Err(self.expected("a name after `let`"));
        }
        let token = self.bump();
        let name = Ident {
            name: token.text.to_string(),
            span: token.span,
        };
        let value = self.let_value(&name.name);
        let (value, result) = match value {
            Ok(value) => (value, Ok(())),
            Err(partial) => (partial, Err(Reported)),
        };
        self.file.lets.push(Let {
            name,
            value,
            span: self.since(keyword.span),
            comments: Comments::default(),
        });
        result
    }

    /// `= value` or `= [values]`; on error, what could be read.
    fn let_value(&mut self, name: &str) -> Result<LetValue, LetValue> {
        let empty = |at: Span| {
            LetValue::List(List {
                values: Vec::new(),
                span: at,
                end_comments: Vec::new(),
            })
        };
        if self.peek().kind != Kind::Eq {
            self.expected(&format!("`=` after `let {name}`"));
            return Err(empty(self.peek().span));
        }
        self.bump();
        if self.peek().kind == Kind::LBracket {
            return self.list().map(LetValue::List).map_err(LetValue::List);
        }
        match self.value("a value or a list after `=`") {
            Ok(value) => Ok(LetValue::Single(value)),
            Err(Reported) => Err(empty(self.peek().span)),
        }
    }

    /// `allow|deny|audit "name" { conditions }`. A missing name is reported and the
    /// body still read (for its errors), but the rule is dropped.
    fn rule(&mut self) -> Parsed<()> {
        let keyword = self.bump();
        let kind = match keyword.kind {
            Kind::Kw(Keyword::Deny) => RuleKind::Deny,
            Kind::Kw(Keyword::Audit) => RuleKind::Audit,
            _ => RuleKind::Allow,
        };
        let name = self.item_name("rule", keyword.text);
        if self.peek().kind != Kind::LBrace {
            return match name {
                Some(_) => Err(self.expected("`{` after the rule name")),
                None => Err(Reported),
            };
        }
        let open = self.bump();
        let conditions = self.rule_body(name.as_ref(), open.span);
        if let Some(name) = name {
            self.file.rules.push(Rule {
                kind,
                name,
                conditions,
                span: self.since(keyword.span),
                comments: Comments::default(),
                end_comments: Vec::new(),
            });
        }
        Ok(())
    }

    /// The string naming a rule or test block (a `noun`) after `keyword`, or `None`
    /// after reporting it was expected.
    fn item_name(&mut self, noun: &str, keyword: &str) -> Option<StringLit> {
        if let Kind::Str(_) = self.peek().kind {
            let token = self.bump();
            if let Kind::Str(value) = token.kind {
                return Some(StringLit {
                    value: value.into_owned(),
                    span: token.span,
                });
            }
        }
        self.expected(&format!("the {noun} name (a string) after `{keyword}`"));
        None
    }

    /// Reports that the `{` at `open`, of the `noun` (a rule or test block) named
    /// `name`, is never closed: its body ended at the current token, an item start or
    /// the end of input, which the diagnostic points at too. Nothing is reported when
    /// the body swallowed a `}` into an unterminated string, already reported.
    fn unclosed(&mut self, noun: &str, name: Option<&StringLit>, open: Span, swallowed: usize) {
        if self.swallowed != swallowed {
            return;
        }
        let what = match name {
            Some(name) => format!("{noun} {}", super::string::quote(&name.value)),
            None => format!("the {noun}"),
        };
        let here = self.peek();
        let label = if here.kind == Kind::Eof {
            "expected `}` before the end of input"
        } else {
            "expected `}` before the next item"
        };
        let related = Some((here.span, label.to_string()));
        self.errors.push(SyntaxError {
            span: open,
            message: format!("unclosed `{{` of {what}"),
            related,
        });
    }

    /// Conditions up to the closing `}` (consumed). Stops without consuming at an
    /// item start or the end of input, reporting the `{` at `open` as unclosed.
    fn rule_body(&mut self, name: Option<&StringLit>, open: Span) -> Vec<Condition> {
        let mut conditions = Vec::new();
        let mut after_values = false;
        let swallowed = self.swallowed;
        loop {
            let token = self.peek();
            match &token.kind {
                Kind::RBrace => {
                    self.bump();
                    return conditions;
                }
                Kind::Eof => {
                    self.unclosed("rule", name, open, swallowed);
                    return conditions;
                }
                Kind::Kw(k) if CONDITION_KEYWORDS.contains(k) => match self.condition() {
                    Ok((condition, values)) => {
                        conditions.push(condition);
                        after_values = values;
                    }
                    Err(Reported) => {
                        self.recover_condition();
                        after_values = false;
                    }
                },
                _ if self.at_item_start() => {
                    self.unclosed("rule", name, open, swallowed);
                    return conditions;
                }
                kind => {
                    // A value after values is probably a missing `,`; a lower-case
                    // word is more likely a misspelled condition keyword.
                    let lower = *kind == Kind::Word && name_shaped(token.text);
                    if after_values && is_value_start(kind) && !lower {
                        let message = format!(
                            "expected a condition or `}}`, found {} (missing `,` between values?)",
                            describe(token)
                        );
                        let span = token.span;
                        self.error(span, message);
                    } else {
                        self.expected_keyword("a condition or `}`", &CONDITION_KEYWORDS);
                    }
                    self.bump();
                    self.recover_condition();
                    after_values = false;
                }
            }
        }
    }

    /// Skips to the next condition keyword, `}`, item keyword first on its line, or
    /// the end.
    fn recover_condition(&mut self) {
        loop {
            let token = self.peek();
            let stop = match &token.kind {
                Kind::Eof | Kind::RBrace => true,
                Kind::Kw(k) if CONDITION_KEYWORDS.contains(k) => true,
                _ => self.at_item_start(),
            };
            if stop {
                return;
            }
            self.bump();
        }
    }

    /// `[not] subject test` or `[not] (header|attr) "name" keyed_test`; also says
    /// whether it ended with a list of values (so a missing `,` can be suggested).
    fn condition(&mut self) -> Parsed<(Condition, bool)> {
        let start = self.peek().span;
        let not = self.at_kw(Keyword::Not);
        if not {
            self.bump();
        }
        let subject = match self.peek().kind {
            Kind::Kw(Keyword::Identity) => Subject::Identity,
            Kind::Kw(Keyword::Method) => Subject::Method,
            Kind::Kw(Keyword::Path) => Subject::Path,
            Kind::Kw(Keyword::Host) => Subject::Host,
            Kind::Kw(Keyword::Port) => Subject::Port,
            Kind::Kw(Keyword::Source) => Subject::Source,
            Kind::Kw(Keyword::Header) => Subject::Header(StringLit::default()),
            Kind::Kw(Keyword::Attr) => Subject::Attr(StringLit::default()),
            _ => {
                return Err(self.expected_keyword(
                    "a subject after `not`",
                    CONDITION_KEYWORDS.get(1..).unwrap_or_default(),
                ));
            }
        };
        let subject_token = self.bump();
        let subject = match subject {
            Subject::Header(_) => {
                Subject::Header(self.string("the header name (a string) after `header`")?)
            }
            Subject::Attr(_) => {
                Subject::Attr(self.string("the attribute name (a string) after `attr`")?)
            }
            other => other,
        };
        let keyed = matches!(subject, Subject::Header(_) | Subject::Attr(_));
        let test = match &self.peek().kind {
            Kind::Kw(Keyword::In) => {
                self.bump();
                Test::In(self.in_target()?)
            }
            Kind::Tilde => {
                self.bump();
                Test::Regex(self.string("a regular expression (a string) after `~`")?)
            }
            Kind::Kw(Keyword::Present) => {
                self.bump();
                Test::Present
            }
            Kind::EqEq if keyed => {
                self.bump();
                Test::Equals(self.string("a string after `==`")?)
            }
            kind if !keyed && is_value_start(kind) => Test::Values(self.values()?),
            _ => {
                let what = if keyed {
                    let name = if matches!(subject, Subject::Header(_)) {
                        "header"
                    } else {
                        "attribute"
                    };
                    format!("`==`, `in`, `~` or `present` after the {name} name")
                } else {
                    format!(
                        "a value, `in`, `~` or `present` after `{}`",
                        subject_token.text
                    )
                };
                return Err(self.expected_keyword(&what, &[Keyword::In, Keyword::Present]));
            }
        };
        let values = matches!(test, Test::Values(_));
        Ok((
            Condition {
                not,
                subject,
                test,
                span: self.since(start),
                comments: Comments::default(),
            },
            values,
        ))
    }

    /// A string literal, or an error saying `what` was expected.
    fn string(&mut self, what: &str) -> Parsed<StringLit> {
        if let Kind::Str(_) = self.peek().kind {
            let token = self.bump();
            if let Kind::Str(value) = token.kind {
                return Ok(StringLit {
                    value: value.into_owned(),
                    span: token.span,
                });
            }
        }
        Err(self.expected(what))
    }

    /// `value { , value }`.
    fn values(&mut self) -> Parsed<Vec<Value>> {
        let first = self.value("a value")?;
        if self.peek().kind != Kind::Comma {
            return Ok(vec![first]);
        }
        let mut values = Vec::with_capacity(4);
        values.push(first);
        while self.peek().kind == Kind::Comma {
            self.bump();
            values.push(self.value("a value after `,`")?);
        }
        Ok(values)
    }

    /// One value, or an error saying `what` was expected.
    fn value(&mut self, what: &str) -> Parsed<Value> {
        if !is_value_start(&self.peek().kind) {
            return Err(self.expected(what));
        }
        let token = self.bump();
        let kind = match token.kind {
            Kind::Str(value) => ValueKind::String(value.into_owned()),
            Kind::Int(value) => ValueKind::Integer(value),
            Kind::Range(start, end) => ValueKind::Range {
                range: (start, end),
            },
            Kind::Address => ValueKind::Address {
                address: token.text.to_string(),
            },
            _ => word_value(token.text),
        };
        Ok(Value {
            kind,
            span: token.span,
            comments: Comments::default(),
        })
    }

    /// What follows `in`: a name or a list.
    fn in_target(&mut self) -> Parsed<InTarget> {
        match self.peek().kind {
            Kind::Word => {
                let token = self.bump();
                Ok(InTarget::Name(Ident {
                    name: token.text.to_string(),
                    span: token.span,
                }))
            }
            Kind::LBracket => self.list().map(InTarget::List).map_err(|_| Reported),
            _ => Err(self.expected("a name or a list after `in`")),
        }
    }

    /// `[ value, … ]`, trailing comma allowed; on error, the values read so far.
    fn list(&mut self) -> Result<List, List> {
        let open = self.bump();
        let mut values = Vec::new();
        loop {
            match &self.peek().kind {
                Kind::RBracket => {
                    self.bump();
                    return Ok(List {
                        values,
                        span: self.since(open.span),
                        end_comments: Vec::new(),
                    });
                }
                kind if is_value_start(kind) => {
                    if let Ok(value) = self.value("a value") {
                        values.push(value);
                    }
                    match self.peek().kind {
                        Kind::Comma => {
                            self.bump();
                        }
                        Kind::RBracket => {}
                        _ => {
                            self.expected("`,` or `]` after a value in the list");
                            break;
                        }
                    }
                }
                _ => {
                    self.expected("a value or `]` in the list");
                    break;
                }
            }
        }
        Err(List {
            values,
            span: self.since(open.span),
            end_comments: Vec::new(),
        })
    }

    // ----- test blocks ---------------------------------------------------------------

    /// `test "name" { expectations }`.
    fn test_block(&mut self) -> Parsed<()> {
        let keyword = self.bump();
        let name = self.item_name("test", "test");
        if self.peek().kind != Kind::LBrace {
            return match name {
                Some(_) => Err(self.expected("`{` after the test name")),
                None => Err(Reported),
            };
        }
        let open = self.bump();
        let expectations = self.test_body(name.as_ref(), open.span);
        if let Some(name) = name {
            self.file.tests.push(TestBlock {
                name,
                expectations,
                span: self.since(keyword.span),
                comments: Comments::default(),
                end_comments: Vec::new(),
            });
        }
        Ok(())
    }

    /// Expectations up to the closing `}` (consumed). Stops without consuming where
    /// an item clearly starts, reporting the `{` at `open` as unclosed.
    fn test_body(&mut self, name: Option<&StringLit>, open: Span) -> Vec<Expectation> {
        let mut expectations = Vec::new();
        let swallowed = self.swallowed;
        loop {
            if self.at_strong_item_start() || self.peek().kind == Kind::Eof {
                self.unclosed("test", name, open, swallowed);
                return expectations;
            }
            match self.peek().kind {
                Kind::RBrace => {
                    self.bump();
                    return expectations;
                }
                Kind::Kw(Keyword::Allow | Keyword::Deny) => match self.expectation() {
                    Ok(expectation) => expectations.push(expectation),
                    Err(Reported) => self.recover_expectation(),
                },
                _ => {
                    self.expected_keyword(
                        "an expectation (`allow` or `deny`) or `}`",
                        &FIELD_KEYWORDS,
                    );
                    self.bump();
                    self.recover_expectation();
                }
            }
        }
    }

    /// Skips to the next `allow`/`deny`, `}`, item start, or the end.
    fn recover_expectation(&mut self) {
        while !(self.at_strong_item_start()
            || matches!(
                self.peek().kind,
                Kind::Eof | Kind::RBrace | Kind::Kw(Keyword::Allow | Keyword::Deny)
            ))
        {
            self.bump();
        }
    }

    /// `allow|deny METHOD "path" fields… [by "rule" | by default]`.
    fn expectation(&mut self) -> Parsed<Expectation> {
        let keyword = self.bump();
        let effect = if keyword.kind == Kind::Kw(Keyword::Deny) {
            Effect::Deny
        } else {
            Effect::Allow
        };
        let method = match self.peek().kind {
            // A bare method in an expectation is not checked as a method (a test
            // request may carry any method), so only what reads as one is taken.
            Kind::Word if is_method(self.peek().text) => {
                let token = self.bump();
                StringLit {
                    value: token.text.to_string(),
                    span: token.span,
                }
            }
            _ => self.string(&format!(
                "a method (`GET` or a string) after `{}`",
                keyword.text
            ))?,
        };
        let path = self.string("the request path (a string) after the method")?;
        let mut fields = Vec::new();
        let mut by = None;
        loop {
            let field = match self.peek().kind {
                Kind::Kw(Keyword::Identity) => {
                    self.bump();
                    Field::Identity(self.string("a string after `identity`")?)
                }
                Kind::Kw(Keyword::Host) => {
                    self.bump();
                    Field::Host(self.string("a string after `host`")?)
                }
                Kind::Kw(Keyword::Port) => {
                    self.bump();
                    let Kind::Int(value) = self.peek().kind else {
                        return Err(self.expected("a port number after `port`"));
                    };
                    let token = self.bump();
                    Field::Port(Integer {
                        value,
                        span: token.span,
                    })
                }
                Kind::Kw(Keyword::Source) => {
                    self.bump();
                    if self.peek().kind != Kind::Address {
                        return Err(self.expected("an address after `source`"));
                    }
                    let token = self.bump();
                    Field::Source(Address {
                        text: token.text.to_string(),
                        span: token.span,
                    })
                }
                Kind::Kw(keyword @ (Keyword::Header | Keyword::Attr)) => {
                    self.bump();
                    let noun = if keyword == Keyword::Header {
                        "header"
                    } else {
                        "attribute"
                    };
                    let name = self.string(&format!(
                        "the {noun} name (a string) after `{}`",
                        keyword.as_str()
                    ))?;
                    if self.peek().kind != Kind::Eq {
                        return Err(self.expected(&format!("`=` after the {noun} name")));
                    }
                    self.bump();
                    let value = self.string(&format!("the {noun} value (a string) after `=`"))?;
                    if keyword == Keyword::Header {
                        Field::Header(name, value)
                    } else {
                        Field::Attr(name, value)
                    }
                }
                Kind::Kw(Keyword::By) => {
                    self.bump();
                    if self.at_kw(Keyword::Default) {
                        self.bump();
                        by = Some(By::Default);
                    } else {
                        by = Some(By::Rule(
                            self.string("a rule name (a string) or `default` after `by`")?,
                        ));
                    }
                    break;
                }
                _ => break,
            };
            fields.push(field);
        }
        Ok(Expectation {
            effect,
            method,
            path,
            fields,
            by,
            span: self.since(keyword.span),
            comments: Comments::default(),
        })
    }
}
