//! The forest plot of a validation: each figure's simulated value (with its CI) and published
//! value placed on its own acceptance band (ratios on a log scale), one row per figure.

use cartkin_trial::validate::{Row, Status, Validation, report};

use crate::plot::forest::{Forest, ForestRow};

/// Position of `v` in the band `[lo, hi]` (0 and 1 at the edges), on a log scale for ratios.
fn in_band(v: f64, [lo, hi]: [f64; 2], log: bool) -> f64 {
    if log {
        if v <= 0.0 {
            return f64::NEG_INFINITY;
        }
        (v.ln() - lo.ln()) / (hi.ln() - lo.ln())
    } else {
        (v - lo) / (hi - lo)
    }
}

/// A row of the plot.
fn row(r: &Row) -> ForestRow {
    let band = r.accept;
    let place = |v: f64| band.map(|b| in_band(v, b, r.log_scale));
    let published = r.published.map(|_| {
        format!(
            "; published {}",
            report::with_ci(r.published, r.published_ci95, &r.unit)
        )
    });
    let simulated = if r.simulated.is_some() {
        report::with_ci(r.simulated, r.simulated_ci95, &r.unit)
    } else {
        r.note.clone().unwrap_or_else(|| "–".into())
    };
    // the verdict first, so that a long row loses its tail, never its result
    let detail = match r.status {
        Status::NotSimulated => {
            format!("not simulated{}", published.as_deref().unwrap_or_default())
        }
        Status::Reported => format!("reported: {simulated} (no band)"),
        _ => format!(
            "{}: {simulated}{}; band {}",
            r.status.label(),
            published.as_deref().unwrap_or_default(),
            report::band(r)
        ),
    };
    ForestRow {
        label: r.figure.clone(),
        detail,
        simulated: r.simulated.and_then(|v| {
            Some((
                place(v)?,
                r.simulated_ci95
                    .and_then(|[lo, hi]| Some([place(lo)?, place(hi)?])),
            ))
        }),
        published: r.published.and_then(place),
        banded: band.is_some(),
        pass: r.status == Status::Pass,
    }
}

/// The forest plot of `v`.
pub fn forest(v: &Validation) -> Forest {
    Forest {
        title: format!(
            "Held-out clinical figures: {} of {} inside their acceptance bands ({}{} patients per population, seed {})",
            v.passed(),
            v.compared(),
            v.model_override
                .as_ref()
                .map(|m| format!("{m}; "))
                .unwrap_or_default(),
            v.n,
            v.seed
        ),
        x_label: "Position in each figure's acceptance band (0 = lower edge, 1 = upper edge; ratios on a log scale)".into(),
        rows: v.rows.iter().map(row).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::in_band;

    #[test]
    fn band_positions() {
        assert!((in_band(15.0, [10.0, 20.0], false) - 0.5).abs() < 1e-12);
        assert!((in_band(2.0, [1.0, 4.0], true) - 0.5).abs() < 1e-12);
        assert!(in_band(0.0, [1.0, 4.0], true).is_infinite());
    }
}
