//! Where each node of a JSON text is: its JSON Pointer (RFC 6901) and byte range.
//!
//! serde reads a JSON policy without positions, and serde_json reports a shape
//! error by line and column only. This scanner walks the text once and records
//! every value (and every member's key) with its pointer, so that a pointer can be
//! shown with its source line, and a position can be named by its pointer.
//!
//! It reads well-formed JSON; on anything else it stops and keeps what it found
//! (the caller then falls back to line and column).

/// Pointers and byte ranges of the nodes of one JSON text.
#[derive(Debug, Default)]
pub(crate) struct JsonMap {
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    pointer: String,
    start: usize,
    end: usize,
    /// The key of a member (its pointer is the member's), not a value.
    key: bool,
}

/// Nesting deeper than this is not scanned (serde_json refuses past 128).
const MAX_DEPTH: usize = 256;

impl JsonMap {
    /// Scans `text`.
    pub fn new(text: &str) -> JsonMap {
        let mut scanner = Scanner {
            text,
            pos: 0,
            entries: Vec::new(),
            depth: 0,
        };
        let _ = scanner.value(String::new());
        JsonMap {
            entries: scanner.entries,
        }
    }

    /// The byte range of the value at `pointer`.
    pub fn range(&self, pointer: &str) -> Option<(usize, usize)> {
        self.entries
            .iter()
            .find(|e| !e.key && e.pointer == pointer)
            .map(|e| (e.start, e.end))
    }

    /// The pointer of the innermost node (value or key) that holds the byte at
    /// `offset`.
    pub fn pointer_at(&self, offset: usize) -> Option<&str> {
        self.entries
            .iter()
            .filter(|e| e.start <= offset && offset < e.end)
            .min_by_key(|e| e.end - e.start)
            .map(|e| e.pointer.as_str())
    }

    /// The pointer of the value that ends just before `offset` (white space between
    /// them skipped).
    pub fn pointer_ending_at(&self, offset: usize) -> Option<&str> {
        self.entries
            .iter()
            .filter(|e| !e.key && e.end <= offset)
            .max_by_key(|e| (e.end, std::cmp::Reverse(e.end - e.start)))
            .map(|e| e.pointer.as_str())
    }
}

/// `token` escaped as one reference token of a JSON Pointer.
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    entries: Vec<Entry>,
    depth: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_whitespace();
        (self.peek() == Some(byte)).then(|| self.pos += 1)
    }

    /// One value at `pointer`; `None` where the text is not JSON.
    fn value(&mut self, pointer: String) -> Option<()> {
        self.skip_whitespace();
        let start = self.pos;
        match self.peek()? {
            b'{' => self.container(&pointer, b'}', true)?,
            b'[' => self.container(&pointer, b']', false)?,
            b'"' => {
                self.string()?;
            }
            _ => {
                while self.peek().is_some_and(|b| {
                    !matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n')
                }) {
                    self.pos += 1;
                }
                if self.pos == start {
                    return None;
                }
            }
        }
        self.entries.push(Entry {
            pointer,
            start,
            end: self.pos,
            key: false,
        });
        Some(())
    }

    /// An object (members with keys) or an array (elements by index).
    fn container(&mut self, pointer: &str, close: u8, object: bool) -> Option<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        self.skip_whitespace();
        if self.peek() == Some(close) {
            self.pos += 1;
            self.depth -= 1;
            return Some(());
        }
        for index in 0usize.. {
            let child = if object {
                self.skip_whitespace();
                let start = self.pos;
                let key = self.string()?;
                let child = format!("{pointer}/{}", escape(&key));
                self.entries.push(Entry {
                    pointer: child.clone(),
                    start,
                    end: self.pos,
                    key: true,
                });
                self.expect(b':')?;
                child
            } else {
                format!("{pointer}/{index}")
            };
            self.value(child)?;
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.pos += 1,
                b if b == close => {
                    self.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// A string literal, decoded.
    fn string(&mut self) -> Option<String> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.pos;
        self.pos += 1;
        let mut escaped = false;
        loop {
            let byte = self.peek()?;
            self.pos += 1;
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => break,
                _ => {}
            }
        }
        serde_json::from_str(self.text.get(start..self.pos)?).ok()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn pointers_and_ranges() {
        let text = r#" {"a": [1, {"b~/c": "x\"y"}], "": true, "e": {}} "#;
        let map = JsonMap::new(text);
        let at = |p: &str| {
            let (s, e) = map.range(p).unwrap();
            &text[s..e]
        };
        assert_eq!(at(""), text.trim());
        assert_eq!(at("/a"), r#"[1, {"b~/c": "x\"y"}]"#);
        assert_eq!(at("/a/0"), "1");
        assert_eq!(at("/a/1/b~0~1c"), r#""x\"y""#);
        assert_eq!(at("/"), "true");
        assert_eq!(at("/e"), "{}");
        assert!(map.range("/a/2").is_none());
        // The innermost node: a value, or the key of a member.
        assert_eq!(map.pointer_at(text.find('1').unwrap()), Some("/a/0"));
        assert_eq!(
            map.pointer_at(text.find("b~").unwrap()),
            Some("/a/1/b~0~1c")
        );
        assert_eq!(map.pointer_at(text.find(']').unwrap()), Some("/a"));
        assert_eq!(map.pointer_at(0), None);
    }

    #[test]
    fn malformed_text_keeps_what_was_read() {
        let map = JsonMap::new(r#"{"a": 1, "b": [2, }"#);
        assert!(map.range("/a").is_some());
        assert!(map.range("/b/0").is_some());
        assert!(map.range("/b").is_none());
        for text in ["", "{", "[", "\"", "{\"a\"", "{\"a\":", "[1 2]", "}"] {
            let _ = JsonMap::new(text);
        }
        let deep = "[".repeat(10_000);
        let _ = JsonMap::new(&deep);
    }
}
