//! One simulated patient: doses and switches turned into integration segments.

use serde::Serialize;

use crate::error::SimulationError;
use crate::model::{Dynamics, MAX_STATES, Model, RouteKind, SegmentInputs};
use crate::patient::Patient;
use crate::regimen::{Dose, DoseKind, Regimen};
use crate::solve::integrate::{BLOW_UP, Segment, SolverFailure};
use crate::solve::trajectory::hermite;
use crate::solve::{
    Layout, Node, SegmentOutcome, SolverOptions, SolverStats, Trajectory, integrate_segment,
};

/// What happened at an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A bolus dose or the start of an infusion.
    Dose,
    /// The end of an infusion.
    InfusionEnd,
    /// A model phase switch (e.g. Stein's Tmax).
    PhaseSwitch,
    /// A population fell below one cell and was set to zero.
    Extinction,
    /// An absent population arose as one cell (a seeding event, e.g. antigen loss).
    Seeding,
    /// CAR-T peak (Cmax).
    CarTPeak,
    /// Marrow blasts below 5% (complete remission).
    CompleteRemission,
    /// Marrow blasts below 1e-4 (MRD-negative).
    MrdNegative,
    /// Marrow blasts back above 5% after remission.
    Relapse,
    /// Every leukemic clone extinct.
    Cure,
    /// B cells fell below the aplasia threshold.
    BCellAplasiaStart,
    /// B cells recovered above the aplasia threshold.
    BCellRecovery,
}

/// A discrete event of a simulation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Time [day since CAR-T infusion].
    pub time: f64,
    /// Kind.
    pub kind: EventKind,
    /// Human-readable detail (state, amount).
    pub detail: String,
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// Model with its parameter values.
    pub model: &'a Model,
    /// Patient covariates.
    pub patient: Patient,
    /// Doses, e.g. from [`Regimen::doses`] or from a dataset's dose records.
    pub doses: Vec<Dose>,
    /// Start of the simulation [day]; by default the first dose or day 0, whichever is earlier.
    /// An earlier start lets the untreated disease evolve (e.g. before a baseline sample).
    pub start: Option<f64>,
    /// End of the simulation: follow-up after the CAR-T infusion [day].
    pub days: f64,
    /// Solver settings.
    pub options: SolverOptions,
}

impl<'a> Request<'a> {
    /// A request for `regimen` with a nominal CAR-T dose of `car_t_cells` (`None` for models
    /// without CAR-T), starting at the first dose. AUC-targeted fludarabine is dosed with
    /// `model`'s own clearance for `patient` ([`FludarabineDosing::for_model`](crate::model::FludarabineDosing::for_model)); when `model`
    /// carries one patient's random effects, use [`Request::with_regimen_dosed_by`] instead.
    pub fn with_regimen(
        model: &'a Model,
        patient: Patient,
        regimen: &Regimen,
        car_t_cells: Option<f64>,
        days: f64,
        options: SolverOptions,
    ) -> Self {
        Self::with_regimen_dosed_by(model, model, patient, regimen, car_t_cells, days, options)
    }

    /// As [`Request::with_regimen`], but AUC-targeted fludarabine is dosed with
    /// `dosing_model`'s clearance. Model-informed dosing knows the patient's covariates, not
    /// their random effects: a virtual population simulates each patient's individual `model`
    /// and passes the typical (covariate-only) model here, so the simulated AUC scatters
    /// around the target as it would in the clinic. If `dosing_model` has no fludarabine PK,
    /// AUC-targeted courses are left out ([`Regimen::doses_with`]).
    pub fn with_regimen_dosed_by(
        model: &'a Model,
        dosing_model: &Model,
        patient: Patient,
        regimen: &Regimen,
        car_t_cells: Option<f64>,
        days: f64,
        options: SolverOptions,
    ) -> Self {
        let dosing = crate::model::FludarabineDosing::for_model(dosing_model, &patient);
        Request {
            model,
            patient,
            doses: regimen.doses_with(&patient, car_t_cells, dosing),
            start: None,
            days,
            options,
        }
    }
}

/// The result of one simulation.
pub struct Simulation {
    /// Model name.
    pub model: String,
    /// Bound equations (for observables).
    pub dynamics: Box<dyn Dynamics>,
    /// Dense solution.
    pub trajectory: Trajectory,
    /// Doses given.
    pub doses: Vec<Dose>,
    /// Dose, switch and extinction events, in time order.
    pub events: Vec<Event>,
    /// Integrator work.
    pub stats: SolverStats,
    /// Doses the model has no route for (not simulated).
    pub ignored_doses: Vec<Dose>,
    /// Extinctions: (day, state index), in time order (also in `events`, for reading).
    pub extinctions: Vec<(f64, usize)>,
    /// Seedings of absent populations: (day, state index), in time order (also in `events`).
    pub seedings: Vec<(f64, usize)>,
    /// State names (for messages).
    state_names: Vec<String>,
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation")
            .field("model", &self.model)
            .field("events", &self.events)
            .field("stats", &self.stats)
            .finish()
    }
}

impl Simulation {
    /// States then observables at time `t`; `false` outside the simulated span.
    pub fn columns_at(&self, t: f64, out: &mut [f64]) -> bool {
        let n = self.trajectory.layout().n;
        if !self.trajectory.state_at(t, &mut out[..n]) {
            return false;
        }
        let (x, obs) = out.split_at_mut(n);
        self.dynamics.observe(x, obs);
        true
    }

    /// States then observables at `t` inside an interval's interpolant.
    pub fn columns_in(&self, piece: &crate::solve::Piece, t: f64, out: &mut [f64]) {
        let n = self.trajectory.layout().n;
        piece.state(self.trajectory.layout(), t, &mut out[..n]);
        let (x, obs) = out.split_at_mut(n);
        self.dynamics.observe(x, obs);
    }

    /// States then observables at node `k`.
    pub fn columns_at_node(&self, k: usize, out: &mut [f64]) {
        let n = self.trajectory.layout().n;
        self.trajectory.state_at_node(k, &mut out[..n]);
        let (x, obs) = out.split_at_mut(n);
        self.dynamics.observe(x, obs);
    }

    /// State names in order.
    pub fn state_names(&self) -> &[String] {
        &self.state_names
    }
}

#[derive(Debug, Clone, Copy)]
enum Action {
    Bolus { route: usize, amount: f64 },
    RateChange { route: usize, delta: f64 },
    Phase,
}

/// Longest follow-up a simulation accepts [day] (100 years).
pub const MAX_FOLLOW_UP_DAYS: f64 = 36_500.0;

/// Most times one population may be seeded in a run ([`crate::model::Seed`]). With a fresh
/// Exp(1) threshold per event the count is Poisson with the run's cumulative intensity, which
/// for cart_all's antigen loss is about `mu_neg` × the CD19+ cells killed (≈ 0.2 at the ELIANA
/// calibration); a hundred means a clone that dies out as soon as it arises under an
/// implausible escape rate, and each arrival costs a solver restart.
pub const MAX_SEEDINGS: usize = 100;

/// Checks a follow-up [day]: finite, positive and at most [`MAX_FOLLOW_UP_DAYS`]. Every
/// reader of a follow-up (command line, population, scenario, data) uses this one rule.
pub fn check_follow_up(days: f64) -> Result<(), String> {
    if days.is_finite() && days > 0.0 && days <= MAX_FOLLOW_UP_DAYS {
        Ok(())
    } else {
        Err(format!(
            "expected a follow-up in (0, {MAX_FOLLOW_UP_DAYS}] days, got {days}"
        ))
    }
}

/// Simulates one patient.
pub fn simulate(req: &Request<'_>) -> Result<Simulation, SimulationError> {
    req.options.validate()?;
    if check_follow_up(req.days).is_err() {
        return Err(SimulationError::Setting {
            field: "days",
            expected: "a follow-up in (0, 36500] days",
            found: req.days.to_string(),
        });
    }
    let spec = req.model.spec();
    let layout = Layout::of(spec);
    let dynamics = req.model.dynamics(&req.patient);
    let mut doses = req.doses.clone();
    doses.sort_by(|a, b| a.time.total_cmp(&b.time));
    for dose in &doses {
        if !(dose.time.is_finite() && dose.amount.is_finite() && dose.amount >= 0.0) {
            return Err(SimulationError::Setting {
                field: "doses",
                expected: "finite times and non-negative finite amounts",
                found: format!("{} {} on day {}", dose.amount, dose.route, dose.time),
            });
        }
    }
    let mut initial = [0.0; MAX_STATES];
    req.model
        .initial_state(&req.patient, &mut initial[..layout.n]);
    if let Some((state, value)) = spec
        .states
        .iter()
        .zip(&initial)
        .find(|(_, x)| !(x.is_finite() && **x >= 0.0))
    {
        return Err(SimulationError::Setting {
            field: "initial",
            expected: "finite, non-negative initial values (the model file's `initial` at these parameters)",
            found: format!("{} = {value} (\"{}\")", state.name, state.initial),
        });
    }
    let mut runner = Runner {
        model: spec.name.clone(),
        dynamics: dynamics.as_ref(),
        layout,
        options: req.options,
        inputs: SegmentInputs::default(),
        nodes: Vec::with_capacity(256),
        events: Vec::new(),
        stats: SolverStats::default(),
        ignored: Vec::new(),
        extinctions: Vec::new(),
        seedings: Vec::new(),
        state_names: spec.states.iter().map(|s| s.name.clone()).collect(),
    };
    let actions = runner.schedule(req.model, &doses)?;
    let first = actions.first().map_or(0.0, |(t, _, _)| t.min(0.0));
    let t_start = req.start.map_or(first, |s| s.min(first));
    if !(t_start.is_finite() && t_start < req.days) {
        return Err(SimulationError::Setting {
            field: "start",
            expected: "a start before the end of the simulation",
            found: t_start.to_string(),
        });
    }
    runner.run(t_start, req.days, &initial, &actions)?;
    let Runner {
        nodes,
        events,
        stats,
        ignored,
        state_names,
        extinctions,
        seedings,
        ..
    } = runner;
    let mut trajectory = Trajectory::with_buffer(layout, Vec::new());
    *trajectory.nodes_mut() = nodes;
    Ok(Simulation {
        model: spec.name.clone(),
        dynamics,
        trajectory,
        doses,
        events,
        stats,
        ignored_doses: ignored,
        extinctions,
        seedings,
        state_names,
    })
}

struct Runner<'a> {
    model: String,
    dynamics: &'a dyn Dynamics,
    layout: Layout,
    options: SolverOptions,
    inputs: SegmentInputs,
    nodes: Vec<Node>,
    events: Vec<Event>,
    stats: SolverStats,
    ignored: Vec<Dose>,
    extinctions: Vec<(f64, usize)>,
    seedings: Vec<(f64, usize)>,
    state_names: Vec<String>,
}

impl Runner<'_> {
    /// Actions sorted by time, with the event each one records.
    fn schedule(
        &mut self,
        model: &Model,
        doses: &[Dose],
    ) -> Result<Vec<(f64, Action, Option<Event>)>, SimulationError> {
        let routes = model.routes();
        let mut actions = Vec::new();
        for dose in doses {
            // A drug the model does not describe (e.g. cyclophosphamide for a fludarabine-only
            // PK model) is skipped and reported, not an error.
            let Some(route) = routes.iter().position(|r| r.agent == dose.route) else {
                self.ignored.push(*dose);
                continue;
            };
            let unit = routes[route].unit;
            match (dose.kind, routes[route].kind) {
                (DoseKind::Infusion { duration }, RouteKind::Infusion) => {
                    let rate = dose.amount / duration;
                    actions.push((
                        dose.time,
                        Action::RateChange { route, delta: rate },
                        Some(Event {
                            time: dose.time,
                            kind: EventKind::Dose,
                            detail: format!(
                                "{} {:.4} {unit} over {:.2} h",
                                dose.route,
                                dose.amount,
                                duration * 24.0
                            ),
                        }),
                    ));
                    actions.push((
                        dose.time + duration,
                        Action::RateChange {
                            route,
                            delta: -rate,
                        },
                        Some(Event {
                            time: dose.time + duration,
                            kind: EventKind::InfusionEnd,
                            detail: dose.route.to_string(),
                        }),
                    ));
                }
                (DoseKind::Infusion { duration }, RouteKind::Bolus) => {
                    return Err(SimulationError::Setting {
                        field: "doses",
                        expected: "bolus doses on a bolus route (this model cannot infuse it)",
                        found: format!(
                            "an infusion of {:.4e} {unit} of {} over {:.4} days on day {}",
                            dose.amount, dose.route, duration, dose.time
                        ),
                    });
                }
                (DoseKind::Bolus, RouteKind::Infusion) => {
                    return Err(SimulationError::Setting {
                        field: "doses",
                        expected: "infusions on an infusion route (give a duration or rate)",
                        found: format!(
                            "a bolus of {:.4e} {unit} of {} on day {}",
                            dose.amount, dose.route, dose.time
                        ),
                    });
                }
                (DoseKind::Bolus, RouteKind::Bolus) => actions.push((
                    dose.time,
                    Action::Bolus {
                        route,
                        amount: dose.amount,
                    },
                    Some(Event {
                        time: dose.time,
                        kind: EventKind::Dose,
                        detail: format!("{} {:.4e} {unit}", dose.route, dose.amount),
                    }),
                )),
            }
        }
        for (t, label) in self.dynamics.phase_switches() {
            actions.push((
                t,
                Action::Phase,
                Some(Event {
                    time: t,
                    kind: EventKind::PhaseSwitch,
                    detail: label.to_string(),
                }),
            ));
        }
        actions.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(actions)
    }

    fn run(
        &mut self,
        t_start: f64,
        t_end: f64,
        initial: &[f64; MAX_STATES],
        actions: &[(f64, Action, Option<Event>)],
    ) -> Result<(), SimulationError> {
        let n = self.layout.n;
        let mut x = *initial;
        let mut z = [0.0; MAX_STATES];
        let mut alive = self.layout.to_solver(&x[..n], &mut z[..n]);
        self.push_node(t_start, &z, alive);
        let mut t = t_start;
        let mut next_action = 0;
        loop {
            let mut changed = false;
            while next_action < actions.len() && actions[next_action].0 <= t {
                let (_, action, event) = &actions[next_action];
                if let Some(e) = event {
                    self.events.push(e.clone());
                }
                match *action {
                    Action::Bolus { route, amount } => {
                        self.layout.to_natural(&z[..n], alive, &mut x[..n]);
                        self.dynamics.apply_bolus(route, amount, &mut x[..n]);
                        alive = self.layout.to_solver(&x[..n], &mut z[..n]);
                    }
                    Action::RateChange { route, delta } => {
                        // a new infusion re-activates washed-out drug states
                        alive |= self.layout.washout_mask();
                        let r = &mut self.inputs.rates[route];
                        *r += delta;
                        // the end of the last infusion must leave exactly zero, not round-off
                        if r.abs() <= 1e-9 * delta.abs() {
                            *r = 0.0;
                        }
                    }
                    Action::Phase => self.inputs.phase += 1,
                }
                next_action += 1;
                changed = true;
            }
            if changed {
                self.push_node(t, &z, alive);
            }
            if t >= t_end {
                return Ok(());
            }
            let t_next = actions.get(next_action).map_or(t_end, |a| a.0.min(t_end));
            self.advance(t, t_next, &mut z, &mut alive)?;
            t = t_next;
        }
    }

    /// Appends a node at `t`, evaluating the derivative with the current inputs.
    fn push_node(&mut self, t: f64, z: &[f64; MAX_STATES], alive: u32) {
        let n = self.layout.n;
        let mut x = [0.0; MAX_STATES];
        let mut dx = [0.0; MAX_STATES];
        self.layout.to_natural(&z[..n], alive, &mut x[..n]);
        let mut node = Node {
            t,
            z: *z,
            dz: [0.0; MAX_STATES],
            x,
            alive,
        };
        self.dynamics
            .derivatives(&self.inputs, &x[..n], &mut dx[..n]);
        self.layout
            .to_solver_rate(&x[..n], &dx[..n], alive, &mut node.dz[..n]);
        self.stats.rhs_evaluations += 1;
        self.nodes.push(node);
    }

    /// Integrates from `t0` to `t1` with fixed inputs, handling extinctions.
    fn advance(
        &mut self,
        t0: f64,
        t1: f64,
        z: &mut [f64; MAX_STATES],
        alive: &mut u32,
    ) -> Result<(), SimulationError> {
        let mut t = t0;
        while t < t1 {
            // a population already below one cell (e.g. a tiny bolus) is extinct at once
            if self.options.extinction {
                let below = (0..self.layout.n)
                    .filter(|&i| self.layout.extinction[i] && *alive & (1 << i) != 0 && z[i] < 0.0)
                    .fold(0u32, |m, i| m | (1 << i));
                if below != 0 {
                    self.extinguish(t, below, z, alive);
                }
            }
            let used = u32::try_from(self.stats.accepted_steps + self.stats.rejected_steps)
                .unwrap_or(u32::MAX);
            let seg = Segment {
                dynamics: self.dynamics,
                layout: &self.layout,
                inputs: self.inputs,
                alive: *alive,
                t0: t,
                t1,
                z0: &z[..],
                options: &self.options,
                max_steps: self.options.max_steps.saturating_sub(used).max(1),
                events: true,
            };
            let outcome = integrate_segment(&seg, &mut self.nodes, &mut self.stats)
                .map_err(|SolverFailure(e)| self.failure(e))?;
            let Some(last) = self.nodes.last().copied() else {
                return Ok(());
            };
            match outcome {
                SegmentOutcome::Completed => {
                    *z = last.z;
                    return Ok(());
                }
                SegmentOutcome::BlowUp(i, time) => {
                    if i >= self.layout.n {
                        let (state, value) = ("a derivative".to_string(), f64::NAN);
                        return Err(SimulationError::BlowUp {
                            model: self.model.clone(),
                            state,
                            value,
                            time,
                        });
                    }
                    let mut x = [0.0; MAX_STATES];
                    self.layout.to_natural(&last.z, last.alive, &mut x);
                    let (mut time, mut value) = (time, x[i]);
                    // a log state that passed the limit: report when it crossed, not the step end
                    let k = self.nodes.len() - 2;
                    if self.layout.log[i] && self.nodes[k].z[i] <= BLOW_UP && last.z[i].is_finite()
                    {
                        let (a, b) = (&self.nodes[k], &self.nodes[k + 1]);
                        time = bisect(a.t, b.t, |s| BLOW_UP - hermite(a, b, i, s));
                        value = BLOW_UP.exp();
                    }
                    return Err(SimulationError::BlowUp {
                        model: self.model.clone(),
                        state: self.state_names[i].clone(),
                        value,
                        time,
                    });
                }
                SegmentOutcome::Washout(mask) => {
                    *alive &= !mask;
                    *z = last.z;
                    for i in (0..self.layout.n).filter(|i| mask & (1 << i) != 0) {
                        z[i] = 0.0;
                    }
                    self.push_node(last.t, z, *alive);
                    t = last.t;
                }
                SegmentOutcome::Seed(mask) => {
                    let k = self.nodes.len() - 2;
                    let b = self.nodes[k + 1].t;
                    match self.seed_in_step(k, b, mask, z, alive)? {
                        Some(t_star) => t = t_star,
                        None => return Ok(()),
                    }
                }
                SegmentOutcome::Extinction(mask) => {
                    // locate the earliest crossing of ln x = 0 inside the last step
                    let k = self.nodes.len() - 2;
                    let (a, b) = (self.nodes[k].t, self.nodes[k + 1].t);
                    let mut first: Option<(f64, usize)> = None;
                    for i in (0..self.layout.n).filter(|i| mask & (1 << i) != 0) {
                        let root =
                            bisect(a, b, |s| hermite(&self.nodes[k], &self.nodes[k + 1], i, s));
                        if first.is_none_or(|(r, _)| root < r) {
                            first = Some((root, i));
                        }
                    }
                    let Some((t_star, i_star)) = first else {
                        return Ok(());
                    };
                    // a hazard that reached 1 before this extinction seeds first (the extinction,
                    // later in the step, is found again from there)
                    let crossed_seeds = self
                        .layout
                        .seeds()
                        .iter()
                        .filter(|&&(h, target)| {
                            *alive & (1 << target) == 0
                                && hermite(&self.nodes[k], &self.nodes[k + 1], h, t_star)
                                    * self.layout.scale[h]
                                    >= 1.0
                        })
                        .fold(0u32, |m, &(_, target)| m | (1 << target));
                    if crossed_seeds != 0
                        && let Some(t_seed) =
                            self.seed_in_step(k, t_star, crossed_seeds, z, alive)?
                    {
                        t = t_seed;
                        continue;
                    }
                    // the solver's state at the crossing (ln x = 0), not the interpolant's
                    // (one pass: the population is set to zero there, so a crossing time off by
                    // the interpolant's error, ~1e-5 day, moves nothing else)
                    let t_star =
                        self.integrate_to_crossing(k, t_star, b, i_star, 0.0, *alive, 1)?;
                    let z_star = self.nodes[self.nodes.len() - 1].z;
                    let crossed = (0..self.layout.n)
                        .filter(|&i| mask & (1 << i) != 0 && z_star[i] <= 1e-9)
                        .fold(0u32, |m, i| m | (1 << i));
                    *z = z_star;
                    self.extinguish(t_star, crossed | (1 << i_star), z, alive);
                    t = t_star;
                }
            }
        }
        Ok(())
    }

    /// Seeds, inside the last step (nodes `k`, `k + 1`) and before `before`, the targets in
    /// `mask` whose hazard crosses 1 there: locates the earliest crossing by bisection on the
    /// step's interpolant, cuts the step there and seeds every target whose hazard is at 1.
    /// Returns the seeding time (`None` if no crossing is found).
    fn seed_in_step(
        &mut self,
        k: usize,
        before: f64,
        mask: u32,
        z: &mut [f64; MAX_STATES],
        alive: &mut u32,
    ) -> Result<Option<f64>, SimulationError> {
        let a = self.nodes[k].t;
        let mut first: Option<(f64, usize, f64)> = None;
        for &(h, target) in self.layout.seeds() {
            if mask & (1 << target) == 0 {
                continue;
            }
            let level = 1.0 / self.layout.scale[h];
            let root = bisect(a, before, |s| {
                level - hermite(&self.nodes[k], &self.nodes[k + 1], h, s)
            });
            if first.is_none_or(|(r, _, _)| root < r) {
                first = Some((root, h, level));
            }
        }
        let Some((guess, h, level)) = first else {
            return Ok(None);
        };
        // the solver's state where the hazard reaches 1, not the interpolant's
        // (refined: the hazard must reach 1 where the target is seeded)
        let t_star = self.integrate_to_crossing(k, guess, before, h, level, *alive, 3)?;
        *z = self.nodes[self.nodes.len() - 1].z;
        // every hazard at 1 by now (to the bisection's tolerance) seeds its target
        let (seeds, n_seeds) = (self.layout.seeds, self.layout.n_seeds);
        for (index, &(h, target)) in seeds[..n_seeds].iter().enumerate() {
            if *alive & (1 << target) == 0 && z[h] * self.layout.scale[h] >= 1.0 - 1e-9 {
                self.seed(t_star, index, h, target, z, alive)?;
            }
        }
        self.push_node(t_star, z, *alive);
        Ok(Some(t_star))
    }

    /// Replaces the interpolated end of a step cut at an event by the solver's own state.
    ///
    /// The crossing of solver coordinate `i` through `level` was located at `guess` on the
    /// interpolant of the step after node `k` (cubic Hermite: on the long steps Dop853 takes,
    /// its error reached 2e-5 of the CAR-T count at rtol 1e-9, far above the integration
    /// error). The nodes after `k` are dropped and the solver integrates from node `k` to the
    /// crossing, in up to `passes` passes, each after a Newton step on the computed state (the
    /// node's derivative is exact), within `[t_k, limit]`. The last node is then the solver's
    /// state at the returned crossing time.
    #[allow(clippy::too_many_arguments)]
    fn integrate_to_crossing(
        &mut self,
        k: usize,
        guess: f64,
        limit: f64,
        i: usize,
        level: f64,
        alive: u32,
        passes: usize,
    ) -> Result<f64, SimulationError> {
        let t_k = self.nodes[k].t;
        let mut t = guess.clamp(t_k, limit);
        for pass in 1..=passes {
            self.nodes.truncate(k + 1);
            if t > t_k {
                let z0 = self.nodes[k].z;
                let used = u32::try_from(self.stats.accepted_steps + self.stats.rejected_steps)
                    .unwrap_or(u32::MAX);
                let seg = Segment {
                    dynamics: self.dynamics,
                    layout: &self.layout,
                    inputs: self.inputs,
                    alive,
                    t0: t_k,
                    t1: t,
                    z0: &z0[..],
                    options: &self.options,
                    max_steps: self.options.max_steps.saturating_sub(used).max(1),
                    events: false,
                };
                let outcome = integrate_segment(&seg, &mut self.nodes, &mut self.stats)
                    .map_err(|SolverFailure(e)| self.failure(e))?;
                if let SegmentOutcome::BlowUp(j, time) = outcome {
                    // the step this re-integrates was accepted whole: a blow-up inside it is
                    // reported, not worked around
                    return Err(SimulationError::BlowUp {
                        model: self.model.clone(),
                        state: self
                            .state_names
                            .get(j)
                            .cloned()
                            .unwrap_or_else(|| "a derivative".into()),
                        value: f64::NAN,
                        time,
                    });
                }
            }
            let last = &self.nodes[self.nodes.len() - 1];
            t = last.t;
            if pass == passes {
                break;
            }
            let (miss, rate) = (last.z[i] - level, last.dz[i]);
            if miss.abs() <= 1e-10 * level.abs().max(1.0) || rate == 0.0 {
                break;
            }
            let next = (t - miss / rate).clamp(t_k, limit);
            if (next - t).abs() <= 1e-12 * t.abs().max(1.0) {
                break;
            }
            t = next;
        }
        Ok(t)
    }

    /// Brings one cell of the absent population `target` into being at time `t` and restarts
    /// its hazard `h` (seed number `index`) from the structure's fresh threshold.
    fn seed(
        &mut self,
        t: f64,
        index: usize,
        h: usize,
        target: usize,
        z: &mut [f64; MAX_STATES],
        alive: &mut u32,
    ) -> Result<(), SimulationError> {
        let count = self.seedings.iter().filter(|&&(_, s)| s == target).count() + 1;
        if count > MAX_SEEDINGS {
            return Err(SimulationError::TooManySeedings {
                model: self.model.clone(),
                state: self.state_names[target].clone(),
                hazard: self.state_names[h].clone(),
                count: count - 1,
                time: t,
            });
        }
        self.events.push(Event {
            time: t,
            kind: EventKind::Seeding,
            detail: format!("{} arose (one cell)", self.state_names[target]),
        });
        self.seedings.push((t, target));
        *alive |= 1 << target;
        // ln 1 = 0: one cell, exactly at the extinction threshold (it goes extinct at once
        // only if it shrinks)
        z[target] = 0.0;
        let restart = self
            .dynamics
            .hazard_restart(index, u32::try_from(count).unwrap_or(u32::MAX));
        z[h] = restart / self.layout.scale[h];
        Ok(())
    }

    /// Removes the populations in `mask` at time `t` and records it.
    fn extinguish(&mut self, t: f64, mask: u32, z: &mut [f64; MAX_STATES], alive: &mut u32) {
        for i in (0..self.layout.n).filter(|i| mask & (1 << i) != 0) {
            self.extinctions.push((t, i));
            self.events.push(Event {
                time: t,
                kind: EventKind::Extinction,
                detail: format!("{} fell below 1 cell", self.state_names[i]),
            });
            *alive &= !(1 << i);
            z[i] = 0.0;
        }
        self.push_node(t, z, *alive);
    }

    fn failure(&self, e: ode_solvers::dop_shared::IntegrationError) -> SimulationError {
        use ode_solvers::dop_shared::IntegrationError as E;
        match e {
            E::MaxNumStepReached { x, .. } => SimulationError::TooManySteps {
                model: self.model.clone(),
                time: x,
                max_steps: self.options.max_steps,
            },
            E::StepSizeUnderflow { x } => SimulationError::StepSizeUnderflow {
                model: self.model.clone(),
                time: x,
            },
            E::StiffnessDetected { x } => SimulationError::Stiff {
                model: self.model.clone(),
                time: x,
            },
        }
    }
}

/// Root of `f` on `[a, b]` with `f(a) ≥ 0 > f(b)`, by bisection to 1e-10 day.
fn bisect(mut a: f64, mut b: f64, f: impl Fn(f64) -> f64) -> f64 {
    if f(a) < 0.0 {
        return a;
    }
    while b - a > 1e-10 {
        let m = 0.5 * (a + b);
        if f(m) >= 0.0 { a = m } else { b = m }
    }
    b
}
