//! Generates `data/synthetic_eliana_ck.csv`: a synthetic ELIANA-like cellular-kinetics
//! dataset simulated from `stein_2019` with the published typical values, between-subject
//! variability (log-normal, ω² from the model file) and residual error (additive on the log
//! scale, σ = 0.56). It is synthetic: no trial data were used.
//!
//! Run: `cargo run --release -p cartkin-fit --example synthetic_eliana -- [SEED] [OUT]`
//! (scripts/make_synthetic_eliana.sh does this with the committed seed).

use std::error::Error;
use std::io::Write;

use cartkin_core::model::{self, Model};
use cartkin_core::outcome::MAX_COLUMNS;
use cartkin_core::patient::Patient;
use cartkin_core::simulate::{Request, simulate};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, LogNormal, Normal};

/// ELIANA-like nominal sampling days (pre-dose baseline excluded).
const DAYS: [f64; 14] = [
    1.0, 4.0, 7.0, 9.0, 11.0, 14.0, 21.0, 28.0, 56.0, 91.0, 183.0, 274.0, 365.0, 8.0,
];
/// qPCR lower limit of quantification [copies/µg] (assumption for the synthetic set).
const LLOQ: f64 = 50.0;
/// Residual SD on the log scale (Stein 2019 additive-on-log error).
const SIGMA: f64 = 0.56;
const SUBJECTS: usize = 60;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let seed: u64 = args.get(1).map_or(Ok(20_261_125), |s| s.parse())?;
    let out = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "data/synthetic_eliana_ck.csv".into());
    let base = Model::load(&model::resolve("stein_2019")?)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let weight = LogNormal::new(39f64.ln(), 0.45)?;
    let residual = Normal::new(0.0, SIGMA)?;
    let jitter = Normal::new(0.0, 0.5)?;
    let mut text = String::from("ID,TIME,DV,EVID,AMT,CMT,MDV,BLQ,LLOQ,WT,AGE\n");
    let mut n_obs = 0;
    let mut n_blq = 0;
    for id in 1..=SUBJECTS {
        // Stein's parameterisation needs α > β (else the memory pool is negative): redraw
        // the subject until it holds
        let mut model = base.clone();
        for _ in 0..1000 {
            for p in base.spec().parameters.iter() {
                if let Some(v) = &p.variability {
                    let omega2 = v.omega2.ok_or("synthetic data need omega² variabilities")?;
                    // a log-normal truncated to the parameter's bounds
                    let eta = Normal::new(0.0, omega2.sqrt())?;
                    let value = (0..100)
                        .map(|_| p.value * eta.sample(&mut rng).exp())
                        .find(|v| *v >= p.lower && *v <= p.upper)
                        .unwrap_or(p.value);
                    model.set(&p.name, value)?;
                }
            }
            if model.get("alpha") > model.get("beta") {
                break;
            }
        }
        let wt = weight.sample(&mut rng).clamp(14.0, 140.0);
        let age = (3.0 + (wt - 14.0) / 126.0 * 22.0).round();
        let patient = Patient::new(wt, 140.0, None, 120.0, age, "synthetic")?;
        let request = Request {
            model: &model,
            patient,
            doses: Vec::new(),
            start: None,
            days: 365.0,
            options: Default::default(),
        };
        let sim = simulate(&request)
            .map_err(|e| format!("subject {id}, parameters {:?}: {e}", model.values()))?;
        // sparse sampling: 6-10 of the nominal days, each shifted by up to ±10%
        let mut days = DAYS.to_vec();
        days.shuffle(&mut rng);
        let k = 6 + (id % 5);
        let mut chosen: Vec<f64> = days[..k]
            .iter()
            .map(|d| {
                let z: f64 = jitter.sample(&mut rng);
                let shift = 0.1 * z.clamp(-1.0, 1.0);
                (d * (1.0 + shift) * 100.0).round() / 100.0
            })
            .collect();
        chosen.sort_by(f64::total_cmp);
        let dose = 3.0e6 * wt;
        text.push_str(&format!("{id},0,.,1,{dose:.6e},1,1,0,.,{wt:.1},{age}\n"));
        let mut buf = [0.0; MAX_COLUMNS];
        for t in chosen {
            if !sim.columns_at(t, &mut buf)
                || buf[2].partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
            {
                continue;
            }
            let y = (buf[2].ln() + residual.sample(&mut rng)).exp();
            n_obs += 1;
            if y < LLOQ {
                n_blq += 1;
                text.push_str(&format!("{id},{t},.,0,.,1,0,1,{LLOQ},{wt:.1},{age}\n"));
            } else {
                text.push_str(&format!("{id},{t},{y:.4},0,.,1,0,0,{LLOQ},{wt:.1},{age}\n"));
            }
        }
    }
    let mut file = std::fs::File::create(&out)?;
    file.write_all(text.as_bytes())?;
    println!("wrote {out}: {SUBJECTS} subjects, {n_obs} observations ({n_blq} BLQ), seed {seed}");
    Ok(())
}
