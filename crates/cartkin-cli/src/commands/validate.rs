//! `cartkin validate`: held-out published figures simulated and judged against their bands →
//! validation.md, validation.json, forest.png/svg.

use anyhow::{Context, Result, bail};
use cartkin_core::solve::SolverOptions;
use cartkin_trial::validate::{Plan, Status, ValidationFile, report};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::ValidateArgs;
use crate::output::ResultSet;
use crate::validation_figure;

pub fn run(args: ValidateArgs) -> Result<()> {
    let file = ValidationFile::load(&args.validation)
        .map_err(super::flags::trial_error)
        .context("--validation")?;
    let n = args.n.unwrap_or(file.n);
    if n == 0 {
        bail!("--n: expected at least one patient");
    }
    let seed = args.seed.unwrap_or(file.seed);
    super::threads::check(args.threads)?;
    // every model, regimen and what each measure reads is checked before simulating
    let plan = Plan::prepare(file, args.model.as_deref()).map_err(super::flags::trial_error)?;
    let mut out = ResultSet::begin(&args.out, "validate")?;

    let total = (n * plan.population_count()) as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(ProgressStyle::with_template(
        "{spinner} simulating [{elapsed_precise}] {wide_bar} {pos}/{len} patients (eta {eta})",
    )?);
    let options = SolverOptions {
        method: args.method.method(),
        ..SolverOptions::default()
    };
    let validation =
        super::threads::run(args.threads, || plan.run(n, seed, options, &|| bar.inc(1)))?;
    bar.finish_and_clear();

    out.add("validation.md", report::markdown(&validation).as_bytes())?;
    out.add(
        "validation.json",
        &report::json(&validation).context("writing validation.json")?,
    )?;
    let forest = validation_figure::forest(&validation);
    for (format, ext) in args.format.formats() {
        let bytes = crate::plot::forest::render(&forest, *format)
            .with_context(|| format!("rendering forest.{ext}"))?;
        out.add(&format!("forest.{ext}"), &bytes)?;
    }
    out.commit_and_list()?;
    print_table(&validation);
    Ok(())
}

fn print_table(v: &cartkin_trial::validate::Validation) {
    let width = v
        .rows
        .iter()
        .map(|r| r.id.chars().count())
        .max()
        .unwrap_or(6);
    crate::outln!(
        "{:<width$}  {:<24}  {:<30}  {:<20}  result",
        "figure",
        "published",
        "simulated (95% CI)",
        "band"
    );
    for r in &v.rows {
        let published = match (&r.published, &r.published_text) {
            (None, Some(_)) => "(in words)".to_string(),
            _ => report::with_ci(r.published, r.published_ci95, &r.unit),
        };
        let simulated = if r.simulated.is_some() {
            report::with_ci(r.simulated, r.simulated_ci95, &r.unit)
        } else {
            "–".into()
        };
        crate::outln!(
            "{:<width$}  {:<24}  {:<30}  {:<20}  {}{}",
            r.id,
            published,
            simulated,
            report::band(r),
            r.status.label(),
            match (&r.note, r.status) {
                (Some(n), Status::Fail) => format!(" ({n})"),
                _ => String::new(),
            }
        );
    }
    let not_simulated = v
        .rows
        .iter()
        .filter(|r| r.status == Status::NotSimulated)
        .count();
    let reported = v
        .rows
        .iter()
        .filter(|r| r.status == Status::Reported)
        .count();
    crate::outln!(
        "{} of {} inside their bands ({} patients per population, seed {}); {not_simulated} not simulated, {reported} reported without a band",
        v.passed(),
        v.compared(),
        v.n,
        v.seed
    );
}
