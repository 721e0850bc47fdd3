//! The benchmark workload generator: deterministic, sized as asked, and labelled the
//! way Portcullis decides (its labels come from an independent reference evaluation).

use portcullis::{Policy, Reason};
use portcullis_support::workload::{self, Config, Label, Workload};

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

#[test]
fn portcullis_decides_as_labelled() {
    for rules in [10, 100, 1_000] {
        for config in [Config::full(rules), Config::peer(rules)] {
            let w = Workload::generate(config);
            let policy = Policy::compile(&w.policy_text()).expect("the generated policy compiles");
            assert_eq!(policy.rule_count(), rules);
            for r in &w.requests {
                let d = policy.evaluate(&r.request());
                let what = format!(
                    "{rules} rules: {} {} {:?}",
                    r.sent.method(),
                    r.sent.path(),
                    r.sent.identity_value()
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
    }
}
