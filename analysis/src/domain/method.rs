//! Methods: every method a pattern names is a class of its own, and one more class
//! holds every other method.

use std::collections::BTreeSet;

/// The classes of the method domain: one per method named, then one other method.
#[derive(Debug)]
pub(crate) struct Methods {
    /// Each class's representative, a valid method token.
    pub(crate) reps: Vec<String>,
}

impl Methods {
    /// The classes for the methods `named`.
    pub(crate) fn new(named: &BTreeSet<&str>) -> Methods {
        let mut reps: Vec<String> = named.iter().map(|m| (*m).to_string()).collect();
        let other = (0..)
            .map(|i| {
                if i == 0 {
                    "OTHER".to_string()
                } else {
                    format!("OTHER{i}")
                }
            })
            .find(|m| !named.contains(m.as_str()))
            .unwrap_or_default();
        reps.push(other);
        Methods { reps }
    }

    /// The class of a named method.
    pub(crate) fn class(&self, method: &str) -> Option<usize> {
        self.reps.iter().position(|m| m == method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_method_and_one_other() {
        let named: BTreeSet<&str> = ["GET", "OTHER"].into_iter().collect();
        let methods = Methods::new(&named);
        assert_eq!(methods.reps, ["GET", "OTHER", "OTHER1"]);
        assert_eq!(methods.class("OTHER"), Some(1));
    }
}
