//! Properties of `diff` and `lint` on random policy pairs (issue 11, item 7).
//!
//! On a small request domain, where the requests enumerated hold every class of the
//! patterns used, `diff` and brute force must agree exactly: the same pairs of
//! decisions that differ, the same verdict; `unsatisfiable-rule` and `shadowed-rule`
//! are reported exactly for the rules that brute force finds matching nothing or
//! never deciding. On the shared reference generator's policies (regular expressions
//! included), every example must be sound and a difference that brute force finds
//! must not be missed without saying so.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::net::IpAddr;

use portcullis::syntax::RuleKind;
use portcullis::{Decision, OwnedRequest, Policy, Reason};
use portcullis_analysis::{DiffOptions, diff, lint};
use portcullis_support::reference::generate;
use proptest::prelude::*;

/// The subjects of the small domain: each with the conditions rules may use and the
/// values enumerated (which hold every class of those conditions).
const SUBJECTS: usize = 8;

fn conditions(subject: usize) -> &'static [&'static str] {
    match subject {
        0 => &["method GET", "method GET, POST", "method PUT"],
        1 => &[
            "path \"/a\"",
            "path \"/a/*\"",
            "path \"/a/**\"",
            "path \"/b\", \"/a/b\"",
            "path \"/*.png\"",
        ],
        2 => &[
            "identity \"spiffe://p/ns/a/sa/*\"",
            "identity \"spiffe://p/ns/a/sa/x\"",
            "identity \"spiffe://p/**\"",
            "identity \"x*\"",
            "identity present",
        ],
        3 => &["host \"api.svc\"", "host \"*.svc\"", "host \"*\""],
        4 => &[
            "port 80",
            "port 443",
            "port 80..443",
            "port 8000..9000",
            "port present",
        ],
        5 => &[
            "source 10.0.0.0/8",
            "source 10.1.0.0/16",
            "source 2001:db8::/32",
        ],
        6 => &[
            "header \"x-env\" == \"prod\"",
            "header \"x-env\" in [\"prod\", \"dev\"]",
            "header \"x-env\" present",
        ],
        _ => &["attr \"tenant\" == \"acme\"", "attr \"tenant\" present"],
    }
}

/// Sets `subject`'s value number `i` on `r` (0 is absent where absence exists).
fn set_value(r: OwnedRequest, subject: usize, i: usize) -> OwnedRequest {
    match subject {
        0 => {
            let mut r = r;
            r.set_method(["GET", "POST", "PUT", "DELETE"][i]);
            r
        }
        1 => {
            let mut r = r;
            r.set_path(
                [
                    "/", "/a", "/a/", "/a/b", "/a/x", "/a/x/y", "/b", "/c", "/x.png", "/a/x.png",
                ][i],
            );
            r
        }
        2 => match i {
            0 => r,
            _ => r.identity(
                [
                    "",
                    "spiffe://p/ns/a/sa/x",
                    "spiffe://p/ns/a/sa/y",
                    "spiffe://p/ns/b/sa/y",
                    "xy",
                    "other",
                ][i],
            ),
        },
        3 => match i {
            0 => r,
            _ => r.host(["", "api.svc", "b.svc", "other.example"][i]),
        },
        4 => match i {
            0 => r,
            _ => r.port([0, 80, 443, 100, 8080, 1][i]),
        },
        5 => match i {
            0 => r,
            _ => r.source(
                ["", "10.1.2.3", "10.2.3.4", "192.0.2.1", "2001:db8::1"][i]
                    .parse::<IpAddr>()
                    .unwrap(),
            ),
        },
        6 => match i {
            0 => r,
            1 => r.header("x-env", b"prod".to_vec()),
            2 => r.header("x-env", b"dev".to_vec()),
            3 => r
                .header("x-env", b"prod".to_vec())
                .header("x-env", b"dev".to_vec()),
            _ => r.header("x-env", b"other".to_vec()),
        },
        _ => match i {
            0 => r,
            1 => r.attr("tenant", "acme"),
            _ => r.attr("tenant", "other"),
        },
    }
}

fn value_count(subject: usize) -> usize {
    [4, 10, 6, 4, 6, 5, 5, 3][subject]
}

/// Every request of the domain over `subjects` (the others fixed).
fn requests(subjects: &[usize]) -> Vec<OwnedRequest> {
    let mut out = vec![OwnedRequest::new("GET", "/")];
    for &s in subjects {
        let mut next = Vec::new();
        for r in &out {
            for i in 0..value_count(s) {
                next.push(set_value(r.clone(), s, i));
            }
        }
        out = next;
    }
    out
}

#[derive(Clone, Debug)]
struct SmallRule {
    kind: RuleKind,
    conditions: Vec<(bool, usize, usize)>,
}

fn small_rule(subjects: Vec<usize>) -> impl Strategy<Value = SmallRule> {
    let kind = prop_oneof![
        4 => Just(RuleKind::Allow),
        3 => Just(RuleKind::Deny),
        1 => Just(RuleKind::Audit)
    ];
    let condition = (any::<bool>(), prop::sample::select(subjects), 0..5usize)
        .prop_map(|(not, s, i)| (not && i % 2 == 0, s, i % conditions(s).len()));
    (kind, prop::collection::vec(condition, 0..4))
        .prop_map(|(kind, conditions)| SmallRule { kind, conditions })
}

fn text(default_allow: bool, rules: &[(String, SmallRule)]) -> String {
    let mut out = String::from(if default_allow {
        "default allow\n"
    } else {
        "default deny\n"
    });
    for (name, rule) in rules {
        let kind = match rule.kind {
            RuleKind::Allow => "allow",
            RuleKind::Deny => "deny",
            _ => "audit",
        };
        out.push_str(&format!("{kind} \"{name}\" {{\n"));
        for &(not, s, i) in &rule.conditions {
            let not = if not { "not " } else { "" };
            out.push_str(&format!("  {not}{}\n", conditions(s)[i]));
        }
        out.push_str("}\n");
    }
    out
}

/// A pair of small policies over up to three subjects: the new one keeps some of
/// the old rules (same names) and adds others.
fn small_pair() -> impl Strategy<Value = (Vec<usize>, String, String)> {
    prop::sample::subsequence((0..SUBJECTS).collect::<Vec<_>>(), 1..=3).prop_flat_map(|subjects| {
        let rules = prop::collection::vec(small_rule(subjects.clone()), 0..5);
        let extra = prop::collection::vec(small_rule(subjects.clone()), 0..3);
        let keep = prop::collection::vec(any::<bool>(), 5);
        (
            Just(subjects),
            rules,
            extra,
            keep,
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(subjects, rules, extra, keep, old_default, new_default)| {
                let old: Vec<(String, SmallRule)> = rules
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (format!("r{i}"), r.clone()))
                    .collect();
                let mut new: Vec<(String, SmallRule)> = old
                    .iter()
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(r, _)| r.clone())
                    .collect();
                for (i, r) in extra.into_iter().enumerate() {
                    new.insert(i.min(new.len()), (format!("n{i}"), r));
                }
                (
                    subjects,
                    text(old_default, &old),
                    text(new_default && keep[0], &new),
                )
            })
    })
}

/// A decision's effect, reason and rule.
fn key(d: &Decision<'_>) -> String {
    format!("{:?}/{:?}/{:?}", d.effect(), d.reason(), d.rule())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn diff_agrees_with_brute_force_on_a_small_domain((subjects, old_text, new_text) in small_pair()) {
        let old = Policy::compile(&old_text).unwrap();
        let new = Policy::compile(&new_text).unwrap();
        let domain = requests(&subjects);
        for by_rule in [false, true] {
            let mut options = DiffOptions::default();
            options.by_rule = by_rule;
            options.limit = 10_000;
            let report = diff(&old, &new, &options).unwrap();
            prop_assert!(!report.undecided && !report.truncated);
            let mut found = BTreeSet::new();
            for d in &report.differences {
                // Sound: a valid request, decided as printed, and differently.
                let a = old.evaluate(&d.request.as_request());
                let b = new.evaluate(&d.request.as_request());
                prop_assert_eq!(a.to_owned(), d.old.clone());
                prop_assert_eq!(b.to_owned(), d.new.clone());
                prop_assert!(a.reason() != Reason::InvalidRequest);
                prop_assert!(a.effect() != b.effect() || (by_rule && key(&a) != key(&b)));
                found.insert(if by_rule { format!("{} {}", key(&a), key(&b)) } else { format!("{:?} {:?}", a.effect(), b.effect()) });
            }
            let mut brute = BTreeSet::new();
            for r in &domain {
                let a = old.evaluate(&r.as_request());
                let b = new.evaluate(&r.as_request());
                prop_assert!(a.reason() != Reason::InvalidRequest, "{:?}", r);
                if by_rule && key(&a) != key(&b) {
                    brute.insert(format!("{} {}", key(&a), key(&b)));
                } else if !by_rule && a.effect() != b.effect() {
                    brute.insert(format!("{:?} {:?}", a.effect(), b.effect()));
                }
            }
            // Complete and exact: the same ways of changing, and so the same verdict.
            prop_assert_eq!(&found, &brute, "old:\n{}\nnew:\n{}", old_text, new_text);
            prop_assert_eq!(report.equivalent(), brute.is_empty());
        }
    }

    #[test]
    fn lint_rule_findings_agree_with_brute_force((subjects, text, _) in small_pair()) {
        let policy = Policy::compile(&text).unwrap();
        let findings = lint(&[("p.pcl", &text)]).unwrap();
        let domain = requests(&subjects);
        let explained: Vec<_> = domain.iter().map(|r| policy.explain(&r.as_request())).collect();
        for (i, rule) in policy.rules().enumerate() {
            let line = rule.span().line;
            let reported = |code: &str| findings.iter().any(|f| f.code().as_str() == code && f.line() == line);
            let matching: Vec<_> = explained.iter().filter(|e| e.rules()[i].matched()).collect();
            prop_assert_eq!(reported("unsatisfiable-rule"), matching.is_empty(), "{}", text);
            let never_decides = !matching.is_empty()
                && rule.kind() != RuleKind::Audit
                && matching.iter().all(|e| e.decision().rule() != Some(rule.name()));
            prop_assert_eq!(reported("shadowed-rule"), never_decides, "{}\n{}", rule.name(), text);
        }
    }

    #[test]
    fn diff_examples_are_sound_on_the_reference_generator(
        old in generate::policy(0..6),
        new in generate::policy(0..6),
        pool in prop::collection::vec(generate::request(), 32),
    ) {
        let (Ok(old), Ok(new)) = (Policy::compile(&old.print()), Policy::compile(&new.print())) else {
            return Ok(());
        };
        let report = diff(&old, &new, &DiffOptions::default()).unwrap();
        for d in &report.differences {
            let a = old.evaluate(&d.request.as_request());
            let b = new.evaluate(&d.request.as_request());
            prop_assert_eq!(a.to_owned(), d.old.clone());
            prop_assert_eq!(b.to_owned(), d.new.clone());
            prop_assert!(a.reason() != Reason::InvalidRequest && a.effect() != b.effect());
        }
        let differs = pool.iter().any(|r| {
            let (a, b) = (old.evaluate(&r.as_request()), new.evaluate(&r.as_request()));
            a.effect() != b.effect()
        });
        if differs {
            prop_assert!(!report.equivalent(), "a difference brute force finds was missed");
        }
    }
}
