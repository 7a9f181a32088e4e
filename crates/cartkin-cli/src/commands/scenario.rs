//! `cartkin scenario FILE`: arms compared on the same virtual patients → arms.csv, arms.md,
//! patients/ARM.csv and comparison plots.

use anyhow::{Context, Result, bail};
use cartkin_core::solve::SolverOptions;
use cartkin_trial::scenario::{self, report};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::ScenarioArgs;
use crate::output::ResultSet;
use crate::scenario_figure;
use cartkin_trial::endpoint::Endpoint;
use cartkin_trial::vpop::patients_csv;

pub fn run(args: ScenarioArgs) -> Result<()> {
    let scenario = scenario::load(&args.file)?;
    let n = args.n.unwrap_or(scenario.n);
    if !(1..=MAX_PER_ARM).contains(&n) {
        bail!("--n: expected 1 to {MAX_PER_ARM} patients per arm (as scenario.n), got {n}");
    }
    // every arm's patients are held until the tables are written: cap the run (a single arm
    // of any size streams through `cartkin population`)
    let total = n
        .checked_mul(scenario.arms.len())
        .filter(|t| *t <= MAX_PATIENTS)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--n: {n} patients in each of {} arms exceeds {MAX_PATIENTS} simulated patients in one scenario; \
                 use fewer patients or arms (or `cartkin population` for one large arm)",
                scenario.arms.len()
            )
        })? as u64;
    super::threads::check(args.threads)?;
    let mut out = ResultSet::begin(&args.out, "scenario")?;
    let bar = ProgressBar::new(total);
    bar.set_style(ProgressStyle::with_template(
        "{spinner} {msg} [{elapsed_precise}] {wide_bar} {pos}/{len} patients ({per_sec}, eta {eta})",
    )?);
    bar.set_message(format!("{} arms", scenario.arms.len()));
    let started = std::time::Instant::now();
    let options = SolverOptions {
        method: scenario.method,
        ..SolverOptions::default()
    };
    let simulate = || scenario::simulate_arms(&scenario, n, options, &|| bar.inc(1));
    let results = super::threads::run(args.threads, simulate)?;
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    let arms = scenario::summarize(&scenario, &results);

    out.add("arms.csv", &report::csv(&scenario, &arms)?)?;
    out.add("arms.md", report::markdown(&scenario, &arms).as_bytes())?;
    out.add(
        "arms.json",
        &cartkin_trial::vpop::report::arms_json(&scenario, &arms, n)?,
    )?;
    for (k, (plan, patients)) in scenario.arms.iter().zip(&results).enumerate() {
        out.add(
            &format!("patients/{:03}_{}.csv", k + 1, slug(&plan.name)),
            &patients_csv::to_bytes(&plan.population, patients)?,
        )?;
    }
    let (figures, heatmaps) = scenario_figure::figures(&scenario, &results, &arms);
    out.add_figures(&figures, args.format.formats())?;
    for (name, map) in &heatmaps {
        for (format, ext) in args.format.formats() {
            let bytes = crate::plot::heatmap::render(map, *format)
                .with_context(|| format!("rendering {name}.{ext}"))?;
            out.add(&format!("{name}.{ext}"), &bytes)?;
        }
    }
    out.commit_and_list()?;
    crate::outln!(
        "{} arms x {n} patients in {:.2} s ({:.0} patients/s)",
        scenario.arms.len(),
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    crate::out!("{}", table(&arms, scenario.headline_month()));
    Ok(())
}

/// Most patients per arm (the file's `scenario.n` has the same limit).
const MAX_PER_ARM: usize = 1_000_000;

/// Most patients simulated in one scenario (all arms): their results are held in memory
/// (≈ 0.5 KB each) until the tables are written.
const MAX_PATIENTS: usize = 2_000_000;

/// A file-name-safe version of an arm name.
fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_matches('_').to_string();
    if s.is_empty() { "arm".into() } else { s }
}

/// A short console table: remission, RFS at `month`, CD19-negative relapses, CRS ≥ 3.
fn table(arms: &[report::ArmSummary], month: f64) -> String {
    let width = arms
        .iter()
        .map(|a| a.arm.chars().count())
        .max()
        .unwrap_or(3)
        .max(3);
    let mut out = format!(
        "{:<width$}  {:>9}  {:>10}  {:>9}  {:>9}\n",
        "arm",
        "remission",
        format!("RFS {month} mo"),
        "CD19- rel",
        "CRS >= 3"
    );
    let pct = |v: Option<f64>| {
        v.filter(|x| x.is_finite())
            .map_or("-".into(), |x| format!("{:.1}%", 100.0 * x))
    };
    for a in arms {
        let s = &a.summary;
        let rfs = s.at(Endpoint::Rfs, month).map(|p| p.survival);
        out.push_str(&format!(
            "{:<width$}  {:>9}  {:>10}  {:>9}  {:>9}\n",
            a.arm,
            pct(s.rate(Endpoint::Remission)),
            pct(rfs),
            pct(s.rate(Endpoint::Cd19NegativeShare)),
            pct(s.rate(Endpoint::CrsGrade3Plus))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn slugs_are_file_safe() {
        assert_eq!(slug("CD19 only"), "cd19_only");
        assert_eq!(slug("dose_per_kg=1e5"), "dose_per_kg_1e5");
        assert_eq!(slug("///"), "arm");
    }
}
