//! Portcullis against Cedar, casbin and regorus (Rego) on the same generated workload.
//!
//! For each shape, size and stream asked for:
//!
//! 1. Generate the peer workload (`Config::peer`: no header, attribute, regex or audit
//!    rules, which not every peer can express with the same meaning).
//! 2. Check that Portcullis decides every valid request of the stream as the
//!    workload's reference evaluation labelled it, and time it: median over rounds of
//!    ns per decision, a round being a pass over the whole stream.
//! 3. Translate the workload into each peer's language; decide one request untimed
//!    (regorus prepares the module lazily on its first evaluation), then decide
//!    requests spread over the whole stream (a fixed low-discrepancy order, not the
//!    first ones), timing each decision, until the engine has made at least
//!    `--min-decisions` and spent `--seconds` (or, whatever the count, three times
//!    `--seconds`, once it has made one). Every sampled decision must equal
//!    Portcullis' on the same request: mismatches are printed and the run exits
//!    non-zero.
//! 4. Report each peer's median ns per decision, its ratio to Portcullis' median in
//!    the same run, and how many decisions it is the median of.
//!
//! No engine is skipped for being slow: a slow one is measured on fewer decisions, and
//! the table says how many. Only an engine that cannot take the workload (regorus'
//! 1 MiB module limit at 10,000 rules) has no ratio ("not built").
//!
//! Peers do no request normalization: they are given the path without its query (for
//! the valid requests of both streams that is the normalized path), the host without
//! its port, and only valid requests. Portcullis is timed on the raw request,
//! normalization included. Invalid requests are reported apart: how many of the mix's
//! invalid requests each peer would allow if handed the raw target (decided until
//! half of `--seconds` has passed; printed, not in the table).
//!
//! ```text
//! cargo run --release -- [SIZES...] [--shapes LIST] [--streams LIST]
//!                        [--seconds S] [--min-decisions N] [--no-invalid]
//! ```
//!
//! - `SIZES`: rule counts (default `100 1000 10000`).
//! - `--shapes` (or `--shape`): comma list of shape names, or `all` (default `mesh`).
//!   Every shape is generated without header, attribute, regex and audit rules here,
//!   so `header-heavy` keeps its hosts, paths, methods and deny rules but not its
//!   headers.
//! - `--streams` (or `--stream`): comma list of `mix` and `uniform`, or `all` (default
//!   `mix`). `uniform` is the workload's 2,000 distinct valid requests aimed at rules
//!   drawn uniformly from the policy; `mix` is the valid part of the labelled mix.
//! - `--seconds` (default 3): time spent per peer and combination, see 3. above.
//! - `--min-decisions` (default 10): decisions per peer and combination, see 3.
//! - `--no-invalid`: skip the raw invalid requests.
//!
//! Decisions are timed with the thread's CPU time, as in `benches/shapes` (on this
//! shared machine wall time mostly counted waiting for a core);
//! `PORTCULLIS_BENCH_CLOCK=wall` times them with wall time. The time bounds above are
//! wall time.
//!
//! At the end one markdown table: a row per shape, stream and size. `run-all.sh` runs
//! every shape with both streams at 1,000 rules.

mod casbin_peer;
mod cedar;
mod rego;

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use portcullis_support::workload::{Config, Label, Req, Shape, Stream, UNIFORM_REQUESTS, Workload};

/// An engine under comparison.
pub trait Engine {
    /// Its name in the table.
    fn name(&self) -> &'static str;
    /// Decides on request `i` of the prepared list: allowed or not.
    fn decide(&mut self, i: usize) -> bool;
}

/// A request as the peers see it: valid, with a clean path and host.
pub struct PeerRequest<'a> {
    pub req: &'a Req,
    pub path: &'a str,
    pub host: Option<&'a str>,
}

impl<'a> PeerRequest<'a> {
    fn new(req: &'a Req) -> PeerRequest<'a> {
        PeerRequest {
            req,
            path: req.clean_path(),
            host: req.clean_host(),
        }
    }
}

struct Portcullis<'a> {
    policy: &'a portcullis::Policy,
    requests: Vec<portcullis::Request<'a>>,
}

impl Engine for Portcullis<'_> {
    fn name(&self) -> &'static str {
        "portcullis"
    }
    fn decide(&mut self, i: usize) -> bool {
        self.requests
            .get(i)
            .is_some_and(|r| self.policy.evaluate(r).is_allowed())
    }
}

/// What decisions are timed with: the thread's CPU time (as in `benches/shapes`: on
/// a shared machine wall time counts the time spent waiting for a core), or wall time
/// with `PORTCULLIS_BENCH_CLOCK=wall`. Time bounds are always wall time.
#[derive(Clone, Copy)]
struct Clock {
    wall: bool,
}

impl Clock {
    fn from_env() -> Clock {
        Clock {
            wall: std::env::var("PORTCULLIS_BENCH_CLOCK").is_ok_and(|v| v == "wall"),
        }
    }

    fn name(self) -> &'static str {
        if self.wall {
            "wall time"
        } else {
            "thread CPU time"
        }
    }

    /// A reading; only differences of two readings mean something.
    fn now(self) -> Duration {
        static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        if self.wall {
            return EPOCH.get_or_init(Instant::now).elapsed();
        }
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        if rc != 0 {
            return EPOCH.get_or_init(Instant::now).elapsed();
        }
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }

    /// Nanoseconds since an earlier reading.
    fn ns_since(self, start: Duration) -> f64 {
        self.now().saturating_sub(start).as_secs_f64() * 1e9
    }
}

/// Median ns per decision over rounds, a round being one or more passes over all `n`
/// requests lasting at least 1 ms; up to 31 rounds within `budget`, at least 3.
fn time_rounds(engine: &mut dyn Engine, n: usize, budget: Duration, clock: Clock) -> (f64, usize) {
    let mut samples = Vec::new();
    let deadline = Instant::now() + budget;
    while samples.len() < 3 || (Instant::now() < deadline && samples.len() < 31) {
        let start = clock.now();
        let mut reps = 0;
        loop {
            for i in 0..n {
                black_box(engine.decide(black_box(i)));
            }
            reps += 1;
            if clock.ns_since(start) >= 1e6 {
                break;
            }
        }
        samples.push(clock.ns_since(start) / (reps * n.max(1)) as f64);
    }
    (median(&mut samples), samples.len())
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `0..n` in an order whose every prefix is spread over the whole range: index `k`
/// goes to `k * step mod n`, with `step` the integer nearest `n / φ` that is coprime
/// to `n` (a golden-ratio sequence), so the first ten of 2,000 requests are about 200
/// apart rather than the first ten.
fn spread_order(n: usize) -> Vec<usize> {
    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    if n < 3 {
        return (0..n).collect();
    }
    let mut step = ((n as f64) / 1.618_033_988_75).round() as usize;
    while gcd(step, n) != 1 {
        step += 1;
    }
    (0..n).map(|k| (k * step) % n).collect()
}

/// How long a peer is given, and how many decisions at least.
#[derive(Clone, Copy)]
struct Bound {
    seconds: f64,
    min_decisions: usize,
}

/// A peer measured on a sample of the stream.
struct Sample {
    /// Median ns per decision.
    median_ns: f64,
    /// Decisions timed (and checked).
    decisions: usize,
    /// Of them, how many differ from Portcullis.
    mismatches: usize,
    /// The untimed first decision.
    first: Duration,
}

/// Decides requests in `order` until `bound` says stop, timing each and checking it
/// against `reference`; prints the first mismatches.
fn sample(
    engine: &mut dyn Engine,
    order: &[usize],
    reference: &[bool],
    bound: Bound,
    clock: Clock,
    describe: &dyn Fn(usize, bool) -> String,
) -> Sample {
    let first = {
        let start = Instant::now();
        // The last of the order: not one of the first timed requests.
        black_box(engine.decide(order.last().copied().unwrap_or(0)));
        start.elapsed()
    };
    let soft = Duration::from_secs_f64(bound.seconds);
    let hard = soft * 3;
    let start = Instant::now();
    let mut times = Vec::new();
    let mut mismatches = 0;
    for &i in order {
        let spent = start.elapsed();
        if (times.len() >= bound.min_decisions && spent >= soft)
            || (!times.is_empty() && spent >= hard)
        {
            break;
        }
        let t = clock.now();
        let got = black_box(engine.decide(black_box(i)));
        times.push(clock.ns_since(t));
        if reference.get(i) != Some(&got) {
            mismatches += 1;
            if mismatches <= 5 {
                println!("MISMATCH {}", describe(i, got));
            }
        }
    }
    Sample {
        decisions: times.len(),
        median_ns: median(&mut times),
        mismatches,
        first,
    }
}

/// One peer's cell of the table.
enum Cell {
    Measured {
        median_ns: f64,
        ratio: f64,
        decisions: usize,
    },
    NotBuilt,
}

struct Row {
    shape: Shape,
    stream: Stream,
    rules: usize,
    portcullis_ns: f64,
    peers: Vec<Cell>,
}

/// `1234567` as `1,234,567`.
fn thousands(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    let digits = format!("{:.0}", v.round());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn list<T: Copy>(
    value: &str,
    all: &[T],
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, String> {
    if value == "all" {
        return Ok(all.to_vec());
    }
    value
        .split(',')
        .map(|s| parse(s.trim()).ok_or_else(|| format!("unknown name `{}`", s.trim())))
        .collect()
}

struct Options {
    sizes: Vec<usize>,
    shapes: Vec<Shape>,
    streams: Vec<Stream>,
    bound: Bound,
    invalid: bool,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        sizes: Vec::new(),
        shapes: vec![Shape::Mesh],
        streams: vec![Stream::Mix],
        bound: Bound {
            seconds: 3.0,
            min_decisions: 10,
        },
        invalid: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("`{a}` needs a value"));
        match a.as_str() {
            "--shape" | "--shapes" => o.shapes = list(&value()?, &Shape::ALL, Shape::from_name)?,
            "--stream" | "--streams" => {
                o.streams = list(&value()?, &Stream::ALL, Stream::from_name)?;
            }
            "--seconds" => {
                o.bound.seconds = value()?
                    .parse()
                    .ok()
                    .filter(|s: &f64| *s > 0.0)
                    .ok_or("`--seconds` takes a positive number")?;
            }
            "--min-decisions" => {
                o.bound.min_decisions = value()?
                    .parse()
                    .ok()
                    .filter(|n: &usize| *n > 0)
                    .ok_or("`--min-decisions` takes a positive integer")?;
            }
            "--no-invalid" => o.invalid = false,
            "--max-ms" => {
                return Err(
                    "`--max-ms` is gone: no engine is skipped; bound the time with `--seconds`"
                        .into(),
                );
            }
            _ => match a.replace(['_', ','], "").parse::<usize>() {
                Ok(n) if n > 0 => o.sizes.push(n),
                _ => return Err(format!("unknown argument `{a}`")),
            },
        }
    }
    if o.sizes.is_empty() {
        o.sizes = vec![100, 1_000, 10_000];
    }
    Ok(o)
}

type Builder = fn(&Workload, &[PeerRequest<'_>]) -> Result<(Box<dyn Engine>, usize), String>;

const PEERS: [(&str, Builder); 3] = [
    ("cedar", |w, r| {
        cedar::build(w, r).map(|(e, n)| (Box::new(e) as Box<dyn Engine>, n))
    }),
    ("casbin", |w, r| {
        casbin_peer::build(w, r).map(|(e, n)| (Box::new(e) as Box<dyn Engine>, n))
    }),
    ("regorus", |w, r| {
        rego::build(w, r).map(|(e, n)| (Box::new(e) as Box<dyn Engine>, n))
    }),
];

fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            println!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let run_start = Instant::now();
    let clock = Clock::from_env();
    println!("peers: decisions timed with the {}", clock.name());
    let mut rows = Vec::new();
    let mut mismatches = 0usize;
    for &shape in &o.shapes {
        for &rules in &o.sizes {
            let workload = Workload::generate(Config {
                shape,
                requests_per_label: 32,
                uniform_requests: if o.streams.contains(&Stream::Uniform) {
                    UNIFORM_REQUESTS
                } else {
                    0
                },
                ..Config::peer(rules)
            });
            let policy = match portcullis::Policy::compile(&workload.policy_text()) {
                Ok(p) => p,
                Err(e) => {
                    println!("portcullis: the generated policy does not compile:\n{e}");
                    return ExitCode::FAILURE;
                }
            };
            for (k, &stream) in o.streams.iter().enumerate() {
                let valid: Vec<&Req> = workload
                    .stream(stream)
                    .iter()
                    .filter(|r| r.label != Label::Invalid)
                    .collect();
                let peer_requests: Vec<PeerRequest<'_>> =
                    valid.iter().map(|r| PeerRequest::new(r)).collect();
                println!(
                    "== {} {}, {rules} rules: {} services, {} valid requests",
                    shape.name(),
                    stream.name(),
                    workload.services.len(),
                    valid.len(),
                );
                let mut portcullis = Portcullis {
                    policy: &policy,
                    requests: valid.iter().map(|r| r.request()).collect(),
                };
                let reference: Vec<bool> = (0..valid.len()).map(|i| portcullis.decide(i)).collect();
                let oracle_disagree = valid
                    .iter()
                    .zip(&reference)
                    .filter(|(r, d)| r.label.is_allowed() != **d)
                    .count();
                if oracle_disagree > 0 {
                    println!(
                        "portcullis: {oracle_disagree} of {} decisions differ from the workload's labels",
                        valid.len()
                    );
                    mismatches += oracle_disagree;
                }
                let (p_ns, rounds) =
                    time_rounds(&mut portcullis, valid.len(), Duration::from_secs(1), clock);
                println!(
                    "portcullis: {p_ns:.0} ns/decision, median of {rounds} rounds over all {} requests",
                    valid.len()
                );
                let order = spread_order(valid.len());
                let mut cells = Vec::new();
                for (name, build) in PEERS {
                    let start = Instant::now();
                    let (mut engine, translated) = match build(&workload, &peer_requests) {
                        Ok(x) => x,
                        Err(e) => {
                            // Not a decision mismatch: the engine cannot take this workload.
                            println!("{name}: not built: {e}");
                            cells.push(Cell::NotBuilt);
                            continue;
                        }
                    };
                    let built = start.elapsed();
                    let describe = |i: usize, got: bool| {
                        valid.get(i).map_or_else(String::new, |r| {
                            format!(
                                "{name} {rules}: {} {} id={:?} host={:?} src={:?}: portcullis {} ({:?} by {:?}), {name} {got}",
                                r.sent.method(),
                                r.sent.path(),
                                r.sent.identity_value(),
                                r.sent.host_value(),
                                r.sent.source_value(),
                                reference.get(i).copied().unwrap_or_default(),
                                r.label,
                                r.rule,
                            )
                        })
                    };
                    let s = sample(
                        engine.as_mut(),
                        &order,
                        &reference,
                        o.bound,
                        clock,
                        &describe,
                    );
                    mismatches += s.mismatches;
                    println!(
                        "{name}: {translated} rules or lines, built in {built:.1?}, first decision {:.1?}; {} ns/decision, median of {} decisions spread over the {} requests, {} equal to portcullis",
                        s.first,
                        thousands(s.median_ns),
                        s.decisions,
                        valid.len(),
                        s.decisions - s.mismatches,
                    );
                    cells.push(Cell::Measured {
                        median_ns: s.median_ns,
                        ratio: s.median_ns / p_ns,
                        decisions: s.decisions,
                    });
                    // Raw invalid targets: what the peer would do without a normalizer
                    // in front (once per shape and size).
                    if o.invalid && k == 0 {
                        raw_invalid(name, build, &workload, o.bound);
                    }
                }
                rows.push(Row {
                    shape,
                    stream,
                    rules,
                    portcullis_ns: p_ns,
                    peers: cells,
                });
            }
        }
    }
    println!();
    println!(
        "| shape | stream | rules | portcullis ns | cedar ns | cedar × | casbin ns | casbin × | regorus ns | regorus × |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let mut line = format!(
            "| {} | {} | {} | {} |",
            r.shape.name(),
            r.stream.name(),
            thousands(r.rules as f64),
            thousands(r.portcullis_ns)
        );
        for cell in &r.peers {
            match cell {
                Cell::Measured {
                    median_ns,
                    ratio,
                    decisions,
                } => line.push_str(&format!(
                    " {} | {} (n = {decisions}) |",
                    thousands(*median_ns),
                    thousands(*ratio)
                )),
                Cell::NotBuilt => line.push_str(" not built | – |"),
            }
        }
        println!("{line}");
    }
    println!(
        "\nportcullis: median of rounds over every valid request of the stream; a peer: median of single decisions, n of them, spread over the stream; × = peer / portcullis; clock: {}. Whole run: {:.0?}.",
        clock.name(),
        run_start.elapsed()
    );
    if mismatches > 0 {
        println!("\nFAIL: {mismatches} decisions differ from portcullis or the labels");
        ExitCode::FAILURE
    } else {
        println!(
            "\nok: every engine made the same decisions as portcullis on every request it decided"
        );
        ExitCode::SUCCESS
    }
}

/// How many of the mix's invalid requests a peer allows when handed them raw, decided
/// until half of the bound's seconds have passed (at least one).
fn raw_invalid(name: &str, build: Builder, workload: &Workload, bound: Bound) {
    let invalid: Vec<&Req> = workload.with_label(Label::Invalid);
    let requests: Vec<PeerRequest<'_>> = invalid.iter().map(|r| PeerRequest::new(r)).collect();
    let Ok((mut raw, _)) = build(workload, &requests) else {
        return;
    };
    let start = Instant::now();
    let (mut tried, mut allowed) = (0, 0);
    for i in spread_order(requests.len()) {
        if tried > 0 && start.elapsed().as_secs_f64() >= bound.seconds / 2.0 {
            break;
        }
        tried += 1;
        allowed += usize::from(raw.decide(i));
    }
    println!(
        "{name}: given {tried} of the {} invalid requests raw, allows {allowed} (portcullis denies all)",
        requests.len()
    );
}
