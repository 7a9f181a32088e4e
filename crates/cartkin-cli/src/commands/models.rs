//! `cartkin models` and `cartkin models show NAME`.

use std::fmt::Write;

use anyhow::{Context, Result};
use cartkin_core::model::extends::Resolved;
use cartkin_core::model::{self, Model, Transform};

use crate::args::{ModelsAction, ModelsArgs};

pub fn run(args: ModelsArgs) -> Result<()> {
    match args.action {
        None => list(),
        Some(ModelsAction::Show { model, toml }) => {
            let path = model::resolve(&model).context("model")?;
            if toml {
                let resolved = Resolved::load(&path)?;
                // validated as a model, so that what is printed is what runs
                model::file::validate(&path, &resolved)?;
                crate::out!("{}", annotated(&resolved));
                return Ok(());
            }
            let model = Model::load(&path)?;
            crate::out!("{}", describe(&model));
            Ok(())
        }
    }
}

fn list() -> Result<()> {
    let bundled = model::list_bundled();
    if bundled.is_empty() {
        anyhow::bail!(
            "no model files found; looked in {:?} (set CARTKIN_MODELS to a folder of model files)",
            model::search_dirs()
        );
    }
    crate::outln!("{:<30} {:<30} TITLE", "NAME", "STRUCTURE");
    for (name, path) in bundled {
        match Model::load(&path) {
            Ok(m) => crate::outln!("{:<30} {:<30} {}", name, m.spec().structure, m.spec().title),
            Err(e) => crate::outln!("{name:<30} {:<30} (invalid: {e})", "?"),
        }
    }
    Ok(())
}

/// Human-readable description of a model.
pub fn describe(model: &Model) -> String {
    let spec = model.spec();
    let mut s = String::new();
    let _ = writeln!(s, "{} — {}", spec.name, spec.title);
    let _ = writeln!(s, "file: {}", spec.path.display());
    if spec.chain.len() > 1 {
        // base first: each file lists what differs from the one before it
        let chain: Vec<String> = spec.chain.iter().map(|p| p.display().to_string()).collect();
        let _ = writeln!(s, "extends: {}", chain.join(" <- "));
    }
    let _ = writeln!(s, "structure: {}\n", spec.structure);
    let _ = writeln!(s, "{}\n", spec.description.trim());
    let _ = writeln!(s, "STATES");
    let _ = writeln!(
        s,
        "  {:<8} {:<12} {:<8} {:<40} DESCRIPTION",
        "NAME", "UNIT", "SOLVER", "INITIAL"
    );
    for st in &spec.states {
        let solver = match st.transform {
            Transform::Log => "ln x".to_string(),
            Transform::Linear => format!("x/{}", st.scale),
        };
        let _ = writeln!(
            s,
            "  {:<8} {:<12} {:<8} {:<40} {}",
            st.name, st.unit, solver, st.initial, st.description
        );
    }
    let _ = writeln!(s, "\nPARAMETERS");
    let _ = writeln!(
        s,
        "  {:<10} {:>12} {:<22} {:<26} DESCRIPTION [SOURCE]",
        "NAME", "VALUE", "UNIT", "BOUNDS"
    );
    for (p, value) in spec.parameters.iter().zip(model.values()) {
        let bounds = format!("[{}, {}]", fmt_num(p.lower), fmt_num(p.upper));
        let _ = writeln!(
            s,
            "  {:<10} {:>12} {:<22} {:<26} {} [{}]",
            p.name,
            fmt_num(*value),
            p.unit,
            bounds,
            p.description,
            p.source
        );
        if let Some(v) = &p.variability {
            let size = match (v.omega2, v.cv) {
                (Some(w), _) => format!("omega² = {w}"),
                (None, Some(cv)) => format!("CV = {cv}"),
                _ => String::new(),
            };
            let shared = v
                .shared
                .as_ref()
                .map_or_else(String::new, |e| format!(", shared effect {e}"));
            let _ = writeln!(
                s,
                "  {:<10} {:>12} variability: {} {}{shared}",
                "", "", v.distribution, size
            );
        }
    }
    if !spec.observables.is_empty() {
        let _ = writeln!(s, "\nOBSERVABLES");
        for o in &spec.observables {
            let _ = writeln!(s, "  {:<16} {:<12} {}", o.name, o.unit, o.description);
        }
    }
    let routes = model.routes();
    let _ = writeln!(
        s,
        "\nDOSING ROUTES: {}",
        if routes.is_empty() {
            "none".to_string()
        } else {
            routes
                .iter()
                .map(|r| format!("{} ({})", r.agent, r.unit))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let d = &spec.defaults;
    let _ = writeln!(
        s,
        "DEFAULTS: regimen {}, {} days, output step {} d, patient {} kg / {} cm / eGFR {} / {} y",
        d.regimen,
        d.days,
        d.step,
        d.patient.weight_kg,
        d.patient.height_cm,
        d.patient.egfr,
        d.patient.age_years
    );
    if !spec.references.is_empty() {
        let _ = writeln!(s, "\nREFERENCES");
        for r in &spec.references {
            let _ = writeln!(s, "  - {r}");
        }
    }
    s
}

/// The resolved model file, each line followed by the file and line it came from (valid TOML:
/// lines of a multi-line value are not annotated).
fn annotated(resolved: &Resolved) -> String {
    let mut s = String::new();
    let chain: Vec<String> = resolved
        .chain
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let _ = writeln!(s, "# resolved from {}", chain.join(" <- "));
    let width = resolved
        .text
        .lines()
        .map(str::len)
        .max()
        .unwrap_or(0)
        .min(100);
    for (k, line) in resolved.text.lines().enumerate() {
        // a comment inside a multi-line string or array would become part of it
        let origin = resolved
            .origin(k + 1)
            .filter(|_| !resolved.in_multiline_value(k + 1));
        match origin.and_then(|o| Some((o.path.file_name()?, o.line?))) {
            Some((file, at)) => {
                let _ = writeln!(s, "{line:<width$}  # {}:{at}", file.to_string_lossy());
            }
            None => {
                let _ = writeln!(s, "{line}");
            }
        }
    }
    s
}

/// Six significant digits; scientific outside [1e-3, 1e5).
fn fmt_num(v: f64) -> String {
    if !v.is_normal() {
        return format!("{v}");
    }
    if v.abs() >= 1e5 || v.abs() < 1e-3 {
        let s = format!("{v:.5e}");
        match s.split_once('e') {
            Some((mantissa, exponent)) => {
                let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
                format!("{mantissa}e{exponent}")
            }
            None => s,
        }
    } else {
        let decimals = (5 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
        let s = format!("{v:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}
