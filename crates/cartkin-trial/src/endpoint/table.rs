//! The endpoint table: every per-patient variable and every trial endpoint, declared once.
//!
//! A **variable** ([`VARS`]) is extracted from one patient's outcomes and event times; it is a
//! column of `patients.csv` unless hidden. An **endpoint** ([`ENDPOINTS`]) is a statistic over
//! the patients' variables (a rate with its Wilson CI, a Kaplan–Meier curve with Greenwood
//! log-log CIs, a median time, a geometric mean, quantiles, a count), with its key in
//! `summary.json`, its columns in `arms.csv`, its column in `arms.md`, its key in a targets
//! file, its label in figures. Everything that reports endpoints is generated from these two
//! lists: `patients.csv`, `summary.json`, `arms.csv`/`arms.md`/`arms.json`, the comparison
//! with targets (and so calibration's discrepancy) and the endpoint figures.
//!
//! To add an endpoint: a variable (if the patient data it needs is new) and an endpoint entry,
//! here. Columns are written in table order; new ones go at the end of their list, and land
//! after the files' trailing columns (see [`LAST_VAR_BEFORE_DIAGNOSTICS`]), so that every
//! earlier column keeps its position.

use super::months::DAYS_PER_MONTH;
use super::record::Record;
use super::record::{Format, PatientContext, cd19_code, cd22_code, flag, opt};
use super::statistic::Stat;
use cartkin_core::model::OutcomeRoles;
use cartkin_core::outcome::Cd19;

/// A per-patient variable (an index into a [`Record`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Var {
    /// The simulation succeeded.
    Evaluable,
    /// Remission was assessed (a model with a response, followed to month 3).
    ResponseAssessed,
    /// A state or observable passed its plausibility ceiling.
    Implausible,
    /// CR/CRi by month 3, alive at remission.
    Responder,
    /// MRD-negative by month 3.
    MrdNegative,
    /// Day of remission onset.
    RemissionDay,
    /// RFS time from remission onset [day].
    RfsTimeDay,
    /// RFS event (relapse or death).
    RfsEvent,
    /// CD19 phenotype of the relapse that ends RFS.
    RelapseCd19,
    /// CD22 phenotype of that relapse (models that type CD22).
    RelapseCd22,
    /// The RFS event is a non-relapse death.
    DiedInRemission,
    /// CAR-T Cmax.
    Cmax,
    /// Day of Cmax.
    TmaxDay,
    /// CAR-T AUC0–28d.
    Auc28,
    /// Peak cytokine over days 0–28.
    CrsPeak,
    /// CRS grade.
    CrsGrade,
    /// Cumulative fludarabine AUC [mg·h/L].
    FluAuc,
    /// Day B-cell aplasia began.
    BCellAplasiaOnsetDay,
    /// Day B cells recovered from aplasia.
    BCellRecoveryDay,
    /// First day at CRS grade ≥ 1.
    CrsOnsetDay,
    /// Last day observed (follow-up end, death or dropout).
    ObservedUntilDay,
    /// The model has B cells with an aplasia threshold (else aplasia is not applicable).
    BCellsAssessed,
}

impl Var {
    /// Number of variables.
    pub const COUNT: usize = Var::BCellsAssessed as usize + 1;
}

/// The last variable written before `patients.csv`'s diagnostic columns (`implausible`,
/// `rhs_evaluations`, `error`): their place in files written before the table grew. Variables
/// after it follow the diagnostics, so that every earlier column keeps its position.
pub const LAST_VAR_BEFORE_DIAGNOSTICS: Var = Var::FluAuc;

/// The last endpoint whose columns come before `arms.csv`'s `settings` column (its place in
/// files written before the table grew); later endpoints' columns follow it.
pub const LAST_ENDPOINT_BEFORE_SETTINGS: Endpoint = Endpoint::FluAucAtLeast13_8;

/// A variable: its `patients.csv` column, how it is written and how it is extracted.
pub struct VarDef {
    /// The variable.
    pub var: Var,
    /// Column name in `patients.csv` (ignored for [`Format::Hidden`]).
    pub column: &'static str,
    /// How it is written.
    pub format: Format,
    /// Its value for one simulated patient (`NaN` when the patient has none).
    pub extract: fn(&PatientContext<'_>) -> f64,
}

/// Every variable, in `patients.csv` column order (hidden ones are skipped).
pub static VARS: &[VarDef] = &[
    VarDef {
        var: Var::Evaluable,
        column: "evaluable",
        format: Format::Hidden,
        extract: |_| 1.0,
    },
    VarDef {
        var: Var::ResponseAssessed,
        column: "response_assessed",
        format: Format::Hidden,
        extract: |p| flag(p.course.assessed),
    },
    VarDef {
        var: Var::Implausible,
        column: "implausible_flag",
        format: Format::Hidden,
        extract: |p| flag(p.implausible),
    },
    VarDef {
        var: Var::Responder,
        column: "responder",
        format: Format::Flag,
        extract: |p| flag(p.course.remission_day.is_some()),
    },
    VarDef {
        var: Var::MrdNegative,
        column: "mrd_negative",
        format: Format::Flag,
        extract: |p| flag(p.course.mrd_negative),
    },
    VarDef {
        var: Var::RemissionDay,
        column: "remission_day",
        format: Format::Number,
        extract: |p| opt(p.course.remission_day),
    },
    VarDef {
        var: Var::RfsTimeDay,
        column: "rfs_time_day",
        format: Format::Number,
        extract: |p| opt(p.course.rfs.map(|r| r.0)),
    },
    VarDef {
        var: Var::RfsEvent,
        column: "rfs_event",
        format: Format::OptionalFlag,
        extract: |p| opt(p.course.rfs.map(|r| flag(r.1))),
    },
    VarDef {
        var: Var::RelapseCd19,
        column: "relapse_type",
        format: Format::Cd19,
        extract: |p| opt(p.course.relapse.map(|r| cd19_code(r.0))),
    },
    VarDef {
        var: Var::RelapseCd22,
        column: "relapse_cd22",
        format: Format::Cd22,
        extract: |p| opt(p.course.relapse.and_then(|r| r.1).map(cd22_code)),
    },
    VarDef {
        var: Var::DiedInRemission,
        column: "died_in_remission",
        format: Format::Flag,
        extract: |p| flag(p.course.died_in_remission),
    },
    VarDef {
        var: Var::Cmax,
        column: "cmax",
        format: Format::Number,
        extract: |p| opt(p.outcomes.car_t.as_ref().map(|k| k.cmax)),
    },
    VarDef {
        var: Var::TmaxDay,
        column: "tmax_day",
        format: Format::Number,
        extract: |p| opt(p.outcomes.car_t.as_ref().map(|k| k.tmax_day)),
    },
    VarDef {
        var: Var::Auc28,
        column: "auc28",
        format: Format::Number,
        extract: |p| opt(p.outcomes.car_t.as_ref().map(|k| k.auc_0_28d)),
    },
    VarDef {
        var: Var::CrsPeak,
        column: "crs_peak",
        format: Format::Number,
        extract: |p| opt(p.outcomes.crs.as_ref().map(|c| c.peak)),
    },
    VarDef {
        var: Var::CrsGrade,
        column: "crs_grade",
        format: Format::Integer,
        extract: |p| opt(p.outcomes.crs.as_ref().map(|c| f64::from(c.grade))),
    },
    VarDef {
        var: Var::FluAuc,
        column: "flu_auc",
        format: Format::Number,
        extract: |p| opt(p.outcomes.fludarabine_auc),
    },
    VarDef {
        var: Var::BCellAplasiaOnsetDay,
        column: "b_cell_aplasia_onset_day",
        format: Format::Number,
        extract: |p| opt(p.outcomes.b_cell_aplasia.as_ref().and_then(|a| a.onset_day)),
    },
    VarDef {
        var: Var::BCellRecoveryDay,
        column: "b_cell_recovery_day",
        format: Format::Number,
        extract: |p| {
            opt(p
                .outcomes
                .b_cell_aplasia
                .as_ref()
                .and_then(|a| a.recovery_day))
        },
    },
    VarDef {
        var: Var::CrsOnsetDay,
        column: "crs_onset_day",
        format: Format::Number,
        extract: |p| opt(p.outcomes.crs.as_ref().and_then(|c| c.onset_day)),
    },
    VarDef {
        var: Var::ObservedUntilDay,
        column: "observed_until_day",
        format: Format::Hidden,
        extract: |p| p.course.observed_until_day,
    },
    VarDef {
        var: Var::BCellsAssessed,
        column: "b_cells_assessed",
        format: Format::Hidden,
        extract: |p| flag(p.outcomes.b_cell_aplasia.is_some()),
    },
];

/// A trial endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// Responders (count).
    Responders,
    /// Remission: CR/CRi by month 3 among assessed patients.
    Remission,
    /// MRD-negative remission by month 3.
    MrdNegative,
    /// Relapse-free survival from remission onset among responders.
    Rfs,
    /// Event-free survival from the infusion (no remission by month 3 an event at day 0).
    Efs,
    /// Median RFS [months].
    MedianRfs,
    /// Relapses (count).
    Relapses,
    /// Deaths in remission (count).
    DeathsInRemission,
    /// CD19-negative share of relapses.
    Cd19NegativeShare,
    /// CD22-negative share of relapses (models that type CD22).
    Cd22NegativeShare,
    /// CRS of any grade.
    CrsAnyGrade,
    /// CRS grade ≥ 3.
    CrsGrade3Plus,
    /// Geometric-mean Cmax, all patients.
    CmaxAll,
    /// Geometric-mean AUC0–28d, all patients.
    Auc28All,
    /// Geometric-mean Cmax, responders.
    CmaxResponders,
    /// Geometric-mean Cmax, non-responders.
    CmaxNonResponders,
    /// Geometric-mean AUC0–28d, responders.
    Auc28Responders,
    /// Geometric-mean AUC0–28d, non-responders.
    Auc28NonResponders,
    /// Median Tmax [day].
    TmaxMedian,
    /// Fludarabine AUC quantiles [mg·h/L].
    FluAuc,
    /// Share with fludarabine AUC ≥ 13.8 mg·h/L.
    FluAucAtLeast13_8,
    /// Tmax quantiles [day].
    Tmax,
    /// CRS onset quantiles [day], among patients with CRS.
    CrsOnset,
    /// Ongoing B-cell aplasia among responders (Kaplan–Meier of the time to B-cell recovery).
    BCellAplasia,
    /// Median duration of B-cell aplasia among responders [months].
    MedianBCellAplasia,
}

/// How an endpoint is reported.
pub struct EndpointDef {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// Key in `summary.json` (and `arms.json`).
    pub json: &'static str,
    /// Key of a rate's CI in `summary.json` (`None`: `{json}_ci95`).
    pub json_ci: Option<&'static str>,
    /// Base name of its columns in `arms.csv` (`None`: not in `arms.csv`). A rate has three
    /// (`name`, `name_lo`, `name_hi`), a curve three per month (`name_6mo`, ...), quantiles
    /// three (`name_p05`, `name_median`, `name_p95`).
    pub csv: Option<&'static str>,
    /// Column title in `arms.md` (`None`: not in the table; `{m}` is the headline month).
    pub md: Option<&'static str>,
    /// Key in a targets file (rates: a table; curves: an array of `{month, value}`).
    pub target: Option<&'static str>,
    /// Its panel in the endpoint figures (`None`: not drawn).
    pub figure: Option<Plot>,
    /// File-name stem of its heatmap.
    pub slug: &'static str,
    /// Only defined where remission was assessed (else not applicable).
    pub needs_response: bool,
    /// What the model must have to report it.
    pub needs: Need,
    /// The statistic.
    pub stat: Stat,
}

/// An endpoint's panel in figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plot {
    /// Panel title (`{m}` is the headline month).
    pub title: &'static str,
    /// Y-axis label.
    pub axis: &'static str,
}

/// What a model must declare (its `[outcomes]` roles) to report an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Nothing beyond a simulation.
    Nothing,
    /// A leukemia response (`outcomes.blast_fraction`).
    Response,
    /// CD19-typed clones (`outcomes.cd19_negative`, with a response).
    Cd19Typing,
    /// CD22-typed clones (`outcomes.cd22_positive` and `cd22_negative`, with a response).
    Cd22Typing,
    /// A CAR-T observable (`outcomes.car_t`).
    CarT,
    /// A cytokine with CRS grade edges (`outcomes.cytokine`, `crs_grade_edges`).
    Crs,
    /// B cells with an aplasia threshold (`outcomes.b_cells`, `b_cell_aplasia_below`), and a
    /// response (aplasia is reported among responders).
    BCells,
    /// Fludarabine exposure (`outcomes.fludarabine_auc`).
    Fludarabine,
}

impl Need {
    /// Whether a model with these roles can report the endpoint.
    pub fn met_by(self, roles: &OutcomeRoles) -> bool {
        let response = roles.blast_fraction.is_some();
        match self {
            Need::Nothing => true,
            Need::Response => response,
            Need::Cd19Typing => response && roles.cd19_negative.is_some(),
            Need::Cd22Typing => {
                response && roles.cd22_positive.is_some() && roles.cd22_negative.is_some()
            }
            Need::CarT => roles.car_t.is_some(),
            Need::Crs => roles.cytokine.is_some() && roles.crs_grade_edges.is_some(),
            Need::BCells => {
                response && roles.b_cells.is_some() && roles.b_cell_aplasia_below.is_some()
            }
            Need::Fludarabine => roles.fludarabine_auc.is_some(),
        }
    }

    /// What is missing, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Need::Nothing => "nothing",
            Need::Response => "a leukemia response (outcomes.blast_fraction)",
            Need::Cd19Typing => "CD19-typed clones (outcomes.cd19_negative) and a response",
            Need::Cd22Typing => {
                "CD22-typed clones (outcomes.cd22_positive, cd22_negative) and a response"
            }
            Need::CarT => "a CAR-T observable (outcomes.car_t)",
            Need::Crs => "a cytokine with CRS grade edges (outcomes.cytokine, crs_grade_edges)",
            Need::BCells => {
                "B cells with an aplasia threshold (outcomes.b_cells, b_cell_aplasia_below) and a response"
            }
            Need::Fludarabine => "fludarabine exposure (outcomes.fludarabine_auc)",
        }
    }
}

impl EndpointDef {
    /// Key of a rate's CI in `summary.json`.
    pub fn json_ci_key(&self) -> String {
        self.json_ci
            .map_or_else(|| format!("{}_ci95", self.json), str::to_string)
    }

    /// A survival curve at the report months (RFS, EFS), whose targets add report months.
    pub fn is_report_curve(&self) -> bool {
        matches!(self.stat, Stat::Survival(_))
    }

    /// A survival curve (at the report months or fixed ones): its targets are points.
    pub fn is_curve(&self) -> bool {
        matches!(self.stat, Stat::Survival(_) | Stat::SurvivalAt { .. })
    }

    /// A proportion (a rate or a survival), drawn on [0, 1].
    pub fn is_proportion(&self) -> bool {
        matches!(
            self.stat,
            Stat::Rate { .. } | Stat::Survival(_) | Stat::SurvivalAt { .. }
        )
    }

    /// The time to event of a survival endpoint.
    pub fn time_to_event(&self) -> Option<super::statistic::TimeToEvent> {
        match self.stat {
            Stat::Survival(f) | Stat::SurvivalAt { curve: f, .. } | Stat::MedianSurvival(f) => {
                Some(f)
            }
            _ => None,
        }
    }

    /// The fixed months of a curve at fixed months.
    pub fn fixed_months(&self) -> Option<&'static [f64]> {
        match self.stat {
            Stat::SurvivalAt { months, .. } => Some(months),
            _ => None,
        }
    }
}

fn evaluable(r: &Record) -> bool {
    r.evaluable()
}

fn responder(r: &Record) -> bool {
    r.evaluable() && r.flag(Var::Responder)
}

fn non_responder(r: &Record) -> bool {
    r.evaluable() && !r.flag(Var::Responder)
}

/// The RFS event is a relapse (not a death).
fn relapsed(r: &Record) -> bool {
    r.evaluable() && r.flag(Var::RfsEvent) && !r.flag(Var::DiedInRemission)
}

/// Relapse-free survival of a responder: (months from remission onset, event).
fn rfs(r: &Record) -> Option<(f64, bool)> {
    if !responder(r) {
        return None;
    }
    Some((
        r.value(Var::RfsTimeDay)? / DAYS_PER_MONTH,
        r.value(Var::RfsEvent)? == 1.0,
    ))
}

/// Event-free survival from the infusion: a non-responder has an event at day 0; a
/// responder's RFS counts from the infusion (remission day + RFS time).
fn efs(r: &Record) -> Option<(f64, bool)> {
    if !r.evaluable() {
        return None;
    }
    if !r.flag(Var::Responder) {
        return Some((0.0, true));
    }
    Some((
        (r.value(Var::RemissionDay)? + r.value(Var::RfsTimeDay)?) / DAYS_PER_MONTH,
        r.value(Var::RfsEvent)? == 1.0,
    ))
}

/// Time in B-cell aplasia of a responder, from the infusion (as trials report it: "B-cell
/// aplasia at 6 months after infusion"): recovery is the event; no aplasia while observed is
/// an event at day 0; aplasia that lasts is censored when observation ends. Not applicable
/// (`None`) to a model without B cells.
fn b_cell_aplasia(r: &Record) -> Option<(f64, bool)> {
    if !responder(r) || !r.flag(Var::BCellsAssessed) {
        return None;
    }
    let end = r.value(Var::ObservedUntilDay)?;
    Some(
        match (
            r.value(Var::BCellAplasiaOnsetDay),
            r.value(Var::BCellRecoveryDay),
        ) {
            (None, _) => (0.0, true),
            // begun after observation ended (a death in remission first): not seen
            (Some(onset), _) if onset > end => (0.0, true),
            (Some(_), Some(recovery)) if recovery <= end => (recovery / DAYS_PER_MONTH, true),
            (Some(_), _) => (end / DAYS_PER_MONTH, false),
        },
    )
}

fn cmax(r: &Record) -> Option<f64> {
    r.value(Var::Cmax)
}

fn auc28(r: &Record) -> Option<f64> {
    r.value(Var::Auc28)
}

/// Every endpoint, in `arms.csv` and `arms.md` column order.
pub static ENDPOINTS: &[EndpointDef] = &[
    EndpointDef {
        endpoint: Endpoint::Responders,
        json: "responders",
        json_ci: None,
        csv: None,
        md: None,
        target: None,
        figure: None,
        slug: "responders",
        needs_response: false,
        needs: Need::Response,
        stat: Stat::Count(responder),
    },
    EndpointDef {
        endpoint: Endpoint::Remission,
        json: "orr",
        json_ci: None,
        csv: Some("remission"),
        md: Some("remission (CR/CRi by month 3)"),
        target: Some("remission"),
        figure: Some(Plot {
            title: "Remission (CR/CRi by month 3)",
            axis: "Proportion of patients",
        }),
        slug: "remission",
        needs_response: true,
        needs: Need::Response,
        stat: Stat::Rate {
            of: |r| r.flag(Var::Responder),
            among: evaluable,
        },
    },
    EndpointDef {
        endpoint: Endpoint::MrdNegative,
        json: "mrd_negative_rate",
        json_ci: Some("mrd_negative_ci95"),
        csv: Some("mrd_negative"),
        md: Some("MRD-negative"),
        target: Some("mrd_negative"),
        figure: None,
        slug: "mrd_negative",
        needs_response: true,
        needs: Need::Response,
        stat: Stat::Rate {
            of: |r| r.flag(Var::MrdNegative),
            among: evaluable,
        },
    },
    EndpointDef {
        endpoint: Endpoint::Rfs,
        json: "rfs_km",
        json_ci: None,
        csv: Some("rfs"),
        md: Some("RFS {m} mo"),
        target: Some("rfs"),
        figure: Some(Plot {
            title: "Relapse-free survival at {m} months",
            axis: "RFS (responders)",
        }),
        slug: "rfs",
        needs_response: true,
        needs: Need::Response,
        stat: Stat::Survival(rfs),
    },
    EndpointDef {
        endpoint: Endpoint::Efs,
        json: "efs_km",
        json_ci: None,
        csv: Some("efs"),
        md: Some("EFS {m} mo"),
        target: Some("efs"),
        figure: None,
        slug: "efs",
        needs_response: true,
        needs: Need::Response,
        stat: Stat::Survival(efs),
    },
    EndpointDef {
        endpoint: Endpoint::MedianRfs,
        json: "median_rfs_months",
        json_ci: None,
        csv: Some("median_rfs_months"),
        md: None,
        target: None,
        figure: None,
        slug: "median_rfs",
        needs_response: true,
        needs: Need::Response,
        stat: Stat::MedianSurvival(rfs),
    },
    EndpointDef {
        endpoint: Endpoint::Relapses,
        json: "relapses",
        json_ci: None,
        csv: Some("relapses"),
        md: None,
        target: None,
        figure: None,
        slug: "relapses",
        needs_response: false,
        needs: Need::Response,
        stat: Stat::Count(relapsed),
    },
    EndpointDef {
        endpoint: Endpoint::DeathsInRemission,
        json: "deaths_in_remission",
        json_ci: None,
        csv: None,
        md: None,
        target: None,
        figure: None,
        slug: "deaths_in_remission",
        needs_response: false,
        needs: Need::Response,
        stat: Stat::Count(|r| r.evaluable() && r.flag(Var::DiedInRemission)),
    },
    EndpointDef {
        endpoint: Endpoint::Cd19NegativeShare,
        json: "cd19_negative_relapse_share",
        json_ci: None,
        csv: Some("cd19_negative_relapse_share"),
        md: Some("CD19− share of relapses"),
        target: Some("cd19_negative_relapse_share"),
        figure: Some(Plot {
            title: "CD19-negative share of relapses",
            axis: "Proportion of relapses",
        }),
        slug: "cd19_negative_share",
        needs_response: false,
        needs: Need::Cd19Typing,
        stat: Stat::Rate {
            of: |r| r.get(Var::RelapseCd19) == cd19_code(Cd19::Negative),
            among: relapsed,
        },
    },
    EndpointDef {
        endpoint: Endpoint::Cd22NegativeShare,
        json: "cd22_negative_relapse_share",
        json_ci: None,
        csv: Some("cd22_negative_relapse_share"),
        md: Some("CD22− share of relapses"),
        target: None,
        figure: None,
        slug: "cd22_negative_share",
        needs_response: false,
        needs: Need::Cd22Typing,
        stat: Stat::Rate {
            of: |r| r.get(Var::RelapseCd22) == -1.0,
            among: |r| relapsed(r) && r.value(Var::RelapseCd22).is_some(),
        },
    },
    EndpointDef {
        endpoint: Endpoint::CrsAnyGrade,
        json: "crs_any_grade",
        json_ci: None,
        csv: Some("crs_any_grade"),
        md: Some("CRS any grade"),
        target: Some("crs_any_grade"),
        figure: None,
        slug: "crs_any_grade",
        needs_response: false,
        needs: Need::Crs,
        stat: Stat::Rate {
            of: |r| r.get(Var::CrsGrade) >= 1.0,
            among: |r| r.evaluable() && r.value(Var::CrsGrade).is_some(),
        },
    },
    EndpointDef {
        endpoint: Endpoint::CrsGrade3Plus,
        json: "crs_grade3plus",
        json_ci: None,
        csv: Some("crs_grade3plus"),
        md: Some("CRS grade ≥ 3"),
        target: Some("crs_grade3plus"),
        figure: Some(Plot {
            title: "CRS grade ≥ 3",
            axis: "Proportion of patients",
        }),
        slug: "crs_grade3plus",
        needs_response: false,
        needs: Need::Crs,
        stat: Stat::Rate {
            of: |r| r.get(Var::CrsGrade) >= 3.0,
            among: |r| r.evaluable() && r.value(Var::CrsGrade).is_some(),
        },
    },
    EndpointDef {
        endpoint: Endpoint::CmaxAll,
        json: "cmax_all",
        json_ci: None,
        csv: Some("cmax_geomean"),
        md: Some("CAR-T Cmax (geo. mean)"),
        target: None,
        figure: None,
        slug: "cmax",
        needs_response: false,
        needs: Need::CarT,
        stat: Stat::GeoMean {
            value: cmax,
            among: evaluable,
        },
    },
    EndpointDef {
        endpoint: Endpoint::Auc28All,
        json: "auc28_all",
        json_ci: None,
        csv: Some("auc28_geomean"),
        md: None,
        target: None,
        figure: None,
        slug: "auc28",
        needs_response: false,
        needs: Need::CarT,
        stat: Stat::GeoMean {
            value: auc28,
            among: evaluable,
        },
    },
    EndpointDef {
        endpoint: Endpoint::CmaxResponders,
        json: "cmax_responders",
        json_ci: None,
        csv: Some("cmax_geomean_responders"),
        md: None,
        target: None,
        figure: None,
        slug: "cmax_responders",
        needs_response: false,
        needs: Need::CarT,
        stat: Stat::GeoMean {
            value: cmax,
            among: responder,
        },
    },
    EndpointDef {
        endpoint: Endpoint::CmaxNonResponders,
        json: "cmax_nonresponders",
        json_ci: None,
        csv: None,
        md: None,
        target: None,
        figure: None,
        slug: "cmax_nonresponders",
        needs_response: false,
        needs: Need::CarT,
        stat: Stat::GeoMean {
            value: cmax,
            among: non_responder,
        },
    },
    EndpointDef {
        endpoint: Endpoint::Auc28Responders,
        json: "auc28_responders",
        json_ci: None,
        csv: Some("auc28_geomean_responders"),
        md: None,
        target: None,
        figure: None,
        slug: "auc28_responders",
        needs_response: false,
        needs: Need::CarT,
        stat: Stat::GeoMean {
            value: auc28,
            among: responder,
        },
    },
    EndpointDef {
        endpoint: Endpoint::Auc28NonResponders,
        json: "auc28_nonresponders",
        json_ci: None,
        csv: None,
        md: None,
        target: None,
        figure: None,
        slug: "auc28_nonresponders",
        needs_response: false,
        needs: Need::CarT,
        stat: Stat::GeoMean {
            value: auc28,
            among: non_responder,
        },
    },
    EndpointDef {
        endpoint: Endpoint::TmaxMedian,
        json: "tmax_median_day",
        json_ci: None,
        csv: Some("tmax_median_day"),
        md: None,
        target: None,
        figure: None,
        slug: "tmax_median",
        needs_response: false,
        needs: Need::CarT,
        stat: Stat::Quantile {
            value: |r| r.value(Var::TmaxDay),
            among: evaluable,
            q: 0.5,
        },
    },
    EndpointDef {
        endpoint: Endpoint::FluAuc,
        json: "flu_auc",
        json_ci: None,
        csv: Some("flu_auc"),
        md: Some("Flu AUC median [mg·h/L]"),
        target: None,
        figure: None,
        slug: "flu_auc",
        needs_response: false,
        needs: Need::Fludarabine,
        stat: Stat::Quantiles {
            value: |r| r.value(Var::FluAuc),
            among: evaluable,
        },
    },
    EndpointDef {
        endpoint: Endpoint::FluAucAtLeast13_8,
        json: "flu_auc_at_least_13_8",
        json_ci: None,
        csv: Some("flu_auc_at_least_13_8"),
        md: Some("Flu AUC ≥ 13.8"),
        target: None,
        figure: None,
        slug: "flu_auc_13_8",
        needs_response: false,
        needs: Need::Fludarabine,
        stat: Stat::Rate {
            of: |r| r.get(Var::FluAuc) >= 13.8,
            among: |r| r.evaluable() && r.value(Var::FluAuc).is_some(),
        },
    },
    EndpointDef {
        endpoint: Endpoint::Tmax,
        json: "tmax_day",
        json_ci: None,
        csv: Some("tmax_day"),
        md: Some("Tmax median [day]"),
        target: None,
        figure: Some(Plot {
            title: "Median CAR-T Tmax",
            axis: "Day after infusion",
        }),
        slug: "tmax",
        needs_response: false,
        needs: Need::CarT,
        stat: Stat::Quantiles {
            value: |r| r.value(Var::TmaxDay),
            among: evaluable,
        },
    },
    EndpointDef {
        endpoint: Endpoint::CrsOnset,
        json: "crs_onset_day",
        json_ci: None,
        csv: Some("crs_onset_day"),
        md: Some("CRS onset median [day]"),
        target: None,
        figure: Some(Plot {
            title: "Median CRS onset (patients with CRS)",
            axis: "Day after infusion",
        }),
        slug: "crs_onset",
        needs_response: false,
        needs: Need::Crs,
        stat: Stat::Quantiles {
            value: |r| r.value(Var::CrsOnsetDay),
            among: |r| r.evaluable() && r.get(Var::CrsGrade) >= 1.0,
        },
    },
    EndpointDef {
        endpoint: Endpoint::BCellAplasia,
        json: "b_cell_aplasia_km",
        json_ci: None,
        csv: Some("b_cell_aplasia"),
        md: Some("B-cell aplasia at 6 mo"),
        target: Some("b_cell_aplasia"),
        figure: Some(Plot {
            title: "B-cell aplasia at 6 months (responders)",
            axis: "Ongoing aplasia (Kaplan–Meier)",
        }),
        slug: "b_cell_aplasia",
        needs_response: true,
        needs: Need::BCells,
        stat: Stat::SurvivalAt {
            curve: b_cell_aplasia,
            months: &[6.0, 12.0],
        },
    },
    EndpointDef {
        endpoint: Endpoint::MedianBCellAplasia,
        json: "median_b_cell_aplasia_months",
        json_ci: None,
        csv: Some("median_b_cell_aplasia_months"),
        md: None,
        target: None,
        figure: None,
        slug: "median_b_cell_aplasia",
        needs_response: true,
        needs: Need::BCells,
        stat: Stat::MedianSurvival(b_cell_aplasia),
    },
];

impl Endpoint {
    /// This endpoint's entry in [`ENDPOINTS`].
    pub fn def(self) -> &'static EndpointDef {
        // the table lists every endpoint once, in declaration order (tested)
        &ENDPOINTS[self as usize]
    }
}

/// The endpoint a targets file names by `key`, if any.
pub fn by_target(key: &str) -> Option<&'static EndpointDef> {
    ENDPOINTS.iter().find(|d| d.target == Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variable_and_endpoint_is_declared_once_in_order() {
        assert_eq!(VARS.len(), Var::COUNT);
        for (k, def) in VARS.iter().enumerate() {
            assert_eq!(def.var as usize, k, "{}", def.column);
        }
        for (k, def) in ENDPOINTS.iter().enumerate() {
            assert_eq!(def.endpoint as usize, k, "{}", def.json);
        }
        assert_eq!(
            ENDPOINTS.len(),
            Endpoint::MedianBCellAplasia as usize + 1,
            "every endpoint has an entry"
        );
        let keys: std::collections::BTreeSet<&str> = ENDPOINTS.iter().map(|d| d.json).collect();
        assert_eq!(keys.len(), ENDPOINTS.len(), "JSON keys are unique");
    }
}
