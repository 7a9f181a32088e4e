//! Clinical outcomes of one simulated patient.
//!
//! Definitions (all times in days since the first CAR-T infusion):
//! - **Cmax, Tmax, AUC0–28d** of the model's CAR-T observable (`outcomes.car_t`); Cmax is
//!   searched from day 0 to the end, AUC by Gauss–Legendre quadrature on the interpolant.
//! - **Marrow blast fraction** (`outcomes.blast_fraction`), e.g. for `cart_all`
//!   `(Lp + Ln)/(Lp + Ln + H_marrow)`: leukemic over nucleated marrow cells.
//!   **MRD-negative** when below [`MRD_THRESHOLD`] = 1e-4 (the sensitivity of flow MRD);
//!   **complete remission (CR)** when below [`CR_THRESHOLD`] = 5% blasts. "By day 28" and
//!   "by month 3" ([`MONTH_3`] = 91.3 days) mean the first crossing happened by then.
//! - **Relapse**: after CR, the first time blasts rise back to ≥ 5%; its type is CD19-negative
//!   when the CD19-negative cells outnumber the CD19-positive ones at that time
//!   (`outcomes.cd19_negative`/`cd19_positive`), and likewise CD22-negative or positive when the
//!   model declares `outcomes.cd22_negative` and `cd22_positive`.
//! - **Cure**: every leukemic clone extinct (fell below one cell): the states listed in
//!   `outcomes.clones`, or else the CD19 roles that are states.
//! - **B-cell aplasia**: `outcomes.b_cells` below `outcomes.b_cell_aplasia_below`; duration from
//!   onset to recovery, or to the end of the simulation if ongoing (then `ongoing_at_end`).
//! - **CRS**: peak of `outcomes.cytokine` over days 0–28, graded by `outcomes.crs_grade_edges`
//!   (a modelling assumption: no IL-6 level defines a CRS grade clinically); onset, the first
//!   day the cytokine reaches the grade-1 edge.
//! - **Fludarabine AUC**: final value of `outcomes.fludarabine_auc`.

mod assess;
mod query;

use serde::Serialize;

pub use query::{
    Column, Direction, GL3_MAX_LOG_CHANGE, MAX_COLUMNS, NodeTable, TIME_TOLERANCE, sample,
};

use crate::model::ModelSpec;
use crate::simulate::{Event, Simulation};
use crate::solve::SolverStats;

/// MRD negativity: marrow blast fraction below 1e-4 (0.01%).
pub const MRD_THRESHOLD: f64 = 1e-4;
/// Complete remission: fewer than 5% marrow blasts.
pub const CR_THRESHOLD: f64 = 0.05;
/// Day 28 response assessment.
pub const DAY_28: f64 = 28.0;
/// Three months [day] (3 × 30.44).
pub const MONTH_3: f64 = 91.3;

/// CAR-T cellular kinetics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CarTKinetics {
    /// Column used.
    pub observable: String,
    /// Its unit.
    pub unit: String,
    /// Peak value.
    pub cmax: f64,
    /// Day of the peak.
    pub tmax_day: f64,
    /// Area under the curve from day 0 to 28 [unit·day].
    pub auc_0_28d: f64,
    /// Cmax over the value just after the first infusion (or at day 0).
    pub fold_expansion: f64,
}

/// CD19 on the cells of a relapse: the clone that outnumbers the other when blasts pass 5%.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Cd19 {
    /// CD19-positive cells outnumber CD19-negative ones.
    #[serde(rename = "CD19+")]
    Positive,
    /// CD19-negative cells (antigen escape) outnumber CD19-positive ones.
    #[serde(rename = "CD19-")]
    Negative,
    /// The model does not split its leukemia by CD19.
    #[serde(rename = "unknown")]
    Unknown,
}

/// CD22 on the cells of a relapse (models that type CD22).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Cd22 {
    /// CD22-positive cells outnumber CD22-negative ones.
    #[serde(rename = "CD22+")]
    Positive,
    /// CD22-negative cells outnumber CD22-positive ones.
    #[serde(rename = "CD22-")]
    Negative,
}

impl std::fmt::Display for Cd19 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Cd19::Positive => "CD19+",
            Cd19::Negative => "CD19-",
            Cd19::Unknown => "unknown",
        })
    }
}

impl std::fmt::Display for Cd22 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Cd22::Positive => "CD22+",
            Cd22::Negative => "CD22-",
        })
    }
}

/// A relapse after remission.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relapse {
    /// Day blasts reach 5% again.
    pub day: f64,
    /// Days since CR onset.
    pub days_from_remission: f64,
    /// `CD19+` or `CD19-` (or `unknown` when the model has no CD19 split).
    pub cd19: Cd19,
    /// `CD22+` or `CD22-` when the model has both CD22 roles, else `None` (`null` in JSON).
    pub cd22: Option<Cd22>,
}

/// Leukemia response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Response {
    /// Marrow blast fraction at day 0 (after lymphodepletion).
    pub blast_fraction_day0: f64,
    /// Marrow blast fraction at day 28.
    pub blast_fraction_day28: f64,
    /// First day with blasts < 5%.
    pub cr_day: Option<f64>,
    /// First day with blasts < 1e-4.
    pub mrd_negative_day: Option<f64>,
    /// CR reached by day 28.
    pub cr_by_day28: bool,
    /// CR reached by month 3.
    pub cr_by_month3: bool,
    /// MRD-negative remission reached by day 28.
    pub mrd_negative_by_day28: bool,
    /// MRD-negative remission reached by month 3.
    pub mrd_negative_by_month3: bool,
    /// Relapse after CR, if any.
    pub relapse: Option<Relapse>,
    /// All leukemic clones extinct.
    pub cured: bool,
    /// Day the last clone went extinct.
    pub cure_day: Option<f64>,
}

/// B-cell aplasia.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aplasia {
    /// Threshold on the B-cell observable.
    pub threshold: f64,
    /// Onset day.
    pub onset_day: Option<f64>,
    /// Recovery day.
    pub recovery_day: Option<f64>,
    /// Duration [day] (to the end of the simulation when ongoing).
    pub duration_days: f64,
    /// Aplasia still present at the end.
    pub ongoing_at_end: bool,
}

/// Cytokine release syndrome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Crs {
    /// Cytokine column.
    pub cytokine: String,
    /// Its unit.
    pub unit: String,
    /// Peak over days 0–28.
    pub peak: f64,
    /// Day of the peak.
    pub peak_day: f64,
    /// Grade 0–4 by the model's bin edges.
    pub grade: u8,
    /// Lower edges of grades 1–4.
    pub grade_edges: Vec<f64>,
    /// CRS onset: the first day of days 0–28 with the cytokine at grade ≥ 1 (`None` without
    /// CRS).
    pub onset_day: Option<f64>,
}

/// A state or observable that went beyond its plausibility ceiling (`plausible_max` in the
/// model file): the run describes no real patient there, whatever its other outcomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Implausible {
    /// The state or observable.
    pub column: String,
    /// Its unit.
    pub unit: String,
    /// The largest value reached.
    pub max_value: f64,
    /// When it was reached [day].
    pub day: f64,
    /// The ceiling it passed.
    pub plausible_max: f64,
}

impl std::fmt::Display for Implausible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} reached {:.3e} {} on day {:.2}, above its plausible maximum {:.1e}",
            self.column, self.max_value, self.unit, self.day, self.plausible_max
        )
    }
}

/// Everything `outcomes.json` holds for one patient.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcomes {
    /// Model name.
    pub model: String,
    /// CAR-T kinetics, if the model has a CAR-T observable.
    pub car_t: Option<CarTKinetics>,
    /// Leukemia response, if the model has a blast-fraction observable.
    pub response: Option<Response>,
    /// B-cell aplasia, if the model has B cells.
    pub b_cell_aplasia: Option<Aplasia>,
    /// CRS, if the model has a cytokine.
    pub crs: Option<Crs>,
    /// Cumulative fludarabine AUC [mg·h/L], if the model has fludarabine.
    pub fludarabine_auc: Option<f64>,
    /// Dose, switch, extinction and clinical events in time order.
    pub events: Vec<Event>,
    /// Columns that passed their plausibility ceiling (empty when none did).
    pub implausible: Vec<Implausible>,
    /// Integrator work.
    pub solver: SolverStats,
}

impl Outcomes {
    /// Computes the outcomes a model's roles allow: each outcome in turn (CAR-T kinetics,
    /// leukemia response with relapse and cure, B-cell aplasia, CRS, fludarabine AUC), each
    /// adding its clinical events to the simulation's, then the events in time order and the
    /// plausibility check.
    pub fn compute(sim: &Simulation, spec: &ModelSpec) -> Self {
        let run = assess::Run::new(sim, spec);
        let mut events = sim.events.clone();
        let car_t = run.car_t_kinetics(&mut events);
        let response = run.leukemia_response(&mut events);
        let b_cell_aplasia = run.b_cell_aplasia(&mut events);
        let crs = run.crs();
        let fludarabine_auc = run.fludarabine_auc();
        assess::in_time_order(&mut events);
        let implausible = run.implausible();
        Outcomes {
            model: spec.name.clone(),
            car_t,
            response,
            b_cell_aplasia,
            crs,
            fludarabine_auc,
            events,
            implausible,
            solver: sim.stats,
        }
    }
}
