//! `cartkin calibrate`: population hyperparameters from clinical targets.

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use cartkin_core::model::overlay::{self, Overlay, ParameterChange};
use cartkin_core::model::{self, Model, Variability};
use cartkin_core::regimen;
use cartkin_core::solve::SolverOptions;
use cartkin_trial::endpoint::Endpoint;
use cartkin_trial::vpop::calibrate::{Calibration, Evaluation, Free, Hyper, Report, Settings};
use cartkin_trial::vpop::spec::{self, PopulationSpec, Spread};
use cartkin_trial::vpop::targets::Targets;
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::CalibrateArgs;
use crate::output::ResultSet;
use crate::population_figure;

pub fn run(args: CalibrateArgs) -> Result<()> {
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
            options: SolverOptions {
                method: args.method.method(),
                ..SolverOptions::default()
            },
        },
    };
    calibration.validate().map_err(super::flags::trial_error)?;
    super::threads::check(args.threads)?;
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
        &calibrated_model(
            &model,
            &args.out.join("calibrated.toml"),
            &args.model,
            args.population
                .as_deref()
                .map(super::population::resolve_population)
                .as_deref(),
            &cal_spec,
            &report,
            &targets.name,
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

/// The calibrated model: a model file that extends the calibrated one with the calibrated
/// typical values and ωs, the fitted CRS grade edges and, when the population came from a
/// file of its own, that population; validated by reading it back.
fn calibrated_model(
    model: &Model,
    written_to: &std::path::Path,
    asked: &str,
    population_file: Option<&std::path::Path>,
    spec: &PopulationSpec,
    report: &Report,
    trial: &str,
) -> Result<Vec<u8>> {
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
    for (f, v) in report
        .values
        .iter()
        .filter(|(f, _)| f.hyper == Hyper::Typical)
    {
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
                "{}: `{}` is spread {:?}; a model file declares between-patient variability once, in the parameter's `variability`, log- or logit-normal: declare it in the model before calibrating",
                population_file.map_or_else(
                    || base.path.display().to_string(),
                    |f| f.display().to_string()
                ),
                p.name,
                p.spread
            ),
        };
        let freed = report
            .values
            .iter()
            .any(|(f, _)| f.hyper == Hyper::Omega && f.parameter == p.name);
        let variability = Some(Variability {
            distribution: distribution.into(),
            omega2: Some(omega * omega),
            cv: None,
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
    overlay.outcomes.push((
        "crs_grade_edges".into(),
        overlay::numbers(&report.calibration.crs_grade_edges),
    ));
    if let Some(file) = population_file {
        overlay
            .comments
            .push(format!("population from {}", file.display()));
        overlay.population = Some(spec.settings_toml());
    }
    let out = overlay.to_toml();
    // the result must be a valid model file with a valid population, read as from where it
    // is written (`extends` is resolved from there)
    let checked = model::file::parse(written_to, &out)
        .context("the calibrated model file did not validate")?;
    spec::parse(written_to, &out, &checked)
        .context("the calibrated population did not validate")?;
    Ok(out.into_bytes())
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
    s
}
