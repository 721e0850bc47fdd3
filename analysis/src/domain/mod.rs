//! The domains of the request's attributes, each cut into classes that every pattern
//! of the policies analysed treats alike, each class with a representative value
//! that is valid and already in normal form (one file per domain).

pub(crate) mod automaton;
pub(crate) mod cidr;
pub(crate) mod glob;
pub(crate) mod host;
pub(crate) mod method;
pub(crate) mod path;
pub(crate) mod port;
pub(crate) mod set;
pub(crate) mod value;
