//! The validated description of a model: what a model file declares.
//!
//! A [`ModelSpec`] is produced once by [`crate::model::file::load`] and trusted afterwards.

use std::path::PathBuf;

use serde::Serialize;

use crate::error::Location;

/// How a state is represented inside the ODE solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transform {
    /// The solver integrates `ln x`. Keeps cell counts positive and resolves them with
    /// relative accuracy over any number of decades. A value of exactly zero means the
    /// population is absent (not yet infused, or extinct).
    Log,
    /// The solver integrates `x / scale`, so the absolute tolerance of the state is
    /// `atol * scale` (in the state's unit). For amounts that start at zero (drugs, AUC).
    Linear,
}

/// Between-subject variability of a parameter (used by virtual populations).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variability {
    /// `lognormal`, `logitnormal`, `normal` or `uniform`.
    pub distribution: String,
    /// Variance of the underlying normal (log or logit scale), when given.
    pub omega2: Option<f64>,
    /// Coefficient of variation, when given instead of `omega2`.
    pub cv: Option<f64>,
    /// The shared random effect this parameter draws (`shared = "eta_CL"`): every parameter
    /// naming the same effect uses one standard-normal deviate per patient, each scaled by its
    /// own ω. `None`: the parameter's own, independent deviate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared: Option<String>,
}

/// One model parameter with its unit, bounds and provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParameterSpec {
    /// Symbol, as used in the equations.
    pub name: String,
    /// Typical value.
    pub value: f64,
    /// Unit, e.g. `1/day`.
    pub unit: String,
    /// Smallest accepted value.
    pub lower: f64,
    /// Largest accepted value.
    pub upper: f64,
    /// One-line meaning.
    pub description: String,
    /// Where the value comes from (paper, table, verification tag) or the assumption made.
    pub source: String,
    /// Between-subject variability, if any.
    pub variability: Option<Variability>,
    /// Where the parameter's `name` is written (file and line, in the `extends` chain).
    #[serde(skip)]
    pub location: Option<Location>,
}

/// One state variable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateSpec {
    /// Symbol (the paper's symbol for published models).
    pub name: String,
    /// Unit, e.g. `cells`.
    pub unit: String,
    /// Initial value at the start of the simulation, as written: an expression of the
    /// parameters (e.g. `(1 - f_neg) * L0`; doses arrive later through the routes).
    pub initial: String,
    /// `initial`, parsed (names resolved to parameter indices).
    #[serde(skip)]
    pub initial_expr: super::expr::Expr,
    /// Meaning.
    pub description: String,
    /// Representation inside the solver.
    pub transform: Transform,
    /// Scale of a linear state (its absolute tolerance is `atol * scale`).
    pub scale: f64,
    /// Whether the state is a population that goes extinct below one cell.
    pub extinction: bool,
    /// For a population the structure can seed ([`super::Seed`]): the index of the hazard
    /// state whose reaching 1 brings one cell of it into being. Set by the structure, not the
    /// file.
    pub seeded_by: Option<usize>,
    /// For a drug amount (linear state): the amount [state unit] below which it is set to zero
    /// and frozen once nothing is infused (see `solve`); `None` for other states.
    pub washout_below: Option<f64>,
    /// Largest physiologically plausible value [state unit]: a run that exceeds it is
    /// reported with a warning (the model is being used outside what it describes).
    pub plausible_max: Option<f64>,
}

/// A derived quantity computed from the states.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservableSpec {
    /// Name (column name in `trajectory.csv`).
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Meaning and formula.
    pub description: String,
    /// Largest physiologically plausible value [unit], as for states.
    pub plausible_max: Option<f64>,
}

/// Covariates of the simulated patient, with the model's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PatientDefaults {
    /// Body weight [kg].
    pub weight_kg: f64,
    /// Height [cm].
    pub height_cm: f64,
    /// Estimated GFR [mL/min/1.73 m²].
    pub egfr: f64,
    /// Age [years].
    pub age_years: f64,
}

impl PatientDefaults {
    /// The typical patient these covariates describe (BSA by Mosteller); `origin` names where
    /// they came from in an error. A loaded model's defaults were validated, so this fails
    /// only for hand-built ones.
    pub fn patient(&self, origin: &str) -> Result<crate::patient::Patient, crate::InputError> {
        crate::patient::Patient::new(
            self.weight_kg,
            self.height_cm,
            None,
            self.egfr,
            self.age_years,
            origin,
        )
    }
}

/// The CAR-T dose a model uses when none is given.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultDose {
    /// Total viable CAR+ cells.
    Cells(f64),
    /// Cells per kg of body weight.
    PerKg(f64),
}

/// Defaults for a run of this model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Defaults {
    /// Regimen name or path.
    pub regimen: String,
    /// Simulated follow-up after the CAR-T infusion [day].
    pub days: f64,
    /// Output grid spacing [day].
    pub step: f64,
    /// CAR-T dose when none is given (models with a `car_t` route).
    pub dose: Option<DefaultDose>,
    /// Typical patient.
    pub patient: PatientDefaults,
}

/// Which states and observables carry the clinical outcomes. Every role is optional:
/// an outcome is reported only when its role is present.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OutcomeRoles {
    /// Observable of CAR-T exposure (Cmax, Tmax, AUC0-28d).
    pub car_t: Option<String>,
    /// Observable of the marrow blast fraction (MRD and CR).
    pub blast_fraction: Option<String>,
    /// Column (state or observable) of CD19-positive leukemic cells.
    pub cd19_positive: Option<String>,
    /// Column (state or observable) of CD19-negative leukemic cells.
    pub cd19_negative: Option<String>,
    /// Column of CD22-positive leukemic cells (CD22 typing of relapses, with `cd22_negative`).
    pub cd22_positive: Option<String>,
    /// Column of CD22-negative leukemic cells (CD22 typing of relapses, with `cd22_positive`).
    pub cd22_negative: Option<String>,
    /// States of every leukemic clone: cure is all of them extinct. Empty when the file gives
    /// none; then the `cd19_positive`/`cd19_negative` roles that are states are the clones.
    pub clones: Vec<String>,
    /// Observable of B cells relative to their normal level.
    pub b_cells: Option<String>,
    /// B-cell aplasia is declared while `b_cells` is below this value.
    pub b_cell_aplasia_below: Option<f64>,
    /// Observable of the CRS-driving cytokine.
    pub cytokine: Option<String>,
    /// Lower edges of CRS grades 1..4 on the cytokine's peak (a modelling assumption).
    pub crs_grade_edges: Option<Vec<f64>>,
    /// Observable of cumulative fludarabine AUC.
    pub fludarabine_auc: Option<String>,
}

/// A horizontal reference line on a plot panel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PanelThreshold {
    /// Legend text.
    pub label: String,
    /// Value in the panel's unit.
    pub value: f64,
}

/// One panel of the trajectory figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PanelSpec {
    /// Panel title.
    pub title: String,
    /// Y-axis label with unit.
    pub y_label: String,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// Names of states or observables drawn.
    pub series: Vec<String>,
    /// Legend labels, one per series (the column name when absent).
    pub labels: Vec<String>,
    /// Reference lines.
    pub thresholds: Vec<PanelThreshold>,
}

/// A fully validated model file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelSpec {
    /// File the model was read from.
    pub path: PathBuf,
    /// The files it was resolved from (`extends`), the first base first, `path` last.
    pub chain: Vec<PathBuf>,
    /// Model name.
    pub name: String,
    /// Built-in structure implementing the equations.
    pub structure: String,
    /// One-line title.
    pub title: String,
    /// Description, including the equations.
    pub description: String,
    /// Literature references.
    pub references: Vec<String>,
    /// Parameters.
    pub parameters: Vec<ParameterSpec>,
    /// States, in solver order.
    pub states: Vec<StateSpec>,
    /// Observables.
    pub observables: Vec<ObservableSpec>,
    /// Run defaults.
    pub defaults: Defaults,
    /// Outcome roles.
    pub outcomes: OutcomeRoles,
    /// Figure panels.
    pub panels: Vec<PanelSpec>,
}

impl ModelSpec {
    /// Index of a parameter by name.
    pub fn parameter_index(&self, name: &str) -> Option<usize> {
        self.parameters.iter().position(|p| p.name == name)
    }

    /// Index of a state by name.
    pub fn state_index(&self, name: &str) -> Option<usize> {
        self.states.iter().position(|s| s.name == name)
    }

    /// Index of an observable by name.
    pub fn observable_index(&self, name: &str) -> Option<usize> {
        self.observables.iter().position(|o| o.name == name)
    }

    /// Column index of a state or observable in the order states-then-observables.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.state_index(name)
            .or_else(|| self.observable_index(name).map(|i| i + self.states.len()))
    }

    /// Unit of a column in the order states-then-observables; `None` past the last column.
    pub fn column_unit(&self, column: usize) -> Option<&str> {
        let n = self.states.len();
        if column < n {
            Some(&self.states[column].unit)
        } else {
            self.observables.get(column - n).map(|o| o.unit.as_str())
        }
    }

    /// Column names: states then observables.
    pub fn column_names(&self) -> Vec<&str> {
        self.states
            .iter()
            .map(|s| s.name.as_str())
            .chain(self.observables.iter().map(|o| o.name.as_str()))
            .collect()
    }
}

/// Comma-separated list of names, for error messages.
pub(crate) fn join_names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names.into_iter().collect::<Vec<_>>().join(", ")
}
