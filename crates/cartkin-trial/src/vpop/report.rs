//! The JSON documents of virtual trials (`summary.json`, calibration's `report.json`, a
//! scenario's `arms.json`), written by the library so that every front end writes the same
//! files. Keys are sorted; each file ends with a newline.

use serde_json::{Value, json};

use super::calibrate::Report;
use super::sample::Truncation;
use super::targets::{Comparison, Targets};
use crate::endpoint::Summary;
use crate::scenario::{ArmSummary, Scenario};

/// The run behind a population's `summary.json`.
pub struct PopulationRun<'a> {
    /// Model name.
    pub model: &'a str,
    /// Regimen name.
    pub regimen: &'a str,
    /// Seed.
    pub seed: u64,
    /// Follow-up [day].
    pub follow_up_days: f64,
    /// How much of each stated distribution lay outside its bounds.
    pub truncation: &'a [Truncation],
    /// Targets compared with, and the comparison.
    pub targets: Option<(&'a Targets, &'a [Comparison])>,
}

/// `summary.json`: the endpoints at the top level (the contract), the run's settings beside
/// them.
pub fn summary_json(summary: &Summary, run: &PopulationRun<'_>) -> serde_json::Result<Vec<u8>> {
    let mut doc = serde_json::to_value(summary)?;
    if let Some(map) = doc.as_object_mut() {
        map.insert("model".into(), json!(run.model));
        map.insert("regimen".into(), json!(run.regimen));
        map.insert("seed".into(), json!(run.seed));
        map.insert("follow_up_days".into(), json!(run.follow_up_days));
        map.insert("truncation".into(), json!(run.truncation));
        map.insert("targets".into(), json!(run.targets.map(|(t, _)| &t.name)));
        map.insert("comparisons".into(), json!(run.targets.map(|(_, c)| c)));
    }
    bytes(&doc)
}

/// Calibration's `report.json`.
pub fn calibration_json(
    report: &Report,
    model: &str,
    targets: &Targets,
    regimen: &str,
    patients_per_evaluation: usize,
    seconds: f64,
) -> serde_json::Result<Vec<u8>> {
    bytes(&json!({
        "model": model,
        "targets": targets.name,
        "regimen": regimen,
        "patients_per_evaluation": patients_per_evaluation,
        "seconds": seconds,
        "report": report,
    }))
}

/// A scenario's `arms.json`.
pub fn arms_json(
    scenario: &Scenario,
    arms: &[ArmSummary],
    patients_per_arm: usize,
) -> serde_json::Result<Vec<u8>> {
    bytes(&json!({
        "scenario": scenario.name,
        "model": scenario.model.name(),
        "seed": scenario.seed,
        "patients_per_arm": patients_per_arm,
        "follow_up_days": scenario.population.follow_up_days,
        "arms": arms,
    }))
}

fn bytes(doc: &Value) -> serde_json::Result<Vec<u8>> {
    let mut out = serde_json::to_vec_pretty(doc)?;
    out.push(b'\n');
    Ok(out)
}
