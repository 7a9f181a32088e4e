//! Writing result files without ever leaving a half-written one.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Files rendered in memory, written together once everything succeeded.
#[derive(Default)]
pub struct Outputs {
    files: Vec<(PathBuf, Vec<u8>)>,
    /// Files written while the run went on, waiting in temporary files to be renamed.
    streamed: Vec<(PathBuf, tempfile::NamedTempFile)>,
}

impl Outputs {
    /// Queues `bytes` for `dir/name`.
    pub fn add(&mut self, dir: &Path, name: &str, bytes: Vec<u8>) {
        self.files.push((dir.join(name), bytes));
    }

    /// A temporary file in `dir` (created if needed) for output too large to hold in memory;
    /// hand it back with [`Outputs::add_streamed`]. Dropped without that, it is deleted.
    pub fn temp_file_in(dir: &Path) -> Result<tempfile::NamedTempFile> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create the output directory", dir.display()))?;
        tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("{}: cannot write in the output directory", dir.display()))
    }

    /// Queues a finished temporary file (from [`Outputs::temp_file_in`] with the same `dir`)
    /// to be renamed to `dir/name` with the other files.
    pub fn add_streamed(&mut self, dir: &Path, name: &str, file: tempfile::NamedTempFile) {
        self.streamed.push((dir.join(name), file));
    }

    /// Renders `figures` in each of `formats` and queues them as `dir/NAME.EXT`.
    pub fn add_figures(
        &mut self,
        dir: &Path,
        figures: &[(String, crate::plot::Figure)],
        formats: &[(crate::plot::ImageFormat, &str)],
    ) -> Result<()> {
        for (name, fig) in figures {
            for (format, ext) in formats {
                let bytes = crate::plot::render(fig, *format)
                    .with_context(|| format!("rendering {name}.{ext}"))?;
                self.add(dir, &format!("{name}.{ext}"), bytes);
            }
        }
        Ok(())
    }

    /// [`Outputs::commit`], then lists the files written on standard output.
    pub fn commit_and_list(self, dir: &Path) -> Result<()> {
        for path in self.commit(dir)? {
            println!("wrote {}", path.display());
        }
        Ok(())
    }

    /// Creates `dir` and writes every file through a temporary file in the same directory,
    /// renamed into place, so a reader never sees a partial file.
    pub fn commit(self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create the output directory", dir.display()))?;
        let mut written = Vec::new();
        for (path, bytes) in self.files {
            // files may go to a subdirectory (e.g. scenario patient tables)
            let parent = path.parent().unwrap_or(dir);
            std::fs::create_dir_all(parent)
                .with_context(|| format!("{}: cannot create the directory", parent.display()))?;
            let mut tmp = tempfile::NamedTempFile::new_in(parent).with_context(|| {
                format!("{}: cannot write in the output directory", parent.display())
            })?;
            tmp.write_all(&bytes)
                .and_then(|()| tmp.flush())
                .with_context(|| format!("{}: cannot write", path.display()))?;
            written.push(persist(tmp, path)?);
        }
        for (path, tmp) in self.streamed {
            written.push(persist(tmp, path)?);
        }
        Ok(written)
    }
}

/// Gives a finished temporary file ordinary permissions and renames it to `path`.
fn persist(tmp: tempfile::NamedTempFile, path: PathBuf) -> Result<PathBuf> {
    ordinary_permissions(tmp.as_file())
        .with_context(|| format!("{}: cannot write", path.display()))?;
    tmp.persist(&path).with_context(|| {
        format!(
            "{}: cannot move the finished file into place",
            path.display()
        )
    })?;
    Ok(path)
}

/// Temporary files are created private (0600); results are ordinary files (0644).
#[cfg(unix)]
fn ordinary_permissions(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn ordinary_permissions(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}
