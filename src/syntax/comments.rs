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
    Comment, Comments, Condition, Expectation, File, InTarget, LetValue, List, Rule, Test,
    TestBlock, Value,
};
use crate::syntax::lex::RawComment;

/// Attaches `comments` (in source order) to `file`, parsed from `text`.
pub(super) fn attach(file: &mut File, comments: &[RawComment<'_>], text: &str) {
    if comments.is_empty() {
        return;
    }
    let mut lines = Lines { text, starts: None };
    let items = items(file);
    for raw in comments {
        let comment = Comment {
            text: raw.text.to_string(),
            span: raw.span,
        };
        attach_to_file(file, &items, comment, raw.own_line, &mut lines);
    }
}

/// The line of any byte offset of one text, from a table of line starts built the
/// first time one is asked for (only a comment at the end of a line after a node
/// needs it).
struct Lines<'t> {
    text: &'t str,
    /// The offset of each line's first byte.
    starts: Option<Vec<usize>>,
}

impl Lines<'_> {
    /// The 0-based line of `offset`.
    fn line(&mut self, offset: usize) -> usize {
        let text = self.text;
        let starts = self.starts.get_or_insert_with(|| {
            std::iter::once(0)
                .chain(
                    text.bytes()
                        .enumerate()
                        .filter(|&(_, b)| b == b'\n')
                        .map(|(i, _)| i + 1),
                )
                .collect()
        });
        starts.partition_point(|&s| s <= offset).saturating_sub(1)
    }

    /// The line the last byte of `span` is on.
    fn end_line(&mut self, span: Span) -> usize {
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

/// Whether `at` is in the body of a block whose name is at `name` and which ends
/// with `whole`: after the name, before the end.
fn in_body(name: Span, whole: Span, at: usize) -> bool {
    name.end <= at && at < whole.end
}

/// How to see the children of a block.
struct Children<S, A, B> {
    /// A child's span.
    span: S,
    /// Whether a child has its end-of-line comment already.
    has_after: A,
    /// Whether a child holds a block that holds the comment.
    block: B,
}

/// Where `comment` goes among `children` (in source order). A binary search: no
/// work per child, however many children and comments a block has.
fn place<T, S, A, B>(
    children: &[T],
    how: &Children<S, A, B>,
    comment: &Comment,
    own_line: bool,
    lines: &mut Lines<'_>,
) -> Place
where
    S: Fn(&T) -> Span,
    A: Fn(&T) -> bool,
    B: Fn(&T) -> bool,
{
    let at = comment.span.start;
    // Children starting before the comment; the last of them may hold it.
    let before = children.partition_point(|c| (how.span)(c).start < at);
    let last = before
        .checked_sub(1)
        .and_then(|n| Some((n, children.get(n)?)));
    let holder = last.filter(|(_, c)| holds((how.span)(c), at));
    if let Some((n, child)) = holder {
        if (how.block)(child) {
            return Place::Inside(n);
        }
    }
    if !own_line {
        match holder {
            Some((n, child)) if !(how.has_after)(child) => return Place::After(n),
            Some(_) => {}
            None => {
                if let Some((n, child)) = last {
                    if !(how.has_after)(child)
                        && lines.end_line((how.span)(child)) == lines.line(at)
                    {
                        return Place::After(n);
                    }
                }
            }
        }
    }
    match holder {
        Some((n, _)) => Place::Before(n),
        None if before < children.len() => Place::Before(before),
        None => Place::End,
    }
}

/// Puts `comment` at `place` among `children` (whose comments `comments` gives), or
/// in `end`.
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
        (Some(slot), Place::After(_)) => slot.set_after(Some(comment)),
        (Some(slot), _) => slot.push_before(comment),
        (None, _) => end.push(comment),
    }
}

fn attach_to_file(
    file: &mut File,
    items: &[(Span, Item)],
    comment: Comment,
    own_line: bool,
    lines: &mut Lines<'_>,
) {
    let at = comment.span.start;
    let place = {
        let file = &*file;
        let how = Children {
            span: |(span, _): &(Span, Item)| *span,
            has_after: |(_, item): &(Span, Item)| {
                item_comments(file, *item).is_some_and(|c| c.after().is_some())
            },
            block: |(_, item): &(Span, Item)| match *item {
                Item::Let(i) => file.lets.get(i).is_some_and(|l| match &l.value {
                    LetValue::List(list) => holds(list.span, at),
                    LetValue::Single(_) => false,
                }),
                Item::Rule(i) => file
                    .rules
                    .get(i)
                    .is_some_and(|r| in_body(r.name.span, r.span, at)),
                Item::Test(i) => file
                    .tests
                    .get(i)
                    .is_some_and(|t| in_body(t.name.span, t.span, at)),
                Item::Default(_) => false,
            },
        };
        place(items, &how, &comment, own_line, lines)
    };
    let item = |n: usize| items.get(n).map(|(_, item)| *item);
    match place {
        Place::Inside(n) => match item(n) {
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
            match item(n).and_then(|item| item_comments_mut(file, item)) {
                Some(slot) if after => slot.set_after(Some(comment)),
                Some(slot) => slot.push_before(comment),
                None => file.end_comments.push(comment),
            }
        }
        Place::End => file.end_comments.push(comment),
    }
}

fn item_comments(file: &File, item: Item) -> Option<&Comments> {
    match item {
        Item::Default(0) => file.default.as_ref().map(|d| &d.comments),
        Item::Default(i) => file.extra_defaults.get(i - 1).map(|d| &d.comments),
        Item::Let(i) => file.lets.get(i).map(|l| &l.comments),
        Item::Rule(i) => file.rules.get(i).map(|r| &r.comments),
        Item::Test(i) => file.tests.get(i).map(|t| &t.comments),
    }
}

fn item_comments_mut(file: &mut File, item: Item) -> Option<&mut Comments> {
    match item {
        Item::Default(0) => file.default.as_mut().map(|d| &mut d.comments),
        Item::Default(i) => file.extra_defaults.get_mut(i - 1).map(|d| &mut d.comments),
        Item::Let(i) => file.lets.get_mut(i).map(|l| &mut l.comments),
        Item::Rule(i) => file.rules.get_mut(i).map(|r| &mut r.comments),
        Item::Test(i) => file.tests.get_mut(i).map(|t| &mut t.comments),
    }
}

fn attach_to_rule(rule: &mut Rule, comment: Comment, own_line: bool, lines: &mut Lines<'_>) {
    let at = comment.span.start;
    let how = Children {
        span: |c: &Condition| c.span,
        has_after: |c: &Condition| c.comments.after().is_some(),
        block: |c: &Condition| matches!(&c.test, Test::In(InTarget::List(list)) if holds(list.span, at)),
    };
    let place = place(&rule.conditions, &how, &comment, own_line, lines);
    if let Place::Inside(n) = place {
        let list = rule.conditions.get_mut(n).and_then(|c| match &mut c.test {
            Test::In(InTarget::List(list)) => Some(list),
            _ => None,
        });
        match list {
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

fn attach_to_test(block: &mut TestBlock, comment: Comment, own_line: bool, lines: &mut Lines<'_>) {
    let how = Children {
        span: |e: &Expectation| e.span,
        has_after: |e: &Expectation| e.comments.after().is_some(),
        block: |_: &Expectation| false,
    };
    let place = place(&block.expectations, &how, &comment, own_line, lines);
    put(
        &mut block.expectations,
        |e| &mut e.comments,
        &mut block.end_comments,
        &place,
        comment,
    );
}

fn attach_to_list(list: &mut List, comment: Comment, own_line: bool, lines: &mut Lines<'_>) {
    let how = Children {
        span: |v: &Value| v.span,
        has_after: |v: &Value| v.comments.after().is_some(),
        block: |_: &Value| false,
    };
    let place = place(&list.values, &how, &comment, own_line, lines);
    put(
        &mut list.values,
        |v| &mut v.comments,
        &mut list.end_comments,
        &place,
        comment,
    );
}
