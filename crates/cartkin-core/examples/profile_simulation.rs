//! One 5-year `cart_all` simulation with outcomes, repeated, for profilers.
//!
//! The workload of the `cart_all_5y_dopri5_with_outcomes` bench, without criterion's
//! machinery so that `valgrind --tool=callgrind` attributes instructions to cartkin alone
//! (see `scripts/bench/profile.sh`). A counting global allocator reports the allocations
//! and frees of one simulation and of one `Outcomes::compute`.
//!
//! Usage: `cargo run --release -p cartkin-core --example profile_simulation -- [REPS]
//! [--no-outcomes] [--json] [--floor]`; `--json` prints the outcomes (to compare two builds
//! exactly); `--floor` repeats only the RHS evaluations of one simulation, as the bench
//! `cart_all_rhs_floor_one_simulation` does (`benches/shared/cart_all_5y.rs`).

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use cartkin_core::outcome::Outcomes;

use cartkin_core::simulate::simulate;
use cartkin_core::solve::{Layout, SolverOptions};

/// Counts allocations (including reallocations) and frees; forwards to the system allocator.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static FREES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to `System`, which upholds the contract.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same layout as received.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        FREES.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: AllocLayout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[path = "../benches/shared/cart_all_5y.rs"]
mod workload;

#[global_allocator]
static GLOBAL: Counting = Counting;

fn counts() -> (u64, u64) {
    (
        ALLOCS.load(Ordering::Relaxed),
        FREES.load(Ordering::Relaxed),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcomes = !args.iter().any(|a| a == "--no-outcomes");
    let reps: u32 = match args.iter().find(|a| !a.starts_with("--")) {
        Some(n) => n.parse()?,
        None => 200,
    };
    let (model, regimen) = workload::load("cart_all", "eliana");
    let request = workload::request(&model, &regimen, SolverOptions::default());

    // one counted run of each part, outside the repeated loop
    let before = counts();
    let sim = simulate(&request)?;
    let after_sim = counts();
    let out = Outcomes::compute(&sim, model.spec());
    let after_out = counts();
    drop(sim);
    let after_drop = counts();
    println!(
        "per simulation: {} allocations, {} frees (incl. dropping it); Outcomes::compute: {} allocations, {} frees",
        after_sim.0 - before.0,
        after_drop.1 - after_out.1 + after_sim.1 - before.1,
        after_out.0 - after_sim.0,
        after_out.1 - after_sim.1,
    );
    println!(
        "AUC0-28d {:?}, {} RHS evaluations",
        out.car_t.as_ref().map(|c| c.auc_0_28d),
        out.solver.rhs_evaluations
    );

    if args.iter().any(|a| a == "--json") {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }

    if args.iter().any(|a| a == "--floor") {
        let sim = simulate(&request)?;
        let layout = Layout::of(model.spec());
        let dynamics = model.dynamics(&request.patient);
        for _ in 0..reps {
            black_box(workload::replay_rhs(dynamics.as_ref(), &layout, &sim));
        }
        return Ok(());
    }

    for _ in 0..reps {
        let sim = simulate(black_box(&request))?;
        if outcomes {
            black_box(Outcomes::compute(&sim, model.spec()));
        }
        black_box(sim);
    }
    Ok(())
}
