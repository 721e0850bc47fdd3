//! [`diff()`]: the requests two policies decide differently, one example per region of
//! difference (`portcullis diff`).

use std::collections::{HashMap, HashSet};

use portcullis::syntax::RuleKind;
use portcullis::{Effect, OwnedDecision, OwnedRequest, Policy, Reason};

use crate::domain::set::Set;
use crate::explore::{Region, Relation, busiest, kept_in_piece, split, untested_positions};
use crate::space::{PolicyModel, RuleModel, Space, TooComplex};

/// How [`diff`] compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiffOptions {
    /// Count a request as different when its effect is the same but its deciding
    /// rule or reason differs (`--by-rule`).
    pub by_rule: bool,
    /// Stop after this many examples (`--limit`, default 100).
    pub limit: usize,
}

impl Default for DiffOptions {
    fn default() -> DiffOptions {
        DiffOptions {
            by_rule: false,
            limit: 100,
        }
    }
}

/// A request the two policies decide differently, and both decisions.
#[derive(Clone, Debug)]
pub struct Difference {
    /// The request: valid, every attribute in normal form.
    pub request: OwnedRequest,
    /// The old policy's decision (by [`Policy::evaluate`]).
    pub old: OwnedDecision,
    /// The new policy's decision.
    pub new: OwnedDecision,
}

/// What [`diff`] found.
#[derive(Clone, Debug, Default)]
pub struct DiffReport {
    /// One example per region of difference, in the order found.
    pub differences: Vec<Difference>,
    /// Some region may hold a difference behind a regular expression, and no
    /// example was found for it: the policies are not proved equivalent.
    pub undecided: bool,
    /// The search stopped at the limit: there may be more regions.
    pub truncated: bool,
}

impl DiffReport {
    /// Whether the policies were proved to decide every request alike.
    pub fn equivalent(&self) -> bool {
        self.differences.is_empty() && !self.undecided
    }
}

/// Compares `old` and `new` over every valid request (read with `old`'s
/// normalization options) and returns one example request per region where they
/// decide differently: with a different effect, or, with
/// [`DiffOptions::by_rule`], a different deciding rule or reason.
///
/// Every example is checked by evaluating it under both policies (its decisions are
/// those of [`Policy::evaluate`]); every region where the effects differ gets an
/// example, except where a regular expression (`~`) may hide it: then
/// [`DiffReport::undecided`] is set.
///
/// ```
/// use portcullis::Policy;
/// use portcullis_analysis::{diff, DiffOptions};
/// let old = Policy::compile(r#"allow "reads" { method GET, HEAD }"#)?;
/// let new = Policy::compile(r#"allow "reads" { method GET }"#)?;
/// let report = diff(&old, &new, &DiffOptions::default())?;
/// assert_eq!(report.differences.len(), 1);
/// let d = &report.differences[0];
/// assert_eq!(d.request.method(), "HEAD");
/// assert!(d.old.is_allowed() && !d.new.is_allowed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn diff(old: &Policy, new: &Policy, options: &DiffOptions) -> Result<DiffReport, TooComplex> {
    let (space, models) = Space::new(&[old, new], old.options())?;
    let (Some(old_model), Some(new_model)) = (models.first(), models.get(1)) else {
        return Ok(DiffReport::default());
    };
    let mut search = Search {
        space: &space,
        policies: (old, new),
        options: *options,
        report: DiffReport::default(),
        seen: HashSet::new(),
    };
    search.run(old_model, new_model);
    Ok(search.report)
}

/// What decides a region, when one thing does: the effect, and (when rules count)
/// the deciding rule's name (`None`: the default).
type Outcome<'m> = Option<(bool, Option<&'m str>)>;

struct Search<'a> {
    space: &'a Space,
    policies: (&'a Policy, &'a Policy),
    options: DiffOptions,
    report: DiffReport,
    /// The pairs of decisions already given an example.
    seen: HashSet<String>,
}

impl Search<'_> {
    fn run(&mut self, old: &PolicyModel, new: &PolicyModel) {
        let deciding = |m: &PolicyModel| -> Vec<usize> {
            // Deny rules first, then allow rules, each in source order: the order
            // in which they decide.
            let mut rules: Vec<&RuleModel> = m
                .rules
                .iter()
                .filter(|r| r.kind != RuleKind::Audit && r.cube.is_some())
                .collect();
            rules.sort_by_key(|r| (r.kind != RuleKind::Deny, r.index));
            rules.iter().map(|r| r.index).collect()
        };
        let shapes = Shapes::new(old, new, self.options.by_rule);
        let mut stack = vec![(Region::all(self.space), deciding(old), deciding(new))];
        let mut partial = Vec::new();
        while let Some((region, old_in, new_in)) = stack.pop() {
            let (old_in, old_outcome, old_partial) =
                classify(&region, old, &old_in, self.options.by_rule, &mut partial);
            let (new_in, new_outcome, new_partial) =
                classify(&region, new, &new_in, self.options.by_rule, &mut partial);
            if let (Some(a), Some(b)) = (old_outcome, new_outcome) {
                if a != b {
                    self.example(&region);
                    if self.report.differences.len() >= self.options.limit {
                        self.report.truncated = true;
                        return;
                    }
                }
                continue;
            }
            if old.default_allow == new.default_allow
                && shapes.of(0, &old_in) == shapes.of(1, &new_in)
            {
                continue;
            }
            let mut undecided: Vec<&RuleModel> = Vec::new();
            if old_outcome.is_none() {
                undecided.extend(old_partial.iter().filter_map(|&i| old.rules.get(i)));
            }
            if new_outcome.is_none() {
                undecided.extend(new_partial.iter().filter_map(|&i| new.rules.get(i)));
            }
            let Some(dim) = busiest(&region, &undecided) else {
                continue;
            };
            let in_play: Vec<&RuleModel> = old_in
                .iter()
                .filter_map(|&i| old.rules.get(i))
                .chain(new_in.iter().filter_map(|&i| new.rules.get(i)))
                .collect();
            let pieces = split(self.space, &region, dim, &in_play);
            let old_untested = untested_positions(&old_in, dim, |i| old.rules.get(i));
            let new_untested = untested_positions(&new_in, dim, |i| new.rules.get(i));
            for piece in pieces.into_iter().rev() {
                let old_kept = kept_in_piece(&old_in, 0, &old_untested, &piece.members);
                let new_kept = kept_in_piece(&new_in, old_in.len(), &new_untested, &piece.members);
                stack.push((region.with(dim, piece.set), old_kept, new_kept));
            }
        }
    }

    /// Finds a request in `region` that the policies really decide differently,
    /// and records it unless its pair of decisions already has one.
    fn example(&mut self, region: &Region) {
        let space = self.space;
        let mut point: Vec<usize> = (0..space.dims())
            .map(|dim| preferred(space, dim, &region.classes(dim)))
            .collect();
        // The attributes a regular expression of the region is pinned on: their
        // classes are tried in turn, as the expression may match some and not others.
        let pinned: Vec<usize> = region
            .cuts()
            .iter()
            .filter(|(_, set)| set.count() == 1)
            .filter_map(|(d, _)| space.regex_subject(*d))
            .collect();
        let mut tries: Vec<Vec<usize>> = vec![point.clone()];
        for &subject in &pinned {
            for class in region.classes(subject).iter().take(64) {
                if let Some(slot) = point.get_mut(subject) {
                    *slot = class;
                }
                tries.push(point.clone());
            }
        }
        // A representative spells every character no pattern names with one fresh
        // letter; an expression may want a digit or another letter there.
        let mut requests: Vec<OwnedRequest> = Vec::new();
        for candidate in &tries {
            let request = space.request(candidate);
            for &subject in &pinned {
                for with in ["1", "a", "0", "-"] {
                    if let Some(varied) = space.respell(&request, subject, with) {
                        requests.push(varied);
                    }
                }
            }
            requests.insert(0, request);
        }
        for request in requests {
            let old = self.policies.0.evaluate(&request.as_request()).to_owned();
            let new = self.policies.1.evaluate(&request.as_request()).to_owned();
            if !self.differ(&old, &new) {
                continue;
            }
            let key = format!("{}", Key(&old, &new));
            if self.seen.insert(key) {
                self.report
                    .differences
                    .push(Difference { request, old, new });
            }
            return;
        }
        self.report.undecided = true;
    }

    fn differ(&self, old: &OwnedDecision, new: &OwnedDecision) -> bool {
        if old.reason() == Reason::InvalidRequest || new.reason() == Reason::InvalidRequest {
            return false;
        }
        old.effect() != new.effect()
            || (self.options.by_rule && (old.reason() != new.reason() || old.rule() != new.rule()))
    }
}

/// A pair of decisions, as text (effect, reason, rule of each).
struct Key<'a>(&'a OwnedDecision, &'a OwnedDecision);

impl std::fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for d in [self.0, self.1] {
            let effect = if d.effect() == Effect::Allow {
                "allow"
            } else {
                "deny"
            };
            write!(f, "{effect}/{}/{:?};", d.reason().as_str(), d.rule())?;
        }
        Ok(())
    }
}

/// The class a region's example takes in `dim`: the absent one when the region
/// allows it (the simplest request), else the first.
fn preferred(space: &Space, dim: usize, set: &Set) -> usize {
    match space.absent(dim) {
        Some(a) if set.contains(a) => a,
        _ => set.first().unwrap_or(0),
    }
}

/// Classifies the deciding rules `in_play` (indices into `model.rules`, in
/// deciding order) against `region`: those still in play, the outcome when one
/// thing decides the whole region, and the partial ones.
fn classify<'m>(
    region: &Region,
    model: &'m PolicyModel,
    in_play: &[usize],
    by_rule: bool,
    partial_dims: &mut Vec<usize>,
) -> (Vec<usize>, Outcome<'m>, Vec<usize>) {
    let mut kept = Vec::with_capacity(in_play.len());
    let mut partial = Vec::new();
    let mut relations = Vec::with_capacity(in_play.len());
    for &i in in_play {
        let Some(rule) = model.rules.get(i) else {
            continue;
        };
        let Some(cube) = &rule.cube else { continue };
        let relation = region.relation(cube, partial_dims);
        if relation == Relation::Disjoint {
            continue;
        }
        kept.push(i);
        if relation == Relation::Partial {
            partial.push(i);
        }
        relations.push((rule, relation));
    }
    let outcome = if by_rule {
        // The first rule in play decides wherever it matches.
        match relations.first() {
            Some((rule, Relation::Full)) => Some((rule.kind == RuleKind::Allow, Some(&*rule.name))),
            Some(_) => None,
            None => Some((model.default_allow, None)),
        }
    } else {
        let full = |kind: RuleKind| {
            relations
                .iter()
                .any(|(r, rel)| r.kind == kind && *rel == Relation::Full)
        };
        let any = |kind: RuleKind| relations.iter().any(|(r, _)| r.kind == kind);
        if full(RuleKind::Deny) {
            Some((false, None))
        } else {
            let may_deny = any(RuleKind::Deny) || (!model.default_allow && !full(RuleKind::Allow));
            let may_allow = any(RuleKind::Allow) || model.default_allow;
            match (may_deny, may_allow) {
                (true, true) => None,
                (deny, _) => Some((!deny, None)),
            }
        }
    };
    (kept, outcome, partial)
}

/// What makes two rules decide alike: allow or not, the name (when rules count),
/// the cube.
type ShapeKey<'m> = (bool, Option<&'m str>, &'m [(usize, Set)]);

/// Rules of both policies numbered so that two rules with one number decide alike
/// everywhere (same kind and cube, and same name when rules count).
struct Shapes {
    ids: [Vec<u32>; 2],
}

impl Shapes {
    fn new(old: &PolicyModel, new: &PolicyModel, by_rule: bool) -> Shapes {
        let mut numbers: HashMap<ShapeKey<'_>, u32> = HashMap::new();
        let mut ids = [Vec::new(), Vec::new()];
        for (side, model) in [old, new].into_iter().enumerate() {
            for rule in &model.rules {
                let cube = rule.cube.as_deref().unwrap_or(&[]);
                let key = (
                    rule.kind == RuleKind::Allow,
                    by_rule.then_some(rule.name.as_str()),
                    cube,
                );
                let next = numbers.len() as u32;
                let id = *numbers.entry(key).or_insert(next);
                if let Some(list) = ids.get_mut(side) {
                    list.push(id);
                }
            }
        }
        Shapes { ids }
    }

    /// The numbers of rules `indices` of policy `side`.
    fn of(&self, side: usize, indices: &[usize]) -> Vec<u32> {
        let list = self.ids.get(side).map_or(&[][..], Vec::as_slice);
        indices
            .iter()
            .map(|&i| list.get(i).copied().unwrap_or(u32::MAX))
            .collect()
    }
}
