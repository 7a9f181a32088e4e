//! Solver accuracy against exact solutions.
//!
//! * Stein 2019 has a closed form (piecewise exponential / biexponential). At rtol = 1e-12 the
//!   integrated and interpolated transgene must match it to a relative error below 1e-8 — the
//!   bound the issue sets; it leaves four orders of magnitude for the Hermite interpolation.
//! * The Langenhorst fludarabine model is linear: its exact solution under zero-order infusions
//!   is a sum of exponentials, computed here from the eigen-decomposition of the
//!   (symmetrisable) compartment matrix, independently of the ODE solver.

mod common;

use approx::assert_relative_eq;
use cartkin_core::model::builtin::{FludarabineParams, FludarabinePk, SteinParams};
use cartkin_core::solve::{Method, SolverOptions};
use common::*;
use nalgebra::{Matrix3, Vector3};

fn stein_params(model: &cartkin_core::model::Model) -> SteinParams {
    SteinParams::from_values(SteinParams::NAMES.map(|n| model.get(n).expect("parameter")))
}

#[test]
fn stein_matches_its_closed_form_to_1e_8_with_both_methods() {
    let model = load("stein_2019");
    let exact = stein_params(&model);
    for method in [Method::Dopri5, Method::Dop853] {
        let sim = run(
            &model,
            &regimen("none"),
            None,
            400.0,
            SolverOptions {
                method,
                ..tight(1e-12)
            },
        );
        let mut worst: f64 = 0.0;
        // a grid that does not line up with steps, including both sides of Tmax
        for k in 0..=4000 {
            let t = k as f64 * 0.1 + 0.013;
            if t > 400.0 {
                break;
            }
            let got = value(&sim, &model, "transgene", t);
            worst = worst.max((got / exact.transgene(t) - 1.0).abs());
        }
        assert!(worst < 1e-8, "{method:?}: worst relative error {worst:e}");
    }
}

#[test]
fn stein_outcomes_match_the_published_typical_curve() {
    let model = load("stein_2019");
    let sim = run(
        &model,
        &regimen("none"),
        None,
        365.0,
        SolverOptions::default(),
    );
    let out = cartkin_core::outcome::Outcomes::compute(&sim, model.spec());
    let k = out.car_t.expect("CAR-T kinetics");
    // Cmax and Tmax are parameters of the model: recovered to the interpolation tolerance
    assert_relative_eq!(k.cmax, 24_000.0, max_relative = 1e-5);
    assert!((k.tmax_day - 9.3).abs() < 1e-3, "Tmax {}", k.tmax_day);
    assert_relative_eq!(k.fold_expansion, 3900.0, max_relative = 1e-5);
    // AUC0-28d of the closed form, by fine trapezoids (error < 1e-6 relative)
    let exact = stein_params(&model);
    let n = 280_000;
    let h = 28.0 / n as f64;
    let auc: f64 = (0..n)
        .map(|i| 0.5 * h * (exact.transgene(i as f64 * h) + exact.transgene((i + 1) as f64 * h)))
        .sum();
    assert_relative_eq!(k.auc_0_28d, auc, max_relative = 1e-5);
    // the reference's derived values: C(28 d) ≈ 1,370 and C(365 d) ≈ 61 copies/µg
    assert!((value(&sim, &model, "transgene", 28.0) - 1370.0).abs() < 10.0);
    assert!((value(&sim, &model, "transgene", 365.0) - 61.0).abs() < 1.0);
}

/// Exact central amount of a 3-compartment model after the given infusions.
struct Analytic {
    /// Eigenvalues (negative) and the matrices mapping inputs and states.
    lambda: Vector3<f64>,
    v: Matrix3<f64>,
    v_inv: Matrix3<f64>,
}

impl Analytic {
    fn new(pk: &FludarabinePk) -> Self {
        // dA/dt = K A + b with K below; K is similar to a symmetric matrix through the volumes
        // (k12 V1 = k21 V2), so its eigenvalues are real and negative.
        let k = Matrix3::new(
            -(pk.k10 + pk.k12 + pk.k13),
            pk.k21,
            pk.k31,
            pk.k12,
            -pk.k21,
            0.0,
            pk.k13,
            0.0,
            -pk.k31,
        );
        k.eigen_qr_like()
    }

    /// Amounts at time `t` after infusions (start, duration, rate into A1) from zero.
    fn amounts(&self, infusions: &[(f64, f64, f64)], t: f64) -> Vector3<f64> {
        let mut a = Vector3::zeros();
        for &(start, duration, rate) in infusions {
            if t <= start {
                continue;
            }
            // modal coordinates: each mode j obeys dq/dt = λ q + r_j
            let r = self.v_inv * Vector3::new(rate, 0.0, 0.0);
            let on = (t - start).min(duration);
            let off = (t - start - duration).max(0.0);
            let q = Vector3::from_fn(|j, _| {
                let l = self.lambda[j];
                r[j] * ((l * on).exp() - 1.0) / l * (l * off).exp()
            });
            a += self.v * q;
        }
        a
    }
}

trait EigenReal {
    fn eigen_qr_like(&self) -> Analytic;
}

impl EigenReal for Matrix3<f64> {
    fn eigen_qr_like(&self) -> Analytic {
        // Symmetrise with S = D^{1/2} K D^{-1/2} where D makes it symmetric: for this structure
        // D = diag(1, k21/k12, k31/k13) makes S symmetric: S_ij = √d_i K_ij / √d_j.
        let d = Vector3::new(
            1.0,
            self[(0, 1)] / self[(1, 0)],
            self[(0, 2)] / self[(2, 0)],
        );
        let sq = d.map(f64::sqrt);
        let s = Matrix3::from_fn(|i, j| sq[i] * self[(i, j)] / sq[j]);
        let s = 0.5 * (s + s.transpose());
        let eig = s.symmetric_eigen();
        // K = D^{-1/2} Q Λ Qᵀ D^{1/2}
        let v = Matrix3::from_diagonal(&sq.map(|x| 1.0 / x)) * eig.eigenvectors;
        let v_inv = eig.eigenvectors.transpose() * Matrix3::from_diagonal(&sq);
        Analytic {
            lambda: eig.eigenvalues,
            v,
            v_inv,
        }
    }
}

#[test]
fn fludarabine_matches_the_multi_exponential_solution() {
    let model = load("fludarabine_langenhorst_2019");
    let patient = child();
    let values = FludarabineParams::NAMES.map(|n| model.get(n).expect("parameter"));
    let pk = FludarabinePk::from_typical(FludarabineParams::from_values(values), &patient);
    let exact = Analytic::new(&pk);
    let eliana = regimen("eliana");
    let doses = eliana.doses(&patient, None);
    let infusions: Vec<(f64, f64, f64)> = doses
        .iter()
        .filter(|d| d.route == cartkin_core::model::Agent::Fludarabine)
        .map(|d| match d.kind {
            cartkin_core::regimen::DoseKind::Infusion { duration } => {
                (d.time, duration, pk.f_dose * d.amount / duration)
            }
            cartkin_core::regimen::DoseKind::Bolus => unreachable!("fludarabine is infused"),
        })
        .collect();
    assert_eq!(infusions.len(), 4);
    let sim = run(&model, &eliana, None, 3.0, tight(1e-10));
    let mut worst: f64 = 0.0;
    for k in 0..=800 {
        let t = -5.0 + k as f64 * 0.01;
        let a = exact.amounts(&infusions, t);
        for (i, name) in ["A1", "A2", "A3"].iter().enumerate() {
            if a[i] > 1e-6 {
                worst = worst.max((value(&sim, &model, name, t) / a[i] - 1.0).abs());
            }
        }
    }
    // rtol 1e-10: the integrated and interpolated amounts agree to better than 1e-7
    assert!(worst < 1e-7, "worst relative error {worst:e}");
    // total AUC = F·dose/CL exactly, once everything is eliminated (check at day 3 minus the tail)
    let dose_total: f64 = infusions.iter().map(|(_, d, r)| d * r).sum();
    let cl_l_per_h = pk.k10 * pk.v1 / 24.0;
    let auc_inf = dose_total / cl_l_per_h;
    let auc_3 = value(&sim, &model, "AUC", 3.0);
    assert!(
        auc_3 < auc_inf && auc_3 > 0.9 * auc_inf,
        "AUC(3 d) {auc_3} vs AUC(inf) {auc_inf}"
    );
}

#[test]
fn fludarabine_auc_is_dose_linear_and_monotone() {
    let model = load("fludarabine_langenhorst_2019");
    let text = |dose: f64| {
        format!(
            "name = \"flu\"\n[[drug]]\ndrug = \"fludarabine\"\ndose_mg_per_m2 = {dose}\ndays = [-4.0, -3.0, -2.0]\ninfusion_hours = 0.5\n"
        )
    };
    let reg = |dose: f64| {
        cartkin_core::regimen::parse(std::path::Path::new("test.toml"), &text(dose))
            .expect("valid regimen")
    };
    let low = run(&model, &reg(20.0), None, 5.0, tight(1e-9));
    let high = run(&model, &reg(40.0), None, 5.0, tight(1e-9));
    let mut previous = 0.0;
    for k in 0..=900 {
        let t = -4.0 + k as f64 * 0.01;
        let (a, b) = (
            value(&low, &model, "AUC", t),
            value(&high, &model, "AUC", t),
        );
        assert!(a >= previous - 1e-9, "AUC decreased at t = {t}");
        previous = a;
        if a > 1e-6 {
            assert_relative_eq!(b, 2.0 * a, max_relative = 1e-6);
        }
    }
}

/// The AUC quadrature (Gauss–Legendre per step: 3 points where |r·h| ≤ 0.2, else 5) against a
/// fine composite Simpson rule on the same interpolant, for cart_all at default tolerances,
/// where most expansion steps take 3 points. Measured 6e-12 relative (7e-14 with 5 points
/// everywhere); the bound 1e-10 is far below the interpolation error itself (≈ rtol = 1e-6).
/// 3 points on every step gave 9e-9 here but 9e-4 on Stein's AUC (`stein_outcomes_…` above),
/// whose log-linear growth the error control crosses in a few wide steps.
#[test]
fn auc_quadrature_matches_a_fine_rule_on_the_interpolant() {
    let model = load("cart_all");
    let sim = run(
        &model,
        &regimen("eliana"),
        Some(3e6 * 35.0),
        120.0,
        SolverOptions::default(),
    );
    let spec = model.spec();
    let table = cartkin_core::outcome::NodeTable::new(&sim, spec);
    let index = spec
        .outcomes
        .car_t
        .as_ref()
        .and_then(|name| spec.column_index(name))
        .expect("a CAR-T column");
    let column = table.column(index);
    let got = column.integral(0.0, 28.0);
    // Simpson with 64 panels per step (error ≈ (r·h/64)⁴ / 180, far below 1e-12)
    let nodes = sim.trajectory.nodes();
    let mut fine = 0.0;
    for pair in nodes.windows(2) {
        let (a, b) = (pair[0].t.max(0.0), pair[1].t.min(28.0));
        if b <= a {
            continue;
        }
        let h = (b - a) / 128.0;
        // interior points only: `at` of a node is the right-continuous value, which differs
        // from this interval's limit where a dose jumps
        let f = |t: f64| column.at(t.clamp(a + 1e-12 * (b - a), b - 1e-12 * (b - a)));
        let mut s = f(a) + f(b);
        for j in 1..128 {
            s += if j % 2 == 1 { 4.0 } else { 2.0 } * f(a + j as f64 * h);
        }
        fine += s * h / 3.0;
    }
    let steps = nodes.iter().filter(|n| n.t > 0.0 && n.t < 28.0).count();
    assert!(steps > 50, "expansion is resolved by many steps ({steps})");
    // and most of them take the 3-point rule (the column's states at both ends of a step)
    let n = sim.trajectory.layout().n;
    let reads = sim.dynamics.observable_inputs(index - n);
    let short = nodes
        .windows(2)
        .filter(|p| p[0].t >= 0.0 && p[1].t <= 28.0 && p[1].t > p[0].t)
        .filter(|p| {
            (0..n).filter(|&i| reads & (1 << i) != 0).all(|i| {
                p[0].dz[i].abs().max(p[1].dz[i].abs()) * (p[1].t - p[0].t)
                    <= cartkin_core::outcome::GL3_MAX_LOG_CHANGE
            })
        })
        .count();
    assert!(short > steps / 2, "{short} of {steps} steps take 3 points");
    let rel = (got / fine - 1.0).abs();
    assert!(rel < 1e-10, "AUC {got:e} vs fine {fine:e}: {rel:e}");
}
