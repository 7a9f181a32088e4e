//! Patient covariates used by models and regimens.

use serde::Serialize;

use crate::error::{InputError, Location};

/// Covariates of one simulated patient. Construct with [`Patient::new`], which validates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Patient {
    /// Body weight [kg].
    pub weight_kg: f64,
    /// Height [cm].
    pub height_cm: f64,
    /// Body-surface area [m²] (Mosteller from height and weight unless given).
    pub bsa_m2: f64,
    /// Estimated GFR [mL/min/1.73 m²].
    pub egfr: f64,
    /// Age [years].
    pub age_years: f64,
}

/// Covariates a model file's `initial` expressions may read, after the parameters: body weight
/// `WT` [kg], `AGE` [years], height `HT` [cm] and `EGFR` [mL/min/1.73 m²].
pub const COVARIATE_NAMES: [&str; 4] = ["WT", "AGE", "HT", "EGFR"];

impl Patient {
    /// The covariates in [`COVARIATE_NAMES`] order.
    pub fn covariate_values(&self) -> [f64; 4] {
        [self.weight_kg, self.age_years, self.height_cm, self.egfr]
    }
}

/// Mosteller body-surface area [m²] from height [cm] and weight [kg].
pub fn bsa_mosteller(height_cm: f64, weight_kg: f64) -> f64 {
    (height_cm * weight_kg / 3600.0).sqrt()
}

/// Accepted range and unit of each covariate: `weight`, `height`, `egfr`, `age`, `bsa`.
pub fn covariate_range(name: &str) -> (f64, f64, &'static str) {
    match name {
        "weight" => (1.0, 400.0, "kg"),
        "height" => (30.0, 250.0, "cm"),
        "egfr" => (1.0, 400.0, "mL/min/1.73 m²"),
        "age" => (0.0, 120.0, "years"),
        _ => (0.1, 4.0, "m²"), // bsa
    }
}

impl Patient {
    /// Validated covariates; `bsa_m2 = None` derives BSA by Mosteller.
    /// `origin` names where the values came from (a file or the command line) for errors.
    pub fn new(
        weight_kg: f64,
        height_cm: f64,
        bsa_m2: Option<f64>,
        egfr: f64,
        age_years: f64,
        origin: &str,
    ) -> Result<Self, InputError> {
        let check = |field: &str, value: f64| {
            let (lo, hi, unit) = covariate_range(field);
            if value.is_finite() && value >= lo && value <= hi {
                Ok(())
            } else {
                Err(InputError::Invalid {
                    location: Location::file(origin),
                    field: field.to_string(),
                    expected: format!("a number in [{lo}, {hi}] {unit}"),
                    found: value.to_string(),
                })
            }
        };
        check("weight", weight_kg)?;
        check("height", height_cm)?;
        check("egfr", egfr)?;
        check("age", age_years)?;
        let bsa_m2 = match bsa_m2 {
            Some(bsa) => {
                check("bsa", bsa)?;
                bsa
            }
            None => bsa_mosteller(height_cm, weight_kg),
        };
        Ok(Patient {
            weight_kg,
            height_cm,
            bsa_m2,
            egfr,
            age_years,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn mosteller_matches_hand_computation() {
        // sqrt(170 * 70 / 3600) = 1.8181...
        assert_relative_eq!(
            bsa_mosteller(170.0, 70.0),
            1.818_118_685_772_619,
            max_relative = 1e-14
        );
    }

    #[test]
    fn rejects_out_of_range_and_nan() {
        assert!(Patient::new(f64::NAN, 140.0, None, 120.0, 11.0, "test").is_err());
        assert!(Patient::new(35.0, 140.0, Some(-1.0), 120.0, 11.0, "test").is_err());
        let p = Patient::new(35.0, 140.0, Some(1.2), 120.0, 11.0, "test").unwrap();
        assert_relative_eq!(p.bsa_m2, 1.2);
    }
}
