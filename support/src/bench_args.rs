//! The command line of a bench binary that runs without criterion (`harness = false`
//! with its own `main`) but is invoked beside criterion benches: `cargo bench` passes
//! `--bench`, and a combined invocation passes criterion's flags with their values
//! (`--warm-up-time 1`) and a filter.

/// Whether the arguments carry a filter (a word that is neither a flag nor a flag's
/// value) and none of the filters is part of `name`: the bench should then do
/// nothing, as a criterion bench the filter does not match.
///
/// ```
/// use portcullis_support::bench_args::filtered_out;
/// let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
/// assert!(!filtered_out("memory", &args(&["--bench"])));
/// assert!(!filtered_out("memory", &args(&["--warm-up-time", "1", "mem"])));
/// assert!(filtered_out("memory", &args(&["shapes", "--bench"])));
/// ```
pub fn filtered_out(name: &str, args: &[String]) -> bool {
    let mut filters = args
        .iter()
        .enumerate()
        .filter(|&(i, a)| {
            !a.starts_with("--")
                && (i == 0 || !args.get(i - 1).is_some_and(|p| p.starts_with("--")))
        })
        .map(|(_, a)| a)
        .peekable();
    filters.peek().is_some() && !filters.any(|f| name.contains(f.as_str()))
}
