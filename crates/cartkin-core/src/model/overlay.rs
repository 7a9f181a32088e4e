//! Writing a model file that extends another: what `cartkin fit` and `cartkin calibrate`
//! produce. Only what changed is written (values, variability, outcome settings, a population),
//! each parameter with the source of its change; the base stays the single place of
//! everything else. Built with `toml_edit`, so strings are quoted and numbers written as TOML
//! reads them back exactly.

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, value};

use super::spec::Variability;

/// A change to one parameter of the base.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterChange {
    /// The parameter.
    pub name: String,
    /// Its new typical value.
    pub value: Option<f64>,
    /// Its new between-patient variability.
    pub variability: Option<Variability>,
    /// Why it changed (what estimated it, on which data).
    pub source: String,
}

/// A model file that extends `extends` with some changes.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// The base model: a name, or a path (absolute, or relative to where the file is written).
    pub extends: String,
    /// The new model's name.
    pub name: String,
    /// Its title (the base's when `None`).
    pub title: Option<String>,
    /// Comment lines at the top of the file.
    pub comments: Vec<String>,
    /// Parameter changes, in order.
    pub parameters: Vec<ParameterChange>,
    /// Outcome settings replaced, e.g. `crs_grade_edges` (name, TOML value).
    pub outcomes: Vec<(String, toml_edit::Value)>,
    /// A `[population]` table (TOML text), if any: merged key by key with the base's, unless
    /// `unset` names `population`.
    pub population: Option<String>,
    /// Keys or tables of the base removed before the overlay is laid over it (`model.unset`).
    pub unset: Vec<String>,
}

impl Overlay {
    /// An overlay of `extends` named `name`, with no change yet.
    pub fn new(extends: impl Into<String>, name: impl Into<String>) -> Self {
        Overlay {
            extends: extends.into(),
            name: name.into(),
            title: None,
            comments: Vec::new(),
            parameters: Vec::new(),
            outcomes: Vec::new(),
            population: None,
            unset: Vec::new(),
        }
    }

    /// The model file's text.
    pub fn to_toml(&self) -> String {
        let mut doc = DocumentMut::new();
        let mut model = Table::new();
        model.insert("name", value(&self.name));
        model.insert("extends", value(&self.extends));
        if let Some(title) = &self.title {
            model.insert("title", value(title));
        }
        if !self.unset.is_empty() {
            let mut a = Array::new();
            for u in &self.unset {
                a.push(u.as_str());
            }
            model.insert("unset", value(a));
        }
        doc.insert("model", Item::Table(model));
        if !self.parameters.is_empty() {
            let mut parameters = ArrayOfTables::new();
            for p in &self.parameters {
                let mut t = Table::new();
                t.insert("name", value(&p.name));
                if let Some(v) = p.value {
                    t.insert("value", value(v));
                }
                if let Some(v) = &p.variability {
                    t.insert("variability", value(variability(v)));
                }
                t.insert("source", value(&p.source));
                parameters.push(t);
            }
            doc.insert("parameters", Item::ArrayOfTables(parameters));
        }
        if !self.outcomes.is_empty() {
            let mut outcomes = Table::new();
            for (key, v) in &self.outcomes {
                outcomes.insert(key, value(v.clone()));
            }
            doc.insert("outcomes", Item::Table(outcomes));
        }
        let mut text = String::new();
        for c in &self.comments {
            // a comment is one line: a newline in it (a trial name, a path) would end it
            for line in c.lines() {
                text.push_str(&format!("# {line}\n"));
            }
        }
        text.push_str(&doc.to_string());
        if let Some(p) = &self.population {
            text.push('\n');
            text.push_str(p);
        }
        text
    }
}

/// A variability as the inline table of a parameter.
fn variability(v: &Variability) -> InlineTable {
    let mut t = InlineTable::new();
    t.insert("distribution", v.distribution.as_str().into());
    if let Some(w) = v.omega2 {
        t.insert("omega2", w.into());
    }
    if let Some(cv) = v.cv {
        t.insert("cv", cv.into());
    }
    // an inline table replaces the base's whole under `extends`: the effect must be repeated
    if let Some(effect) = &v.shared {
        t.insert("shared", effect.as_str().into());
    }
    t
}

/// A list of numbers as a TOML array (e.g. CRS grade edges).
pub fn numbers(values: &[f64]) -> toml_edit::Value {
    let mut a = Array::new();
    for v in values {
        a.push(*v);
    }
    toml_edit::Value::Array(a)
}

/// How an overlay names its base: a bundled model by its name; any other by the absolute
/// path of its file, so that what the overlay means does not depend on where it is read
/// (`$CARTKIN_MODELS`, the working directory) or on a later file of the same name.
pub fn base_reference(asked: &str, path: &std::path::Path) -> String {
    if crate::bundled::is_bundled(path) {
        return path
            .file_stem()
            .map_or_else(|| asked.to_string(), |s| s.to_string_lossy().into_owned());
    }
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// Whether writing an overlay of `base` (its extends chain `chain`) to `written_to` would
/// replace a file of the chain: the new file would then extend itself.
pub fn replaces_its_base(chain: &[std::path::PathBuf], written_to: &std::path::Path) -> bool {
    let canonical = |p: &std::path::Path| {
        // the output may not exist yet: compare its folder's canonical path and its name
        let dir = p.parent().and_then(|d| std::fs::canonicalize(d).ok());
        dir.zip(p.file_name()).map(|(d, n)| d.join(n))
    };
    let target = canonical(written_to);
    target.is_some() && chain.iter().any(|p| canonical(p) == target)
}
