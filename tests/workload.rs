//! The benchmark workload generator: deterministic, sized as asked, and labelled the
//! way Portcullis decides (its labels come from an independent reference evaluation).

use portcullis::{Policy, Reason};
use portcullis_support::tree_stats::TreeStats;
use portcullis_support::workload::{self, Config, Label, Req, Shape, Stream, Workload};

#[test]
fn the_same_seed_gives_the_same_workload() {
    let a = Workload::generate(Config::full(300));
    let b = Workload::generate(Config::full(300));
    assert_eq!(a.policy_text(), b.policy_text());
    assert_eq!(a.requests, b.requests);
    let other = Workload::generate(Config {
        seed: 7,
        ..Config::full(300)
    });
    assert_ne!(a.policy_text(), other.policy_text());
}

#[test]
fn sizes_are_exact_and_every_label_is_represented() {
    for rules in [10, 100, 1_000] {
        let w = Workload::generate(Config::full(rules));
        assert_eq!(w.rules.len(), rules);
        for label in Label::ALL {
            assert!(
                !w.with_label(label).is_empty(),
                "{rules} rules: no {} request",
                label.name()
            );
        }
    }
    let w = Workload::generate(Config::full(1_000));
    for label in Label::ALL {
        assert_eq!(
            w.with_label(label).len(),
            w.config.requests_per_label,
            "{}",
            label.name()
        );
    }
}

#[test]
fn the_peer_workload_leaves_out_what_peers_cannot_express() {
    let w = Workload::generate(Config::peer(1_000));
    assert!(
        w.rules
            .iter()
            .all(|r| r.header.is_none() && r.path_regex.is_none())
    );
    assert!(w.rules.iter().all(|r| r.effect != workload::Effect::Audit));
    let text = Workload::generate(Config::full(1_000)).policy_text();
    for feature in [
        "header \"x-tenant\"",
        "path ~",
        "audit \"",
        "source 10.",
        "not identity",
    ] {
        assert!(text.contains(feature), "full workload lacks {feature}");
    }
}

/// Checks that Portcullis decides every request as the workload's oracle labelled it:
/// effect, reason, deciding rule and audit list.
fn check_agrees(policy: &Policy, w: &Workload, requests: &[Req], context: &str) {
    for r in requests {
        let d = policy.evaluate(&r.request());
        let what = format!(
            "{context}: {} {} {:?} {:?} {:?}",
            r.sent.method(),
            r.sent.path(),
            r.sent.identity_value(),
            r.sent.host_value(),
            r.sent.source_value()
        );
        match r.label {
            Label::Invalid => assert_eq!(d.reason(), Reason::InvalidRequest, "{what}"),
            Label::DeniedByDefault => {
                assert_eq!(
                    (d.is_allowed(), d.reason()),
                    (false, Reason::Default),
                    "{what}"
                );
            }
            Label::Allowed | Label::DeniedByRule => {
                assert_eq!(d.is_allowed(), r.label == Label::Allowed, "{what}");
                assert_eq!(d.rule(), r.rule.as_deref(), "{what}");
            }
        }
        if r.label != Label::Invalid {
            assert_eq!(d.audit().collect::<Vec<_>>(), w.oracle_audits(r), "{what}");
        }
    }
}

#[test]
fn portcullis_decides_as_labelled() {
    for rules in [10, 100, 1_000] {
        for config in [Config::full(rules), Config::peer(rules)] {
            let w = Workload::generate(config);
            let policy = Policy::compile(&w.policy_text()).expect("the generated policy compiles");
            assert_eq!(policy.rule_count(), rules);
            check_agrees(&policy, &w, &w.requests, &format!("{rules} rules"));
        }
    }
}

#[test]
fn the_mesh_shape_is_the_original_workload() {
    let shaped = Workload::generate(Config::shaped(Shape::Mesh, 300));
    let full = Workload::generate(Config::full(300));
    assert_eq!(shaped.policy_text(), full.policy_text());
    assert_eq!(shaped.requests, full.requests);
    assert!(full.uniform.is_empty());
    assert_eq!(shaped.uniform.len(), workload::UNIFORM_REQUESTS);
}

#[test]
fn shapes_differ_and_have_their_features() {
    let text = |shape| Workload::generate(Config::shaped(shape, 1_000)).policy_text();
    let texts: Vec<String> = Shape::ALL.iter().map(|s| text(*s)).collect();
    for (i, a) in texts.iter().enumerate() {
        for b in texts.iter().skip(i + 1) {
            assert_ne!(a, b);
        }
    }
    let count = |shape: Shape, what: &dyn Fn(&workload::Rule) -> bool| {
        Workload::generate(Config::shaped(shape, 1_000))
            .rules
            .iter()
            .filter(|r| what(r))
            .count()
    };
    let exact = |r: &workload::Rule| matches!(r.principal, workload::Principal::Exact(_));
    assert!(count(Shape::ExactIdentities, &exact) > 900);
    assert!(count(Shape::CidrHeavy, &|r| r.source.is_some()) > 600);
    assert!(count(Shape::HeaderHeavy, &|r| r.header.is_some()) > 600);
    let deny = |r: &workload::Rule| r.effect == workload::Effect::Deny;
    assert!(count(Shape::DenySubtrees, &deny) > 300);
    let tenants = Workload::generate(Config::shaped(Shape::Tenants, 1_000));
    let mut hosts: Vec<_> = tenants
        .rules
        .iter()
        .filter_map(|r| r.host.clone())
        .collect();
    hosts.sort();
    hosts.dedup();
    assert!(hosts.len() > 990, "{} hosts", hosts.len());
    for shape in Shape::ALL {
        assert!(
            count(shape, &|r| r.path_regex.is_some()) > 0,
            "{} has no regex rule",
            shape.name()
        );
    }
}

#[test]
fn the_held_out_shape_mixes_every_family_and_is_last() {
    // Last, so that the tuned shapes' seeds (derived from their position) are unchanged.
    assert_eq!(Shape::ALL.last(), Some(&Shape::HeldOut));
    assert_eq!(Shape::from_name("held-out"), Some(Shape::HeldOut));
    let w = Workload::generate(Config::shaped(Shape::HeldOut, 1_000));
    let s = w.summary();
    let share = |n: usize| n * 100 / s.rules;
    // Some of everything, none of it dominant.
    for (what, n) in [
        ("exact", s.exact),
        ("glob", s.glob),
        ("source", s.source),
        ("header", s.header),
        ("attr", s.attr),
        ("regex", s.regex),
        ("deny", s.deny),
        ("audit", s.audit),
    ] {
        assert!((1..50).contains(&share(n)), "{what}: {n} of {}", s.rules);
    }
    let no_host = w.rules.iter().filter(|r| r.host.is_none()).count();
    assert!(share(no_host) >= 5, "{no_host} rules without a host");
    let tenants = w
        .rules
        .iter()
        .filter(|r| r.paths.iter().any(|p| p.text().starts_with("/tenants/")))
        .count();
    assert!(share(tenants) >= 5, "{tenants} tenant rules");
    assert!(s.namespaces > 20, "{} namespaces", s.namespaces);
    // Some requests carry several values of one attribute; some attr rules decide.
    let multi = w.uniform.iter().any(|r| {
        let keys: Vec<&str> = r.sent.attrs().map(|(k, _)| k).collect();
        keys.windows(2).any(|p| matches!(p, [a, b] if a == b))
    });
    assert!(multi, "no request with two values of one attribute");
    let by_attr = w
        .uniform
        .iter()
        .filter(|r| {
            r.rule.as_deref().is_some_and(|name| {
                w.rules
                    .iter()
                    .any(|rule| rule.name == name && rule.attr.is_some())
            })
        })
        .count();
    assert!(by_attr > 0, "no request decided by an attr rule");
    // The peer workload leaves out attr rules as it does header rules.
    let peer = Workload::generate(Config {
        shape: Shape::HeldOut,
        ..Config::peer(1_000)
    });
    assert!(
        peer.rules
            .iter()
            .all(|r| r.header.is_none() && r.attr.is_none() && r.path_regex.is_none())
    );
}

#[test]
fn every_shape_and_stream_is_decided_as_labelled() {
    for shape in Shape::ALL {
        for rules in [10, 100, 1_000] {
            let w = Workload::generate(Config::shaped(shape, rules));
            let context = format!("{} at {rules} rules", shape.name());
            assert_eq!(w.rules.len(), rules, "{context}");
            let policy = Policy::compile(&w.policy_text()).unwrap_or_else(|e| {
                panic!("{context}: the generated policy does not compile: {e}")
            });
            assert_eq!(policy.rule_count(), rules, "{context}");
            assert_eq!(policy.validate_tree(), Ok(()), "{context}");
            for label in Label::ALL {
                assert!(
                    !w.with_label(label).is_empty(),
                    "{context}: no {} request in the mix",
                    label.name()
                );
            }
            for stream in Stream::ALL {
                let requests = w.stream(stream);
                check_agrees(
                    &policy,
                    &w,
                    requests,
                    &format!("{context}, {}", stream.name()),
                );
            }
        }
    }
}

#[test]
fn the_uniform_stream_is_distinct_valid_and_spread_over_the_policy() {
    for shape in Shape::ALL {
        for rules in [10, 1_000] {
            let w = Workload::generate(Config::shaped(shape, rules));
            let context = format!("{} at {rules} rules", shape.name());
            assert_eq!(w.uniform.len(), workload::UNIFORM_REQUESTS, "{context}");
            let mut distinct: Vec<String> =
                w.uniform.iter().map(|r| format!("{:?}", r.sent)).collect();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), w.uniform.len(), "{context}");
            assert!(
                w.uniform.iter().all(|r| r.label != Label::Invalid),
                "{context}"
            );
            // Deciding rules: a stream aimed at random rules is decided by many of
            // them, not by a few hot ones.
            let mut deciding: Vec<&str> =
                w.uniform.iter().filter_map(|r| r.rule.as_deref()).collect();
            deciding.sort_unstable();
            deciding.dedup();
            let least = if rules == 10 { 4 } else { rules / 4 };
            assert!(
                deciding.len() >= least,
                "{context}: only {} deciding rules",
                deciding.len()
            );
        }
    }
}

#[test]
fn shape_and_stream_names_round_trip() {
    for shape in Shape::ALL {
        assert_eq!(Shape::from_name(shape.name()), Some(shape));
    }
    for stream in Stream::ALL {
        assert_eq!(Stream::from_name(stream.name()), Some(stream));
    }
    assert_eq!(Shape::from_name("nope"), None);
}

#[test]
fn tree_stats_read_the_compiled_trees_of_every_shape() {
    for shape in Shape::ALL {
        let w = Workload::generate(Config::shaped(shape, 100));
        let policy = Policy::compile(&w.policy_text()).expect("the generated policy compiles");
        let stats = TreeStats::from_dump(&policy.dump_tree());
        assert!(stats.leaves >= 1, "{}: {stats:?}", shape.name());
        // Every rule sits in at least one leaf (none of these rules is unmatchable).
        assert!(stats.entries >= 100, "{}: {stats:?}", shape.name());
        assert!(stats.max_leaf >= 1 && stats.max_leaf <= stats.entries);
    }
}
