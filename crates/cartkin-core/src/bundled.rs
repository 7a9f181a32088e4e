//! Files compiled into the library: the bundled models and data, so an installed `cartkin`
//! needs no source tree.
//!
//! A bundled file has a virtual path under [`PREFIX`] (e.g. `<bundled>/models/cart_all.toml`):
//! errors name it like any file, and [`read_to_string`] reads it from memory. Files on disk
//! always win: an explicit path, or a directory named by `$CARTKIN_MODELS` for models.

use std::path::{Path, PathBuf};

/// The first component of every bundled file's virtual path.
pub const PREFIX: &str = "<bundled>";

/// Bundled model files (`models/NAME.toml`).
pub const MODELS: &[(&str, &str)] = &[
    ("cart_all", include_str!("../../../models/cart_all.toml")),
    (
        "cart_all_eliana",
        include_str!("../../../models/cart_all_eliana.toml"),
    ),
    (
        "cart_all_zuma3",
        include_str!("../../../models/cart_all_zuma3.toml"),
    ),
    (
        "cart_dual_eliana",
        include_str!("../../../models/cart_dual_eliana.toml"),
    ),
    (
        "fludarabine_langenhorst_2019",
        include_str!("../../../models/fludarabine_langenhorst_2019.toml"),
    ),
    (
        "leon_triana_2021",
        include_str!("../../../models/leon_triana_2021.toml"),
    ),
    (
        "stein_2019",
        include_str!("../../../models/stein_2019.toml"),
    ),
];

/// Bundled clinical target files (`data/NAME.toml`).
pub const TARGETS: &[(&str, &str)] = &[
    ("eliana", include_str!("../../../data/eliana.toml")),
    ("zuma3", include_str!("../../../data/zuma3.toml")),
];

/// Bundled population files (`data/populations/NAME.toml`).
pub const POPULATIONS: &[(&str, &str)] = &[(
    "zuma3_adults",
    include_str!("../../../data/populations/zuma3_adults.toml"),
)];

/// Bundled datasets (`data/NAME.csv`).
pub const DATASETS: &[(&str, &str)] = &[(
    "synthetic_eliana_ck",
    include_str!("../../../data/synthetic_eliana_ck.csv"),
)];

/// A kind of bundled file: where it lives in the source tree and its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `models/NAME.toml`.
    Model,
    /// `data/NAME.toml` (clinical targets).
    Targets,
    /// `data/populations/NAME.toml`.
    Population,
    /// `data/NAME.csv`.
    Dataset,
}

impl Kind {
    fn table(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Model => MODELS,
            Kind::Targets => TARGETS,
            Kind::Population => POPULATIONS,
            Kind::Dataset => DATASETS,
        }
    }

    fn folder_and_extension(self) -> (&'static str, &'static str) {
        match self {
            Kind::Model => ("models", "toml"),
            Kind::Targets => ("data", "toml"),
            Kind::Population => ("data/populations", "toml"),
            Kind::Dataset => ("data", "csv"),
        }
    }

    /// The bundled names of this kind.
    pub fn names(self) -> Vec<&'static str> {
        self.table().iter().map(|(n, _)| *n).collect()
    }
}

/// The virtual path of bundled file `name` of `kind`, if there is one.
pub fn path(kind: Kind, name: &str) -> Option<PathBuf> {
    kind.table().iter().find(|(n, _)| *n == name).map(|(n, _)| {
        let (folder, ext) = kind.folder_and_extension();
        PathBuf::from(format!("{PREFIX}/{folder}/{n}.{ext}"))
    })
}

/// The text of a bundled file by its virtual path.
pub fn text(path: &Path) -> Option<&'static str> {
    let rest = path.to_str()?.strip_prefix(PREFIX)?.strip_prefix('/')?;
    for kind in [Kind::Model, Kind::Targets, Kind::Population, Kind::Dataset] {
        let (folder, ext) = kind.folder_and_extension();
        let Some(stem) = rest
            .strip_prefix(folder)
            .and_then(|r| r.strip_prefix('/'))
            .and_then(|r| r.strip_suffix(&format!(".{ext}")))
        else {
            continue;
        };
        if let Some((_, t)) = kind.table().iter().find(|(n, _)| *n == stem) {
            return Some(t);
        }
    }
    None
}

/// Whether `path` names a bundled file.
pub fn is_bundled(path: &Path) -> bool {
    text(path).is_some()
}

/// Reads a file from disk, or a bundled file from memory.
pub fn read_to_string(path: &Path) -> std::io::Result<String> {
    match text(path) {
        Some(t) => Ok(t.to_string()),
        None => std::fs::read_to_string(path),
    }
}

/// Why a text file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// The file is not UTF-8 text: the 1-based line of the first byte that is not.
    NotUtf8 {
        /// Line of the first invalid byte.
        line: usize,
    },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "cannot read file: {e}"),
            ReadError::NotUtf8 { .. } => {
                f.write_str("the file is not valid UTF-8 text; re-save it as UTF-8")
            }
        }
    }
}

/// Reads a text file (or a bundled one), naming the line of the first byte that is not UTF-8.
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    if let Some(t) = text(path) {
        return Ok(t.to_string());
    }
    let bytes = std::fs::read(path).map_err(ReadError::Io)?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let head = e.as_bytes().get(..valid).unwrap_or_default();
        ReadError::NotUtf8 {
            line: head.iter().filter(|b| **b == b'\n').count() + 1,
        }
    })
}

/// `NAME|PATH` of a file of `kind`: an existing file, else a bundled name. `None` when it is
/// neither (the caller names what exists).
pub fn resolve(kind: Kind, name_or_path: &str) -> Option<PathBuf> {
    let as_path = Path::new(name_or_path);
    if as_path.is_file() || is_bundled(as_path) {
        return Some(as_path.to_path_buf());
    }
    path(kind, name_or_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_file_reads_back_by_its_virtual_path() {
        for kind in [Kind::Model, Kind::Targets, Kind::Population, Kind::Dataset] {
            for name in kind.names() {
                let p = path(kind, name).unwrap();
                assert!(p.starts_with(PREFIX), "{}", p.display());
                assert!(!read_to_string(&p).unwrap().is_empty(), "{}", p.display());
            }
        }
        assert!(text(Path::new("<bundled>/models/no_such.toml")).is_none());
        assert!(text(Path::new("models/cart_all.toml")).is_none());
    }
}
