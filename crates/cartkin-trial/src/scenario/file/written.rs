//! The arms as written: `[defaults]`, the `[[arm]]` tables and the `[sweep]`, each checked
//! where it is written, before any arm is built.

use cartkin_core::model::Model;
use toml::Spanned;

use super::{ErrorAt, KeyOffsets, Sweep, axis, settings};
use crate::error::TrialError;
use crate::scenario::arm::ArmSettings;
use crate::scenario::raw::{RawArm, RawSweep};

/// An `[[arm]]` as written, over the defaults.
pub(super) struct WrittenArm {
    /// Its name; empty for the one unnamed arm of a sweep without `[[arm]]`.
    pub(super) label: String,
    /// Its settings merged over the defaults.
    pub(super) settings: ArmSettings,
    /// Byte offset of its name: errors without a key of their own point there.
    pub(super) at: usize,
    /// Its description.
    pub(super) description: String,
    /// Where each of its keys was written, in the arm or in `[defaults]`.
    pub(super) offsets: KeyOffsets,
}

/// The `[defaults]` settings every arm starts from, with where each was written (none without
/// the table). Refuses a name: arms have names, the defaults do not.
pub(super) fn defaults(
    raw: Option<Spanned<RawArm>>,
    err: &impl ErrorAt,
) -> Result<(ArmSettings, KeyOffsets), TrialError> {
    let Some(d) = raw else {
        return Ok((ArmSettings::default(), KeyOffsets::new()));
    };
    if let Some(n) = &d.get_ref().name {
        return Err(err(
            n.span().start,
            None,
            "defaults.name",
            "expected no name in [defaults] (arms have names)".into(),
        ));
    }
    settings(&d.into_inner(), None, err)
}

/// The `[[arm]]` tables in file order, each over the defaults. Refuses an arm without a name,
/// and an empty or repeated name.
pub(super) fn arms(
    raw: &[Spanned<RawArm>],
    defaults: &ArmSettings,
    default_offsets: &KeyOffsets,
    err: &impl ErrorAt,
) -> Result<Vec<WrittenArm>, TrialError> {
    let mut written: Vec<WrittenArm> = Vec::new();
    for a in raw {
        let at = a.span().start;
        let arm = a.get_ref();
        let Some(name) = &arm.name else {
            return Err(err(
                at,
                None,
                "arm.name",
                "expected every [[arm]] to have a name".into(),
            ));
        };
        let label = name.get_ref().trim().to_string();
        if label.is_empty() || written.iter().any(|w| w.label == label) {
            return Err(err(
                name.span().start,
                Some(&label),
                "name",
                "expected a non-empty name, unique among the arms".into(),
            ));
        }
        let (s, offsets) = settings(arm, Some(&label), err)?;
        let mut all = default_offsets.clone();
        all.extend(offsets);
        written.push(WrittenArm {
            label,
            settings: defaults.merged(&s),
            at: name.span().start,
            description: arm.description.clone(),
            offsets: all,
        });
    }
    Ok(written)
}

/// The `[sweep]`: its x axis and optional y axis, checked against the model. Refuses a y key
/// that sets the same thing as the x key (the same key, or the other way to give the same
/// dose).
pub(super) fn sweep(
    raw: &Spanned<RawSweep>,
    model: &Model,
    err: &impl ErrorAt,
) -> Result<Sweep, TrialError> {
    let s = raw.get_ref();
    let x = axis(&s.x, "sweep.x", model, err)?;
    let y =
        s.y.as_ref()
            .map(|y| axis(y, "sweep.y", model, err))
            .transpose()?;
    let exclusive = |a: &str, b: &str| {
        let pair = |p: &str, q: &str| (a == p && b == q) || (a == q && b == p);
        a == b
            || pair("dose_per_kg", "dose_cells")
            || pair("fludarabine_mg_per_m2", "fludarabine_target_auc")
    };
    if let Some(y) = &y
        && exclusive(&x.key, &y.key)
    {
        return Err(err(
            s.y.as_ref().map_or(0, |y| y.span().start),
            None,
            "sweep.y.key",
            format!(
                "expected a key that can vary together with sweep.x ({}); {} sets the same dose",
                x.key, y.key
            ),
        ));
    }
    Ok(Sweep { x, y })
}

/// The arm of a scenario without `[[arm]]`: the defaults, unnamed, for the sweep to vary.
/// Refuses a scenario with neither arms nor a sweep.
pub(super) fn sweep_only_arm(
    has_sweep: bool,
    defaults: &ArmSettings,
    default_offsets: &KeyOffsets,
    err: &impl ErrorAt,
) -> Result<WrittenArm, TrialError> {
    if !has_sweep {
        return Err(err(
            0,
            None,
            "arm",
            "expected at least one [[arm]] or a [sweep]".into(),
        ));
    }
    Ok(WrittenArm {
        label: String::new(),
        settings: defaults.clone(),
        at: 0,
        description: String::new(),
        offsets: default_offsets.clone(),
    })
}
