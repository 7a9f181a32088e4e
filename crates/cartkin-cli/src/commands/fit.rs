//! `cartkin fit`: parameters from time-course data.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use cartkin_core::model::overlay::{self, Overlay, ParameterChange};
use cartkin_core::model::{self, Model};
use cartkin_core::regimen;
use cartkin_core::solve::SolverOptions;
use cartkin_fit::data::{self, Dataset};
use cartkin_fit::error_model::{BlqMethod, ErrorKind};
use cartkin_fit::fit::{FitMode, FitOptions, FitReport, fit};
use cartkin_fit::optimizer::OptimizerOptions;
use cartkin_fit::problem::{Problem, Target};
use cartkin_fit::setup::{CommonDosing, FitSettings, build};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use serde_json::json;

use crate::args::{DataFormatArg, FitArgs};
use crate::fit_figure::{self, SubjectCurves};
use crate::output::ResultSet;

/// A fit file: the same choices as the command-line flags (flags win).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FitFile {
    estimate: Option<Vec<String>>,
    initial: Option<BTreeMap<String, f64>>,
    error: Option<String>,
    sigma_add: Option<f64>,
    sigma_prop: Option<f64>,
    fix_error: Option<bool>,
    blq: Option<String>,
    observe: Option<BTreeMap<String, String>>,
}

pub fn run(args: FitArgs) -> Result<()> {
    let model = Model::load(&model::resolve(&args.model).context("--model")?)?;
    let data_path = cartkin_core::bundled::resolve(
        cartkin_core::bundled::Kind::Dataset,
        &args.data.to_string_lossy(),
    )
    .unwrap_or_else(|| args.data.clone());
    let dataset = read_data(&data_path, args.data_format)?;
    let file = match &args.fit {
        Some(path) => read_fit_file(path)?,
        None => FitFile::default(),
    };
    let settings = settings(&args, &file, &model, &dataset)?;
    let problem = build(&model, &dataset, &settings).map_err(super::flags::fit_error)?;
    if let Some(name) = &args.profile
        && !problem.free.iter().any(|p| &p.name == name)
    {
        bail!(
            "--profile {name}: `{name}` is not estimated; expected one of: {}",
            problem
                .free
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let optimizer = OptimizerOptions {
        kind: args.optimizer.kind(),
        starts: args.starts.max(1),
        seed: args.seed,
        ..OptimizerOptions::default()
    };
    let options = FitOptions {
        optimizer,
        pooled: args.pooled,
        profile: args.profile.clone(),
    };
    let fits = if args.pooled {
        1
    } else {
        problem
            .subjects
            .iter()
            .filter(|s| !s.points.is_empty())
            .count()
    };
    super::threads::check(args.threads)?;
    // checked and locked before fitting: a bad --out fails now, not after the fit
    if cartkin_core::model::overlay::replaces_its_base(
        &model.spec().chain,
        &args.out.join("fitted_model.toml"),
    ) {
        bail!(
            "--out {}: fitted_model.toml there is the model being fitted (or one it extends); the new file would extend itself: choose another --out",
            args.out.display()
        );
    }
    let mut out = ResultSet::begin(&args.out, "fit")?;
    let bar = ProgressBar::new(fits as u64);
    bar.set_style(ProgressStyle::with_template(
        "{spinner} fitting [{elapsed_precise}] {wide_bar} {pos}/{len} subjects (eta {eta})",
    )?);
    let run_fit = || fit(&problem, &options, &|| bar.inc(1));
    let report = super::threads::run(args.threads, run_fit)?.map_err(super::flags::fit_error)?;
    bar.finish_and_clear();

    let curves = fit_figure::curves(&problem, &report);
    out.add(
        "fit.json",
        &fit_json(&args, &problem, &report, curves.len())?,
    )?;
    out.add(
        "fitted_model.toml",
        &fitted_model(
            &model,
            &args.out.join("fitted_model.toml"),
            &args.model,
            &data_path,
            &problem,
            &report,
        )?,
    )?;
    out.add("residuals.csv", &residuals_csv(&curves)?)?;
    let formats = args.format.formats();
    out.add_figures(&fit_figure::figures(&model, &curves, &report), formats)?;
    out.commit_and_list()?;
    print_summary(&report);
    let shown = fit_figure::PER_PAGE * fit_figure::MAX_SUBJECT_PAGES;
    if curves.len() > shown {
        crate::errln!(
            "note: fit_subjects*.png show the first {shown} of {} subjects ({} pages); residuals.csv and the residual plots cover all",
            curves.len(),
            fit_figure::MAX_SUBJECT_PAGES
        );
    }
    Ok(())
}

fn read_data(path: &Path, format: DataFormatArg) -> Result<Dataset> {
    let long = match format {
        DataFormatArg::Long => true,
        DataFormatArg::Nonmem => false,
        DataFormatArg::Auto => {
            // text that cannot be read is reported by the reader, with its line
            let text = cartkin_core::bundled::read_text(path).unwrap_or_default();
            let header: Vec<String> = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .split(',')
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
                .collect();
            header.iter().any(|h| h == "observable") && header.iter().any(|h| h == "value")
        }
    };
    Ok(if long {
        data::read_long(path)?
    } else {
        data::read_nonmem(path)?
    })
}

fn read_fit_file(path: &Path) -> Result<FitFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read file", path.display()))?;
    toml::from_str(&text).map_err(|e| {
        let line = e.span().map_or(1, |s| {
            text[..s.start.min(text.len())].matches('\n').count() + 1
        });
        anyhow::anyhow!("{}:{line}: {}", path.display(), e.message().trim())
    })
}

fn parse_pair<'a>(flag: &str, s: &'a str) -> Result<(&'a str, &'a str)> {
    s.split_once('=')
        .map(|(a, b)| (a.trim(), b.trim()))
        .with_context(|| format!("{flag} {s}: expected KEY=VALUE"))
}

fn settings(
    args: &FitArgs,
    file: &FitFile,
    model: &Model,
    dataset: &Dataset,
) -> Result<FitSettings> {
    let mut s = FitSettings {
        solver: SolverOptions {
            rtol: args.rtol,
            atol: args.atol,
            ..SolverOptions::default()
        },
        ..FitSettings::default()
    };
    s.solver.validate()?;
    s.estimate = if args.estimate.is_empty() {
        file.estimate.clone().unwrap_or_default()
    } else {
        args.estimate.clone()
    };
    s.initial = file.initial.clone().unwrap_or_default();
    for pair in &args.initial {
        let (name, value) = parse_pair("--initial", pair)?;
        let value: f64 = value
            .parse()
            .with_context(|| format!("--initial {pair}: expected a number after `=`"))?;
        s.initial.insert(name.to_string(), value);
    }
    let fit_file = args
        .fit
        .as_ref()
        .map_or(String::new(), |p| p.display().to_string());
    match (args.error, &file.error) {
        (Some(e), _) => s.error = e.kind(),
        (None, Some(e)) => {
            s.error = e
                .parse::<ErrorKind>()
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("{fit_file}: key `error`"))?
        }
        (None, None) => {}
    }
    if let Some(a) = args.sigma_add.or(file.sigma_add) {
        s.sigma_add = a;
    }
    if let Some(b) = args.sigma_prop.or(file.sigma_prop) {
        s.sigma_prop = b;
    }
    s.fix_error = args.fix_error || file.fix_error.unwrap_or(false);
    match (args.blq, &file.blq) {
        (Some(b), _) => s.blq = b.method(),
        (None, Some(b)) => {
            s.blq = b
                .parse::<BlqMethod>()
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("{fit_file}: key `blq`"))?
        }
        (None, None) => {}
    }
    let mut observe: Vec<(String, String)> = file
        .observe
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    for pair in &args.observe {
        let (cmt, name) = parse_pair("--observe", pair)?;
        observe.push((cmt.to_string(), name.to_string()));
    }
    for (cmt, name) in observe {
        let k: u32 = cmt.parse().ok().filter(|k| *k >= 1).with_context(|| {
            format!("--observe {cmt}={name}: expected a positive CMT number before `=`")
        })?;
        s.observe.insert(k, name);
    }
    let has_doses = dataset.subjects.iter().any(|s| !s.doses.is_empty());
    if has_doses && args.regimen.is_some() {
        bail!(
            "--regimen: the data file has dose records (EVID=1 rows), which define every dose; remove the flag or the rows"
        );
    }
    let dose = args.dose.dose();
    if let Some(d) = dose {
        if has_doses {
            bail!("--dose/--dose-per-kg: the data file has dose records; remove them or the flag");
        }
        let patient = model.spec().defaults.patient.patient("model defaults")?;
        let fraction = match &args.regimen {
            Some(r) => regimen::resolve(r).context("--regimen")?.car_t_fraction(),
            None => 1.0,
        };
        d.validate(&patient, fraction, "command line")?;
    }
    if !has_doses && (dose.is_some() || args.regimen.is_some()) {
        let regimen =
            regimen::resolve(args.regimen.as_deref().unwrap_or("none")).context("--regimen")?;
        s.dosing = Some(CommonDosing {
            regimen,
            car_t: dose,
        });
    }
    Ok(s)
}

/// `fit.json`: the library's document, with the subject figures this command drew.
fn fit_json(
    args: &FitArgs,
    problem: &Problem,
    report: &FitReport,
    n_curves: usize,
) -> Result<Vec<u8>> {
    let mut doc = cartkin_fit::report::fit_json(problem, report, &args.data.display().to_string());
    let pages = n_curves
        .div_ceil(fit_figure::PER_PAGE)
        .min(fit_figure::MAX_SUBJECT_PAGES);
    doc["subject_figures"] = json!({
        "pages": pages,
        "subjects_shown": n_curves.min(pages * fit_figure::PER_PAGE),
        "subjects": n_curves,
    });
    let mut bytes = serde_json::to_vec_pretty(&doc)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The fitted model: a model file that extends the fitted one with the estimates as values
/// (typical values: the pooled estimates or the two-stage geometric means), and the starting
/// values of parameters held fixed; validated by reading it back.
fn fitted_model(
    model: &Model,
    written_to: &Path,
    asked: &str,
    data: &Path,
    problem: &Problem,
    report: &FitReport,
) -> Result<Vec<u8>> {
    let spec = model.spec();
    let estimates: BTreeMap<&str, f64> = match (&report.pooled, report.mode) {
        (Some(p), FitMode::Pooled) => p
            .parameters
            .iter()
            .map(|(n, e)| (n.as_str(), e.estimate))
            .collect(),
        _ => report
            .two_stage
            .iter()
            .map(|t| (t.parameter.as_str(), t.estimate))
            .collect(),
    };
    let mut overlay = Overlay::new(
        overlay::base_reference(asked, &spec.path),
        format!("{}_fitted", spec.name),
    );
    overlay.comments.push(format!(
        "`{}` with the estimates of `cartkin fit` ({}) to {}",
        spec.name,
        report.mode,
        data.display()
    ));
    // every parameter whose value differs from the file: the estimates, and starting values
    // given for parameters that stayed fixed (they were used in the fit)
    for (i, p) in spec.parameters.iter().enumerate() {
        let estimated = problem.free.iter().any(|f| f.target == Target::Model(i));
        let value = if estimated {
            estimates.get(p.name.as_str()).copied()
        } else {
            Some(problem.model.values()[i])
        };
        let Some(value) = value.filter(|v| estimated || v.to_bits() != p.value.to_bits()) else {
            continue;
        };
        overlay.parameters.push(ParameterChange {
            name: p.name.clone(),
            value: Some(value),
            variability: None,
            source: if estimated {
                format!(
                    "fitted by cartkin fit ({}) to {}",
                    report.mode,
                    data.display()
                )
            } else {
                "fixed at its --initial value in the fit".to_string()
            },
        });
    }
    let out = overlay.to_toml();
    // read back as from where it is written (`extends` is resolved from there)
    model::file::parse(written_to, &out).context("the fitted model file did not validate")?;
    Ok(out.into_bytes())
}

fn residuals_csv(curves: &[SubjectCurves]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "time",
        "output",
        "observed",
        "predicted",
        "residual",
        "weighted_residual",
        "blq",
    ])?;
    for c in curves {
        for r in &c.residuals {
            w.write_record([
                c.id.clone(),
                r.time.to_string(),
                r.output.clone(),
                format!("{:.8e}", r.observed),
                format!("{:.8e}", r.predicted),
                format!("{:.8e}", r.residual),
                format!("{:.8e}", r.weighted_residual),
                u8::from(r.blq).to_string(),
            ])?;
        }
    }
    w.into_inner().context("finishing residuals.csv")
}

fn print_summary(report: &FitReport) {
    crate::outln!("{} fit", report.mode);
    if let (Some(p), FitMode::Pooled) = (&report.pooled, report.mode) {
        for (name, e) in &p.parameters {
            let se = e.se.map_or("n/a".into(), |s| format!("{s:.4e}"));
            let ci = e
                .ci95
                .map_or("n/a".into(), |[lo, hi]| format!("[{lo:.4e}, {hi:.4e}]"));
            crate::outln!("  {name:<12} {:>12.5e}  se {se}  ci95 {ci}", e.estimate);
        }
        crate::outln!(
            "  -2LL {:.3}  AIC {:.3}  BIC {:.3}  ({} evaluations, {})",
            p.objective.minus2ll,
            p.objective.aic,
            p.objective.bic,
            p.convergence.function_evaluations,
            p.convergence.termination
        );
        if let Some(w) = &p.warning {
            crate::outln!("  warning: {w}");
        }
    } else {
        let ci = |c: Option<[f64; 2]>| {
            c.map_or("n/a".into(), |[lo, hi]| format!("[{lo:.4e}, {hi:.4e}]"))
        };
        for t in &report.two_stage {
            match t.between_subject_cv_percent {
                Some(cv) => crate::outln!(
                    "  {:<12} geometric mean {:>12.5e}  ci95 {}  between-subject CV {cv:.1}%  (n = {})",
                    t.parameter,
                    t.estimate,
                    ci(t.ci95),
                    t.n
                ),
                None => crate::outln!(
                    "  {:<12} {:>12.5e}  ci95 {}  (one subject: its own estimate)",
                    t.parameter,
                    t.estimate,
                    ci(t.ci95)
                ),
            }
        }
        for e in &report.excluded {
            crate::outln!("  excluded: subject {}: {}", e.id, e.reason);
        }
        let converged = report
            .individual
            .iter()
            .filter(|f| f.convergence.converged)
            .count();
        crate::outln!(
            "  {converged}/{} subject fits converged",
            report.individual.len()
        );
    }
}
