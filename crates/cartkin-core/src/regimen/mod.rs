//! Regimens: lymphodepleting chemotherapy and CAR-T infusions.
//!
//! A [`Regimen`] says *what* is given on which day (mg/m² of a drug or a fludarabine target
//! AUC, the share of the CAR-T dose); [`Regimen::doses_with`] turns it into concrete [`Dose`]s
//! (mg, cells) for one patient. Day 0 is the (first) CAR-T infusion; lymphodepletion is on
//! negative days. The `with_*`/`scaled_drug` transforms derive scenario arms from a regimen.

mod file;

use serde::Serialize;
use serde::ser::SerializeMap;

pub use crate::model::{Agent, FludarabineDosing};
pub use file::{NAMED, load, named, parse, resolve};

use crate::error::{InputError, Location};
use crate::patient::Patient;

/// Largest dose per administration accepted [mg/m²].
pub const MAX_MG_PER_M2: f64 = 5000.0;

/// Largest target F-ara-A AUC over a course accepted [mg·h/L] (3× the top of the range seen
/// under BSA dosing by Langenhorst 2019, 10–66 mg·h/L).
pub const MAX_TARGET_AUC: f64 = 200.0;

/// Why a regimen transform could not be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RegimenError {
    /// The regimen has no course of the drug to change.
    #[error("regimen `{regimen}` has no {drug} course to change")]
    NoCourse {
        /// Regimen name.
        regimen: String,
        /// The drug asked for.
        drug: Drug,
    },
    /// The regimen has no lymphodepleting chemotherapy to move.
    #[error("regimen `{regimen}` has no lymphodepletion to move")]
    NoLymphodepletion {
        /// Regimen name.
        regimen: String,
    },
    /// An argument or its result is out of range.
    #[error("regimen `{regimen}`: {field}: expected {expected}, got {found}")]
    Invalid {
        /// Regimen name.
        regimen: String,
        /// The argument (`mg_per_m2`, `factor`, ...).
        field: &'static str,
        /// What would have been accepted.
        expected: String,
        /// What was given (or what it led to).
        found: String,
    },
}

/// A lymphodepleting drug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Drug {
    /// Fludarabine phosphate.
    Fludarabine,
    /// Cyclophosphamide.
    Cyclophosphamide,
}

impl Drug {
    /// The agent a model's route must take to receive this drug.
    pub fn agent(self) -> Agent {
        match self {
            Drug::Fludarabine => Agent::Fludarabine,
            Drug::Cyclophosphamide => Agent::Cyclophosphamide,
        }
    }
}

impl std::fmt::Display for Drug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.agent().name())
    }
}

/// How much of a drug a course gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DrugAmount {
    /// A BSA-based dose per administration.
    PerM2 {
        /// Dose per administration [mg/m²].
        mg_per_m2: f64,
    },
    /// Fludarabine dosed to a total F-ara-A AUC(0–∞) over the whole course, split equally over
    /// its administrations; the dose follows from the patient's clearance
    /// ([`FludarabineDosing`]).
    TargetAuc {
        /// Target cumulative F-ara-A AUC of the course [mg·h/L].
        mg_h_per_l: f64,
    },
}

/// Serialized with the regimen file's own key (`dose_mg_per_m2` or `target_auc_mg_h_per_l`)
/// and flattened into the course, so outcomes.json reads like the regimen file and is
/// unchanged for BSA-dosed courses.
impl Serialize for DrugAmount {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match *self {
            DrugAmount::PerM2 { mg_per_m2 } => map.serialize_entry("dose_mg_per_m2", &mg_per_m2)?,
            DrugAmount::TargetAuc { mg_h_per_l } => {
                map.serialize_entry("target_auc_mg_h_per_l", &mg_h_per_l)?
            }
        }
        map.end()
    }
}

/// One drug given on several days, at a BSA-based dose or to a target AUC.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrugCourse {
    /// The drug.
    pub drug: Drug,
    /// Dose basis and amount.
    #[serde(flatten)]
    pub amount: DrugAmount,
    /// Start of each administration [day relative to CAR-T infusion].
    pub days: Vec<f64>,
    /// Duration of each IV infusion [h].
    pub infusion_hours: f64,
}

/// One CAR-T infusion: a share of the nominal dose on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CarTInfusion {
    /// Day of the infusion.
    pub day: f64,
    /// Multiple of the nominal dose given (0.1 for a 10% split; 1.0 for a repeat full dose).
    pub fraction: f64,
}

/// A complete regimen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Regimen {
    /// Name.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Where the schedule comes from.
    pub source: String,
    /// Lymphodepleting chemotherapy.
    pub drugs: Vec<DrugCourse>,
    /// CAR-T infusions.
    pub car_t: Vec<CarTInfusion>,
}

/// The nominal CAR-T dose.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CarTDose {
    /// Total viable CAR+ T cells.
    Cells(f64),
    /// Viable CAR+ T cells per kg body weight.
    PerKg(f64),
}

impl CarTDose {
    /// Total cells for this patient.
    pub fn cells(self, patient: &Patient) -> f64 {
        match self {
            CarTDose::Cells(c) => c,
            CarTDose::PerKg(c) => c * patient.weight_kg,
        }
    }

    /// Checks that the dose is positive and finite and that the total given to `patient` over
    /// a regimen's infusions (`regimen_fraction` times the nominal dose, see
    /// [`Regimen::car_t_fraction`]) is at most [`MAX_CAR_T_CELLS`].
    pub fn validate(
        self,
        patient: &Patient,
        regimen_fraction: f64,
        origin: &str,
    ) -> Result<Self, InputError> {
        let (field, value, unit) = match self {
            CarTDose::Cells(c) => ("dose", c, "cells"),
            CarTDose::PerKg(c) => ("dose-per-kg", c, "cells/kg"),
        };
        let total = self.cells(patient) * regimen_fraction.max(1.0);
        if value.is_finite() && value > 0.0 && total <= MAX_CAR_T_CELLS {
            Ok(self)
        } else {
            Err(InputError::Invalid {
                location: Location::file(origin),
                field: field.into(),
                expected: format!(
                    "a positive number of {unit} with a total of at most {MAX_CAR_T_CELLS:e} cells over the regimen's infusions"
                ),
                found: if total.is_finite() && value > 0.0 {
                    format!("{value} ({total:e} cells in total)")
                } else {
                    value.to_string()
                },
            })
        }
    }
}

/// Largest CAR-T dose accepted [cells] (100× the highest ELIANA dose), in total over a
/// regimen's infusions.
pub const MAX_CAR_T_CELLS: f64 = 1e12;

/// Most administrations of one drug course, CAR-T infusions, and drug courses in a regimen:
/// far beyond any protocol, small enough that no regimen can exhaust memory.
pub const MAX_ADMINISTRATIONS: usize = 100;

/// How a dose enters the model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DoseKind {
    /// Instantaneous.
    Bolus,
    /// Zero-order over `duration` days.
    Infusion {
        /// Duration [day].
        duration: f64,
    },
}

/// A concrete dose for one patient.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Dose {
    /// Start [day].
    pub time: f64,
    /// What is given (the model's route for it receives the dose).
    pub route: Agent,
    /// Amount [cells or mg].
    pub amount: f64,
    /// Bolus or infusion.
    pub kind: DoseKind,
}

impl Regimen {
    /// The doses for `patient` without a PK model: AUC-targeted courses are left out (see
    /// [`Regimen::doses_with`]).
    pub fn doses(&self, patient: &Patient, car_t_cells: Option<f64>) -> Vec<Dose> {
        self.doses_with(patient, car_t_cells, None)
    }

    /// The doses for `patient`; CAR-T infusions only when `car_t_cells` is given.
    ///
    /// An AUC-targeted course gives `dosing.dose_mg(target)` in total, in equal parts on each of
    /// its days (a target on another drug is never dosed). Without `dosing` (the model has no
    /// fludarabine PK) the course is left out, like a drug the model does not describe: such a
    /// model would not simulate fludarabine whatever its dose. [`Regimen::targets_auc`] tells a
    /// caller to say so.
    pub fn doses_with(
        &self,
        patient: &Patient,
        car_t_cells: Option<f64>,
        dosing: Option<FludarabineDosing>,
    ) -> Vec<Dose> {
        let mut doses = Vec::new();
        for course in &self.drugs {
            let amount = match (course.amount, dosing) {
                (DrugAmount::PerM2 { mg_per_m2 }, _) => mg_per_m2 * patient.bsa_m2,
                (DrugAmount::TargetAuc { mg_h_per_l }, Some(d))
                    if course.drug == Drug::Fludarabine =>
                {
                    d.dose_mg(mg_h_per_l) / course.days.len() as f64
                }
                // no dosing information, or a target on a drug the fludarabine clearance does
                // not describe (regimen files refuse it; only a hand-built course can have it)
                (DrugAmount::TargetAuc { .. }, _) => continue,
            };
            for &day in &course.days {
                doses.push(Dose {
                    time: day,
                    route: course.drug.agent(),
                    amount,
                    kind: DoseKind::Infusion {
                        duration: course.infusion_hours / 24.0,
                    },
                });
            }
        }
        if let Some(cells) = car_t_cells {
            for inf in &self.car_t {
                doses.push(Dose {
                    time: inf.day,
                    route: Agent::CarT,
                    amount: cells * inf.fraction,
                    kind: DoseKind::Bolus,
                });
            }
        }
        doses.sort_by(|a, b| a.time.total_cmp(&b.time));
        doses
    }

    /// Total mg/m² of a drug over its BSA-dosed courses; AUC-targeted courses have no fixed
    /// mg/m² and contribute nothing (their dose depends on the patient's clearance).
    pub fn total_mg_per_m2(&self, drug: Drug) -> f64 {
        self.drugs
            .iter()
            .filter(|c| c.drug == drug)
            .map(|c| match c.amount {
                DrugAmount::PerM2 { mg_per_m2 } => mg_per_m2 * c.days.len() as f64,
                DrugAmount::TargetAuc { .. } => 0.0,
            })
            .sum()
    }

    /// The CAR-T cells the regimen gives, as a multiple of the nominal dose (the sum of its
    /// infusions' fractions; 1.0 for a single full infusion).
    pub fn car_t_fraction(&self) -> f64 {
        self.car_t.iter().map(|c| c.fraction).sum()
    }

    /// What of the regimen `model` has no route for, and so would not be simulated: one note
    /// per drug, and one for the CAR-T infusions.
    pub fn not_taken_by(&self, model: &crate::model::Model) -> Vec<String> {
        let mut notes: Vec<String> = Vec::new();
        for course in &self.drugs {
            let drug = course.drug;
            let note = format!(
                "model `{}` does not describe {drug}; the regimen's {drug} is not simulated",
                model.name()
            );
            if !model.takes(drug.agent()) && !notes.contains(&note) {
                notes.push(note);
            }
        }
        if !self.car_t.is_empty() && !model.takes(Agent::CarT) {
            notes.push(format!(
                "model `{}` has no CAR-T route (its dose is built into its parameters); the regimen's CAR-T infusions are not simulated",
                model.name()
            ));
        }
        notes
    }

    /// Whether any course is dosed to a target AUC (and so needs [`FludarabineDosing`]).
    pub fn targets_auc(&self) -> bool {
        self.drugs
            .iter()
            .any(|c| matches!(c.amount, DrugAmount::TargetAuc { .. }))
    }

    /// Every course of `drug` at `mg_per_m2` per administration (same days and infusions).
    pub fn with_drug_dose(&self, drug: Drug, mg_per_m2: f64) -> Result<Regimen, RegimenError> {
        self.check(
            "mg_per_m2",
            mg_per_m2,
            (0.0..=MAX_MG_PER_M2).contains(&mg_per_m2),
            &format!("a dose in [0, {MAX_MG_PER_M2}] mg/m²"),
        )?;
        self.map_courses(drug, |_| DrugAmount::PerM2 { mg_per_m2 })
    }

    /// Fludarabine dosed to a total F-ara-A AUC of `mg_h_per_l` over the regimen, on the same
    /// days. With several fludarabine courses each gets the share of its administrations, so
    /// the regimen's total stays `mg_h_per_l`.
    pub fn with_target_auc(&self, mg_h_per_l: f64) -> Result<Regimen, RegimenError> {
        self.check(
            "target_auc_mg_h_per_l",
            mg_h_per_l,
            mg_h_per_l > 0.0 && mg_h_per_l <= MAX_TARGET_AUC,
            &format!("a target AUC in (0, {MAX_TARGET_AUC}] mg·h/L"),
        )?;
        let administrations: usize = self
            .drugs
            .iter()
            .filter(|c| c.drug == Drug::Fludarabine)
            .map(|c| c.days.len())
            .sum();
        self.map_courses(Drug::Fludarabine, |c| DrugAmount::TargetAuc {
            mg_h_per_l: mg_h_per_l * c.days.len() as f64 / administrations.max(1) as f64,
        })
    }

    /// Every course of `drug` scaled by `factor` (mg/m² or target AUC: exposure is linear in
    /// dose, so both scale the same way).
    pub fn scaled_drug(&self, drug: Drug, factor: f64) -> Result<Regimen, RegimenError> {
        self.check(
            "factor",
            factor,
            factor >= 0.0,
            "a non-negative finite factor",
        )?;
        let scaled = self.map_courses(drug, |c| match c.amount {
            DrugAmount::PerM2 { mg_per_m2 } => DrugAmount::PerM2 {
                mg_per_m2: mg_per_m2 * factor,
            },
            DrugAmount::TargetAuc { mg_h_per_l } => DrugAmount::TargetAuc {
                mg_h_per_l: mg_h_per_l * factor,
            },
        })?;
        // the scaled amounts must still be ones a regimen file would accept
        for c in scaled.drugs.iter().filter(|c| c.drug == drug) {
            let (value, ok) = match c.amount {
                DrugAmount::PerM2 { mg_per_m2: v } => (v, v <= MAX_MG_PER_M2),
                DrugAmount::TargetAuc { mg_h_per_l: v } => (v, v > 0.0 && v <= MAX_TARGET_AUC),
            };
            if !ok {
                return Err(RegimenError::Invalid {
                    regimen: self.name.clone(),
                    field: "factor",
                    expected: format!(
                        "a factor keeping doses within {MAX_MG_PER_M2} mg/m² and target AUCs in (0, {MAX_TARGET_AUC}] mg·h/L"
                    ),
                    found: format!("{factor} (giving {value})"),
                });
            }
        }
        Ok(scaled)
    }

    /// All lymphodepletion shifted together (the schedule between drugs kept) so that its last
    /// administration starts `days` before the first CAR-T infusion (day 0 when there is none).
    /// A delay shorter than that infusion's duration overlaps the CAR-T infusion; it is
    /// allowed, as the model has no interaction term that makes it meaningless.
    pub fn with_infusion_delay(&self, days: f64) -> Result<Regimen, RegimenError> {
        self.check(
            "days",
            days,
            (0.0..=60.0).contains(&days),
            "a delay in [0, 60] days",
        )?;
        let last = self
            .drugs
            .iter()
            .flat_map(|c| c.days.iter().copied())
            .max_by(f64::total_cmp)
            .ok_or_else(|| RegimenError::NoLymphodepletion {
                regimen: self.name.clone(),
            })?;
        let first_car_t = self.car_t.first().map_or(0.0, |i| i.day);
        let shift = first_car_t - days - last;
        let mut out = self.clone();
        for c in &mut out.drugs {
            for d in &mut c.days {
                *d += shift;
            }
        }
        let earliest = out
            .drugs
            .iter()
            .flat_map(|c| c.days.iter().copied())
            .fold(f64::INFINITY, f64::min);
        if earliest < -60.0 {
            return Err(RegimenError::Invalid {
                regimen: self.name.clone(),
                field: "days",
                expected: "a delay keeping lymphodepletion on or after day -60".into(),
                found: format!("{days} (first administration on day {earliest})"),
            });
        }
        Ok(out)
    }

    /// `Ok` when `value` is finite and `ok`, else [`RegimenError::Invalid`].
    fn check(
        &self,
        field: &'static str,
        value: f64,
        ok: bool,
        expected: &str,
    ) -> Result<(), RegimenError> {
        if value.is_finite() && ok {
            Ok(())
        } else {
            Err(RegimenError::Invalid {
                regimen: self.name.clone(),
                field,
                expected: expected.to_string(),
                found: value.to_string(),
            })
        }
    }

    /// A copy with `amount(course)` on every course of `drug`; an error if there is none.
    fn map_courses(
        &self,
        drug: Drug,
        amount: impl Fn(&DrugCourse) -> DrugAmount,
    ) -> Result<Regimen, RegimenError> {
        if !self.drugs.iter().any(|c| c.drug == drug) {
            return Err(RegimenError::NoCourse {
                regimen: self.name.clone(),
                drug,
            });
        }
        let mut out = self.clone();
        for c in out.drugs.iter_mut().filter(|c| c.drug == drug) {
            c.amount = amount(c);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn eliana() -> Regimen {
        named("eliana")
            .and_then(Result::ok)
            .expect("bundled regimen")
    }

    fn per_m2(course: &DrugCourse) -> f64 {
        match course.amount {
            DrugAmount::PerM2 { mg_per_m2 } => mg_per_m2,
            DrugAmount::TargetAuc { .. } => panic!("expected a BSA dose"),
        }
    }

    #[test]
    fn with_drug_dose_sets_every_course_of_that_drug_only() {
        let r = eliana()
            .with_drug_dose(Drug::Fludarabine, 25.0)
            .expect("eliana has fludarabine");
        assert_relative_eq!(r.total_mg_per_m2(Drug::Fludarabine), 100.0);
        assert_relative_eq!(r.total_mg_per_m2(Drug::Cyclophosphamide), 1000.0);
        assert_eq!(r.drugs[0].days, eliana().drugs[0].days);
        // an AUC-targeted course goes back to mg/m²
        let back = eliana()
            .with_target_auc(20.0)
            .and_then(|r| r.with_drug_dose(Drug::Fludarabine, 30.0))
            .expect("valid");
        assert_eq!(back, eliana());
        let none = named("none").and_then(Result::ok).expect("bundled");
        assert_eq!(
            none.with_drug_dose(Drug::Cyclophosphamide, 300.0),
            Err(RegimenError::NoCourse {
                regimen: "none".into(),
                drug: Drug::Cyclophosphamide
            })
        );
        for bad in [-1.0, f64::NAN, 5001.0] {
            let err = eliana().with_drug_dose(Drug::Fludarabine, bad).unwrap_err();
            assert!(err.to_string().contains("mg_per_m2"), "{err}");
        }
    }

    #[test]
    fn with_target_auc_splits_the_target_over_every_fludarabine_administration() {
        let r = eliana()
            .with_target_auc(20.0)
            .expect("eliana has fludarabine");
        assert!(r.targets_auc());
        assert_eq!(
            r.drugs[0].amount,
            DrugAmount::TargetAuc { mg_h_per_l: 20.0 }
        );
        assert_eq!(r.drugs[1], eliana().drugs[1]);
        // two fludarabine courses (3 + 1 days): shares 15 and 5 of a total of 20
        let mut split = eliana();
        let mut last = split.drugs[0].clone();
        split.drugs[0].days.truncate(3);
        last.days = vec![-2.0];
        split.drugs.push(last);
        let r = split.with_target_auc(20.0).expect("valid");
        let targets: Vec<f64> = r
            .drugs
            .iter()
            .filter_map(|c| match c.amount {
                DrugAmount::TargetAuc { mg_h_per_l } => Some(mg_h_per_l),
                DrugAmount::PerM2 { .. } => None,
            })
            .collect();
        assert_eq!(targets.len(), 2);
        assert_relative_eq!(targets[0], 15.0, max_relative = 1e-15);
        assert_relative_eq!(targets[1], 5.0, max_relative = 1e-15);
        let dosing = FludarabineDosing {
            clearance_l_per_h: 5.0,
            f_dose: 0.78,
        };
        let patient = Patient::new(35.0, 140.0, None, 120.0, 11.0, "test").expect("valid");
        // every administration gets the same dose as with a single four-day course
        let one = eliana().with_target_auc(20.0).expect("valid");
        let flu = |r: &Regimen| -> Vec<f64> {
            r.doses_with(&patient, None, Some(dosing))
                .iter()
                .filter(|d| d.route == Agent::Fludarabine)
                .map(|d| d.amount)
                .collect()
        };
        for (a, b) in flu(&r).iter().zip(flu(&one)) {
            assert_relative_eq!(*a, b, max_relative = 1e-14);
        }
        assert_relative_eq!(
            flu(&one).iter().sum::<f64>(),
            dosing.dose_mg(20.0),
            max_relative = 1e-14
        );
        assert_relative_eq!(dosing.auc_mg_h_per_l(dosing.dose_mg(20.0)), 20.0);
        assert!(matches!(
            named("none")
                .and_then(Result::ok)
                .expect("bundled")
                .with_target_auc(20.0),
            Err(RegimenError::NoCourse {
                drug: Drug::Fludarabine,
                ..
            })
        ));
        for bad in [0.0, -5.0, f64::INFINITY, 201.0] {
            assert!(eliana().with_target_auc(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn with_infusion_delay_moves_all_lymphodepletion_together() {
        // eliana: flu -5..-2, cy -5, -4; last administration on day -2
        let r = eliana().with_infusion_delay(4.0).expect("valid");
        assert_eq!(r.drugs[0].days, vec![-7.0, -6.0, -5.0, -4.0]);
        assert_eq!(r.drugs[1].days, vec![-7.0, -6.0]);
        assert_eq!(r.car_t, eliana().car_t);
        // relative to the first CAR-T infusion, not to day 0
        let mut late = eliana();
        late.car_t[0].day = 1.0;
        let r = late.with_infusion_delay(2.0).expect("valid");
        assert_eq!(r.drugs[0].days.last(), Some(&-1.0));
        assert_eq!(
            named("none")
                .and_then(Result::ok)
                .expect("bundled")
                .with_infusion_delay(2.0),
            Err(RegimenError::NoLymphodepletion {
                regimen: "none".into()
            })
        );
        for bad in [-1.0, f64::NAN, 61.0] {
            assert!(eliana().with_infusion_delay(bad).is_err(), "{bad}");
        }
        // a delay pushing the first dose before day -60
        let err = eliana().with_infusion_delay(58.0).unwrap_err().to_string();
        assert!(err.contains("day -61"), "{err}");
    }

    #[test]
    fn scaled_drug_scales_doses_and_targets_within_bounds() {
        let r = eliana()
            .scaled_drug(Drug::Cyclophosphamide, 0.6)
            .expect("valid");
        assert_relative_eq!(per_m2(&r.drugs[1]), 300.0, max_relative = 1e-15);
        assert_relative_eq!(per_m2(&r.drugs[0]), 30.0);
        let r = eliana()
            .with_target_auc(20.0)
            .and_then(|r| r.scaled_drug(Drug::Fludarabine, 0.5))
            .expect("valid");
        assert_eq!(
            r.drugs[0].amount,
            DrugAmount::TargetAuc { mg_h_per_l: 10.0 }
        );
        let err = eliana()
            .scaled_drug(Drug::Cyclophosphamide, 20.0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("factor") && err.contains("10000"), "{err}");
        assert!(eliana().scaled_drug(Drug::Fludarabine, -1.0).is_err());
        assert!(
            named("none")
                .and_then(Result::ok)
                .expect("bundled")
                .scaled_drug(Drug::Fludarabine, 2.0)
                .is_err()
        );
    }

    #[test]
    fn courses_serialize_with_the_regimen_file_keys() {
        let json = serde_json::to_value(eliana().with_target_auc(20.0).expect("valid"))
            .expect("serializable");
        assert_eq!(json["drugs"][0]["target_auc_mg_h_per_l"], 20.0);
        assert_eq!(json["drugs"][1]["dose_mg_per_m2"], 500.0);
        assert_eq!(json["drugs"][1]["drug"], "cyclophosphamide");
        assert!(json["drugs"][1].get("amount").is_none());
    }
}
