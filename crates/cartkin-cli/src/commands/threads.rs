//! `--threads`: one check and one pool set-up for every command that runs in parallel.

use anyhow::{Result, bail};

/// Refuses `--threads 0`, before any work.
pub fn check(threads: Option<usize>) -> Result<()> {
    if threads == Some(0) {
        bail!("--threads: expected at least 1, got 0");
    }
    Ok(())
}

/// Runs `work` on a pool of `threads` workers (`None`: rayon's global pool, one per core).
/// Results never depend on the count: every parallel loop in cartkin is order-preserving.
pub fn run<T: Send>(threads: Option<usize>, work: impl FnOnce() -> T + Send) -> Result<T> {
    check(threads)?;
    match threads {
        None => Ok(work()),
        Some(t) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()?
            .install(work)),
    }
}
