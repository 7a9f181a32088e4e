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
/// Finest output grid [day] (≈ 9 s) and largest trajectory table.
const MIN_STEP: f64 = 1e-4;
const MAX_ROWS: f64 = 5e6;
use crate::output::Outputs;

pub fn run(args: SimulateArgs) -> Result<()> {
    let path = model::resolve(&args.model)?;
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
    let has_car_t = model.routes().iter().any(|r| r.name == "car_t");
    let given = args.dose.dose();
    let dose = given.or_else(|| {
        spec.defaults.dose.map(|d| match d {
            DefaultDose::Cells(c) => CarTDose::Cells(c),
            DefaultDose::PerKg(k) => CarTDose::PerKg(k),
        })
    });
    let dose = dose
        .map(|d| d.validate(&patient, "command line"))
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
    let regimen = regimen::resolve(args.regimen.as_deref().unwrap_or(&spec.defaults.regimen))?;
    let days = args.days.unwrap_or(spec.defaults.days);
    let step = args.step.unwrap_or(spec.defaults.step);
    if !(step.is_finite() && step > 0.0) {
        bail!("--step: expected a positive number of days, got {step}");
    }
    let rows = (days + 60.0) / step;
    if step < MIN_STEP || rows > MAX_ROWS {
        bail!(
            "--step: expected at least {MIN_STEP} day and at most {MAX_ROWS:e} rows in trajectory.csv, got {step} (≈{rows:.2e} rows)"
        );
    }
    let options = SolverOptions {
        method: args.method.method(),
        rtol: args.rtol,
        atol: args.atol,
        extinction: !args.no_extinction,
        ..SolverOptions::default()
    };
    let request = Request::with_regimen(&model, patient, &regimen, car_t_cells, days, options);
    let sim = simulate::simulate(&request)?;
    let outcomes = Outcomes::compute(&sim, &spec);
    if regimen.targets_auc() && model.fludarabine_dosing(&patient).is_none() {
        eprintln!(
            "note: model `{}` has no fludarabine PK (CL_nr, theta_GFR, eGFR_max, F_dose) to dose fludarabine to a target AUC; that course was not simulated",
            spec.name
        );
    }
    for dose in &sim.ignored_doses {
        eprintln!(
            "note: model `{}` does not describe {}; the dose on day {} was not simulated",
            spec.name, dose.route, dose.time
        );
    }

    let grid = time_grid(&sim, step);
    let table = outcome::sample(&sim, &grid, spec.states.len() + spec.observables.len());
    let mut outputs = Outputs::default();
    outputs.add(
        &args.out,
        "trajectory.csv",
        trajectory_csv(&spec.column_names(), &grid, &table)?,
    );
    outputs.add(
        &args.out,
        "outcomes.json",
        outcomes_json(&outcomes, &request, &regimen, car_t_cells)?,
    );
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
    outputs.add_figures(&args.out, &figures, formats)?;
    outputs.commit_and_list(&args.out)?;
    print_summary(&outcomes);
    Ok(())
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

fn trajectory_csv(columns: &[&str], grid: &[f64], table: &[Vec<f64>]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(std::iter::once("time").chain(columns.iter().copied()))?;
    for (t, row) in grid.iter().zip(table) {
        w.write_record(
            std::iter::once(*t)
                .chain(row.iter().copied())
                .map(|v| format!("{v:.10e}")),
        )?;
    }
    w.into_inner().context("finishing trajectory.csv")
}

fn outcomes_json(
    outcomes: &Outcomes,
    req: &Request<'_>,
    regimen: &cartkin_core::regimen::Regimen,
    car_t_cells: Option<f64>,
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
    });
    let mut bytes = serde_json::to_vec_pretty(&doc)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn print_summary(o: &Outcomes) {
    if let Some(k) = &o.car_t {
        println!(
            "CAR-T: Cmax {:.4e} {} at day {:.2}; AUC0-28d {:.4e}; fold expansion {:.0}",
            k.cmax, k.unit, k.tmax_day, k.auc_0_28d, k.fold_expansion
        );
    }
    if let Some(r) = &o.response {
        let day = |d: Option<f64>| d.map_or("not reached".to_string(), |d| format!("day {d:.2}"));
        println!(
            "Response: CR {}; MRD-negative {}; cured {}",
            day(r.cr_day),
            day(r.mrd_negative_day),
            r.cured
        );
        if let Some(rel) = &r.relapse {
            let cd22 = rel.cd22.as_deref().unwrap_or_default();
            println!("Relapse: {}{cd22} at day {:.1}", rel.cd19, rel.day);
        }
    }
    if let Some(a) = &o.b_cell_aplasia {
        println!(
            "B-cell aplasia: {:.0} days{}",
            a.duration_days,
            if a.ongoing_at_end { " (ongoing)" } else { "" }
        );
    }
    if let Some(c) = &o.crs {
        println!(
            "CRS: peak {} {:.1} {} at day {:.2} -> grade {}",
            c.cytokine, c.peak, c.unit, c.peak_day, c.grade
        );
    }
    if let Some(auc) = o.fludarabine_auc {
        println!("Fludarabine AUC: {auc:.2} mg·h/L");
    }
    let s = o.solver;
    println!(
        "Solver: {} RHS evaluations, {} accepted / {} rejected steps, {} segments",
        s.rhs_evaluations, s.accepted_steps, s.rejected_steps, s.segments
    );
}
