//! Reading model files (TOML) into a validated [`ModelSpec`].
//!
//! Every error names the file, the line and the field. The file must declare exactly the
//! states, parameters and observables of its structure (in any order for parameters, in
//! solver order for states), so a typo cannot silently fall back to a default.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::builtin;
use super::dynamics::{MAX_STATES, Structure};
use super::extends::Resolved;
use super::spec::*;
use crate::error::{InputError, Location};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    model: RawHeader,
    defaults: RawDefaults,
    parameters: Vec<RawParameter>,
    states: Vec<RawState>,
    #[serde(default)]
    observables: Vec<RawObservable>,
    #[serde(default)]
    outcomes: RawOutcomes,
    #[serde(default)]
    plot: RawPlot,
    /// Virtual-population settings: read and validated by `cartkin-fit` (`vpop`), which
    /// parses the same text again to keep line numbers.
    #[serde(default)]
    #[allow(dead_code)]
    population: Option<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: Spanned<String>,
    structure: Spanned<String>,
    title: String,
    description: String,
    #[serde(default)]
    references: Vec<String>,
    time_unit: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    regimen: Spanned<String>,
    days: Spanned<f64>,
    step: Spanned<f64>,
    dose_cells: Option<Spanned<f64>>,
    dose_per_kg: Option<Spanned<f64>>,
    patient: RawPatient,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPatient {
    weight_kg: Spanned<f64>,
    height_cm: Spanned<f64>,
    egfr: Spanned<f64>,
    age_years: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariability {
    distribution: Spanned<String>,
    omega2: Option<Spanned<f64>>,
    cv: Option<Spanned<f64>>,
    shared: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    name: Spanned<String>,
    value: Spanned<f64>,
    unit: String,
    lower: f64,
    upper: f64,
    description: String,
    source: String,
    variability: Option<RawVariability>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    name: Spanned<String>,
    unit: String,
    initial: Spanned<String>,
    description: String,
    transform: Spanned<String>,
    #[serde(default = "one")]
    scale: Spanned<f64>,
    #[serde(default)]
    extinction: bool,
    washout_below: Option<Spanned<f64>>,
    plausible_max: Option<Spanned<f64>>,
}

fn one() -> Spanned<f64> {
    Spanned::new(0..0, 1.0)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObservable {
    name: Spanned<String>,
    unit: String,
    description: String,
    plausible_max: Option<Spanned<f64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawOutcomes {
    car_t: Option<Spanned<String>>,
    blast_fraction: Option<Spanned<String>>,
    cd19_positive: Option<Spanned<String>>,
    cd19_negative: Option<Spanned<String>>,
    cd22_positive: Option<Spanned<String>>,
    cd22_negative: Option<Spanned<String>>,
    clones: Option<Spanned<Vec<Spanned<String>>>>,
    b_cells: Option<Spanned<String>>,
    b_cell_aplasia_below: Option<Spanned<f64>>,
    cytokine: Option<Spanned<String>>,
    crs_grade_edges: Option<Spanned<Vec<f64>>>,
    fludarabine_auc: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPlot {
    #[serde(default)]
    panels: Vec<RawPanel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPanel {
    title: String,
    y_label: String,
    #[serde(default)]
    log_y: bool,
    series: Vec<Spanned<String>>,
    #[serde(default)]
    labels: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    thresholds: Vec<RawThreshold>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThreshold {
    label: String,
    value: f64,
}

/// Whether `name` can name a shared random effect: letters, digits and `_`, not empty.
fn is_effect_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The interval of the standard-normal deviate `z` whose value of `p` lies within its bounds,
/// at its typical value: `ln(bound/typical)/ω` for a log-normal spread; the whole line for a
/// logit-normal one (it cannot leave its bounds) or no spread.
fn deviate_bounds(p: &ParameterSpec) -> (f64, f64) {
    let all = (f64::NEG_INFINITY, f64::INFINITY);
    let Some(v) = &p.variability else {
        return all;
    };
    let omega = match (v.omega2, v.cv) {
        (Some(w), _) => w.sqrt(),
        (None, Some(cv)) => (1.0 + cv * cv).ln().sqrt(),
        (None, None) => 0.0,
    };
    if v.distribution != "lognormal" || !(omega > 0.0 && p.value > 0.0) {
        return all;
    }
    let z = |x: f64| {
        if x <= 0.0 {
            f64::NEG_INFINITY
        } else {
            (x / p.value).ln() / omega
        }
    };
    (z(p.lower), z(p.upper))
}

/// Reads and validates the model file at `path` (and the files it extends).
pub fn load(path: &Path) -> Result<ModelSpec, InputError> {
    validate(path, &Resolved::load(path)?)
}

/// Validates model-file `text` (read from `path`: an `extends` is relative to it), reporting
/// errors against `path` (or the file of the chain the line came from).
pub fn parse(path: &Path, text: &str) -> Result<ModelSpec, InputError> {
    validate(path, &Resolved::parse(path, text)?)
}

/// Validates a resolved model file.
pub fn validate(path: &Path, resolved: &Resolved) -> Result<ModelSpec, InputError> {
    let text = resolved.text.as_str();
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        resolved.place(InputError::Syntax {
            location: match e.span() {
                Some(span) => Location::at_offset(path, text, span.start),
                None => Location::file(path),
            },
            message: e.message().trim().to_string(),
        })
    })?;
    Validator {
        path,
        text,
        resolved,
    }
    .validate(raw)
    .map_err(|e| resolved.place(e))
}

struct Validator<'a> {
    path: &'a Path,
    text: &'a str,
    resolved: &'a Resolved,
}

impl Validator<'_> {
    /// Where `spanned` is in the resolved text (errors are placed in the chain's files by
    /// [`Resolved::place`]).
    fn at<T>(&self, spanned: &Spanned<T>) -> Location {
        Location::at_offset(self.path, self.text, spanned.span().start)
    }

    /// Where `spanned` was written: its file and line, in whichever file of the chain.
    fn origin<T>(&self, spanned: &Spanned<T>) -> Location {
        let here = self.at(spanned);
        match here.line.and_then(|l| self.resolved.origin(l)) {
            Some(origin) => origin.clone(),
            None => here,
        }
    }

    fn invalid<T>(
        &self,
        at: &Spanned<T>,
        field: &str,
        expected: &str,
        found: impl ToString,
    ) -> InputError {
        InputError::Invalid {
            location: self.at(at),
            field: field.to_string(),
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }

    fn validate(&self, raw: RawFile) -> Result<ModelSpec, InputError> {
        let structure =
            builtin::find(raw.model.structure.get_ref()).ok_or_else(|| InputError::Unknown {
                location: self.at(&raw.model.structure),
                kind: "structure",
                name: raw.model.structure.get_ref().clone(),
                available: join_names(builtin::STRUCTURES.iter().map(|s| s.id())),
            })?;
        if raw.model.time_unit.get_ref() != "day" {
            return Err(self.invalid(
                &raw.model.time_unit,
                "model.time_unit",
                "\"day\"",
                raw.model.time_unit.get_ref(),
            ));
        }
        let parameters = self.parameters(structure, raw.parameters)?;
        let defaults = self.defaults(raw.defaults)?;
        let states = self.states(structure, raw.states, &parameters, &defaults.patient)?;
        let observables = self.observables(structure, raw.observables)?;
        let columns: Vec<&str> = states
            .iter()
            .map(|s| s.name.as_str())
            .chain(observables.iter().map(|o| o.name.as_str()))
            .collect();
        let state_names: Vec<&str> = states.iter().map(|s| s.name.as_str()).collect();
        let outcomes = self.outcomes(raw.outcomes, &columns, &state_names)?;
        let panels = self.panels(raw.plot, &columns)?;
        Ok(ModelSpec {
            path: self.path.to_path_buf(),
            chain: self.resolved.chain.clone(),
            name: raw.model.name.into_inner(),
            structure: structure.id().to_string(),
            title: raw.model.title,
            description: raw.model.description,
            references: raw.model.references,
            parameters,
            states,
            observables,
            defaults,
            outcomes,
            panels,
        })
    }

    /// Parameters are reordered to the structure's order.
    fn parameters(
        &self,
        structure: &dyn Structure,
        raw: Vec<RawParameter>,
    ) -> Result<Vec<ParameterSpec>, InputError> {
        let expected = structure.parameters();
        let mut out: Vec<Option<ParameterSpec>> = vec![None; expected.len()];
        // where each member of a shared effect names it (checked once all are read)
        let mut shared: Vec<(usize, Spanned<String>)> = Vec::new();
        for p in raw {
            let name = p.name.get_ref();
            let index =
                expected
                    .iter()
                    .position(|e| e == name)
                    .ok_or_else(|| InputError::Unknown {
                        location: self.at(&p.name),
                        kind: "parameter",
                        name: name.clone(),
                        available: join_names(expected.iter().copied()),
                    })?;
            if out[index].is_some() {
                return Err(self.invalid(
                    &p.name,
                    "parameters.name",
                    "each parameter once",
                    format!("`{name}` again"),
                ));
            }
            let field = format!("parameter `{name}`");
            if !(p.lower.is_finite() && p.upper.is_finite() && p.lower <= p.upper) {
                return Err(self.invalid(
                    &p.name,
                    &field,
                    "finite bounds with lower <= upper",
                    format!("[{}, {}]", p.lower, p.upper),
                ));
            }
            if let Some(d) = structure.parameter_domain(name)
                && !(p.lower >= d.at_least && p.upper < d.below)
            {
                return Err(self.invalid(
                    &p.name,
                    &format!("{field} bounds"),
                    &format!("bounds within [{}, {}) ({})", d.at_least, d.below, d.reason),
                    format!("[{}, {}]", p.lower, p.upper),
                ));
            }
            let value = *p.value.get_ref();
            if !(value.is_finite() && value >= p.lower && value <= p.upper) {
                return Err(self.invalid(
                    &p.value,
                    &format!("{field} value"),
                    &format!("a number within [{}, {}]", p.lower, p.upper),
                    value,
                ));
            }
            let variability = match p.variability {
                None => None,
                Some(v) => {
                    let dist = v.distribution.get_ref();
                    if !["lognormal", "logitnormal", "normal", "uniform"].contains(&dist.as_str()) {
                        return Err(self.invalid(
                            &v.distribution,
                            &format!("{field} variability.distribution"),
                            "lognormal, logitnormal, normal or uniform",
                            dist,
                        ));
                    }
                    let spread = |v: &Option<Spanned<f64>>, key: &str| match v {
                        Some(x) if !(x.get_ref().is_finite() && *x.get_ref() >= 0.0) => Err(self
                            .invalid(
                                x,
                                &format!("{field} variability.{key}"),
                                "a finite number >= 0",
                                x.get_ref(),
                            )),
                        _ => Ok(v.as_ref().map(|x| *x.get_ref())),
                    };
                    let (omega2, cv) = (spread(&v.omega2, "omega2")?, spread(&v.cv, "cv")?);
                    let lognormal = ["lognormal", "logitnormal"].contains(&dist.as_str());
                    if dist == "uniform" && (omega2.is_some() || cv.is_some()) {
                        return Err(self.invalid(
                            &v.distribution,
                            &format!("{field} variability"),
                            "no omega2 or cv for a uniform spread (it spans the parameter's \
                             lower and upper bounds)",
                            "a spread",
                        ));
                    }
                    if lognormal && omega2.is_some() == cv.is_some() {
                        return Err(self.invalid(
                            &v.distribution,
                            &format!("{field} variability"),
                            "exactly one of omega2 or cv",
                            if omega2.is_some() { "both" } else { "neither" },
                        ));
                    }
                    if !lognormal && dist != "uniform" {
                        // normal needs an sd, which a model file cannot give
                        return Err(self.invalid(
                            &v.distribution,
                            &format!("{field} variability.distribution"),
                            "lognormal, logitnormal or uniform in a model file (a normal \
                             spread goes in a [population] table, with its sd)",
                            dist,
                        ));
                    }
                    if let Some(effect) = &v.shared {
                        if !is_effect_name(effect.get_ref()) {
                            return Err(self.invalid(
                                effect,
                                &format!("{field} variability.shared"),
                                "the name of a shared random effect (letters, digits, `_`; \
                                 e.g. \"eta_CL\")",
                                format!("\"{}\"", effect.get_ref()),
                            ));
                        }
                        shared.push((index, effect.clone()));
                    }
                    Some(Variability {
                        distribution: dist.clone(),
                        omega2,
                        cv,
                        shared: v.shared.map(Spanned::into_inner),
                    })
                }
            };
            out[index] = Some(ParameterSpec {
                location: Some(self.origin(&p.name)),
                name: p.name.into_inner(),
                value,
                unit: p.unit,
                lower: p.lower,
                upper: p.upper,
                description: p.description,
                source: p.source,
                variability,
            });
        }
        let missing: Vec<&str> = expected
            .iter()
            .zip(&out)
            .filter(|(_, p)| p.is_none())
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            return Err(InputError::Invalid {
                location: Location::file(self.path),
                field: "parameters".into(),
                expected: format!("every parameter of structure `{}`", structure.id()),
                found: format!("no entry for {}", join_names(missing)),
            });
        }
        let out: Vec<ParameterSpec> = out.into_iter().flatten().collect();
        self.shared_effects(&out, &shared)?;
        Ok(out)
    }

    /// Checks every shared random effect: at least two members (one alone would be an
    /// independent effect under another name: most likely a misspelt name), one distribution,
    /// and a deviate that can lie inside every member's bounds at once. Each error is at the
    /// `shared` of the member that breaks the rule.
    fn shared_effects(
        &self,
        parameters: &[ParameterSpec],
        shared: &[(usize, Spanned<String>)],
    ) -> Result<(), InputError> {
        for (k, (first, effect)) in shared.iter().enumerate() {
            let name = effect.get_ref();
            if shared[..k].iter().any(|(_, e)| e.get_ref() == name) {
                continue; // checked with the effect's first member
            }
            let members: Vec<&(usize, Spanned<String>)> =
                shared.iter().filter(|(_, e)| e.get_ref() == name).collect();
            let field = |i: usize| format!("parameter `{}` variability.shared", parameters[i].name);
            if members.len() < 2 {
                return Err(self.invalid(
                    effect,
                    &field(*first),
                    "a shared effect named by at least two parameters (one parameter alone \
                     has an independent effect: remove `shared`, or name the effect as the \
                     other members do)",
                    format!("\"{name}\" named only by `{}`", parameters[*first].name),
                ));
            }
            let distribution = |i: usize| {
                parameters[i]
                    .variability
                    .as_ref()
                    .map_or("", |v| v.distribution.as_str())
            };
            let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
            for (i, at) in members {
                if distribution(*i) != distribution(*first) {
                    return Err(self.invalid(
                        at,
                        &field(*i),
                        &format!(
                            "the distribution of the other members of \"{name}\" ({} as `{}`): \
                             one deviate scales each member on the same scale",
                            distribution(*first),
                            parameters[*first].name
                        ),
                        distribution(*i),
                    ));
                }
                let (a, b) = deviate_bounds(&parameters[*i]);
                (lo, hi) = (lo.max(a), hi.min(b));
                let mass = crate::stats::normal_cdf(hi) - crate::stats::normal_cdf(lo);
                if !(lo < hi && mass >= 1e-12) {
                    return Err(self.invalid(
                        at,
                        &field(*i),
                        &format!(
                            "bounds that leave the deviate of \"{name}\" some room: each member's \
                             bounds around its typical value limit the one deviate they share"
                        ),
                        format!(
                            "an empty intersection of the members' bounds on the deviate ([{lo}, {hi}] \
                             once `{}` in [{}, {}] around {} is included)",
                            parameters[*i].name,
                            parameters[*i].lower,
                            parameters[*i].upper,
                            parameters[*i].value
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// A positive, finite plausibility ceiling.
    fn ceiling(&self, raw: Option<Spanned<f64>>, field: &str) -> Result<Option<f64>, InputError> {
        match raw {
            Some(v) if !(v.get_ref().is_finite() && *v.get_ref() > 0.0) => Err(self.invalid(
                &v,
                field,
                "a positive number (the largest plausible value)",
                v.get_ref(),
            )),
            v => Ok(v.map(Spanned::into_inner)),
        }
    }

    fn states(
        &self,
        structure: &dyn Structure,
        raw: Vec<RawState>,
        parameters: &[ParameterSpec],
        patient: &super::spec::PatientDefaults,
    ) -> Result<Vec<StateSpec>, InputError> {
        // an initial value reads the parameters, then the covariates (WT, AGE, HT, EGFR)
        let names: Vec<&str> = parameters
            .iter()
            .map(|p| p.name.as_str())
            .chain(crate::patient::COVARIATE_NAMES)
            .collect();
        let typical: Vec<f64> = parameters
            .iter()
            .map(|p| p.value)
            .chain([
                patient.weight_kg,
                patient.age_years,
                patient.height_cm,
                patient.egfr,
            ])
            .collect();
        let expected = structure.states();
        if expected.len() > MAX_STATES {
            return Err(InputError::Invalid {
                location: Location::file(self.path),
                field: "states".into(),
                expected: format!("at most {MAX_STATES} states"),
                found: expected.len().to_string(),
            });
        }
        let found: Vec<&str> = raw.iter().map(|s| s.name.get_ref().as_str()).collect();
        if found != expected {
            return Err(InputError::Invalid {
                location: raw
                    .first()
                    .map_or_else(|| Location::file(self.path), |s| self.at(&s.name)),
                field: "states".into(),
                expected: format!(
                    "states [{}] in this order (structure `{}`)",
                    join_names(expected.iter().copied()),
                    structure.id()
                ),
                found: format!("[{}]", join_names(found)),
            });
        }
        raw.into_iter()
            .enumerate()
            .map(|(index, s)| {
                let transform = match s.transform.get_ref().as_str() {
                    "log" => Transform::Log,
                    "linear" => Transform::Linear,
                    other => {
                        return Err(self.invalid(
                            &s.transform,
                            &format!("state `{}` transform", s.name.get_ref()),
                            "\"log\" or \"linear\"",
                            other,
                        ));
                    }
                };
                let scale = *s.scale.get_ref();
                if !(scale.is_finite() && scale > 0.0) {
                    return Err(self.invalid(
                        &s.scale,
                        &format!("state `{}` scale", s.name.get_ref()),
                        "a positive number",
                        scale,
                    ));
                }
                let washout_below = match &s.washout_below {
                    None => None,
                    Some(w) if transform != Transform::Linear => {
                        return Err(self.invalid(
                            w,
                            &format!("state `{}` washout_below", s.name.get_ref()),
                            "washout only on linear states (drug amounts)",
                            "a log state",
                        ));
                    }
                    Some(w) if !(w.get_ref().is_finite() && *w.get_ref() > 0.0) => {
                        return Err(self.invalid(
                            w,
                            &format!("state `{}` washout_below", s.name.get_ref()),
                            "a positive amount",
                            w.get_ref(),
                        ));
                    }
                    Some(w) => Some(*w.get_ref()),
                };
                if s.extinction && transform != Transform::Log {
                    return Err(self.invalid(
                        &s.name,
                        &format!("state `{}` extinction", s.name.get_ref()),
                        "extinction only on log states (cell counts)",
                        "a linear state",
                    ));
                }
                let field = format!("state `{}` initial", s.name.get_ref());
                // the string's own position: a character offset inside the quotes
                let initial_expr =
                    super::expr::Expr::parse(s.initial.get_ref(), &names).map_err(|e| {
                        self.invalid(
                            &s.initial,
                            &field,
                            "an expression of the parameters and the covariates WT, AGE, HT, \
                             EGFR, e.g. `(1 - f_neg) * L0` (doses arrive through the routes)",
                            format!("\"{}\" ({e})", s.initial.get_ref()),
                        )
                    })?;
                let at_typical = initial_expr.eval(&typical);
                if !(at_typical.is_finite() && at_typical >= 0.0) {
                    return Err(self.invalid(
                        &s.initial,
                        &field,
                        "a finite, non-negative value at the typical parameters",
                        format!("\"{}\" = {at_typical}", s.initial.get_ref()),
                    ));
                }
                let plausible_max = self.ceiling(
                    s.plausible_max,
                    &format!("state `{}` plausible_max", s.name.get_ref()),
                )?;
                // a population the structure seeds must be able to be absent, and its hazard
                // must be a plain (linear) number
                let seed = structure.seeds().iter().find(|d| d.target == index);
                let hazard_of = structure.seeds().iter().find(|d| d.hazard == index);
                if seed.is_some() && !(transform == Transform::Log && s.extinction) {
                    return Err(self.invalid(
                        &s.name,
                        &format!("state `{}`", s.name.get_ref()),
                        "transform = \"log\" and extinction = true (a population the structure \
                         seeds by a random event: it starts from one cell)",
                        "another representation",
                    ));
                }
                if hazard_of.is_some() && washout_below.is_some() {
                    return Err(self.invalid(
                        &s.name,
                        &format!("state `{}` washout_below", s.name.get_ref()),
                        "no washout (a cumulative event hazard must keep counting)",
                        "a washout level",
                    ));
                }
                if hazard_of.is_some() && transform != Transform::Linear {
                    return Err(self.invalid(
                        &s.transform,
                        &format!("state `{}` transform", s.name.get_ref()),
                        "\"linear\" (a cumulative event hazard, from 0)",
                        s.transform.get_ref(),
                    ));
                }
                Ok(StateSpec {
                    seeded_by: seed.map(|d| d.hazard),
                    washout_below,
                    plausible_max,
                    name: s.name.into_inner(),
                    unit: s.unit,
                    initial: s.initial.into_inner(),
                    initial_expr,
                    description: s.description,
                    transform,
                    scale,
                    extinction: s.extinction,
                })
            })
            .collect()
    }

    fn observables(
        &self,
        structure: &dyn Structure,
        raw: Vec<RawObservable>,
    ) -> Result<Vec<ObservableSpec>, InputError> {
        let expected = structure.observables();
        let found: Vec<&str> = raw.iter().map(|o| o.name.get_ref().as_str()).collect();
        if found != expected {
            return Err(InputError::Invalid {
                location: raw
                    .first()
                    .map_or_else(|| Location::file(self.path), |o| self.at(&o.name)),
                field: "observables".into(),
                expected: format!(
                    "observables [{}] in this order (structure `{}`)",
                    join_names(expected.iter().copied()),
                    structure.id()
                ),
                found: format!("[{}]", join_names(found)),
            });
        }
        raw.into_iter()
            .map(|o| {
                let field = format!("observable `{}` plausible_max", o.name.get_ref());
                Ok(ObservableSpec {
                    plausible_max: self.ceiling(o.plausible_max, &field)?,
                    name: o.name.into_inner(),
                    unit: o.unit,
                    description: o.description,
                })
            })
            .collect()
    }

    fn column(
        &self,
        name: Option<Spanned<String>>,
        columns: &[&str],
    ) -> Result<Option<String>, InputError> {
        match name {
            None => Ok(None),
            Some(n) if columns.contains(&n.get_ref().as_str()) => Ok(Some(n.into_inner())),
            Some(n) => Err(InputError::Unknown {
                location: self.at(&n),
                kind: "state or observable",
                name: n.into_inner(),
                available: join_names(columns.iter().copied()),
            }),
        }
    }

    /// `outcomes.clones`: a non-empty list of distinct states (cure needs states, which go
    /// extinct; an observable cannot).
    fn clones(
        &self,
        raw: Option<Spanned<Vec<Spanned<String>>>>,
        states: &[&str],
    ) -> Result<Vec<String>, InputError> {
        let Some(list) = raw else {
            return Ok(Vec::new());
        };
        if list.get_ref().is_empty() {
            return Err(self.invalid(
                &list,
                "outcomes.clones",
                "at least one state of a leukemic clone",
                "[]",
            ));
        }
        let mut out: Vec<String> = Vec::with_capacity(list.get_ref().len());
        for name in list.into_inner() {
            let n = name.get_ref();
            if !states.contains(&n.as_str()) {
                return Err(self.invalid(
                    &name,
                    "outcomes.clones",
                    &format!(
                        "states of the model ({})",
                        join_names(states.iter().copied())
                    ),
                    format!("`{n}`"),
                ));
            }
            if out.contains(n) {
                return Err(self.invalid(
                    &name,
                    "outcomes.clones",
                    "each clone once",
                    format!("`{n}` again"),
                ));
            }
            out.push(name.into_inner());
        }
        Ok(out)
    }

    fn outcomes(
        &self,
        raw: RawOutcomes,
        columns: &[&str],
        states: &[&str],
    ) -> Result<OutcomeRoles, InputError> {
        let b_cell_aplasia_below = match raw.b_cell_aplasia_below {
            Some(v) if !(v.get_ref().is_finite() && *v.get_ref() > 0.0) => {
                return Err(self.invalid(
                    &v,
                    "outcomes.b_cell_aplasia_below",
                    "a positive number",
                    v.get_ref(),
                ));
            }
            v => v.map(Spanned::into_inner),
        };
        let crs_grade_edges = match raw.crs_grade_edges {
            Some(edges) => {
                let e = edges.get_ref();
                let ok = e.len() == 4
                    && e.iter().all(|v| v.is_finite() && *v > 0.0)
                    && e.windows(2).all(|w| w[0] < w[1]);
                if !ok {
                    return Err(self.invalid(
                        &edges,
                        "outcomes.crs_grade_edges",
                        "four increasing positive numbers (lower edges of grades 1-4)",
                        format!("{e:?}"),
                    ));
                }
                Some(edges.into_inner())
            }
            None => None,
        };
        Ok(OutcomeRoles {
            car_t: self.column(raw.car_t, columns)?,
            blast_fraction: self.column(raw.blast_fraction, columns)?,
            cd19_positive: self.column(raw.cd19_positive, columns)?,
            cd19_negative: self.column(raw.cd19_negative, columns)?,
            cd22_positive: self.column(raw.cd22_positive, columns)?,
            cd22_negative: self.column(raw.cd22_negative, columns)?,
            clones: self.clones(raw.clones, states)?,
            b_cells: self.column(raw.b_cells, columns)?,
            b_cell_aplasia_below,
            cytokine: self.column(raw.cytokine, columns)?,
            crs_grade_edges,
            fludarabine_auc: self.column(raw.fludarabine_auc, columns)?,
        })
    }

    fn panels(&self, raw: RawPlot, columns: &[&str]) -> Result<Vec<PanelSpec>, InputError> {
        raw.panels
            .into_iter()
            .map(|p| {
                let series = p
                    .series
                    .into_iter()
                    .map(|s| self.column(Some(s), columns).map(|c| c.unwrap_or_default()))
                    .collect::<Result<Vec<_>, _>>()?;
                let labels = match p.labels {
                    None => series.clone(),
                    Some(l) if l.get_ref().len() == series.len() => l.into_inner(),
                    Some(l) => {
                        return Err(self.invalid(
                            &l,
                            "plot.panels.labels",
                            &format!("{} labels, one per series", series.len()),
                            l.get_ref().len(),
                        ));
                    }
                };
                Ok(PanelSpec {
                    title: p.title,
                    y_label: p.y_label,
                    log_y: p.log_y,
                    series,
                    labels,
                    thresholds: p
                        .thresholds
                        .into_iter()
                        .map(|t| PanelThreshold {
                            label: t.label,
                            value: t.value,
                        })
                        .collect(),
                })
            })
            .collect()
    }

    fn defaults(&self, raw: RawDefaults) -> Result<Defaults, InputError> {
        let positive = |v: &Spanned<f64>, field: &str| {
            if v.get_ref().is_finite() && *v.get_ref() > 0.0 {
                Ok(*v.get_ref())
            } else {
                Err(self.invalid(v, field, "a positive number", v.get_ref()))
            }
        };
        let days = positive(&raw.days, "defaults.days")?;
        let step = positive(&raw.step, "defaults.step")?;
        let dose = match (raw.dose_cells, raw.dose_per_kg) {
            (Some(c), None) => Some(DefaultDose::Cells(positive(&c, "defaults.dose_cells")?)),
            (None, Some(k)) => Some(DefaultDose::PerKg(positive(&k, "defaults.dose_per_kg")?)),
            (None, None) => None,
            (Some(c), Some(_)) => {
                return Err(self.invalid(
                    &c,
                    "defaults.dose_cells",
                    "either dose_cells or dose_per_kg, not both",
                    "both",
                ));
            }
        };
        // Checked here so that a bad default fails when the file is read, not at run time.
        let covariate = |v: &Spanned<f64>, name: &str, field: &str| {
            let (lo, hi, unit) = crate::patient::covariate_range(name);
            let value = *v.get_ref();
            if value.is_finite() && value >= lo && value <= hi {
                Ok(value)
            } else {
                Err(self.invalid(v, field, &format!("a number in [{lo}, {hi}] {unit}"), value))
            }
        };
        let p = raw.patient;
        let patient = PatientDefaults {
            weight_kg: covariate(&p.weight_kg, "weight", "defaults.patient.weight_kg")?,
            height_cm: covariate(&p.height_cm, "height", "defaults.patient.height_cm")?,
            egfr: covariate(&p.egfr, "egfr", "defaults.patient.egfr")?,
            age_years: covariate(&p.age_years, "age", "defaults.patient.age_years")?,
        };
        // the default regimen must exist: a named one, or a file relative to the model file
        // that names it (in an extends chain, the base that wrote the line)
        let name = raw.regimen.get_ref();
        let regimen = if crate::regimen::named(name).is_some() {
            name.clone()
        } else {
            let written_in = self.origin(&raw.regimen).path;
            let relative = written_in.parent().map(|dir| dir.join(name));
            match relative.filter(|p| p.is_file()) {
                Some(path) => path.display().to_string(),
                None => {
                    return Err(self.invalid(
                        &raw.regimen,
                        "defaults.regimen",
                        &format!(
                            "a named regimen ({}) or a regimen file next to the model file",
                            join_names(crate::regimen::NAMED.iter().map(|(n, _)| *n))
                        ),
                        format!("\"{name}\""),
                    ));
                }
            }
        };
        Ok(Defaults {
            regimen,
            days,
            step,
            dose,
            patient,
        })
    }
}
