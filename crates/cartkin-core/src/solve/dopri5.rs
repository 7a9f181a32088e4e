//! Dormand–Prince 5(4) on fixed-size arrays: the method, step controller (PI, Hairer's
//! defaults as ode_solvers 0.6.2 sets them) and initial step of ode_solvers' `Dopri5`, with the
//! arithmetic of Hairer's DOPRI5 and without ode_solvers' overhead.
//!
//! ode_solvers forms every stage with nalgebra temporaries (a fresh vector per `k·h·a` term),
//! allocates its stage vectors per segment and appends every accepted step to a result list
//! that cartkin never reads; together that was a quarter of a 5-year `cart_all` simulation
//! (BENCHMARKS.md, "One simulation"). Here the stages are plain loops over `[f64; N]` and each
//! accepted step goes straight to [`System::solout`].
//!
//! Stages are `y + h·(Σ a_ij k_j)` as in Hairer's Fortran (ode_solvers adds `(k_j·h)·a_ij`
//! term by term: three operations per term instead of two), and the controller's
//! `err^α · fac_old^−β` is one `exp` of logarithms instead of two `powf` (5% of a simulation's
//! time). Both change results only by round-off: in the tested cases the same steps,
//! evaluations and rejections as ode_solvers (an error within round-off of the tolerance could
//! flip one acceptance), nodes within the tolerance scale of its nodes (test below); cart_all's
//! outcomes moved by < 1e-7 relative. Not implemented because cartkin never uses them: dense
//! output and the stiffness test (`integrate.rs` turns it off).

use ode_solvers::dop_shared::IntegrationError;
use ode_solvers::{SVector, System};

/// Runge–Kutta matrix rows 2..7 (row 7 holds the 5th-order weights: first same as last).
const A: [[f64; 6]; 6] = [
    [1.0 / 5.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0, 0.0],
    [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0, 0.0],
    [
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
        0.0,
        0.0,
    ],
    [
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
        0.0,
    ],
    [
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];
/// Nodes c2..c7.
const C: [f64; 6] = [1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0];
/// Error-estimate weights e1, e3..e7 (e2 = 0).
const E1: f64 = 71.0 / 57600.0;
const E3: f64 = -71.0 / 16695.0;
const E4: f64 = 71.0 / 1920.0;
const E5: f64 = -17253.0 / 339200.0;
const E6: f64 = 22.0 / 525.0;
const E7: f64 = -1.0 / 40.0;

/// A right-hand side that is told which evaluation is at the step's new state (stage 7, first
/// same as last): if the step is accepted, [`System::solout`] is called next with that state.
pub(crate) trait Rhs<const N: usize>: System<f64, SVector<f64, N>> {
    /// The evaluation at the step's new state; a plain one by default.
    fn system_at_step_end(&self, t: f64, y: &SVector<f64, N>, dy: &mut SVector<f64, N>) {
        self.system(t, y, dy)
    }
}

/// ln of the floor of the previous step's error in the PI controller (1e-4, as ode_solvers).
const LN_FAC_OLD_MIN: f64 = -9.210_340_371_976_182;

/// Settings of one integration (ode_solvers' `Dopri5::from_param` arguments that matter).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub rtol: f64,
    pub atol: f64,
    pub safety: f64,
    pub beta: f64,
    pub fac_min: f64,
    pub fac_max: f64,
    pub h_max: f64,
    /// Initial step; 0 to choose it (Hairer's `hinit`).
    pub h0: f64,
    pub n_max: u32,
}

impl Settings {
    /// ode_solvers' `Dopri5::new` defaults (Hairer's): safety 0.9, β 0.04, step factor in
    /// [0.2, 10], the step chosen afresh (`h0` 0).
    pub fn hairer(rtol: f64, atol: f64, h_max: f64, n_max: u32) -> Self {
        Settings {
            rtol,
            atol,
            safety: 0.9,
            beta: 0.04,
            fac_min: 0.2,
            fac_max: 10.0,
            h_max,
            h0: 0.0,
            n_max,
        }
    }
}

/// Work done, as ode_solvers counts it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stats {
    pub num_eval: u32,
    pub accepted_steps: u32,
    pub rejected_steps: u32,
}

fn sign(a: f64, b: f64) -> f64 {
    if b > 0.0 { a.abs() } else { -a.abs() }
}

/// Integrates `f` from `x` to `x_end` starting at `y0`, calling `f.solout` after every
/// accepted step (a `true` ends the integration there).
///
/// Compiled twice, for the baseline x86-64 (SSE2) and for AVX2, and chosen at run time: the
/// stage and error-norm loops over states then run four states per instruction instead of two.
/// The results are bitwise the same (Rust never fuses a multiply and an add, and every state's
/// operations are the same in either width; test `avx2_and_baseline_steps_are_bitwise_equal`).
#[multiversion::multiversion(targets("x86_64+avx+avx2"))]
pub(crate) fn integrate<const N: usize, F: Rhs<N>>(
    f: &mut F,
    x: f64,
    x_end: f64,
    y0: SVector<f64, N>,
    s: &Settings,
) -> Result<Stats, IntegrationError> {
    integrate_body(f, x, x_end, y0, s)
}

/// [`integrate`]'s body, inlined into each of its compiled versions.
#[inline(always)]
fn integrate_body<const N: usize, F: Rhs<N>>(
    f: &mut F,
    mut x: f64,
    x_end: f64,
    y0: SVector<f64, N>,
    s: &Settings,
) -> Result<Stats, IntegrationError> {
    let mut stats = Stats::default();
    let posneg = sign(1.0, x_end - x);
    let h_max = s.h_max.abs();
    let uround = f64::EPSILON;
    // PI controller (ode_solvers' `Controller`)
    let alpha = 0.2 - s.beta * 0.75;
    let inv_n = 1.0 / N as f64;
    let mut ln_fac_old = LN_FAC_OLD_MIN;
    let mut reject = false;

    let mut y = y0;
    let mut h = s.h0;
    if h == 0.0 {
        h = hinit(f, x, &y, posneg, h_max, s.rtol, s.atol);
        stats.num_eval += 2;
    }
    let zero = SVector::<f64, N>::zeros();
    let mut k = [zero; 7];
    f.system(x, &y, &mut k[0]);
    stats.num_eval += 1;

    let mut n_step = 0;
    let mut last = false;
    while !last {
        if n_step > s.n_max {
            return Err(IntegrationError::MaxNumStepReached { x, n_step });
        }
        if 0.1 * h.abs() <= uround * x.abs() {
            return Err(IntegrationError::StepSizeUnderflow { x });
        }
        if (x + 1.01 * h - x_end) * posneg > 0.0 {
            h = x_end - x;
            last = true;
        }
        n_step += 1;

        // stages 2..7 as in Hairer's DOPRI5: y + h·Σ a_ij k_j
        let mut y_next = zero;
        for stage in 1..7 {
            // term by term over all states (j outer) so that the state loop vectorises
            let a = &A[stage - 1];
            for i in 0..N {
                y_next[i] = a[0] * k[0][i];
            }
            for (j, kj) in k.iter().enumerate().take(stage).skip(1) {
                for i in 0..N {
                    y_next[i] += a[j] * kj[i];
                }
            }
            for i in 0..N {
                y_next[i] = y[i] + h * y_next[i];
            }
            if stage < 6 {
                f.system(x + h * C[stage - 1], &y_next, &mut k[stage]);
            } else {
                f.system_at_step_end(x + h * C[stage - 1], &y_next, &mut k[stage]);
            }
        }
        stats.num_eval += 6;

        // error norm: RMS over states of the error estimate over its tolerance scale; the
        // quotients first (independent divisions, vectorised), then four partial sums, so that
        // the divisions and the additions are not one serial chain
        let mut q = [0.0; N];
        for i in 0..N {
            let e = h
                * (E1 * k[0][i]
                    + E3 * k[2][i]
                    + E4 * k[3][i]
                    + E5 * k[4][i]
                    + E6 * k[5][i]
                    + E7 * k[6][i]);
            let sc = s.atol + y[i].abs().max(y_next[i].abs()) * s.rtol;
            q[i] = e / sc;
        }
        let mut partial = [0.0; 4];
        for (i, qi) in q.iter().enumerate() {
            partial[i % 4] += qi * qi;
        }
        // err² (mean square); err itself is only needed through its logarithm
        let err_sq = ((partial[0] + partial[1]) + (partial[2] + partial[3])) * inv_n;

        // Step size control, the PI controller: h_new = h / clamp(err^α · fac_old^−β / safety),
        // computed as h times its reciprocal, safety · exp(β ln fac_old − α ln err) (ln fac_old
        // is the previous accepted step's ln err, floored): one `exp` and one `ln` instead of two
        // `powf`, and no division on the chain from one step's error to the next step's size.
        let ln_err = 0.5 * err_sq.ln();
        let growth = s.fac_max.min(
            s.fac_min
                .max(s.safety * (s.beta * ln_fac_old - alpha * ln_err).exp()),
        );
        let mut h_new = h * growth;
        if err_sq <= 1.0 {
            ln_fac_old = ln_err.max(LN_FAC_OLD_MIN);
            if h_new.abs() > h_max {
                h_new = posneg * h_max;
            }
            if reject {
                h_new = posneg * h_new.abs().min(h.abs());
            }
            reject = false;
            stats.accepted_steps += 1;

            // first same as last: the new state's rates start the next step
            k[0] = k[6];
            y = y_next;
            x += h;
            if f.solout(x, &y_next, &k[0]) {
                last = true;
            }
            if last {
                return Ok(stats);
            }
        } else {
            h_new = h * s.fac_min.max(s.safety * (-alpha * ln_err).exp());
            reject = true;
            last = false;
            if stats.accepted_steps >= 1 {
                stats.rejected_steps += 1;
            }
        }
        h = h_new;
    }
    Ok(stats)
}

/// Initial step size (Hairer & Wanner's `hinit`, as in ode_solvers).
fn hinit<const N: usize, F: System<f64, SVector<f64, N>>>(
    f: &F,
    x: f64,
    y: &SVector<f64, N>,
    posneg: f64,
    h_max: f64,
    rtol: f64,
    atol: f64,
) -> f64 {
    let mut f0 = SVector::<f64, N>::zeros();
    f.system(x, y, &mut f0);
    let (mut d0, mut d1) = (0.0, 0.0);
    for i in 0..N {
        let sci = atol + y[i].abs() * rtol;
        d0 += (y[i] / sci) * (y[i] / sci);
        d1 += (f0[i] / sci) * (f0[i] / sci);
    }
    let tol = 1.0e-10;
    let mut h0 = if d0 < tol || d1 < tol {
        1.0e-6
    } else {
        0.01 * (d0 / d1).sqrt()
    };
    h0 = h0.min(h_max);
    h0 = sign(h0, posneg);

    let mut y1 = SVector::<f64, N>::zeros();
    for i in 0..N {
        y1[i] = y[i] + f0[i] * h0;
    }
    let mut f1 = SVector::<f64, N>::zeros();
    f.system(x + h0, &y1, &mut f1);
    let mut d2 = 0.0;
    for i in 0..N {
        let sci = atol + y[i].abs() * rtol;
        d2 += ((f1[i] - f0[i]) / sci) * ((f1[i] - f0[i]) / sci);
    }
    d2 = d2.sqrt() / h0;

    let h1 = if d1.sqrt().max(d2.abs()) <= 1.0e-15 {
        1.0e-6_f64.max(h0.abs() * 1.0e-3)
    } else {
        (0.01 / d1.sqrt().max(d2)).powf(1.0 / 5.0)
    };
    sign((100.0 * h0.abs()).min(h1.min(h_max)), posneg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ode_solvers::{Dopri5, OutputType};

    /// Van der Pol (μ = 8: fast and slow phases, rejected steps) plus a fast linear decay
    /// (a stability-limited mode like fludarabine's), recording every accepted step. The same
    /// steps, evaluations and rejections as ode_solvers, and every node within the tolerance
    /// scale `atol + rtol·|y|` of its node.
    type Step = (f64, [f64; 3], [f64; 3]);

    struct Test<'a> {
        steps: &'a mut Vec<Step>,
        stop_after: usize,
    }

    impl Rhs<3> for Test<'_> {}

    impl System<f64, SVector<f64, 3>> for Test<'_> {
        fn system(&self, _t: f64, y: &SVector<f64, 3>, dy: &mut SVector<f64, 3>) {
            dy[0] = y[1];
            dy[1] = 8.0 * (1.0 - y[0] * y[0]) * y[1] - y[0];
            dy[2] = -23.0 * y[2] + y[0].exp();
        }
        fn solout(&mut self, t: f64, y: &SVector<f64, 3>, dy: &SVector<f64, 3>) -> bool {
            self.steps
                .push((t, [y[0], y[1], y[2]], [dy[0], dy[1], dy[2]]));
            self.steps.len() >= self.stop_after
        }
    }

    #[test]
    fn steps_agree_with_ode_solvers_to_round_off() {
        let mut rejections = 0;
        for (rtol, atol, end, stop_after) in [
            (1e-6, 1e-8, 40.0, usize::MAX),
            (1e-3, 1e-6, 40.0, usize::MAX),
            (1e-9, 1e-11, 5.0, usize::MAX),
            (1e-6, 1e-8, 40.0, 57),
        ] {
            let y0 = SVector::<f64, 3>::new(2.0, 0.0, 1.0);
            let (mut reference, mut ours) = (Vec::new(), Vec::new());
            let mut solver = Dopri5::from_param(
                Test {
                    steps: &mut reference,
                    stop_after,
                },
                0.0,
                end,
                end,
                y0,
                rtol,
                atol,
                0.9,
                0.04,
                0.2,
                10.0,
                end,
                0.0,
                100_000,
                u32::MAX,
                OutputType::Sparse,
            );
            let expected = solver.integrate().expect("ode_solvers integrates");
            drop(solver);
            let settings = Settings::hairer(rtol, atol, end, 100_000);
            let mut test = Test {
                steps: &mut ours,
                stop_after,
            };
            let stats = integrate(&mut test, 0.0, end, y0, &settings).expect("integrates");
            assert_eq!(
                (stats.num_eval, stats.accepted_steps, stats.rejected_steps),
                (
                    expected.num_eval,
                    expected.accepted_steps,
                    expected.rejected_steps
                ),
                "rtol {rtol}"
            );
            rejections += expected.rejected_steps;
            assert_eq!(ours.len(), reference.len());
            let mut worst: f64 = 0.0;
            for ((ta, ya, da), (tb, yb, db)) in ours.iter().zip(&reference) {
                worst = worst.max((ta - tb).abs() / tb.abs().max(1.0));
                for i in 0..3 {
                    let scale = atol + rtol * yb[i].abs();
                    worst = worst.max((ya[i] - yb[i]).abs() / scale);
                    worst = worst.max((da[i] - db[i]).abs() / (atol + rtol * db[i].abs()));
                }
            }
            // A wrong coefficient would show as ~1/rtol units. Round-off alone (the sums are
            // grouped as in Hairer's code, not as in ode_solvers') gives ~1e-3 units at rtol 1e-6
            // and up to 1.5 at 1e-9, where 1e-16 per step over ~2,000 steps of Van der Pol's
            // sensitive phases nears the tolerance itself.
            assert!(worst < 4.0, "rtol {rtol}: {worst:e} tolerance units apart");
        }
        assert!(rejections > 0, "the cases exercise rejected steps");
    }

    /// Twelve states (three AVX2 vectors, six SSE2 ones): four Van der Pol oscillators of
    /// different stiffness and four decays driven by them.
    struct Twelve<'a>(&'a mut Vec<(f64, [f64; 12])>);

    impl Rhs<12> for Twelve<'_> {}

    impl System<f64, SVector<f64, 12>> for Twelve<'_> {
        fn system(&self, _t: f64, y: &SVector<f64, 12>, dy: &mut SVector<f64, 12>) {
            for j in 0..4 {
                let mu = 1.0 + 3.0 * j as f64;
                dy[2 * j] = y[2 * j + 1];
                dy[2 * j + 1] = mu * (1.0 - y[2 * j] * y[2 * j]) * y[2 * j + 1] - y[2 * j];
                dy[8 + j] = -(5.0 + 6.0 * j as f64) * y[8 + j] + y[2 * j].exp();
            }
        }
        fn solout(&mut self, t: f64, y: &SVector<f64, 12>, _dy: &SVector<f64, 12>) -> bool {
            self.0.push((t, std::array::from_fn(|i| y[i])));
            false
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_and_baseline_steps_are_bitwise_equal() {
        // `integrate` dispatches to its AVX2 version where the CPU has AVX2 (CI's and this
        // machine's do); `integrate_body` called here is compiled for the baseline.
        if !std::is_x86_feature_detected!("avx2") {
            eprintln!("no AVX2 on this CPU: both calls run the baseline build, nothing to compare");
            return;
        }
        let settings = Settings::hairer(1e-6, 1e-8, 30.0, 100_000);
        let y0 = SVector::<f64, 12>::from_fn(|i, _| if i < 8 { 2.0 - 0.3 * i as f64 } else { 1.0 });
        let (mut dispatched, mut baseline) = (Vec::new(), Vec::new());
        integrate(&mut Twelve(&mut dispatched), 0.0, 30.0, y0, &settings).expect("integrates");
        integrate_body(&mut Twelve(&mut baseline), 0.0, 30.0, y0, &settings).expect("integrates");
        assert!(dispatched.len() > 300, "{} steps", dispatched.len());
        assert_eq!(format!("{dispatched:?}"), format!("{baseline:?}"));
    }
}
