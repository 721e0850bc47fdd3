//! The library against the reference on one model: the model compiled by the library
//! (as one source or cut into several), and both outcomes of a request.

use portcullis::Policy;
use portcullis::normalize::Options;

use super::eval::{Outcome, evaluate};
use super::model::{self, Req};

/// Put between the sources when they are shown one after the other.
const NEXT_SOURCE: &str = "# --- next source ---\n";

/// A model and the library's policy compiled from it.
pub struct Compiled<'a> {
    /// The model.
    pub model: &'a model::Policy,
    /// The texts compiled: one source, or the pieces of [`model::Policy::print_split`].
    pub texts: Vec<String>,
    /// The library's policy, with `options`.
    pub policy: Policy,
    /// The normalization options of both sides.
    pub options: Options,
}

impl<'a> Compiled<'a> {
    /// The model's text cut at `cuts`, compiled with `options`: as one source when
    /// there is one piece, else as several (`part0.pcl`, `part1.pcl`, …), its tree
    /// checked with `Policy::validate_tree`. The error is a message with the
    /// diagnostics (or the broken tree invariant) and the texts (the generator only
    /// makes valid policies).
    pub fn new(model: &'a model::Policy, cuts: &[usize], options: Options) -> Result<Self, String> {
        let texts = model.print_split(cuts);
        let compiled = if texts.len() == 1 {
            Policy::compile(&model.print())
        } else {
            Policy::compile_sources(
                texts
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (format!("part{i}.pcl"), t.as_str())),
            )
        };
        match compiled {
            Ok(policy) => {
                policy.validate_tree().map_err(|e| {
                    format!(
                        "the compiled tree breaks an invariant: {e}\n--- policy ({} sources) ---\n{}",
                        texts.len(),
                        texts.join(NEXT_SOURCE)
                    )
                })?;
                Ok(Compiled {
                    model,
                    texts,
                    policy: policy.with_options(options),
                    options,
                })
            }
            Err(e) => Err(format!(
                "the generated policy does not compile:\n{e}\n--- policy ({} sources) ---\n{}",
                texts.len(),
                texts.join(NEXT_SOURCE)
            )),
        }
    }

    /// The texts one after the other, for messages.
    pub fn sources(&self) -> String {
        self.texts.join(NEXT_SOURCE)
    }

    /// The reference's outcome and the library's for `req`.
    pub fn outcomes(&self, req: &Req) -> (Outcome, Outcome) {
        let expected = evaluate(self.model, req, &self.options);
        let actual = Outcome::of(&self.policy.evaluate(&req.as_request()));
        (expected, actual)
    }
}
