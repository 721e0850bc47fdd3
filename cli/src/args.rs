//! A small hand-written argument parser: the command surface is tiny, so it needs no
//! dependency.
//!
//! Accepted forms: `--flag value`, `--flag=value`, `-p FILE`, and `--` to end the
//! options. A flag given twice is a usage error rather than "last one wins": an
//! ambiguous command line should not quietly pick a normalization mode.

use std::ffi::OsString;
use std::fmt;

use portcullis::normalize::{Backslash, EscapedSlashes, Options, Semicolon};

/// The usage text, printed by `--help` and after a usage error.
pub const USAGE: &str = "\
Usage:
  portcullis check FILE...
  portcullis eval -p FILE [-p FILE]... [OPTIONS] [REQUESTS]
  portcullis test [OPTIONS] FILE...
  portcullis --help | --version

Commands:
  check   Parse, check and compile the files as one policy. Diagnostics go to
          stderr. Exit status: 0 valid, 1 errors (or a file cannot be read).
  eval    Evaluate requests, one JSON object per line, read from REQUESTS or from
          stdin when REQUESTS is absent or `-`. Blank lines are skipped. Prints one
          JSON decision per request line, in order:
            {\"decision\":\"allow\",\"reason\":\"rule\",\"rule\":\"name\",\"audit\":[]}
          (plus \"error\" when the reason is invalid_request). A line that is not a
          valid request object prints {\"error\":\"...\"} and the others are still
          evaluated. Exit status: 0 all evaluated, 1 the policy does not compile
          (or cannot be read), 2 some line was not a valid request (or the
          requests could not be read).
  test    Run the policy's `test` blocks; print each failure, then
          `N passed, M failed`. Exit status: 0 all pass, 1 a failure or a compile
          error.

Options:
  -p, --policy FILE               policy file for eval (repeat to compile several
                                  files as one policy)
      --escaped-slashes MODE      %2F and %5C in paths: reject (default), decode, keep
      --backslash MODE            raw \\ in paths: reject (default), slash
      --semicolon MODE            ; in paths: reject (default), keep, strip
      --no-merge-slashes          keep runs of / instead of merging them
      --strict-escapes            also refuse %25, %3B, %3F, %23, escaped controls
                                  and space, and escaped non-ASCII bytes (for
                                  backends that decode twice, trim or fold Unicode)
      --underscores-in-headers    accept header names with _ (refused by default:
                                  CGI-style backends read x_env as x-env)
  -h, --help                      print this help
  -V, --version                   print the version

The normalization options apply to eval and test. Flags also take the form
--flag=value; `--` ends the options. A usage error (unknown flag, missing or
repeated argument) prints a message and this text on stderr and exits with
status 2.
";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub enum Command {
    /// Print the usage on stdout.
    Help,
    /// Print the version on stdout.
    Version,
    /// `check FILE...`
    Check {
        /// Policy files, compiled as one policy.
        files: Vec<String>,
    },
    /// `eval -p FILE... [REQUESTS]`
    Eval {
        /// Policy files, compiled as one policy.
        policies: Vec<String>,
        /// The requests file; `None` or `-` is stdin.
        requests: Option<String>,
        /// Normalization options.
        options: Options,
    },
    /// `test FILE...`
    Test {
        /// Policy files, compiled as one policy.
        files: Vec<String>,
        /// Normalization options.
        options: Options,
    },
}

/// A command line that cannot be understood; exit status 2.
#[derive(Debug, PartialEq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// One argument after splitting: a flag (with a value if written `--flag=value`) or
/// a positional argument.
enum Arg {
    Flag { name: String, value: Option<String> },
    Positional(String),
}

/// Splits the arguments after the command word into flags and positionals.
struct Args {
    rest: std::vec::IntoIter<String>,
    only_positional: bool,
}

impl Args {
    fn next(&mut self) -> Option<Arg> {
        let arg = self.rest.next()?;
        if self.only_positional || arg == "-" || !arg.starts_with('-') {
            return Some(Arg::Positional(arg));
        }
        if arg == "--" {
            self.only_positional = true;
            return self.next();
        }
        match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => Some(Arg::Flag {
                name: name.to_string(),
                value: Some(value.to_string()),
            }),
            _ => Some(Arg::Flag {
                name: arg,
                value: None,
            }),
        }
    }

    /// The value of a flag: the inline `=value`, else the next argument.
    fn value(&mut self, name: &str, inline: Option<String>) -> Result<String, UsageError> {
        match inline {
            Some(value) => Ok(value),
            None => self
                .rest
                .next()
                .ok_or_else(|| usage(format!("`{name}` needs a value"))),
        }
    }
}

/// Which normalization flags were seen, to refuse repeats.
#[derive(Default)]
struct OptionFlags {
    /// `Options` is `#[non_exhaustive]`: start from the default and set fields.
    options: Options,
    seen: Vec<&'static str>,
}

impl OptionFlags {
    /// Handles `name` if it is a normalization flag; `Ok(false)` if it is not one.
    fn take(
        &mut self,
        name: &str,
        inline: Option<String>,
        args: &mut Args,
    ) -> Result<bool, UsageError> {
        let key: &'static str = match name {
            "--escaped-slashes" => "--escaped-slashes",
            "--backslash" => "--backslash",
            "--semicolon" => "--semicolon",
            "--no-merge-slashes" => "--no-merge-slashes",
            "--strict-escapes" => "--strict-escapes",
            "--underscores-in-headers" => "--underscores-in-headers",
            _ => return Ok(false),
        };
        if self.seen.contains(&key) {
            return Err(usage(format!("`{key}` given more than once")));
        }
        self.seen.push(key);
        let options = &mut self.options;
        // The flags that take no value.
        let switch: Option<fn(&mut Options)> = match key {
            "--no-merge-slashes" => Some(|o| o.merge_slashes = false),
            "--strict-escapes" => Some(|o| o.strict_escapes = true),
            "--underscores-in-headers" => Some(|o| o.underscores_in_headers = true),
            _ => None,
        };
        if let Some(set) = switch {
            if inline.is_some() {
                return Err(usage(format!("`{key}` takes no value")));
            }
            set(options);
            return Ok(true);
        }
        let value = args.value(key, inline)?;
        let bad = |valid: &str| usage(format!("`{key}` must be one of {valid}, not `{value}`"));
        match key {
            "--escaped-slashes" => {
                options.escaped_slashes = match value.as_str() {
                    "reject" => EscapedSlashes::Reject,
                    "decode" => EscapedSlashes::Decode,
                    "keep" => EscapedSlashes::Keep,
                    _ => return Err(bad("reject, decode, keep")),
                }
            }
            "--backslash" => {
                options.backslash = match value.as_str() {
                    "reject" => Backslash::Reject,
                    "slash" => Backslash::Slash,
                    _ => return Err(bad("reject, slash")),
                }
            }
            _ => {
                options.semicolon = match value.as_str() {
                    "reject" => Semicolon::Reject,
                    "keep" => Semicolon::Keep,
                    "strip" => Semicolon::Strip,
                    _ => return Err(bad("reject, keep, strip")),
                }
            }
        }
        Ok(true)
    }
}

fn is_help(name: &str) -> bool {
    name == "-h" || name == "--help"
}

fn unknown(name: &str, command: &str) -> UsageError {
    usage(format!("unknown option `{name}` for `{command}`"))
}

/// Parses the arguments after the program name.
pub fn parse<I>(args: I) -> Result<Command, UsageError>
where
    I: IntoIterator<Item = OsString>,
{
    let args = args
        .into_iter()
        .map(|a| {
            a.into_string()
                .map_err(|a| usage(format!("argument {a:?} is not valid UTF-8")))
        })
        .collect::<Result<Vec<String>, UsageError>>()?;
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        return Err(usage("no command given"));
    };
    let mut rest = Args {
        rest: args,
        only_positional: false,
    };
    match command.as_str() {
        "-h" | "--help" | "help" => Ok(Command::Help),
        "-V" | "--version" => Ok(Command::Version),
        "check" => parse_check(&mut rest),
        "eval" => parse_eval(&mut rest),
        "test" => parse_test(&mut rest),
        other if other.starts_with('-') => Err(usage(format!("unknown option `{other}`"))),
        other => Err(usage(format!("unknown command `{other}`"))),
    }
}

fn parse_check(args: &mut Args) -> Result<Command, UsageError> {
    let mut files = Vec::new();
    while let Some(arg) = args.next() {
        match arg {
            Arg::Positional(file) => files.push(file),
            Arg::Flag { name, .. } if is_help(&name) => return Ok(Command::Help),
            Arg::Flag { name, .. } => return Err(unknown(&name, "check")),
        }
    }
    if files.is_empty() {
        return Err(usage("`check` needs at least one policy file"));
    }
    Ok(Command::Check { files })
}

fn parse_eval(args: &mut Args) -> Result<Command, UsageError> {
    let mut policies = Vec::new();
    let mut requests = None;
    let mut flags = OptionFlags::default();
    while let Some(arg) = args.next() {
        match arg {
            Arg::Positional(file) => {
                if let Some(first) = &requests {
                    return Err(usage(format!(
                        "`eval` takes one requests file, got `{first}` and `{file}`"
                    )));
                }
                requests = Some(file);
            }
            Arg::Flag { name, .. } if is_help(&name) => return Ok(Command::Help),
            Arg::Flag { name, value } if name == "-p" || name == "--policy" => {
                policies.push(args.value(&name, value)?);
            }
            Arg::Flag { name, value } => {
                if !flags.take(&name, value, args)? {
                    return Err(unknown(&name, "eval"));
                }
            }
        }
    }
    if policies.is_empty() {
        return Err(usage("`eval` needs a policy: `-p FILE`"));
    }
    Ok(Command::Eval {
        policies,
        requests,
        options: flags.options,
    })
}

fn parse_test(args: &mut Args) -> Result<Command, UsageError> {
    let mut files = Vec::new();
    let mut flags = OptionFlags::default();
    while let Some(arg) = args.next() {
        match arg {
            Arg::Positional(file) => files.push(file),
            Arg::Flag { name, .. } if is_help(&name) => return Ok(Command::Help),
            Arg::Flag { name, value } => {
                if !flags.take(&name, value, args)? {
                    return Err(unknown(&name, "test"));
                }
            }
        }
    }
    if files.is_empty() {
        return Err(usage("`test` needs at least one policy file"));
    }
    Ok(Command::Test {
        files,
        options: flags.options,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(args: &[&str]) -> Result<Command, UsageError> {
        parse(args.iter().map(OsString::from))
    }

    fn eval_options(args: &[&str]) -> Options {
        match parse_str(args).unwrap() {
            Command::Eval { options, .. } => options,
            other => panic!("not eval: {other:?}"),
        }
    }

    #[test]
    fn commands() {
        assert_eq!(parse_str(&["--help"]).unwrap(), Command::Help);
        assert_eq!(parse_str(&["-V"]).unwrap(), Command::Version);
        assert_eq!(parse_str(&["check", "-h"]).unwrap(), Command::Help);
        assert_eq!(
            parse_str(&["check", "a.pcl", "b.pcl"]).unwrap(),
            Command::Check {
                files: vec!["a.pcl".into(), "b.pcl".into()]
            }
        );
        assert_eq!(
            parse_str(&["eval", "-p", "a.pcl", "--policy=b.pcl", "-"]).unwrap(),
            Command::Eval {
                policies: vec!["a.pcl".into(), "b.pcl".into()],
                requests: Some("-".into()),
                options: Options::default(),
            }
        );
        assert_eq!(
            parse_str(&["test", "--", "-odd.pcl"]).unwrap(),
            Command::Test {
                files: vec!["-odd.pcl".into()],
                options: Options::default(),
            }
        );
    }

    #[test]
    fn options() {
        let o = eval_options(&[
            "eval",
            "-p",
            "a",
            "--escaped-slashes",
            "decode",
            "--backslash=slash",
            "--semicolon",
            "strip",
            "--no-merge-slashes",
        ]);
        assert_eq!(o.escaped_slashes, EscapedSlashes::Decode);
        assert_eq!(o.backslash, Backslash::Slash);
        assert_eq!(o.semicolon, Semicolon::Strip);
        assert!(!o.merge_slashes);
        let o = eval_options(&[
            "eval",
            "-p",
            "a",
            "--escaped-slashes=keep",
            "--semicolon=keep",
        ]);
        assert_eq!(o.escaped_slashes, EscapedSlashes::Keep);
        assert_eq!(o.semicolon, Semicolon::Keep);
        assert_eq!(eval_options(&["eval", "-p", "a"]), Options::default());
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
            assert!(parse_str(args).is_err(), "{args:?} should be a usage error");
        }
    }
}
