// Unit tests of the plot module, compiled only under #[cfg(test)] (declared in mod.rs).
//! End-to-end tests of `render` on synthetic CAR-T figures.
//!
//! Set `CARTKIN_PLOT_CHECK_DIR=/some/dir` to also write the rendered figures there for a
//! visual check.

use super::*;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

fn times() -> Vec<f64> {
    (0..=400).map(|i| f64::from(i) * 0.25).collect()
}

fn series(label: &str, dashed: bool, f: impl Fn(f64) -> f64) -> Series {
    Series {
        label: label.to_string(),
        values: times().into_iter().map(f).collect(),
        dashed,
        ..Default::default()
    }
}

fn cart_panel() -> Panel {
    Panel {
        title: "CAR-T cells".into(),
        y_label: "CAR-T cells in blood (cells)".into(),
        log_y: true,
        series: vec![
            // 1e8 -> ~1e11 at day 10, then decays
            series("Effector CAR-T", false, |t| {
                if t <= 10.0 {
                    1e8 * 10f64.powf(0.3 * t)
                } else {
                    1e11 * (-0.25 * (t - 10.0)).exp() + 1e7
                }
            }),
            series("Memory CAR-T", true, |t| {
                2e6 + 3e8 * (1.0 - (-0.2 * t).exp()) * (-0.01 * t).exp()
            }),
        ],
        thresholds: vec![],
        ..Default::default()
    }
}

fn leukemia_panel() -> Panel {
    Panel {
        title: "Leukemic burden".into(),
        y_label: "Blast fraction in marrow".into(),
        log_y: true,
        series: vec![
            // falls from 1e-1 to far below 1e-12
            series("Deep responder", false, |t| 0.1 * (-1.3 * t).exp()),
            // reaches exactly 0 (extinction) on day 20
            series("Extinct at day 20", true, |t| {
                if t < 20.0 {
                    0.1 * (-0.5 * t).exp()
                } else {
                    0.0
                }
            }),
        ],
        thresholds: vec![
            Threshold {
                label: "MRD 1e-4".into(),
                value: 1e-4,
            },
            Threshold {
                label: "5% blasts".into(),
                value: 0.05,
            },
        ],
        ..Default::default()
    }
}

fn bcell_panel() -> Panel {
    Panel {
        title: "Normal B cells".into(),
        y_label: "B cells (cells)".into(),
        log_y: true,
        series: vec![series("B cells", false, |t| {
            let aplasia = 1e9 * (-0.6 * t).exp();
            let recovery = 1e4 * (0.08 * (t - 40.0)).exp().min(1e5);
            aplasia + if t > 40.0 { recovery } else { 1e4 }
        })],
        thresholds: vec![],
        ..Default::default()
    }
}

fn il6_panel() -> Panel {
    Panel {
        title: "Cytokine release".into(),
        y_label: "IL-6 (pg/mL)".into(),
        log_y: false,
        series: vec![series("IL-6", false, |t| {
            5.0 + 3800.0 * (-((t - 7.0) / 2.5).powi(2)).exp()
        })],
        thresholds: vec![Threshold {
            label: "CRS grade 3 (1000 pg/mL)".into(),
            value: 1000.0,
        }],
        ..Default::default()
    }
}

fn events() -> Vec<EventMarker> {
    vec![
        EventMarker {
            time: 0.0,
            label: "CAR-T infusion".into(),
        },
        EventMarker {
            time: 10.0,
            label: "Peak expansion".into(),
        },
        EventMarker {
            time: 25.0,
            label: "MRD-negative remission".into(),
        },
        EventMarker {
            time: 25.4,
            label: "Extinction".into(),
        },
    ]
}

fn figure(panels: Vec<Panel>) -> Figure {
    Figure {
        title: "Simulated CAR-T kinetics in B-ALL (synthetic)".into(),
        x_label: "Time since CAR-T infusion (days)".into(),
        times: times(),
        panels,
        events: events(),
    }
}

fn four_panels() -> Figure {
    figure(vec![
        cart_panel(),
        leukemia_panel(),
        bcell_panel(),
        il6_panel(),
    ])
}

/// Width and height from the IHDR chunk, after checking the PNG framing.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(bytes[..8], PNG_SIGNATURE, "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "first chunk is IHDR");
    assert_eq!(
        &bytes[bytes.len() - 8..bytes.len() - 4],
        b"IEND",
        "last chunk is IEND"
    );
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

fn write_for_check(name: &str, bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("CARTKIN_PLOT_CHECK_DIR") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("create check dir");
        std::fs::write(dir.join(name), bytes).expect("write check file");
    }
}

#[test]
fn four_panel_png_has_expected_size() {
    let fig = four_panels();
    let png = render(&fig, ImageFormat::Png).expect("render png");
    write_for_check("figure.png", &png);
    assert_eq!(png_size(&png), (1400, 2 * 450 + layout::TITLE_H));
}

#[test]
fn four_panel_svg_contains_titles_and_legend() {
    let fig = four_panels();
    let svg = String::from_utf8(render(&fig, ImageFormat::Svg).expect("render svg")).expect("utf8");
    write_for_check("figure.svg", svg.as_bytes());
    assert!(svg.starts_with("<svg"));
    assert!(svg.contains(r#"width="1400""#));
    for text in [
        "Simulated CAR-T kinetics in B-ALL (synthetic)",
        "CAR-T cells",
        "Leukemic burden",
        "Normal B cells",
        "Cytokine release",
        "Effector CAR-T",
        "Memory CAR-T",
        "Deep responder",
        "Extinct at day 20",
        "MRD 1e-4",
        "5% blasts",
        "IL-6 (pg/mL)",
        "Time since CAR-T infusion (days)",
        "CAR-T infusion",
        "MRD-negative remission / Extinction",
    ] {
        assert!(svg.contains(text), "SVG lacks {text:?}");
    }
}

#[test]
fn output_is_deterministic() {
    let fig = four_panels();
    for format in [ImageFormat::Png, ImageFormat::Svg] {
        let a = render(&fig, format).expect("first render");
        let b = render(&fig, format).expect("second render");
        assert!(a == b, "{format:?} output differs between runs");
    }
}

#[test]
fn one_two_and_six_panels() {
    let one = figure(vec![leukemia_panel()]);
    let png = render(&one, ImageFormat::Png).expect("1 panel");
    write_for_check("one_panel.png", &png);
    assert_eq!(png_size(&png), (700, 450 + layout::TITLE_H));

    let two = figure(vec![cart_panel(), il6_panel()]);
    let png = render(&two, ImageFormat::Png).expect("2 panels");
    write_for_check("two_panels.png", &png);
    assert_eq!(png_size(&png), (700, 900 + layout::TITLE_H));

    let mut six = figure(vec![
        cart_panel(),
        leukemia_panel(),
        bcell_panel(),
        il6_panel(),
        leukemia_panel(),
    ]);
    six.title.clear();
    let png = render(&six, ImageFormat::Png).expect("5 panels");
    write_for_check("five_panels.png", &png);
    assert_eq!(png_size(&png), (1400, 1350));
}

#[test]
fn log_panel_without_positive_values_does_not_panic() {
    let mut fig = figure(vec![Panel {
        title: "All zero".into(),
        y_label: "cells".into(),
        log_y: true,
        series: vec![
            series("zeros", false, |_| 0.0),
            series("negative and NaN", true, |t| {
                if t < 50.0 { -1.0 } else { f64::NAN }
            }),
        ],
        thresholds: vec![Threshold {
            label: "not positive".into(),
            value: 0.0,
        }],
        ..Default::default()
    }]);
    let png = render(&fig, ImageFormat::Png).expect("png of empty log panel");
    write_for_check("all_zero.png", &png);
    let svg = render(&fig, ImageFormat::Svg).expect("svg of empty log panel");
    assert!(String::from_utf8_lossy(&svg).contains("no positive values"));
    // a panel with no series at all
    fig.panels[0].series.clear();
    render(&fig, ImageFormat::Svg).expect("svg of panel without series");
}

#[test]
fn awkward_inputs_do_not_panic() {
    let mut fig = four_panels();
    // NaN/inf values and times, a single huge value, many events, long labels
    fig.times[3] = f64::NAN;
    fig.panels[0].series[0].values[5] = f64::INFINITY;
    fig.panels[3].series[0].values[7] = f64::NAN;
    fig.panels[3].series[0].values[8] = -1e305;
    fig.events = (0..40)
        .map(|i| EventMarker {
            time: f64::from(i) * 2.5,
            label: format!("A rather long event label number {i}"),
        })
        .collect();
    fig.panels[1].y_label =
        "A very long axis description that certainly does not fit on one rotated line (unit)"
            .repeat(2);
    fig.panels[2].title = "An extremely long panel title ".repeat(6);
    fig.panels[2].series = (0..30)
        .map(|i| {
            series(&format!("series {i}"), i % 2 == 0, move |t| {
                1.0 + t * f64::from(i)
            })
        })
        .collect();
    let png = render(&fig, ImageFormat::Png).expect("awkward png");
    write_for_check("awkward.png", &png);
    render(&fig, ImageFormat::Svg).expect("awkward svg");

    // a single time point
    let mut one = figure(vec![il6_panel(), cart_panel()]);
    one.times = vec![3.0];
    for p in &mut one.panels {
        for s in &mut p.series {
            s.values = vec![42.0];
        }
    }
    render(&one, ImageFormat::Png).expect("single time point");
}

#[test]
fn invalid_inputs_are_clear_errors() {
    let mut fig = four_panels();
    fig.panels.clear();
    let err = render(&fig, ImageFormat::Png).expect_err("no panels");
    assert!(err.to_string().contains("no panels"), "{err}");

    let mut fig = four_panels();
    fig.times.clear();
    for p in &mut fig.panels {
        for s in &mut p.series {
            s.values.clear();
        }
    }
    let err = render(&fig, ImageFormat::Svg).expect_err("no times");
    assert!(err.to_string().contains("no finite time points"), "{err}");

    let mut fig = four_panels();
    fig.panels[1].series[0].values.pop();
    let err = render(&fig, ImageFormat::Png).expect_err("length mismatch");
    assert!(err.to_string().contains("Deep responder"), "{err}");
}

// ---- Fitting plots -------------------------------------------------------------------------

/// Deterministic "noise" in [-1, 1] (no RNG in tests).
fn wiggle(i: usize, k: usize) -> f64 {
    let (i, k) = (i as f64, k as f64);
    (12.9898 * i + 78.233 * k).sin() * (4.1 + 0.7 * k).cos()
}

/// Synthetic CAR-T transgene kinetics of subject `k` (copies/µg DNA).
fn transgene(k: usize, t: f64) -> f64 {
    let kf = k as f64;
    let peak_day = 8.0 + 2.0 * (kf % 3.0);
    let peak = 10f64.powf(4.2 + 0.35 * kf);
    let rise = 0.9 - 0.05 * kf;
    let decline = 0.12 + 0.02 * kf;
    if t <= peak_day {
        peak * (rise * (t - peak_day)).exp() + 1.0
    } else {
        peak * (0.85 * (-decline * (t - peak_day)).exp() + 0.15 * (-0.01 * (t - peak_day)).exp())
    }
}

const SAMPLE_DAYS: [f64; 10] = [1.0, 4.0, 7.0, 10.0, 14.0, 21.0, 28.0, 56.0, 90.0, 180.0];
const LLOQ: f64 = 20.0;

/// Observations of subject `k`: model times log-normal noise, 0 below the LLOQ.
fn observed(k: usize) -> Vec<f64> {
    SAMPLE_DAYS
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let v = transgene(k, t) * (0.45 * wiggle(i, k)).exp();
            if v < LLOQ { 0.0 } else { v }
        })
        .collect()
}

fn fit_times() -> Vec<f64> {
    (0..=360).map(|i| f64::from(i) * 0.5).collect()
}

fn subject_panel(k: usize) -> Panel {
    let first = k == 0;
    Panel {
        title: format!("Subject {:03}", 101 + k),
        y_label: "Transgene (copies/µg DNA)".into(),
        log_y: true,
        series: vec![
            Series::points(
                if first { "Observed" } else { "" },
                SAMPLE_DAYS.to_vec(),
                observed(k),
            ),
            Series::line(
                if first { "Individual fit" } else { "" },
                fit_times().into_iter().map(|t| transgene(k, t)).collect(),
            ),
        ],
        thresholds: vec![Threshold {
            label: "LLOQ".into(),
            value: LLOQ,
        }],
        ..Default::default()
    }
}

fn fit_figure(title: &str, panels: Vec<Panel>) -> Figure {
    Figure {
        title: title.into(),
        x_label: "Time since CAR-T infusion (days)".into(),
        times: fit_times(),
        panels,
        events: vec![],
    }
}

fn render_both(fig: &Figure, name: &str) -> (Vec<u8>, String) {
    let png = render(fig, ImageFormat::Png).expect("render png");
    write_for_check(&format!("{name}.png"), &png);
    let svg = render(fig, ImageFormat::Svg).expect("render svg");
    write_for_check(&format!("{name}.svg"), &svg);
    (png, String::from_utf8(svg).expect("utf8"))
}

#[test]
fn subject_grid_points_over_fits() {
    let fig = fit_figure(
        "Individual fits of CAR-T expansion (synthetic)",
        (0..6).map(subject_panel).collect(),
    );
    let (png, svg) = render_both(&fig, "fit_subjects");
    assert_eq!(png_size(&png), (1400, 3 * 450 + layout::TITLE_H));
    for text in [
        "Subject 101",
        "Subject 106",
        "Observed",
        "Individual fit",
        "LLOQ",
    ] {
        assert!(svg.contains(text), "SVG lacks {text:?}");
    }
    // only the first panel has a legend
    assert_eq!(svg.matches("Observed").count(), 1, "one legend entry");
    // observations are circles of radius 4; below-LLOQ zeros are not drawn on the log axis
    let drawn = svg.matches(r#"r="4""#).count();
    let positive: usize = (0..6)
        .map(|k| observed(k).iter().filter(|v| **v > 0.0).count())
        .sum();
    let zeros = 6 * SAMPLE_DAYS.len() - positive;
    assert!(zeros > 0, "the test data should have values below the LLOQ");
    // one more circle: the legend sample
    assert_eq!(drawn, positive + 1);
}

#[test]
fn large_grids_up_to_24_panels() {
    let fig = fit_figure(
        "24 subjects (synthetic)",
        (0..24).map(|k| subject_panel(k % 6)).collect(),
    );
    let png = render(&fig, ImageFormat::Png).expect("24 panels");
    write_for_check("fit_24_subjects.png", &png);
    assert_eq!(
        png_size(&png),
        (
            4 * layout::SMALL_CELL_W,
            6 * layout::SMALL_CELL_H + layout::TITLE_H
        )
    );
    let mut too_many = fig.clone();
    too_many.panels.push(subject_panel(0));
    let err = render(&too_many, ImageFormat::Svg).expect_err("25 panels");
    assert!(err.to_string().contains("at most 24"), "{err}");
}

/// (predicted, observed) pairs of all subjects; `individual` predictions are closer.
fn obs_pred(individual: bool) -> (Vec<f64>, Vec<f64>) {
    let mut pred = Vec::new();
    let mut obs = Vec::new();
    for k in 0..6 {
        for (i, (&t, &o)) in SAMPLE_DAYS.iter().zip(&observed(k)).enumerate() {
            let p = if individual {
                transgene(k, t) * (0.1 * wiggle(i + 7, k)).exp()
            } else {
                // population prediction: the typical subject
                transgene(2, t) * (0.2 * wiggle(i + 3, k + 1)).exp()
            };
            pred.push(p);
            obs.push(o);
        }
    }
    (pred, obs)
}

fn obs_pred_panel(individual: bool) -> Panel {
    let (pred, obs) = obs_pred(individual);
    let finite = pred.iter().chain(&obs).copied().filter(|v| *v > 0.0);
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(0.0, f64::max);
    let (title, x_label) = if individual {
        (
            "Individual predictions",
            "Individual prediction (copies/µg DNA)",
        )
    } else {
        (
            "Population predictions",
            "Population prediction (copies/µg DNA)",
        )
    };
    Panel {
        title: title.into(),
        y_label: "Observed (copies/µg DNA)".into(),
        log_y: true,
        log_x: true,
        x_label: Some(x_label.into()),
        series: vec![Series::points("Observations", pred, obs)],
        reference_lines: vec![ReferenceLine::identity("Identity (y = x)", lo, hi)],
        ..Default::default()
    }
}

#[test]
fn observed_vs_predicted_log_log() {
    let fig = Figure {
        title: "Goodness of fit (synthetic)".into(),
        x_label: String::new(),
        times: vec![],
        panels: vec![obs_pred_panel(false), obs_pred_panel(true)],
        events: vec![],
    };
    let (png, svg) = render_both(&fig, "fit_obs_pred");
    assert_eq!(png_size(&png), (700, 2 * 450 + layout::TITLE_H));
    for text in [
        "Population prediction (copies/µg DNA)",
        "Observed (copies/µg DNA)",
        "Identity (y = x)",
        "Observations",
    ] {
        assert!(svg.contains(text), "SVG lacks {text:?}");
    }
    for format in [ImageFormat::Png, ImageFormat::Svg] {
        let again = render(&fig, format).expect("second render");
        let first = if format == ImageFormat::Png {
            png.clone()
        } else {
            svg.clone().into_bytes()
        };
        assert!(again == first, "{format:?} output differs between runs");
    }
    // both axes were decided by the same identity segment: same decades
    let (x, y) = ranges::panel_axes(&fig.panels[0], &fig.times);
    assert_eq!(x.major, y.major);
}

#[test]
fn residuals_vs_time_and_prediction() {
    let mut times = Vec::new();
    let mut ipred = Vec::new();
    let mut cwres = Vec::new();
    for k in 0..6 {
        for (i, &t) in SAMPLE_DAYS.iter().enumerate() {
            times.push(t);
            ipred.push(transgene(k, t));
            let r = 1.6 * wiggle(i, k) + 0.4 * wiggle(i + 11, k + 5);
            // a missing residual (below LLOQ) is simply not drawn
            cwres.push(if observed(k)[i] > 0.0 { r } else { f64::NAN });
        }
    }
    let span = |v: &[f64]| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        (lo, v.iter().copied().fold(lo, f64::max))
    };
    // zero lines across the data
    let zero = |(x0, x1): (f64, f64)| ReferenceLine::new("", (x0, 0.0), (x1, 0.0));
    let (time_span, pred_span) = (span(&times), span(&ipred));
    let band = |v: f64| Threshold {
        label: if v > 0.0 { "±2".into() } else { String::new() },
        value: v,
    };
    let y_label = "Conditional weighted residual";
    let fig = Figure {
        title: "Residual diagnostics (synthetic)".into(),
        x_label: "Time since CAR-T infusion (days)".into(),
        times: vec![],
        panels: vec![
            Panel {
                title: "Residuals vs time".into(),
                y_label: y_label.into(),
                series: vec![Series::points("", times, cwres.clone())],
                reference_lines: vec![zero(time_span)],
                thresholds: vec![band(2.0), band(-2.0)],
                ..Default::default()
            },
            Panel {
                title: "Residuals vs prediction".into(),
                y_label: y_label.into(),
                log_x: true,
                x_label: Some("Individual prediction (copies/µg DNA)".into()),
                series: vec![Series::points("", ipred, cwres)],
                reference_lines: vec![zero(pred_span)],
                thresholds: vec![band(2.0), band(-2.0)],
                ..Default::default()
            },
        ],
        events: vec![],
    };
    let (png, svg) = render_both(&fig, "fit_residuals");
    assert_eq!(png_size(&png), (700, 2 * 450 + layout::TITLE_H));
    assert!(svg.contains("Individual prediction (copies/µg DNA)"));
    assert!(svg.contains("Time since CAR-T infusion (days)"));
    // no legend: every series and reference line is unlabelled
    assert!(!svg.contains("Identity"));
}

/// Profile of -2 log L relative to its minimum: a slightly skewed parabola.
fn profile(centre: f64, scale: f64, skew: f64) -> (Vec<f64>, Vec<f64>) {
    (0..=16)
        .map(|i| {
            let x = centre * (1.0 + scale * (f64::from(i) / 8.0 - 1.0));
            let z = (x - centre) / (centre * scale / 2.2);
            (x, z * z * (1.0 + skew * z))
        })
        .unzip()
}

/// Where the profile crosses `cutoff` on either side of its minimum (linear interpolation).
fn crossings(x: &[f64], y: &[f64], cutoff: f64) -> (f64, f64) {
    let cross = |i: usize, j: usize| x[i] + (cutoff - y[i]) / (y[j] - y[i]) * (x[j] - x[i]);
    let n = x.len();
    let lo = (1..n)
        .find(|&j| y[j - 1] >= cutoff && y[j] < cutoff)
        .map_or(x[0], |j| cross(j - 1, j));
    let hi = (1..n)
        .rev()
        .find(|&j| y[j - 1] < cutoff && y[j] >= cutoff)
        .map_or(x[n - 1], |j| cross(j - 1, j));
    (lo, hi)
}

#[test]
fn profile_likelihood_with_cutoff() {
    let cutoff = 3.84;
    let panel = |title: &str, x_label: &str, (x, y): (Vec<f64>, Vec<f64>)| {
        let ci = crossings(&x, &y, cutoff);
        Panel {
            title: title.into(),
            y_label: "\u{394}(\u{2212}2 log L)".into(),
            x_label: Some(x_label.into()),
            series: vec![Series::xy_line("Profile", x, y).with_style(SeriesStyle::LineAndPoints)],
            thresholds: vec![Threshold {
                label: "\u{3c7}\u{b2}(1) 95% cut-off = 3.84".into(),
                value: cutoff,
            }],
            reference_lines: vec![
                ReferenceLine::new("95% CI", (ci.0, 0.0), (ci.0, cutoff)),
                ReferenceLine::new("", (ci.1, 0.0), (ci.1, cutoff)),
            ],
            ..Default::default()
        }
    };
    let mut fig = Figure {
        title: "Profile likelihood (synthetic)".into(),
        x_label: String::new(),
        times: vec![],
        panels: vec![
            panel(
                "Expansion rate",
                "CAR-T expansion rate \u{3c1} (1/day)",
                profile(0.9, 0.5, 0.08),
            ),
            panel(
                "Killing rate",
                "Killing rate k (1/(cells\u{b7}day))",
                profile(2.5e-9, 0.6, -0.1),
            ),
        ],
        events: vec![],
    };
    // fixed y range on the second panel: the high ends of the profile are clipped
    fig.panels[1].y_range = Some((0.0, 5.0));
    let (png, svg) = render_both(&fig, "fit_profile");
    assert_eq!(png_size(&png), (700, 2 * 450 + layout::TITLE_H));
    for text in ["Profile", "95% CI", "3.84", "(1/day)"] {
        assert!(svg.contains(text), "SVG lacks {text:?}");
    }
}

#[test]
fn fitting_inputs_are_checked() {
    let mut fig = fit_figure("f", vec![subject_panel(0)]);
    fig.panels[0].series[0].values.pop();
    let err = render(&fig, ImageFormat::Svg).expect_err("x/values mismatch");
    assert!(err.to_string().contains("x values"), "{err}");

    let mut fig = fit_figure("f", vec![subject_panel(0)]);
    fig.panels[0].y_range = Some((0.0, 10.0));
    let err = render(&fig, ImageFormat::Svg).expect_err("log range from 0");
    assert!(err.to_string().contains("positive"), "{err}");
    fig.panels[0].y_range = Some((10.0, 1.0));
    let err = render(&fig, ImageFormat::Svg).expect_err("reversed range");
    assert!(err.to_string().contains("lo < hi"), "{err}");

    // own x only: no figure times needed; but series on the figure times need them
    let mut fig = fit_figure("f", vec![obs_pred_panel(true)]);
    fig.times.clear();
    render(&fig, ImageFormat::Svg).expect("own x only");
    fig.panels[0].series.push(Series::line("on times", vec![]));
    let err = render(&fig, ImageFormat::Svg).expect_err("no times");
    assert!(err.to_string().contains("no finite time points"), "{err}");

    // awkward: all points off a log axis, fixed range excluding all data, NaN reference line
    let mut fig = fit_figure("f", vec![obs_pred_panel(false), subject_panel(1)]);
    fig.panels[0].series[0]
        .values
        .iter_mut()
        .for_each(|v| *v = -1.0);
    fig.panels[0].reference_lines[0].to = (f64::NAN, f64::INFINITY);
    fig.panels[1].x_range = Some((500.0, 600.0));
    fig.panels[1].y_range = Some((1e-3, 1e-2));
    render(&fig, ImageFormat::Png).expect("awkward fit figure");
}
