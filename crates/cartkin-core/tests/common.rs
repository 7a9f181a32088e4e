//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]

use cartkin_core::model::{self, Model};
use cartkin_core::patient::Patient;
use cartkin_core::regimen::{self, Regimen};
use cartkin_core::simulate::{self, Request, Simulation};
use cartkin_core::solve::SolverOptions;

pub fn load(name: &str) -> Model {
    Model::load(&model::resolve(name).expect("bundled model")).expect("valid model")
}

pub fn child() -> Patient {
    Patient::new(35.0, 140.0, None, 120.0, 11.0, "test").expect("valid patient")
}

pub fn regimen(name: &str) -> Regimen {
    regimen::resolve(name).expect("named regimen")
}

pub fn run(
    model: &Model,
    regimen: &Regimen,
    cells: Option<f64>,
    days: f64,
    options: SolverOptions,
) -> Simulation {
    simulate::simulate(&Request::with_regimen(
        model,
        child(),
        regimen,
        cells,
        days,
        options,
    ))
    .expect("simulation succeeds")
}

pub fn tight(rtol: f64) -> SolverOptions {
    SolverOptions {
        rtol,
        atol: rtol * 1e-2,
        max_steps: 2_000_000,
        ..SolverOptions::default()
    }
}

/// Column `name` of `sim` at time `t`.
pub fn value(sim: &Simulation, model: &Model, name: &str, t: f64) -> f64 {
    let i = model.spec().column_index(name).expect("column exists");
    let mut buf = [0.0; cartkin_core::outcome::MAX_COLUMNS];
    assert!(sim.columns_at(t, &mut buf), "t = {t} inside the simulation");
    buf[i]
}
