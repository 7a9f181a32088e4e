//! Criterion benchmarks of whole simulations.
//!
//! Run: `cargo bench -p cartkin-core --bench simulate`. Workload IDs name the model, the
//! horizon and what is included. RHS evaluations per simulation are printed once per
//! workload so that "µs per simulation" can be split into evaluations × cost per evaluation.

use std::hint::black_box;

use cartkin_core::outcome::Outcomes;
use cartkin_core::simulate::{Request, simulate};
use cartkin_core::solve::{Layout, Method, SolverOptions};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "shared/cart_all_5y.rs"]
mod shared;

/// One benchmarked simulation.
struct Workload {
    id: &'static str,
    model: &'static str,
    regimen: &'static str,
    cells: Option<f64>,
    days: f64,
    options: SolverOptions,
    outcomes: bool,
}

fn bench_model(c: &mut Criterion, w: Workload) {
    let Workload {
        id,
        model: name,
        regimen: regimen_name,
        cells,
        days,
        options,
        outcomes,
    } = w;
    let (model, regimen) = shared::load(name, regimen_name);
    let request = Request::with_regimen(&model, shared::patient(), &regimen, cells, days, options);
    let stats = simulate(&request).expect("simulation").stats;
    println!(
        "{id}: {} RHS evaluations, {} accepted / {} rejected steps, {} segments",
        stats.rhs_evaluations, stats.accepted_steps, stats.rejected_steps, stats.segments
    );
    c.bench_function(id, |b| {
        b.iter(|| {
            let sim = simulate(black_box(&request)).expect("simulation");
            if outcomes {
                black_box(Outcomes::compute(&sim, model.spec()));
            }
            black_box(sim)
        })
    });
}

/// The floor: the right-hand-side evaluations of one 5-year `cart_all` simulation replayed at
/// its own states, with nothing else (`shared/cart_all_5y.rs`).
fn bench_rhs_floor(c: &mut Criterion) {
    let (model, regimen) = shared::load("cart_all", "eliana");
    let request = shared::request(&model, &regimen, SolverOptions::default());
    let sim = simulate(&request).expect("simulation");
    let layout = Layout::of(model.spec());
    let dynamics = model.dynamics(&request.patient);
    c.bench_function("cart_all_rhs_floor_one_simulation", |b| {
        b.iter(|| {
            black_box(shared::replay_rhs(
                dynamics.as_ref(),
                &layout,
                black_box(&sim),
            ))
        })
    });
}

fn benches(c: &mut Criterion) {
    bench_rhs_floor(c);
    let default = SolverOptions::default();
    let cart_all = |id, options, outcomes| Workload {
        id,
        model: "cart_all",
        regimen: "eliana",
        cells: Some(shared::CELLS),
        days: shared::DAYS,
        options,
        outcomes,
    };
    bench_model(c, cart_all("cart_all_5y_dopri5", default, false));
    bench_model(
        c,
        cart_all("cart_all_5y_dopri5_with_outcomes", default, true),
    );
    let dop853 = SolverOptions {
        method: Method::Dop853,
        ..default
    };
    bench_model(c, cart_all("cart_all_5y_dop853", dop853, false));
    bench_model(
        c,
        Workload {
            id: "leon_triana_365d_dopri5",
            model: "leon_triana_2021",
            regimen: "none",
            cells: Some(1e7),
            days: 365.0,
            options: default,
            outcomes: false,
        },
    );
    bench_model(
        c,
        Workload {
            id: "stein_365d_dopri5",
            model: "stein_2019",
            regimen: "none",
            cells: None,
            days: 365.0,
            options: default,
            outcomes: false,
        },
    );
}

criterion_group! {
    name = simulate_benches;
    config = Criterion::default().sample_size(60).measurement_time(std::time::Duration::from_secs(4));
    targets = benches
}
criterion_main!(simulate_benches);
