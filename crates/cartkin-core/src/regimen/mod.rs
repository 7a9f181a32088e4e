//! Regimens: lymphodepleting chemotherapy and CAR-T infusions.
//!
//! A [`Regimen`] says *what* is given on which day (mg/m² of a drug or a fludarabine target
//! AUC, the share of the CAR-T dose); [`Regimen::doses_with`] turns it into concrete [`Dose`]s
//! (mg, cells) for one patient. Day 0 is the (first) CAR-T infusion; lymphodepletion is on
//! negative days. The `with_*`/`scaled_drug` transforms derive scenario arms from a regimen.

mod file;

use serde::Serialize;
use serde::ser::SerializeMap;

pub use crate::model::FludarabineDosing;
pub use file::{NAMED, load, named, parse, resolve};

use crate::error::{InputError, Location};
use crate::patient::Patient;

/// Largest dose per administration accepted [mg/m²].
pub const MAX_MG_PER_M2: f64 = 5000.0;

/// Largest target F-ara-A AUC over a course accepted [mg·h/L] (3× the top of the range seen
/// under BSA dosing by Langenhorst 2019, 10–66 mg·h/L).
pub const MAX_TARGET_AUC: f64 = 200.0;

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
    /// The model route that receives this drug.
    pub fn route(self) -> &'static str {
        match self {
            Drug::Fludarabine => "fludarabine",
            Drug::Cyclophosphamide => "cyclophosphamide",
        }
    }
}

impl std::fmt::Display for Drug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.route())
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

    /// Checks that the dose is positive and finite and that the total for `patient` is at most
    /// [`MAX_CAR_T_CELLS`].
    pub fn validate(self, patient: &Patient, origin: &str) -> Result<Self, InputError> {
        let (field, value, unit) = match self {
            CarTDose::Cells(c) => ("dose", c, "cells"),
            CarTDose::PerKg(c) => ("dose-per-kg", c, "cells/kg"),
        };
        let total = self.cells(patient);
        if value.is_finite() && value > 0.0 && total <= MAX_CAR_T_CELLS {
            Ok(self)
        } else {
            Err(InputError::Invalid {
                location: Location::file(origin),
                field: field.into(),
                expected: format!(
                    "a positive number of {unit} with a total of at most {MAX_CAR_T_CELLS:e} cells"
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

/// Largest CAR-T dose accepted [cells] (100× the highest ELIANA dose).
pub const MAX_CAR_T_CELLS: f64 = 1e12;

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
    /// Route name (`car_t`, `fludarabine`, `cyclophosphamide`).
    pub route: &'static str,
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
    /// its days. Without `dosing` (the model has no fludarabine PK) the course is left out,
    /// like a drug the model does not describe: such a model would not simulate fludarabine
    /// whatever its dose. [`Regimen::targets_auc`] tells a caller to say so.
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
                (DrugAmount::TargetAuc { mg_h_per_l }, Some(d)) => {
                    d.dose_mg(mg_h_per_l) / course.days.len() as f64
                }
                (DrugAmount::TargetAuc { .. }, None) => continue,
            };
            for &day in &course.days {
                doses.push(Dose {
                    time: day,
                    route: course.drug.route(),
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
                    route: "car_t",
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

    /// Whether any course is dosed to a target AUC (and so needs [`FludarabineDosing`]).
    pub fn targets_auc(&self) -> bool {
        self.drugs
            .iter()
            .any(|c| matches!(c.amount, DrugAmount::TargetAuc { .. }))
    }
}
