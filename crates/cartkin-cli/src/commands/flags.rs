//! Library errors in the command line's words: a setting the libraries name by its field
//! (`estimate`, `initial Cmax`, `free`) is reported under the flag that sets it
//! (`--estimate`, `--initial Cmax`, `--free`).

use cartkin_fit::error::FitError;
use cartkin_trial::TrialError;

/// `estimate` → `--estimate`; `initial Cmax` → `--initial Cmax`; `sigma_add` → `--sigma-add`.
fn flag(setting: &str) -> String {
    let (key, rest) = setting.split_once(' ').unwrap_or((setting, ""));
    let key = key.replace('_', "-");
    if rest.is_empty() {
        format!("--{key}")
    } else {
        format!("--{key} {rest}")
    }
}

/// A fitting error, with settings named by their flags.
pub fn fit_error(e: FitError) -> anyhow::Error {
    match e {
        FitError::Setting { setting, message } => {
            anyhow::anyhow!("{}: {message}", flag(&setting))
        }
        other => other.into(),
    }
}

/// A trial error, with settings named by their flags.
pub fn trial_error(e: TrialError) -> anyhow::Error {
    match e {
        TrialError::Setting { setting, message } if !setting.contains(['/', '[', '.']) => {
            anyhow::anyhow!("{}: {message}", flag(&setting))
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::flag;

    #[test]
    fn settings_become_flags() {
        assert_eq!(flag("estimate"), "--estimate");
        assert_eq!(flag("initial Cmax"), "--initial Cmax");
        assert_eq!(flag("sigma_add"), "--sigma-add");
        assert_eq!(flag("observe 1"), "--observe 1");
    }
}
