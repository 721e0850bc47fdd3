//! The `parse` target's property: parsing never panics, and printing a parsed tree
//! gives text that parses to the same tree.

use portcullis::syntax;

/// Panics when the property does not hold for `text`.
pub fn check(text: &str) {
    if let Ok(file) = syntax::parse(text) {
        let printed = syntax::print(&file);
        let again = syntax::parse(&printed)
            .unwrap_or_else(|e| panic!("printed text does not parse: {e}\n{printed}"));
        assert_eq!(syntax::print(&again), printed, "print is not a fixpoint");
    }
}
