//! `cartkin calibrate`: population hyperparameters from clinical targets.

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use cartkin_core::model::{self, Model};
use cartkin_core::regimen;
use cartkin_core::solve::SolverOptions;
use cartkin_trial::endpoint::Endpoint;
use cartkin_trial::vpop::calibrate::{Calibration, Evaluation, Free, Hyper, Report, Settings};
use cartkin_trial::vpop::spec::{self, PopulationSpec};
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
        &calibrated_model(&cal_model, &cal_spec, &report, &targets.name)?,
    )?;
    let mut json = serde_json::to_vec_pretty(&serde_json::json!({
        "model": model.name(),
        "targets": targets.name,
        "regimen": regimen.name,
        "patients_per_evaluation": args.n,
        "seconds": elapsed.as_secs_f64(),
        "report": report,
    }))?;
    json.push(b'\n');
    out.add("report.json", &json)?;
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

/// The model file with calibrated typical values, CRS edges and a regenerated [population].
fn calibrated_model(
    model: &Model,
    spec: &PopulationSpec,
    report: &Report,
    trial: &str,
) -> Result<Vec<u8>> {
    let path = &model.spec().path;
    let text = cartkin_core::bundled::read_to_string(path)
        .with_context(|| format!("{}: cannot read the model file", path.display()))?;
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if let Some(k) = lines
        .iter()
        .position(|l| l.trim_start().starts_with("[population"))
    {
        lines.truncate(k);
    }
    for (f, v) in &report.values {
        if f.hyper != Hyper::Typical {
            continue;
        }
        let Some(line) = model
            .spec()
            .parameter_index(&f.parameter)
            .and_then(|i| model.spec().parameters[i].line)
        else {
            continue;
        };
        if let Some(k) = (line..lines.len())
            .take_while(|&k| k == line || !lines[k].trim_start().starts_with("[["))
            .find(|&k| lines[k].trim_start().starts_with("value"))
        {
            lines[k] = format!("value = {v:?} # calibrated by cartkin calibrate");
        }
    }
    if let Some(k) = lines
        .iter()
        .position(|l| l.trim_start().starts_with("crs_grade_edges"))
    {
        lines[k] = format!(
            "crs_grade_edges = {:?} # fitted to the targets' CRS grade frequencies",
            report.calibration.crs_grade_edges
        );
    }
    if let Some(k) = lines
        .iter()
        .position(|l| l.trim_start().starts_with("name = "))
    {
        lines[k] = format!("name = \"{}_calibrated\"", model.spec().name);
    }
    if let Some(k) = lines
        .iter()
        .position(|l| l.trim_start().starts_with("title = "))
    {
        let title = format!("{} — population calibrated to {trial}", model.spec().title);
        lines[k] = format!("title = {title:?}");
    }
    let mut out = lines.join("\n").trim_end().to_string();
    out.push_str("\n\n# Virtual population, calibrated by cartkin calibrate.\n");
    out.push_str(&spec.to_toml());
    // the result must be a valid model file with a valid population
    let checked =
        model::file::parse(path, &out).context("the calibrated model file did not validate")?;
    spec::parse(path, &out, &checked).context("the calibrated population did not validate")?;
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
