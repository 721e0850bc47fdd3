//! `portcullis check FILE...`: 0 valid, 1 errors. Silent when the policy is valid.

use super::load_policy;

/// Runs `check`.
pub fn run(files: &[String]) -> u8 {
    match load_policy(files) {
        Some(_) => 0,
        None => 1,
    }
}
