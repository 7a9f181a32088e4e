//! Command-line arguments (raw, as typed). Validation happens in the commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// cartkin: CAR-T cell therapy PK/PD modelling for B-ALL.
#[derive(Parser, Debug)]
#[command(name = "cartkin", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the bundled models, or show one (`cartkin models show NAME`).
    Models(ModelsArgs),
    /// Simulate one patient: trajectory.csv, outcomes.json and a figure.
    Simulate(Box<SimulateArgs>),
    /// Fit model parameters to time-course data: fit.json, fitted_model.toml, residuals.csv, plots.
    Fit(Box<FitArgs>),
    /// Simulate a virtual population: patients.csv, summary.json, plots.
    Population(Box<PopulationArgs>),
    /// Calibrate population hyperparameters to clinical targets: calibrated.toml, report.json/md, plots.
    Calibrate(Box<CalibrateArgs>),
    /// Compare scenario arms on the same virtual patients: arms.csv, arms.md, per-arm patients, plots.
    Scenario(Box<ScenarioArgs>),
    /// Check a model against held-out published figures: validation.md, validation.json, forest plot.
    Validate(Box<ValidateArgs>),
}

#[derive(Args, Debug)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub action: Option<ModelsAction>,
}

#[derive(Subcommand, Debug)]
pub enum ModelsAction {
    /// Print a model's states, parameters (units, bounds, sources), observables and defaults,
    /// and the files it extends.
    Show {
        /// Model name (in models/) or path to a model file.
        model: String,
        /// Print the resolved model file instead (its `extends` chain laid over each other),
        /// each line with the file and line it came from.
        #[arg(long)]
        toml: bool,
    },
}

/// Image formats of the figure.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatArg {
    Png,
    Svg,
    Both,
}

impl FormatArg {
    /// The image formats to render, with their file extensions.
    pub fn formats(self) -> &'static [(crate::plot::ImageFormat, &'static str)] {
        use crate::plot::ImageFormat;
        match self {
            FormatArg::Png => &[(ImageFormat::Png, "png")],
            FormatArg::Svg => &[(ImageFormat::Svg, "svg")],
            FormatArg::Both => &[(ImageFormat::Png, "png"), (ImageFormat::Svg, "svg")],
        }
    }
}

/// Integration method.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodArg {
    Dopri5,
    Dop853,
}

impl MethodArg {
    /// The core's method.
    pub fn method(self) -> cartkin_core::solve::Method {
        match self {
            MethodArg::Dopri5 => cartkin_core::solve::Method::Dopri5,
            MethodArg::Dop853 => cartkin_core::solve::Method::Dop853,
        }
    }
}

/// Residual error model of a fit.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorArg {
    /// Constant SD.
    Additive,
    /// SD proportional to the prediction.
    Proportional,
    /// Additive and proportional.
    Combined,
    /// Additive on the log scale.
    #[value(alias = "log")]
    LogAdditive,
}

impl ErrorArg {
    /// The fitting crate's error model.
    pub fn kind(self) -> cartkin_fit::error_model::ErrorKind {
        use cartkin_fit::error_model::ErrorKind;
        match self {
            ErrorArg::Additive => ErrorKind::Additive,
            ErrorArg::Proportional => ErrorKind::Proportional,
            ErrorArg::Combined => ErrorKind::Combined,
            ErrorArg::LogAdditive => ErrorKind::LogAdditive,
        }
    }
}

/// Handling of below-limit observations.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlqArg {
    /// Beal's M3: the likelihood of being below the limit.
    #[value(alias = "M3")]
    M3,
    /// Leave below-limit records out.
    Drop,
}

impl BlqArg {
    /// The fitting crate's method.
    pub fn method(self) -> cartkin_fit::error_model::BlqMethod {
        use cartkin_fit::error_model::BlqMethod;
        match self {
            BlqArg::M3 => BlqMethod::M3,
            BlqArg::Drop => BlqMethod::Drop,
        }
    }
}

/// Optimizer of a fit.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizerArg {
    /// Nelder–Mead simplex.
    #[value(alias = "nm")]
    NelderMead,
    /// L-BFGS with central finite-difference gradients.
    #[value(alias = "l-bfgs")]
    Lbfgs,
    /// A seeded particle swarm polished by Nelder–Mead.
    #[value(alias = "particle-swarm")]
    Pso,
}

impl OptimizerArg {
    /// The fitting crate's optimizer.
    pub fn kind(self) -> cartkin_fit::optimizer::OptimizerKind {
        use cartkin_fit::optimizer::OptimizerKind;
        match self {
            OptimizerArg::NelderMead => OptimizerKind::NelderMead,
            OptimizerArg::Lbfgs => OptimizerKind::Lbfgs,
            OptimizerArg::Pso => OptimizerKind::ParticleSwarm,
        }
    }
}

/// Optimizer of a calibration.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalibrationOptimizerArg {
    /// Nelder–Mead simplex.
    #[value(alias = "nm")]
    NelderMead,
    /// A seeded particle swarm polished by Nelder–Mead.
    #[value(alias = "particle-swarm")]
    Pso,
}

impl CalibrationOptimizerArg {
    /// The trial crate's optimizer.
    pub fn optimizer(self) -> cartkin_trial::vpop::calibrate::Optimizer {
        use cartkin_trial::vpop::calibrate::Optimizer;
        match self {
            CalibrationOptimizerArg::NelderMead => Optimizer::NelderMead,
            CalibrationOptimizerArg::Pso => Optimizer::ParticleSwarm,
        }
    }
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Model name (in models/) or path to a model file (default: the flagship as calibrated to
    /// ELIANA).
    #[arg(long, default_value = "cart_all_eliana", value_name = "NAME|PATH")]
    pub model: String,
    /// Override a parameter (repeatable), e.g. --set gamma=3.5.
    #[arg(long = "set", value_name = "PARAM=VALUE")]
    pub set: Vec<String>,
    #[command(flatten)]
    pub dose: DoseArgs,
    /// Body weight [kg] (default: the model's typical patient).
    #[arg(long, value_name = "KG", allow_negative_numbers = true)]
    pub weight: Option<f64>,
    /// Height [cm], for BSA by Mosteller.
    #[arg(long, value_name = "CM", allow_negative_numbers = true)]
    pub height: Option<f64>,
    /// Body-surface area [m²] (overrides height-based BSA).
    #[arg(long, value_name = "M2", allow_negative_numbers = true)]
    pub bsa: Option<f64>,
    /// Estimated GFR [mL/min/1.73 m²].
    #[arg(long, value_name = "ML_MIN", allow_negative_numbers = true)]
    pub egfr: Option<f64>,
    /// Age [years].
    #[arg(long, value_name = "YEARS", allow_negative_numbers = true)]
    pub age: Option<f64>,
    /// Regimen: eliana, zuma3, none, eliana_split, reduced, eliana_flu_auc20, or a regimen TOML
    /// file.
    #[arg(long, value_name = "NAME|PATH")]
    pub regimen: Option<String>,
    /// Follow-up after the CAR-T infusion [days] (default: the model's).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub days: Option<f64>,
    /// Output grid spacing of trajectory.csv [days] (default: the model's).
    #[arg(long, value_name = "DAYS", allow_negative_numbers = true)]
    pub step: Option<f64>,
    /// Output directory.
    #[arg(long, default_value = "out/simulate", value_name = "DIR")]
    pub out: PathBuf,
    /// Figure format.
    #[arg(long, value_enum, default_value_t = FormatArg::Png)]
    pub format: FormatArg,
    /// Integration method.
    #[arg(long, value_enum, default_value_t = MethodArg::Dopri5)]
    pub method: MethodArg,
    /// Relative tolerance.
    #[arg(long, default_value_t = 1e-6, allow_negative_numbers = true)]
    pub rtol: f64,
    /// Absolute tolerance (solver coordinates: ln(cells) for populations, scaled amounts for drugs).
    #[arg(long, default_value_t = 1e-8, allow_negative_numbers = true)]
    pub atol: f64,
    /// Keep populations below one cell instead of declaring them extinct.
    #[arg(long)]
    pub no_extinction: bool,
}

/// Format of the data file.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataFormatArg {
    /// By the header: `id,time,observable,value` is long, anything else NONMEM-style.
    Auto,
    /// NONMEM-style (ID, TIME, DV, EVID, AMT, CMT, MDV, ...).
    Nonmem,
    /// Long (id, time, observable, value).
    Long,
}

#[derive(Args, Debug)]
pub struct FitArgs {
    /// Model name (in models/) or path to a model file.
    #[arg(long, value_name = "NAME|PATH")]
    pub model: String,
    /// Data file (CSV).
    #[arg(long, value_name = "FILE.csv")]
    pub data: std::path::PathBuf,
    /// Data format.
    #[arg(long, value_enum, default_value_t = DataFormatArg::Auto)]
    pub data_format: DataFormatArg,
    /// Fit file (TOML) with estimate, initial, error, sigma_add, sigma_prop, fix_error, blq, observe.
    #[arg(long, value_name = "FILE.toml")]
    pub fit: Option<std::path::PathBuf>,
    /// Parameters to estimate, comma-separated (default: those with variability in the model file).
    #[arg(long, value_delimiter = ',', value_name = "P1,P2,...")]
    pub estimate: Vec<String>,
    /// Starting value of a parameter (repeatable), e.g. --initial Cmax=20000.
    #[arg(long = "initial", value_name = "PARAM=VALUE")]
    pub initial: Vec<String>,
    /// Residual error model (default: log-additive, or the fit file's).
    #[arg(long, value_enum, value_name = "MODEL")]
    pub error: Option<ErrorArg>,
    /// Starting (or, with --fix-error, fixed) additive SD (log scale for log-additive).
    #[arg(long, value_name = "SD")]
    pub sigma_add: Option<f64>,
    /// Starting (or fixed) proportional SD.
    #[arg(long, value_name = "SD")]
    pub sigma_prop: Option<f64>,
    /// Keep the residual SDs fixed.
    #[arg(long)]
    pub fix_error: bool,
    /// Below-limit observations: m3 (likelihood of being below the limit) or drop (default: m3,
    /// or the fit file's).
    #[arg(long, value_enum, value_name = "METHOD")]
    pub blq: Option<BlqArg>,
    /// Map an observation CMT to a model output (repeatable), e.g. --observe 1=transgene.
    #[arg(long = "observe", value_name = "CMT=NAME")]
    pub observe: Vec<String>,
    /// Optimizer.
    #[arg(long, value_enum, default_value_t = OptimizerArg::NelderMead, value_name = "NAME")]
    pub optimizer: OptimizerArg,
    /// Number of optimizer starts (the others perturbed around the first).
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub starts: usize,
    /// Seed for multistart and particle swarm.
    #[arg(long, default_value_t = 20_261_125)]
    pub seed: u64,
    /// One parameter set for all subjects (default: one per subject plus a two-stage summary).
    #[arg(long)]
    pub pooled: bool,
    /// Profile-likelihood of this parameter (with its plot).
    #[arg(long, value_name = "PARAM")]
    pub profile: Option<String>,
    /// CAR-T dose for long-format data (without EVID=1 dose records).
    #[command(flatten)]
    pub dose: DoseArgs,
    /// Regimen for long-format data.
    #[arg(long, value_name = "NAME|PATH")]
    pub regimen: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "out/fit", value_name = "DIR")]
    pub out: PathBuf,
    /// Figure format.
    #[arg(long, value_enum, default_value_t = FormatArg::Png)]
    pub format: FormatArg,
    /// Relative tolerance of the ODE solver during the fit.
    #[arg(long, default_value_t = 1e-9, allow_negative_numbers = true)]
    pub rtol: f64,
    /// Absolute tolerance of the ODE solver during the fit.
    #[arg(long, default_value_t = 1e-11, allow_negative_numbers = true)]
    pub atol: f64,
}

#[derive(Args, Debug)]
pub struct PopulationArgs {
    /// Model name (in models/) or path to a model file (its [population] table is used;
    /// default: the flagship as calibrated to ELIANA).
    #[arg(long, default_value = "cart_all_eliana", value_name = "NAME|PATH")]
    pub model: String,
    /// Number of virtual patients (default: the population table's n).
    #[arg(long, value_name = "N")]
    pub n: Option<usize>,
    /// Seed (default: the population table's seed).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Regimen (default: the population table's).
    #[arg(long, value_name = "NAME|PATH")]
    pub regimen: Option<String>,
    /// Follow-up after infusion [days] (default: the population table's).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub days: Option<f64>,
    /// Integration method: dop853 (default here: fewer steps over 5-year runs) or dopri5.
    #[arg(long, value_enum, default_value_t = MethodArg::Dop853)]
    pub method: MethodArg,
    /// Months at which RFS is reported, comma-separated (default 6,12,18,24,36,60).
    #[arg(long, value_delimiter = ',', value_name = "M1,M2,...")]
    pub months: Vec<f64>,
    /// Population file with a [population] table (default: the model file's).
    #[arg(long, value_name = "FILE")]
    pub population: Option<PathBuf>,
    /// Clinical targets to compare with (e.g. data/eliana.toml): added to summary.json and plots.
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "out/population", value_name = "DIR")]
    pub out: PathBuf,
    /// Figure format.
    #[arg(long, value_enum, default_value_t = FormatArg::Png)]
    pub format: FormatArg,
}

#[derive(Args, Debug)]
pub struct CalibrateArgs {
    /// Model name (in models/) or path to a model file with a [population] table.
    #[arg(long, default_value = "cart_all", value_name = "NAME|PATH")]
    pub model: String,
    /// Targets file (e.g. data/eliana.toml).
    #[arg(long, value_name = "FILE")]
    pub targets: PathBuf,
    /// Population file with a [population] table (default: the model file's).
    #[arg(long, value_name = "FILE")]
    pub population: Option<PathBuf>,
    /// Free hyperparameter (repeatable): NAME:typical:LOWER:UPPER or NAME:omega:LOWER:UPPER
    /// (default: the population table's `calibrate` list).
    #[arg(long = "free", value_name = "SPEC")]
    pub free: Vec<String>,
    /// Patients per evaluation.
    #[arg(long, default_value_t = 2000, value_name = "N")]
    pub n: usize,
    /// Seed of the calibration draw (the fresh-draw check uses SEED + 1).
    #[arg(long, default_value_t = 20_261_125, value_name = "S")]
    pub seed: u64,
    /// Nelder–Mead iteration limit (per start; the swarm gets a quarter of it).
    #[arg(long, default_value_t = 150, value_name = "K")]
    pub max_iters: u64,
    /// Keep the model's CRS grade edges (one grade map for every trial: the CRS targets are
    /// then compared, not fitted by the edges). Without it the edges are fitted to the grade
    /// targets at every evaluation, as a first calibration that sets the map does.
    #[arg(long)]
    pub keep_crs_edges: bool,
    /// Points of each free hyperparameter's discrepancy slice after the fit (×/÷ e around the
    /// calibrated value, the others held; report.md and slices.png); 0 skips them.
    #[arg(long, default_value_t = 9, value_name = "K")]
    pub slices: usize,
    /// Optimizer: nelder-mead, or pso (a seeded particle swarm polished by Nelder–Mead).
    #[arg(long, value_enum, default_value_t = CalibrationOptimizerArg::NelderMead, value_name = "NAME")]
    pub optimizer: CalibrationOptimizerArg,
    /// Integration method of every patient: dop853 (default) or dopri5.
    #[arg(long, value_enum, default_value_t = MethodArg::Dop853)]
    pub method: MethodArg,
    /// Nelder–Mead starts: the current values, then random points of the bounds' box.
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub starts: usize,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "out/calibrate", value_name = "DIR")]
    pub out: PathBuf,
    /// Figure format.
    #[arg(long, value_enum, default_value_t = FormatArg::Png)]
    pub format: FormatArg,
}

#[derive(Args, Debug)]
pub struct ScenarioArgs {
    /// Scenario file (TOML; see scripts/scenarios/).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Patients per arm (default: the scenario's n).
    #[arg(long, value_name = "N")]
    pub n: Option<usize>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "out/scenario", value_name = "DIR")]
    pub out: PathBuf,
    /// Figure format.
    #[arg(long, value_enum, default_value_t = FormatArg::Png)]
    pub format: FormatArg,
}

/// The CAR-T dose on the command line: total cells or cells per kg.
#[derive(Args, Debug, Clone, Copy)]
pub struct DoseArgs {
    /// Total CAR-T dose [viable CAR+ cells].
    #[arg(
        long,
        value_name = "CELLS",
        conflicts_with = "dose_per_kg",
        allow_negative_numbers = true
    )]
    pub dose: Option<f64>,
    /// CAR-T dose per kg body weight [cells/kg].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub dose_per_kg: Option<f64>,
}

impl DoseArgs {
    /// The dose given, if any (clap keeps the two flags exclusive).
    pub fn dose(self) -> Option<cartkin_core::regimen::CarTDose> {
        use cartkin_core::regimen::CarTDose;
        match (self.dose, self.dose_per_kg) {
            (Some(c), _) => Some(CarTDose::Cells(c)),
            (None, Some(k)) => Some(CarTDose::PerKg(k)),
            (None, None) => None,
        }
    }
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Validation file: held-out figures, their measures, designs and acceptance bands.
    #[arg(long, default_value = "data/validation.toml", value_name = "FILE")]
    pub validation: PathBuf,
    /// Model (name or file) simulated in place of cart_all_eliana wherever a figure names it
    /// (e.g. a freshly calibrated model).
    #[arg(long, value_name = "NAME|PATH")]
    pub model: Option<String>,
    /// Patients per population (default: the validation file's n).
    #[arg(long, value_name = "N")]
    pub n: Option<usize>,
    /// Seed of every population (default: the validation file's seed).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Integration method: dop853 (default, as populations) or dopri5.
    #[arg(long, value_enum, default_value_t = MethodArg::Dop853)]
    pub method: MethodArg,
    /// Output directory.
    #[arg(long, default_value = "out/validate", value_name = "DIR")]
    pub out: PathBuf,
    /// Figure format of the forest plot.
    #[arg(long, value_enum, default_value_t = FormatArg::Both)]
    pub format: FormatArg,
}
