//! `cartkin population`: a virtual population → patients.csv, summary.json and plots.

use anyhow::{Context, Result, bail};
use cartkin_core::model::{self, Model};
use cartkin_core::regimen;
use cartkin_core::solve::SolverOptions;
use cartkin_fit::vpop::summary::{self, RFS_MONTHS, Summary};
use cartkin_fit::vpop::targets::Targets;
use cartkin_fit::vpop::{Endpoints, HasEndpoints, PatientResult, PopulationSpec, Streamed, spec};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::PopulationArgs;
use crate::output::Outputs;
use crate::population_figure;

pub fn run(args: PopulationArgs) -> Result<()> {
    let path = model::resolve(&args.model)?;
    let model = Model::load(&path)?;
    let mut spec = spec::load(args.population.as_deref().unwrap_or(&path), model.spec())?;
    if let Some(days) = args.days {
        if !(days.is_finite() && days > 0.0 && days <= 36_500.0) {
            bail!("--days: expected a follow-up in (0, 36500] days, got {days}");
        }
        spec.follow_up_days = days;
    }
    let n = args.n.unwrap_or(spec.n);
    if n == 0 {
        bail!("--n: expected at least one patient");
    }
    let seed = args.seed.unwrap_or(spec.seed);
    let regimen = regimen::resolve(args.regimen.as_deref().unwrap_or(&spec.regimen))?;
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
    let simulate = || simulate_streaming(&run, n, &args.out, &|| bar.inc(1));
    let (patients_file, patients) = match args.threads {
        Some(0) => bail!("--threads: expected at least 1, got 0"),
        Some(t) => rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()?
            .install(simulate)?,
        None => simulate()?,
    };
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    let targets = args.targets.as_deref().map(Targets::load).transpose()?;
    let mut months = targets
        .as_ref()
        .map_or_else(|| RFS_MONTHS.to_vec(), Targets::rfs_months);
    if !args.months.is_empty() {
        if args.months.iter().any(|m| !(m.is_finite() && *m > 0.0)) {
            bail!(
                "--months: expected positive numbers of months, got {:?}",
                args.months
            );
        }
        months = args.months.clone();
        months.extend(
            targets
                .as_ref()
                .map_or_else(Vec::new, |t| t.rfs.iter().map(|r| r.month).collect()),
        );
        months.sort_by(f64::total_cmp);
        months.dedup();
    }
    let summary = summary::summarize(&patients, &months);
    let comparisons = targets.as_ref().map(|t| t.compare(&summary));

    let mut outputs = Outputs::default();
    outputs.add_streamed(&args.out, "patients.csv", patients_file);
    // the endpoints at the top level (the contract), with the run's settings beside them
    let mut doc = serde_json::to_value(&summary)?;
    if let Some(map) = doc.as_object_mut() {
        map.insert("model".into(), serde_json::json!(model.name()));
        map.insert("regimen".into(), serde_json::json!(regimen.name));
        map.insert("seed".into(), serde_json::json!(seed));
        map.insert(
            "follow_up_days".into(),
            serde_json::json!(spec.follow_up_days),
        );
        map.insert(
            "targets".into(),
            serde_json::json!(targets.as_ref().map(|t| t.name.clone())),
        );
        map.insert("comparisons".into(), serde_json::json!(comparisons));
    }
    let mut json = serde_json::to_vec_pretty(&doc)?;
    json.push(b'\n');
    outputs.add(&args.out, "summary.json", json);
    let formats = args.format.formats();
    let points: Vec<population_figure::TargetPoint> = targets
        .as_ref()
        .map(|t| {
            t.rfs
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
    let mut figures =
        population_figure::figures(&model, &patients, &summary::rfs_curve(&patients), &points);
    if let Some(c) = &comparisons {
        figures.push((
            "rates_vs_targets".into(),
            population_figure::rates_figure(&model, c),
        ));
    }
    outputs.add_figures(&args.out, &figures, formats)?;
    outputs.commit_and_list(&args.out)?;
    print_summary(&summary, n, elapsed);
    if let Some(c) = &comparisons {
        let inside = c.iter().filter(|c| c.inside).count();
        println!(
            "targets: {inside}/{} inside their acceptance intervals",
            c.len()
        );
        for c in c.iter().filter(|c| !c.inside) {
            println!(
                "  outside: {} target {:.3} [{:.3}, {:.3}], achieved {:.3}",
                c.endpoint, c.target, c.accept[0], c.accept[1], c.achieved
            );
        }
    }
    Ok(())
}

/// `patients.csv`: one row per patient (the contract in the README).
pub(crate) fn patients_csv(spec: &PopulationSpec, patients: &[PatientResult]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(patients_header(spec))?;
    for p in patients {
        w.write_record(patient_row(p))?;
    }
    w.into_inner().context("finishing patients.csv")
}

/// The header of `patients.csv`: id, the varying parameters in spec order, then the endpoints.
fn patients_header(spec: &PopulationSpec) -> Vec<String> {
    let mut header: Vec<String> = vec!["id".into()];
    header.extend(spec.parameters.iter().map(|p| p.name.clone()));
    header.extend(
        [
            "weight_kg",
            "age_years",
            "height_cm",
            "egfr",
            "dose_cells",
            "responder",
            "mrd_negative",
            "remission_day",
            "rfs_time_day",
            "rfs_event",
            "relapse_type",
            "relapse_cd22",
            "died_in_remission",
            "cmax",
            "tmax_day",
            "auc28",
            "crs_peak",
            "crs_grade",
            "flu_auc",
            "rhs_evaluations",
            "error",
        ]
        .map(String::from),
    );
    header
}

/// One patient's row of `patients.csv`.
fn patient_row(p: &PatientResult) -> Vec<String> {
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:.6e}"));
    let mut row: Vec<String> = vec![p.id.to_string()];
    row.extend(p.parameters.iter().map(|v| format!("{v:.6e}")));
    row.extend([
        format!("{:.3}", p.weight_kg),
        format!("{:.2}", p.age_years),
        format!("{:.2}", p.height_cm),
        format!("{:.2}", p.egfr),
        opt(p.dose_cells),
        u8::from(p.responder).to_string(),
        u8::from(p.mrd_negative).to_string(),
        opt(p.remission_day),
        opt(p.rfs_time_day),
        p.rfs_event
            .map_or(String::new(), |e| u8::from(e).to_string()),
        p.relapse_type.clone().unwrap_or_default(),
        p.relapse_cd22.clone().unwrap_or_default(),
        u8::from(p.died_in_remission).to_string(),
        opt(p.cmax),
        opt(p.tmax_day),
        opt(p.auc28),
        opt(p.crs_peak),
        p.crs_grade.map_or(String::new(), |g| g.to_string()),
        opt(p.flu_auc),
        p.rhs_evaluations.to_string(),
        p.error.clone().unwrap_or_default(),
    ]);
    row
}

/// Patients simulated per chunk: each chunk's rows go to disk before the next is simulated,
/// so memory holds one chunk of full results plus ~120 bytes of endpoints per patient.
const CHUNK: usize = 4096;

/// Simulates the population, writing `patients.csv` row by row into a temporary file in `dir`
/// (renamed into place with the other outputs), and returns the patients' endpoints.
fn simulate_streaming(
    run: &Streamed<'_>,
    n: usize,
    dir: &std::path::Path,
    progress: &(dyn Fn() + Sync),
) -> Result<(tempfile::NamedTempFile, Vec<Endpoints>)> {
    let tmp = Outputs::temp_file_in(dir)?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(tmp));
    w.write_record(patients_header(run.spec))?;
    let mut endpoints = Vec::with_capacity(n);
    run.run(
        n,
        CHUNK,
        progress,
        &mut |chunk: &[PatientResult]| -> Result<()> {
            for p in chunk {
                w.write_record(patient_row(p))?;
                endpoints.push(p.endpoints());
            }
            Ok(())
        },
    )?;
    let tmp = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("finishing patients.csv: {}", e.error()))?
        .into_inner()
        .map_err(|e| anyhow::anyhow!("finishing patients.csv: {}", e.error()))?;
    Ok((tmp, endpoints))
}

fn print_summary(s: &Summary, n: usize, elapsed: std::time::Duration) {
    let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |x| format!("{:.1}%", 100.0 * x));
    println!(
        "{n} patients in {:.2} s ({:.0} patients/s); {} not evaluable",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        s.not_evaluable
    );
    println!(
        "ORR {:.1}% [{:.1}, {:.1}]; MRD-negative {:.1}%",
        100.0 * s.orr,
        100.0 * s.orr_ci95[0],
        100.0 * s.orr_ci95[1],
        100.0 * s.mrd_negative_rate
    );
    for p in s.rfs_km.iter().filter(|p| p.survival.is_finite()) {
        println!(
            "RFS {:>2} mo: {:.1}% [{:.1}, {:.1}] ({} at risk)",
            p.month,
            100.0 * p.survival,
            100.0 * p.ci95[0],
            100.0 * p.ci95[1],
            p.at_risk
        );
    }
    println!(
        "median RFS {}; relapses {} ({} CD19-negative); deaths in remission {}",
        s.median_rfs_months
            .map_or("not reached".into(), |m| format!("{m:.1} months")),
        s.relapses,
        pct(s.cd19_negative_relapse_share),
        s.deaths_in_remission
    );
    println!(
        "CRS any grade {}, grade >= 3 {}",
        pct(s.crs_any_grade),
        pct(s.crs_grade3plus)
    );
}
