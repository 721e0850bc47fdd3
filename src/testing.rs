//! Running a policy's `test` blocks.

use std::fmt;

use crate::check::{CheckedPolicy, ExpectedBy};
use crate::eval::decision::{Decision, Reason};
use crate::policy::Policy;
use crate::request::Request;
use crate::syntax::Effect;

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
            let mut request = Request::new(&case.method, &case.path);
            if let Some(identity) = &case.identity {
                request = request.identity(identity);
            }
            if let Some(host) = &case.host {
                request = request.host(host);
            }
            if let Some(port) = case.port {
                request = request.port(port);
            }
            if let Some(source) = case.source {
                request = request.source(source);
            }
            for (name, value) in &case.headers {
                request = request.header(name, value);
            }
            for (key, value) in &case.attrs {
                request = request.attr(key, value);
            }
            let decision = policy.evaluate(&request);
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

fn effect_name(effect: Effect) -> &'static str {
    match effect {
        Effect::Allow => "allow",
        Effect::Deny => "deny",
    }
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
        None => effect_name(effect).to_string(),
        Some(ExpectedBy::Default) => format!("{} by default", effect_name(effect)),
        Some(ExpectedBy::Rule(name)) => format!("{} by \"{name}\"", effect_name(effect)),
    };
    let got = match (decision.reason(), decision.rule(), decision.error()) {
        (Reason::Rule, Some(rule), _) => {
            format!("{} by \"{rule}\"", effect_name(decision.effect()))
        }
        (Reason::InvalidRequest, _, Some(error)) => {
            format!(
                "{} (invalid request: {error})",
                effect_name(decision.effect())
            )
        }
        (reason, _, _) => format!("{} ({reason})", effect_name(decision.effect())),
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
