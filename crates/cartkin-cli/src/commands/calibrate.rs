//! `cartkin calibrate`: population hyperparameters from clinical targets.

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use cartkin_core::model::overlay::{self, Overlay, ParameterChange};
use cartkin_core::model::{self, Model, Variability};
use cartkin_core::regimen;
use cartkin_core::solve::SolverOptions;
use cartkin_trial::endpoint::Endpoint;
use cartkin_trial::vpop::calibrate::{
    Calibration, Evaluation, Free, Hyper, Report, SLICE_RISE, Settings, Slice,
};
use cartkin_trial::vpop::spec::{self, PopulationSpec, Spread};
use cartkin_trial::vpop::targets::Targets;
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::CalibrateArgs;
use crate::output::ResultSet;
use crate::plot::{Figure, Panel, ReferenceLine, Series, SeriesStyle, Threshold};
use crate::population_figure;

pub fn run(args: CalibrateArgs) -> Result<()> {
    if args.slices == 1 {
        bail!("--slices: expected 0 (no slices) or at least 2 points per slice, got 1");
    }
    let path = model::resolve(&args.model).context("--model")?;
    let model = Model::load(&path)?;
    let spec = match &args.population {
        Some(file) => spec::load_file(&super::population::resolve_population(file), model.spec())?,
        None => spec::load(&path, model.spec())?,
    };
    let targets = Targets::load(&super::population::resolve_targets(&args.targets))?;
    let regimen = regimen::resolve(targets.regimen.as_deref().unwrap_or(&spec.regimen))
        .context("the targets' or the population's regimen")?;
    let specs = if args.free.is_empty() {
        spec.calibrate.clone()
    } else {
        args.free.clone()
    };
    if specs.is_empty() {
        bail!(
            "--free: no hyperparameter to calibrate; give --free NAME:typical:LOWER:UPPER (or NAME:omega:...), or a `calibrate` list in the population table"
        );
    }
    let free: Vec<Free> = specs
        .iter()
        .map(|f| {
            f.parse::<Free>()
                .map_err(anyhow::Error::msg)
                .context("--free")
        })
        .collect::<Result<_>>()?;
    if args.n < 10 {
        bail!(
            "--n: expected at least 10 patients per evaluation, got {}",
            args.n
        );
    }
    let calibration = Calibration {
        model: &model,
        spec: &spec,
        regimen: &regimen,
        targets: &targets,
        free,
        settings: Settings {
            optimizer: args.optimizer.optimizer(),
            starts: args.starts.max(1),
            n: args.n,
            seed: args.seed,
            max_iters: args.max_iters,
            fit_crs_edges: !args.keep_crs_edges,
            slice_points: args.slices,
            options: SolverOptions {
                method: args.method.method(),
                ..SolverOptions::default()
            },
        },
    };
    calibration.validate().map_err(super::flags::trial_error)?;
    super::threads::check(args.threads)?;
    let population_file = args
        .population
        .as_deref()
        .map(super::population::resolve_population);
    let written_to = args.out.join("calibrated.toml");
    let destination = Destination {
        model: &model,
        written_to: &written_to,
        asked: &args.model,
        population_file: population_file.as_deref(),
        trial: &targets.name,
    };
    let write_calibrated = |values: &[(Free, f64)], spec: &PopulationSpec, edges: &[f64]| {
        calibrated_model(&destination, spec, values, edges)
    };
    // what calibrated.toml can hold is known before the run: check it now, not after it
    {
        let start = calibration.start_values();
        let (_, start_spec) = calibration.apply(&start.iter().map(|(_, v)| *v).collect::<Vec<_>>());
        write_calibrated(&start, &start_spec, &[20.0, 100.0, 400.0, 1500.0])?;
    }
    if cartkin_core::model::overlay::replaces_its_base(
        &model.spec().chain,
        &args.out.join("calibrated.toml"),
    ) {
        bail!(
            "--out {}: calibrated.toml there is the model being calibrated (or one it extends); the new file would extend itself: choose another --out",
            args.out.display()
        );
    }
    let mut out = ResultSet::begin(&args.out, "calibrate")?;
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template(
        "{spinner} calibrating [{elapsed_precise}] {msg}",
    )?);
    let started = std::time::Instant::now();
    let progress = |k: u64, d: f64| bar.set_message(format!("evaluation {k}, discrepancy {d:.3}"));
    let report = super::threads::run(args.threads, || calibration.run(&progress))?
        .map_err(super::flags::trial_error)?;
    let elapsed = started.elapsed();
    bar.finish_and_clear();

    let (cal_model, cal_spec) =
        calibration.apply(&report.values.iter().map(|(_, v)| *v).collect::<Vec<_>>());
    out.add(
        "calibrated.toml",
        &write_calibrated(
            &report.values,
            &cal_spec,
            &report.calibration.crs_grade_edges,
        )?,
    )?;
    out.add(
        "report.json",
        &cartkin_trial::vpop::report::calibration_json(
            &report,
            model.name(),
            &targets,
            &regimen.name,
            args.n,
            elapsed.as_secs_f64(),
        )?,
    )?;
    out.add(
        "report.md",
        report_md(&model, &targets, &report, args.n, elapsed).as_bytes(),
    )?;
    let formats = args.format.formats();
    let target_points: Vec<population_figure::TargetPoint> = targets
        .curve(Endpoint::Rfs)
        .iter()
        .map(|r| {
            (
                r.month,
                r.value,
                r.ci95.unwrap_or([r.value - 0.08, r.value + 0.08]),
            )
        })
        .collect();
    let mut figures =
        population_figure::figures(&cal_model, &report.fresh.patients, &target_points);
    figures.push((
        "rates_vs_targets".into(),
        population_figure::rates_figure(&cal_model, &report.fresh.comparisons),
    ));
    if !report.slices.is_empty() {
        figures.push(("slices".into(), slices_figure(&model, &report.slices)));
    }
    out.add_figures(&figures, formats)?;
    out.commit_and_list()?;
    crate::outln!(
        "{} evaluations in {:.1} s",
        report.evaluations,
        elapsed.as_secs_f64()
    );
    for (f, v) in &report.values {
        crate::outln!("  {} {:?} = {v:.6e}", f.parameter, f.hyper);
    }
    for w in &report.at_bounds {
        crate::outln!("warning: {w}");
    }
    print_table("calibration draw", &report.calibration);
    print_table("fresh draw", &report.fresh);
    Ok(())
}

fn print_table(title: &str, e: &Evaluation) {
    crate::outln!("{title} (discrepancy {:.2}):", e.discrepancy);
    for c in &e.comparisons {
        crate::outln!(
            "  {:<30} target {:>6.3}  accept [{:.3}, {:.3}]  achieved {:>6.3}  {}",
            c.endpoint,
            c.target,
            c.accept[0],
            c.accept[1],
            c.achieved,
            if c.inside { "inside" } else { "OUTSIDE" }
        );
    }
}

/// Where a calibrated model goes and what it extends.
struct Destination<'a> {
    /// The model calibrated.
    model: &'a Model,
    /// Where the file is written (its `extends` is resolved from there).
    written_to: &'a std::path::Path,
    /// The name or path the model was asked for by.
    asked: &'a str,
    /// The population file, if the population came from one.
    population_file: Option<&'a std::path::Path>,
    /// The trial calibrated to.
    trial: &'a str,
}

/// The calibrated model: a model file that extends the calibrated one with the calibrated
/// typical values and ωs, the fitted CRS grade edges and, when the population came from a
/// file of its own, that population; validated by reading it back.
fn calibrated_model(
    to: &Destination,
    spec: &PopulationSpec,
    values: &[(Free, f64)],
    crs_grade_edges: &[f64],
) -> Result<Vec<u8>> {
    let Destination {
        model,
        written_to,
        asked,
        population_file,
        trial,
    } = *to;
    let base = model.spec();
    let mut overlay = Overlay::new(
        overlay::base_reference(asked, &base.path),
        format!("{}_calibrated", base.name),
    );
    overlay.title = Some(format!("{} — population calibrated to {trial}", base.title));
    overlay.comments.push(format!(
        "`{}` calibrated by `cartkin calibrate` to {trial}: only what the calibration changed",
        base.name
    ));
    let source = format!("calibrated by cartkin calibrate to {trial}");
    for (f, v) in values.iter().filter(|(f, _)| f.hyper == Hyper::Typical) {
        overlay.parameters.push(ParameterChange {
            name: f.parameter.clone(),
            value: Some(*v),
            variability: None,
            source: source.clone(),
        });
    }
    // every spread that is not the model's own: the calibrated ωs, and those of a population
    // file (a model file declares variability once, in its parameters)
    let declared = spec::load(&base.path, base).context("the model's own population")?;
    for p in &spec.parameters {
        if declared
            .parameters
            .iter()
            .any(|d| d.name == p.name && d.spread == p.spread)
        {
            continue;
        }
        let (distribution, omega) = match p.spread {
            Spread::Lognormal { omega } => ("lognormal", omega),
            Spread::Logitnormal { omega } => ("logitnormal", omega),
            _ => bail!(
                "{}: `{}` is spread {:?}; a model file declares between-patient variability once, in the parameter's `variability` (log- or logit-normal, or uniform over the bounds), and a calibration writes only log- or logit-normal spreads it changed: declare this one in the model before calibrating",
                population_file.map_or_else(
                    || base.path.display().to_string(),
                    |f| f.display().to_string()
                ),
                p.name,
                p.spread
            ),
        };
        let freed = values
            .iter()
            .any(|(f, _)| f.hyper == Hyper::Omega && f.parameter == p.name);
        let variability = Some(Variability {
            distribution: distribution.into(),
            omega2: Some(omega * omega),
            cv: None,
            // the written variability replaces the base's whole: keep the parameter's effect
            shared: p.shared.clone(),
        });
        let why = if freed {
            format!("{source} (ω)")
        } else {
            format!(
                "ω of the population in {}",
                population_file.map_or_else(String::new, |f| f.display().to_string())
            )
        };
        match overlay.parameters.iter_mut().find(|c| c.name == p.name) {
            Some(c) => {
                c.variability = variability;
                c.source = format!("{}; {why}", c.source);
            }
            None => overlay.parameters.push(ParameterChange {
                name: p.name.clone(),
                value: None,
                variability,
                source: why,
            }),
        }
    }
    // the edges are written when the calibration changed them (a model without a cytokine
    // has none to change)
    if base.outcomes.cytokine.is_some()
        && base.outcomes.crs_grade_edges.as_deref() != Some(crs_grade_edges)
    {
        overlay
            .outcomes
            .push(("crs_grade_edges".into(), overlay::numbers(crs_grade_edges)));
    }
    if let Some(file) = population_file {
        overlay
            .comments
            .push(format!("population from {}", file.display()));
        // the file's population replaces the base's whole (as it did in the run): keys,
        // covariates or a dose rule the file lacks must not come back from the base
        if base_has_population(&base.path)? {
            overlay.unset.push("population".into());
        }
        overlay.population = Some(spec.settings_toml());
    }
    let out = overlay.to_toml();
    // the result must be a valid model file with a valid population, read as from where it
    // is written (`extends` is resolved from there), and that population the one calibrated
    let checked = model::file::parse(written_to, &out)
        .context("the calibrated model file did not validate")?;
    let reread = spec::parse(written_to, &out, &checked)
        .context("the calibrated population did not validate")?;
    if let Some(field) = population_difference(&reread, spec) {
        bail!(
            "the calibrated model file would describe another population than the one calibrated \
             ({field} differ); a model file cannot hold it: run `cartkin population` with the \
             population file and the calibrated ωs instead"
        );
    }
    Ok(out.into_bytes())
}

/// Whether the model file at `path` (its extends chain resolved) has a `[population]` table.
fn base_has_population(path: &std::path::Path) -> Result<bool> {
    Ok(model::extends::Resolved::load(path)?.has_table("population"))
}

/// The first part of two populations that differs, if any.
fn population_difference(a: &PopulationSpec, b: &PopulationSpec) -> Option<&'static str> {
    let differs = [
        (a.n != b.n, "n"),
        (a.seed != b.seed, "seed"),
        (a.regimen != b.regimen, "regimen"),
        (a.follow_up_days != b.follow_up_days, "follow_up_days"),
        (
            a.non_relapse_mortality_per_year != b.non_relapse_mortality_per_year,
            "non_relapse_mortality_per_year",
        ),
        (a.dropout_per_year != b.dropout_per_year, "dropout_per_year"),
        (a.covariates != b.covariates, "covariates"),
        (a.dose != b.dose, "dose rules"),
        (a.parameters != b.parameters, "varying parameters"),
        (a.correlation != b.correlation, "correlations"),
    ];
    differs.iter().find(|(d, _)| *d).map(|(_, f)| *f)
}

fn report_md(
    model: &Model,
    targets: &Targets,
    report: &Report,
    n: usize,
    elapsed: std::time::Duration,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Calibration of `{}` to {}\n",
        model.name(),
        targets.name
    );
    let _ = writeln!(
        s,
        "{} patients per evaluation, {} evaluations, {:.1} s. Seeds: calibration {}, fresh check {}.\n",
        n,
        report.evaluations,
        elapsed.as_secs_f64(),
        report.seeds[0],
        report.seeds[1]
    );
    let _ = writeln!(
        s,
        "## Calibrated hyperparameters\n\n| parameter | what | value | bounds |\n|---|---|---:|---|"
    );
    for (f, v) in &report.values {
        let _ = writeln!(
            s,
            "| {} | {:?} | {v:.4e} | [{:.3e}, {:.3e}] |",
            f.parameter, f.hyper, f.lower, f.upper
        );
    }
    for w in &report.at_bounds {
        let _ = writeln!(
            s,
            "\n**Warning:** {w}: the targets pull beyond the allowed range (a mechanism the model lacks, or bounds too narrow)."
        );
    }
    if !targets.notes.is_empty() {
        let _ = writeln!(s, "\n## Notes on the targets\n");
        for n in &targets.notes {
            let _ = writeln!(s, "- {n}");
        }
    }
    let _ = writeln!(
        s,
        "\nCRS grade edges (peak IL-6, pg/mL), fitted to the grade frequencies: {:?}\n",
        report.calibration.crs_grade_edges
    );
    for (title, e) in [
        ("Calibration draw", &report.calibration),
        ("Fresh draw (new patients)", &report.fresh),
    ] {
        let _ = writeln!(
            s,
            "## {title}: discrepancy {:.2}\n\n| endpoint | target | acceptance interval | achieved | inside | source |\n|---|---:|---|---:|:---:|---|",
            e.discrepancy
        );
        for c in &e.comparisons {
            let _ = writeln!(
                s,
                "| {} | {:.3} | [{:.3}, {:.3}] | {:.3} | {} | {} |",
                c.endpoint,
                c.target,
                c.accept[0],
                c.accept[1],
                c.achieved,
                if c.inside { "yes" } else { "**no**" },
                c.source
            );
        }
        let sm = &e.summary;
        let pct = |v: Option<f64>| v.map_or("n/a".into(), |v| format!("{:.1}%", 100.0 * v));
        let _ = writeln!(
            s,
            "\nORR {} (n = {}), MRD-negative {}, median RFS {}, relapses {} ({} deaths in remission), CRS ≥ 3 {}.\n",
            pct(sm.rate(Endpoint::Remission)),
            sm.n,
            pct(sm.rate(Endpoint::MrdNegative)),
            sm.number(Endpoint::MedianRfs)
                .map_or("not reached".into(), |m| format!("{m:.1} months")),
            sm.count(Endpoint::Relapses),
            sm.count(Endpoint::DeathsInRemission),
            pct(sm.rate(Endpoint::CrsGrade3Plus))
        );
    }
    slices_md(&mut s, report);
    s
}

/// The slices section of `report.md`: each hyperparameter's range where the discrepancy rises
/// less than [`SLICE_RISE`], and what that says about its identification.
fn slices_md(s: &mut String, report: &Report) {
    if report.slices.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "## What the targets identify: slices

Each free hyperparameter moved on a log grid of ×/÷ e around its calibrated value (within its bounds), the others held, on the calibration draw (`slices.png`). The discrepancy is a deviance, so a rise of {SLICE_RISE} (the 95% point of χ² with one degree of freedom) marks, roughly, the values the targets reject: roughly, because the RFS points of one Kaplan–Meier curve are correlated, several acceptance bands are project tolerances read as 95% intervals, and the simulation's Monte Carlo noise is ignored. The range is the grid points below the rise (not an interpolated crossing). A slice is not a profile: the others are not re-optimized, so a range here is narrower than the hyperparameter's uncertainty when another can compensate; an open end means the targets do not bound it within the grid.

| parameter | what | calibrated | lowest below the rise | highest below the rise | rise at the grid's ends | identified |\n|---|---|---:|---:|---:|---|---|"
    );
    for sl in &report.slices {
        let end = |v: Option<f64>, open: &str| v.map_or(open.to_string(), |v| format!("{v:.3e}"));
        let ends = match (sl.points.first(), sl.points.last()) {
            (Some(a), Some(b)) => format!("{:.1} / {:.1}", a.1, b.1),
            _ => "–".into(),
        };
        let identified = identified(sl);
        let _ = writeln!(
            s,
            "| {} | {:?} | {:.4e} | {} | {} | {ends} | {identified} |",
            sl.free.parameter,
            sl.free.hyper,
            sl.value,
            end(sl.range.0, "open (grid end)"),
            end(sl.range.1, "open (grid end)"),
        );
    }
    let _ = writeln!(s);
}

/// What a slice says about its hyperparameter's identification, in words.
fn identified(sl: &Slice) -> String {
    let identified = match sl.range {
        (Some(_), Some(_)) => "yes, within ×/÷ e",
        (None, None) => "no: below the rise over the whole grid",
        _ => "on one side only",
    };
    // a grid point whose discrepancy is NaN is not a rejection: say the range may stop at it
    let unevaluable = sl.points.iter().filter(|p| p.1.is_nan()).count();
    if unevaluable > 0 {
        format!(
            "{identified}; {unevaluable} grid point(s) could not be evaluated (NaN), and a range ending at one is not bounded by the targets"
        )
    } else {
        identified.to_string()
    }
}

/// One panel per free hyperparameter: the rise of the discrepancy along its slice, on a log
/// axis of its value, with the 95% rise and the calibrated value marked.
fn slices_figure(model: &Model, slices: &[Slice]) -> Figure {
    let panels = slices
        .iter()
        .map(|sl| {
            let what = match sl.free.hyper {
                Hyper::Typical => "typical",
                Hyper::Omega => "ω",
            };
            let unit = match (
                sl.free.hyper,
                model.spec().parameter_index(&sl.free.parameter),
            ) {
                (Hyper::Typical, Some(i)) => {
                    let u = &model.spec().parameters[i].unit;
                    if u.is_empty() || u == "-" {
                        String::new()
                    } else {
                        format!(" ({u})")
                    }
                }
                _ => String::new(),
            };
            Panel {
                title: format!("{} {what}", sl.free.parameter),
                y_label: "Δ discrepancy".into(),
                x_label: Some(format!("{} {what}{unit}", sl.free.parameter)),
                log_x: true,
                series: vec![Series::from_pairs(
                    "slice",
                    &sl.points,
                    SeriesStyle::LineAndPoints,
                )],
                thresholds: vec![Threshold {
                    label: "95% (3.84)".into(),
                    value: SLICE_RISE,
                }],
                reference_lines: vec![ReferenceLine::new(
                    "calibrated",
                    (sl.value, 0.0),
                    (sl.value, SLICE_RISE),
                )],
                ..Default::default()
            }
        })
        .collect();
    Figure {
        title: format!(
            "{} — discrepancy along each calibrated hyperparameter (others held)",
            model.name()
        ),
        x_label: String::new(),
        times: Vec::new(),
        panels,
        events: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cartkin_trial::vpop::calibrate::Free;

    fn slice(points: Vec<(f64, f64)>, range: (Option<f64>, Option<f64>)) -> Slice {
        Slice {
            free: Free {
                parameter: "gamma".into(),
                hyper: Hyper::Typical,
                lower: 0.1,
                upper: 100.0,
            },
            value: 1.0,
            points,
            range,
        }
    }

    #[test]
    fn a_slice_point_that_could_not_be_evaluated_is_named_not_read_as_a_rejection() {
        let bounded = slice(
            vec![(0.4, 9.0), (1.0, 0.0), (2.7, 5.0)],
            (Some(1.0), Some(1.0)),
        );
        assert_eq!(identified(&bounded), "yes, within ×/÷ e");
        let nan = slice(
            vec![(0.4, f64::NAN), (1.0, 0.0), (2.7, 5.0)],
            (Some(1.0), Some(1.0)),
        );
        let text = identified(&nan);
        assert!(
            text.starts_with("yes") && text.contains("1 grid point(s) could not be evaluated"),
            "{text}"
        );
        let open = slice(vec![(0.4, 1.0), (1.0, 0.0)], (None, None));
        assert_eq!(identified(&open), "no: below the rise over the whole grid");
    }
}
