//! The documents of a validation: `validation.json` (machine-readable) and `validation.md`
//! (the table a reader checks), both from [`Validation`].

use std::fmt::Write as _;

use super::{Row, Validation};

/// Schema name and version of `validation.json`.
pub const SCHEMA: &str = "cartkin.validation/1";

/// `validation.json`: `{schema, validation_file, n, seed, model_override, passed, compared,
/// figures: [Row...]}`; values a run does not have are `null`.
pub fn json(v: &Validation) -> Result<Vec<u8>, serde_json::Error> {
    let doc = serde_json::json!({
        "schema": SCHEMA,
        "validation_file": v.validation_file,
        "n": v.n,
        "seed": v.seed,
        "model_override": v.model_override,
        "passed": v.passed(),
        "compared": v.compared(),
        "figures": v.rows,
    });
    let mut bytes = serde_json::to_vec_pretty(&doc)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// A number for a table: 3 significant digits, as a percentage when the unit is `%` of a
/// proportion (`share`), compact otherwise.
pub fn number(v: f64, unit: &str) -> String {
    if unit == "proportion" {
        return format!("{:.1}%", 100.0 * v);
    }
    if v == 0.0 {
        return "0".into();
    }
    let digits = (2 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    format!("{v:.digits$}")
}

/// "value (lo–hi) unit" or "value unit".
pub fn with_ci(value: Option<f64>, ci: Option<[f64; 2]>, unit: &str) -> String {
    let Some(v) = value else {
        return "–".into();
    };
    let u = if unit.is_empty() || unit == "proportion" {
        String::new()
    } else {
        format!(" {unit}")
    };
    match ci {
        Some([lo, hi]) => format!(
            "{} ({}–{}){u}",
            number(v, unit),
            number(lo, unit),
            number(hi, unit)
        ),
        None => format!("{}{u}", number(v, unit)),
    }
}

/// "[lo, hi]" in the figure's unit, or "–".
pub fn band(r: &Row) -> String {
    r.accept.map_or("–".into(), |[lo, hi]| {
        format!("[{}, {}]", number(lo, &r.unit), number(hi, &r.unit))
    })
}

/// `validation.md`: what was run, then one table row per figure.
pub fn markdown(v: &Validation) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Validation against held-out clinical figures\n");
    let _ = writeln!(
        s,
        "Validation file `{}`; {} patients per population, seed {}{}. {} of {} figures inside their acceptance bands; figures without a simulation are listed as not simulated, never as passed.\n",
        v.validation_file.display(),
        v.n,
        v.seed,
        v.model_override
            .as_ref()
            .map(|m| format!("; `{m}` in place of `cart_all_eliana`"))
            .unwrap_or_default(),
        v.passed(),
        v.compared()
    );
    let _ = writeln!(
        s,
        "| figure | published (95% CI) | simulated (95% CI) | band | result | model, regimen | source | band reason |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for r in &v.rows {
        let simulated = match (&r.simulated, &r.note) {
            (Some(_), _) => with_ci(r.simulated, r.simulated_ci95, &r.unit),
            (None, Some(note)) => note.clone(),
            (None, None) => "–".into(),
        };
        let model = r
            .model
            .as_ref()
            .map(|m| format!("{m}, {}", r.regimens.join(" vs ")))
            .unwrap_or_else(|| "–".into());
        let _ = writeln!(
            s,
            "| {} (`{}`) | {} | {}{} | {} | **{}** | {} | {} {} | {} |",
            cell(&r.figure),
            r.id,
            match (&r.published, &r.published_text) {
                (None, Some(t)) => cell(t),
                _ => with_ci(r.published, r.published_ci95, &r.unit),
            },
            cell(&simulated),
            r.n.map(|n| format!(", n = {n}")).unwrap_or_default(),
            band(r),
            r.status.label(),
            cell(&model),
            cell(&r.source),
            r.tag,
            cell(r.band_reason.as_deref().unwrap_or("–"))
        );
    }
    s
}

/// Text safe in a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_three_significant_digits() {
        assert_eq!(number(9.3, "day"), "9.30");
        assert_eq!(number(0.44, "proportion"), "44.0%");
        assert_eq!(number(2.45, ""), "2.45");
        assert_eq!(number(1234.5, ""), "1234");
        assert_eq!(
            with_ci(Some(2.45), Some([1.34, 4.48]), ""),
            "2.45 (1.34–4.48)"
        );
    }
}
