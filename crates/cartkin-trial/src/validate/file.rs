//! Validation files (`data/validation.toml`): held-out published figures, each with the
//! model and design to simulate it, the measure that computes it, and an acceptance band with
//! its written justification. Errors name the file, the line, the field and what was expected.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::measure::{DesignKey, Measure};
use crate::error::TrialError;

/// A validation file.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationFile {
    /// The file read.
    pub path: PathBuf,
    /// Patients per simulated population (default of `--n`).
    pub n: usize,
    /// Seed of every population (default of `--seed`).
    pub seed: u64,
    /// The figures, in file order.
    pub figures: Vec<FigureSpec>,
}

/// Verification tag of a published figure (as in the shared reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Tag {
    /// Read in the source.
    V,
    /// Read through a secondary source.
    V2,
    /// Recalled, not checked in a source.
    R,
}

impl Tag {
    /// As written in reports: `[V]`, `[V2]`, `[R]`.
    pub fn label(self) -> &'static str {
        match self {
            Tag::V => "[V]",
            Tag::V2 => "[V2]",
            Tag::R => "[R]",
        }
    }
}

/// The acceptance band of a figure and why it is what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Lower edge (inclusive), in the figure's unit.
    pub lo: f64,
    /// Upper edge (inclusive).
    pub hi: f64,
    /// The written justification.
    pub reason: String,
}

/// The design of a simulated figure: settings a measure reads besides the model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Design {
    /// Regimen (a named regimen or a file, relative to the validation file) replacing the
    /// population's.
    pub regimen: Option<String>,
    /// Two regimens compared on the same patients (first minus second).
    pub arms: Option<[String; 2]>,
    /// A cut-off in the measure's unit.
    pub threshold: Option<f64>,
    /// A month of a survival curve.
    pub month: Option<f64>,
    /// Landmark of a landmark analysis [day].
    pub landmark_day: Option<f64>,
    /// Cmax/dose ratio below which a patient did not expand.
    pub expansion_fold: Option<f64>,
}

/// One held-out figure.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureSpec {
    /// Identifier (unique in the file).
    pub id: String,
    /// What the figure is, in words.
    pub figure: String,
    /// Unit of the published and simulated values (empty for a proportion or a ratio).
    pub unit: String,
    /// The published value (`None`: reported only, no comparison).
    pub published: Option<f64>,
    /// The published finding in words, where it is not a number (a direction, "rare").
    pub published_text: Option<String>,
    /// The published 95% CI.
    pub ci95: Option<[f64; 2]>,
    /// Source.
    pub source: String,
    /// Verification tag.
    pub tag: Tag,
    /// Model to simulate (`None` for a figure that is not modelled).
    pub model: Option<String>,
    /// The measure.
    pub measure: Measure,
    /// Design settings.
    pub design: Design,
    /// Acceptance band (`None`: reported only, or not modelled).
    pub band: Option<Band>,
    /// Line of the figure's table in the file.
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    description: Option<String>,
    n: Option<Spanned<usize>>,
    seed: Option<u64>,
    #[serde(default)]
    figure: Vec<Spanned<RawFigure>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFigure {
    id: Spanned<String>,
    figure: String,
    #[serde(default)]
    unit: String,
    published: Option<Spanned<f64>>,
    published_text: Option<String>,
    ci95: Option<Spanned<[f64; 2]>>,
    source: String,
    tag: Spanned<String>,
    model: Option<Spanned<String>>,
    measure: Spanned<String>,
    regimen: Option<Spanned<String>>,
    arms: Option<Spanned<[String; 2]>>,
    threshold: Option<Spanned<f64>>,
    month: Option<Spanned<f64>>,
    landmark_day: Option<Spanned<f64>>,
    expansion_fold: Option<Spanned<f64>>,
    accept: Option<Spanned<[f64; 2]>>,
    band_reason: Option<Spanned<String>>,
}

impl ValidationFile {
    /// Reads a validation file.
    pub fn load(path: &Path) -> Result<Self, TrialError> {
        let text = TrialError::read_text(path)?;
        Self::parse(path, &text)
    }

    /// [`ValidationFile::load`] from text.
    pub fn parse(path: &Path, text: &str) -> Result<Self, TrialError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let bad = |offset: usize, message: String| TrialError::Mismatch {
            path: path.to_path_buf(),
            line: line_of(offset),
            message,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            bad(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_string(),
            )
        })?;
        let _ = raw.description;
        let n = match raw.n {
            Some(n) if *n.get_ref() == 0 => {
                return Err(bad(n.span().start, "n: expected at least 1 patient".into()));
            }
            Some(n) => n.into_inner(),
            None => 2000,
        };
        if raw.figure.is_empty() {
            return Err(bad(0, "expected at least one [[figure]]".into()));
        }
        let mut figures: Vec<FigureSpec> = Vec::new();
        for f in raw.figure {
            let at = f.span().start;
            let spec = figure(f.into_inner(), at, &bad)?;
            if figures.iter().any(|g| g.id == spec.id) {
                return Err(bad(
                    at,
                    format!(
                        "figure.id: `{}` is listed twice; expected unique ids",
                        spec.id
                    ),
                ));
            }
            figures.push(spec);
        }
        Ok(ValidationFile {
            path: path.to_path_buf(),
            n,
            seed: raw.seed.unwrap_or(20_261_125),
            figures,
        })
    }
}

/// Validates one `[[figure]]` table that starts at byte `at`.
fn figure(
    f: RawFigure,
    at: usize,
    bad: &dyn Fn(usize, String) -> TrialError,
) -> Result<FigureSpec, TrialError> {
    let id = f.id.get_ref().clone();
    let field = |name: &str| format!("figure `{id}`: {name}");
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(bad(
            f.id.span().start,
            format!("figure.id: expected lower-case letters, digits and `_`, got `{id}`"),
        ));
    }
    let tag = match f.tag.get_ref().as_str() {
        "V" => Tag::V,
        "V2" => Tag::V2,
        "R" => Tag::R,
        other => {
            return Err(bad(
                f.tag.span().start,
                format!("{}: expected V, V2 or R, got `{other}`", field("tag")),
            ));
        }
    };
    let measure = Measure::by_name(f.measure.get_ref()).ok_or_else(|| {
        bad(
            f.measure.span().start,
            format!(
                "{}: unknown measure `{}`; expected one of {}",
                field("measure"),
                f.measure.get_ref(),
                Measure::names()
            ),
        )
    })?;
    let design = Design {
        regimen: f.regimen.as_ref().map(|r| r.get_ref().clone()),
        arms: f.arms.as_ref().map(|a| a.get_ref().clone()),
        threshold: f.threshold.as_ref().map(|v| *v.get_ref()),
        month: f.month.as_ref().map(|v| *v.get_ref()),
        landmark_day: f.landmark_day.as_ref().map(|v| *v.get_ref()),
        expansion_fold: f.expansion_fold.as_ref().map(|v| *v.get_ref()),
    };
    // each design key: given exactly when the measure reads it, positive and finite
    let positive = [
        (DesignKey::Threshold, &f.threshold),
        (DesignKey::Month, &f.month),
        (DesignKey::LandmarkDay, &f.landmark_day),
        (DesignKey::ExpansionFold, &f.expansion_fold),
    ];
    for key in DesignKey::ALL {
        let given_at = match key {
            DesignKey::Arms => f.arms.as_ref().map(|a| a.span().start),
            _ => positive
                .iter()
                .find(|(k, _)| *k == key)
                .and_then(|(_, v)| v.as_ref().map(|v| v.span().start)),
        };
        let needed = measure.keys().contains(&key);
        match given_at {
            Some(p) if !needed => {
                return Err(bad(
                    p,
                    format!(
                        "{}: not used by measure `{}`{}",
                        field(key.key()),
                        measure.name(),
                        expected_keys(measure)
                    ),
                ));
            }
            None if needed => {
                return Err(bad(
                    f.measure.span().start,
                    format!(
                        "{}: measure `{}` needs `{}`",
                        field(key.key()),
                        measure.name(),
                        key.key()
                    ),
                ));
            }
            _ => {}
        }
    }
    for (key, v) in positive {
        if let Some(v) = v
            && !(v.get_ref().is_finite() && *v.get_ref() > 0.0)
        {
            return Err(bad(
                v.span().start,
                format!(
                    "{}: expected a positive number, got {}",
                    field(key.key()),
                    v.get_ref()
                ),
            ));
        }
    }
    if let (Some(r), Some(_)) = (&f.regimen, &f.arms) {
        return Err(bad(
            r.span().start,
            format!(
                "{}: not used with `arms` (each arm is a regimen)",
                field("regimen")
            ),
        ));
    }
    let model = match (&f.model, measure) {
        (Some(m), Measure::NotModelled) => {
            return Err(bad(
                m.span().start,
                format!(
                    "{}: a figure that is not modelled is not simulated; expected no model",
                    field("model")
                ),
            ));
        }
        (None, Measure::NotModelled) => None,
        (Some(m), _) => Some(m.get_ref().clone()),
        (None, _) => {
            return Err(bad(
                at,
                format!(
                    "{}: expected the model to simulate (e.g. \"cart_all_eliana\")",
                    field("model")
                ),
            ));
        }
    };
    if measure == Measure::NotModelled
        && let Some(r) = &f.regimen
    {
        return Err(bad(
            r.span().start,
            format!("{}: not used by measure `not_modelled`", field("regimen")),
        ));
    }
    let published = f.published.as_ref().map(|p| *p.get_ref());
    if let Some(p) = &f.published
        && !p.get_ref().is_finite()
    {
        return Err(bad(
            p.span().start,
            format!("{}: expected a finite number", field("published")),
        ));
    }
    let ci95 = f.ci95.as_ref().map(|c| *c.get_ref());
    if let Some(c) = &f.ci95 {
        let [lo, hi] = *c.get_ref();
        let inside = published.is_some_and(|p| lo <= p && p <= hi);
        if !(lo < hi && inside) {
            return Err(bad(
                c.span().start,
                format!(
                    "{}: expected [lo, hi] with lo < hi around the published value, got [{lo}, {hi}]",
                    field("ci95")
                ),
            ));
        }
    }
    let band = band(&f, measure, published, &field, bad, at)?;
    Ok(FigureSpec {
        id,
        figure: f.figure,
        unit: f.unit,
        published,
        published_text: f.published_text.clone(),
        ci95,
        source: f.source,
        tag,
        model,
        measure,
        design,
        band,
        line: 0,
    }
    .at_line(at, bad))
}

/// The acceptance band: required with a published value of a simulated figure, refused
/// otherwise; lo < hi, positive for ratios; always with its reason.
fn band(
    f: &RawFigure,
    measure: Measure,
    published: Option<f64>,
    field: &dyn Fn(&str) -> String,
    bad: &dyn Fn(usize, String) -> TrialError,
    at: usize,
) -> Result<Option<Band>, TrialError> {
    match (&f.accept, &f.band_reason) {
        (None, Some(r)) => Err(bad(
            r.span().start,
            format!("{}: given without `accept`", field("band_reason")),
        )),
        (Some(a), _) if measure == Measure::NotModelled => Err(bad(
            a.span().start,
            format!(
                "{}: a figure that is not modelled is never accepted; expected no band",
                field("accept")
            ),
        )),
        (None, None) if published.is_some() && measure != Measure::NotModelled => Err(bad(
            at,
            format!(
                "{}: a published value needs an acceptance band `accept = [lo, hi]` and its `band_reason`",
                field("accept")
            ),
        )),
        (None, None) => Ok(None),
        (Some(a), None) => Err(bad(
            a.span().start,
            format!(
                "{}: expected a written justification of the band",
                field("band_reason")
            ),
        )),
        (Some(a), Some(reason)) => {
            let [lo, hi] = *a.get_ref();
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(bad(
                    a.span().start,
                    format!(
                        "{}: expected [lo, hi] with lo < hi, got [{lo}, {hi}]",
                        field("accept")
                    ),
                ));
            }
            if measure.is_ratio() && lo <= 0.0 {
                return Err(bad(
                    a.span().start,
                    format!(
                        "{}: measure `{}` is a ratio; expected lo > 0, got {lo}",
                        field("accept"),
                        measure.name()
                    ),
                ));
            }
            if reason.get_ref().trim().is_empty() {
                return Err(bad(
                    reason.span().start,
                    format!(
                        "{}: expected a written justification of the band",
                        field("band_reason")
                    ),
                ));
            }
            Ok(Some(Band {
                lo,
                hi,
                reason: reason.get_ref().trim().to_string(),
            }))
        }
    }
}

/// " (it reads threshold)" or " (it reads no design key besides regimen)".
fn expected_keys(m: Measure) -> String {
    if m.keys().is_empty() {
        " (it reads no design key besides `regimen`)".into()
    } else {
        format!(
            " (it reads {})",
            m.keys()
                .iter()
                .map(|k| format!("`{}`", k.key()))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

impl FigureSpec {
    /// The figure with the line of byte `at` (via an error's line, to share `line_of`).
    fn at_line(mut self, at: usize, bad: &dyn Fn(usize, String) -> TrialError) -> Self {
        if let TrialError::Mismatch { line, .. } = bad(at, String::new()) {
            self.line = line;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"n = 50
seed = 7

[[figure]]
id = "crs_onset_median"
figure = "Median CRS onset"
unit = "day"
published = 3.0
source = "Levine 2021"
tag = "V"
model = "cart_all_eliana"
measure = "crs_onset_median"
accept = [1.5, 4.5]
band_reason = "whole days"

[[figure]]
id = "os_6mo"
figure = "OS at 6 months"
published = 0.9
source = "Laetsch 2023"
tag = "V"
measure = "not_modelled"
"#;

    fn parse(text: &str) -> Result<ValidationFile, String> {
        ValidationFile::parse(Path::new("v.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn a_valid_file_is_read() {
        let f = parse(GOOD).unwrap();
        assert_eq!((f.n, f.seed, f.figures.len()), (50, 7, 2));
        assert_eq!(f.figures[0].measure, Measure::CrsOnsetMedian);
        assert_eq!(f.figures[0].line, 4, "the line of [[figure]]");
        assert_eq!(f.figures[1].band, None);
        assert_eq!(f.figures[1].model, None);
    }

    #[test]
    fn an_unknown_key_is_refused_at_its_line() {
        let text = GOOD.replace("unit = \"day\"", "unit = \"day\"\ncolour = \"red\"");
        let e = parse(&text).unwrap_err();
        assert!(e.starts_with("v.toml:8:") && e.contains("colour"), "{e}");
    }

    #[test]
    fn an_unknown_measure_is_refused_at_its_line_listing_the_valid_ones() {
        let text = GOOD.replace("measure = \"crs_onset_median\"", "measure = \"crs_onset\"");
        let e = parse(&text).unwrap_err();
        assert!(e.starts_with("v.toml:12:"), "{e}");
        assert!(e.contains("unknown measure `crs_onset`"), "{e}");
        assert!(
            e.contains("tmax_median_responders") && e.contains("not_modelled"),
            "{e}"
        );
    }

    #[test]
    fn a_band_must_have_lo_below_hi_and_a_reason() {
        let e = parse(&GOOD.replace("[1.5, 4.5]", "[4.5, 1.5]")).unwrap_err();
        assert!(e.starts_with("v.toml:13:") && e.contains("lo < hi"), "{e}");
        let e = parse(&GOOD.replace("[1.5, 4.5]", "[2.0, 2.0]")).unwrap_err();
        assert!(e.contains("lo < hi"), "{e}");
        let e = parse(&GOOD.replace("band_reason = \"whole days\"\n", "")).unwrap_err();
        assert!(e.contains("band_reason"), "{e}");
    }

    #[test]
    fn design_keys_are_those_the_measure_reads() {
        let e =
            parse(&GOOD.replace("unit = \"day\"", "unit = \"day\"\nthreshold = 5.0")).unwrap_err();
        assert!(
            e.starts_with("v.toml:8:") && e.contains("not used by measure"),
            "{e}"
        );
        let text = GOOD.replace("crs_onset_median\"\naccept", "efs_at_month\"\naccept");
        let e = parse(&text).unwrap_err();
        assert!(e.contains("needs `month`"), "{e}");
    }

    #[test]
    fn not_modelled_figures_take_no_model_or_band() {
        let text = GOOD.replace(
            "measure = \"not_modelled\"",
            "measure = \"not_modelled\"\nmodel = \"cart_all\"",
        );
        assert!(parse(&text).unwrap_err().contains("expected no model"));
        let text = format!("{GOOD}accept = [0.8, 1.0]\nband_reason = \"x\"\n");
        assert!(parse(&text).unwrap_err().contains("never accepted"));
    }

    #[test]
    fn ratios_need_a_positive_band_and_ids_are_unique() {
        let text = GOOD
            .replace(
                "crs_onset_median\"\naccept",
                "cmax_ratio_responders\"\naccept",
            )
            .replace("[1.5, 4.5]", "[0.0, 4.5]");
        assert!(parse(&text).unwrap_err().contains("lo > 0"));
        let text = GOOD.replace("id = \"os_6mo\"", "id = \"crs_onset_median\"");
        assert!(parse(&text).unwrap_err().contains("listed twice"));
    }
}
