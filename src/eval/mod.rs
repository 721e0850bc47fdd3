//! Evaluation: a normalized request walks the compiled tree and comes out a [`Decision`].

pub(crate) mod decision;
