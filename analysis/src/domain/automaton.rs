//! Classes of a string domain cut by patterns, found exactly by walking the product
//! of the patterns' automata and the domain's validity automaton.
//!
//! A pattern is a union of token sequences ([`Token`]). The walk is breadth first over
//! product states (every pattern position still alive, and the validity state),
//! reading one symbol at a time. Symbols are the literal units of the patterns, `/`,
//! and one *fresh* unit that no pattern names: any other unit moves every pattern as
//! the fresh one does, and is valid wherever the fresh one is (the validity automaton
//! is chosen so), so these symbols reach every product state any string reaches.
//! Every accepting product state reached gives the class of the patterns accepting
//! there, and the (shortest) string that reached it is the class's representative.
//! The product is finite, so the walk ends; it gives up beyond [`MAX_STATES`].

use std::collections::HashMap;
use std::collections::VecDeque;

/// How many product states a walk may visit before it gives up.
pub(crate) const MAX_STATES: usize = 400_000;

/// One token of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Token {
    /// This unit exactly.
    Unit(u32),
    /// One unit other than `/`.
    One,
    /// Any run of units other than `/`, the empty run included.
    Star,
    /// Any run of units, the empty run included.
    Any,
}

/// The symbol standing for `/`.
pub(crate) const SLASH: u32 = 0;
/// The fresh symbol.
pub(crate) const FRESH: u32 = 1;

/// The language of valid (already normal) values, as a deterministic automaton over
/// unit texts.
pub(crate) trait Validity {
    /// The start state.
    fn start(&self) -> u32;
    /// The state after reading `unit`, or `None` when no valid value continues so.
    fn step(&self, state: u32, unit: &str) -> Option<u32>;
    /// Whether a value may end in `state`.
    fn accepts(&self, state: u32) -> bool;
}

/// The patterns to cut a domain by, over a shared table of units.
#[derive(Debug)]
pub(crate) struct Patterns {
    /// Unit texts: `/`, the fresh unit, then the literal units.
    units: Vec<String>,
    unit_index: HashMap<String, u32>,
    /// Each pattern's alternatives.
    patterns: Vec<Vec<Vec<Token>>>,
}

/// What a walk found: the classes and, for each pattern, the classes it matches.
#[derive(Debug)]
pub(crate) struct Classes {
    /// The fresh unit the representatives were spelled with.
    pub(crate) fresh: String,
    /// A representative of each class.
    pub(crate) reps: Vec<String>,
    /// For each pattern, in the order added, the classes it matches.
    pub(crate) matched: Vec<Vec<usize>>,
}

/// The walk gave up: too many product states.
#[derive(Debug)]
pub(crate) struct TooComplex;

impl Patterns {
    /// No patterns yet; `fresh` is the fresh unit (a character no pattern may name:
    /// see [`Patterns::set_fresh`]).
    pub(crate) fn new() -> Patterns {
        let mut p = Patterns {
            units: Vec::new(),
            unit_index: HashMap::new(),
            patterns: Vec::new(),
        };
        p.unit("/");
        p.unit("\u{0}");
        p
    }

    /// The symbol of a literal unit.
    pub(crate) fn unit(&mut self, text: &str) -> u32 {
        if let Some(&i) = self.unit_index.get(text) {
            return i;
        }
        let i = u32::try_from(self.units.len()).unwrap_or(u32::MAX);
        self.units.push(text.to_string());
        self.unit_index.insert(text.to_string(), i);
        i
    }

    /// Adds a pattern (a union of token sequences); its number.
    pub(crate) fn add(&mut self, alternatives: Vec<Vec<Token>>) -> usize {
        self.patterns.push(alternatives);
        self.patterns.len() - 1
    }

    /// Chooses the fresh unit: the first of `choices` that no pattern names. `false`
    /// when every choice is named (the classes would not be exact).
    pub(crate) fn set_fresh(&mut self, choices: &str) -> bool {
        let Some(c) = choices.chars().find(|c| {
            !self
                .unit_index
                .contains_key(c.encode_utf8(&mut [0; 4]) as &str)
        }) else {
            return false;
        };
        if let Some(fresh) = self.units.get_mut(FRESH as usize) {
            *fresh = c.to_string();
        }
        true
    }

    /// Walks the product with `validity`.
    pub(crate) fn classes(&self, validity: &dyn Validity) -> Result<Classes, TooComplex> {
        // Positions: (pattern, alternative, index), flattened.
        let mut positions: Vec<Position> = Vec::new();
        let mut starts: Vec<u32> = Vec::new();
        for (p, alternatives) in self.patterns.iter().enumerate() {
            for tokens in alternatives {
                let base = positions.len() as u32;
                starts.push(base);
                for (i, token) in tokens.iter().enumerate() {
                    positions.push(Position {
                        pattern: p as u32,
                        token: Some(token.clone()),
                        next: base + i as u32 + 1,
                    });
                }
                positions.push(Position {
                    pattern: p as u32,
                    token: None,
                    next: 0,
                });
            }
        }
        let walk = Walk { positions };
        let mut states: HashMap<(Vec<u32>, u32), u32> = HashMap::new();
        let mut parents: Vec<(u32, u32)> = Vec::new();
        let mut queue = VecDeque::new();
        let start = (walk.closure(starts), validity.start());
        states.insert(start.clone(), 0);
        parents.push((u32::MAX, 0));
        queue.push_back((start, 0u32));
        let mut classes: HashMap<Vec<u32>, usize> = HashMap::new();
        let mut reps = Vec::new();
        let mut matched = vec![Vec::new(); self.patterns.len()];
        let mut symbols: Vec<u32> = Vec::new();
        while let Some(((active, valid), id)) = queue.pop_front() {
            if validity.accepts(valid) {
                let mut signature: Vec<u32> = active
                    .iter()
                    .filter_map(|&a| walk.positions.get(a as usize))
                    .filter(|p| p.token.is_none())
                    .map(|p| p.pattern)
                    .collect();
                signature.dedup();
                if let std::collections::hash_map::Entry::Vacant(entry) = classes.entry(signature) {
                    let class = reps.len();
                    reps.push(self.spell(&parents, id));
                    for &p in entry.key() {
                        if let Some(m) = matched.get_mut(p as usize) {
                            m.push(class);
                        }
                    }
                    entry.insert(class);
                }
            }
            symbols.clear();
            symbols.push(FRESH);
            symbols.push(SLASH);
            for &a in &active {
                if let Some(Position {
                    token: Some(Token::Unit(u)),
                    ..
                }) = walk.positions.get(a as usize)
                {
                    symbols.push(*u);
                }
            }
            // The fresh unit first: representatives read as plain as they can.
            symbols.sort_unstable_by_key(|&s| (s != FRESH, s));
            symbols.dedup();
            for &symbol in &symbols {
                let Some(text) = self.units.get(symbol as usize) else {
                    continue;
                };
                let Some(next_valid) = validity.step(valid, text) else {
                    continue;
                };
                let next = (walk.step(&active, symbol), next_valid);
                if states.contains_key(&next) {
                    continue;
                }
                if states.len() >= MAX_STATES {
                    return Err(TooComplex);
                }
                let next_id = parents.len() as u32;
                states.insert(next.clone(), next_id);
                parents.push((id, symbol));
                queue.push_back((next, next_id));
            }
        }
        let fresh = self.units.get(FRESH as usize).cloned().unwrap_or_default();
        Ok(Classes {
            fresh,
            reps,
            matched,
        })
    }

    /// The string that reached state `id`.
    fn spell(&self, parents: &[(u32, u32)], mut id: u32) -> String {
        let mut symbols = Vec::new();
        while let Some(&(parent, symbol)) = parents.get(id as usize) {
            if parent == u32::MAX {
                break;
            }
            symbols.push(symbol);
            id = parent;
        }
        symbols
            .iter()
            .rev()
            .filter_map(|&s| self.units.get(s as usize))
            .map(String::as_str)
            .collect()
    }
}

/// A position of some pattern's alternative: the token read there (`None` at the
/// end: the alternative accepts) and the next position.
#[derive(Debug)]
struct Position {
    pattern: u32,
    token: Option<Token>,
    next: u32,
}

struct Walk {
    positions: Vec<Position>,
}

impl Walk {
    /// `set` with every position reachable without reading (past `Star` and `Any`),
    /// sorted.
    fn closure(&self, mut set: Vec<u32>) -> Vec<u32> {
        let mut i = 0;
        while let Some(&a) = set.get(i) {
            if let Some(Position {
                token: Some(Token::Star | Token::Any),
                next,
                ..
            }) = self.positions.get(a as usize)
            {
                set.push(*next);
            }
            i += 1;
        }
        set.sort_unstable();
        set.dedup();
        set
    }

    /// The positions after reading `symbol` from `active`.
    fn step(&self, active: &[u32], symbol: u32) -> Vec<u32> {
        let mut next = Vec::new();
        for &a in active {
            let Some(position) = self.positions.get(a as usize) else {
                continue;
            };
            match &position.token {
                Some(Token::Unit(u)) if *u == symbol => next.push(position.next),
                Some(Token::One) if symbol != SLASH => next.push(position.next),
                Some(Token::Star) if symbol != SLASH => next.push(a),
                Some(Token::Any) => next.push(a),
                _ => {}
            }
        }
        self.closure(next)
    }
}
