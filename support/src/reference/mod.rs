//! A reference for differential testing: a plain model of a policy, a printer from
//! the model to policy text, a rule-by-rule evaluator that follows the rules and the
//! decision order of `docs/language.md` literally, its own reading of the path and
//! identity rules of normalization, proptest
//! strategies for policies and requests, and the comparison of the library's
//! decisions with the reference's.

pub mod compare;
pub mod eval;
pub mod generate;
pub mod model;
pub mod normalize;
