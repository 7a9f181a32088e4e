//! What an arm changes: regimen, CAR-T dose, lymphodepletion intensity and timing, and
//! parameter typical values (product or patient-level settings such as leukemic burden).

use cartkin_core::model::Model;
use cartkin_core::regimen::{Drug, Regimen};
use serde::Serialize;

use crate::vpop::spec::{DoseRule, Draw, PopulationSpec};

/// The settings of one arm; `None` keeps the scenario's (or the population's) choice.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ArmSettings {
    /// Regimen name or file (default: the population's).
    pub regimen: Option<String>,
    /// The same CAR-T dose per kg for everyone [cells/kg] (replaces the population's rule).
    pub dose_per_kg: Option<f64>,
    /// The same total CAR-T dose for everyone [cells].
    pub dose_cells: Option<f64>,
    /// Fludarabine per administration [mg/m²], on the regimen's days.
    pub fludarabine_mg_per_m2: Option<f64>,
    /// Cyclophosphamide per administration [mg/m²], on the regimen's days.
    pub cyclophosphamide_mg_per_m2: Option<f64>,
    /// Fludarabine dosed to this total F-ara-A AUC [mg·h/L] by the patient's eGFR and weight
    /// (the model's typical Langenhorst clearance), on the regimen's days.
    pub fludarabine_target_auc: Option<f64>,
    /// Days from the start of the last lymphodepletion administration to the CAR-T infusion.
    pub infusion_delay_days: Option<f64>,
    /// Parameter typical values (between-patient deviations are kept: common random numbers).
    pub set: Vec<(String, f64)>,
}

/// The numeric keys a sweep may vary (besides `set.PARAM`).
pub const NUMERIC_KEYS: [&str; 6] = [
    "dose_per_kg",
    "dose_cells",
    "fludarabine_mg_per_m2",
    "cyclophosphamide_mg_per_m2",
    "fludarabine_target_auc",
    "infusion_delay_days",
];

impl ArmSettings {
    /// Sets numeric `key` (one of [`NUMERIC_KEYS`] or `set.PARAM`) to `value`.
    pub fn set_key(&mut self, key: &str, value: f64) -> Result<(), String> {
        // the two ways of giving the CAR-T dose, and of dosing fludarabine, exclude each
        // other: a more specific level (sweep over arm over defaults) replaces the other one
        match key {
            "dose_per_kg" => self.dose_cells = None,
            "dose_cells" => self.dose_per_kg = None,
            "fludarabine_mg_per_m2" => self.fludarabine_target_auc = None,
            "fludarabine_target_auc" => self.fludarabine_mg_per_m2 = None,
            _ => {}
        }
        let slot = match key {
            "dose_per_kg" => &mut self.dose_per_kg,
            "dose_cells" => &mut self.dose_cells,
            "fludarabine_mg_per_m2" => &mut self.fludarabine_mg_per_m2,
            "cyclophosphamide_mg_per_m2" => &mut self.cyclophosphamide_mg_per_m2,
            "fludarabine_target_auc" => &mut self.fludarabine_target_auc,
            "infusion_delay_days" => &mut self.infusion_delay_days,
            _ => {
                let Some(name) = key.strip_prefix("set.") else {
                    return Err(format!(
                        "expected one of {} or set.PARAMETER",
                        NUMERIC_KEYS.join(", ")
                    ));
                };
                self.set.retain(|(n, _)| n != name);
                self.set.push((name.to_string(), value));
                return Ok(());
            }
        };
        *slot = Some(value);
        Ok(())
    }

    /// Settings `over` laid over these (`over` wins; `set` entries are merged by name).
    pub fn merged(&self, over: &ArmSettings) -> ArmSettings {
        let mut set = self.set.clone();
        for (name, v) in &over.set {
            set.retain(|(n, _)| n != name);
            set.push((name.clone(), *v));
        }
        // a pair of exclusive keys comes from one level: `over` if it sets either of them
        let pair = |a: Option<f64>, b: Option<f64>, base_a: Option<f64>, base_b: Option<f64>| {
            if a.is_some() || b.is_some() {
                (a, b)
            } else {
                (base_a, base_b)
            }
        };
        let (dose_per_kg, dose_cells) = pair(
            over.dose_per_kg,
            over.dose_cells,
            self.dose_per_kg,
            self.dose_cells,
        );
        let (fludarabine_mg_per_m2, fludarabine_target_auc) = pair(
            over.fludarabine_mg_per_m2,
            over.fludarabine_target_auc,
            self.fludarabine_mg_per_m2,
            self.fludarabine_target_auc,
        );
        ArmSettings {
            regimen: over.regimen.clone().or_else(|| self.regimen.clone()),
            dose_per_kg,
            dose_cells,
            fludarabine_mg_per_m2,
            cyclophosphamide_mg_per_m2: over
                .cyclophosphamide_mg_per_m2
                .or(self.cyclophosphamide_mg_per_m2),
            fludarabine_target_auc,
            infusion_delay_days: over.infusion_delay_days.or(self.infusion_delay_days),
            set,
        }
    }

    /// The arm's model: `base` with the typical values of `set`.
    ///
    /// Errors name the parameter and its bounds.
    pub fn model(&self, base: &Model) -> Result<Model, (String, String)> {
        let mut m = base.clone();
        for (name, v) in &self.set {
            m.set(name, *v)
                .map_err(|e| (format!("set.{name}"), e.to_string()))?;
        }
        Ok(m)
    }

    /// The arm's population: `base` with its CAR-T dose rule replaced when a fixed dose is set.
    pub fn population(&self, base: &PopulationSpec) -> PopulationSpec {
        let mut spec = base.clone();
        if let Some(per_kg) = self.dose_per_kg {
            // everyone gets the same dose per kg, whatever their weight
            spec.dose = Some(DoseRule::PerKg {
                per_kg: Draw::Fixed { value: per_kg },
                flat_above: None,
            });
        } else if let Some(cells) = self.dose_cells {
            spec.dose = Some(DoseRule::Flat {
                cells: Draw::Fixed { value: cells },
            });
        }
        spec
    }

    /// The arm's regimen: `base` with this arm's lymphodepletion changes applied.
    ///
    /// Errors are `(key, message)`.
    pub fn regimen(&self, base: &Regimen) -> Result<Regimen, (String, String)> {
        let mut r = base.clone();
        fn fail<E: std::fmt::Display>(key: &str) -> impl Fn(E) -> (String, String) + '_ {
            move |e| (key.to_string(), e.to_string())
        }
        if let Some(v) = self.fludarabine_mg_per_m2 {
            r = r
                .with_drug_dose(Drug::Fludarabine, v)
                .map_err(fail("fludarabine_mg_per_m2"))?;
        }
        if let Some(v) = self.cyclophosphamide_mg_per_m2 {
            r = r
                .with_drug_dose(Drug::Cyclophosphamide, v)
                .map_err(fail("cyclophosphamide_mg_per_m2"))?;
        }
        if let Some(v) = self.fludarabine_target_auc {
            r = r
                .with_target_auc(v)
                .map_err(fail("fludarabine_target_auc"))?;
        }
        if let Some(v) = self.infusion_delay_days {
            r = r
                .with_infusion_delay(v)
                .map_err(fail("infusion_delay_days"))?;
        }
        Ok(r)
    }

    /// A one-line description of what the arm sets (for tables).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(r) = &self.regimen {
            parts.push(format!("regimen {r}"));
        }
        parts.extend(self.describe_changes());
        parts.join("; ")
    }

    /// What the arm changes besides choosing a regimen.
    pub fn describe_changes(&self) -> Vec<String> {
        use super::sweep::format_value as f;
        let mut parts = Vec::new();
        if let Some(v) = self.dose_per_kg {
            parts.push(format!("{} cells/kg", f(v)));
        }
        if let Some(v) = self.dose_cells {
            parts.push(format!("{} cells", f(v)));
        }
        if let Some(v) = self.fludarabine_mg_per_m2 {
            parts.push(format!("Flu {} mg/m²", f(v)));
        }
        if let Some(v) = self.cyclophosphamide_mg_per_m2 {
            parts.push(format!("Cy {} mg/m²", f(v)));
        }
        if let Some(v) = self.fludarabine_target_auc {
            parts.push(format!("Flu to AUC {} mg·h/L", f(v)));
        }
        if let Some(v) = self.infusion_delay_days {
            parts.push(format!("infusion {} d after LD", f(v)));
        }
        for (n, v) in &self.set {
            parts.push(format!("{n} = {}", f(*v)));
        }
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_set_and_merge() {
        let mut a = ArmSettings::default();
        a.set_key("dose_per_kg", 1e6).unwrap();
        a.set_key("set.L0", 1e9).unwrap();
        a.set_key("set.L0", 2e9).unwrap();
        assert_eq!(a.dose_per_kg, Some(1e6));
        assert_eq!(a.set, vec![("L0".to_string(), 2e9)]);
        assert!(a.set_key("dose", 1.0).is_err());
        let mut b = ArmSettings {
            regimen: Some("none".into()),
            ..Default::default()
        };
        b.set_key("set.gamma", 3.0).unwrap();
        b.set_key("set.L0", 5e9).unwrap();
        let m = a.merged(&b);
        assert_eq!(m.regimen.as_deref(), Some("none"));
        assert_eq!(m.dose_per_kg, Some(1e6));
        assert_eq!(m.set.len(), 2);
        assert!(m.set.contains(&("L0".to_string(), 5e9)));
        assert!(m.describe().contains("regimen none"));
    }

    /// The two dose forms, and the two fludarabine dosings, exclude each other: the most
    /// specific level wins whole.
    #[test]
    fn exclusive_pairs_come_from_one_level() {
        let defaults = ArmSettings {
            dose_per_kg: Some(1e6),
            fludarabine_target_auc: Some(20.0),
            ..Default::default()
        };
        let arm = ArmSettings {
            dose_cells: Some(1e9),
            fludarabine_mg_per_m2: Some(0.0),
            ..Default::default()
        };
        let m = defaults.merged(&arm);
        assert_eq!((m.dose_per_kg, m.dose_cells), (None, Some(1e9)));
        assert_eq!(
            (m.fludarabine_mg_per_m2, m.fludarabine_target_auc),
            (Some(0.0), None)
        );
        // a sweep value replaces the other form too
        let mut swept = m.clone();
        swept.set_key("dose_per_kg", 3e6).unwrap();
        assert_eq!((swept.dose_per_kg, swept.dose_cells), (Some(3e6), None));
        swept.set_key("fludarabine_target_auc", 15.0).unwrap();
        assert_eq!(swept.fludarabine_mg_per_m2, None);
        // a level that sets neither keeps the other level's
        let kept = defaults.merged(&ArmSettings::default());
        assert_eq!(kept.dose_per_kg, Some(1e6));
    }
}
