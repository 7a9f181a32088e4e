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
    /// Profile likelihood, if asked for.
    pub profile: Option<Profile>,
}

/// Geometric mean and between-subject variability of individual estimates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwoStage {
    /// Parameter.
    pub parameter: String,
    /// Geometric mean (arithmetic mean for identity-scale parameters).
    pub estimate: f64,
    /// Standard error of that mean (delta method on the log mean).
    pub se: f64,
    /// 95% CI of the mean.
    pub ci95: [f64; 2],
    /// Between-subject CV [%] of a log-normal with the observed SD of ln(estimate)
    /// (SD for identity-scale parameters).
    pub between_subject_cv_percent: f64,
    /// Subjects contributing (successful fits).
    pub n: usize,
}

/// Everything `fit.json` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitReport {
    /// `pooled` or `individual`.
    pub mode: String,
    /// The pooled fit (pooled mode; in individual mode, the first step that estimated the
    /// residual SDs, when they were free).
    pub pooled: Option<FitResult>,
    /// One fit per subject (individual mode), in data order.
    pub individual: Vec<FitResult>,
    /// Two-stage summary of the individual fits.
    pub two_stage: Vec<TwoStage>,
    /// Subjects not fitted individually: no more observations than free parameters.
    pub skipped: Vec<String>,
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
                    setting: "--profile".into(),
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
            setting: "--estimate".into(),
            message: format!(
                "{} observations cannot determine {} free parameters; estimate fewer parameters or fix the residual error (--fix-error)",
                problem.n_observations(&observed),
                problem.n_free()
            ),
        });
    }
    if options.pooled {
        let result = fit_subjects(problem, &all, options, profile_index)?;
        progress();
        return Ok(FitReport {
            mode: "pooled".into(),
            pooled: Some(result),
            individual: Vec::new(),
            two_stage: Vec::new(),
            skipped: Vec::new(),
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
    let individual: Vec<FitResult> = all
        .par_iter()
        .filter(|&&s| individual_problem.n_observations(&[s]) > k)
        .map(|&s| {
            let r = fit_subjects(&individual_problem, &[s], options, profile_index);
            progress();
            r
        })
        .collect::<Result<_, _>>()?;
    if individual.is_empty() {
        return Err(FitError::Setting {
            setting: "--estimate".into(),
            message: format!(
                "no subject has more observations than the {k} free parameters of an individual fit; use --pooled or estimate fewer parameters"
            ),
        });
    }
    let skipped = all
        .iter()
        .filter(|&&s| individual_problem.n_observations(&[s]) <= k)
        .map(|&s| problem.subjects[s].id.clone())
        .collect();
    let two_stage = two_stage(&individual_problem, &individual);
    Ok(FitReport {
        mode: "individual".into(),
        pooled: first_step,
        individual,
        two_stage,
        skipped,
    })
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
    let parameters = problem
        .free
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let se_theta = cov
                .as_ref()
                .map(|c| c[(i, i)].sqrt())
                .filter(|s| s.is_finite());
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
    let warning = cov.is_none().then(|| "the Hessian of −2LL is not positive definite at the optimum: standard errors are not available (a parameter may be unidentifiable from these data)".to_string());
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
        profile,
    })
}

/// Geometric means and between-subject CVs of the individual estimates.
pub fn two_stage(problem: &Problem, fits: &[FitResult]) -> Vec<TwoStage> {
    problem
        .free
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let log_scale = p.transform != Transform::Identity;
            let xs: Vec<f64> = fits
                .iter()
                .map(|f| f.parameters[i].1.estimate)
                .map(|v| if log_scale { v.ln() } else { v })
                .filter(|v| v.is_finite())
                .collect();
            let n = xs.len();
            let mean = xs.iter().sum::<f64>() / n.max(1) as f64;
            let sd = if n > 1 {
                (xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
            } else {
                f64::NAN
            };
            let sem = sd / (n as f64).sqrt();
            let back = |v: f64| if log_scale { v.exp() } else { v };
            TwoStage {
                parameter: p.name.clone(),
                estimate: back(mean),
                se: if log_scale { back(mean) * sem } else { sem },
                ci95: [back(mean - Z_975 * sem), back(mean + Z_975 * sem)],
                between_subject_cv_percent: if log_scale {
                    100.0 * ((sd * sd).exp() - 1.0).sqrt()
                } else {
                    sd
                },
                n,
            }
        })
        .collect()
}
