//! One patient's endpoint data: the values of the variables of the endpoint table, extracted
//! once from the simulation's outcomes and the patient's event times.

use cartkin_core::outcome::{Cd19, Cd22, MONTH_3, Outcomes};

use super::table::{VARS, Var};

/// The values of every [`Var`] for one patient, in table order; `NaN` where a patient has no
/// value (a flag is 0 or 1, a phenotype a code, see [`Format`]). Small and `Copy`: what a
/// population keeps in memory per patient while the rows stream to disk.
#[derive(Debug, Clone, Copy)]
pub struct Record {
    values: [f64; Var::COUNT],
}

/// Records are equal when every value has the same bits (a missing value equals a missing
/// value, unlike `NaN == NaN`).
impl PartialEq for Record {
    fn eq(&self, other: &Self) -> bool {
        self.values
            .iter()
            .zip(&other.values)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

/// Anything that carries a patient's [`Record`]: the record itself, or a population's full
/// patient result.
pub trait HasRecord {
    /// The patient's record.
    fn record(&self) -> &Record;
}

/// How a variable is written in `patients.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `1` or `0`, never missing.
    Flag,
    /// `1`, `0`, or empty where the patient has none.
    OptionalFlag,
    /// Scientific notation (`1.234567e1`), empty where missing.
    Number,
    /// A whole number (a grade), empty where missing.
    Integer,
    /// `CD19+`, `CD19-`, `unknown`, or empty.
    Cd19,
    /// `CD22+`, `CD22-`, or empty.
    Cd22,
    /// Not written (used by endpoints only).
    Hidden,
}

impl Record {
    /// The record of a patient whose draw or simulation failed: not evaluable, every flag 0,
    /// every value missing.
    pub fn failed() -> Self {
        let mut values = [f64::NAN; Var::COUNT];
        for def in VARS {
            if def.format == Format::Flag {
                values[def.var as usize] = 0.0;
            }
        }
        Record { values }
    }

    /// The record of a simulated patient.
    pub fn extract(patient: &PatientContext<'_>) -> Self {
        let mut values = [f64::NAN; Var::COUNT];
        for def in VARS {
            values[def.var as usize] = (def.extract)(patient);
        }
        Record { values }
    }

    /// The value of `var` (`NaN` when missing).
    pub fn get(&self, var: Var) -> f64 {
        self.values[var as usize]
    }

    /// `var` where the patient has it.
    pub fn value(&self, var: Var) -> Option<f64> {
        let v = self.get(var);
        (!v.is_nan()).then_some(v)
    }

    /// A flag variable: true when 1.
    pub fn flag(&self, var: Var) -> bool {
        self.get(var) == 1.0
    }

    /// Replaces the value of `var` (e.g. a CRS grade with other edges).
    pub fn set(&mut self, var: Var, value: f64) {
        self.values[var as usize] = value;
    }

    /// The simulation succeeded.
    pub fn evaluable(&self) -> bool {
        self.flag(Var::Evaluable)
    }

    /// The cell of `var` in `patients.csv`.
    pub fn cell(&self, var: Var, format: Format) -> String {
        let v = self.get(var);
        let missing = !v.is_finite();
        match format {
            Format::Flag => u8::from(v == 1.0).to_string(),
            _ if missing => String::new(),
            Format::OptionalFlag => u8::from(v == 1.0).to_string(),
            Format::Number => format!("{v:.6e}"),
            Format::Integer => format!("{v:.0}"),
            Format::Cd19 => cd19_from_code(v).map(|c| c.to_string()).unwrap_or_default(),
            Format::Cd22 => cd22_from_code(v).map(|c| c.to_string()).unwrap_or_default(),
            Format::Hidden => String::new(),
        }
    }
}

/// What a variable's extractor reads: the simulated outcomes, the patient's non-relapse event
/// times and the follow-up, and the clinical course derived from them once.
pub struct PatientContext<'a> {
    /// The simulation's clinical outcomes.
    pub outcomes: &'a Outcomes,
    /// Day of death from non-relapse causes (infinite if none).
    pub death_day: f64,
    /// Day of loss to follow-up (infinite if none).
    pub dropout_day: f64,
    /// Follow-up after the infusion [day].
    pub follow_up_days: f64,
    /// The states or observables past their plausibility ceiling.
    pub implausible: bool,
    /// Remission, relapse-free survival and relapse, as a trial would record them.
    pub course: Course,
}

/// The clinical course of a patient, as a trial records it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Course {
    /// The model has a response and the follow-up reaches month 3.
    pub assessed: bool,
    /// MRD-negative (blasts < 1e-4) by month 3, alive then.
    pub mrd_negative: bool,
    /// Day of remission onset (CR/CRi by month 3, alive at remission), for responders.
    pub remission_day: Option<f64>,
    /// Relapse-free survival from remission onset: (time [day], event), for responders.
    pub rfs: Option<(f64, bool)>,
    /// The RFS event is a non-relapse death.
    pub died_in_remission: bool,
    /// The RFS event is a relapse, with its phenotype.
    pub relapse: Option<(Cd19, Option<Cd22>)>,
    /// Last day the patient is observed: the end of follow-up, or an earlier death or dropout.
    pub observed_until_day: f64,
}

impl<'a> PatientContext<'a> {
    /// The context of a simulated patient: `outcomes` of its simulation followed for
    /// `follow_up_days`, with non-relapse death and dropout on the given days.
    pub fn new(
        outcomes: &'a Outcomes,
        death_day: f64,
        dropout_day: f64,
        follow_up_days: f64,
    ) -> Self {
        PatientContext {
            outcomes,
            death_day,
            dropout_day,
            follow_up_days,
            implausible: !outcomes.implausible.is_empty(),
            course: Course::of(outcomes, death_day, dropout_day, follow_up_days),
        }
    }
}

impl Course {
    fn of(o: &Outcomes, death_day: f64, dropout_day: f64, follow_up_days: f64) -> Self {
        let mut course = Course {
            observed_until_day: follow_up_days.min(death_day).min(dropout_day),
            ..Course::default()
        };
        // remission is assessed at month 3: a shorter follow-up cannot tell
        let Some(r) = &o.response else {
            return course;
        };
        if follow_up_days < MONTH_3 {
            return course;
        }
        course.assessed = true;
        course.mrd_negative =
            r.mrd_negative_by_month3 && r.mrd_negative_day.is_some_and(|d| d < death_day);
        // a patient who dies before remission is a non-responder
        let Some(onset) = r.cr_day.filter(|d| *d <= MONTH_3 && *d < death_day) else {
            return course;
        };
        course.remission_day = Some(onset);
        let relapse = r.relapse.as_ref().map(|rel| (rel.day, rel.cd19, rel.cd22));
        // the first of relapse, death, dropout and the end of follow-up ends RFS
        let candidates = [
            (relapse.map_or(f64::INFINITY, |x| x.0), 0u8),
            (death_day, 1),
            (dropout_day, 2),
            (follow_up_days, 3),
        ];
        let (time, kind) = candidates
            .iter()
            .copied()
            .fold(
                (f64::INFINITY, 3u8),
                |best, c| if c.0 < best.0 { c } else { best },
            );
        course.rfs = Some(((time - onset).max(0.0), kind <= 1));
        course.died_in_remission = kind == 1;
        if kind == 0 {
            course.relapse = relapse.map(|(_, cd19, cd22)| (cd19, cd22));
        }
        course
    }
}

/// A flag as a value.
pub(super) fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// An optional value (`NaN` when missing).
pub(super) fn opt(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

/// CD19 phenotype codes: 1 positive, -1 negative, 0 unknown.
pub(super) fn cd19_code(c: Cd19) -> f64 {
    match c {
        Cd19::Positive => 1.0,
        Cd19::Negative => -1.0,
        Cd19::Unknown => 0.0,
    }
}

/// CD22 phenotype codes: 1 positive, -1 negative.
pub(super) fn cd22_code(c: Cd22) -> f64 {
    match c {
        Cd22::Positive => 1.0,
        Cd22::Negative => -1.0,
    }
}

fn cd19_from_code(v: f64) -> Option<Cd19> {
    [Cd19::Positive, Cd19::Negative, Cd19::Unknown]
        .into_iter()
        .find(|c| cd19_code(*c) == v)
}

fn cd22_from_code(v: f64) -> Option<Cd22> {
    [Cd22::Positive, Cd22::Negative]
        .into_iter()
        .find(|c| cd22_code(*c) == v)
}
