//! Running a fit: pooled (one parameter set for all subjects) or individual (one per subject,
//! in parallel, then a two-stage summary), with standard errors, AIC/BIC and an optional
//! profile likelihood.

use rayon::prelude::*;
use serde::Serialize;

use crate::error::FitError;
use crate::optimizer::{Convergence, Objective, OptimizerOptions, minimize};
use crate::problem::{FreeParameter, Problem, Target};
use crate::transform::Transform;
use crate::uncertainty::{self, Profile, Z_975};

/// How to fit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FitOptions {
    /// Optimizer settings.
    pub optimizer: OptimizerOptions,
    /// One parameter set for all subjects (else one per subject).
    pub pooled: bool,
    /// Free parameter to profile (pooled fits, or each subject's fit).
    pub profile: Option<String>,
}

/// One parameter's estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// Point estimate (natural scale).
    pub estimate: f64,
    /// Standard error by the delta method (None if the Hessian was not positive definite).
    pub se: Option<f64>,
    /// 95% confidence interval (back-transformed Wald interval on the estimation scale).
    pub ci95: Option<[f64; 2]>,
    /// Relative standard error [%].
    pub rse_percent: Option<f64>,
    /// Estimation scale.
    pub transform: Transform,
}

/// −2LL and information criteria.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ObjectiveSummary {
    /// −2 log-likelihood.
    pub minus2ll: f64,
    /// AIC = −2LL + 2k.
    pub aic: f64,
    /// BIC = −2LL + k·ln n.
    pub bic: f64,
    /// Free parameters k.
    pub n_parameters: usize,
    /// Observations n.
    pub n_observations: usize,
}

impl ObjectiveSummary {
    fn new(minus2ll: f64, k: usize, n: usize) -> Self {
        ObjectiveSummary {
            minus2ll,
            aic: minus2ll + 2.0 * k as f64,
            bic: minus2ll + k as f64 * (n.max(1) as f64).ln(),
            n_parameters: k,
            n_observations: n,
        }
    }
}

/// The fit of one set of subjects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitResult {
    /// Subject ids included.
    pub subjects: Vec<String>,
    /// Estimates in the order of the free parameters.
    pub parameters: Vec<(String, Estimate)>,
    /// θ at the optimum (estimation scale).
    #[serde(skip)]
    pub theta: Vec<f64>,
    /// −2LL, AIC, BIC.
    pub objective: ObjectiveSummary,
    /// Optimizer report.
    pub convergence: Convergence,
    /// Correlation matrix of the estimates (estimation scale).
    pub correlation: Option<Vec<Vec<f64>>>,
    /// Why standard errors are missing, if they are.
    pub warning: Option<String>,
    /// Parameters whose estimate ended at (within 0.1% of the range, on the estimation scale)
    /// one of their bounds: the bound, not the data, determines them, so they have no SE or
    /// CI and a subject with one is left out of the two-stage summary.
    pub at_bounds: Vec<String>,
    /// Profile likelihood, if asked for.
    pub profile: Option<Profile>,
}

/// Geometric mean and between-subject variability of individual estimates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwoStage {
    /// Parameter.
    pub parameter: String,
    /// Geometric mean (arithmetic mean for identity-scale parameters); with one subject, its
    /// own estimate.
    pub estimate: f64,
    /// Standard error of that mean (delta method on the log mean); with one subject, its own
    /// estimate's SE.
    pub se: Option<f64>,
    /// 95% CI of the mean; with one subject, its own CI.
    pub ci95: Option<[f64; 2]>,
    /// Between-subject CV [%] of a log-normal with the observed SD of ln(estimate)
    /// (SD for identity-scale parameters); `None` with fewer than two subjects.
    pub between_subject_cv_percent: Option<f64>,
    /// Subjects contributing.
    pub n: usize,
}

/// A subject left out of the individual fits or of the two-stage summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Excluded {
    /// Subject id.
    pub id: String,
    /// Why (unidentifiable from its data, or an estimate at a bound).
    pub reason: String,
}

/// How the parameters were estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FitMode {
    /// One parameter set for all subjects.
    Pooled,
    /// One parameter set per subject, summarised in two stages.
    Individual,
}

impl std::fmt::Display for FitMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FitMode::Pooled => "pooled",
            FitMode::Individual => "individual",
        })
    }
}

/// Everything `fit.json` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitReport {
    /// `pooled` or `individual`.
    pub mode: FitMode,
    /// The pooled fit (pooled mode; in individual mode, the first step that estimated the
    /// residual SDs, when they were free).
    pub pooled: Option<FitResult>,
    /// One fit per subject (individual mode), in data order.
    pub individual: Vec<FitResult>,
    /// Two-stage summary of the individual fits (those in `excluded` left out).
    pub two_stage: Vec<TwoStage>,
    /// Subjects not fitted individually (all observations below the limit, or no more
    /// quantified observations than free parameters), or fitted but left out of the
    /// two-stage summary (an estimate at a bound), with the reason.
    pub excluded: Vec<Excluded>,
}

/// Fits `problem`; `progress` is called once per finished subject fit (individual mode).
pub fn fit(
    problem: &Problem,
    options: &FitOptions,
    progress: &(dyn Fn() + Sync),
) -> Result<FitReport, FitError> {
    let profile_index = match &options.profile {
        None => None,
        Some(name) => Some(
            problem
                .free
                .iter()
                .position(|p| &p.name == name)
                .ok_or_else(|| FitError::Setting {
                    setting: "profile".into(),
                    message: format!(
                        "`{name}` is not estimated; expected one of: {}",
                        problem
                            .free
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })?,
        ),
    };
    let all: Vec<usize> = (0..problem.subjects.len())
        .filter(|&s| !problem.subjects[s].points.is_empty())
        .collect();
    problem.check()?;
    let observed: Vec<usize> = (0..problem.subjects.len())
        .filter(|&s| !problem.subjects[s].points.is_empty())
        .collect();
    if options.pooled && problem.n_observations(&observed) <= problem.n_free() {
        return Err(FitError::Setting {
            setting: "estimate".into(),
            message: format!(
                "{} observations cannot determine {} free parameters; estimate fewer parameters or fix the residual error",
                problem.n_observations(&observed),
                problem.n_free()
            ),
        });
    }
    if options.pooled {
        let result = fit_subjects(problem, &all, options, profile_index)?;
        progress();
        return Ok(FitReport {
            mode: FitMode::Pooled,
            pooled: Some(result),
            individual: Vec::new(),
            two_stage: Vec::new(),
            excluded: Vec::new(),
        });
    }
    // Individual fits of sparse data cannot also estimate the residual SD (a perfect fit of
    // a few points sends σ to zero): estimate it once, pooled, then fix it for every subject,
    // starting each subject from the pooled typical values.
    let has_error_parameters = problem
        .free
        .iter()
        .any(|p| !matches!(p.target, Target::Model(_)));
    let (individual_problem, first_step) = if has_error_parameters {
        let pooled = fit_subjects(
            problem,
            &all,
            &FitOptions {
                profile: None,
                ..options.clone()
            },
            None,
        )?;
        let (values, _) = problem.natural(&pooled.theta);
        let mut fixed = problem.clone();
        fixed.free.clear();
        for (p, v) in problem.free.iter().zip(&values) {
            match p.target {
                Target::SigmaAdd => fixed.error.a = *v,
                Target::SigmaProp => fixed.error.b = *v,
                Target::Model(_) => fixed.free.push(FreeParameter {
                    initial: *v,
                    ..p.clone()
                }),
            }
        }
        (fixed, Some(pooled))
    } else {
        (problem.clone(), None)
    };
    let profile_index = options
        .profile
        .as_ref()
        .and_then(|name| individual_problem.free.iter().position(|p| &p.name == name));
    let k = individual_problem.n_free();
    // a subject whose data cannot determine its parameters is not fitted: a fit would end
    // wherever the optimizer stopped (often at a bound) and look precise
    let mut excluded = Vec::new();
    let mut fitted = Vec::new();
    for &s in &all {
        let points = &problem.subjects[s].points;
        let quantified = points.iter().filter(|p| !p.blq).count();
        let reason = if quantified == 0 {
            Some(format!(
                "all {} observations are below the limit of quantification: they do not identify its parameters",
                points.len()
            ))
        } else if quantified <= k {
            Some(format!(
                "{quantified} observations above the limit of quantification for {k} free parameters"
            ))
        } else {
            None
        };
        match reason {
            Some(reason) => excluded.push(Excluded {
                id: problem.subjects[s].id.clone(),
                reason,
            }),
            None => fitted.push(s),
        }
    }
    if fitted.is_empty() {
        return Err(FitError::Setting {
            setting: "estimate".into(),
            message: format!(
                "no subject has more quantified observations than the {k} free parameters of an individual fit; fit pooled or estimate fewer parameters"
            ),
        });
    }
    let individual: Vec<FitResult> = fitted
        .par_iter()
        .map(|&s| {
            let r = fit_subjects(&individual_problem, &[s], options, profile_index);
            progress();
            r
        })
        .collect::<Result<_, _>>()?;
    let summarised: Vec<FitResult> = individual
        .iter()
        .filter(|f| f.at_bounds.is_empty())
        .cloned()
        .collect();
    for f in individual.iter().filter(|f| !f.at_bounds.is_empty()) {
        excluded.push(Excluded {
            id: f.subjects.first().cloned().unwrap_or_default(),
            reason: format!(
                "estimate of {} at a bound: determined by the bound, not by the data",
                f.at_bounds.join(", ")
            ),
        });
    }
    if summarised.is_empty() {
        return Err(FitError::Setting {
            setting: "estimate".into(),
            message: format!(
                "no subject could be summarised: {}",
                excluded
                    .iter()
                    .map(|e| format!("subject {}: {}", e.id, e.reason))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        });
    }
    let two_stage = two_stage(&individual_problem, &summarised);
    Ok(FitReport {
        mode: FitMode::Individual,
        pooled: first_step,
        individual,
        two_stage,
        excluded,
    })
}

/// Whether estimate `value` of `p` lies at one of its bounds: within 0.1% of the bounds' span
/// on the log scale (a lower bound of 0 cannot be reached), within 1e-7 of the range on the
/// logit scale, within 0.1% of the range on the identity scale.
fn at_bound(p: &FreeParameter, value: f64) -> bool {
    let (lo, hi) = (p.lower, p.upper);
    match p.transform {
        // an estimate driven to (numerically) zero on the log scale is at its bound of 0
        Transform::Log if value <= 1e-300 => true,
        Transform::Log => {
            let (tl, th) = (if lo > 0.0 { lo.ln() } else { f64::NEG_INFINITY }, hi.ln());
            let t = value.max(f64::MIN_POSITIVE).ln();
            let span = if tl.is_finite() && th.is_finite() {
                th - tl
            } else {
                1.0
            };
            (tl.is_finite() && t - tl <= 1e-3 * span) || (th.is_finite() && th - t <= 1e-3 * span)
        }
        // the logit scale reaches its bounds only at ±∞: within 1e-7 of the range (|θ| > 16)
        // the optimizer was running into a bound, not converging inside
        Transform::Logit { .. } => {
            let u = (value - lo) / (hi - lo);
            !(1e-7..=1.0 - 1e-7).contains(&u)
        }
        Transform::Identity => {
            let span = hi - lo;
            span.is_finite() && (value - lo <= 1e-3 * span || hi - value <= 1e-3 * span)
        }
    }
}

/// Minimizes −2LL over `subjects`, then computes standard errors and the profile.
pub fn fit_subjects(
    problem: &Problem,
    subjects: &[usize],
    options: &FitOptions,
    profile_index: Option<usize>,
) -> Result<FitResult, FitError> {
    let objective = Objective::new(problem, subjects);
    let min = minimize(&objective, &problem.theta0(), &options.optimizer)
        .map_err(|e| FitError::Optimizer(e.to_string()))?;
    let h = uncertainty::hessian(&objective, &min.theta);
    let cov = uncertainty::covariance(&h);
    let (values, _) = problem.natural(&min.theta);
    let at_bounds: Vec<String> = problem
        .free
        .iter()
        .zip(&values)
        .filter(|(p, v)| at_bound(p, **v))
        .map(|(p, _)| p.name.clone())
        .collect();
    let parameters = problem
        .free
        .iter()
        .enumerate()
        .map(|(i, p)| {
            // at a bound the curvature says nothing about the uncertainty
            let se_theta = cov
                .as_ref()
                .map(|c| c[(i, i)].sqrt())
                .filter(|s| s.is_finite() && !at_bounds.contains(&p.name));
            let estimate = values[i];
            let se = se_theta.map(|s| p.transform.derivative(min.theta[i]).abs() * s);
            let ci95 = se_theta.map(|s| {
                let (a, b) = (
                    p.transform.to_param(min.theta[i] - Z_975 * s),
                    p.transform.to_param(min.theta[i] + Z_975 * s),
                );
                [a.min(b), a.max(b)]
            });
            let rse_percent = se
                .map(|s| 100.0 * s / estimate.abs())
                .filter(|r| r.is_finite());
            (
                p.name.clone(),
                Estimate {
                    estimate,
                    se,
                    ci95,
                    rse_percent,
                    transform: p.transform,
                },
            )
        })
        .collect();
    let mut warnings = Vec::new();
    if cov.is_none() {
        warnings.push("the Hessian of −2LL is not positive definite at the optimum: standard errors are not available (a parameter may be unidentifiable from these data)".to_string());
    }
    if !at_bounds.is_empty() {
        warnings.push(format!(
            "{} ended at a bound: no standard error or CI (the bound, not the data, determines the estimate)",
            at_bounds.join(", ")
        ));
    }
    let warning = (!warnings.is_empty()).then(|| warnings.join("; "));
    let profile = profile_index.map(|k| {
        let se_theta = cov
            .as_ref()
            .map(|c| c[(k, k)].sqrt())
            .filter(|s| s.is_finite());
        uncertainty::profile(
            problem,
            subjects,
            k,
            &min.theta,
            min.objective,
            se_theta,
            &options.optimizer,
        )
    });
    let mut convergence = min.convergence;
    convergence.function_evaluations = objective.evaluations();
    Ok(FitResult {
        subjects: subjects
            .iter()
            .map(|&s| problem.subjects[s].id.clone())
            .collect(),
        parameters,
        theta: min.theta,
        objective: ObjectiveSummary::new(
            min.objective,
            problem.n_free(),
            problem.n_observations(subjects),
        ),
        convergence,
        correlation: cov.as_ref().map(uncertainty::correlation),
        warning,
        at_bounds,
        profile,
    })
}

/// Geometric means and between-subject CVs of the individual estimates; with one subject,
/// its own estimates, SEs and CIs (there is no between-subject spread to estimate).
pub fn two_stage(problem: &Problem, fits: &[FitResult]) -> Vec<TwoStage> {
    problem
        .free
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if let [only] = fits {
                let e = &only.parameters[i].1;
                return TwoStage {
                    parameter: p.name.clone(),
                    estimate: e.estimate,
                    se: e.se,
                    ci95: e.ci95,
                    between_subject_cv_percent: None,
                    n: 1,
                };
            }
            let log_scale = p.transform != Transform::Identity;
            let xs: Vec<f64> = fits
                .iter()
                .map(|f| f.parameters[i].1.estimate)
                .map(|v| if log_scale { v.ln() } else { v })
                .filter(|v| v.is_finite())
                .collect();
            let n = xs.len();
            let mean = xs.iter().sum::<f64>() / n.max(1) as f64;
            let sd = (n > 1).then(|| {
                (xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
            });
            let sem = sd.map(|sd| sd / (n as f64).sqrt());
            let back = |v: f64| if log_scale { v.exp() } else { v };
            TwoStage {
                parameter: p.name.clone(),
                estimate: back(mean),
                se: sem.map(|sem| if log_scale { back(mean) * sem } else { sem }),
                ci95: sem.map(|sem| [back(mean - Z_975 * sem), back(mean + Z_975 * sem)]),
                between_subject_cv_percent: sd.map(|sd| {
                    if log_scale {
                        100.0 * ((sd * sd).exp() - 1.0).sqrt()
                    } else {
                        sd
                    }
                }),
                n,
            }
        })
        .collect()
}
