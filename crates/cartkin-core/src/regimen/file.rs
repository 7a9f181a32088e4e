//! Regimen files (TOML) and the named regimens bundled in `data/regimens/`.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{
    CarTInfusion, Drug, DrugAmount, DrugCourse, MAX_ADMINISTRATIONS, MAX_MG_PER_M2, MAX_TARGET_AUC,
    Regimen,
};
use crate::error::{InputError, Location};

/// Named regimens and their bundled TOML text.
pub const NAMED: &[(&str, &str)] = &[
    (
        "eliana",
        include_str!("../../../../data/regimens/eliana.toml"),
    ),
    (
        "zuma3",
        include_str!("../../../../data/regimens/zuma3.toml"),
    ),
    ("none", include_str!("../../../../data/regimens/none.toml")),
    (
        "eliana_split",
        include_str!("../../../../data/regimens/eliana_split.toml"),
    ),
    (
        "reduced",
        include_str!("../../../../data/regimens/reduced.toml"),
    ),
    (
        "eliana_flu_auc20",
        include_str!("../../../../data/regimens/eliana_flu_auc20.toml"),
    ),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegimen {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    drug: Vec<RawCourse>,
    #[serde(default)]
    car_t: Vec<RawInfusion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCourse {
    drug: Spanned<String>,
    // exactly one of the two; checked in `parse` so the error names the line
    dose_mg_per_m2: Option<Spanned<f64>>,
    target_auc_mg_h_per_l: Option<Spanned<f64>>,
    days: Spanned<Vec<f64>>,
    infusion_hours: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInfusion {
    day: Spanned<f64>,
    fraction: Spanned<f64>,
}

/// A named regimen (`eliana`, `zuma3`, `none`, `eliana_split`, `reduced`, `eliana_flu_auc20`).
pub fn named(name: &str) -> Option<Result<Regimen, InputError>> {
    NAMED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, text)| parse(Path::new(&format!("<built-in regimen {n}>")), text))
}

/// A named regimen, or a regimen file at `name_or_path`.
pub fn resolve(name_or_path: &str) -> Result<Regimen, InputError> {
    if let Some(r) = named(name_or_path) {
        return r;
    }
    let path = Path::new(name_or_path);
    if path.is_file() {
        return load(path);
    }
    if name_or_path.contains('/') || name_or_path.ends_with(".toml") {
        return Err(InputError::Read {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such regimen file"),
        });
    }
    Err(InputError::UnknownName {
        kind: "regimen (name or file)",
        name: name_or_path.to_string(),
        available: NAMED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
    })
}

/// Reads a regimen file.
pub fn load(path: &Path) -> Result<Regimen, InputError> {
    let text = crate::bundled::read_text(path).map_err(|e| InputError::from_read(path, e))?;
    parse(path, &text)
}

/// Validates regimen `text`, reporting errors against `path`.
pub fn parse(path: &Path, text: &str) -> Result<Regimen, InputError> {
    let raw: RawRegimen = toml::from_str(text).map_err(|e| InputError::Syntax {
        location: match e.span() {
            Some(span) => Location::at_offset(path, text, span.start),
            None => Location::file(path),
        },
        message: e.message().trim().to_string(),
    })?;
    let invalid = |span: std::ops::Range<usize>, field: &str, expected: &str, found: String| {
        InputError::Invalid {
            location: Location::at_offset(path, text, span.start),
            field: field.to_string(),
            expected: expected.to_string(),
            found,
        }
    };
    let day_ok = |d: f64| d.is_finite() && (-60.0..=3650.0).contains(&d);
    // the whole-file key `drug`/`car_t`: its first entry's line (or the top of the file)
    let list_at = |key: &str| text.find(&format!("[[{key}]]")).unwrap_or(0);
    for (key, n) in [("drug", raw.drug.len()), ("car_t", raw.car_t.len())] {
        if n > MAX_ADMINISTRATIONS {
            let at = list_at(key);
            return Err(invalid(
                at..at,
                key,
                &format!("at most {MAX_ADMINISTRATIONS} [[{key}]] entries"),
                n.to_string(),
            ));
        }
    }

    let mut drugs = Vec::new();
    for c in raw.drug {
        let drug = match c.drug.get_ref().as_str() {
            "fludarabine" => Drug::Fludarabine,
            "cyclophosphamide" => Drug::Cyclophosphamide,
            other => {
                return Err(invalid(
                    c.drug.span(),
                    "drug.drug",
                    "\"fludarabine\" or \"cyclophosphamide\"",
                    format!("\"{other}\""),
                ));
            }
        };
        let amount = match (&c.dose_mg_per_m2, &c.target_auc_mg_h_per_l) {
            (Some(dose), None) => {
                let mg_per_m2 = *dose.get_ref();
                if !(mg_per_m2.is_finite() && (0.0..=MAX_MG_PER_M2).contains(&mg_per_m2)) {
                    return Err(invalid(
                        dose.span(),
                        "drug.dose_mg_per_m2",
                        &format!("a dose in [0, {MAX_MG_PER_M2}] mg/m²"),
                        mg_per_m2.to_string(),
                    ));
                }
                DrugAmount::PerM2 { mg_per_m2 }
            }
            (None, Some(target)) => {
                let mg_h_per_l = *target.get_ref();
                if drug != Drug::Fludarabine {
                    // only fludarabine has a PK model that turns an AUC into a dose
                    return Err(invalid(
                        target.span(),
                        "drug.target_auc_mg_h_per_l",
                        "dose_mg_per_m2 for this drug (a target AUC is only for fludarabine)",
                        format!("a target AUC for {drug}"),
                    ));
                }
                if !(mg_h_per_l.is_finite() && mg_h_per_l > 0.0 && mg_h_per_l <= MAX_TARGET_AUC) {
                    return Err(invalid(
                        target.span(),
                        "drug.target_auc_mg_h_per_l",
                        &format!("a total F-ara-A AUC in (0, {MAX_TARGET_AUC}] mg·h/L"),
                        mg_h_per_l.to_string(),
                    ));
                }
                DrugAmount::TargetAuc { mg_h_per_l }
            }
            (Some(_), Some(target)) => {
                return Err(invalid(
                    target.span(),
                    "drug.target_auc_mg_h_per_l",
                    "exactly one of dose_mg_per_m2 or target_auc_mg_h_per_l",
                    "both".into(),
                ));
            }
            (None, None) => {
                return Err(invalid(
                    c.drug.span(),
                    "drug.dose_mg_per_m2",
                    "exactly one of dose_mg_per_m2 or target_auc_mg_h_per_l in this [[drug]]",
                    "neither".into(),
                ));
            }
        };
        let hours = *c.infusion_hours.get_ref();
        if !(hours.is_finite() && hours > 0.0 && hours <= 24.0) {
            return Err(invalid(
                c.infusion_hours.span(),
                "drug.infusion_hours",
                "a duration in (0, 24] h",
                hours.to_string(),
            ));
        }
        let days = c.days.get_ref();
        if days.len() > MAX_ADMINISTRATIONS {
            return Err(invalid(
                c.days.span(),
                "drug.days",
                &format!("at most {MAX_ADMINISTRATIONS} days"),
                days.len().to_string(),
            ));
        }
        if days.is_empty() || !days.iter().all(|d| day_ok(*d)) {
            return Err(invalid(
                c.days.span(),
                "drug.days",
                "a non-empty list of days in [-60, 3650]",
                format!("{days:?}"),
            ));
        }
        let mut sorted = days.clone();
        sorted.sort_by(f64::total_cmp);
        if sorted.windows(2).any(|w| w[1] - w[0] < hours / 24.0) {
            return Err(invalid(
                c.days.span(),
                "drug.days",
                "administrations that do not overlap (days further apart than the infusion)",
                format!("{days:?}"),
            ));
        }
        // infusions of one drug from different [[drug]] entries must not overlap either: the
        // model's infusion rates would add up to a dose nobody prescribed
        let overlap = drugs
            .iter()
            .filter(|o: &&DrugCourse| o.drug == drug)
            .find_map(|o| {
                sorted.iter().find_map(|&d| {
                    o.days
                        .iter()
                        .find(|&&e| d < e + o.infusion_hours / 24.0 && e < d + hours / 24.0)
                        .map(|&e| (d, e))
                })
            });
        if let Some((d, e)) = overlap {
            return Err(invalid(
                c.days.span(),
                "drug.days",
                &format!("{drug} infusions that do not overlap those of another [[drug]] entry"),
                format!("day {d} overlaps the infusion starting on day {e}"),
            ));
        }
        drugs.push(DrugCourse {
            drug,
            amount,
            days: sorted,
            infusion_hours: hours,
        });
    }
    let mut car_t = Vec::new();
    for inf in raw.car_t {
        let day = *inf.day.get_ref();
        if !day_ok(day) {
            return Err(invalid(
                inf.day.span(),
                "car_t.day",
                "a day in [-60, 3650]",
                day.to_string(),
            ));
        }
        let fraction = *inf.fraction.get_ref();
        if !(fraction.is_finite() && fraction > 0.0 && fraction <= 10.0) {
            return Err(invalid(
                inf.fraction.span(),
                "car_t.fraction",
                "a share of the nominal dose in (0, 10]",
                fraction.to_string(),
            ));
        }
        car_t.push(CarTInfusion { day, fraction });
    }
    car_t.sort_by(|a, b| a.day.total_cmp(&b.day));
    let total: f64 = car_t.iter().map(|c| c.fraction).sum();
    if total > 10.0 {
        let at = list_at("car_t");
        return Err(invalid(
            at..at,
            "car_t.fraction",
            "infusions that add up to at most 10 times the nominal dose",
            format!("a total of {total}"),
        ));
    }
    Ok(Regimen {
        name: raw.name,
        description: raw.description,
        source: raw.source,
        drugs,
        car_t,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patient::Patient;
    use crate::regimen::DoseKind;
    use approx::assert_relative_eq;

    #[test]
    fn named_regimens_parse_and_match_the_protocols() {
        for (name, _) in NAMED {
            assert!(named(name).unwrap().is_ok(), "{name}");
        }
        let eliana = named("eliana").unwrap().unwrap();
        assert_relative_eq!(eliana.total_mg_per_m2(Drug::Fludarabine), 120.0);
        assert_relative_eq!(eliana.total_mg_per_m2(Drug::Cyclophosphamide), 1000.0);
        let zuma3 = named("zuma3").unwrap().unwrap();
        assert_relative_eq!(zuma3.total_mg_per_m2(Drug::Fludarabine), 75.0);
        assert_relative_eq!(zuma3.total_mg_per_m2(Drug::Cyclophosphamide), 900.0);
        assert!(named("none").unwrap().unwrap().drugs.is_empty());
        let reduced = named("reduced").unwrap().unwrap();
        assert_relative_eq!(reduced.total_mg_per_m2(Drug::Fludarabine), 90.0);
        assert_relative_eq!(reduced.total_mg_per_m2(Drug::Cyclophosphamide), 900.0);
        let auc = named("eliana_flu_auc20").unwrap().unwrap();
        assert_eq!(
            auc.drugs[0].amount,
            crate::regimen::DrugAmount::TargetAuc { mg_h_per_l: 20.0 }
        );
        assert_eq!(auc.drugs[0].days, eliana.drugs[0].days);
    }

    #[test]
    fn doses_scale_with_bsa_and_split_the_car_t_dose() {
        let patient = Patient::new(35.0, 140.0, Some(1.2), 120.0, 11.0, "test").unwrap();
        let split = named("eliana_split").unwrap().unwrap();
        let doses = split.doses(&patient, Some(1e8));
        let flu: Vec<_> = doses
            .iter()
            .filter(|d| d.route == crate::model::Agent::Fludarabine)
            .collect();
        assert_eq!(flu.len(), 4);
        assert_relative_eq!(flu[0].amount, 36.0); // 30 mg/m² × 1.2 m²
        assert!(
            matches!(flu[0].kind, DoseKind::Infusion { duration } if (duration - 1.0 / 24.0).abs() < 1e-15)
        );
        let cells: Vec<f64> = doses
            .iter()
            .filter(|d| d.route == crate::model::Agent::CarT)
            .map(|d| d.amount)
            .collect();
        assert_eq!(cells.len(), 3);
        assert_relative_eq!(cells.iter().sum::<f64>(), 1e8, max_relative = 1e-15);
        assert_relative_eq!(cells[0], 1e7, max_relative = 1e-15);
        // no CAR-T dose asked for: no CAR-T infusions
        assert!(
            split
                .doses(&patient, None)
                .iter()
                .all(|d| d.route != crate::model::Agent::CarT)
        );
    }

    #[test]
    fn bad_regimen_files_name_the_line_and_field() {
        let text = "name = \"x\"\n[[drug]]\ndrug = \"fludarabine\"\ndose_mg_per_m2 = -30.0\ndays = [-5.0]\ninfusion_hours = 1.0\n";
        let err = parse(Path::new("r.toml"), text).unwrap_err().to_string();
        assert!(
            err.contains("r.toml:4") && err.contains("dose_mg_per_m2"),
            "{err}"
        );
        let text = "name = \"x\"\n[[drug]]\ndrug = \"busulfan\"\ndose_mg_per_m2 = 30.0\ndays = [-5.0]\ninfusion_hours = 1.0\n";
        let err = parse(Path::new("r.toml"), text).unwrap_err().to_string();
        assert!(
            err.contains("r.toml:3") && err.contains("busulfan"),
            "{err}"
        );
        let err = parse(
            Path::new("r.toml"),
            "name = \"x\"\n[[car_t]]\nday = 0.0\nfraction = nan\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("r.toml:4") && err.contains("car_t.fraction"),
            "{err}"
        );
        let err = parse(Path::new("r.toml"), "name = \"x\"\nbogus = 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("r.toml:") && err.contains("bogus"), "{err}");
        // dose basis: exactly one of the two keys, a target AUC only for fludarabine
        let course = |drug: &str, keys: &str| {
            format!(
                "name = \"x\"\n[[drug]]\ndrug = \"{drug}\"\n{keys}days = [-5.0]\ninfusion_hours = 1.0\n"
            )
        };
        let cases = [
            (
                course(
                    "fludarabine",
                    "dose_mg_per_m2 = 30.0\ntarget_auc_mg_h_per_l = 20.0\n",
                ),
                "r.toml:5",
                "drug.target_auc_mg_h_per_l",
                "both",
            ),
            (
                course("fludarabine", ""),
                "r.toml:3",
                "drug.dose_mg_per_m2",
                "neither",
            ),
            (
                course("cyclophosphamide", "target_auc_mg_h_per_l = 20.0\n"),
                "r.toml:4",
                "drug.target_auc_mg_h_per_l",
                "only for fludarabine",
            ),
            (
                course("fludarabine", "target_auc_mg_h_per_l = 0.0\n"),
                "r.toml:4",
                "drug.target_auc_mg_h_per_l",
                "(0, 200]",
            ),
        ];
        for (text, line, field, what) in cases {
            let err = parse(Path::new("r.toml"), &text).unwrap_err().to_string();
            assert!(
                err.contains(&format!("{line}: {field}")) && err.contains(what),
                "{err}"
            );
        }
        assert!(
            resolve("no_such_regimen")
                .unwrap_err()
                .to_string()
                .contains("eliana")
        );
    }
}
