//! `fit.json`: the contract of a fit's results (documented in the README), written by the
//! library so that every front end writes the same file.

use serde_json::{Map, Value, json};

use crate::fit::{FitMode, FitReport, FitResult};
use crate::problem::Problem;

fn estimates_json(result: &FitResult) -> Value {
    let mut map = Map::new();
    for (name, e) in &result.parameters {
        map.insert(name.clone(), json!({ "estimate": e.estimate, "se": e.se, "ci95": e.ci95, "rse_percent": e.rse_percent, "scale": e.transform }));
    }
    Value::Object(map)
}

/// The document of `fit.json` for a fit of `problem` to the data at `data` (as the user named
/// it).
pub fn fit_json(problem: &Problem, report: &FitReport, data: &str) -> Value {
    let names: Vec<&str> = problem.free.iter().map(|p| p.name.as_str()).collect();
    let mut doc = json!({
        "model": problem.model.name(),
        "data": data,
        "mode": report.mode,
        "error_model": { "kind": problem.error.kind, "blq": problem.blq },
        "free_parameters": names,
    });
    if let (Some(p), FitMode::Pooled) = (&report.pooled, report.mode) {
        doc["parameters"] = estimates_json(p);
        doc["objective"] = json!(p.objective);
        doc["convergence"] = json!(p.convergence);
        doc["correlation"] = json!({ "parameters": names, "matrix": p.correlation });
        doc["warning"] = json!(p.warning);
        doc["profile"] = json!(p.profile);
    } else {
        let mut params = Map::new();
        for t in &report.two_stage {
            let summary = if t.n == 1 {
                "one subject: its own estimate, SE and CI"
            } else {
                "two-stage: geometric mean of individual estimates"
            };
            params.insert(t.parameter.clone(), json!({ "estimate": t.estimate, "se": t.se, "ci95": t.ci95, "between_subject_cv_percent": t.between_subject_cv_percent, "n": t.n, "summary": summary }));
        }
        doc["parameters"] = Value::Object(params);
        let total: f64 = report.individual.iter().map(|f| f.objective.minus2ll).sum();
        let k: usize = report
            .individual
            .iter()
            .map(|f| f.objective.n_parameters)
            .sum();
        let n: usize = report
            .individual
            .iter()
            .map(|f| f.objective.n_observations)
            .sum();
        doc["objective"] = json!({ "minus2ll": total, "aic": total + 2.0 * k as f64, "bic": total + k as f64 * (n.max(1) as f64).ln(), "n_parameters": k, "n_observations": n });
        let converged = report
            .individual
            .iter()
            .filter(|f| f.convergence.converged)
            .count();
        let evaluations: u64 = report
            .individual
            .iter()
            .map(|f| f.convergence.function_evaluations)
            .sum();
        doc["convergence"] = json!({ "subjects": report.individual.len(), "converged": converged, "function_evaluations": evaluations });
        doc["excluded"] = json!(report.excluded);
        if let Some(p) = &report.pooled {
            doc["residual_error_first_step"] = json!({ "note": "residual SDs estimated by a pooled fit, then fixed in the individual fits", "parameters": estimates_json(p), "objective": p.objective, "convergence": p.convergence, "warning": p.warning, "at_bounds": p.at_bounds });
        }
        doc["subjects"] = Value::Array(
            report
                .individual
                .iter()
                .map(|f| json!({ "id": f.subjects.first(), "parameters": estimates_json(f), "objective": f.objective, "convergence": f.convergence, "warning": f.warning, "at_bounds": f.at_bounds, "profile": f.profile }))
                .collect(),
        );
    }
    doc
}
