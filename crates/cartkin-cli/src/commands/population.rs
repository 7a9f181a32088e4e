//! `cartkin population`: a virtual population → patients.csv, summary.json and plots.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use cartkin_core::bundled;
use cartkin_core::model::{self, Model};
use cartkin_core::regimen;
use cartkin_core::simulate::check_follow_up;
use cartkin_core::solve::SolverOptions;
use cartkin_trial::endpoint::{self, Endpoint, Record, Summary};
use cartkin_trial::vpop::patients_csv::PatientsCsv;
use cartkin_trial::vpop::report::{self, PopulationRun};
use cartkin_trial::vpop::targets::Targets;
use cartkin_trial::vpop::{PatientResult, PopulationSpec, Sampler, Streamed, spec};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::PopulationArgs;
use crate::output::ResultSet;
use crate::population_figure;

pub fn run(args: PopulationArgs) -> Result<()> {
    let path = model::resolve(&args.model).context("--model")?;
    let model = Model::load(&path)?;
    let mut spec = match &args.population {
        Some(file) => spec::load_file(&resolve_population(file), model.spec())?,
        None => spec::load(&path, model.spec())?,
    };
    if let Some(days) = args.days {
        check_follow_up(days).map_err(|m| anyhow::anyhow!("--days: {m}"))?;
        spec.follow_up_days = days;
    }
    let n = args.n.unwrap_or(spec.n);
    if n == 0 {
        bail!("--n: expected at least one patient");
    }
    super::threads::check(args.threads)?;
    let seed = args.seed.unwrap_or(spec.seed);
    let regimen = match &args.regimen {
        Some(r) => regimen::resolve(r).context("--regimen")?,
        None => regimen::resolve(&spec.regimen)
            .with_context(|| format!("{}: population.regimen", spec_origin(&args, &path)))?,
    };
    let targets = args
        .targets
        .as_deref()
        .map(|t| Targets::load(&resolve_targets(t)))
        .transpose()?;
    if let Some(t) = &targets {
        t.check_model(model.spec())
            .map_err(|m| anyhow::anyhow!("--targets: {m}"))?;
    }
    let assessable = model.spec().outcomes.blast_fraction.is_some()
        && spec.follow_up_days >= cartkin_core::outcome::MONTH_3;
    if !args.months.is_empty() && !assessable {
        bail!(
            "--months: remission is not assessed, so there is no RFS to report ({})",
            if model.spec().outcomes.blast_fraction.is_none() {
                format!("model `{}` has no leukemia response", model.name())
            } else {
                format!(
                    "the follow-up of {} days ends before month 3",
                    spec.follow_up_days
                )
            }
        );
    }
    // everything reported must lie within the follow-up: checked before simulating
    let months = if !assessable {
        Vec::new()
    } else if args.months.is_empty() {
        let mut m = endpoint::default_months(spec.follow_up_days);
        if let Some(t) = &targets {
            m.extend(t.report_curve_months());
        }
        m
    } else {
        let mut m = args.months.clone();
        m.extend(
            targets
                .as_ref()
                .map_or_else(Vec::new, Targets::report_curve_months),
        );
        m
    };
    endpoint::check_months(&months, spec.follow_up_days).map_err(|m| {
        let flag = if args.months.is_empty() {
            "--targets"
        } else {
            "--months"
        };
        anyhow::anyhow!("{flag}: {m}; give a longer --days or fewer months")
    })?;
    if let Some(t) = &targets {
        t.check_follow_up(spec.follow_up_days)
            .map_err(|m| anyhow::anyhow!("--targets: {m}"))?;
    }
    let mut months = months;
    months.sort_by(f64::total_cmp);
    months.dedup();
    let sampler = Sampler::new(&spec, &model);
    sampler
        .check()
        .and_then(|()| {
            spec.check_dose_cap(
                model.spec().defaults.patient.weight_kg,
                regimen.car_t_fraction(),
            )
        })
        .map_err(|m| anyhow::anyhow!("{}: [population]: {m}", spec_origin(&args, &path)))?;
    for note in regimen.not_taken_by(&model) {
        crate::errln!("note: {note}");
    }
    check_size(&args.out, &spec, n)?;
    let mut out = ResultSet::begin(&args.out, "population")?;

    let bar = ProgressBar::new(n as u64);
    bar.set_style(ProgressStyle::with_template("{spinner} simulating [{elapsed_precise}] {wide_bar} {pos}/{len} patients ({per_sec}, eta {eta})")?);
    let started = std::time::Instant::now();
    let run = Streamed {
        model: &model,
        spec: &spec,
        regimen: &regimen,
        seed,
        options: SolverOptions {
            method: args.method.method(),
            ..SolverOptions::default()
        },
    };
    let simulate = || simulate_streaming(&run, n, &mut out, &|| bar.inc(1));
    let patients = super::threads::run(args.threads, simulate)??;
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    let summary = endpoint::summarize(&patients, &months);
    let comparisons = targets.as_ref().map(|t| t.compare(&summary));
    let truncation = sampler.truncation();

    let run = PopulationRun {
        model: model.name(),
        regimen: &regimen.name,
        seed,
        follow_up_days: spec.follow_up_days,
        truncation: &truncation,
        targets: targets.as_ref().zip(comparisons.as_deref()),
    };
    out.add("summary.json", &report::summary_json(&summary, &run)?)?;
    let formats = args.format.formats();
    let points: Vec<population_figure::TargetPoint> = targets
        .as_ref()
        .map(|t| {
            t.curve(Endpoint::Rfs)
                .iter()
                .map(|r| {
                    (
                        r.month,
                        r.value,
                        r.ci95.unwrap_or([r.value - 0.08, r.value + 0.08]),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut figures = population_figure::figures(&model, &patients, &points);
    if let Some(c) = &comparisons {
        figures.push((
            "rates_vs_targets".into(),
            population_figure::rates_figure(&model, c),
        ));
    }
    out.add_figures(&figures, formats)?;
    out.commit_and_list()?;
    print_summary(&summary, n, elapsed, &model, spec.follow_up_days);
    for t in truncation.iter().filter(|t| t.share_outside_bounds > 0.01) {
        crate::outln!(
            "truncated: {} ({:.1}% of its stated distribution lies outside its bounds and is drawn inside them)",
            t.draw,
            100.0 * t.share_outside_bounds
        );
    }
    if let Some(c) = &comparisons {
        let inside = c.iter().filter(|c| c.inside).count();
        crate::outln!(
            "targets: {inside}/{} inside their acceptance intervals",
            c.len()
        );
        for c in c.iter().filter(|c| !c.inside) {
            crate::outln!(
                "  outside: {} target {:.3} [{:.3}, {:.3}], achieved {:.3}",
                c.endpoint,
                c.target,
                c.accept[0],
                c.accept[1],
                c.achieved
            );
        }
    }
    Ok(())
}

/// `--targets NAME|PATH`: a file, or a bundled targets file (`eliana`, `zuma3`).
pub(crate) fn resolve_targets(name_or_path: &Path) -> PathBuf {
    let s = name_or_path.to_string_lossy();
    bundled::resolve(bundled::Kind::Targets, &s).unwrap_or_else(|| name_or_path.to_path_buf())
}

/// `--population NAME|PATH`: a file, or a bundled population (`zuma3_adults`).
pub(crate) fn resolve_population(name_or_path: &Path) -> PathBuf {
    let s = name_or_path.to_string_lossy();
    bundled::resolve(bundled::Kind::Population, &s).unwrap_or_else(|| name_or_path.to_path_buf())
}

fn spec_origin(args: &PopulationArgs, model_path: &Path) -> String {
    args.population
        .as_deref()
        .unwrap_or(model_path)
        .display()
        .to_string()
}

/// Memory the run keeps per patient (its endpoint record) and bytes of `patients.csv` per
/// patient (a measured row of cart_all_eliana is about 300 bytes; 16 per varying parameter).
const RECORD_BYTES: usize = std::mem::size_of::<Record>();

/// Refuses a run that cannot fit in memory or on disk, before it starts.
fn check_size(out: &Path, spec: &PopulationSpec, n: usize) -> Result<()> {
    let memory = n as f64 * RECORD_BYTES as f64;
    if let Some(available) = crate::output::available_memory_bytes()
        && memory > 0.8 * available as f64
    {
        bail!(
            "--n {n}: the run keeps {RECORD_BYTES} bytes of endpoints per patient ({} in all), \
             more than the {} of memory available; patient rows stream to disk, so the limit is \
             about {:.0} patients here: run fewer patients, or several runs with different --seed \
             (each its own population)",
            crate::output::bytes_label(memory),
            crate::output::bytes_label(available as f64),
            0.8 * available as f64 / RECORD_BYTES as f64
        );
    }
    let row = 300.0 + 16.0 * spec.parameters.len() as f64;
    crate::output::check_output_size(out, n as f64 * row, "patients.csv")
}

/// Patients simulated per chunk: each chunk's rows go to disk before the next is simulated,
/// so memory holds one chunk of full results plus one endpoint record per patient.
const CHUNK: usize = 4096;

/// Simulates the population, writing `patients.csv` row by row into the result set, and
/// returns the patients' endpoint records.
fn simulate_streaming(
    run: &Streamed<'_>,
    n: usize,
    out: &mut ResultSet,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<Record>> {
    let file = out.create("patients.csv")?;
    let mut w = PatientsCsv::new(file, run.spec)?;
    let mut records = Vec::with_capacity(n);
    run.run(
        n,
        CHUNK,
        progress,
        &mut |chunk: &[PatientResult]| -> Result<()> {
            for p in chunk {
                w.write(p)?;
                records.push(p.record);
            }
            Ok(())
        },
    )?;
    let file = w
        .finish()
        .map_err(|e| anyhow::anyhow!("cannot write patients.csv: {e}"))?;
    crate::output::finish(file, "patients.csv")?;
    Ok(records)
}

fn print_summary(
    s: &Summary,
    n: usize,
    elapsed: std::time::Duration,
    model: &Model,
    follow_up_days: f64,
) {
    let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |x| format!("{:.1}%", 100.0 * x));
    let days = |v: Option<f64>| v.map_or("n/a".to_string(), |d| format!("day {d:.1}"));
    crate::outln!(
        "{n} patients in {:.2} s ({:.0} patients/s); {} not evaluable",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        s.not_evaluable
    );
    if s.implausible > 0 {
        crate::outln!(
            "warning: {} patients passed a plausibility ceiling of the model (column `implausible` of patients.csv): they describe no real patient",
            s.implausible
        );
    }
    let pct = |e: Endpoint| pct(s.rate(e));
    match (s.rate(Endpoint::Remission), s.ci95(Endpoint::Remission)) {
        (Some(orr), Some([lo, hi])) => crate::outln!(
            "ORR {:.1}% [{:.1}, {:.1}]; MRD-negative {}",
            100.0 * orr,
            100.0 * lo,
            100.0 * hi,
            pct(Endpoint::MrdNegative)
        ),
        _ if s.n == s.not_evaluable => crate::outln!(
            "ORR, MRD, RFS and EFS: not applicable (no patient could be evaluated; see the `error` column of patients.csv)"
        ),
        _ if model.spec().outcomes.blast_fraction.is_none() => crate::outln!(
            "ORR, MRD, RFS and EFS: not applicable (model `{}` has no leukemia response)",
            model.name()
        ),
        _ => crate::outln!(
            "ORR, MRD, RFS and EFS: not applicable (remission is assessed at month 3; the follow-up is {follow_up_days} days)"
        ),
    }
    for p in s
        .curve(Endpoint::Rfs)
        .iter()
        .filter(|p| p.survival.is_finite())
    {
        crate::outln!(
            "RFS {:>2} mo: {:.1}% [{:.1}, {:.1}] ({} at risk)",
            p.month,
            100.0 * p.survival,
            100.0 * p.ci95[0],
            100.0 * p.ci95[1],
            p.at_risk
        );
    }
    if s.response_assessed {
        crate::outln!(
            "median RFS {}; relapses {} ({} CD19-negative); deaths in remission {}",
            s.number(Endpoint::MedianRfs)
                .map_or("not reached".into(), |m| format!("{m:.1} months")),
            s.count(Endpoint::Relapses),
            pct(Endpoint::Cd19NegativeShare),
            s.count(Endpoint::DeathsInRemission)
        );
    }
    if s.rate(Endpoint::CrsAnyGrade).is_some() {
        crate::outln!(
            "CRS any grade {}, grade >= 3 {}; onset median {}",
            pct(Endpoint::CrsAnyGrade),
            pct(Endpoint::CrsGrade3Plus),
            days(s.quantiles(Endpoint::CrsOnset).and_then(|q| q.median))
        );
    }
    if let Some(tmax) = s.quantiles(Endpoint::Tmax).and_then(|q| q.median) {
        crate::outln!("CAR-T Tmax median {}", days(Some(tmax)));
    }
    if let Some(p) = s
        .at(Endpoint::BCellAplasia, 6.0)
        .filter(|p| p.survival.is_finite())
    {
        crate::outln!(
            "B-cell aplasia among responders at 6 mo: {:.1}% [{:.1}, {:.1}]; median duration {}",
            100.0 * p.survival,
            100.0 * p.ci95[0],
            100.0 * p.ci95[1],
            s.number(Endpoint::MedianBCellAplasia)
                .map_or("not reached".into(), |m| format!("{m:.1} months"))
        );
    }
}
