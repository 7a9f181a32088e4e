//! The few numbers of a patient that trial endpoints need, without the sampled parameters or
//! messages: what a population keeps in memory while its patient rows stream to disk (about
//! 120 bytes a patient, so 100,000 patients need ~12 MB).

use super::run::PatientResult;

/// One patient's endpoint data (see [`PatientResult`] for the meaning of each field).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Endpoints {
    /// The simulation succeeded.
    pub evaluable: bool,
    /// Response was assessed (the model has one and follow-up reaches month 3).
    pub response_assessed: bool,
    /// A state or observable passed its plausibility ceiling.
    pub implausible: bool,
    /// CR/CRi by month 3.
    pub responder: bool,
    /// MRD-negative by month 3.
    pub mrd_negative: bool,
    /// The RFS event is a non-relapse death.
    pub died_in_remission: bool,
    /// Day of remission onset.
    pub remission_day: Option<f64>,
    /// RFS time from remission onset [day].
    pub rfs_time_day: Option<f64>,
    /// RFS event (relapse or death).
    pub rfs_event: Option<bool>,
    /// The relapse is CD19-negative (None: no relapse).
    pub relapse_cd19_negative: Option<bool>,
    /// The relapse is CD22-negative (None: no relapse, or no CD22 typing).
    pub relapse_cd22_negative: Option<bool>,
    /// CAR-T Cmax.
    pub cmax: Option<f64>,
    /// Day of Cmax.
    pub tmax_day: Option<f64>,
    /// AUC0–28d.
    pub auc28: Option<f64>,
    /// CRS grade.
    pub crs_grade: Option<u8>,
    /// Cumulative fludarabine AUC [mg·h/L].
    pub flu_auc: Option<f64>,
}

/// Anything that carries a patient's endpoints: a full [`PatientResult`] or the compact
/// [`Endpoints`] a streaming run keeps.
pub trait HasEndpoints {
    /// The patient's endpoint data.
    fn endpoints(&self) -> Endpoints;
}

impl HasEndpoints for Endpoints {
    fn endpoints(&self) -> Endpoints {
        *self
    }
}

impl HasEndpoints for PatientResult {
    fn endpoints(&self) -> Endpoints {
        let relapsed = self.rfs_event == Some(true) && !self.died_in_remission;
        Endpoints {
            evaluable: self.error.is_none(),
            response_assessed: self.response_assessed,
            implausible: self.implausible.is_some(),
            responder: self.responder,
            mrd_negative: self.mrd_negative,
            died_in_remission: self.died_in_remission,
            remission_day: self.remission_day,
            rfs_time_day: self.rfs_time_day,
            rfs_event: self.rfs_event,
            relapse_cd19_negative: relapsed
                .then(|| self.relapse_type == Some(cartkin_core::outcome::Cd19::Negative)),
            relapse_cd22_negative: if relapsed {
                self.relapse_cd22
                    .map(|t| t == cartkin_core::outcome::Cd22::Negative)
            } else {
                None
            },
            cmax: self.cmax,
            tmax_day: self.tmax_day,
            auc28: self.auc28,
            crs_grade: self.crs_grade,
            flu_auc: self.flu_auc,
        }
    }
}
