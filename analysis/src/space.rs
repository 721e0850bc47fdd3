//! The request space of one or two policies: one dimension per attribute (and one
//! per regular expression), each cut into classes ([`crate::domain`]); every rule a
//! *cube*, the product of one set of classes per dimension it tests.
//!
//! Every valid request falls in exactly one point of the space: each attribute in
//! its class, each regular-expression dimension true when the expression matches
//! (false when the attribute is absent). A rule matches the request exactly when the
//! point is in its cube. Without regular expressions every point holds a valid
//! request (its representative); a regular expression's dimension is free, so some
//! points may hold none: statements *for every point* are exact, an example is
//! checked by evaluating it.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use portcullis::normalize::Options;
use portcullis::syntax::RuleKind;
use portcullis::view::{Attr, ConditionTest, GlobView, HostView, KeyedView};
use portcullis::{OwnedRequest, Policy};

use crate::domain::automaton::Classes;
use crate::domain::cidr::Sources;
use crate::domain::host::Hosts;
use crate::domain::method::Methods;
use crate::domain::port::Ports;
use crate::domain::set::Set;
use crate::domain::value::Values;
use crate::domain::{glob, path};

/// The fixed dimensions.
pub(crate) const METHOD: usize = 0;
pub(crate) const PATH: usize = 1;
pub(crate) const IDENTITY: usize = 2;
pub(crate) const HOST: usize = 3;
pub(crate) const PORT: usize = 4;
pub(crate) const SOURCE: usize = 5;
const FIXED: usize = 6;

/// The space could not be cut exactly (too many classes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooComplex(pub(crate) &'static str);

impl std::fmt::Display for TooComplex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the {} patterns have too many classes to analyse exactly",
            self.0
        )
    }
}

impl std::error::Error for TooComplex {}

/// What a dimension beyond the fixed ones stands for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Extra {
    Header(String),
    Attr(String),
    /// A regular expression on dimension `on` (its anchored text).
    Regex {
        on: usize,
        text: String,
    },
}

/// One condition, in the space.
#[derive(Debug)]
pub(crate) struct CondModel {
    /// The dimension it tests.
    pub(crate) dim: usize,
    /// The classes it matches (after `not`).
    pub(crate) set: Set,
    /// For a test with values, the classes each value matches (before `not`), in
    /// the order written, so that one value covers another when its set holds the
    /// other's (for header and attribute values: each value's atom); empty
    /// otherwise.
    pub(crate) values: Vec<Set>,
}

/// One rule, in the space.
#[derive(Debug)]
pub(crate) struct RuleModel {
    /// Its position in its policy.
    pub(crate) index: usize,
    pub(crate) name: String,
    pub(crate) kind: RuleKind,
    pub(crate) conditions: Vec<CondModel>,
    /// Its cube: per dimension tested, the classes every condition on it allows,
    /// sorted by dimension; `None` when some dimension has no class left (no
    /// request matches the rule).
    pub(crate) cube: Option<Vec<(usize, Set)>>,
}

/// A policy in the space.
#[derive(Debug)]
pub(crate) struct PolicyModel {
    pub(crate) rules: Vec<RuleModel>,
    pub(crate) default_allow: bool,
}

/// The space of the policies given to [`Space::new`].
#[derive(Debug)]
pub(crate) struct Space {
    /// The size of each dimension.
    pub(crate) sizes: Vec<usize>,
    extras: Vec<Extra>,
    methods: Methods,
    paths: Classes,
    identities: Classes,
    hosts: Hosts,
    ports: Ports,
    sources: Sources,
    /// The domain of each header or attribute dimension, by dimension.
    keyed: HashMap<usize, Values>,
}

/// The patterns of the policies, collected before the domains are cut.
#[derive(Default)]
struct Collected<'p> {
    methods: BTreeSet<&'p str>,
    paths: Vec<&'p str>,
    path_index: HashMap<&'p str, usize>,
    globs: Vec<GlobView<'p>>,
    glob_index: HashMap<GlobView<'p>, usize>,
    hosts: Vec<HostView<'p>>,
    host_index: HashMap<HostView<'p>, usize>,
    ports: Vec<(u16, u16)>,
    nets: Vec<(IpAddr, u8)>,
    extras: Vec<Extra>,
    extra_index: HashMap<Extra, usize>,
    keyed_tests: HashMap<usize, Vec<Option<Vec<&'p [u8]>>>>,
}

impl<'p> Collected<'p> {
    fn extra(&mut self, extra: Extra) -> usize {
        if let Some(&i) = self.extra_index.get(&extra) {
            return i;
        }
        let dim = FIXED + self.extras.len();
        self.extras.push(extra.clone());
        self.extra_index.insert(extra, dim);
        dim
    }

    fn add(&mut self, test: &ConditionTest<'p>) {
        match test {
            ConditionTest::Identity(globs) => {
                for g in globs {
                    if !self.glob_index.contains_key(g) {
                        self.glob_index.insert(*g, self.globs.len());
                        self.globs.push(*g);
                    }
                }
            }
            ConditionTest::Method(methods) => self.methods.extend(methods.iter().copied()),
            ConditionTest::Path(paths) => {
                for p in paths {
                    if !self.path_index.contains_key(p) {
                        self.path_index.insert(p, self.paths.len());
                        self.paths.push(p);
                    }
                }
            }
            ConditionTest::Host(hosts) => {
                for h in hosts {
                    if !self.host_index.contains_key(h) {
                        self.host_index.insert(*h, self.hosts.len());
                        self.hosts.push(*h);
                    }
                }
            }
            ConditionTest::Port(ranges) => self.ports.extend(ranges.iter().copied()),
            ConditionTest::Source(nets) => self.nets.extend(nets.iter().copied()),
            ConditionTest::Regex(attr, text) => {
                let on = attr_dim(*attr);
                self.extra(Extra::Regex {
                    on,
                    text: (*text).to_string(),
                });
            }
            ConditionTest::Present(_) => {}
            ConditionTest::Header(name, keyed) | ConditionTest::Attr(name, keyed) => {
                let extra = if matches!(test, ConditionTest::Header(..)) {
                    Extra::Header((*name).to_string())
                } else {
                    Extra::Attr((*name).to_string())
                };
                let dim = self.extra(extra);
                let tests = self.keyed_tests.entry(dim).or_default();
                match keyed {
                    KeyedView::Values(values) => {
                        tests.push(Some(values.iter().map(|v| &**v).collect()));
                    }
                    KeyedView::Present => tests.push(None),
                    KeyedView::Regex(text) => {
                        self.extra(Extra::Regex {
                            on: dim,
                            text: (*text).to_string(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
}

fn attr_dim(attr: Attr) -> usize {
    match attr {
        Attr::Path => PATH,
        Attr::Host => HOST,
        Attr::Port => PORT,
        Attr::Source => SOURCE,
        _ => IDENTITY,
    }
}

impl Space {
    /// The space of `policies`, for requests read with `options`, and each policy in
    /// it.
    pub(crate) fn new(
        policies: &[&Policy],
        options: &Options,
    ) -> Result<(Space, Vec<PolicyModel>), TooComplex> {
        let mut collected = Collected::default();
        for policy in policies {
            for rule in policy.rules() {
                for (_, test) in rule.tests() {
                    collected.add(&test);
                }
            }
        }
        let methods = Methods::new(&collected.methods);
        let paths =
            path::paths(&collected.paths, options.merge_slashes).map_err(|_| TooComplex("path"))?;
        let identities = glob::identities(&collected.globs).map_err(|_| TooComplex("identity"))?;
        let hosts = Hosts::new(&collected.hosts);
        let ports = Ports::new(&collected.ports);
        let sources = Sources::new(&collected.nets);
        let mut sizes = vec![
            methods.reps.len(),
            paths.reps.len(),
            identities.reps.len() + 1,
            hosts.reps.len() + 1,
            ports.len() + 1,
            sources.len() + 1,
        ];
        let mut keyed = HashMap::new();
        for (i, extra) in collected.extras.iter().enumerate() {
            let dim = FIXED + i;
            match extra {
                Extra::Header(name) | Extra::Attr(name) => {
                    let header = matches!(extra, Extra::Header(_));
                    let tests = collected
                        .keyed_tests
                        .get(&dim)
                        .map_or(&[][..], Vec::as_slice);
                    let usable = !header || options.underscores_in_headers || !name.contains('_');
                    let values = Values::new(
                        tests,
                        |v: &[u8]| !header || !v.iter().any(|b| matches!(b, 0 | b'\r' | b'\n')),
                        usable,
                    )
                    .map_err(|_| TooComplex("header and attribute"))?;
                    sizes.push(values.len());
                    keyed.insert(dim, values);
                }
                Extra::Regex { .. } => sizes.push(2),
            }
        }
        let space = Space {
            sizes,
            extras: collected.extras.clone(),
            methods,
            paths,
            identities,
            hosts,
            ports,
            sources,
            keyed,
        };
        let models = policies
            .iter()
            .map(|p| space.model(p, &collected))
            .collect();
        Ok((space, models))
    }

    /// The number of dimensions.
    pub(crate) fn dims(&self) -> usize {
        self.sizes.len()
    }

    /// The absent class of a dimension, if it has one.
    pub(crate) fn absent(&self, dim: usize) -> Option<usize> {
        match dim {
            IDENTITY | HOST | PORT | SOURCE => self.sizes.get(dim).map(|s| s - 1),
            METHOD | PATH => None,
            _ => match self.keyed.get(&dim) {
                Some(values) => values.absent(),
                // A regular expression's dimension: false.
                None => Some(0),
            },
        }
    }

    /// The dimension a regular-expression dimension is on.
    pub(crate) fn regex_subject(&self, dim: usize) -> Option<usize> {
        match self.extras.get(dim.checked_sub(FIXED)?)? {
            Extra::Regex { on, .. } => Some(*on),
            _ => None,
        }
    }

    fn model(&self, policy: &Policy, collected: &Collected<'_>) -> PolicyModel {
        let rules = policy
            .rules()
            .map(|rule| {
                let conditions: Vec<CondModel> = rule
                    .tests()
                    .filter_map(|(negated, test)| self.condition(negated, &test, collected))
                    .collect();
                let mut cube: Vec<(usize, Set)> = Vec::new();
                for c in &conditions {
                    match cube.iter_mut().find(|(d, _)| *d == c.dim) {
                        Some((_, set)) => *set = set.and(&c.set),
                        None => cube.push((c.dim, c.set.clone())),
                    }
                }
                cube.sort_by_key(|(d, _)| *d);
                let satisfiable = cube.iter().all(|(_, s)| !s.is_empty());
                RuleModel {
                    index: rule.index(),
                    name: rule.name().to_string(),
                    kind: rule.kind(),
                    conditions,
                    cube: satisfiable.then_some(cube),
                }
            })
            .collect();
        PolicyModel {
            rules,
            default_allow: policy_default_allow(policy),
        }
    }

    fn condition(
        &self,
        negated: bool,
        test: &ConditionTest<'_>,
        collected: &Collected<'_>,
    ) -> Option<CondModel> {
        let (dim, values): (usize, Vec<Set>) = match test {
            ConditionTest::Method(methods) => (
                METHOD,
                methods
                    .iter()
                    .map(|m| self.set_of(METHOD, self.methods.class(m)))
                    .collect(),
            ),
            ConditionTest::Path(paths) => (
                PATH,
                paths
                    .iter()
                    .map(|p| {
                        let i = collected.path_index.get(p).copied();
                        self.set_from(PATH, i.and_then(|i| self.paths.matched.get(i)))
                    })
                    .collect(),
            ),
            ConditionTest::Identity(globs) => (
                IDENTITY,
                globs
                    .iter()
                    .map(|g| {
                        let i = collected.glob_index.get(g).copied();
                        self.set_from(IDENTITY, i.and_then(|i| self.identities.matched.get(i)))
                    })
                    .collect(),
            ),
            ConditionTest::Host(hosts) => (
                HOST,
                hosts
                    .iter()
                    .map(|h| {
                        let i = collected.host_index.get(h).copied();
                        self.set_from(HOST, i.and_then(|i| self.hosts.matched.get(i)))
                    })
                    .collect(),
            ),
            ConditionTest::Port(ranges) => (
                PORT,
                ranges
                    .iter()
                    .map(|&(lo, hi)| {
                        let classes: Vec<usize> = self.ports.classes(lo, hi).collect();
                        self.set_from(PORT, Some(&classes))
                    })
                    .collect(),
            ),
            ConditionTest::Source(nets) => (
                SOURCE,
                nets.iter()
                    .map(|&(a, l)| self.set_from(SOURCE, Some(&self.sources.classes(a, l))))
                    .collect(),
            ),
            ConditionTest::Present(attr) => {
                let dim = attr_dim(*attr);
                let mut set = self.full(dim);
                if let Some(a) = self.absent(dim) {
                    set = set.minus(&self.set_of(dim, Some(a)));
                }
                return Some(self.finish(dim, negated, set, Vec::new()));
            }
            ConditionTest::Regex(attr, text) => {
                let on = attr_dim(*attr);
                let dim = self.extra_dim(&Extra::Regex {
                    on,
                    text: (*text).to_string(),
                })?;
                let set = self.set_of(dim, Some(1));
                return Some(self.finish(dim, negated, set, Vec::new()));
            }
            ConditionTest::Header(name, keyed) | ConditionTest::Attr(name, keyed) => {
                let extra = if matches!(test, ConditionTest::Header(..)) {
                    Extra::Header((*name).to_string())
                } else {
                    Extra::Attr((*name).to_string())
                };
                let dim = self.extra_dim(&extra)?;
                let domain = self.keyed.get(&dim)?;
                return match keyed {
                    KeyedView::Values(values) => {
                        let meeting: Vec<&[u8]> = values.iter().map(|v| &**v).collect();
                        let set = self.set_from(dim, Some(&domain.meeting(Some(&meeting))));
                        // A request may carry several values: two values cover each
                        // other only when they are the same, so each value is its own
                        // atom here (not a set of classes of value sets).
                        let each: Vec<Set> = values.iter().map(|v| domain.atom(v)).collect();
                        Some(self.finish(dim, negated, set, each))
                    }
                    KeyedView::Present => {
                        let set = self.set_from(dim, Some(&domain.meeting(None)));
                        Some(self.finish(dim, negated, set, Vec::new()))
                    }
                    KeyedView::Regex(text) => {
                        let regex = self.extra_dim(&Extra::Regex {
                            on: dim,
                            text: (*text).to_string(),
                        })?;
                        let set = self.set_of(regex, Some(1));
                        Some(self.finish(regex, negated, set, Vec::new()))
                    }
                };
            }
            _ => return None,
        };
        let set = union(self.sizes.get(dim).copied().unwrap_or(0), &values);
        Some(self.finish(dim, negated, set, values))
    }

    fn finish(&self, dim: usize, negated: bool, set: Set, values: Vec<Set>) -> CondModel {
        let set = if negated {
            self.full(dim).minus(&set)
        } else {
            set
        };
        CondModel { dim, set, values }
    }

    fn extra_dim(&self, extra: &Extra) -> Option<usize> {
        self.extras
            .iter()
            .position(|e| e == extra)
            .map(|i| FIXED + i)
    }

    /// Every class of `dim`.
    pub(crate) fn full(&self, dim: usize) -> Set {
        Set::full(self.sizes.get(dim).copied().unwrap_or(0))
    }

    fn set_of(&self, dim: usize, class: Option<usize>) -> Set {
        let mut set = Set::empty(self.sizes.get(dim).copied().unwrap_or(0));
        if let Some(c) = class {
            set.insert(c);
        }
        set
    }

    fn set_from(&self, dim: usize, classes: Option<&Vec<usize>>) -> Set {
        let mut set = Set::empty(self.sizes.get(dim).copied().unwrap_or(0));
        for &c in classes.into_iter().flatten() {
            set.insert(c);
        }
        set
    }

    /// The request at `point` (one class per dimension; regular-expression
    /// dimensions are not read).
    pub(crate) fn request(&self, point: &[usize]) -> OwnedRequest {
        let class = |dim: usize| point.get(dim).copied().unwrap_or(0);
        let method = self
            .methods
            .reps
            .get(class(METHOD))
            .cloned()
            .unwrap_or_default();
        let path = self
            .paths
            .reps
            .get(class(PATH))
            .cloned()
            .unwrap_or_default();
        let mut request = OwnedRequest::new(method, path);
        if let Some(identity) = self.identities.reps.get(class(IDENTITY)) {
            request = request.identity(identity.clone());
        }
        if let Some(host) = self.hosts.reps.get(class(HOST)) {
            request = request.host(host.clone());
        }
        if class(PORT) < self.ports.len() {
            request = request.port(self.ports.rep(class(PORT)));
        }
        if class(SOURCE) < self.sources.len() {
            request = request.source(self.sources.rep(class(SOURCE)));
        }
        for (i, extra) in self.extras.iter().enumerate() {
            let dim = FIXED + i;
            let Some(values) = self.keyed.get(&dim) else {
                continue;
            };
            for value in values.rep(class(dim)) {
                request = match extra {
                    Extra::Header(name) => request.header(name.clone(), value.to_vec()),
                    Extra::Attr(name) => {
                        request.attr(name.clone(), String::from_utf8_lossy(value).into_owned())
                    }
                    Extra::Regex { .. } => request,
                };
            }
        }
        request
    }
}

impl Space {
    /// `request` with the fresh character of `dim`'s representative (path,
    /// identity or host) spelled `with` instead: another value, tried as an example
    /// where a regular expression decides. `None` for other dimensions or when
    /// nothing changes.
    pub(crate) fn respell(
        &self,
        request: &OwnedRequest,
        dim: usize,
        with: &str,
    ) -> Option<OwnedRequest> {
        let mut out = request.clone();
        match dim {
            PATH => {
                let fresh = self.paths.fresh.as_str();
                let path = request.path().replace(fresh, with);
                (path != request.path()).then(|| {
                    out.set_path(path);
                    out
                })
            }
            IDENTITY => {
                let fresh = self.identities.fresh.as_str();
                let identity = request.identity_value()?.replace(fresh, with);
                (Some(identity.as_str()) != request.identity_value()).then(|| {
                    out.set_identity(identity);
                    out
                })
            }
            _ => None,
        }
    }
}

fn union(size: usize, sets: &[Set]) -> Set {
    sets.iter().fold(Set::empty(size), |acc, s| acc.or(s))
}

/// Whether `policy` says `default allow`.
fn policy_default_allow(policy: &Policy) -> bool {
    policy.default_effect() == portcullis::Effect::Allow
}

impl Space {
    /// What dimension `dim` tests, for messages: `path`, `header "x-env"`, `a
    /// regular expression on path`.
    pub(crate) fn dim_name(&self, dim: usize) -> String {
        match dim {
            METHOD => "`method`".into(),
            PATH => "`path`".into(),
            IDENTITY => "`identity`".into(),
            HOST => "`host`".into(),
            PORT => "`port`".into(),
            SOURCE => "`source`".into(),
            _ => match dim.checked_sub(FIXED).and_then(|i| self.extras.get(i)) {
                Some(Extra::Header(name)) => format!("`header \"{name}\"`"),
                Some(Extra::Attr(name)) => format!("`attr \"{name}\"`"),
                Some(Extra::Regex { on, .. }) => {
                    format!("a regular expression on {}", self.dim_name(*on))
                }
                None => "a condition".into(),
            },
        }
    }
}
