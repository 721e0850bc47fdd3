//! A deterministic service-mesh workload: policies as Portcullis source text, the same
//! rules as a neutral structure (for translating into other engines), and a labelled
//! request mix.
//!
//! Everything is derived from a fixed seed with a small SplitMix64 generator, so every
//! run, bench and peer sees the same policy and the same requests. The module uses only
//! `std` plus `portcullis` (for [`Req::request`]).
//!
//! The labels come from [`Workload::oracle`], a direct reference evaluation of the
//! neutral rules (what rules mean and how a decision is made, `docs/language.md`,
//! restricted to the shapes generated here), not from
//! Portcullis itself, so that they can check it.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use portcullis::OwnedRequest;

mod shapes;

/// The trust domain of every generated identity.
pub const TRUST_DOMAIN: &str = "spiffe://prod.example.com";

/// The policy sizes benchmarked, in rules.
pub const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

/// The default seed.
pub const SEED: u64 = 0x5EED_CA11_AB1E_0001;

/// Mixed into the seed of [`Shape::HeldOut`] (the tuned shapes mix in a multiple of
/// their position).
const HELD_OUT_SEED: u64 = 0x4E1D_0B7E_D15C_0DE5;

/// SplitMix64: tiny, fast, deterministic, good enough for workloads.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One item of a non-empty slice (`None` when empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
}

/// What a rule does when it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// `allow`.
    Allow,
    /// `deny`.
    Deny,
    /// `audit`: listed, never changes the effect.
    Audit,
}

impl Effect {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
            Effect::Audit => "audit",
        }
    }
}

/// Who a rule is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// No identity test.
    Any,
    /// `identity "<id>"`: exactly this identity.
    Exact(String),
    /// `identity "<trust>/ns/<ns>/sa/*"`: any service account of the namespace.
    Namespace(String),
    /// `not identity "<trust>/ns/<ns>/sa/*"`: anyone else, unauthenticated included.
    NotNamespace(String),
}

/// One segment of a path template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Matches itself.
    Literal(String),
    /// `{name}`: exactly one non-empty segment.
    Param(String),
    /// `**`, last only: zero or more segments.
    Rest,
}

/// A path pattern made of segments (`/api/v1/orders/{id}`, `/static/**`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathTemplate {
    /// The segments after the leading `/`.
    pub segments: Vec<Segment>,
}

impl PathTemplate {
    /// Parses the simple template syntax used here.
    pub fn parse(text: &str) -> PathTemplate {
        let segments = text
            .trim_start_matches('/')
            .split('/')
            .map(|s| {
                if s == "**" {
                    Segment::Rest
                } else if let Some(name) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Segment::Param(name.to_string())
                } else {
                    Segment::Literal(s.to_string())
                }
            })
            .collect();
        PathTemplate { segments }
    }

    /// The Portcullis pattern text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            out.push('/');
            match segment {
                Segment::Literal(s) => out.push_str(s),
                Segment::Param(name) => {
                    let _ = write!(out, "{{{name}}}");
                }
                Segment::Rest => out.push_str("**"),
            }
        }
        out
    }

    /// The literal segments before the first `{param}` or `**`, as a path prefix.
    pub fn literal_prefix(&self) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(s) => {
                    out.push('/');
                    out.push_str(s);
                }
                _ => break,
            }
        }
        out
    }

    /// Whether a normalized path (no query) matches.
    pub fn matches(&self, path: &str) -> bool {
        let Some(rest) = path.strip_prefix('/') else {
            return false;
        };
        let mut parts = rest.split('/');
        for segment in &self.segments {
            match segment {
                Segment::Rest => return true,
                Segment::Literal(s) => {
                    if parts.next() != Some(s.as_str()) {
                        return false;
                    }
                }
                Segment::Param(_) => {
                    if parts.next().is_none_or(str::is_empty) {
                        return false;
                    }
                }
            }
        }
        parts.next().is_none()
    }

    /// A concrete path that matches.
    fn instantiate(&self, rng: &mut Rng) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(s) => {
                    out.push('/');
                    out.push_str(s);
                }
                Segment::Param(_) => {
                    out.push('/');
                    out.push_str(&random_id(rng));
                }
                Segment::Rest => match rng.below(3) {
                    0 => {}
                    1 => out.push_str("/app.js"),
                    _ => out.push_str("/css/site.css"),
                },
            }
        }
        out
    }
}

/// A CIDR block `10.<b>.0.0/16`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// The network address.
    pub addr: Ipv4Addr,
    /// The prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Whether the block contains `ip`.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        };
        u32::from(ip) & mask == u32::from(self.addr) & mask
    }

    /// `10.b.0.0/16` text.
    pub fn text(&self) -> String {
        format!("{}/{}", self.addr, self.prefix)
    }
}

/// `path ~ "<prefix>/[0-9]+"`: the one regex shape generated (so that the oracle can
/// evaluate it without a regex engine).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigitsRegex {
    /// A literal path prefix (no regex metacharacters).
    pub prefix: String,
}

impl DigitsRegex {
    /// The regex text.
    pub fn text(&self) -> String {
        format!("{}/[0-9]+", self.prefix)
    }

    /// Whether a normalized path matches the whole regex.
    pub fn matches(&self, path: &str) -> bool {
        path.strip_prefix(self.prefix.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
    }
}

/// One rule in neutral form. Every present field must match (an absent one matches
/// everything); within `methods` and `paths` any value may match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Unique name.
    pub name: String,
    /// allow, deny or audit.
    pub effect: Effect,
    /// The identity test.
    pub principal: Principal,
    /// Methods (empty: any).
    pub methods: Vec<&'static str>,
    /// Path templates (empty: any).
    pub paths: Vec<PathTemplate>,
    /// Exact host (`<svc>.<ns>.svc`).
    pub host: Option<String>,
    /// Source CIDR.
    pub source: Option<Cidr>,
    /// `header "<name>" == "<value>"`.
    pub header: Option<(String, String)>,
    /// `attr "<key>" == "<value>"` (keys are case-sensitive; a request may carry
    /// several values for one key, any of which may match).
    pub attr: Option<(String, String)>,
    /// `path ~ "..."`.
    pub path_regex: Option<DigitsRegex>,
}

impl Rule {
    fn new(name: String, effect: Effect) -> Rule {
        Rule {
            name,
            effect,
            principal: Principal::Any,
            methods: Vec::new(),
            paths: Vec::new(),
            host: None,
            source: None,
            header: None,
            attr: None,
            path_regex: None,
        }
    }

    /// Whether the rule matches a valid request (`docs/language.md`, *Rules*). Every
    /// present test must hold; the cheap ones are tried first, which changes nothing
    /// but the time the oracle takes on large policies.
    pub fn matches(&self, r: &Req) -> bool {
        if self
            .host
            .as_ref()
            .is_some_and(|h| r.clean_host() != Some(h.as_str()))
        {
            return false;
        }
        if !(self.methods.is_empty() || self.methods.contains(&r.sent.method())) {
            return false;
        }
        let identity = r.sent.identity_value();
        let principal = match &self.principal {
            Principal::Any => true,
            Principal::Exact(id) => identity == Some(id.as_str()),
            Principal::Namespace(ns) => identity.is_some_and(|i| in_namespace(i, ns)),
            Principal::NotNamespace(ns) => !identity.is_some_and(|i| in_namespace(i, ns)),
        };
        let path = r.clean_path();
        principal
            && self
                .source
                .is_none_or(|c| r.source_v4().is_some_and(|ip| c.contains(ip)))
            && (self.paths.is_empty() || self.paths.iter().any(|p| p.matches(path)))
            && self.header.as_ref().is_none_or(|(name, value)| {
                r.sent
                    .headers()
                    .any(|(n, v)| n.eq_ignore_ascii_case(name) && v == value.as_bytes())
            })
            && self
                .attr
                .as_ref()
                .is_none_or(|(key, value)| r.sent.attrs().any(|(k, v)| k == key && v == value))
            && self.path_regex.as_ref().is_none_or(|re| re.matches(path))
    }

    /// The rule as Portcullis source text.
    pub fn text(&self) -> String {
        let mut out = format!("{} \"{}\" {{\n", self.effect.keyword(), self.name);
        match &self.principal {
            Principal::Any => {}
            Principal::Exact(id) => {
                let _ = writeln!(out, "  identity \"{id}\"");
            }
            Principal::Namespace(ns) => {
                let _ = writeln!(out, "  identity \"{}\"", namespace_glob(ns));
            }
            Principal::NotNamespace(ns) => {
                let _ = writeln!(out, "  not identity \"{}\"", namespace_glob(ns));
            }
        }
        if !self.methods.is_empty() {
            let _ = writeln!(out, "  method {}", self.methods.join(", "));
        }
        if !self.paths.is_empty() {
            let paths: Vec<String> = self
                .paths
                .iter()
                .map(|p| format!("\"{}\"", p.text()))
                .collect();
            let _ = writeln!(out, "  path {}", paths.join(", "));
        }
        if let Some(re) = &self.path_regex {
            let _ = writeln!(out, "  path ~ \"{}\"", re.text());
        }
        if let Some(host) = &self.host {
            let _ = writeln!(out, "  host \"{host}\"");
        }
        if let Some(cidr) = &self.source {
            let _ = writeln!(out, "  source {}", cidr.text());
        }
        if let Some((name, value)) = &self.header {
            let _ = writeln!(out, "  header \"{name}\" == \"{value}\"");
        }
        if let Some((key, value)) = &self.attr {
            let _ = writeln!(out, "  attr \"{key}\" == \"{value}\"");
        }
        out.push_str("}\n");
        out
    }
}

/// The identity of service account `sa` in namespace `ns`.
pub fn identity(ns: &str, sa: &str) -> String {
    format!("{TRUST_DOMAIN}/ns/{ns}/sa/{sa}")
}

/// The glob for every service account of a namespace.
pub fn namespace_glob(ns: &str) -> String {
    format!("{TRUST_DOMAIN}/ns/{ns}/sa/*")
}

/// The namespace of an identity of this trust domain, if it has the SPIFFE shape.
pub fn namespace_of(identity: &str) -> Option<&str> {
    let rest = identity.strip_prefix(TRUST_DOMAIN)?.strip_prefix("/ns/")?;
    let (ns, sa) = rest.split_once("/sa/")?;
    (!ns.contains('/') && !sa.contains('/')).then_some(ns)
}

fn in_namespace(identity: &str, ns: &str) -> bool {
    namespace_of(identity) == Some(ns)
}

/// A service of the mesh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// Service (and service account) name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// The REST resource it serves (`/api/v1/<resource>`).
    pub resource: String,
}

impl Service {
    /// Its SPIFFE identity.
    pub fn identity(&self) -> String {
        identity(&self.namespace, &self.name)
    }

    /// Its host, `<svc>.<ns>.svc`.
    pub fn host(&self) -> String {
        format!("{}.{}.svc", self.name, self.namespace)
    }
}

/// What the decision on a request should be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Label {
    /// Allowed by a rule.
    Allowed,
    /// Denied by a `deny` rule.
    DeniedByRule,
    /// No rule matched; the default (`deny`) decided.
    DeniedByDefault,
    /// The request cannot be normalized.
    Invalid,
}

impl Label {
    /// Every label, in a fixed order.
    pub const ALL: [Label; 4] = [
        Label::Allowed,
        Label::DeniedByRule,
        Label::DeniedByDefault,
        Label::Invalid,
    ];

    /// A short name for bench ids and tables.
    pub fn name(self) -> &'static str {
        match self {
            Label::Allowed => "allowed",
            Label::DeniedByRule => "denied_by_rule",
            Label::DeniedByDefault => "denied_by_default",
            Label::Invalid => "invalid",
        }
    }

    /// Whether the effect is allow.
    pub fn is_allowed(self) -> bool {
        self == Label::Allowed
    }
}

/// A request of the mix, owning its parts, with its expected outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Req {
    /// The request as sent: method, target (may carry a query), identity, authority
    /// (may carry a port), an IPv4 peer address, header lines.
    pub sent: OwnedRequest,
    /// Expected outcome.
    pub label: Label,
    /// Expected deciding rule, for [`Label::Allowed`] and [`Label::DeniedByRule`].
    pub rule: Option<String>,
}

impl Req {
    /// The path without its query. For valid requests of the mix this is also the
    /// normalized path (they are generated clean).
    pub fn clean_path(&self) -> &str {
        let path = self.sent.path();
        path.split_once('?').map_or(path, |(p, _)| p)
    }

    /// The host without its port (hosts are generated in lower case).
    pub fn clean_host(&self) -> Option<&str> {
        self.sent
            .host_value()
            .map(|h| h.split_once(':').map_or(h, |(h, _)| h))
    }

    /// The IPv4 peer address, if any (the mix has no other).
    pub fn source_v4(&self) -> Option<Ipv4Addr> {
        match self.sent.source_value() {
            Some(IpAddr::V4(ip)) => Some(ip),
            _ => None,
        }
    }

    /// The request as Portcullis takes it (borrowing).
    pub fn request(&self) -> portcullis::Request<'_> {
        self.sent.as_request()
    }

    /// Whether `policy` decides the request as labelled: the label's effect and
    /// reason, and the expected deciding rule.
    pub fn decided_as_labelled(&self, policy: &portcullis::Policy) -> bool {
        use portcullis::Reason;
        let d = policy.evaluate(&self.request());
        let label = match (d.is_allowed(), d.reason()) {
            (_, Reason::InvalidRequest) => Label::Invalid,
            (true, _) => Label::Allowed,
            (false, Reason::Rule) => Label::DeniedByRule,
            (false, _) => Label::DeniedByDefault,
        };
        label == self.label && d.rule() == self.rule.as_deref()
    }
}

/// The kind of policy generated: which tests rules use, how many identities, paths,
/// namespaces and hosts they share. Every shape starts with the same two global rules
/// (`probes`, `no debug endpoints outside ops`) and has allow, deny and (with
/// [`Config::audits`]) audit rules; the shares below are of the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// The original service mesh: per service, five core rules mixing namespace globs,
    /// one exact client identity and `not identity` deletes, on shared REST paths, and
    /// sometimes a CIDR, static, header, regex or audit rule (about 15% deny, 2% regex,
    /// one host per 6 rules, 8 namespaces).
    Mesh,
    /// One exact identity and one path of its own per rule, about 40 rules per host:
    /// the identity index is large and every leaf holds one rule (about 10% deny, 6%
    /// regex, 8 namespaces).
    ExactIdentities,
    /// Most rules test a `source` CIDR (/16 to /32, in 10/8, 172.16/12 and
    /// 192.168/16), about 12 rules per host, a quarter of them deny block lists (5%
    /// regex, 8 namespaces).
    CidrHeavy,
    /// Most rules test a header (`x-tenant`, `x-env`, `x-api-version`, `x-region`,
    /// `x-client-id`) against one of many values, about 20 rules per host (15% deny,
    /// 10% regex, 8 namespaces).
    HeaderHeavy,
    /// Per service, deny rules on path subtrees (`/api/v1/<res>/admin/**`,
    /// `/internal/<res>/**`, `.../exports/**`) above allows on the whole resource
    /// (about 45% deny, 5% regex, 8 namespaces).
    DenySubtrees,
    /// Many tenants, one rule each: a namespace, a host and a path subtree per tenant
    /// (5% deny, 5% regex, as many namespaces and hosts as rules).
    Tenants,
    /// Held out: a mix in proportions that no other shape has, from a seed of its own,
    /// kept out of tuning so that it checks the growth and the latency measured on the
    /// others. About a fifth each of exact identities with paths of their own and of
    /// namespace globs on shared paths, then CIDR, header and `attr` rules, deny
    /// subtrees and an earlier caller's writes taken away, rules of their own for one
    /// tenant per 25 rules, regexes, audits, and a sixth of the rules without a host
    /// (about 17% deny, 8% regex, 8 namespaces and one per tenant, one host per 10
    /// rules). It is last in [`Shape::ALL`], so the six tuned shapes keep their
    /// workloads.
    HeldOut,
}

impl Shape {
    /// Every shape, in a fixed order: the six tuned ones, then [`Shape::HeldOut`].
    pub const ALL: [Shape; 7] = [
        Shape::Mesh,
        Shape::ExactIdentities,
        Shape::CidrHeavy,
        Shape::HeaderHeavy,
        Shape::DenySubtrees,
        Shape::Tenants,
        Shape::HeldOut,
    ];

    /// The name used in bench ids, command lines and tables.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Mesh => "mesh",
            Shape::ExactIdentities => "exact-identities",
            Shape::CidrHeavy => "cidr-heavy",
            Shape::HeaderHeavy => "header-heavy",
            Shape::DenySubtrees => "deny-subtrees",
            Shape::Tenants => "tenants",
            Shape::HeldOut => "held-out",
        }
    }

    /// The shape of a [`Shape::name`].
    pub fn from_name(name: &str) -> Option<Shape> {
        Shape::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Which requests a bench decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stream {
    /// [`Workload::requests`]: the labelled mix, the same number of requests per
    /// label, invalid ones included.
    Mix,
    /// [`Workload::uniform`]: distinct valid requests, each aimed at a rule drawn
    /// uniformly from the whole policy, so that a run touches all of it.
    Uniform,
}

impl Stream {
    /// Both streams.
    pub const ALL: [Stream; 2] = [Stream::Mix, Stream::Uniform];

    /// The name used in bench ids, command lines and tables.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Mix => "mix",
            Stream::Uniform => "uniform",
        }
    }

    /// The stream of a [`Stream::name`].
    pub fn from_name(name: &str) -> Option<Stream> {
        Stream::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// How many requests [`Config::shaped`] asks for in the uniform stream.
pub const UNIFORM_REQUESTS: usize = 2_000;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Exactly this many rules.
    pub rules: usize,
    /// The seed.
    pub seed: u64,
    /// Which kind of policy.
    pub shape: Shape,
    /// Generate `header` rules (and, in [`Shape::HeldOut`], `attr` rules).
    pub headers: bool,
    /// Generate `path ~` rules.
    pub regexes: bool,
    /// Generate `audit` rules.
    pub audits: bool,
    /// Requests per label in the mix.
    pub requests_per_label: usize,
    /// Distinct requests in the uniform stream ([`Workload::uniform`]; 0: none).
    pub uniform_requests: usize,
}

impl Config {
    /// Every feature, for Portcullis' own benches: the [`Shape::Mesh`] policy and its
    /// mix, no uniform stream.
    pub fn full(rules: usize) -> Config {
        Config {
            rules,
            seed: SEED,
            shape: Shape::Mesh,
            headers: true,
            regexes: true,
            audits: true,
            requests_per_label: 64,
            uniform_requests: 0,
        }
    }

    /// Every feature of a shape, with both streams (the uniform one of
    /// [`UNIFORM_REQUESTS`]). `Config::shaped(Shape::Mesh, n)` has the same policy and
    /// mix as [`Config::full`].
    pub fn shaped(shape: Shape, rules: usize) -> Config {
        Config {
            shape,
            uniform_requests: UNIFORM_REQUESTS,
            ..Config::full(rules)
        }
    }

    /// What every peer engine can express equivalently: no header or attribute rules
    /// (multi-valued semantics), no regex rules (Cedar has none), no audit rules (no peer has
    /// a non-deciding match list).
    pub fn peer(rules: usize) -> Config {
        Config {
            headers: false,
            regexes: false,
            audits: false,
            ..Config::full(rules)
        }
    }
}

const NAMESPACES: [&str; 8] = [
    "web", "shop", "payments", "identity", "ops", "data", "mobile", "partner",
];
const RESOURCES: [&str; 16] = [
    "orders",
    "payments",
    "users",
    "carts",
    "invoices",
    "shipments",
    "products",
    "reviews",
    "accounts",
    "sessions",
    "refunds",
    "coupons",
    "inventory",
    "tickets",
    "reports",
    "events",
];
const SUBRESOURCES: [&str; 6] = [
    "items",
    "history",
    "notes",
    "status",
    "attachments",
    "audit",
];
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
const TENANTS: [&str; 5] = ["acme", "globex", "initech", "umbrella", "hooli"];

/// What a generated policy is made of ([`Workload::summary`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rules.
    pub rules: usize,
    /// `allow` rules.
    pub allow: usize,
    /// `deny` rules.
    pub deny: usize,
    /// `audit` rules.
    pub audit: usize,
    /// Rules with an exact `identity`.
    pub exact: usize,
    /// Rules with a namespace glob (`identity` or `not identity`).
    pub glob: usize,
    /// Rules with a `source` CIDR.
    pub source: usize,
    /// Rules with a `header` test.
    pub header: usize,
    /// Rules with an `attr` test.
    pub attr: usize,
    /// Rules with a `path ~` regex.
    pub regex: usize,
    /// Distinct namespaces named by identity tests.
    pub namespaces: usize,
    /// Distinct hosts.
    pub hosts: usize,
    /// Distinct exact identities.
    pub identities: usize,
    /// Distinct path patterns.
    pub paths: usize,
}

/// A generated workload.
#[derive(Clone, Debug)]
pub struct Workload {
    /// What it was generated from.
    pub config: Config,
    /// The services of the mesh.
    pub services: Vec<Service>,
    /// The rules, in source order; the policy is `default deny`.
    pub rules: Vec<Rule>,
    /// The request mix, labels interleaved.
    pub requests: Vec<Req>,
    /// The uniform stream ([`Stream::Uniform`]): [`Config::uniform_requests`] distinct
    /// valid requests, each made for a rule drawn uniformly from [`Workload::rules`],
    /// labelled by [`Workload::oracle`].
    pub uniform: Vec<Req>,
}

impl Workload {
    /// Generates the workload of `config`.
    pub fn generate(config: Config) -> Workload {
        let mut rng = Rng::new(config.seed ^ (config.rules as u64).wrapping_mul(0x9E37));
        let mut rules = vec![
            {
                let mut r = Rule::new("probes".into(), Effect::Allow);
                r.methods = vec!["GET"];
                r.paths = vec![
                    PathTemplate::parse("/healthz"),
                    PathTemplate::parse("/readyz"),
                ];
                r
            },
            {
                let mut r = Rule::new("no debug endpoints outside ops".into(), Effect::Deny);
                r.principal = Principal::NotNamespace("ops".into());
                r.paths = vec![PathTemplate::parse("/debug/**")];
                r
            },
        ];
        let mut services = Vec::new();
        if config.shape == Shape::Mesh {
            let mut index = 0;
            while rules.len() < config.rules {
                let service = make_service(index);
                service_rules(&service, index, &config, &mut rng, &mut rules);
                services.push(service);
                index += 1;
            }
        } else {
            // Other shapes draw from their own sequence, so that adding one changes
            // no other; the held-out shape from a seed that no tuned shape derives.
            let shape_seed = if config.shape == Shape::HeldOut {
                HELD_OUT_SEED
            } else {
                (Shape::ALL
                    .iter()
                    .position(|s| *s == config.shape)
                    .unwrap_or(0) as u64)
                    .wrapping_mul(0xA5A5_5A5A_0F0F_F0F1)
            };
            let mut rng = Rng::new(rng.next_u64() ^ shape_seed);
            shapes::generate(&config, &mut rng, &mut rules, &mut services);
        }
        rules.truncate(config.rules);
        let mut workload = Workload {
            config,
            services,
            rules,
            requests: Vec::new(),
            uniform: Vec::new(),
        };
        workload.requests = workload.make_requests(&mut rng);
        let mut rng =
            Rng::new(config.seed ^ 0x51D3_F00D ^ (config.rules as u64).wrapping_mul(0x9E37));
        workload.uniform = workload.make_uniform(&mut rng);
        workload
    }

    /// What the policy is made of: counts of rules by effect and by test, and how many
    /// distinct namespaces, hosts, exact identities and path patterns the rules name.
    pub fn summary(&self) -> Summary {
        let mut out = Summary {
            rules: self.rules.len(),
            ..Summary::default()
        };
        let mut namespaces = std::collections::HashSet::new();
        let mut hosts = std::collections::HashSet::new();
        let mut identities = std::collections::HashSet::new();
        let mut paths = std::collections::HashSet::new();
        for rule in &self.rules {
            match rule.effect {
                Effect::Allow => out.allow += 1,
                Effect::Deny => out.deny += 1,
                Effect::Audit => out.audit += 1,
            }
            match &rule.principal {
                Principal::Any => {}
                Principal::Exact(id) => {
                    out.exact += 1;
                    identities.insert(id.as_str());
                    if let Some(ns) = namespace_of(id) {
                        namespaces.insert(ns);
                    }
                }
                Principal::Namespace(ns) | Principal::NotNamespace(ns) => {
                    out.glob += 1;
                    namespaces.insert(ns.as_str());
                }
            }
            out.source += usize::from(rule.source.is_some());
            out.header += usize::from(rule.header.is_some());
            out.attr += usize::from(rule.attr.is_some());
            out.regex += usize::from(rule.path_regex.is_some());
            if let Some(h) = &rule.host {
                hosts.insert(h.as_str());
            }
            for p in &rule.paths {
                paths.insert(p.text());
            }
        }
        out.namespaces = namespaces.len();
        out.hosts = hosts.len();
        out.identities = identities.len();
        out.paths = paths.len();
        out
    }

    /// The requests of a stream.
    pub fn stream(&self, stream: Stream) -> &[Req] {
        match stream {
            Stream::Mix => &self.requests,
            Stream::Uniform => &self.uniform,
        }
    }

    /// The whole policy as Portcullis source text.
    pub fn policy_text(&self) -> String {
        let mut out = format!(
            "# generated service-mesh workload: {} rules, {} services, seed {:#x}\ndefault deny\n\n",
            self.rules.len(),
            self.services.len(),
            self.config.seed
        );
        for rule in &self.rules {
            out.push_str(&rule.text());
            out.push('\n');
        }
        out
    }

    /// The expected outcome of a request that is valid (`docs/language.md`, *How a
    /// decision is made*): the label and the
    /// deciding rule.
    pub fn oracle(&self, r: &Req) -> (Label, Option<&str>) {
        let first = |effect| {
            self.rules
                .iter()
                .find(|rule| rule.effect == effect && rule.matches(r))
        };
        if let Some(rule) = first(Effect::Deny) {
            (Label::DeniedByRule, Some(&rule.name))
        } else if let Some(rule) = first(Effect::Allow) {
            (Label::Allowed, Some(&rule.name))
        } else {
            (Label::DeniedByDefault, None)
        }
    }

    /// The names of the audit rules a valid request matches, in source order.
    pub fn oracle_audits(&self, r: &Req) -> Vec<&str> {
        self.rules
            .iter()
            .filter(|rule| rule.effect == Effect::Audit && rule.matches(r))
            .map(|rule| rule.name.as_str())
            .collect()
    }

    /// The requests with one label.
    pub fn with_label(&self, label: Label) -> Vec<&Req> {
        self.requests.iter().filter(|r| r.label == label).collect()
    }

    /// Every identity that appears in the rules, the services or the requests (of
    /// both streams).
    pub fn identities(&self) -> Vec<String> {
        let mut out: Vec<String> = self.services.iter().map(Service::identity).collect();
        for rule in &self.rules {
            if let Principal::Exact(id) = &rule.principal {
                out.push(id.clone());
            }
        }
        out.extend(
            self.requests
                .iter()
                .chain(&self.uniform)
                .filter_map(|r| r.sent.identity_value().map(str::to_string)),
        );
        out.sort();
        out.dedup();
        out
    }

    fn random_identity(&self, rng: &mut Rng) -> String {
        if rng.percent(80) {
            if let Some(s) = rng.pick(&self.services) {
                return s.identity();
            }
        }
        let ns = rng.pick(&NAMESPACES).copied().unwrap_or("web");
        identity(ns, &format!("worker-{}", rng.below(50)))
    }

    /// A request that the rule matches (if the rest of the policy lets it).
    fn request_for(&self, rule: &Rule, rng: &mut Rng) -> Req {
        let identity = match &rule.principal {
            Principal::Any => rng.percent(90).then(|| self.random_identity(rng)),
            Principal::Exact(id) => Some(id.clone()),
            Principal::Namespace(ns) => {
                let members: Vec<&Service> = self
                    .services
                    .iter()
                    .filter(|s| &s.namespace == ns)
                    .collect();
                match rng.pick(&members) {
                    Some(s) if rng.percent(80) => Some(s.identity()),
                    _ => Some(identity(ns, &format!("worker-{}", rng.below(50)))),
                }
            }
            Principal::NotNamespace(ns) => {
                if rng.percent(15) {
                    None
                } else {
                    let others: Vec<&&str> = NAMESPACES.iter().filter(|n| **n != ns).collect();
                    let other = rng.pick(&others).map_or("web", |n| **n);
                    Some(identity(other, &format!("worker-{}", rng.below(50))))
                }
            }
        };
        let method = rng
            .pick(if rule.methods.is_empty() {
                &METHODS[..]
            } else {
                &rule.methods[..]
            })
            .copied()
            .unwrap_or("GET")
            .to_string();
        let mut path = if let Some(re) = &rule.path_regex {
            format!("{}/{}", re.prefix, rng.below(100_000))
        } else if let Some(t) = rng.pick(&rule.paths) {
            t.instantiate(rng)
        } else {
            let service = rng.pick(&self.services);
            let resource = service.map_or("orders", |s| s.resource.as_str());
            format!("/api/v1/{resource}/{}", random_id(rng))
        };
        if rng.percent(20) {
            path.push_str("?verbose=1");
        }
        let host = match &rule.host {
            Some(h) if rng.percent(25) => Some(format!("{h}:8443")),
            Some(h) => Some(h.clone()),
            None => rng.pick(&self.services).map(Service::host),
        };
        let source = match rule.source {
            Some(c) => Some(Ipv4Addr::from(
                u32::from(c.addr)
                    | (rng.next_u64() as u32 & !(u32::MAX << (32 - u32::from(c.prefix)))),
            )),
            None => rng
                .percent(70)
                .then(|| Ipv4Addr::new(10, 200 + rng.below(50) as u8, rng.below(256) as u8, 7)),
        };
        let mut attrs = Vec::new();
        if let Some((key, value)) = &rule.attr {
            // Sometimes another value of the same key first: any value may match.
            if rng.percent(40) {
                attrs.push((key.clone(), format!("{key}-other")));
            }
            attrs.push((key.clone(), value.clone()));
        }
        let mut headers = Vec::new();
        if let Some((name, value)) = &rule.header {
            headers.push((name.clone(), value.clone()));
        } else if rng.percent(30) {
            let tenant = rng.pick(&TENANTS).copied().unwrap_or("acme");
            headers.push(("x-tenant".to_string(), format!("{tenant}-other")));
        }
        if rng.percent(30) {
            headers.push((
                "x-request-id".to_string(),
                format!("{:016x}", rng.next_u64()),
            ));
        }
        let mut sent = OwnedRequest::new(method, path);
        if let Some(identity) = identity {
            sent.set_identity(identity);
        }
        if let Some(host) = host {
            sent.set_host(host);
        }
        if let Some(ip) = source {
            sent.set_source(IpAddr::V4(ip));
        }
        for (name, value) in headers {
            sent.push_header(name, value);
        }
        for (key, value) in attrs {
            sent.push_attr(key, value);
        }
        Req {
            sent,
            label: Label::DeniedByDefault,
            rule: None,
        }
    }

    /// Changes one thing of a request so that it probably misses every rule.
    fn perturb(&self, mut r: Req, rng: &mut Rng) -> Req {
        let sent = &mut r.sent;
        match rng.below(5) {
            0 => {
                sent.take_identity();
            }
            1 => {
                sent.set_identity(identity("guest", &format!("visitor-{}", rng.below(9))));
            }
            2 => {
                sent.set_method("OPTIONS");
            }
            3 => {
                sent.set_path(format!("/api/v2/unknown/{}", random_id(rng)));
            }
            _ => {
                sent.set_host(format!("unknown-{}.nowhere.svc", rng.below(9)));
            }
        }
        r
    }

    /// A request that cannot be normalized, derived from a valid one.
    fn invalidate(&self, mut r: Req, rng: &mut Rng) -> Req {
        let base = r.clean_path().to_string();
        let path = match rng.below(9) {
            0 => format!("{base}/..%2f..%2fadmin"),
            1 => {
                let lower = r.sent.method().to_ascii_lowercase();
                r.sent.set_method(lower);
                r.sent.path().to_string()
            }
            2 => format!("{base}/%00"),
            3 => format!("{base};jsessionid=1"),
            4 => format!("{base}\\..\\admin"),
            5 => format!("{base}/%C0%AE%C0%AE/admin"),
            6 => base.trim_start_matches('/').to_string(),
            7 => format!("{base}/%zz"),
            _ => format!("{base}/a b"),
        };
        r.sent.set_path(path);
        r.label = Label::Invalid;
        r.rule = None;
        r
    }

    /// The uniform stream: a rule drawn uniformly from the policy, a request made for
    /// it, kept if no earlier request was the same, labelled by the oracle.
    fn make_uniform(&self, rng: &mut Rng) -> Vec<Req> {
        let count = self.config.uniform_requests;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(count);
        let mut attempts = 0;
        while out.len() < count && attempts < count.saturating_mul(20) {
            attempts += 1;
            let Some(rule) = rng.pick(&self.rules) else {
                break;
            };
            let mut req = self.request_for(rule, rng);
            if !seen.insert(format!("{:?}", req.sent)) {
                continue;
            }
            let (label, name) = self.oracle(&req);
            req.label = label;
            req.rule = name.map(str::to_string);
            out.push(req);
        }
        out
    }

    fn make_requests(&self, rng: &mut Rng) -> Vec<Req> {
        let per = self.config.requests_per_label;
        let allows: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| r.effect == Effect::Allow)
            .collect();
        let denies: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| r.effect == Effect::Deny)
            .collect();
        let mut buckets: [Vec<Req>; 4] = Default::default();
        let label_slot = |l: Label| Label::ALL.iter().position(|x| *x == l).unwrap_or(0);
        let mut attempts = 0;
        while attempts < per * 200 && buckets.iter().take(3).any(|b| b.len() < per) {
            attempts += 1;
            let source = match attempts % 3 {
                0 => rng.pick(&allows),
                1 => rng.pick(&denies),
                _ => rng.pick(&allows),
            };
            let Some(rule) = source else { continue };
            let mut req = self.request_for(rule, rng);
            if attempts % 3 == 2 {
                req = self.perturb(req, rng);
            }
            let (label, name) = self.oracle(&req);
            req.label = label;
            req.rule = name.map(str::to_string);
            if let Some(bucket) = buckets.get_mut(label_slot(label)) {
                if bucket.len() < per {
                    bucket.push(req);
                }
            }
        }
        // Invalid requests: mangled copies of valid ones.
        let valid: Vec<Req> = buckets.iter().take(3).flatten().cloned().collect();
        for i in 0..per {
            if let Some(r) = valid.get(i % valid.len().max(1)) {
                let bad = self.invalidate(r.clone(), rng);
                if let Some(bucket) = buckets.get_mut(3) {
                    bucket.push(bad);
                }
            }
        }
        // Interleave the labels so that a mixed run alternates between them.
        let mut out = Vec::new();
        let longest = buckets.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..longest {
            for bucket in &buckets {
                if let Some(r) = bucket.get(i) {
                    out.push(r.clone());
                }
            }
        }
        out
    }
}

fn random_id(rng: &mut Rng) -> String {
    if rng.percent(50) {
        rng.below(1_000_000).to_string()
    } else {
        format!("{:08x}", rng.next_u64() as u32)
    }
}

fn make_service(index: usize) -> Service {
    let base = RESOURCES
        .get(index % RESOURCES.len())
        .copied()
        .unwrap_or("orders");
    let round = index / RESOURCES.len();
    let resource = if round == 0 {
        base.to_string()
    } else {
        format!("{base}{round}")
    };
    Service {
        name: format!("{resource}-api"),
        namespace: NAMESPACES
            .get((index * 7 + round) % NAMESPACES.len())
            .copied()
            .unwrap_or("web")
            .to_string(),
        resource,
    }
}

/// Appends the rules of one service: five core rules and up to three extras.
fn service_rules(s: &Service, index: usize, config: &Config, rng: &mut Rng, out: &mut Vec<Rule>) {
    let host = s.host();
    let res = &s.resource;
    let consumer_ns = NAMESPACES
        .get((index + 1 + rng.below(NAMESPACES.len() - 1)) % NAMESPACES.len())
        .copied()
        .unwrap_or("web");
    let consumer = identity(
        consumer_ns,
        &format!(
            "{}-client",
            RESOURCES
                .get(rng.below(RESOURCES.len()))
                .copied()
                .unwrap_or("web")
        ),
    );
    let name = |what: &str| format!("{}.{}: {what}", s.name, s.namespace);
    let collection = PathTemplate::parse(&format!("/api/v1/{res}"));
    let item = PathTemplate::parse(&format!("/api/v1/{res}/{{id}}"));
    let sub = SUBRESOURCES
        .get(rng.below(SUBRESOURCES.len()))
        .copied()
        .unwrap_or("items");
    let sub_path = PathTemplate::parse(&format!("/api/v1/{res}/{{id}}/{sub}"));

    let mut r = Rule::new(name("no deletes from other namespaces"), Effect::Deny);
    r.principal = Principal::NotNamespace(s.namespace.clone());
    r.methods = vec!["DELETE"];
    r.paths = vec![item.clone()];
    r.host = Some(host.clone());
    out.push(r);

    let mut r = Rule::new(name("consumers read"), Effect::Allow);
    r.principal = Principal::Namespace(consumer_ns.to_string());
    r.methods = vec!["GET", "HEAD"];
    r.paths = vec![collection.clone(), item.clone()];
    r.host = Some(host.clone());
    out.push(r);

    let mut r = Rule::new(name("client writes"), Effect::Allow);
    r.principal = Principal::Exact(consumer);
    r.methods = vec!["POST", "PUT", "PATCH"];
    r.paths = vec![collection, item.clone()];
    r.host = Some(host.clone());
    out.push(r);

    let mut r = Rule::new(name("own namespace manages"), Effect::Allow);
    r.principal = Principal::Namespace(s.namespace.clone());
    r.methods = vec!["GET", "PUT", "DELETE"];
    r.paths = vec![item.clone(), sub_path.clone()];
    r.host = Some(host.clone());
    out.push(r);

    let mut r = Rule::new(name("sub-resource reads"), Effect::Allow);
    r.principal = Principal::Namespace(consumer_ns.to_string());
    r.methods = vec!["GET"];
    r.paths = vec![sub_path.clone()];
    r.host = Some(host.clone());
    out.push(r);

    if rng.percent(40) {
        let mut r = Rule::new(name("ops from the office"), Effect::Allow);
        r.principal = Principal::Namespace("ops".to_string());
        r.source = Some(Cidr {
            addr: Ipv4Addr::new(10, (index % 200) as u8, 0, 0),
            prefix: 16,
        });
        r.host = Some(host.clone());
        out.push(r);
    }
    if rng.percent(30) {
        let mut r = Rule::new(name("static assets"), Effect::Allow);
        r.methods = vec!["GET", "HEAD"];
        r.paths = vec![PathTemplate::parse("/static/**")];
        r.host = Some(host.clone());
        out.push(r);
    }
    if config.headers && rng.percent(25) {
        let tenant = TENANTS
            .get(rng.below(TENANTS.len()))
            .copied()
            .unwrap_or("acme");
        let mut r = Rule::new(name("tenant reads"), Effect::Allow);
        r.methods = vec!["GET"];
        r.paths = vec![sub_path.clone()];
        r.header = Some(("x-tenant".to_string(), tenant.to_string()));
        r.host = Some(host.clone());
        out.push(r);
    }
    if config.regexes && rng.percent(15) {
        let mut r = Rule::new(name("numbered reports"), Effect::Allow);
        r.principal = Principal::Namespace(consumer_ns.to_string());
        r.methods = vec!["GET"];
        r.path_regex = Some(DigitsRegex {
            prefix: format!("/api/v1/{res}/reports"),
        });
        r.host = Some(host.clone());
        out.push(r);
    }
    if config.audits && rng.percent(15) {
        let mut r = Rule::new(name("deletes seen"), Effect::Audit);
        r.methods = vec!["DELETE"];
        r.host = Some(host);
        out.push(r);
    }
}
