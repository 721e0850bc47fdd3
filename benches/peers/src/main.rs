//! Portcullis against Cedar, casbin and regorus (Rego) on the same generated workload.
//!
//! 1. Generate the peer workload (`Config::peer`: no header, regex or audit rules, which
//!    not every peer can express with the same meaning) at each size.
//! 2. Translate it into each engine's language.
//! 3. Check that every engine gives the same allow/deny decision as Portcullis on every
//!    valid request of the mix; print mismatches and exit non-zero if there are any.
//! 4. Time each engine: median over rounds of ns per decision, and the ratio to
//!    Portcullis measured in the same run.
//!
//! Peers do no request normalization: they are given the path without its query (for
//! the valid requests of the mix that is the normalized path), the host without its
//! port, and only valid requests. Portcullis is timed on the raw request, normalization
//! included. Invalid requests are reported apart: how many each peer would allow if
//! handed the raw target.
//!
//! Usage: `cargo run --release [-- SIZES...] [--shape NAME] [--stream mix|uniform]`
//! (default sizes 100 1000 10000, shape `mesh`, stream `mix`; a peer is skipped at a
//! size where one decision would take longer than `--max-ms`, default 50). Every shape
//! is generated without header, regex and audit rules here (`Config::peer`), so
//! `header-heavy` keeps its hosts, paths, methods and deny rules but not its headers.
//! The `uniform` stream is the workload's 2,000 distinct valid requests aimed at rules
//! drawn uniformly from the policy; `mix` is the valid part of the labelled mix.

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
    policy: portcullis::Policy,
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

/// Median ns per decision over rounds, each round a pass over (a prefix of) the requests.
fn time(engine: &mut dyn Engine, n: usize, budget: Duration) -> (f64, usize, usize) {
    // Calibrate with one pass over up to 8 requests.
    let probe = n.min(8);
    let start = Instant::now();
    for i in 0..probe {
        black_box(engine.decide(black_box(i)));
    }
    let per = start.elapsed().as_secs_f64() / probe.max(1) as f64;
    // A round takes at most a tenth of the budget; at least 8 requests a round.
    let per_round = ((budget.as_secs_f64() / 10.0 / per.max(1e-9)) as usize).clamp(8.min(n), n);
    let mut samples = Vec::new();
    let deadline = Instant::now() + budget;
    while samples.len() < 3 || (Instant::now() < deadline && samples.len() < 31) {
        let start = Instant::now();
        let mut reps = 0;
        // Repeat short rounds so that one round lasts at least ~1 ms.
        loop {
            for i in 0..per_round {
                black_box(engine.decide(black_box(i)));
            }
            reps += 1;
            if start.elapsed() >= Duration::from_millis(1) {
                break;
            }
        }
        samples.push(start.elapsed().as_secs_f64() * 1e9 / (reps * per_round) as f64);
    }
    samples.sort_by(f64::total_cmp);
    let median = samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN);
    (median, samples.len(), per_round)
}

struct Row {
    engine: &'static str,
    rules: usize,
    translated: usize,
    median_ns: f64,
    ratio: f64,
    note: String,
}

fn main() -> ExitCode {
    let mut sizes = Vec::new();
    let mut max_ms = 50.0;
    let mut shape = Shape::Mesh;
    let mut stream = Stream::Mix;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--max-ms" {
            max_ms = args.next().and_then(|v| v.parse().ok()).unwrap_or(max_ms);
        } else if a == "--shape" {
            let name = args.next().unwrap_or_default();
            let Some(s) = Shape::from_name(&name) else {
                println!("unknown shape `{name}`");
                return ExitCode::FAILURE;
            };
            shape = s;
        } else if a == "--stream" {
            let name = args.next().unwrap_or_default();
            let Some(s) = Stream::from_name(&name) else {
                println!("unknown stream `{name}`");
                return ExitCode::FAILURE;
            };
            stream = s;
        } else if let Ok(n) = a.parse::<usize>() {
            sizes.push(n);
        }
    }
    if sizes.is_empty() {
        sizes = vec![100, 1_000, 10_000];
    }
    let budget = Duration::from_secs(2);
    let mut rows = Vec::new();
    let mut mismatches = 0usize;
    for &rules in &sizes {
        let workload = Workload::generate(Config {
            shape,
            requests_per_label: 32,
            uniform_requests: if stream == Stream::Uniform {
                UNIFORM_REQUESTS
            } else {
                0
            },
            ..Config::peer(rules)
        });
        let valid: Vec<&Req> = workload
            .stream(stream)
            .iter()
            .filter(|r| r.label != Label::Invalid)
            .collect();
        let invalid: Vec<&Req> = workload.with_label(Label::Invalid);
        let peer_requests: Vec<PeerRequest<'_>> =
            valid.iter().map(|r| PeerRequest::new(r)).collect();
        let invalid_requests: Vec<PeerRequest<'_>> =
            invalid.iter().map(|r| PeerRequest::new(r)).collect();
        println!(
            "== {} {}, {rules} rules: {} services, {} valid + {} invalid requests",
            shape.name(),
            stream.name(),
            workload.services.len(),
            valid.len(),
            invalid.len()
        );

        let start = Instant::now();
        let policy = match portcullis::Policy::compile(&workload.policy_text()) {
            Ok(p) => p,
            Err(e) => {
                println!("portcullis: the generated policy does not compile:\n{e}");
                return ExitCode::FAILURE;
            }
        };
        println!("portcullis: compiled in {:?}", start.elapsed());
        let mut portcullis = Portcullis {
            policy,
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
        let (p_ns, rounds, per_round) = time(&mut portcullis, valid.len(), budget);
        rows.push(Row {
            engine: "portcullis",
            rules,
            translated: workload.rules.len(),
            median_ns: p_ns,
            ratio: 1.0,
            note: format!("{rounds} rounds x {per_round} req"),
        });

        type Builder =
            fn(&Workload, &[PeerRequest<'_>]) -> Result<(Box<dyn Engine>, usize), String>;
        let builders: [(&str, Builder); 3] = [
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
        for (name, build) in builders {
            let start = Instant::now();
            let (mut engine, translated) = match build(&workload, &peer_requests) {
                Ok(x) => x,
                Err(e) => {
                    // Not a decision mismatch: the engine cannot take this workload.
                    println!("{name}: not built at {rules} rules: {e}");
                    rows.push(Row {
                        engine: name,
                        rules,
                        translated: 0,
                        median_ns: f64::NAN,
                        ratio: f64::NAN,
                        note: format!("not built: {e}"),
                    });
                    continue;
                }
            };
            println!("{name}: built in {:?}", start.elapsed());
            // Probe the cost of one decision before checking them all.
            let start = Instant::now();
            let _ = engine.decide(0);
            let one = start.elapsed();
            if one.as_secs_f64() * 1e3 > max_ms {
                println!(
                    "{name}: skipped at {rules} rules: one decision took {one:?} (> {max_ms} ms)"
                );
                rows.push(Row {
                    engine: engine.name(),
                    rules,
                    translated,
                    median_ns: f64::NAN,
                    ratio: f64::NAN,
                    note: format!("skipped: {one:?}/decision"),
                });
                continue;
            }
            let mut bad = 0;
            for (i, expected) in reference.iter().enumerate() {
                let got = engine.decide(i);
                if got != *expected {
                    bad += 1;
                    if bad <= 5 {
                        if let Some(r) = valid.get(i) {
                            println!(
                                "MISMATCH {name} {rules}: {} {} id={:?} host={:?} src={:?}: portcullis {} ({:?} by {:?}), {name} {}",
                                r.sent.method(),
                                r.sent.path(),
                                r.sent.identity_value(),
                                r.sent.host_value(),
                                r.sent.source_value(),
                                expected,
                                r.label,
                                r.rule,
                                got
                            );
                        }
                    }
                }
            }
            mismatches += bad;
            println!(
                "{name}: {} of {} decisions equal to portcullis",
                reference.len() - bad,
                reference.len()
            );
            let (ns, rounds, per_round) = time(engine.as_mut(), valid.len(), budget);
            rows.push(Row {
                engine: engine.name(),
                rules,
                translated,
                median_ns: ns,
                ratio: ns / p_ns,
                note: format!("{rounds} rounds x {per_round} req"),
            });
            // Raw invalid targets: what the peer would do without a normalizer in front.
            if let Ok((mut raw, _)) = build(&workload, &invalid_requests) {
                let allowed = (0..invalid_requests.len())
                    .filter(|&i| raw.decide(i))
                    .count();
                println!(
                    "{name}: given the {} invalid requests raw, allows {allowed} (portcullis denies all)",
                    invalid_requests.len()
                );
            }
        }
    }
    println!();
    println!(
        "| shape | stream | engine | rules | translated | median ns/decision | ratio to portcullis | note |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {:.0} | {:.1} | {} |",
            shape.name(),
            stream.name(),
            r.engine,
            r.rules,
            r.translated,
            r.median_ns,
            r.ratio,
            r.note
        );
    }
    if mismatches > 0 {
        println!("\nFAIL: {mismatches} decisions differ from portcullis");
        ExitCode::FAILURE
    } else {
        println!("\nok: every engine made the same decisions as portcullis on every valid request");
        ExitCode::SUCCESS
    }
}
