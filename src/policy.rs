//! [`Policy`]: the public face of the pipeline, from sources to decisions.

use std::sync::Arc;

use crate::check::{self, CheckedPolicy};
use crate::compile::Tree;
use crate::compiler::Compiler;
use crate::coverage::TestCoverage;
use crate::diagnostic::{Code, CompileError, Diagnostic};
use crate::eval::decision::Decision;
use crate::explain::Explanation;
use crate::limits::CompileLimits;
use crate::normalize::Options;
use crate::request::Request;
use crate::sites::RuleInfo;
use crate::span::Span;
use crate::syntax::{self, File};
use crate::testing::TestReport;

/// A compiled policy, ready to decide. Cloning is cheap (one reference count) and a
/// policy is `Send + Sync`: share one across threads.
///
/// ```
/// use portcullis::{Policy, Request};
/// let policy = Policy::compile(r#"
///     default deny
///     allow "frontends read orders" {
///       identity "spiffe://prod.example.com/ns/web/sa/*"
///       method GET, HEAD
///       path "/api/v1/orders/{id}"
///     }
/// "#)?;
/// let request = Request::new("GET", "/api/v1/orders/42")
///     .identity("spiffe://prod.example.com/ns/web/sa/frontend");
/// assert!(policy.evaluate(&request).is_allowed());
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Policy {
    inner: Arc<Inner>,
    options: Options,
}

#[derive(Debug)]
struct Inner {
    checked: CheckedPolicy,
    tree: Tree,
    /// The limits it was compiled within, for [`Policy::compiler`].
    limits: CompileLimits,
}

impl Policy {
    /// Compiles one source text, named `policy` in diagnostics, with the default
    /// normalization options and limits ([`Compiler`] chooses them).
    ///
    /// ```
    /// let err = portcullis::Policy::compile("allow \"r\" { port 70000 }").unwrap_err();
    /// assert!(err.to_string().starts_with("policy:1:18: error:"));
    /// ```
    pub fn compile(source: &str) -> Result<Policy, CompileError> {
        Policy::compile_sources([("policy", source)])
    }

    /// Compiles several named sources as one policy: rule, `let` and test names are
    /// shared, and rules keep the order of the sources, then of their text. The
    /// normalization options and limits are the defaults: to reload a policy that has
    /// others, use [`Policy::recompile`] or a [`Compiler`].
    ///
    /// ```
    /// let policy = portcullis::Policy::compile_sources([
    ///     ("base.pcl", "default deny\nlet ops = [\"spiffe://p/ns/ops/sa/*\"]"),
    ///     ("ops.pcl", "allow \"ops\" { identity in ops }"),
    /// ])?;
    /// let request = portcullis::Request::new("GET", "/").identity("spiffe://p/ns/ops/sa/a");
    /// assert_eq!(policy.evaluate(&request).rule(), Some("ops"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn compile_sources<I, N, T>(sources: I) -> Result<Policy, CompileError>
    where
        I: IntoIterator<Item = (N, T)>,
        N: AsRef<str>,
        T: AsRef<str>,
    {
        Policy::compile_sources_with(sources, &CompileLimits::default())
    }

    /// Compiles several named sources as one policy, within `limits`.
    ///
    /// ```
    /// use portcullis::{CompileLimits, Policy};
    /// let mut limits = CompileLimits::default();
    /// limits.max_source_bytes = 8;
    /// let err = Policy::compile_sources_with([("p", "default deny")], &limits).unwrap_err();
    /// assert!(err.to_string().contains("larger than 8 bytes"));
    /// ```
    pub fn compile_sources_with<I, N, T>(
        sources: I,
        limits: &CompileLimits,
    ) -> Result<Policy, CompileError>
    where
        I: IntoIterator<Item = (N, T)>,
        N: AsRef<str>,
        T: AsRef<str>,
    {
        Compiler::new().limits(*limits).compile_sources(sources)
    }

    /// Compiles with `limits`, for requests evaluated with `options`: the body of
    /// [`Compiler::compile_sources`].
    pub(crate) fn build<I, N, T>(
        sources: I,
        limits: &CompileLimits,
        options: Options,
    ) -> Result<Policy, CompileError>
    where
        I: IntoIterator<Item = (N, T)>,
        N: AsRef<str>,
        T: AsRef<str>,
    {
        let sources: Vec<(N, T)> = sources.into_iter().collect();
        let names: Vec<&str> = sources.iter().map(|(n, _)| n.as_ref()).collect();
        let diagnostics: Vec<Diagnostic> = sources
            .iter()
            .filter_map(|(name, text)| too_large(name.as_ref(), text.as_ref(), limits))
            .collect();
        if !diagnostics.is_empty() {
            return Err(CompileError::new(diagnostics, &names));
        }
        let mut parsed = Vec::with_capacity(sources.len());
        let mut diagnostics = Vec::new();
        for (name, text) in &sources {
            let (file, errors) = syntax::parse_source(name.as_ref(), text.as_ref());
            diagnostics.extend(errors);
            parsed.push(check::Source {
                name: name.as_ref(),
                text: text.as_ref(),
                file,
            });
        }
        Policy::check_and_build(&parsed, diagnostics, &names, limits, options)
    }

    /// Checks parsed `sources` (whose syntax errors are `diagnostics`) and builds the
    /// policy, or returns every error.
    fn check_and_build(
        sources: &[check::Source<'_>],
        mut diagnostics: Vec<Diagnostic>,
        names: &[&str],
        limits: &CompileLimits,
        options: Options,
    ) -> Result<Policy, CompileError> {
        let checked = match check::check(sources, limits) {
            Ok(checked) if diagnostics.is_empty() => checked,
            Ok(_) => return Err(CompileError::new(diagnostics, names)),
            Err(errors) => {
                diagnostics.extend(errors);
                return Err(CompileError::new(diagnostics, names));
            }
        };
        let tree = Tree::build(&checked);
        Ok(Policy {
            inner: Arc::new(Inner {
                checked,
                tree,
                limits: *limits,
            }),
            options,
        })
    }

    /// Compiles a policy from its syntax tree, which is also its JSON form
    /// (`docs/language.md`, *The JSON form*). The tree is compiled as it is, with the
    /// same errors as text; they point into the tree printed as text, named
    /// `policy.json`.
    ///
    /// ```
    /// let file: portcullis::syntax::File = serde_json::from_str(
    ///     r#"{"default": "allow", "rules": [{"effect": "deny", "name": "no", "when": [
    ///         {"subject": "method", "test": {"values": [{"method": "DELETE"}]}}]}]}"#,
    /// )?;
    /// let policy = portcullis::Policy::from_syntax(&file)?;
    /// assert!(!policy.evaluate(&portcullis::Request::new("DELETE", "/")).is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_syntax(file: &File) -> Result<Policy, CompileError> {
        Compiler::new().from_syntax(file)
    }

    /// Compiles a syntax tree with `limits`, for requests evaluated with `options`: the
    /// body of [`Compiler::from_syntax`].
    ///
    /// The tree is checked as it is, with the checks a parsed tree gets (names,
    /// methods, addresses, tests that fit their subject, non-empty conditions), so
    /// that no tree means something its text would not. It is printed only to give
    /// its nodes places (`syntax::print_with_spans`), which diagnostics and test
    /// failures point at and show, in a source named `policy.json`.
    pub(crate) fn build_from_syntax(
        file: &File,
        limits: &CompileLimits,
        options: Options,
    ) -> Result<Policy, CompileError> {
        const NAME: &str = "policy.json";
        let mut tree = file.clone();
        let text = syntax::print_with_spans(&mut tree);
        if let Some(error) = too_large(NAME, &text, limits) {
            return Err(CompileError::new(vec![error], &[NAME]));
        }
        let sources = [check::Source {
            name: NAME,
            text: &text,
            file: tree,
        }];
        Policy::check_and_build(&sources, Vec::new(), &[NAME], limits, options)
    }

    /// The same policy, evaluating requests with other normalization options. They
    /// stay with it when it is recompiled through [`Policy::recompile`] or
    /// [`Policy::compiler`]; [`Compiler::options`] sets them at compile time.
    ///
    /// ```
    /// use portcullis::normalize::{Options, Semicolon};
    /// let mut options = Options::default();
    /// options.semicolon = Semicolon::Strip;
    /// let policy = portcullis::Policy::compile("allow \"a\" { path \"/a/b\" }")?
    ///     .with_options(options);
    /// assert!(policy.evaluate(&portcullis::Request::new("GET", "/a;x=1/b")).is_allowed());
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    #[must_use]
    pub fn with_options(mut self, options: Options) -> Policy {
        self.options = options;
        self
    }

    /// The normalization options requests are evaluated with.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("default deny")?;
    /// assert_eq!(policy.options(), &portcullis::normalize::Options::default());
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The limits the policy was compiled within.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("default deny")?;
    /// assert_eq!(policy.limits(), &portcullis::CompileLimits::default());
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn limits(&self) -> &CompileLimits {
        &self.inner.limits
    }

    /// A [`Compiler`] with this policy's normalization options and compile limits: what
    /// a reload should compile new sources with, so that nothing it set is lost.
    ///
    /// ```
    /// use portcullis::{Compiler, normalize::{Options, Semicolon}};
    /// let mut options = Options::default();
    /// options.semicolon = Semicolon::Strip;
    /// let policy = Compiler::new().options(options).compile("allow \"a\" { path \"/a\" }")?;
    /// assert_eq!(policy.compiler(), Compiler::new().options(options));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn compiler(&self) -> Compiler {
        Compiler::new()
            .options(self.options)
            .limits(self.inner.limits)
    }

    /// Compiles new sources with this policy's normalization options and compile
    /// limits, as a reload does: unlike [`Policy::compile_sources`], which starts from
    /// the defaults, nothing set on this policy is lost.
    ///
    /// ```
    /// use portcullis::{Policy, Request, normalize::{Options, Semicolon}};
    /// let mut options = Options::default();
    /// options.semicolon = Semicolon::Strip;
    /// let policy = Policy::compile("allow \"a\" { path \"/a/b\" }")?.with_options(options);
    ///
    /// // The file changed: compile it again, keeping the options.
    /// let reloaded = policy.recompile([("policy.pcl", "allow \"b\" { path \"/a/b\" }")])?;
    /// assert_eq!(reloaded.options(), &options);
    /// assert_eq!(reloaded.evaluate(&Request::new("GET", "/a;v=1/b")).rule(), Some("b"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn recompile<I, N, T>(&self, sources: I) -> Result<Policy, CompileError>
    where
        I: IntoIterator<Item = (N, T)>,
        N: AsRef<str>,
        T: AsRef<str>,
    {
        self.compiler().compile_sources(sources)
    }

    /// Decides on one request. Never panics, never allocates for a valid request
    /// (unless it matches more than 8 `audit` rules of a policy with more than 256).
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"probes\" { path \"/healthz\" }")?;
    /// assert!(policy.evaluate(&portcullis::Request::new("GET", "/healthz")).is_allowed());
    /// assert!(!policy.evaluate(&portcullis::Request::new("GET", "/healthz/..%2F")).is_allowed());
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn evaluate<'p>(&'p self, request: &Request<'_>) -> Decision<'p> {
        self.inner
            .tree
            .evaluate(&self.inner.checked, request, &self.options)
    }

    /// Decides on one request as [`Policy::evaluate`] does, and says for every rule
    /// whether it matched and, when not, the first condition (in source order) that
    /// did not, with its source text and place. For tools (`portcullis explain`):
    /// it allocates, and `evaluate` does not pay for it.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"reads\" { method GET }")?;
    /// let explanation = policy.explain(&portcullis::Request::new("POST", "/"));
    /// assert_eq!(explanation.decision().reason(), portcullis::Reason::Default);
    /// assert_eq!(explanation.rules()[0].failed().map(|c| c.text()), Some("method GET"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn explain<'p>(&'p self, request: &Request<'_>) -> Explanation<'p> {
        let decision = self.evaluate(request);
        crate::explain::explain(
            &self.inner.checked,
            self.rules(),
            decision,
            request,
            &self.options,
        )
    }

    /// Runs the policy's `test` blocks with this policy's options.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile(r#"
    ///     allow "probes" { path "/healthz" }
    ///     test "probes" {
    ///       allow GET "/healthz" by "probes"
    ///       deny GET "/" by default
    ///     }
    /// "#)?;
    /// let report = policy.run_tests();
    /// assert_eq!((report.passed(), report.failures().len()), (2, 0));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn run_tests(&self) -> TestReport {
        crate::testing::run(self, &self.inner.checked)
    }

    /// Which rules the `test` blocks exercise: a rule counts when some expectation's
    /// request (read with this policy's options) matches all of its conditions,
    /// whether or not the rule decided it.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile(r#"
    ///     allow "probes" { path "/healthz" }
    ///     allow "admin" { path "/admin/**" }
    ///     test "probes" { allow GET "/healthz" }
    /// "#)?;
    /// let coverage = policy.test_coverage();
    /// assert_eq!(coverage.to_string(), r#"coverage: 1/2 rules matched by a test; never matched: "admin""#);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn test_coverage(&self) -> TestCoverage<'_> {
        crate::coverage::coverage(self, &self.inner.checked)
    }

    /// The effect of the policy's `default` (`deny` when it has none): what a
    /// valid request that no `allow` or `deny` rule matches gets.
    ///
    /// ```
    /// use portcullis::{Effect, Policy};
    /// assert_eq!(Policy::compile("default allow")?.default_effect(), Effect::Allow);
    /// assert_eq!(Policy::compile("")?.default_effect(), Effect::Deny);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn default_effect(&self) -> crate::Effect {
        match self.inner.checked.default {
            syntax::Effect::Allow => crate::Effect::Allow,
            syntax::Effect::Deny => crate::Effect::Deny,
        }
    }

    /// The number of rules (`allow`, `deny` and `audit`).
    ///
    /// ```
    /// let policy = portcullis::Policy::compile("allow \"a\" {}\naudit \"b\" {}")?;
    /// assert_eq!(policy.rule_count(), 2);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn rule_count(&self) -> usize {
        self.inner.checked.rules.len()
    }

    /// The rules (`allow`, `deny` and `audit`) in source order, each with its
    /// name, kind, where it is written and its conditions' places and texts, for
    /// tools that point at them.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile_sources([(
    ///     "p.pcl",
    ///     "allow \"reads\" {\n  method GET,   HEAD\n}\ndeny \"b\" {}",
    /// )])?;
    /// let rules: Vec<_> = policy.rules().collect();
    /// assert_eq!(rules.len(), 2);
    /// let condition = rules[0].conditions().next().unwrap();
    /// let at = format!("{}:{}:{}", condition.file(), condition.span().line, condition.span().column);
    /// assert_eq!((condition.text(), at.as_str()), ("method GET, HEAD", "p.pcl:2:3"));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn rules(&self) -> impl ExactSizeIterator<Item = RuleInfo<'_>> + '_ {
        let checked = &self.inner.checked;
        checked
            .rules
            .iter()
            .enumerate()
            .map(|(i, rule)| RuleInfo::new(checked, i, rule))
    }
}

/// Debugging aids: the compiled decision tree, written out and checked.
impl Policy {
    /// The decision tree this policy decides with, written out for people: each split
    /// with the attribute it looks up and one line per key, each leaf with its rules
    /// and the conditions they still check (the others were looked up by the splits
    /// above). For reading, not parsing: the format may change.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile(r#"
    ///     allow "probes" { path "/healthz" }
    ///     deny "no deletes" { method DELETE  not identity "spiffe://p/ns/ops/sa/*" }
    /// "#)?;
    /// assert_eq!(
    ///     policy.dump_tree(),
    ///     "leaf\n  allow \"probes\" if path\n  deny \"no deletes\" if method, not identity\n",
    /// );
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn dump_tree(&self) -> String {
        self.inner.tree.dump(&self.inner.checked)
    }

    /// Checks the compiled tree's invariants against the policy: every rule that can
    /// match sits under every key of the condition it was placed by, no leaf skips a
    /// condition that no split above it looked up, and leaves hold the policy's own
    /// rules in source order. Every tree [`Policy::compile`] builds passes; the tests
    /// and the fuzz targets check it. An error names the broken invariant and where
    /// it is, and is a bug to report.
    ///
    /// ```
    /// let policy = portcullis::Policy::compile(r#"allow "read" { method GET, HEAD }"#)?;
    /// assert_eq!(policy.validate_tree(), Ok(()));
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn validate_tree(&self) -> Result<(), String> {
        self.inner.tree.validate(&self.inner.checked)
    }
}

/// The error for a source `text` named `name` larger than `limits` allow, if it is.
fn too_large(name: &str, text: &str, limits: &CompileLimits) -> Option<Diagnostic> {
    (text.len() > limits.max_source_bytes).then(|| {
        Diagnostic::new(
            Code::CompileLimit,
            name,
            text,
            Span::locate(text, 0, 0),
            format!(
                "source is larger than {} bytes (the compile limit)",
                limits.max_source_bytes
            ),
        )
    })
}
