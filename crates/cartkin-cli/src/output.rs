//! Result directories written as a whole, or not at all.
//!
//! A command opens its [`ResultSet`] before it computes anything: that checks `--out`, takes a
//! lock on it and creates a staging directory next to it (`.NAME.cartkin-staging-PID`). Every
//! file goes to the staging directory; [`ResultSet::commit`] then swaps the staging directory
//! with `--out` in one `renameat2(RENAME_EXCHANGE)` (where the file system cannot exchange:
//! `--out` moved aside to `.NAME.cartkin-aside-PID`, the staging directory into place, the
//! aside deleted; a run killed in between is undone by the next run) and deletes the old
//! results. So:
//!
//! - a reader sees the previous result set or the new one, never a mixture;
//! - a failed run (an error, a full disk, Ctrl-C) leaves `--out` as it was and nothing beside it;
//! - a second run into the same `--out` while one is running is refused;
//! - files of an earlier run that this run does not write are gone with the old set.
//!
//! `--out` is replaced as a whole, so it must hold nothing but an earlier result set of cartkin
//! (its `manifest.json` lists every file): other files are never deleted, the run is refused.
//!
//! An interrupt (SIGINT, SIGTERM, SIGHUP) and [`ResultSet::commit`] exclude each other through
//! one lock: either the swap completes and the interrupt finds nothing left to undo, or the
//! interrupt removes the staging directory and the process exits before any swap.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, bail};

/// The file every result set carries: the command, the files, the cartkin version.
pub const MANIFEST: &str = "manifest.json";

/// What an interrupt must undo, and the lock that keeps it apart from a commit.
struct Pending {
    /// Staging directories to delete.
    staging: Vec<PathBuf>,
    /// `--out` directories this process created (empty until committed) and the parents it
    /// created for them: removed if still empty.
    created: Vec<PathBuf>,
}

static PENDING: Mutex<Pending> = Mutex::new(Pending {
    staging: Vec::new(),
    created: Vec::new(),
});

fn pending() -> std::sync::MutexGuard<'static, Pending> {
    PENDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Installs the SIGINT/SIGTERM/SIGHUP handler that removes unfinished result sets and exits
/// with status 130: an interrupted run leaves nothing behind.
pub fn install_interrupt_cleanup() {
    // an error here (a handler already set) only loses the cleanup
    let _ = ctrlc::set_handler(|| {
        // held until the process exits: no commit can start or be half done meanwhile
        let p = pending();
        for path in &p.staging {
            remove_tree(path);
        }
        for path in p.created.iter().rev() {
            let _ = std::fs::remove_dir(path);
        }
        crate::errln!("\ninterrupted: no results written");
        std::process::exit(130);
    });
}

/// Waits for an interrupt being handled (which exits the process) before the process ends on
/// its own: a run whose files vanished under it ends with the interrupt's status, not with
/// its own error.
pub fn settle() {
    drop(pending());
}

/// Removes a directory tree (or an empty directory), retrying while another thread is still
/// writing into it.
fn remove_tree(path: &Path) {
    for _ in 0..20 {
        match std::fs::remove_dir_all(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                std::thread::sleep(std::time::Duration::from_millis(5))
            }
            _ => return,
        }
    }
}

/// A result directory being written.
pub struct ResultSet {
    out: PathBuf,
    staging: PathBuf,
    command: String,
    files: Vec<String>,
    /// Directories created for `--out` (its missing parents, then `--out`), removed on
    /// failure if still empty.
    created: Vec<PathBuf>,
    committed: bool,
    /// Holds the lock on `--out` while the run lasts.
    _lock: Lock,
}

impl ResultSet {
    /// Checks and locks `out` and creates the staging directory beside it. `command` is
    /// recorded in the manifest (e.g. `population`).
    pub fn begin(out: &Path, command: &str) -> Result<Self> {
        let name = out
            .file_name()
            .filter(|n| !n.is_empty() && *n != "." && *n != "..")
            .map(|n| n.to_string_lossy().into_owned())
            .with_context(|| {
                format!(
                    "--out {}: expected a directory name (not `.`, `..` or a root)",
                    out.display()
                )
            })?;
        if out.is_symlink() {
            bail!(
                "--out {}: is a symbolic link; give the directory itself (the results replace \
                 the directory, which would replace the link)",
                out.display()
            );
        }
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut created = create_parents(&parent).with_context(|| {
            format!(
                "--out {}: cannot create {}",
                out.display(),
                parent.display()
            )
        })?;
        let undo = |created: &[PathBuf]| {
            let mut p = pending();
            for path in created.iter().rev() {
                let _ = std::fs::remove_dir(path);
                p.created.retain(|c| c != path);
            }
        };
        // a run killed halfway through the fallback swap left the previous results aside
        restore_aside(&parent, &name, out);
        match std::fs::create_dir(out) {
            Ok(()) => {
                created.push(out.to_path_buf());
                pending().created.push(out.to_path_buf());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if !out.is_dir() {
                    undo(&created);
                    bail!(
                        "--out {}: exists and is not a directory; expected a directory for the results",
                        out.display()
                    );
                }
            }
            Err(e) => {
                undo(&created);
                return Err(e)
                    .with_context(|| format!("--out {}: cannot create it", out.display()));
            }
        }
        let lock = match Lock::take(out) {
            Ok(l) => l,
            Err(e) => {
                undo(&created);
                return Err(e);
            }
        };
        let staging = parent.join(format!(".{name}.cartkin-staging-{}", std::process::id()));
        let set = ResultSet {
            out: out.to_path_buf(),
            staging,
            command: command.to_string(),
            files: Vec::new(),
            created,
            committed: false,
            _lock: lock,
        };
        set.check_replaceable()?;
        // left-overs of a killed run into the same --out (we hold its lock: nobody else writes)
        remove_leftovers(&parent, &name);
        std::fs::create_dir(&set.staging).with_context(|| {
            format!(
                "--out {}: cannot write next to it ({})",
                out.display(),
                set.staging.display()
            )
        })?;
        pending().staging.push(set.staging.clone());
        Ok(set)
    }

    /// `--out` must be empty or hold only an earlier cartkin result set: every file, at any
    /// depth, listed in its manifest.
    fn check_replaceable(&self) -> Result<()> {
        let mut files = Vec::new();
        list_files(&self.out, "", &mut files)
            .with_context(|| format!("--out {}: cannot read it", self.out.display()))?;
        if files.is_empty() {
            return Ok(());
        }
        let listed = read_manifest_files(&self.out.join(MANIFEST)).unwrap_or_default();
        let foreign: Vec<&String> = files
            .iter()
            .filter(|f| f.as_str() != MANIFEST && !listed.contains(f))
            .collect();
        if foreign.is_empty() {
            return Ok(());
        }
        let shown: Vec<&str> = foreign.iter().take(5).map(|s| s.as_str()).collect();
        bail!(
            "--out {}: holds files that are not part of an earlier cartkin result set ({}{}); \
             the results replace the whole directory, so choose a new or empty directory \
             (or remove those files)",
            self.out.display(),
            shown.join(", "),
            if foreign.len() > 5 { ", ..." } else { "" }
        )
    }

    /// The staging path of `name` (a relative path), its directories created. The staging
    /// directory itself is never re-created: once an interrupt removed it, writes fail.
    fn staged(&mut self, name: &str) -> Result<PathBuf> {
        let relative = Path::new(name);
        if relative.is_absolute()
            || relative
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            bail!("internal: result file name `{name}` must be a relative path");
        }
        let mut dir = self.staging.clone();
        if let Some(parent) = relative.parent() {
            for part in parent.components() {
                dir.push(part);
                match std::fs::create_dir(&dir) {
                    Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                        return Err(e).with_context(|| {
                            format!("{}: cannot create the directory", dir.display())
                        });
                    }
                    _ => {}
                }
            }
        }
        if !self.files.iter().any(|f| f == name) {
            self.files.push(name.to_string());
        }
        Ok(self.staging.join(relative))
    }

    /// Writes `bytes` as `name` (a relative path, e.g. `patients/001_arm.csv`).
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.staged(name)?;
        std::fs::write(&path, bytes).with_context(|| {
            format!(
                "{}: cannot write {name} (the disk may be full)",
                self.out.display()
            )
        })
    }

    /// A file to stream `name` into (for outputs too large to hold in memory).
    pub fn create(&mut self, name: &str) -> Result<std::io::BufWriter<File>> {
        let path = self.staged(name)?;
        let file = File::create(&path)
            .with_context(|| format!("{}: cannot write {name}", self.out.display()))?;
        Ok(std::io::BufWriter::new(file))
    }

    /// Renders `figures` in each of `formats` as `NAME.EXT`.
    pub fn add_figures(
        &mut self,
        figures: &[(String, crate::plot::Figure)],
        formats: &[(crate::plot::ImageFormat, &str)],
    ) -> Result<()> {
        for (name, fig) in figures {
            for (format, ext) in formats {
                let bytes = crate::plot::render(fig, *format)
                    .with_context(|| format!("rendering {name}.{ext}"))?;
                self.add(&format!("{name}.{ext}"), &bytes)?;
            }
        }
        Ok(())
    }

    /// Writes the manifest and replaces `--out` with the staged result set; returns the
    /// final paths of the files, in the order they were added.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        let manifest = serde_json::json!({
            "cartkin": env!("CARGO_PKG_VERSION"),
            "command": self.command,
            "arguments": std::env::args_os()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>(),
            "files": self.files,
        });
        let mut bytes = serde_json::to_vec_pretty(&manifest)?;
        bytes.push(b'\n');
        std::fs::write(self.staging.join(MANIFEST), bytes)
            .with_context(|| format!("{}: cannot write {MANIFEST}", self.out.display()))?;
        sync_tree(&self.staging);
        {
            // no interrupt between the swap and forgetting what it would have to undo
            let mut p = pending();
            swap(&self.staging, &self.out).with_context(|| {
                format!(
                    "--out {}: cannot move the results into place",
                    self.out.display()
                )
            })?;
            self.committed = true;
            p.staging.retain(|s| s != &self.staging);
            p.created.retain(|c| !self.created.contains(c));
        }
        // the staging path now holds the old result set
        remove_tree(&self.staging);
        Ok(self.files.iter().map(|f| self.out.join(f)).collect())
    }

    /// [`ResultSet::commit`], then lists the files written on standard output.
    pub fn commit_and_list(self) -> Result<Vec<PathBuf>> {
        let written = self.commit()?;
        for path in &written {
            crate::outln!("wrote {}", path.display());
        }
        Ok(written)
    }
}

impl Drop for ResultSet {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        let mut p = pending();
        remove_tree(&self.staging);
        p.staging.retain(|s| s != &self.staging);
        // only if still empty: never delete what someone else put there meanwhile
        for path in self.created.iter().rev() {
            let _ = std::fs::remove_dir(path);
            p.created.retain(|c| c != path);
        }
    }
}

/// Creates `dir` and its missing ancestors; returns those it created, outermost first.
fn create_parents(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut d = dir.to_path_buf();
    while !d.as_os_str().is_empty() && !d.exists() {
        missing.push(d.clone());
        if !d.pop() {
            break;
        }
    }
    missing.reverse();
    std::fs::create_dir_all(dir)?;
    pending().created.extend(missing.iter().cloned());
    Ok(missing)
}

/// Every file under `dir` as a path relative to it (`patients/001_a.csv`).
fn list_files(dir: &Path, prefix: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        if e.file_type()?.is_dir() {
            list_files(&e.path(), &format!("{name}/"), out)?;
        } else {
            out.push(name);
        }
    }
    Ok(())
}

/// The `files` list of a cartkin manifest, or `None` if there is none or it is not one.
fn read_manifest_files(path: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(path).ok()?;
    let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
    doc.get("cartkin")?;
    doc.get("files")?
        .as_array()?
        .iter()
        .map(|f| f.as_str().map(str::to_string))
        .collect()
}

/// Removes `.NAME.cartkin-staging-*` directories next to `--out` left by killed runs.
fn remove_leftovers(parent: &Path, name: &str) {
    let prefix = format!(".{name}.cartkin-staging-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            remove_tree(&e.path());
        }
    }
}

/// A run killed between the two renames of the fallback swap left `--out` missing and the
/// previous results in `.NAME.cartkin-aside-PID`: put them back. An aside next to an existing
/// `--out` is the old set of a swap that completed: delete it.
fn restore_aside(parent: &Path, name: &str, out: &Path) {
    let prefix = format!(".{name}.cartkin-aside-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        if !e.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        if out.exists() || std::fs::rename(e.path(), out).is_err() {
            remove_tree(&e.path());
        }
    }
}

/// Flushes the staged files to disk before they replace the old ones, so a crash after the
/// swap cannot leave empty files in place of results.
fn sync_tree(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let path = e.path();
        if path.is_dir() {
            sync_tree(&path);
        } else if let Ok(f) = File::open(&path) {
            let _ = f.sync_all();
        }
    }
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Exchanges the directories `staging` and `out` atomically where the file system can; else
/// moves `out` aside (a name the next run recognises), `staging` into place, and the old set
/// back to `staging`'s name.
fn swap(staging: &Path, out: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, staging, CWD, out, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    swap_by_renames(staging, out)
}

/// [`swap`] on a file system that cannot exchange two names.
fn swap_by_renames(staging: &Path, out: &Path) -> std::io::Result<()> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let aside = staging.with_file_name(format!(".{name}.cartkin-aside-{}", std::process::id()));
    std::fs::rename(out, &aside)?;
    if let Err(e) = std::fs::rename(staging, out) {
        let _ = std::fs::rename(&aside, out);
        return Err(e);
    }
    std::fs::rename(&aside, staging)
}

/// An exclusive advisory lock (`flock`) on the `--out` directory.
struct Lock {
    _dir: Option<File>,
}

impl Lock {
    #[cfg(unix)]
    fn take(out: &Path) -> Result<Self> {
        use rustix::fs::{FlockOperation, flock};
        use std::os::unix::fs::MetadataExt;
        for _ in 0..10 {
            let dir = File::open(out)
                .with_context(|| format!("--out {}: cannot open it", out.display()))?;
            if flock(&dir, FlockOperation::NonBlockingLockExclusive).is_err() {
                bail!(
                    "--out {}: another cartkin run is writing to this directory; wait for it \
                     to finish or choose another --out",
                    out.display()
                );
            }
            // the directory may have been replaced (by a finishing run) between open and lock
            let (Ok(held), Ok(now)) = (dir.metadata(), std::fs::metadata(out)) else {
                continue;
            };
            if held.ino() == now.ino() && held.dev() == now.dev() {
                return Ok(Lock { _dir: Some(dir) });
            }
        }
        bail!(
            "--out {}: the directory keeps changing (other runs?); choose another --out",
            out.display()
        )
    }

    #[cfg(not(unix))]
    fn take(_out: &Path) -> Result<Self> {
        Ok(Lock { _dir: None })
    }
}

/// Free space on the file system holding `dir` [bytes], where the platform tells.
pub fn free_bytes(dir: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        let s = rustix::fs::statvfs(dir).ok()?;
        Some(s.f_bavail.saturating_mul(s.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// Memory available to new allocations [bytes] (Linux `MemAvailable`), where known.
pub fn available_memory_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Human-readable bytes (`1.6 GB`).
pub fn bytes_label(bytes: f64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut v = bytes;
    let mut k = 0;
    while v >= 1000.0 && k + 1 < units.len() {
        v /= 1000.0;
        k += 1;
    }
    if k == 0 {
        format!("{v:.0} {}", units[k])
    } else {
        format!("{v:.1} {}", units[k])
    }
}

/// Refuses a run whose outputs need more disk than the nearest existing ancestor of `dir`
/// has free, and warns (on standard error) before writing more than 1 GB.
pub fn check_output_size(dir: &Path, bytes: f64, what: &str) -> Result<()> {
    let existing = dir
        .ancestors()
        .find(|a| !a.as_os_str().is_empty() && a.exists())
        .unwrap_or(Path::new("."));
    if let Some(free) = free_bytes(existing)
        && bytes > free as f64
    {
        bail!(
            "{what} would write about {} into {}, but only {} is free; \
             choose a smaller run or another --out",
            bytes_label(bytes),
            dir.display(),
            bytes_label(free as f64)
        );
    }
    if bytes > 1e9 {
        crate::errln!(
            "note: {what} will write about {} into {}",
            bytes_label(bytes),
            dir.display()
        );
    }
    Ok(())
}

/// Flushes a streamed file to disk.
pub fn finish(mut w: std::io::BufWriter<File>, name: &str) -> Result<()> {
    w.flush()
        .with_context(|| format!("cannot write {name} (the disk may be full)"))?;
    let file = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {name}: {}", e.error()))?;
    file.sync_all()
        .with_context(|| format!("cannot write {name} (the disk may be full)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn the_fallback_swap_exchanges_and_a_run_killed_halfway_is_undone() {
        let tmp = tempfile::tempdir().unwrap();
        let (out, staging) = (
            tmp.path().join("out"),
            tmp.path().join(".out.cartkin-staging-1"),
        );
        write(&out.join("a.txt"), "old");
        write(&staging.join("a.txt"), "new");
        swap_by_renames(&staging, &out).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "new");
        assert_eq!(
            std::fs::read_to_string(staging.join("a.txt")).unwrap(),
            "old"
        );
        // killed after moving --out aside: the next run puts the previous results back
        std::fs::remove_dir_all(&staging).unwrap();
        let aside = tmp.path().join(".out.cartkin-aside-77");
        std::fs::rename(&out, &aside).unwrap();
        restore_aside(tmp.path(), "out", &out);
        assert_eq!(std::fs::read_to_string(out.join("a.txt")).unwrap(), "new");
        assert!(!aside.exists());
        // an aside next to an existing --out is a finished swap's old set: deleted
        write(&aside.join("b.txt"), "stale");
        restore_aside(tmp.path(), "out", &out);
        assert!(!aside.exists() && out.join("a.txt").is_file());
    }

    #[test]
    fn files_anywhere_in_out_must_be_listed_in_its_manifest() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(&out.join("patients/001.csv"), "x");
        write(
            &out.join(MANIFEST),
            r#"{"cartkin": "0", "files": ["patients/001.csv"]}"#,
        );
        let set = ResultSet::begin(&out, "test").unwrap();
        drop(set);
        write(&out.join("patients/notes.txt"), "mine");
        let err = ResultSet::begin(&out, "test").err().unwrap().to_string();
        assert!(err.contains("patients/notes.txt"), "{err}");
        assert!(out.join("patients/notes.txt").is_file());
    }

    #[test]
    fn a_failed_run_removes_the_directories_it_created_and_refuses_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("a/b/out");
        let set = ResultSet::begin(&out, "test").unwrap();
        drop(set);
        assert!(!tmp.path().join("a").exists(), "parents removed");
        #[cfg(unix)]
        {
            let real = tmp.path().join("real");
            std::fs::create_dir(&real).unwrap();
            let link = tmp.path().join("link");
            std::os::unix::fs::symlink(&real, &link).unwrap();
            let err = ResultSet::begin(&link, "test").err().unwrap().to_string();
            assert!(err.contains("symbolic link"), "{err}");
        }
    }
}
