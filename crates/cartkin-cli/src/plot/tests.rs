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
