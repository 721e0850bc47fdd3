//! [`Compiler`]: the settings a policy is compiled with, kept together so that a
//! reload compiles new sources exactly as the first compile did.

use crate::diagnostic::CompileError;
use crate::limits::CompileLimits;
use crate::normalize::Options;
use crate::policy::Policy;
use crate::syntax::File;

/// Compiles policies with chosen normalization options and compile limits.
///
/// [`Policy::compile`] and [`Policy::compile_sources`] use the defaults of both. A
/// `Compiler` sets them once, for every policy it compiles: the options are part of
/// the compiled policy (see [`Policy::options`]), so a policy compiled again from
/// changed files through the same `Compiler`, or through [`Policy::recompile`], keeps
/// them instead of falling back to the defaults.
///
/// ```
/// use portcullis::{CompileLimits, Compiler, Request};
/// use portcullis::normalize::{EscapedSlashes, Options};
///
/// let mut options = Options::default();
/// options.escaped_slashes = EscapedSlashes::Decode;
/// let mut limits = CompileLimits::default();
/// limits.max_rules = 1_000;
/// let compiler = Compiler::new().options(options).limits(limits);
///
/// let policy = compiler.compile_sources([("api.pcl", r#"allow "files" { path "/files/**" }"#)])?;
/// assert!(policy.evaluate(&Request::new("GET", "/files%2Fa")).is_allowed());
///
/// // Later, the file changed: the same compiler, the same options.
/// let reloaded = compiler.compile_sources([("api.pcl", r#"deny "files" { path "/files/**" }"#)])?;
/// assert_eq!(reloaded.options(), &options);
/// assert!(!reloaded.evaluate(&Request::new("GET", "/files%2Fa")).is_allowed());
/// # Ok::<(), portcullis::CompileError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Compiler {
    options: Options,
    limits: CompileLimits,
}

impl Compiler {
    /// A compiler with the default options and limits.
    ///
    /// ```
    /// let policy = portcullis::Compiler::new().compile("default deny")?;
    /// assert_eq!(policy.options(), &portcullis::normalize::Options::default());
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn new() -> Compiler {
        Compiler::default()
    }

    /// Sets the normalization options the compiled policies evaluate requests with.
    ///
    /// ```
    /// use portcullis::normalize::{Backslash, Options};
    /// let mut options = Options::default();
    /// options.backslash = Backslash::Slash;
    /// let policy = portcullis::Compiler::new().options(options).compile("default allow")?;
    /// assert_eq!(policy.options().backslash, Backslash::Slash);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    #[must_use]
    pub fn options(mut self, options: Options) -> Compiler {
        self.options = options;
        self
    }

    /// Sets the limits sources are compiled within.
    ///
    /// ```
    /// let mut limits = portcullis::CompileLimits::default();
    /// limits.max_rules = 1;
    /// let compiler = portcullis::Compiler::new().limits(limits);
    /// assert!(compiler.compile("allow \"a\" {}\nallow \"b\" {}").is_err());
    /// ```
    #[must_use]
    pub fn limits(mut self, limits: CompileLimits) -> Compiler {
        self.limits = limits;
        self
    }

    /// Compiles one source text, named `policy` in diagnostics.
    ///
    /// ```
    /// let policy = portcullis::Compiler::new().compile("allow \"all\" {}")?;
    /// assert_eq!(policy.rule_count(), 1);
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn compile(&self, source: &str) -> Result<Policy, CompileError> {
        self.compile_sources([("policy", source)])
    }

    /// Compiles several named sources as one policy (see
    /// [`Policy::compile_sources`]).
    ///
    /// ```
    /// let policy = portcullis::Compiler::new().compile_sources([
    ///     ("a.pcl", "default allow"),
    ///     ("b.pcl", "deny \"admin\" { path \"/admin/**\" }"),
    /// ])?;
    /// assert!(!policy.evaluate(&portcullis::Request::new("GET", "/admin")).is_allowed());
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn compile_sources<I, N, T>(&self, sources: I) -> Result<Policy, CompileError>
    where
        I: IntoIterator<Item = (N, T)>,
        N: AsRef<str>,
        T: AsRef<str>,
    {
        Policy::build(sources, &self.limits, self.options)
    }

    /// Compiles a policy from its syntax tree, its JSON form (see
    /// [`Policy::from_syntax`]).
    ///
    /// ```
    /// let file = portcullis::syntax::parse("default allow")?;
    /// let policy = portcullis::Compiler::new().from_syntax(&file)?;
    /// assert!(policy.evaluate(&portcullis::Request::new("GET", "/")).is_allowed());
    /// # Ok::<(), portcullis::CompileError>(())
    /// ```
    pub fn from_syntax(&self, file: &File) -> Result<Policy, CompileError> {
        Policy::build_from_syntax(file, &self.limits, self.options)
    }
}
