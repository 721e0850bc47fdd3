//! The command line: the top-level parser, the argument groups that several commands
//! share, and usage errors.
//!
//! Parsing is `clap`'s (derive). What is ours: every help text starts with its usage
//! line; usage errors are one `portcullis: ` line in the project's message style,
//! then the usage, on stderr, exit status 2; a flag given twice is an error rather
//! than "last one wins" (an ambiguous command line must not quietly pick a
//! normalization mode; this is clap's default for flags that take one value).

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, CommandFactory, FromArgMatches, Parser, ValueEnum};
use portcullis::normalize::{Backslash, EscapedSlashes, Options, Semicolon};

use crate::commands::Command;

/// Every help text starts with the usage line (`Usage: portcullis eval ...`).
const HELP_TEMPLATE: &str = "\
{usage-heading} {usage}

{about-with-newline}
{all-args}{after-help}";

const AFTER_HELP: &str = "\
Policy files: every command compiles the files it is given as one policy. A FILE
named `-` is read from stdin. A FILE whose name ends in `.json` is read in the JSON
form, and its diagnostics name the JSON location (`policy.json:/rules/3/when/0:
error: ...`, a JSON Pointer); text and JSON files can be mixed.

Normalization options of eval, explain and test (the default first): --escaped-slashes
reject|decode|keep, --backslash reject|slash, --semicolon reject|keep|strip,
--no-merge-slashes, --strict-escapes, --underscores-in-headers. Each decides how a
request path or header is read, and each non-default reading reopens an attack
that the default closes: pick the one that matches how your backend reads paths
(`portcullis eval --help` says which attack each one trades off).

Exit status: 0 success, 1 the policy does not compile (or a test fails), 2 a
usage error; `portcullis COMMAND --help` gives each command's.";

/// `portcullis`: check, test and evaluate Portcullis policies.
#[derive(Debug, Parser)]
#[command(
    name = "portcullis",
    bin_name = "portcullis",
    version,
    about = "Check, test and evaluate Portcullis authorization policies",
    after_help = AFTER_HELP,
    subcommand_required = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// What the command line asks for: a command to run, or text to print and an exit
/// status (help, the version, a usage error).
#[derive(Debug)]
pub enum Parsed {
    /// Run this command.
    Run(Command),
    /// Print `text` on stdout, exit 0.
    Print(String),
    /// Print `text` on stderr, exit 2.
    Usage(String),
}

/// Parses the arguments, program name included.
pub fn parse<I>(args: I) -> Parsed
where
    I: IntoIterator<Item = OsString>,
{
    let args: Vec<OsString> = args.into_iter().collect();
    let mut command = command();
    command.build();
    if let Some(message) = short_flag_with_equals(&args) {
        return Parsed::Usage(usage_text(&message, &mut command, &args));
    }
    let matches = match command.try_get_matches_from_mut(&args) {
        Ok(matches) => matches,
        Err(e) => return from_error(&e, &mut command, &args),
    };
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => match cli.command.check_usage() {
            Ok(()) => Parsed::Run(cli.command),
            Err(message) => Parsed::Usage(usage_text(&message, &mut command, &args)),
        },
        Err(e) => from_error(&e, &mut command, &args),
    }
}

/// The command definition, with the help template on every command.
pub fn command() -> clap::Command {
    Cli::command()
        .help_template(HELP_TEMPLATE)
        .mut_subcommands(|sub| sub.help_template(HELP_TEMPLATE))
}

/// `-p=FILE`: clap would read it as `FILE`, but it reads as a file named `=FILE` just
/// as well, so it is refused; `-p FILE` and `--policy=FILE` are not ambiguous.
fn short_flag_with_equals(args: &[OsString]) -> Option<String> {
    args.iter()
        .skip(1)
        .map(|a| a.to_string_lossy())
        .take_while(|a| a != "--")
        .find(|a| a.starts_with("-p="))
        .map(|a| format!("`{a}` is ambiguous: write `-p FILE` or `--policy=FILE`"))
}

fn from_error(e: &clap::Error, command: &mut clap::Command, args: &[OsString]) -> Parsed {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Parsed::Print(e.to_string()),
        _ => Parsed::Usage(usage_text(&message(e), command, args)),
    }
}

/// `portcullis: MESSAGE`, then the usage of the command the arguments name (or of
/// `portcullis` itself) and where to read more.
fn usage_text(message: &str, command: &mut clap::Command, args: &[OsString]) -> String {
    // The first argument that is not an option names the command, if it names one.
    let name = args
        .iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .find(|a| !a.starts_with('-'));
    let (usage, help) = match name.and_then(|n| command.find_subcommand_mut(n)) {
        Some(sub) => (
            sub.render_usage().to_string(),
            format!("portcullis {} --help", sub.get_name()),
        ),
        None => (
            command.render_usage().to_string(),
            "portcullis --help".to_string(),
        ),
    };
    format!("portcullis: {message}\n\n{usage}\n\nFor more, try `{help}`.\n")
}

/// The Levenshtein distance between `a` and `b`, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = i;
        let mut left = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let cost = diagonal + usize::from(ca != *cb);
            let here = cost.min(up.saturating_add(1)).min(left + 1);
            diagonal = up;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = here;
            }
            left = here;
        }
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
    }
    row.last().copied().unwrap_or(0)
}

/// The message of a usage error, with clap's suggestions ("did you mean").
fn message(e: &clap::Error) -> String {
    let string = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.as_str()),
        _ => None,
    };
    let strings = |kind| match e.get(kind) {
        Some(ContextValue::Strings(list)) => list.clone(),
        Some(ContextValue::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    let quoted = |list: Vec<String>| {
        list.iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let arg = string(ContextKind::InvalidArg);
    let value = string(ContextKind::InvalidValue);
    let mut message = match (e.kind(), arg, value) {
        (ErrorKind::InvalidValue, Some(arg), Some("")) => format!("`{arg}` needs a value"),
        (ErrorKind::InvalidValue, Some(arg), Some(value)) => format!(
            "`{arg}` must be one of {}, not `{value}`",
            strings(ContextKind::ValidValue).join(", ")
        ),
        (ErrorKind::UnknownArgument, Some(arg), _) if arg.starts_with('-') => {
            format!("unknown option `{arg}`")
        }
        (ErrorKind::UnknownArgument, Some(arg), _) => format!("unexpected argument `{arg}`"),
        (ErrorKind::InvalidSubcommand, ..) => format!(
            "unknown command `{}`",
            string(ContextKind::InvalidSubcommand).unwrap_or("")
        ),
        (
            ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand,
            ..,
        ) => "no command given".to_string(),
        (ErrorKind::MissingRequiredArgument, ..) => {
            format!("missing {}", quoted(strings(ContextKind::InvalidArg)))
        }
        (ErrorKind::TooManyValues, Some(arg), Some(value)) if !arg.contains('<') => {
            format!("`{arg}` takes no value, got `{value}`")
        }
        (ErrorKind::TooManyValues, Some(_), Some(value)) => {
            format!("unexpected argument `{value}`")
        }
        (ErrorKind::ArgumentConflict, Some(arg), _)
            if string(ContextKind::PriorArg) == Some(arg) =>
        {
            format!("`{arg}` given more than once")
        }
        (ErrorKind::InvalidUtf8, ..) => "an argument is not valid UTF-8".to_string(),
        // Anything else: clap's own sentence, without its `error: `.
        _ => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("");
            first.strip_prefix("error: ").unwrap_or(first).to_string()
        }
    };
    let mut suggestions: Vec<String> = [
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedArg,
        ContextKind::SuggestedValue,
    ]
    .into_iter()
    .flat_map(strings)
    .collect();
    // `help` is close to many short words, and never what was meant when a real
    // command is close too.
    if suggestions.len() > 1 {
        suggestions.retain(|s| s != "help");
    }
    // Clap suggests every name within its similarity threshold, so a short word can
    // be close to two (`chek`: `check`, and `schema`); only the nearest in edit
    // distance are meant.
    let typed = string(ContextKind::InvalidSubcommand)
        .or(value.filter(|v| !v.is_empty()))
        .or(arg);
    if let Some(typed) = typed.filter(|_| suggestions.len() > 1) {
        let nearest = suggestions.iter().map(|s| edit_distance(typed, s)).min();
        suggestions.retain(|s| Some(edit_distance(typed, s)) == nearest);
    }
    if !suggestions.is_empty() {
        message.push_str("; did you mean ");
        message.push_str(
            &suggestions
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(" or "),
        );
        message.push('?');
    }
    if let Some(ContextValue::StyledStrs(tips)) = e.get(ContextKind::Suggested) {
        for tip in tips {
            message.push_str(&format!("\n  tip: {tip}"));
        }
    }
    message
}

/// How requests are read: the normalization options of the language (the same for
/// every command that reads requests: eval, test, and later explain, diff, serve).
#[derive(Clone, Copy, Debug, Args)]
#[command(next_help_heading = "Normalization (how request paths and headers are read)")]
pub struct Normalization {
    /// What `%2F` and `%5C` in a path mean
    ///
    /// The attack: `/public%2F..%2Fadmin` is one segment to a proxy
    /// but `/admin` to a backend that decodes before routing (Istio
    /// CVE-2021-31920).
    #[arg(
        verbatim_doc_comment,
        long,
        value_name = "MODE",
        value_enum,
        default_value_t = EscapedSlashesArg::Reject
    )]
    pub escaped_slashes: EscapedSlashesArg,

    /// What a raw `\` in a path means
    ///
    /// The attack: `/public\..\admin` is one odd segment to a proxy but
    /// `/admin` to a backend that reads `\` as `/` (IIS, some
    /// frameworks).
    #[arg(
        verbatim_doc_comment,
        long,
        value_name = "MODE",
        value_enum,
        default_value_t = BackslashArg::Reject
    )]
    pub backslash: BackslashArg,

    /// What `;` (path parameters) in a path means
    ///
    /// The attack: `/public/..;/admin` is a segment `..;` to a proxy but
    /// `..` to a servlet container that strips parameters (Tomcat,
    /// Jetty), which serves `/admin`.
    #[arg(
        verbatim_doc_comment,
        long,
        value_name = "MODE",
        value_enum,
        default_value_t = SemicolonArg::Reject
    )]
    pub semicolon: SemicolonArg,

    /// Keep runs of `/` instead of merging them
    ///
    /// Merging (the default) closes `//admin`, which is not under
    /// `/admin/**` for a literal matcher but is served as `/admin` by
    /// most backends (Envoy CVE-2019-9901). Turn it off only for a
    /// backend that keeps empty segments apart: then `//admin/x` gets
    /// past a deny rule for `/admin/**`.
    #[arg(verbatim_doc_comment, long)]
    pub no_merge_slashes: bool,

    /// Also refuse escapes that a second decoder could change
    ///
    /// `%25` (`%252e%252e` is `..` to a backend that decodes twice),
    /// `%3B`, `%3F`, `%23`, escaped controls and space (trimmed by some
    /// frameworks) and escaped non-ASCII bytes (a full-width `/` that
    /// Unicode folding turns into `/`). For backends that decode twice,
    /// strip `;` after decoding, trim or fold Unicode; the cost is that
    /// legitimate `%25`, `%20` and UTF-8 names are refused too.
    #[arg(verbatim_doc_comment, long)]
    pub strict_escapes: bool,

    /// Accept header names with `_`
    ///
    /// Refused by default: CGI-style backends (PHP-FPM, Django, Rack)
    /// store `x_env` and `x-env` as one header, so `x_env: prod` would
    /// get past a rule on `header "x-env"`. Accept them only for a
    /// backend that keeps `_` and `-` apart, and then test both
    /// spellings in the policy.
    #[arg(verbatim_doc_comment, long)]
    pub underscores_in_headers: bool,
}

impl Normalization {
    /// The library's options for these flags.
    pub fn options(&self) -> Options {
        // `Options` is `#[non_exhaustive]`: start from the default and set fields.
        let mut options = Options::default();
        options.escaped_slashes = match self.escaped_slashes {
            EscapedSlashesArg::Reject => EscapedSlashes::Reject,
            EscapedSlashesArg::Decode => EscapedSlashes::Decode,
            EscapedSlashesArg::Keep => EscapedSlashes::Keep,
        };
        options.backslash = match self.backslash {
            BackslashArg::Reject => Backslash::Reject,
            BackslashArg::Slash => Backslash::Slash,
        };
        options.semicolon = match self.semicolon {
            SemicolonArg::Reject => Semicolon::Reject,
            SemicolonArg::Keep => Semicolon::Keep,
            SemicolonArg::Strip => Semicolon::Strip,
        };
        options.merge_slashes = !self.no_merge_slashes;
        options.strict_escapes = self.strict_escapes;
        options.underscores_in_headers = self.underscores_in_headers;
        options
    }
}

/// `--escaped-slashes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EscapedSlashesArg {
    /// The request is invalid (denied)
    Reject,
    /// `%2F` is `/`, `%5C` is `\`: for a backend that decodes them
    Decode,
    /// Text in its segment: for a backend that routes on the raw path
    Keep,
}

/// `--backslash`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackslashArg {
    /// The request is invalid (denied)
    Reject,
    /// `\` is `/`, as such backends read it
    Slash,
}

/// `--semicolon`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SemicolonArg {
    /// The request is invalid (denied)
    Reject,
    /// Plain text: only for a backend where `;` means nothing
    Keep,
    /// Each segment loses its `;...` parameters, as servlet containers do
    Strip,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;
    use crate::commands::{eval, test};

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("chek", "check"), 1);
        assert_eq!(edit_distance("chek", "schema"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("ab", ""), 2);
        assert_eq!(edit_distance("é", "e"), 1);
    }

    fn parse_str(args: &[&str]) -> Parsed {
        parse(
            std::iter::once("portcullis")
                .chain(args.iter().copied())
                .map(OsString::from),
        )
    }

    fn eval_args(args: &[&str]) -> eval::Args {
        match parse_str(args) {
            Parsed::Run(Command::Eval(args)) => args,
            other => panic!("not eval: {other:?}"),
        }
    }

    fn usage(args: &[&str]) -> String {
        match parse_str(args) {
            Parsed::Usage(text) => text,
            other => panic!("{args:?} should be a usage error: {other:?}"),
        }
    }

    #[test]
    fn the_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn commands() {
        assert!(matches!(parse_str(&["--help"]), Parsed::Print(t) if t.starts_with("Usage:")));
        assert!(matches!(parse_str(&["-V"]), Parsed::Print(t) if t.starts_with("portcullis ")));
        assert!(matches!(parse_str(&["check", "-h"]), Parsed::Print(_)));
        match parse_str(&["check", "a.pcl", "b.pcl"]) {
            Parsed::Run(Command::Check(args)) => assert_eq!(args.files, ["a.pcl", "b.pcl"]),
            other => panic!("{other:?}"),
        }
        let args = eval_args(&["eval", "-p", "a.pcl", "--policy=b.pcl", "-"]);
        assert_eq!(args.policies, ["a.pcl", "b.pcl"]);
        assert_eq!(args.requests.as_deref(), Some("-"));
        assert_eq!(args.normalization.options(), Options::default());
        match parse_str(&["test", "--", "-odd.pcl"]) {
            Parsed::Run(Command::Test(test::Args { files, .. })) => {
                assert_eq!(files, ["-odd.pcl"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn options() {
        let o = eval_args(&[
            "eval",
            "-p",
            "a",
            "--escaped-slashes",
            "decode",
            "--backslash=slash",
            "--semicolon",
            "strip",
            "--no-merge-slashes",
            "--strict-escapes",
            "--underscores-in-headers",
        ])
        .normalization
        .options();
        assert_eq!(o.escaped_slashes, EscapedSlashes::Decode);
        assert_eq!(o.backslash, Backslash::Slash);
        assert_eq!(o.semicolon, Semicolon::Strip);
        assert!(!o.merge_slashes);
        assert!(o.strict_escapes);
        assert!(o.underscores_in_headers);
        let o = eval_args(&[
            "eval",
            "-p",
            "a",
            "--escaped-slashes=keep",
            "--semicolon=keep",
        ])
        .normalization
        .options();
        assert_eq!(o.escaped_slashes, EscapedSlashes::Keep);
        assert_eq!(o.semicolon, Semicolon::Keep);
    }

    #[test]
    fn usage_errors() {
        for args in [
            &[][..],
            &["frobnicate"],
            &["--frob"],
            &["check"],
            &["check", "--semicolon", "keep", "a"],
            &["eval", "r.jsonl"],
            &["eval", "-p"],
            &["eval", "-p=a"],
            &["eval", "-p", "a", "x.jsonl", "y.jsonl"],
            &["eval", "-p", "a", "--semicolon", "maybe"],
            &["eval", "-p", "a", "--semicolon"],
            &["eval", "-p", "a", "--backslash", "decode"],
            &["eval", "-p", "a", "--escaped-slashes=strip"],
            &["eval", "-p", "a", "--no-merge-slashes=yes"],
            &["eval", "-p", "a", "--semicolon=keep", "--semicolon=keep"],
            &["test"],
            &["test", "-x", "a"],
        ] {
            let text = usage(args);
            assert!(text.starts_with("portcullis: "), "{text}");
            assert!(text.contains("Usage: portcullis"), "{text}");
        }
    }

    #[test]
    fn usage_error_messages() {
        let first = |args: &[&str]| usage(args).lines().next().unwrap().to_string();
        assert_eq!(
            first(&["eval", "-p", "a", "--semicolon", "maybe"]),
            "portcullis: `--semicolon <MODE>` must be one of reject, keep, strip, not `maybe`"
        );
        assert_eq!(
            first(&["evl"]),
            "portcullis: unknown command `evl`; did you mean `eval`?"
        );
        assert_eq!(
            first(&["eval", "-p", "a", "--no-merge-slash"]),
            "portcullis: unknown option `--no-merge-slash`; did you mean `--no-merge-slashes`?"
        );
        assert_eq!(
            first(&["eval", "-p", "a", "--semicolon=keep", "--semicolon=keep"]),
            "portcullis: `--semicolon <MODE>` given more than once"
        );
        assert_eq!(
            first(&["eval", "-p", "a", "--no-merge-slashes=yes"]),
            "portcullis: `--no-merge-slashes` takes no value, got `yes`"
        );
        assert_eq!(first(&[]), "portcullis: no command given");
        assert_eq!(
            first(&["eval", "r.jsonl"]),
            "portcullis: missing `--policy <FILE>`"
        );
    }
}
