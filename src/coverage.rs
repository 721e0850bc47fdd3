//! [`Policy::test_coverage`](crate::Policy::test_coverage): which rules the `test`
//! blocks exercise.

use std::fmt;

use crate::check::CheckedPolicy;
use crate::policy::Policy;
use crate::sites::RuleInfo;

/// Which rules some expectation of the policy's `test` blocks matches: a rule counts
/// when an expectation's request matches all of its conditions, whether or not the
/// rule decided it. Every rule counts, `audit` rules included.
///
/// ```
/// let policy = portcullis::Policy::compile(r#"
///     allow "reads" { method GET }
///     deny "deletes" { method DELETE }
///     audit "debug" { header "x-debug" present }
///     test "t" { allow GET "/" }
/// "#)?;
/// let coverage = policy.test_coverage();
/// assert_eq!((coverage.matched(), coverage.total()), (1, 3));
/// assert_eq!(
///     coverage.to_string(),
///     r#"coverage: 1/3 rules matched by a test; never matched: "deletes", "debug""#
/// );
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug)]
pub struct TestCoverage<'p> {
    /// Every rule in source order, and whether a test matched it.
    rules: Vec<(RuleInfo<'p>, bool)>,
}

impl<'p> TestCoverage<'p> {
    /// How many rules some expectation matched.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"a\" {}\ntest \"t\" { allow GET \"/\" }")?;
    /// assert_eq!(policy.test_coverage().matched(), 1);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn matched(&self) -> usize {
        self.rules.iter().filter(|(_, matched)| *matched).count()
    }

    /// How many rules the policy has (`allow`, `deny` and `audit`).
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"a\" {}\naudit \"b\" { port 1 }")?;
    /// assert_eq!(policy.test_coverage().total(), 2);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn total(&self) -> usize {
        self.rules.len()
    }

    /// Every rule in source order, and whether some expectation matched it.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"a\" { port 1 }\ntest \"t\" { deny GET \"/\" }")?;
    /// let coverage = policy.test_coverage();
    /// let rules: Vec<_> = coverage.rules().map(|(r, m)| (r.name(), m)).collect();
    /// assert_eq!(rules, [("a", false)]);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn rules(&self) -> impl ExactSizeIterator<Item = (RuleInfo<'p>, bool)> + '_ {
        self.rules.iter().copied()
    }

    /// The rules no expectation matched, in source order.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"a\" { port 1 }\nallow \"b\" {}\ntest \"t\" { allow GET \"/\" }")?;
    /// let names: Vec<_> = policy.test_coverage().never_matched().map(|r| r.name()).collect();
    /// assert_eq!(names, ["a"]);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn never_matched(&self) -> impl Iterator<Item = RuleInfo<'p>> + '_ {
        self.rules
            .iter()
            .filter(|(_, matched)| !*matched)
            .map(|(rule, _)| *rule)
    }
}

/// `coverage: K/N rules matched by a test`, then `; never matched: "a", "b"` unless
/// every rule was matched. Names are quoted as the language writes strings.
impl fmt::Display for TestCoverage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "coverage: {}/{} rules matched by a test",
            self.matched(),
            self.total()
        )?;
        let mut separator = "; never matched: ";
        for rule in self.never_matched() {
            f.write_str(separator)?;
            separator = ", ";
            f.write_str("\"")?;
            for c in rule.name().chars() {
                match c {
                    '"' | '\\' => write!(f, "\\{c}")?,
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("\"")?;
        }
        Ok(())
    }
}

/// Runs every expectation's request through [`Policy::explain`] (with the policy's
/// options) and records the rules each one matched.
pub(crate) fn coverage<'p>(policy: &'p Policy, checked: &CheckedPolicy) -> TestCoverage<'p> {
    let mut rules: Vec<(RuleInfo<'p>, bool)> = policy.rules().map(|r| (r, false)).collect();
    for case in checked.tests.iter().flat_map(|t| &t.cases) {
        let request = case.request.as_request();
        let explanation = policy.explain(&request);
        for (slot, explained) in rules.iter_mut().zip(explanation.rules()) {
            slot.1 |= explained.matched();
        }
    }
    TestCoverage { rules }
}
