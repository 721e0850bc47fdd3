//! The rules of every [`Shape`] but [`Shape::Mesh`] (which is `service_rules` in the
//! parent module, unchanged so that its numbers stay comparable across versions).

use std::net::Ipv4Addr;

use super::{
    Cidr, Config, DigitsRegex, Effect, METHODS, NAMESPACES, PathTemplate, Principal, Rng, Rule,
    SUBRESOURCES, Service, Shape, identity, make_service,
};

/// Header names of [`Shape::HeaderHeavy`].
const HEADER_NAMES: [&str; 5] = [
    "x-tenant",
    "x-env",
    "x-api-version",
    "x-region",
    "x-client-id",
];

/// Appends rules (and the services they name) until there are `config.rules`.
pub(super) fn generate(
    config: &Config,
    rng: &mut Rng,
    rules: &mut Vec<Rule>,
    services: &mut Vec<Service>,
) {
    match config.shape {
        Shape::Mesh => {}
        Shape::ExactIdentities => exact_identities(config, rng, rules, services),
        Shape::CidrHeavy => cidr_heavy(config, rng, rules, services),
        Shape::HeaderHeavy => header_heavy(config, rng, rules, services),
        Shape::DenySubtrees => deny_subtrees(config, rng, rules, services),
        Shape::Tenants => tenants(config, rng, rules, services),
        Shape::HeldOut => held_out(config, rng, rules, services),
    }
}

/// `hosts` services, made up front (rules then pick their host among them).
fn services_for(hosts: usize, services: &mut Vec<Service>) {
    services.extend((0..hosts.max(1)).map(make_service));
}

/// One of `services`, cloned (there is always at least one).
fn pick_service(rng: &mut Rng, services: &[Service]) -> Service {
    rng.pick(services)
        .cloned()
        .unwrap_or_else(|| make_service(0))
}

/// `least` to `least + spread - 1` distinct methods of GET..DELETE, in the usual order.
fn methods(rng: &mut Rng, least: usize, spread: usize) -> Vec<&'static str> {
    let count = least + rng.below(spread);
    let pool = &METHODS[..6];
    let mut picked: Vec<&'static str> = Vec::new();
    while picked.len() < count.clamp(1, pool.len()) {
        if let Some(m) = rng.pick(pool) {
            if !picked.contains(m) {
                picked.push(m);
            }
        }
    }
    pool.iter()
        .copied()
        .filter(|m| picked.contains(m))
        .collect()
}

fn namespace(rng: &mut Rng) -> &'static str {
    rng.pick(&NAMESPACES).copied().unwrap_or("web")
}

fn rule(name: String, effect: Effect) -> Rule {
    Rule::new(name, effect)
}

/// One exact identity and one path of its own per rule.
fn exact_identities(
    config: &Config,
    rng: &mut Rng,
    rules: &mut Vec<Rule>,
    services: &mut Vec<Service>,
) {
    services_for(config.rules / 40, services);
    // Allow rules so far: identity, path, host (deny rules target them).
    let mut allowed: Vec<(String, PathTemplate, String)> = Vec::new();
    let mut i = 0;
    while rules.len() < config.rules {
        i += 1;
        let s = pick_service(rng, services);
        let host = s.host();
        let client = identity(namespace(rng), &format!("client-{i}"));
        let roll = rng.below(100);
        if roll < 10 && !allowed.is_empty() {
            // Take one earlier caller's deletes away.
            let Some((id, path, host)) = rng.pick(&allowed).cloned() else {
                continue;
            };
            let mut r = rule(format!("deny {i}"), Effect::Deny);
            r.principal = Principal::Exact(id);
            r.methods = vec!["DELETE"];
            r.paths = vec![path];
            r.host = Some(host);
            rules.push(r);
        } else if roll < 16 && config.regexes {
            let mut r = rule(format!("reports {i}"), Effect::Allow);
            r.principal = Principal::Exact(client);
            r.methods = vec!["GET"];
            r.path_regex = Some(DigitsRegex {
                prefix: format!("/api/v1/{}/k{i}/reports", s.resource),
            });
            r.host = Some(host);
            rules.push(r);
        } else if roll < 18 && config.audits {
            let mut r = rule(format!("audit {i}"), Effect::Audit);
            r.principal = Principal::Exact(client);
            r.host = Some(host);
            rules.push(r);
        } else {
            let path = if rng.percent(50) {
                PathTemplate::parse(&format!("/api/v1/{}/k{i}", s.resource))
            } else {
                PathTemplate::parse(&format!("/api/v1/{}/k{i}/{{id}}", s.resource))
            };
            let mut r = rule(format!("allow {i}"), Effect::Allow);
            r.principal = Principal::Exact(client.clone());
            r.methods = methods(rng, 1, 3);
            r.paths = vec![path.clone()];
            r.host = Some(host.clone());
            rules.push(r);
            allowed.push((client, path, host));
        }
    }
}

/// A CIDR block: /16 and /24 in 10/8, /20 in 172.16/12, /28 in 10/8, /32 in
/// 192.168/16 (the request generator's default sources are in 10.200-249, outside).
fn cidr(rng: &mut Rng) -> Cidr {
    let a = rng.below(200) as u8;
    let b = rng.below(256) as u8;
    let c = rng.below(256) as u8;
    match rng.below(5) {
        0 => Cidr {
            addr: Ipv4Addr::new(10, a, 0, 0),
            prefix: 16,
        },
        1 => Cidr {
            addr: Ipv4Addr::new(10, a, b, 0),
            prefix: 24,
        },
        2 => Cidr {
            addr: Ipv4Addr::new(172, 16 + (a % 16), b & 0xF0, 0),
            prefix: 20,
        },
        3 => Cidr {
            addr: Ipv4Addr::new(10, a, b, c & 0xF0),
            prefix: 28,
        },
        _ => Cidr {
            addr: Ipv4Addr::new(192, 168, b, c),
            prefix: 32,
        },
    }
}

/// Paths of a service: its collection, an item, or both.
fn resource_paths(rng: &mut Rng, s: &Service) -> Vec<PathTemplate> {
    let collection = PathTemplate::parse(&format!("/api/v1/{}", s.resource));
    let item = PathTemplate::parse(&format!("/api/v1/{}/{{id}}", s.resource));
    match rng.below(3) {
        0 => vec![collection],
        1 => vec![item],
        _ => vec![collection, item],
    }
}

fn cidr_heavy(config: &Config, rng: &mut Rng, rules: &mut Vec<Rule>, services: &mut Vec<Service>) {
    services_for(config.rules / 12, services);
    let mut i = 0;
    while rules.len() < config.rules {
        i += 1;
        let s = pick_service(rng, services);
        let roll = rng.below(100);
        if roll < 25 {
            let mut r = rule(format!("block {i}"), Effect::Deny);
            r.source = Some(cidr(rng));
            if rng.percent(60) {
                r.host = Some(s.host());
            }
            if rng.percent(50) {
                r.methods = vec!["POST", "PUT", "DELETE"];
            }
            rules.push(r);
        } else if roll < 30 && config.regexes {
            let mut r = rule(format!("reports {i}"), Effect::Allow);
            r.source = Some(cidr(rng));
            r.methods = vec!["GET"];
            r.path_regex = Some(DigitsRegex {
                prefix: format!("/api/v1/{}/reports", s.resource),
            });
            r.host = Some(s.host());
            rules.push(r);
        } else if roll < 32 && config.audits {
            let mut r = rule(format!("audit {i}"), Effect::Audit);
            r.source = Some(cidr(rng));
            r.host = Some(s.host());
            rules.push(r);
        } else {
            let mut r = rule(format!("office {i}"), Effect::Allow);
            r.principal = match rng.below(10) {
                0..=4 => Principal::Namespace(namespace(rng).to_string()),
                5 | 6 => Principal::Exact(s.identity()),
                _ => Principal::Any,
            };
            if rng.percent(90) {
                r.source = Some(cidr(rng));
            }
            r.methods = methods(rng, 1, 4);
            r.paths = resource_paths(rng, &s);
            if rng.percent(80) {
                r.host = Some(s.host());
            }
            rules.push(r);
        }
    }
}

fn header(rng: &mut Rng, values: usize) -> (String, String) {
    let name = rng.pick(&HEADER_NAMES).copied().unwrap_or("x-tenant");
    let value = format!("{}-{}", name.trim_start_matches("x-"), rng.below(values));
    (name.to_string(), value)
}

fn header_heavy(
    config: &Config,
    rng: &mut Rng,
    rules: &mut Vec<Rule>,
    services: &mut Vec<Service>,
) {
    services_for(config.rules / 20, services);
    let values = (config.rules / 10).max(3);
    let mut i = 0;
    while rules.len() < config.rules {
        i += 1;
        let s = pick_service(rng, services);
        let roll = rng.below(100);
        // Without header rules (a peer workload) the shape keeps its other tests.
        let header = config.headers.then(|| header(rng, values));
        if roll < 15 {
            let mut r = rule(format!("blocked {i}"), Effect::Deny);
            r.header = header;
            r.methods = vec!["POST", "PUT", "PATCH", "DELETE"];
            r.host = Some(s.host());
            if r.header.is_none() {
                r.principal = Principal::NotNamespace(namespace(rng).to_string());
            }
            rules.push(r);
        } else if roll < 25 && config.regexes {
            let mut r = rule(format!("reports {i}"), Effect::Allow);
            r.header = header;
            r.methods = vec!["GET"];
            r.path_regex = Some(DigitsRegex {
                prefix: format!("/api/v1/{}/reports", s.resource),
            });
            r.host = Some(s.host());
            rules.push(r);
        } else if roll < 27 && config.audits {
            let mut r = rule(format!("audit {i}"), Effect::Audit);
            r.header = header;
            r.host = Some(s.host());
            rules.push(r);
        } else {
            let mut r = rule(format!("routed {i}"), Effect::Allow);
            r.header = if roll < 35 { None } else { header };
            if rng.percent(40) {
                r.principal = Principal::Namespace(namespace(rng).to_string());
            }
            r.methods = methods(rng, 1, 3);
            r.paths = resource_paths(rng, &s);
            r.host = Some(s.host());
            rules.push(r);
        }
    }
}

fn deny_subtrees(
    config: &Config,
    rng: &mut Rng,
    rules: &mut Vec<Rule>,
    services: &mut Vec<Service>,
) {
    let mut index = 0;
    while rules.len() < config.rules {
        let s = make_service(index);
        index += 1;
        let res = &s.resource;
        let host = s.host();
        let name = |what: &str| format!("{}.{}: {what}", s.name, s.namespace);
        let consumer = namespace(rng);

        let mut r = rule(name("admin subtree"), Effect::Deny);
        r.principal = Principal::NotNamespace(s.namespace.clone());
        r.paths = vec![PathTemplate::parse(&format!("/api/v1/{res}/admin/**"))];
        r.host = Some(host.clone());
        rules.push(r);

        let mut r = rule(name("exports are read-only"), Effect::Deny);
        r.methods = vec!["POST", "PUT", "PATCH", "DELETE"];
        r.paths = vec![PathTemplate::parse(&format!("/api/v1/{res}/exports/**"))];
        r.host = Some(host.clone());
        rules.push(r);

        if rng.percent(60) {
            let mut r = rule(name("internal"), Effect::Deny);
            r.principal = Principal::NotNamespace("ops".to_string());
            r.paths = vec![PathTemplate::parse(&format!("/internal/{res}/**"))];
            if rng.percent(50) {
                r.host = Some(host.clone());
            }
            rules.push(r);
        }

        let mut r = rule(name("consumers"), Effect::Allow);
        r.principal = Principal::Namespace(consumer.to_string());
        r.methods = methods(rng, 1, 3);
        r.paths = vec![PathTemplate::parse(&format!("/api/v1/{res}/**"))];
        r.host = Some(host.clone());
        rules.push(r);

        let mut r = rule(name("own namespace"), Effect::Allow);
        r.principal = Principal::Namespace(s.namespace.clone());
        r.paths = vec![
            PathTemplate::parse(&format!("/api/v1/{res}/**")),
            PathTemplate::parse(&format!("/internal/{res}/**")),
        ];
        r.host = Some(host.clone());
        rules.push(r);

        let mut r = rule(name("admins"), Effect::Allow);
        r.principal = Principal::Exact(identity(consumer, &format!("{res}-admin")));
        r.paths = vec![PathTemplate::parse(&format!("/api/v1/{res}/admin/**"))];
        r.host = Some(host.clone());
        rules.push(r);

        if config.regexes && rng.percent(30) {
            let mut r = rule(name("archived items"), Effect::Deny);
            r.principal = Principal::NotNamespace(s.namespace.clone());
            r.path_regex = Some(DigitsRegex {
                prefix: format!("/api/v1/{res}/archive"),
            });
            r.host = Some(host.clone());
            rules.push(r);
        }
        if config.audits && rng.percent(10) {
            let mut r = rule(name("admin seen"), Effect::Audit);
            r.paths = vec![PathTemplate::parse(&format!("/api/v1/{res}/admin/**"))];
            r.host = Some(host);
            rules.push(r);
        }
        services.push(s);
    }
}

fn tenants(config: &Config, rng: &mut Rng, rules: &mut Vec<Rule>, services: &mut Vec<Service>) {
    let mut i = 0;
    while rules.len() < config.rules {
        let tenant = format!("tenant-{i}");
        let s = Service {
            name: "app".to_string(),
            namespace: tenant.clone(),
            resource: format!("t{i}"),
        };
        i += 1;
        let host = s.host();
        let roll = rng.below(100);
        let r = if roll < 5 {
            let mut r = rule(format!("{tenant} suspended"), Effect::Deny);
            r.host = Some(host);
            r
        } else if roll < 10 && config.regexes {
            let mut r = rule(format!("{tenant} reports"), Effect::Allow);
            r.principal = Principal::Namespace(tenant.clone());
            r.methods = vec!["GET"];
            r.path_regex = Some(DigitsRegex {
                prefix: format!("/tenants/{i}/reports"),
            });
            r.host = Some(host);
            r
        } else if roll < 12 && config.audits {
            let mut r = rule(format!("{tenant} audited"), Effect::Audit);
            r.host = Some(host);
            r
        } else {
            let mut r = rule(format!("{tenant} members"), Effect::Allow);
            r.principal = if rng.percent(20) {
                Principal::Exact(s.identity())
            } else {
                Principal::Namespace(tenant.clone())
            };
            r.methods = methods(rng, 2, 3);
            r.paths = vec![PathTemplate::parse(&format!("/tenants/{i}/**"))];
            r.host = Some(host);
            r
        };
        rules.push(r);
        services.push(s);
    }
}

/// Attribute keys of [`Shape::HeldOut`].
const ATTR_KEYS: [&str; 3] = ["groups", "plan", "region"];

/// The held-out shape: every family of the tuned shapes, in other proportions, and
/// some rules that none of them has (no host, `attr` tests, `/v2` paths). Percent of
/// the rules after the two global ones: 18 exact identity with a path of its own (a
/// third without a host), 18 namespace glob on shared paths, 9 CIDR (two in five deny
/// block lists, half without a host), 8 header, 8 `attr`, 12 deny (subtrees of a
/// resource, `/internal/**` outside ops, an earlier exact caller's writes), 12 tenant
/// (a tenant per 25 rules: its namespace, host and `/tenants/<k>/**`, one in ten a
/// suspension), 8 regex, 3 audit, 4 static assets for anyone. Without header rules
/// (a peer workload) the header and `attr` rules keep their other tests.
fn held_out(config: &Config, rng: &mut Rng, rules: &mut Vec<Rule>, services: &mut Vec<Service>) {
    services_for(config.rules / 15, services);
    let tenant_count = (config.rules / 25).max(2);
    let header_values = (config.rules / 20).max(3);
    let attr_values = (config.rules / 30).max(3);
    let mut tenants: Vec<Service> = Vec::new();
    // Exact allow rules so far: identity, path, host (some deny rules target them).
    let mut allowed: Vec<(String, PathTemplate, Option<String>)> = Vec::new();
    let mut i = 0;
    while rules.len() < config.rules {
        i += 1;
        let s = pick_service(rng, services);
        let host = s.host();
        let res = &s.resource;
        let roll = rng.below(100);
        let r = if roll < 18 {
            let client = identity(namespace(rng), &format!("caller-{i}"));
            let path = if rng.percent(40) {
                PathTemplate::parse(&format!("/v2/{res}/r{i}"))
            } else {
                PathTemplate::parse(&format!("/v2/{res}/r{i}/{{id}}"))
            };
            let mut r = rule(format!("caller {i}"), Effect::Allow);
            r.principal = Principal::Exact(client.clone());
            r.methods = methods(rng, 1, 4);
            r.paths = vec![path.clone()];
            r.host = (!rng.percent(33)).then_some(host);
            allowed.push((client, path, r.host.clone()));
            r
        } else if roll < 36 {
            let mut r = rule(format!("readers {i}"), Effect::Allow);
            r.principal = Principal::Namespace(namespace(rng).to_string());
            r.methods = methods(rng, 1, 3);
            r.paths = resource_paths(rng, &s);
            if rng.percent(30) {
                let sub = rng.pick(&SUBRESOURCES).copied().unwrap_or("items");
                r.paths
                    .push(PathTemplate::parse(&format!("/api/v1/{res}/{{id}}/{sub}")));
            }
            r.host = Some(host);
            r
        } else if roll < 45 {
            let deny = rng.percent(40);
            let mut r = if deny {
                let mut r = rule(format!("blocked range {i}"), Effect::Deny);
                r.methods = vec!["POST", "PUT", "PATCH", "DELETE"];
                r
            } else {
                let mut r = rule(format!("from the network {i}"), Effect::Allow);
                r.principal = if rng.percent(50) {
                    Principal::Namespace(namespace(rng).to_string())
                } else {
                    Principal::Any
                };
                r.methods = methods(rng, 1, 3);
                r.paths = resource_paths(rng, &s);
                r
            };
            r.source = Some(cidr(rng));
            r.host = rng.percent(50).then_some(host);
            r
        } else if roll < 53 {
            let mut r = rule(format!("routed {i}"), Effect::Allow);
            r.header = config.headers.then(|| header(rng, header_values));
            if rng.percent(50) {
                r.principal = Principal::Namespace(namespace(rng).to_string());
            }
            r.methods = methods(rng, 1, 3);
            r.paths = resource_paths(rng, &s);
            r.host = Some(host);
            r
        } else if roll < 61 {
            let mut r = rule(format!("entitled {i}"), Effect::Allow);
            if config.headers {
                let key = rng.pick(&ATTR_KEYS).copied().unwrap_or("groups");
                r.attr = Some((key.to_string(), format!("{key}-{}", rng.below(attr_values))));
            }
            if rng.percent(30) {
                r.principal = Principal::Namespace(namespace(rng).to_string());
            }
            r.methods = vec!["GET", "HEAD"];
            r.paths = resource_paths(rng, &s);
            r.host = Some(host);
            r
        } else if roll < 73 {
            match rng.below(3) {
                0 => {
                    let mut r = rule(format!("private {i}"), Effect::Deny);
                    r.principal = Principal::NotNamespace(s.namespace.clone());
                    r.paths = vec![PathTemplate::parse(&format!("/api/v1/{res}/private/**"))];
                    r.host = Some(host);
                    r
                }
                1 => {
                    let mut r = rule(format!("internal {i}"), Effect::Deny);
                    r.principal = Principal::NotNamespace("ops".to_string());
                    r.paths = vec![PathTemplate::parse(&format!("/internal/{res}/**"))];
                    r.host = rng.percent(50).then_some(host);
                    r
                }
                _ => {
                    let mut r = rule(format!("revoked {i}"), Effect::Deny);
                    r.methods = vec!["POST", "PUT", "DELETE"];
                    if let Some((id, path, host)) = rng.pick(&allowed).cloned() {
                        r.principal = Principal::Exact(id);
                        r.paths = vec![path];
                        r.host = host;
                    } else {
                        r.principal = Principal::NotNamespace(s.namespace.clone());
                        r.host = Some(host);
                    }
                    r
                }
            }
        } else if roll < 85 {
            let k = rng.below(tenant_count);
            let tenant = format!("tenant-{k}");
            let t = Service {
                name: "app".to_string(),
                namespace: tenant.clone(),
                resource: format!("t{k}"),
            };
            if !tenants.contains(&t) {
                tenants.push(t.clone());
            }
            let mut r = if rng.percent(10) {
                let mut r = rule(format!("{tenant} suspended {i}"), Effect::Deny);
                r.methods = vec!["POST", "PUT", "PATCH", "DELETE"];
                r
            } else {
                let mut r = rule(format!("{tenant} members {i}"), Effect::Allow);
                r.principal = if rng.percent(20) {
                    Principal::Exact(t.identity())
                } else {
                    Principal::Namespace(tenant.clone())
                };
                r.methods = methods(rng, 2, 3);
                r.paths = vec![PathTemplate::parse(&format!("/tenants/{k}/**"))];
                r
            };
            r.host = Some(t.host());
            r
        } else if roll < 93 && config.regexes {
            let mut r = rule(format!("exports {i}"), Effect::Allow);
            r.principal = if rng.percent(50) {
                Principal::Namespace(namespace(rng).to_string())
            } else {
                Principal::Exact(s.identity())
            };
            r.methods = vec!["GET"];
            r.path_regex = Some(DigitsRegex {
                prefix: format!("/v2/{res}/exports"),
            });
            r.host = Some(host);
            r
        } else if roll < 96 && config.audits {
            let mut r = rule(format!("audit {i}"), Effect::Audit);
            r.methods = vec!["DELETE"];
            if rng.percent(50) {
                r.source = Some(cidr(rng));
            }
            r.host = Some(host);
            r
        } else {
            let mut r = rule(format!("assets {i}"), Effect::Allow);
            r.methods = vec!["GET", "HEAD"];
            r.paths = vec![PathTemplate::parse(&format!("/assets/{res}/**"))];
            r.host = rng.percent(50).then_some(host);
            r
        };
        rules.push(r);
    }
    services.extend(tenants);
}
