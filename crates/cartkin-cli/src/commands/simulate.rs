//! `cartkin simulate`: one patient, written as trajectory.csv, outcomes.json and a figure.

use anyhow::{Context, Result, bail};
use cartkin_core::model::{self, DefaultDose, Model};
use cartkin_core::outcome::{self, Outcomes};
use cartkin_core::patient::Patient;
use cartkin_core::regimen::{self, CarTDose};
use cartkin_core::simulate::{self, Request, Simulation};
use cartkin_core::solve::SolverOptions;

use crate::args::SimulateArgs;
use crate::figure::{self, Window};

/// Span of the zoomed figure [days after infusion] and its sampling step [days].
const EARLY_DAYS: f64 = 60.0;
const EARLY_STEP: f64 = 0.05;
/// Finest output grid [day] (≈ 9 s) and largest trajectory table (≈ 20 bytes per value: 1e6
/// rows of cart_all are ≈ 400 MB). The table streams to disk a chunk of rows at a time.
const MIN_STEP: f64 = 1e-4;
const MAX_ROWS: f64 = 1e6;
/// Rows sampled and written at a time.
const CHUNK_ROWS: usize = 8192;
/// Most points of a figure's curves: finer grids are thinned for the figure only.
const FIGURE_POINTS: usize = 5000;
use crate::output::ResultSet;

pub fn run(args: SimulateArgs) -> Result<()> {
    let path = model::resolve(&args.model).context("--model")?;
    let mut model = Model::load(&path)?;
    for assignment in &args.set {
        let (name, value) = parse_assignment(assignment)?;
        model
            .set(name, value)
            .with_context(|| format!("--set {assignment}"))?;
    }
    let spec = model.spec().clone();
    let d = spec.defaults.patient;
    let patient = Patient::new(
        args.weight.unwrap_or(d.weight_kg),
        args.height.unwrap_or(d.height_cm),
        args.bsa,
        args.egfr.unwrap_or(d.egfr),
        args.age.unwrap_or(d.age_years),
        "command line",
    )?;
    let has_car_t = model.takes(cartkin_core::model::Agent::CarT);
    let given = args.dose.dose();
    let dose = given.or_else(|| {
        spec.defaults.dose.map(|d| match d {
            DefaultDose::Cells(c) => CarTDose::Cells(c),
            DefaultDose::PerKg(k) => CarTDose::PerKg(k),
        })
    });
    let regimen = regimen::resolve(args.regimen.as_deref().unwrap_or(&spec.defaults.regimen))
        .context("--regimen")?;
    let dose = dose
        .map(|d| d.validate(&patient, regimen.car_t_fraction(), "command line"))
        .transpose()?;
    if dose.is_some() && !has_car_t && given.is_some() {
        bail!(
            "model `{}` has no CAR-T dosing route (its dose is built into its parameters); drop --dose/--dose-per-kg",
            spec.name
        );
    }
    let car_t_cells = if has_car_t {
        dose.map(|d| d.cells(&patient))
    } else {
        None
    };
    let days = args.days.unwrap_or(spec.defaults.days);
    cartkin_core::simulate::check_follow_up(days).map_err(|m| anyhow::anyhow!("--days: {m}"))?;
    let step = args.step.unwrap_or(spec.defaults.step);
    if !(step.is_finite() && step > 0.0) {
        bail!("--step: expected a positive number of days, got {step}");
    }
    let rows = (days + 60.0) / step;
    if step < MIN_STEP || rows > MAX_ROWS {
        bail!(
            "--step: expected at least {MIN_STEP} day and at most {MAX_ROWS:e} rows in trajectory.csv, got {step} (≈{rows:.2e} rows); choose --step {:.3} or more",
            ((days + 60.0) / MAX_ROWS).max(MIN_STEP)
        );
    }
    let columns = spec.states.len() + spec.observables.len() + 1;
    crate::output::check_output_size(&args.out, rows * columns as f64 * 17.0, "trajectory.csv")?;
    let options = SolverOptions {
        method: args.method.method(),
        rtol: args.rtol,
        atol: args.atol,
        extinction: !args.no_extinction,
        ..SolverOptions::default()
    };
    options.validate()?;
    let request = Request::with_regimen(&model, patient, &regimen, car_t_cells, days, options);
    let mut out = ResultSet::begin(&args.out, "simulate")?;
    let sim = simulate::simulate(&request)?;
    let outcomes = Outcomes::compute(&sim, &spec);
    let notes = notes(&sim, &request, &outcomes, has_car_t);
    let mut notes = notes;
    if regimen.targets_auc()
        && cartkin_core::model::FludarabineDosing::for_model(&model, &patient).is_none()
    {
        notes.push(format!(
            "model `{}` has no fludarabine PK (CL_nr, theta_GFR, eGFR_max, F_dose) to dose fludarabine to a target AUC; that course was not simulated",
            spec.name
        ));
    }
    for dose in &sim.ignored_doses {
        notes.push(format!(
            "model `{}` does not describe {}; the dose on day {} was not simulated",
            spec.name, dose.route, dose.time
        ));
    }

    let grid = time_grid(&sim, step);
    let n_columns = spec.states.len() + spec.observables.len();
    write_trajectory(&mut out, &sim, &spec.column_names(), &grid, n_columns)?;
    out.add(
        "outcomes.json",
        &outcomes_json(&outcomes, &request, &regimen, car_t_cells, &notes)?,
    )?;
    // the figure's own grid: the table's, thinned to at most FIGURE_POINTS
    let stride = grid.len().div_ceil(FIGURE_POINTS).max(1);
    let mut grid: Vec<f64> = grid.iter().copied().step_by(stride).collect();
    let last = sim.trajectory.span().1;
    if grid.last().is_some_and(|t| *t < last) {
        grid.push(last);
    }
    let table = outcome::sample(&sim, &grid, n_columns);
    let subtitle = match car_t_cells {
        Some(cells) => format!("regimen {}, dose {cells:.3e} CAR-T cells", regimen.name),
        None => format!("regimen {}", regimen.name),
    };
    let mut figures = vec![(
        "trajectory".to_string(),
        figure::trajectory_figure(&spec, &grid, &table, &outcomes, &subtitle, Window::Full),
    )];
    // The first weeks hold expansion, remission and CRS: a zoomed figure when the run is long.
    let (t0, t1) = sim.trajectory.span();
    if t1 > EARLY_DAYS * 2.0 {
        let early: Vec<f64> = (0..=((EARLY_DAYS - t0) / EARLY_STEP) as usize)
            .map(|k| t0 + k as f64 * EARLY_STEP)
            .collect();
        let early_table = outcome::sample(&sim, &early, spec.states.len() + spec.observables.len());
        figures.push((
            "trajectory_early".to_string(),
            figure::trajectory_figure(
                &spec,
                &early,
                &early_table,
                &outcomes,
                &format!("first {EARLY_DAYS} days, {subtitle}"),
                Window::Early,
            ),
        ));
    }
    let formats = args.format.formats();
    out.add_figures(&figures, formats)?;
    out.commit_and_list()?;
    print_summary(&outcomes);
    for note in &notes {
        crate::errln!("note: {note}");
    }
    Ok(())
}

/// What the run's results say about its inputs, for the terminal and `outcomes.json`: a
/// model pushed past its plausibility ceilings, a CAR-T dose outside the follow-up.
fn notes(
    sim: &Simulation,
    request: &Request<'_>,
    outcomes: &Outcomes,
    has_car_t: bool,
) -> Vec<String> {
    let mut notes: Vec<String> = outcomes
        .implausible
        .iter()
        .map(|w| format!("warning: {w}: the model is outside what it describes"))
        .collect();
    if has_car_t {
        let (t0, t1) = sim.trajectory.span();
        let given: Vec<f64> = request
            .doses
            .iter()
            .filter(|d| d.route == cartkin_core::model::Agent::CarT)
            .map(|d| d.time)
            .collect();
        if given.is_empty() {
            notes.push("no CAR-T cells were given (the regimen has no [[car_t]] infusion or no dose was set)".into());
        }
        for day in given.iter().filter(|d| **d > t1 || **d < t0) {
            notes.push(format!(
                "the CAR-T infusion on day {day} lies outside the simulated days [{t0}, {t1}] and was not given"
            ));
        }
    }
    notes
}

/// Streams `trajectory.csv`: the grid sampled and written `CHUNK_ROWS` rows at a time.
fn write_trajectory(
    out: &mut ResultSet,
    sim: &Simulation,
    columns: &[&str],
    grid: &[f64],
    n_columns: usize,
) -> Result<()> {
    let mut w = csv::Writer::from_writer(out.create("trajectory.csv")?);
    w.write_record(std::iter::once("time").chain(columns.iter().copied()))?;
    for times in grid.chunks(CHUNK_ROWS) {
        let table = outcome::sample(sim, times, n_columns);
        for (t, row) in times.iter().zip(&table) {
            w.write_record(
                std::iter::once(*t)
                    .chain(row.iter().copied())
                    .map(|v| format!("{v:.10e}")),
            )?;
        }
    }
    let file = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write trajectory.csv: {}", e.error()))?;
    crate::output::finish(file, "trajectory.csv")
}

fn parse_assignment(s: &str) -> Result<(&str, f64)> {
    let Some((name, value)) = s.split_once('=') else {
        bail!("--set {s}: expected PARAM=VALUE, e.g. --set gamma=3.5");
    };
    let value: f64 = value
        .trim()
        .parse()
        .with_context(|| format!("--set {s}: expected a number after `=`, got `{value}`"))?;
    Ok((name.trim(), value))
}

/// Output times: the simulation start, every `step` days, and the end.
fn time_grid(sim: &Simulation, step: f64) -> Vec<f64> {
    let (t0, t1) = sim.trajectory.span();
    let n = ((t1 - t0) / step).floor() as usize;
    let mut grid: Vec<f64> = (0..=n).map(|k| t0 + k as f64 * step).collect();
    if grid.last().is_some_and(|&t| t1 - t > 1e-9 * step) {
        grid.push(t1);
    }
    grid
}

fn outcomes_json(
    outcomes: &Outcomes,
    req: &Request<'_>,
    regimen: &cartkin_core::regimen::Regimen,
    car_t_cells: Option<f64>,
    notes: &[String],
) -> Result<Vec<u8>> {
    let doc = serde_json::json!({
        "model": req.model.name(),
        "parameters": req.model.spec().parameters.iter().zip(req.model.values())
            .map(|(p, v)| (p.name.clone(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
        "patient": req.patient,
        "regimen": regimen,
        // the concrete amounts, e.g. the mg an AUC-targeted fludarabine course gave
        "doses": req.doses,
        "car_t_dose_cells": car_t_cells,
        "days": req.days,
        "solver_options": req.options,
        "outcomes": outcomes,
        "notes": notes,
    });
    let mut bytes = serde_json::to_vec_pretty(&doc)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn print_summary(o: &Outcomes) {
    if let Some(k) = &o.car_t {
        crate::outln!(
            "CAR-T: Cmax {:.4e} {} at day {:.2}; AUC0-28d {:.4e}; fold expansion {:.0}",
            k.cmax,
            k.unit,
            k.tmax_day,
            k.auc_0_28d,
            k.fold_expansion
        );
    }
    if let Some(r) = &o.response {
        let day = |d: Option<f64>| d.map_or("not reached".to_string(), |d| format!("day {d:.2}"));
        crate::outln!(
            "Response: CR {}; MRD-negative {}; cured {}",
            day(r.cr_day),
            day(r.mrd_negative_day),
            r.cured
        );
        if let Some(rel) = &r.relapse {
            let cd22 = rel.cd22.map(|c| c.to_string()).unwrap_or_default();
            crate::outln!("Relapse: {}{cd22} at day {:.1}", rel.cd19, rel.day);
        }
    }
    if let Some(a) = &o.b_cell_aplasia {
        crate::outln!(
            "B-cell aplasia: {:.0} days{}",
            a.duration_days,
            if a.ongoing_at_end { " (ongoing)" } else { "" }
        );
    }
    if let Some(c) = &o.crs {
        crate::outln!(
            "CRS: peak {} {:.1} {} at day {:.2} -> grade {}",
            c.cytokine,
            c.peak,
            c.unit,
            c.peak_day,
            c.grade
        );
    }
    if let Some(auc) = o.fludarabine_auc {
        crate::outln!("Fludarabine AUC: {auc:.2} mg·h/L");
    }
    let s = o.solver;
    crate::outln!(
        "Solver: {} RHS evaluations, {} accepted / {} rejected steps, {} segments",
        s.rhs_evaluations,
        s.accepted_steps,
        s.rejected_steps,
        s.segments
    );
}
