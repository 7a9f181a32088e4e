//! The scenario file as written: serde structures with spans (for the line of an error), before
//! any validation.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A number written as a TOML integer or float.
#[derive(Debug, Clone, Copy)]
pub(super) struct Num(pub(super) f64);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Num, E> {
                Ok(Num(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub(super) scenario: Spanned<RawHeader>,
    pub(super) defaults: Option<Spanned<RawArm>>,
    #[serde(default)]
    pub(super) arm: Vec<Spanned<RawArm>>,
    pub(super) sweep: Option<Spanned<RawSweep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHeader {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) description: String,
    pub(super) model: Spanned<String>,
    pub(super) population: Option<Spanned<String>>,
    pub(super) n: Option<Spanned<Num>>,
    pub(super) seed: Option<Spanned<Num>>,
    pub(super) follow_up_days: Option<Spanned<Num>>,
    pub(super) rfs_months: Option<Spanned<Vec<Num>>>,
    pub(super) method: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawArm {
    pub(super) name: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) description: String,
    pub(super) regimen: Option<Spanned<String>>,
    pub(super) dose_per_kg: Option<Spanned<Num>>,
    pub(super) dose_cells: Option<Spanned<Num>>,
    pub(super) fludarabine_mg_per_m2: Option<Spanned<Num>>,
    pub(super) cyclophosphamide_mg_per_m2: Option<Spanned<Num>>,
    pub(super) fludarabine_target_auc: Option<Spanned<Num>>,
    pub(super) infusion_delay_days: Option<Spanned<Num>>,
    #[serde(default)]
    pub(super) set: BTreeMap<String, Spanned<Num>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSweep {
    pub(super) x: Spanned<RawAxis>,
    pub(super) y: Option<Spanned<RawAxis>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAxis {
    pub(super) key: Spanned<String>,
    pub(super) values: Option<Vec<Num>>,
    pub(super) from: Option<Num>,
    pub(super) to: Option<Num>,
    pub(super) points: Option<Num>,
    pub(super) scale: Option<String>,
}

/// Line (1-based) of a byte offset.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The name of the `[[arm]]` whose table holds `offset`, if any (for syntax errors).
pub(super) fn arm_at(text: &str, offset: usize) -> Option<String> {
    let before = &text[..offset.min(text.len())];
    let start = before.rfind("[[arm]]")?;
    // a later table header ends the arm
    if before[start + 7..]
        .lines()
        .skip(1)
        .any(|l| l.trim_start().starts_with('['))
    {
        return None;
    }
    let rest = &text[start..];
    rest.lines()
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == "name").then(|| v.trim().trim_matches('"').to_string())
        })
}
