//! Helpers shared by the end-to-end tests of the `cartkin` binary.

// each test crate uses its own subset
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// What a run of the binary printed and returned.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit code 0 and no panic.
    pub fn assert_ok(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(0),
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "panic on stderr:\n{}",
            self.stderr
        );
        self
    }
}

/// Runs `cartkin ARGS...` with bundled models only and no backtraces.
pub fn cartkin(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_cartkin"))
        .args(args)
        .env_remove("CARTKIN_MODELS")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("the cartkin binary runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Sorted names of everything in `dir`.
pub fn entries_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Sorted result file names in `dir`, without its `manifest.json`, which must list exactly
/// the files of the result set (those in `dir` and its subdirectories). For a subdirectory of
/// a result set (e.g. `patients/`), its parent's manifest is checked.
pub fn files_in(dir: &Path) -> Vec<String> {
    if !dir.join("manifest.json").exists()
        && let Some(parent) = dir.parent()
        && parent.join("manifest.json").exists()
    {
        files_in(parent);
        return entries_in(dir);
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("readable dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "manifest.json")
        .collect();
    names.sort();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("manifest.json")).expect("a manifest.json"),
    )
    .expect("manifest.json is JSON");
    let mut listed: Vec<String> = manifest["files"]
        .as_array()
        .expect("manifest files")
        .iter()
        .map(|f| f.as_str().expect("a file name").to_string())
        .collect();
    listed.sort();
    let mut on_disk: Vec<String> = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, prefix)) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable dir") {
            let e = e.expect("entry");
            let name = format!("{prefix}{}", e.file_name().to_string_lossy());
            if e.path().is_dir() {
                stack.push((e.path(), format!("{name}/")));
            } else if name != "manifest.json" {
                on_disk.push(name);
            }
        }
    }
    on_disk.sort();
    assert_eq!(listed, on_disk, "manifest.json lists the result set");
    names
}

/// Asserts that a usage or input error was reported properly: non-zero exit `code`, every
/// `parts` in stderr, no panic, nothing on stdout claiming a file was written.
pub fn assert_refused(run: &Run, code: i32, parts: &[&str]) {
    assert_eq!(
        run.code,
        Some(code),
        "expected exit code {code}\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        !run.stderr.contains("panicked"),
        "panic instead of an error message:\n{}",
        run.stderr
    );
    assert!(
        !run.stdout.contains("wrote "),
        "claims to have written files:\n{}",
        run.stdout
    );
    for part in parts {
        assert!(
            run.stderr.contains(part),
            "expected `{part}` in stderr:\n{}",
            run.stderr
        );
    }
}

/// A JSON output file, parsed.
pub fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The number at a JSON pointer.
pub fn num(v: &Value, pointer: &str) -> f64 {
    v.pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("no number at {pointer} in {v:#}"))
}
