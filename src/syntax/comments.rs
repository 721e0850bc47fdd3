//! Comments attached to the nodes they stand beside.
//!
//! The parser builds the tree without comments; this pass then gives each comment
//! the lexer found a place, by where it is:
//!
//! - It belongs to the innermost block that holds it: the file, a rule or test
//!   block (between its name and its `}`), or a bracketed list. The nodes of the
//!   block (items, conditions, expectations, values) are its children.
//! - A comment at the end of a line goes `after` the child that ends on that line
//!   (or that it interrupts), if that child has no such comment yet.
//! - Any other comment goes `before` the child it interrupts or the next child, or,
//!   with no child after it, to the block's `end_comments`.
//!
//! The printer writes each comment where this pass puts it back in the same place,
//! so printing and parsing again keeps every comment with its node.

use crate::span::Span;
use crate::syntax::ast::{
    Comment, Comments, Condition, File, InTarget, LetValue, List, Rule, Test, TestBlock, Value,
};
use crate::syntax::lex::RawComment;

/// Attaches `comments` (in source order) to `file`, parsed from `text`.
pub(super) fn attach(file: &mut File, comments: &[RawComment<'_>], text: &str) {
    if comments.is_empty() {
        return;
    }
    let lines = Lines::new(text);
    let items = items(file);
    for raw in comments {
        let comment = Comment {
            text: raw.text.to_string(),
            span: raw.span,
        };
        attach_to_file(file, &items, comment, raw.own_line, &lines);
    }
}

/// The line of any byte offset of one text.
struct Lines {
    /// The offset of each line's first byte.
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { starts }
    }

    /// The 0-based line of `offset`.
    fn line(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// The line the last byte of `span` is on.
    fn end_line(&self, span: Span) -> usize {
        self.line(span.end.saturating_sub(1).max(span.start))
    }
}

/// An item of a file, by kind and index.
#[derive(Clone, Copy, Debug)]
enum Item {
    /// `file.default` (0) or `file.extra_defaults[n - 1]` (n).
    Default(usize),
    Let(usize),
    Rule(usize),
    Test(usize),
}

/// The items of `file` with their spans, in source order.
fn items(file: &File) -> Vec<(Span, Item)> {
    let mut items: Vec<(Span, Item)> = file
        .default
        .iter()
        .chain(&file.extra_defaults)
        .enumerate()
        .map(|(i, d)| (d.span, Item::Default(i)))
        .chain(
            file.lets
                .iter()
                .enumerate()
                .map(|(i, l)| (l.span, Item::Let(i))),
        )
        .chain(
            file.rules
                .iter()
                .enumerate()
                .map(|(i, r)| (r.span, Item::Rule(i))),
        )
        .chain(
            file.tests
                .iter()
                .enumerate()
                .map(|(i, t)| (t.span, Item::Test(i))),
        )
        .collect();
    items.sort_by_key(|(span, _)| span.start);
    items
}

/// Where a comment goes among the children of a block.
#[derive(Debug, PartialEq, Eq)]
enum Place {
    /// Into the block held by child `n`.
    Inside(usize),
    Before(usize),
    After(usize),
    End,
}

/// Whether `span` holds `offset` strictly inside.
fn holds(span: Span, offset: usize) -> bool {
    span.start < offset && offset < span.end
}

/// Where `comment` goes among `children` (spans in source order): `has_after(n)`
/// says whether child `n` has its end-of-line comment already, `block(n)` whether
/// child `n` holds a block that holds the comment.
fn place(
    children: &[Span],
    comment: &Comment,
    own_line: bool,
    lines: &Lines,
    has_after: impl Fn(usize) -> bool,
    block: impl Fn(usize) -> bool,
) -> Place {
    let at = comment.span.start;
    // Children starting before the comment; the last of them may hold it.
    let before = children.partition_point(|s| s.start < at);
    let holder = before
        .checked_sub(1)
        .filter(|&n| children.get(n).is_some_and(|s| holds(*s, at)));
    if let Some(n) = holder {
        if block(n) {
            return Place::Inside(n);
        }
    }
    if !own_line {
        match holder {
            Some(n) if !has_after(n) => return Place::After(n),
            Some(_) => {}
            None => {
                let ended = before.checked_sub(1).filter(|&n| {
                    children
                        .get(n)
                        .is_some_and(|s| lines.end_line(*s) == lines.line(at))
                });
                if let Some(n) = ended.filter(|&n| !has_after(n)) {
                    return Place::After(n);
                }
            }
        }
    }
    match holder {
        Some(n) => Place::Before(n),
        None if before < children.len() => Place::Before(before),
        None => Place::End,
    }
}

/// Puts `comment` at `place` among `children`, or in `end`.
fn put<T>(
    children: &mut [T],
    comments: impl Fn(&mut T) -> &mut Comments,
    end: &mut Vec<Comment>,
    place: &Place,
    comment: Comment,
) {
    let slot = match *place {
        Place::Before(n) | Place::After(n) => children.get_mut(n).map(comments),
        Place::Inside(_) | Place::End => None,
    };
    match (slot, place) {
        (Some(slot), Place::After(_)) => slot.after = Some(Box::new(comment)),
        (Some(slot), _) => slot.before.push(comment),
        (None, _) => end.push(comment),
    }
}

fn attach_to_file(
    file: &mut File,
    items: &[(Span, Item)],
    comment: Comment,
    own_line: bool,
    lines: &Lines,
) {
    let spans: Vec<Span> = items.iter().map(|(span, _)| *span).collect();
    let at = comment.span.start;
    let place = place(
        &spans,
        &comment,
        own_line,
        lines,
        |n| item_comments(file, items, n).is_some_and(|c| c.after.is_some()),
        |n| match items.get(n).map(|(_, item)| *item) {
            Some(Item::Let(i)) => file.lets.get(i).is_some_and(|l| match &l.value {
                LetValue::List(list) => holds(list.span, at),
                LetValue::Single(_) => false,
            }),
            Some(Item::Rule(i)) => file
                .rules
                .get(i)
                .is_some_and(|r| in_body(r.name.span, r.span, at)),
            Some(Item::Test(i)) => file
                .tests
                .get(i)
                .is_some_and(|t| in_body(t.name.span, t.span, at)),
            _ => false,
        },
    );
    match place {
        Place::Inside(n) => match items.get(n).map(|(_, item)| *item) {
            Some(Item::Let(i)) => {
                if let Some(LetValue::List(list)) = file.lets.get_mut(i).map(|l| &mut l.value) {
                    attach_to_list(list, comment, own_line, lines);
                }
            }
            Some(Item::Rule(i)) => {
                if let Some(rule) = file.rules.get_mut(i) {
                    attach_to_rule(rule, comment, own_line, lines);
                }
            }
            Some(Item::Test(i)) => {
                if let Some(block) = file.tests.get_mut(i) {
                    attach_to_test(block, comment, own_line, lines);
                }
            }
            _ => file.end_comments.push(comment),
        },
        Place::Before(n) | Place::After(n) => {
            let after = place == Place::After(n);
            match item_comments_mut(file, items, n) {
                Some(slot) if after => slot.after = Some(Box::new(comment)),
                Some(slot) => slot.before.push(comment),
                None => file.end_comments.push(comment),
            }
        }
        Place::End => file.end_comments.push(comment),
    }
}

/// Whether `at` is in the body of a block whose name is at `name` and which ends
/// with `whole`: after the name, before the end.
fn in_body(name: Span, whole: Span, at: usize) -> bool {
    name.end <= at && at < whole.end
}

fn item_comments<'f>(file: &'f File, items: &[(Span, Item)], n: usize) -> Option<&'f Comments> {
    match items.get(n)?.1 {
        Item::Default(0) => file.default.as_ref().map(|d| &d.comments),
        Item::Default(i) => file.extra_defaults.get(i - 1).map(|d| &d.comments),
        Item::Let(i) => file.lets.get(i).map(|l| &l.comments),
        Item::Rule(i) => file.rules.get(i).map(|r| &r.comments),
        Item::Test(i) => file.tests.get(i).map(|t| &t.comments),
    }
}

fn item_comments_mut<'f>(
    file: &'f mut File,
    items: &[(Span, Item)],
    n: usize,
) -> Option<&'f mut Comments> {
    match items.get(n)?.1 {
        Item::Default(0) => file.default.as_mut().map(|d| &mut d.comments),
        Item::Default(i) => file.extra_defaults.get_mut(i - 1).map(|d| &mut d.comments),
        Item::Let(i) => file.lets.get_mut(i).map(|l| &mut l.comments),
        Item::Rule(i) => file.rules.get_mut(i).map(|r| &mut r.comments),
        Item::Test(i) => file.tests.get_mut(i).map(|t| &mut t.comments),
    }
}

/// The list a condition tests against, when it is written in the condition.
fn condition_list(condition: &mut Condition) -> Option<&mut List> {
    match &mut condition.test {
        Test::In(InTarget::List(list)) => Some(list),
        _ => None,
    }
}

fn attach_to_rule(rule: &mut Rule, comment: Comment, own_line: bool, lines: &Lines) {
    let spans: Vec<Span> = rule.conditions.iter().map(|c| c.span).collect();
    let at = comment.span.start;
    let place = place(
        &spans,
        &comment,
        own_line,
        lines,
        |n| {
            rule.conditions
                .get(n)
                .is_some_and(|c| c.comments.after.is_some())
        },
        |n| {
            rule.conditions.get(n).is_some_and(
                |c| matches!(&c.test, Test::In(InTarget::List(list)) if holds(list.span, at)),
            )
        },
    );
    if let Place::Inside(n) = place {
        match rule.conditions.get_mut(n).and_then(condition_list) {
            Some(list) => attach_to_list(list, comment, own_line, lines),
            None => rule.end_comments.push(comment),
        }
        return;
    }
    put(
        &mut rule.conditions,
        |c| &mut c.comments,
        &mut rule.end_comments,
        &place,
        comment,
    );
}

fn attach_to_test(block: &mut TestBlock, comment: Comment, own_line: bool, lines: &Lines) {
    let spans: Vec<Span> = block.expectations.iter().map(|e| e.span).collect();
    let place = place(
        &spans,
        &comment,
        own_line,
        lines,
        |n| {
            block
                .expectations
                .get(n)
                .is_some_and(|e| e.comments.after.is_some())
        },
        |_| false,
    );
    put(
        &mut block.expectations,
        |e| &mut e.comments,
        &mut block.end_comments,
        &place,
        comment,
    );
}

fn attach_to_list(list: &mut List, comment: Comment, own_line: bool, lines: &Lines) {
    let spans: Vec<Span> = list.values.iter().map(|v| v.span).collect();
    let place = place(
        &spans,
        &comment,
        own_line,
        lines,
        |n| {
            list.values
                .get(n)
                .is_some_and(|v| v.comments.after.is_some())
        },
        |_| false,
    );
    put(
        &mut list.values,
        |v: &mut Value| &mut v.comments,
        &mut list.end_comments,
        &place,
        comment,
    );
}
