//! Running a policy's `test` blocks.

use std::fmt;

use crate::check::{CheckedPolicy, ExpectedBy};
use crate::eval::decision::{Decision, Effect, Reason};
use crate::policy::Policy;

/// The outcome of [`Policy::run_tests`].
///
/// ```
/// let policy = portcullis::Policy::compile("test \"t\" { deny GET \"/\" by default }")?;
/// let report = policy.run_tests();
/// assert_eq!(report.to_string(), "1 passed, 0 failed");
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct TestReport {
    passed: usize,
    failures: Vec<TestFailure>,
}

impl TestReport {
    /// How many expectations held.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("default deny")?;
    /// assert_eq!(policy.run_tests().passed(), 0);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn passed(&self) -> usize {
        self.passed
    }

    /// The expectations that did not hold, in source order.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("test \"t\" { allow GET \"/\" }")?;
    /// assert_eq!(policy.run_tests().failures().len(), 1);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn failures(&self) -> &[TestFailure] {
        &self.failures
    }
}

/// The summary line: `N passed, M failed`.
impl fmt::Display for TestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failures.len())
    }
}

/// One expectation that did not hold.
///
/// ```
/// let policy = portcullis::Policy::compile("test \"t\" {\n  allow GET \"/\"\n}")?;
/// let report = policy.run_tests();
/// let failure = &report.failures()[0];
/// assert_eq!((failure.file(), failure.line()), ("policy", 2));
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug)]
pub struct TestFailure {
    file: String,
    line: u32,
    column: u32,
    test: String,
    message: String,
}

impl TestFailure {
    /// The file of the expectation.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile_sources([("a.pcl", "test \"t\" { allow GET \"/\" }")])?;
    /// assert_eq!(policy.run_tests().failures()[0].file(), "a.pcl");
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line of the expectation.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("test \"t\" { allow GET \"/\" }")?;
    /// assert_eq!(policy.run_tests().failures()[0].line(), 1);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The column of the expectation.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("test \"t\" { allow GET \"/\" }")?;
    /// assert_eq!(policy.run_tests().failures()[0].column(), 12);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn column(&self) -> u32 {
        self.column
    }

    /// The name of the `test` block.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("test \"t\" { allow GET \"/\" }")?;
    /// assert_eq!(policy.run_tests().failures()[0].test(), "t");
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn test(&self) -> &str {
        &self.test
    }

    /// What was expected and what came out.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("test \"t\" { allow GET \"/\" }")?;
    /// let message = policy.run_tests().failures()[0].message().to_string();
    /// assert_eq!(message, "expected allow, got deny (default)");
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// `file:line:col: test "name": message`.
impl fmt::Display for TestFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: test `{}`: {}",
            self.file, self.line, self.column, self.test, self.message
        )
    }
}

/// Runs every expectation of `checked` against `policy` (its options included).
pub(crate) fn run(policy: &Policy, checked: &CheckedPolicy) -> TestReport {
    let mut report = TestReport::default();
    for test in &checked.tests {
        for case in &test.cases {
            let decision = policy.evaluate(&case.request.as_request());
            match mismatch(case.effect, case.by.as_ref(), &decision, checked) {
                None => report.passed += 1,
                Some(message) => report.failures.push(TestFailure {
                    file: case.file.to_string(),
                    line: case.line,
                    column: case.column,
                    test: test.name.to_string(),
                    message,
                }),
            }
        }
    }
    report
}

/// How `decision` differs from what was expected, if it does.
fn mismatch(
    effect: Effect,
    by: Option<&ExpectedBy>,
    decision: &Decision<'_>,
    checked: &CheckedPolicy,
) -> Option<String> {
    let effect_ok = decision.effect() == effect;
    let by_ok = match by {
        None => true,
        Some(ExpectedBy::Default) => decision.reason() == Reason::Default,
        Some(ExpectedBy::Rule(name)) => {
            decision.reason() == Reason::Rule && decision.rule() == Some(&**name)
        }
    };
    if effect_ok && by_ok {
        return None;
    }
    let expected = match by {
        None => effect.as_str().to_string(),
        Some(ExpectedBy::Default) => format!("{} by default", effect.as_str()),
        Some(ExpectedBy::Rule(name)) => format!("{} by \"{name}\"", effect.as_str()),
    };
    let got = match (decision.reason(), decision.rule(), decision.error()) {
        (Reason::Rule, Some(rule), _) => {
            format!("{} by \"{rule}\"", decision.effect().as_str())
        }
        (Reason::InvalidRequest, _, Some(error)) => {
            format!("{} (invalid request: {error})", decision.effect().as_str())
        }
        (reason, _, _) => format!("{} ({reason})", decision.effect().as_str()),
    };
    let mut message = format!("expected {expected}, got {got}");
    if let Some(ExpectedBy::Rule(name)) = by {
        let named = checked.rules.iter().find(|r| *r.name == **name);
        if named.is_some_and(|r| r.kind == crate::syntax::RuleKind::Audit) {
            message.push_str(&format!(
                " (`{name}` is an audit rule: audit rules are listed, they never decide)"
            ));
        } else if named.is_none() {
            let names = checked.rules.iter().map(|r| &*r.name);
            let hint = crate::suggest::did_you_mean(name, names)
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            message.push_str(&format!(" (the policy has no rule named `{name}`{hint})"));
        }
    }
    Some(message)
}
