//! Minimizing −2LL(θ) with argmin: Nelder–Mead (default), L-BFGS with central
//! finite-difference gradients, and particle swarm; optional multistart.

use argmin::core::{CostFunction, Error, Executor, Gradient, State, TerminationStatus};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::neldermead::NelderMead;
use argmin::solver::particleswarm::ParticleSwarm;
use argmin::solver::quasinewton::LBFGS;
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
// argmin 0.11's particle swarm takes a rand_core 0.9 generator (rand_xoshiro 0.7)
use rand_xoshiro::rand_core::SeedableRng as _;
use serde::Serialize;

use crate::problem::Problem;

/// Which optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    /// Nelder–Mead simplex.
    NelderMead,
    /// L-BFGS with More–Thuente line search and central finite-difference gradients.
    Lbfgs,
    /// Particle swarm within transformed bounds, polished by Nelder–Mead.
    ParticleSwarm,
}

impl std::str::FromStr for OptimizerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "nelder-mead" | "nm" => Ok(OptimizerKind::NelderMead),
            "lbfgs" | "l-bfgs" => Ok(OptimizerKind::Lbfgs),
            "pso" | "particle-swarm" => Ok(OptimizerKind::ParticleSwarm),
            other => Err(format!(
                "unknown optimizer `{other}`; expected nelder-mead, lbfgs or pso"
            )),
        }
    }
}

/// Optimizer settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OptimizerOptions {
    /// Which optimizer.
    pub kind: OptimizerKind,
    /// Number of starts (the first from the initial values, the others perturbed).
    pub starts: usize,
    /// Iteration limit per start.
    pub max_iters: u64,
    /// Seed for multistart perturbations and the particle swarm.
    pub seed: u64,
}

impl Default for OptimizerOptions {
    fn default() -> Self {
        OptimizerOptions {
            kind: OptimizerKind::NelderMead,
            starts: 1,
            max_iters: 3000,
            seed: 20_261_125,
        }
    }
}

/// How an optimization ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Convergence {
    /// Optimizer used.
    pub optimizer: OptimizerKind,
    /// Whether the best start stopped on its convergence criterion.
    pub converged: bool,
    /// argmin's termination status of the best start.
    pub termination: String,
    /// Iterations of the best start.
    pub iterations: u64,
    /// −2LL evaluations over all starts (including finite-difference ones).
    pub function_evaluations: u64,
    /// Number of starts.
    pub starts: usize,
    /// Best −2LL of each start.
    pub start_objectives: Vec<f64>,
}

/// The minimum found.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// θ at the minimum.
    pub theta: Vec<f64>,
    /// −2LL there.
    pub objective: f64,
    /// How it ended.
    pub convergence: Convergence,
}

/// −2LL over a set of subjects, as an argmin problem; counts its evaluations.
pub struct Objective<'a> {
    problem: &'a Problem,
    subjects: &'a [usize],
    /// Coordinates held fixed at these values (for profiles): (index, θ value).
    pinned: Option<(usize, f64)>,
    evaluations: std::sync::atomic::AtomicU64,
}

impl<'a> Objective<'a> {
    /// −2LL of `subjects`.
    pub fn new(problem: &'a Problem, subjects: &'a [usize]) -> Self {
        Objective {
            problem,
            subjects,
            pinned: None,
            evaluations: 0.into(),
        }
    }

    /// The same with coordinate `index` pinned at `theta` (the optimizer sees one fewer).
    pub fn pinned(problem: &'a Problem, subjects: &'a [usize], index: usize, theta: f64) -> Self {
        Objective {
            problem,
            subjects,
            pinned: Some((index, theta)),
            evaluations: 0.into(),
        }
    }

    /// Full θ from the optimizer's coordinates.
    pub fn expand(&self, x: &[f64]) -> Vec<f64> {
        match self.pinned {
            None => x.to_vec(),
            Some((k, v)) => {
                let mut full = x.to_vec();
                full.insert(k, v);
                full
            }
        }
    }

    /// Optimizer coordinates from a full θ.
    pub fn reduce(&self, theta: &[f64]) -> Vec<f64> {
        match self.pinned {
            None => theta.to_vec(),
            Some((k, _)) => theta
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != k)
                .map(|(_, v)| *v)
                .collect(),
        }
    }

    /// −2LL at the optimizer's coordinates `x`.
    pub fn value(&self, x: &[f64]) -> f64 {
        self.evaluations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.problem.minus2ll(&self.expand(x), self.subjects)
    }

    /// Evaluations so far.
    pub fn evaluations(&self) -> u64 {
        self.evaluations.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// argmin owns its problem; this lends it the objective (and its evaluation counter).
struct Lend<'o, 'a>(&'o Objective<'a>);

impl CostFunction for Lend<'_, '_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok(self.0.value(x))
    }
}

impl Gradient for Lend<'_, '_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        finitediff::vec::central_diff(&|p: &Vec<f64>| Ok(self.0.value(p)))(x)
    }
}

/// Minimizes `objective` from `x0` (optimizer coordinates).
pub fn minimize(
    objective: &Objective<'_>,
    x0: &[f64],
    options: &OptimizerOptions,
) -> Result<Minimum, Error> {
    let mut rng = StdRng::seed_from_u64(options.seed);
    let jitter = Normal::new(0.0, 0.5)?;
    let mut best: Option<(Vec<f64>, f64, String, u64, bool)> = None;
    let mut start_objectives = Vec::new();
    for start in 0..options.starts.max(1) {
        let x_start: Vec<f64> = if start == 0 {
            x0.to_vec()
        } else {
            x0.iter().map(|v| v + jitter.sample(&mut rng)).collect()
        };
        let (x, f, status, iters) = match options.kind {
            OptimizerKind::NelderMead => nelder_mead(objective, &x_start, options.max_iters)?,
            OptimizerKind::Lbfgs => lbfgs(objective, &x_start, options.max_iters)?,
            OptimizerKind::ParticleSwarm => {
                let seed = options.seed.wrapping_add(start as u64);
                let (x, _, _, _) =
                    particle_swarm(objective, &x_start, options.max_iters.min(200), seed)?;
                nelder_mead(objective, &x, options.max_iters)?
            }
        };
        start_objectives.push(f);
        let converged = matches!(status, TerminationStatus::Terminated(ref r) if format!("{r:?}") == "SolverConverged");
        if best.as_ref().is_none_or(|b| f < b.1) {
            best = Some((x, f, format!("{status:?}"), iters, converged));
        }
    }
    let (theta, objective_value, termination, iterations, converged) =
        best.ok_or_else(|| Error::msg("no optimizer start ran"))?;
    Ok(Minimum {
        theta,
        objective: objective_value,
        convergence: Convergence {
            optimizer: options.kind,
            converged,
            termination,
            iterations,
            function_evaluations: objective.evaluations(),
            starts: options.starts.max(1),
            start_objectives,
        },
    })
}

type Outcome = (Vec<f64>, f64, TerminationStatus, u64);

/// Best point, its cost, how the run ended and its iterations (the start if nothing better).
fn unpack<S: State<Param = Vec<f64>, Float = f64>>(state: &S, x0: &[f64]) -> Outcome {
    let x = state
        .get_best_param()
        .cloned()
        .unwrap_or_else(|| x0.to_vec());
    (
        x,
        state.get_best_cost(),
        state.get_termination_status().clone(),
        state.get_iter(),
    )
}

fn nelder_mead(objective: &Objective<'_>, x0: &[f64], max_iters: u64) -> Result<Outcome, Error> {
    // initial simplex: steps of 0.3 on the transformed scale (±35% for a log parameter)
    let simplex: Vec<Vec<f64>> = std::iter::once(x0.to_vec())
        .chain((0..x0.len()).map(|i| {
            let mut v = x0.to_vec();
            v[i] += 0.3;
            v
        }))
        .collect();
    let solver = NelderMead::new(simplex).with_sd_tolerance(1e-7)?;
    let res = Executor::new(Lend(objective), solver)
        .configure(|s| s.max_iters(max_iters))
        .run()?;
    Ok(unpack(res.state(), x0))
}

fn lbfgs(objective: &Objective<'_>, x0: &[f64], max_iters: u64) -> Result<Outcome, Error> {
    // finite-difference gradients of an ODE objective are good to ~1e-6 relative: a gradient
    // tolerance tighter than 1e-3 ends in line-search failures at the optimum
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 7)
        .with_tolerance_grad(1e-3)?
        .with_tolerance_cost(1e-10)?;
    let res = Executor::new(Lend(objective), solver)
        .configure(|s| s.param(x0.to_vec()).max_iters(max_iters))
        .run()?;
    Ok(unpack(res.state(), x0))
}

fn particle_swarm(
    objective: &Objective<'_>,
    x0: &[f64],
    max_iters: u64,
    seed: u64,
) -> Result<Outcome, Error> {
    // a box of ±3 around the start on the transformed scale (a factor of 20 for log parameters)
    let lower: Vec<f64> = x0.iter().map(|v| v - 3.0).collect();
    let upper: Vec<f64> = x0.iter().map(|v| v + 3.0).collect();
    let solver = ParticleSwarm::new((lower, upper), 20 + 5 * x0.len())
        .with_rng_generator(Xoshiro256PlusPlus::seed_from_u64(seed));
    let res = Executor::new(Lend(objective), solver)
        .configure(|s| s.max_iters(max_iters))
        .run()?;
    let state = res.state();
    let (x, f) = state.get_best_param().map_or_else(
        || (x0.to_vec(), f64::INFINITY),
        |p| (p.position.clone(), p.cost),
    );
    Ok((
        x,
        f,
        state.get_termination_status().clone(),
        state.get_iter(),
    ))
}
