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

mod query;

use serde::Serialize;

pub use query::{
    Column, Direction, GL3_MAX_LOG_CHANGE, MAX_COLUMNS, NodeTable, TIME_TOLERANCE, sample,
};

use crate::model::ModelSpec;
use crate::simulate::{Event, EventKind, Simulation};
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
    /// Computes the outcomes a model's roles allow.
    pub fn compute(sim: &Simulation, spec: &ModelSpec) -> Self {
        let roles = &spec.outcomes;
        // every column at every node, once; each role reads its own
        let table = NodeTable::new(sim, spec);
        let column = |name: &Option<String>| {
            name.as_ref().and_then(|n| spec.column_index(n)).map(|i| {
                (
                    table.column(i),
                    spec.column_unit(i).unwrap_or_default().to_string(),
                )
            })
        };
        let (_, t_end) = sim.trajectory.span();
        let mut events = sim.events.clone();

        let car_t = column(&roles.car_t).and_then(|(c, unit)| {
            let (tmax, cmax) = c.maximum(0.0, t_end)?;
            let first = sim
                .doses
                .iter()
                .find(|d| d.route == crate::model::Agent::CarT)
                .map_or(0.0, |d| d.time)
                .max(0.0);
            let start = c.at(first);
            events.push(Event {
                time: tmax,
                kind: EventKind::CarTPeak,
                detail: format!("Cmax {cmax:.4e} {unit}"),
            });
            Some(CarTKinetics {
                observable: roles.car_t.clone().unwrap_or_default(),
                unit,
                cmax,
                tmax_day: tmax,
                auc_0_28d: c.integral(0.0, DAY_28.min(t_end)),
                fold_expansion: if start > 0.0 { cmax / start } else { f64::NAN },
            })
        });

        // None: not a state; Some(None): a state still alive at the end
        let extinct_day = |name: &str| -> Option<Option<f64>> {
            let i = spec.state_index(name)?;
            let last = sim.trajectory.nodes().last()?;
            let gone = sim.trajectory.layout().log[i] && last.alive & (1 << i) == 0;
            Some(gone.then(|| {
                sim.extinctions
                    .iter()
                    .rev()
                    .find(|(_, state)| *state == i)
                    .map_or(t_end, |(day, _)| *day)
            }))
        };

        let response = column(&roles.blast_fraction).map(|(blasts, _)| {
            let cr_day = blasts.first_crossing(CR_THRESHOLD, Direction::Down, 0.0);
            let mrd_day = blasts.first_crossing(MRD_THRESHOLD, Direction::Down, 0.0);
            if let Some(t) = cr_day {
                events.push(Event {
                    time: t,
                    kind: EventKind::CompleteRemission,
                    detail: "marrow blasts < 5%".into(),
                });
            }
            if let Some(t) = mrd_day {
                events.push(Event {
                    time: t,
                    kind: EventKind::MrdNegative,
                    detail: "marrow blasts < 1e-4".into(),
                });
            }
            let relapse = cr_day.and_then(|cr| {
                let day =
                    blasts.first_crossing(CR_THRESHOLD, Direction::Up, cr + TIME_TOLERANCE)?;
                let value = |name: &Option<String>| {
                    name.as_ref()
                        .and_then(|n| spec.column_index(n))
                        .map(|i| table.column(i).at(day))
                };
                let cd19 = match (value(&roles.cd19_positive), value(&roles.cd19_negative)) {
                    (Some(pos), Some(neg)) if neg > pos => Cd19::Negative,
                    (Some(_), _) => Cd19::Positive,
                    _ => Cd19::Unknown,
                };
                let cd22 = match (value(&roles.cd22_positive), value(&roles.cd22_negative)) {
                    (Some(pos), Some(neg)) if neg > pos => Some(Cd22::Negative),
                    (Some(_), Some(_)) => Some(Cd22::Positive),
                    _ => None,
                };
                let phenotype = match cd22 {
                    Some(cd22) => format!("{cd19}{cd22}"),
                    None => cd19.to_string(),
                };
                events.push(Event {
                    time: day,
                    kind: EventKind::Relapse,
                    detail: format!("{phenotype} relapse, blasts ≥ 5%"),
                });
                Some(Relapse {
                    day,
                    days_from_remission: day - cr,
                    cd19,
                    cd22,
                })
            });
            let clones: Vec<Option<f64>> = if roles.clones.is_empty() {
                [&roles.cd19_positive, &roles.cd19_negative]
                    .into_iter()
                    .flatten()
                    .filter_map(|name| extinct_day(name))
                    .collect()
            } else {
                roles
                    .clones
                    .iter()
                    .map(|name| extinct_day(name).flatten())
                    .collect()
            };
            let cured = !clones.is_empty() && clones.iter().all(Option::is_some);
            let cure_day = if cured {
                clones.iter().flatten().copied().reduce(f64::max)
            } else {
                None
            };
            if let Some(t) = cure_day {
                events.push(Event {
                    time: t,
                    kind: EventKind::Cure,
                    detail: "all leukemic clones extinct".into(),
                });
            }
            Response {
                blast_fraction_day0: blasts.at(0.0),
                blast_fraction_day28: blasts.at(DAY_28.min(t_end)),
                cr_day,
                mrd_negative_day: mrd_day,
                cr_by_day28: cr_day.is_some_and(|d| d <= DAY_28),
                cr_by_month3: cr_day.is_some_and(|d| d <= MONTH_3),
                mrd_negative_by_day28: mrd_day.is_some_and(|d| d <= DAY_28),
                mrd_negative_by_month3: mrd_day.is_some_and(|d| d <= MONTH_3),
                relapse,
                cured,
                cure_day,
            }
        });

        let b_cell_aplasia = match (column(&roles.b_cells), roles.b_cell_aplasia_below) {
            (Some((b, _)), Some(threshold)) => {
                let onset = b.first_crossing(threshold, Direction::Down, 0.0);
                let recovery = onset
                    .and_then(|t| b.first_crossing(threshold, Direction::Up, t + TIME_TOLERANCE));
                if let Some(t) = onset {
                    events.push(Event {
                        time: t,
                        kind: EventKind::BCellAplasiaStart,
                        detail: format!("B cells < {threshold} of normal"),
                    });
                }
                if let Some(t) = recovery {
                    events.push(Event {
                        time: t,
                        kind: EventKind::BCellRecovery,
                        detail: format!("B cells ≥ {threshold} of normal"),
                    });
                }
                Some(Aplasia {
                    threshold,
                    onset_day: onset,
                    recovery_day: recovery,
                    duration_days: onset.map_or(0.0, |o| recovery.unwrap_or(t_end) - o),
                    ongoing_at_end: onset.is_some() && recovery.is_none(),
                })
            }
            _ => None,
        };

        let crs = column(&roles.cytokine).and_then(|(c, unit)| {
            let (peak_day, peak) = c.maximum(0.0, DAY_28.min(t_end))?;
            let edges = roles.crs_grade_edges.clone().unwrap_or_default();
            let grade = edges.iter().filter(|&&e| peak >= e).count() as u8;
            // the peak is at grade ≥ 1, so the first crossing of the grade-1 edge comes at or
            // before it (a crossing and return between two nodes is found at the peak)
            let onset_day = edges.first().filter(|_| grade >= 1).map(|&edge| {
                c.first_crossing(edge, Direction::Up, 0.0)
                    .filter(|d| *d <= peak_day)
                    .unwrap_or(peak_day)
            });
            Some(Crs {
                cytokine: roles.cytokine.clone().unwrap_or_default(),
                unit,
                peak,
                peak_day,
                grade,
                grade_edges: edges,
                onset_day,
            })
        });

        let fludarabine_auc = column(&roles.fludarabine_auc).map(|(c, _)| c.last());
        events.sort_by(|a, b| a.time.total_cmp(&b.time));
        let ceilings = spec
            .states
            .iter()
            .map(|s| (&s.name, &s.unit, s.plausible_max))
            .chain(
                spec.observables
                    .iter()
                    .map(|o| (&o.name, &o.unit, o.plausible_max)),
            );
        let implausible = ceilings
            .enumerate()
            .filter_map(|(i, (name, unit, ceiling))| {
                let ceiling = ceiling?;
                let (day, max_value) = table.node_maximum(i)?;
                (max_value > ceiling).then(|| Implausible {
                    column: name.clone(),
                    unit: unit.clone(),
                    max_value,
                    day,
                    plausible_max: ceiling,
                })
            })
            .collect();
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
