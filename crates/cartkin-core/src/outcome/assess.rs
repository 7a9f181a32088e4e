//! The steps of [`Outcomes::compute`](super::Outcomes::compute), one per outcome: each reads
//! the columns its roles name and adds the clinical events it finds to the patient's events.

use super::query::{Column, Direction, NodeTable, TIME_TOLERANCE};
use super::{
    Aplasia, CR_THRESHOLD, CarTKinetics, Cd19, Cd22, Crs, DAY_28, Implausible, MONTH_3,
    MRD_THRESHOLD, Relapse, Response,
};
use crate::model::ModelSpec;
use crate::simulate::{Event, EventKind, Simulation};

/// One simulated patient as the outcome steps read it.
pub(super) struct Run<'a> {
    sim: &'a Simulation,
    spec: &'a ModelSpec,
    /// Every column at every node, computed once; each role reads its own.
    table: NodeTable<'a>,
    /// End of the simulated span [day].
    t_end: f64,
}

impl<'a> Run<'a> {
    /// Evaluates every column of `spec` (the simulated model's) at the nodes of `sim`.
    pub(super) fn new(sim: &'a Simulation, spec: &'a ModelSpec) -> Self {
        let table = NodeTable::new(sim, spec);
        let (_, t_end) = sim.trajectory.span();
        Run {
            sim,
            spec,
            table,
            t_end,
        }
    }

    /// The column an outcome role names, with its unit; `None` when the model gives the role
    /// no column.
    fn role(&self, name: &Option<String>) -> Option<(Column<'_>, String)> {
        name.as_ref()
            .and_then(|n| self.spec.column_index(n))
            .map(|i| {
                (
                    self.table.column(i),
                    self.spec.column_unit(i).unwrap_or_default().to_string(),
                )
            })
    }

    /// CAR-T kinetics of the `car_t` observable: Cmax and Tmax over the whole run, AUC over
    /// days 0–28 and the fold expansion over the value at the first CAR-T infusion; adds the
    /// CAR-T peak event. `None` without the role (or without nodes).
    pub(super) fn car_t_kinetics(&self, events: &mut Vec<Event>) -> Option<CarTKinetics> {
        let roles = &self.spec.outcomes;
        let (c, unit) = self.role(&roles.car_t)?;
        let (tmax, cmax) = c.maximum(0.0, self.t_end)?;
        let first = self
            .sim
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
            auc_0_28d: c.integral(0.0, DAY_28.min(self.t_end)),
            fold_expansion: if start > 0.0 { cmax / start } else { f64::NAN },
        })
    }

    /// Leukemia response on the `blast_fraction` observable: the first days below the CR (5%)
    /// and MRD (1e-4) thresholds with their events, then relapse after CR and cure, in that
    /// order. `None` without the role.
    pub(super) fn leukemia_response(&self, events: &mut Vec<Event>) -> Option<Response> {
        let (blasts, _) = self.role(&self.spec.outcomes.blast_fraction)?;
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
        let relapse = cr_day.and_then(|cr| self.relapse(&blasts, cr, events));
        let cure_day = self.cure_day(events);
        Some(Response {
            blast_fraction_day0: blasts.at(0.0),
            blast_fraction_day28: blasts.at(DAY_28.min(self.t_end)),
            cr_day,
            mrd_negative_day: mrd_day,
            cr_by_day28: cr_day.is_some_and(|d| d <= DAY_28),
            cr_by_month3: cr_day.is_some_and(|d| d <= MONTH_3),
            mrd_negative_by_day28: mrd_day.is_some_and(|d| d <= DAY_28),
            mrd_negative_by_month3: mrd_day.is_some_and(|d| d <= MONTH_3),
            relapse,
            cured: cure_day.is_some(),
            cure_day,
        })
    }

    /// Relapse after CR on day `cr`: the first day blasts are back at ≥ 5%, typed by the clones
    /// there, with its event; `None` while the remission lasts.
    fn relapse(&self, blasts: &Column, cr: f64, events: &mut Vec<Event>) -> Option<Relapse> {
        let day = blasts.first_crossing(CR_THRESHOLD, Direction::Up, cr + TIME_TOLERANCE)?;
        let (cd19, cd22) = self.relapse_phenotype(day);
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
    }

    /// CD19 (and CD22, when the model declares both CD22 roles) of a relapse on `day`: negative
    /// when the antigen-negative cells outnumber the positive ones then; CD19 is unknown
    /// without the CD19-positive role.
    fn relapse_phenotype(&self, day: f64) -> (Cd19, Option<Cd22>) {
        let roles = &self.spec.outcomes;
        let value = |name: &Option<String>| {
            name.as_ref()
                .and_then(|n| self.spec.column_index(n))
                .map(|i| self.table.column(i).at(day))
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
        (cd19, cd22)
    }

    /// Cure: the day the last leukemic clone went extinct, with its event; `None` (not cured)
    /// while any clone is alive or when the model names no clone. The clones are the
    /// `clones` states, or else the CD19 roles that are states.
    fn cure_day(&self, events: &mut Vec<Event>) -> Option<f64> {
        let roles = &self.spec.outcomes;
        let clones: Vec<Option<f64>> = if roles.clones.is_empty() {
            [&roles.cd19_positive, &roles.cd19_negative]
                .into_iter()
                .flatten()
                .filter_map(|name| self.extinct_day(name))
                .collect()
        } else {
            roles
                .clones
                .iter()
                .map(|name| self.extinct_day(name).flatten())
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
        cure_day
    }

    /// When state `name` went extinct (its last recorded extinction; a population absent from
    /// the start, e.g. a clone that may only arise by a seeding event that never came, counts
    /// as gone at the start of the run): `None` when `name` is not a state, `Some(None)` when it
    /// is still alive at the end.
    fn extinct_day(&self, name: &str) -> Option<Option<f64>> {
        let i = self.spec.state_index(name)?;
        let nodes = self.sim.trajectory.nodes();
        let (first, last) = (nodes.first()?, nodes.last()?);
        let gone = self.sim.trajectory.layout().log[i] && last.alive & (1 << i) == 0;
        Some(gone.then(|| {
            self.sim
                .extinctions
                .iter()
                .rev()
                .find(|(_, state)| *state == i)
                .map_or(first.t, |(day, _)| *day)
        }))
    }

    /// B-cell aplasia: `b_cells` below `b_cell_aplasia_below` from its first crossing down to
    /// its recovery (or the end of the run), with onset and recovery events; `None` unless the
    /// model gives both roles.
    pub(super) fn b_cell_aplasia(&self, events: &mut Vec<Event>) -> Option<Aplasia> {
        let roles = &self.spec.outcomes;
        let (Some((b, _)), Some(threshold)) =
            (self.role(&roles.b_cells), roles.b_cell_aplasia_below)
        else {
            return None;
        };
        let onset = b.first_crossing(threshold, Direction::Down, 0.0);
        let recovery =
            onset.and_then(|t| b.first_crossing(threshold, Direction::Up, t + TIME_TOLERANCE));
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
            duration_days: onset.map_or(0.0, |o| recovery.unwrap_or(self.t_end) - o),
            ongoing_at_end: onset.is_some() && recovery.is_none(),
        })
    }

    /// CRS: the `cytokine` peak over days 0–28, its grade by the model's edges and the onset
    /// (first day at the grade-1 edge); no event. `None` without the role (or without nodes).
    pub(super) fn crs(&self) -> Option<Crs> {
        let roles = &self.spec.outcomes;
        let (c, unit) = self.role(&roles.cytokine)?;
        let (peak_day, peak) = c.maximum(0.0, DAY_28.min(self.t_end))?;
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
    }

    /// Cumulative fludarabine AUC: the final value of the `fludarabine_auc` observable.
    pub(super) fn fludarabine_auc(&self) -> Option<f64> {
        self.role(&self.spec.outcomes.fludarabine_auc)
            .map(|(c, _)| c.last())
    }

    /// The states and observables whose largest node value passed their `plausible_max`, in
    /// column order (states first).
    pub(super) fn implausible(&self) -> Vec<Implausible> {
        let spec = self.spec;
        let ceilings = spec
            .states
            .iter()
            .map(|s| (&s.name, &s.unit, s.plausible_max))
            .chain(
                spec.observables
                    .iter()
                    .map(|o| (&o.name, &o.unit, o.plausible_max)),
            );
        ceilings
            .enumerate()
            .filter_map(|(i, (name, unit, ceiling))| {
                let ceiling = ceiling?;
                let (day, max_value) = self.table.node_maximum(i)?;
                (max_value > ceiling).then(|| Implausible {
                    column: name.clone(),
                    unit: unit.clone(),
                    max_value,
                    day,
                    plausible_max: ceiling,
                })
            })
            .collect()
    }
}

/// Puts the events in time order; the sort is stable, so events on the same day keep the order
/// in which the simulation and the steps above found them.
pub(super) fn in_time_order(events: &mut [Event]) {
    events.sort_by(|a, b| a.time.total_cmp(&b.time));
}
