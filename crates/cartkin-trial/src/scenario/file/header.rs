//! The `[scenario]` table: name, model, population, size, seed, follow-up, RFS months and
//! integration method, each checked where it is written.

use std::path::{Path, PathBuf};

use cartkin_core::model::{self, Model};
use cartkin_core::solve::Method;
use toml::Spanned;

use super::{ErrorAt, relative};
use crate::endpoint::months;
use crate::error::TrialError;
use crate::scenario::raw::{Num, RawHeader};
use crate::vpop::spec::{self as popspec, PopulationSpec};

/// The `[scenario]` table, validated: the base every arm starts from.
pub(super) struct Header {
    /// Short name (file and table titles).
    pub(super) name: String,
    /// What the scenario asks.
    pub(super) description: String,
    /// The base model.
    pub(super) model: Model,
    /// The base population, with the scenario's follow-up.
    pub(super) population: PopulationSpec,
    /// Patients per arm.
    pub(super) n: usize,
    /// Seed shared by every arm.
    pub(super) seed: u64,
    /// Months at which RFS is reported.
    pub(super) rfs_months: Vec<f64>,
    /// Integration method.
    pub(super) method: Method,
}

/// Reads the `[scenario]` table in the order its checks report: name, model, population, `n`,
/// `seed`, follow-up, RFS months, method. Files are found next to the scenario file (`dir`)
/// first.
pub(super) fn read(h: RawHeader, dir: &Path, err: &impl ErrorAt) -> Result<Header, TrialError> {
    let name = h.name.get_ref().trim().to_string();
    if name.is_empty() {
        return Err(err(
            h.name.span().start,
            None,
            "scenario.name",
            "expected a non-empty name".into(),
        ));
    }
    let (model_path, model) = load_model(&h, dir, err)?;
    let mut population = load_population(&h, dir, &model_path, &model, err)?;
    let n = whole_number(&h.n, "scenario.n", 1.0, 1e6, population.n as f64, err)? as usize;
    let seed = whole_number(
        &h.seed,
        "scenario.seed",
        0.0,
        9.007e15,
        population.seed as f64,
        err,
    )? as u64;
    if let Some(d) = &h.follow_up_days {
        let days = d.get_ref().0;
        cartkin_core::simulate::check_follow_up(days)
            .map_err(|m| err(d.span().start, None, "scenario.follow_up_days", m))?;
        population.follow_up_days = days;
    }
    let rfs_months = rfs_months(&h, &model, population.follow_up_days, err)?;
    let method = method(&h, err)?;
    Ok(Header {
        name,
        description: h.description,
        model,
        population,
        n,
        seed,
        rfs_months,
        method,
    })
}

/// The scenario's model (a bundled name or a file) with the path it was loaded from, which
/// may also hold the population.
fn load_model(
    h: &RawHeader,
    dir: &Path,
    err: &impl ErrorAt,
) -> Result<(PathBuf, Model), TrialError> {
    let model_name = relative(dir, h.model.get_ref());
    let model_path = model::resolve(&model_name)
        .map_err(|e| err(h.model.span().start, None, "scenario.model", e.to_string()))?;
    let model = Model::load(&model_path)
        .map_err(|e| err(h.model.span().start, None, "scenario.model", e.to_string()))?;
    Ok((model_path, model))
}

/// The base population: from `population` (a bundled name or a file of its own, which must
/// hold a `[population]` table), else from the model file. Errors point at `population`, or
/// at `model` when the population came from the model file.
fn load_population(
    h: &RawHeader,
    dir: &Path,
    model_path: &Path,
    model: &Model,
    err: &impl ErrorAt,
) -> Result<PopulationSpec, TrialError> {
    let loaded = match &h.population {
        Some(p) => {
            let name = relative(dir, p.get_ref());
            let path =
                cartkin_core::bundled::resolve(cartkin_core::bundled::Kind::Population, &name)
                    .unwrap_or_else(|| PathBuf::from(&name));
            popspec::load_file(&path, model.spec())
        }
        None => popspec::load(model_path, model.spec()),
    };
    loaded.map_err(|e| {
        let at = h
            .population
            .as_ref()
            .map_or(h.model.span().start, |p| p.span().start);
        err(at, None, "scenario.population", e.to_string())
    })
}

/// A whole number in `[lo, hi]` written at `key`, or `default` when absent.
fn whole_number(
    v: &Option<Spanned<Num>>,
    key: &str,
    lo: f64,
    hi: f64,
    default: f64,
    err: &impl ErrorAt,
) -> Result<f64, TrialError> {
    let Some(v) = v else { return Ok(default) };
    let x = v.get_ref().0;
    if x.is_finite() && x.fract() == 0.0 && (lo..=hi).contains(&x) {
        Ok(x)
    } else {
        Err(err(
            v.span().start,
            None,
            key,
            format!("expected a whole number in [{lo}, {hi}], got {x}"),
        ))
    }
}

/// The months at which RFS is reported. Remission, and so RFS and EFS, exist only for a model
/// with a leukemia response followed to month 3: then the months written (within the
/// follow-up) or the default ones; otherwise none, and months written are refused.
fn rfs_months(
    h: &RawHeader,
    model: &Model,
    follow_up: f64,
    err: &impl ErrorAt,
) -> Result<Vec<f64>, TrialError> {
    let assessable = model.spec().outcomes.blast_fraction.is_some()
        && follow_up >= cartkin_core::outcome::MONTH_3;
    Ok(match &h.rfs_months {
        Some(m) => {
            let months: Vec<f64> = m.get_ref().iter().map(|x| x.0).collect();
            let checked = if months.is_empty() {
                Err("expected at least one month".to_string())
            } else if !assessable {
                Err(format!(
                    "expected no RFS months: remission is not assessed (model `{}` {})",
                    model.name(),
                    if model.spec().outcomes.blast_fraction.is_none() {
                        "has no leukemia response".to_string()
                    } else {
                        format!("followed for {follow_up} days, less than month 3")
                    }
                ))
            } else {
                months::check_months(&months, follow_up)
            };
            checked.map_err(|message| err(m.span().start, None, "scenario.rfs_months", message))?;
            months
        }
        None if assessable => months::default_months(follow_up),
        None => Vec::new(),
    })
}

/// The integration method: `dop853` (the default) or `dopri5`.
fn method(h: &RawHeader, err: &impl ErrorAt) -> Result<Method, TrialError> {
    match h
        .method
        .as_ref()
        .map(|m| (m.get_ref().as_str(), m.span().start))
    {
        None | Some(("dop853", _)) => Ok(Method::Dop853),
        Some(("dopri5", _)) => Ok(Method::Dopri5),
        Some((other, at)) => Err(err(
            at,
            None,
            "scenario.method",
            format!("expected \"dop853\" or \"dopri5\", got \"{other}\""),
        )),
    }
}
