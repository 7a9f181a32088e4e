//! Regimens: lymphodepleting chemotherapy and CAR-T infusions.
//!
//! A [`Regimen`] says *what* is given on which day (mg/m² of a drug, the share of the CAR-T
//! dose); [`Regimen::doses`] turns it into concrete [`Dose`]s (mg, cells) for one patient.
//! Day 0 is the (first) CAR-T infusion; lymphodepletion is on negative days.

mod file;

use serde::Serialize;

pub use file::{NAMED, load, named, parse, resolve};

use crate::error::{InputError, Location};
use crate::patient::Patient;

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

/// One drug given at a BSA-based dose on several days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrugCourse {
    /// The drug.
    pub drug: Drug,
    /// Dose per administration [mg/m²].
    pub dose_mg_per_m2: f64,
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
    /// The doses for `patient`; CAR-T infusions only when `car_t_cells` is given.
    pub fn doses(&self, patient: &Patient, car_t_cells: Option<f64>) -> Vec<Dose> {
        let mut doses = Vec::new();
        for course in &self.drugs {
            let amount = course.dose_mg_per_m2 * patient.bsa_m2;
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

    /// Total mg/m² of a drug over the course.
    pub fn total_mg_per_m2(&self, drug: Drug) -> f64 {
        self.drugs
            .iter()
            .filter(|c| c.drug == drug)
            .map(|c| c.dose_mg_per_m2 * c.days.len() as f64)
            .sum()
    }
}
