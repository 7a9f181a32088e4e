//! Model files that extend each other.
//!
//! A file whose `[model]` table says `extends = "cart_all"` lists only what differs from its
//! base: the base is read (and, if it extends another, resolved first), then the file's tables
//! are laid over it:
//!
//! - a key replaces the base's key; tables merge key by key (`[defaults.patient]`,
//!   `[outcomes]`, `[population]`, `[population.covariates]`, ...), except
//!   `[population.dose]`, a rule replaced whole;
//! - `[[parameters]]`, `[[states]]` and `[[observables]]` entries are matched by `name`, and
//!   `[[plot.panels]]` by `title`: an entry of the base is updated key by key (`value`,
//!   `lower`, `upper`, `variability`, `source`, `series`, ...), a new one follows the entry the file lists before it (else goes at the end);
//! - `references` are added to the base's; other arrays (`calibrate`, `crs_grade_edges`, ...)
//!   replace the base's;
//! - `unset = ["population", "defaults.dose_per_kg"]` in `[model]` removes keys or whole
//!   tables of the base first: a table the file then writes replaces the base's whole, and a
//!   key can give way to another (`dose_cells` for `dose_per_kg`);
//! - a file that names another `structure` keeps, of the base's states, parameters and
//!   observables, those the structure has, in its order.
//!
//! The result is one model file ([`Resolved::text`]) that the model reader validates as usual;
//! every line of it remembers the file and line it came from, so an error names the line a
//! user wrote, in whichever file of the chain. `extends` is a name (the file `NAME.toml` next
//! to the extending file, else a model found as `--model NAME` finds it) or a path relative to
//! the extending file. Chains are at most [`MAX_CHAIN`] files long and may not loop.

use std::path::{Path, PathBuf};

use toml_edit::{Document, Item, Table as EditTable};

use super::builtin;
use crate::error::{InputError, Location};

/// Most files in an `extends` chain (the file itself included).
pub const MAX_CHAIN: usize = 8;

/// A model file with its `extends` chain resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// A complete model file: the chain's tables laid over each other.
    pub text: String,
    /// Where each line of `text` came from.
    origins: Vec<Location>,
    /// The lines of `text` that belong to a value written over several lines (a multi-line
    /// string or array), where a comment would be part of the value.
    multiline: Vec<bool>,
    /// The files of the chain, the first base first and the file itself last.
    pub chain: Vec<PathBuf>,
    /// Line of `extends` in the file itself.
    extends_line: Option<usize>,
}

impl Resolved {
    /// Reads the model file at `path` and the files it extends.
    pub fn load(path: &Path) -> Result<Self, InputError> {
        let text = crate::bundled::read_text(path).map_err(|e| InputError::from_read(path, e))?;
        Self::parse(path, &text)
    }

    /// [`Resolved::load`] from the text of the file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, InputError> {
        resolve(path, text, &mut Vec::new())
    }

    /// Where line `line` (1-based) of [`Resolved::text`] came from.
    pub fn origin(&self, line: usize) -> Option<&Location> {
        line.checked_sub(1).and_then(|k| self.origins.get(k))
    }

    /// An error about [`Resolved::text`], placed where the user wrote the offending line:
    /// in the file itself, or, for a line inherited from a file it extends, at its `extends`
    /// with the inherited line named (a missing or misplaced entry is the extending file's to
    /// fix, a wrong inherited line its base's).
    pub fn place(&self, error: InputError) -> InputError {
        let line = error.location().and_then(|l| l.line);
        let error = error.relocate(
            |location| match location.line.and_then(|l| self.origin(l)) {
                Some(origin) => origin.clone(),
                // about the whole model (an entry missing): at the `extends` that made it
                None if location.line.is_none() && self.extends() => Location {
                    path: location.path.clone(),
                    line: self.extends_line,
                },
                None => location.clone(),
            },
        );
        match line.map(|l| self.report_at(l)) {
            Some((at, Some(_))) => InputError::Inherited {
                location: at,
                error: Box::new(error),
            },
            _ => error,
        }
    }

    /// Where to report line `line` of [`Resolved::text`]: the line of the file itself it came
    /// from; or, for a line inherited from a file it extends, the file's `extends` line, with
    /// the inherited location.
    pub fn report_at(&self, line: usize) -> (Location, Option<Location>) {
        let file = self.chain.last().cloned().unwrap_or_default();
        match self.origin(line) {
            Some(origin) if origin.path != file => (
                Location {
                    path: file,
                    line: self.extends_line,
                },
                Some(origin.clone()),
            ),
            Some(origin) => (origin.clone(), None),
            None => (
                Location {
                    path: file,
                    line: Some(line),
                },
                None,
            ),
        }
    }

    /// Whether line `line` (1-based) of [`Resolved::text`] is part of a value written over
    /// several lines.
    pub fn in_multiline_value(&self, line: usize) -> bool {
        line.checked_sub(1)
            .and_then(|k| self.multiline.get(k))
            .copied()
            .unwrap_or(false)
    }

    /// Whether the resolved model has the top-level table `name` (e.g. `population`).
    pub fn has_table(&self, name: &str) -> bool {
        Document::parse(self.text.as_str())
            .map(|d| d.get(name).is_some_and(Item::is_table))
            .unwrap_or(false)
    }

    /// Whether the file extends another.
    pub fn extends(&self) -> bool {
        self.chain.len() > 1
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The byte offset of each line's start, so that the line of many offsets costs a binary search
/// each: counting newlines up to every value's offset was quadratic in a file's length (a
/// quarter of `cartkin simulate`'s time on cart_all's 800 lines).
struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        LineIndex {
            starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
            len: text.len(),
        }
    }

    /// The 1-based line of a byte offset, as [`line_of`] counts it.
    fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        self.starts.partition_point(|&s| s <= offset)
    }
}

/// A plain file: its own text, every line its own origin.
fn plain(path: &Path, text: &str) -> Resolved {
    let lines = text.split('\n').count();
    let mut multiline = vec![false; lines];
    if let Ok(doc) = Document::parse(text) {
        mark_multiline(doc.as_table(), &LineIndex::new(text), &mut multiline);
    }
    Resolved {
        extends_line: None,
        multiline,
        text: text.to_string(),
        origins: (1..=lines)
            .map(|line| Location {
                path: path.to_path_buf(),
                line: Some(line),
            })
            .collect(),
        chain: vec![path.to_path_buf()],
    }
}

/// Marks the lines of every value written over several lines (a multi-line string or array).
fn mark_multiline(table: &EditTable, lines: &LineIndex, marks: &mut [bool]) {
    for (_, item) in table.iter() {
        match item {
            Item::Value(v) => {
                if let Some(span) = v.span() {
                    let (first, last) = (lines.line(span.start), lines.line(span.end));
                    if last > first {
                        for m in marks.iter_mut().take(last).skip(first - 1) {
                            *m = true;
                        }
                    }
                }
            }
            Item::Table(t) => mark_multiline(t, lines, marks),
            Item::ArrayOfTables(a) => a.iter().for_each(|t| mark_multiline(t, lines, marks)),
            Item::None => {}
        }
    }
}

fn syntax(path: &Path, text: &str, e: &toml_edit::TomlError) -> InputError {
    InputError::Syntax {
        location: match e.span() {
            Some(span) => Location::at_offset(path, text, span.start),
            None => Location::file(path),
        },
        message: e.message().trim().to_string(),
    }
}

fn resolve(path: &Path, text: &str, seen: &mut Vec<PathBuf>) -> Result<Resolved, InputError> {
    let doc = Document::parse(text).map_err(|e| syntax(path, text, &e))?;
    let Some((extends, at)) = extends_of(&doc, path, text)? else {
        return Ok(plain(path, text));
    };
    let invalid = |expected: &str, found: String| InputError::Invalid {
        location: Location::at_offset(path, text, at),
        field: "model.extends".into(),
        expected: expected.into(),
        found,
    };
    seen.push(path.to_path_buf());
    let base_path = base_path(path, &extends).map_err(|e| invalid(&e, extends.clone()))?;
    if seen.iter().any(|p| same_file(p, &base_path)) {
        let chain: Vec<String> = seen.iter().map(|p| p.display().to_string()).collect();
        return Err(invalid(
            "a chain of files that does not loop",
            format!("{} -> {}", chain.join(" -> "), base_path.display()),
        ));
    }
    if seen.len() >= MAX_CHAIN {
        return Err(invalid(
            &format!("a chain of at most {MAX_CHAIN} files"),
            format!("{} files", seen.len() + 1),
        ));
    }
    let base = resolve(
        &base_path,
        &crate::bundled::read_text(&base_path).map_err(|e| InputError::from_read(&base_path, e))?,
        seen,
    )
    .map_err(|e| InputError::Inherited {
        location: Location::at_offset(path, text, at),
        error: Box::new(e),
    })?;
    let base_doc = Document::parse(base.text.as_str()).map_err(|e| {
        // the text of a resolved chain is TOML by construction
        base.place(syntax(&base_path, &base.text, &e))
    })?;
    let base_lines = LineIndex::new(&base.text);
    let mut tree = Table::of(
        base_doc.as_table(),
        &|offset| {
            base.origin(base_lines.line(offset))
                .cloned()
                .unwrap_or_else(|| Location::file(&base_path))
        },
        &base.text,
        false,
    );
    let lines = LineIndex::new(text);
    let mut over = Table::of(
        doc.as_table(),
        &|offset| Location {
            path: path.to_path_buf(),
            line: Some(lines.line(offset)),
        },
        text,
        true,
    );
    if over
        .get("model")
        .and_then(Node::as_table)
        .and_then(|m| m.get("name"))
        .is_none()
    {
        return Err(InputError::Invalid {
            location: Location::at_offset(path, text, at),
            field: "model.name".into(),
            expected: "a name of its own in a file that extends another".into(),
            found: "none (it would take its base's name)".into(),
        });
    }
    tree.unset(&mut over)?;
    tree.merge(over, "")?;
    tree.remove_extends();
    tree.fit_structure()?;
    let mut out = Emitted::default();
    tree.emit("", &mut out);
    let mut chain = base.chain;
    chain.push(path.to_path_buf());
    Ok(Resolved {
        extends_line: Some(line_of(text, at)),
        text: out.text,
        origins: out.origins,
        multiline: out.multiline,
        chain,
    })
}

/// `model.extends` and its byte offset, if the file has one.
fn extends_of(
    doc: &Document<&str>,
    path: &Path,
    text: &str,
) -> Result<Option<(String, usize)>, InputError> {
    let Some(model) = doc.get("model").and_then(Item::as_table) else {
        return Ok(None);
    };
    let Some((key, item)) = model.get_key_value("extends") else {
        return Ok(None);
    };
    let at = key.span().map_or(0, |s| s.start);
    match item.as_str() {
        Some(name) if !name.trim().is_empty() => Ok(Some((name.to_string(), at))),
        _ => Err(InputError::Invalid {
            location: Location::at_offset(path, text, at),
            field: "model.extends".into(),
            expected: "the name or path of a model file".into(),
            found: item.to_string().trim().to_string(),
        }),
    }
}

/// The file `extends` names: a path relative to the extending file, else `NAME.toml` next to
/// it, else the model `--model NAME` would find.
fn base_path(from: &Path, extends: &str) -> Result<PathBuf, String> {
    let dir = from.parent().unwrap_or(Path::new(""));
    let looks_like_path = extends.contains('/') || extends.ends_with(".toml");
    let candidate = if looks_like_path {
        dir.join(extends)
    } else {
        dir.join(format!("{extends}.toml"))
    };
    if candidate.is_file() || crate::bundled::is_bundled(&candidate) {
        return Ok(candidate);
    }
    if looks_like_path {
        return Err(format!(
            "an existing model file (relative to {})",
            dir.display()
        ));
    }
    super::resolve(extends).map_err(|_| "the name of a model file, or a path to one".into())
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

/// A table of the tree: its entries in order, the line of its header, and whether it comes
/// from the extending file (a keyed entry it names).
#[derive(Debug, Clone)]
struct Table {
    origin: Location,
    entries: Vec<(String, Node)>,
    from_override: bool,
}

#[derive(Debug, Clone)]
enum Node {
    /// A value as written (verbatim, possibly over several lines), where it was written.
    Value {
        text: String,
        origin: Location,
    },
    Table(Table),
    Array(Vec<Table>),
}

impl Node {
    fn as_table(&self) -> Option<&Table> {
        match self {
            Node::Table(t) => Some(t),
            _ => None,
        }
    }
}

/// Arrays of tables whose entries are matched by a key (`name`; a panel by its `title`).
const KEYED: [(&str, &str); 4] = [
    ("parameters", "name"),
    ("states", "name"),
    ("observables", "name"),
    ("plot.panels", "title"),
];
/// Tables an extending file replaces whole.
const REPLACED: [&str; 1] = ["population.dose"];
/// Arrays an extending file adds to (a derived model cites its base's references too).
const APPENDED: [&str; 1] = ["model.references"];

impl Table {
    fn of(
        t: &EditTable,
        origin_at: &dyn Fn(usize) -> Location,
        raw: &str,
        from_override: bool,
    ) -> Table {
        let mut entries = Vec::new();
        let mut first: Option<Location> = None;
        for (key, item) in t.iter() {
            let key_span = t.key(key).and_then(|k| k.span());
            let node = match item {
                Item::Value(v) => {
                    let span = v.span().or(key_span.clone());
                    let text = span
                        .as_ref()
                        .and_then(|s| raw.get(s.clone()))
                        .map_or_else(|| v.to_string().trim().to_string(), str::to_string);
                    let at = key_span.as_ref().map_or(0, |s| s.start);
                    Some(Node::Value {
                        text,
                        origin: origin_at(at),
                    })
                }
                Item::Table(sub) => {
                    Some(Node::Table(Table::of(sub, origin_at, raw, from_override)))
                }
                Item::ArrayOfTables(a) => Some(Node::Array(
                    a.iter()
                        .map(|sub| Table::of(sub, origin_at, raw, from_override))
                        .collect(),
                )),
                Item::None => None,
            };
            if let Some(node) = node {
                if first.is_none() {
                    first = Some(match &node {
                        Node::Value { origin, .. } => origin.clone(),
                        Node::Table(t) => t.origin.clone(),
                        Node::Array(a) => {
                            a.first().map_or_else(|| origin_at(0), |t| t.origin.clone())
                        }
                    });
                }
                entries.push((key.to_string(), node));
            }
        }
        let origin = t
            .span()
            .map(|s| origin_at(s.start))
            .or(first)
            .unwrap_or_else(|| origin_at(0));
        Table {
            origin,
            entries,
            from_override,
        }
    }

    fn get(&self, key: &str) -> Option<&Node> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, n)| n)
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, n)| n)
    }

    /// The string value of `field` (an entry's `name`, a panel's `title`).
    fn string(&self, field: &str) -> Option<String> {
        match self.get(field) {
            Some(Node::Value { text, .. }) => string_value(text),
            _ => None,
        }
    }

    /// Lays `over` over this table (see the module documentation).
    fn merge(&mut self, over: Table, path: &str) -> Result<(), InputError> {
        for (key, node) in over.entries {
            let at = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            match (self.get_mut(&key), node) {
                (Some(Node::Table(base)), Node::Table(t)) if !REPLACED.contains(&at.as_str()) => {
                    base.merge(t, &at)?;
                }
                (Some(Node::Array(base)), Node::Array(entries))
                    if KEYED.iter().any(|(k, _)| *k == at) =>
                {
                    let field = KEYED.iter().find(|(k, _)| *k == at).map_or("name", |k| k.1);
                    merge_keyed(base, entries, field, &at)?;
                }
                (
                    Some(Node::Value {
                        text: base,
                        origin: base_origin,
                    }),
                    Node::Value { text, origin },
                ) if APPENDED.contains(&at.as_str()) => {
                    *base = appended(base, &text).unwrap_or(text);
                    *base_origin = origin;
                }
                (Some(slot), node) => *slot = node,
                (None, node) => self.entries.push((key, node)),
            }
        }
        Ok(())
    }

    /// Removes what the extending file's `model.unset` names from the base (before the file
    /// is laid over it): a key, or a whole table, by its dotted path. A path the base does
    /// not have is refused at the `unset` line, so a misspelt one cannot silently keep the
    /// base's value.
    fn unset(&mut self, over: &mut Table) -> Result<(), InputError> {
        let Some(Node::Table(model)) = over.get_mut("model") else {
            return Ok(());
        };
        let Some(i) = model.entries.iter().position(|(k, _)| k == "unset") else {
            return Ok(());
        };
        let (_, node) = model.entries.remove(i);
        let Node::Value { text, origin } = node else {
            return Err(unset_error(
                origin_of(&node),
                "a list of dotted key paths",
                "a table",
            ));
        };
        let paths: Option<Vec<String>> = match text.parse::<toml_edit::Value>() {
            Ok(toml_edit::Value::Array(a)) => {
                a.iter().map(|v| v.as_str().map(str::to_string)).collect()
            }
            _ => None,
        };
        let Some(paths) = paths else {
            return Err(unset_error(
                origin,
                "a list of dotted key paths, e.g. [\"population\", \"defaults.dose_per_kg\"]",
                &text,
            ));
        };
        for path in paths {
            if !self.remove_path(&path) {
                return Err(unset_error(
                    origin,
                    "dotted paths of keys or tables the base has (arrays of tables cannot be unset)",
                    &path,
                ));
            }
        }
        Ok(())
    }

    /// Removes the key or table at a dotted path; whether it was there.
    fn remove_path(&mut self, path: &str) -> bool {
        match path.split_once('.') {
            None => {
                let before = self.entries.len();
                self.entries
                    .retain(|(k, n)| k != path || matches!(n, Node::Array(_)));
                self.entries.len() < before
            }
            Some((head, rest)) => match self.get_mut(head) {
                Some(Node::Table(t)) => t.remove_path(rest),
                _ => false,
            },
        }
    }

    /// `extends` has been followed: it is not part of the resolved model.
    fn remove_extends(&mut self) {
        if let Some(Node::Table(model)) = self.get_mut("model") {
            model.entries.retain(|(k, _)| k != "extends");
        }
    }

    /// Keeps, of the base's states, parameters and observables, those of the structure the
    /// file names, in the structure's order; an entry of the extending file the structure
    /// does not have is refused at its line (a misspelt name would otherwise read as a new,
    /// incomplete entry).
    fn fit_structure(&mut self) -> Result<(), InputError> {
        let structure = match self
            .get("model")
            .and_then(Node::as_table)
            .and_then(|m| m.get("structure"))
        {
            Some(Node::Value { text, .. }) => string_value(text),
            _ => None,
        };
        let Some(structure) = structure.and_then(|s| builtin::find(&s)) else {
            // an unknown structure is the reader's to report
            return Ok(());
        };
        for (key, kind, names, order) in [
            ("states", "state", structure.states(), true),
            ("parameters", "parameter", structure.parameters(), false),
            ("observables", "observable", structure.observables(), true),
        ] {
            let Some(Node::Array(entries)) = self.get_mut(key) else {
                continue;
            };
            let position = |t: &Table| {
                t.string("name")
                    .and_then(|n| names.iter().position(|s| *s == n))
            };
            if let Some(stray) = entries
                .iter()
                .find(|t| t.from_override && position(t).is_none())
            {
                return Err(InputError::Unknown {
                    location: stray.origin.clone(),
                    kind,
                    name: stray.string("name").unwrap_or_default(),
                    available: format!(
                        "the {key} of structure `{}`: {}",
                        structure.id(),
                        names.join(", ")
                    ),
                });
            }
            entries.retain(|t| position(t).is_some());
            if order {
                entries.sort_by_key(|t| position(t).unwrap_or(usize::MAX));
            }
        }
        Ok(())
    }

    /// Writes the table's keys, then its sub-tables, then its arrays of tables.
    fn emit(&self, path: &str, out: &mut Emitted) {
        for (key, node) in &self.entries {
            if let Node::Value { text, origin } = node {
                out.push(&format!("{} = {text}", key_text(key)), origin);
            }
        }
        for (key, node) in &self.entries {
            let at = join(path, key);
            match node {
                Node::Table(t) => {
                    out.push(&format!("[{at}]"), &t.origin);
                    t.emit(&at, out);
                }
                Node::Array(tables) => {
                    for t in tables {
                        out.push(&format!("[[{at}]]"), &t.origin);
                        t.emit(&at, out);
                    }
                }
                Node::Value { .. } => {}
            }
        }
    }
}

/// The base's array followed by the extending file's (entries already in the base once), as
/// one TOML array; `None` if either is not an array (the reader then reports the value).
fn appended(base: &str, over: &str) -> Option<String> {
    let (Ok(toml_edit::Value::Array(mut a)), Ok(toml_edit::Value::Array(b))) = (
        base.parse::<toml_edit::Value>(),
        over.parse::<toml_edit::Value>(),
    ) else {
        return None;
    };
    for v in b.iter() {
        let text = v.to_string();
        if !a.iter().any(|x| x.to_string().trim() == text.trim()) {
            a.push_formatted(v.clone());
        }
    }
    a.fmt();
    Some(a.to_string())
}

fn unset_error(origin: Location, expected: &str, found: &str) -> InputError {
    InputError::Invalid {
        location: origin,
        field: "model.unset".into(),
        expected: expected.into(),
        found: found.into(),
    }
}

fn origin_of(node: &Node) -> Location {
    match node {
        Node::Value { origin, .. } => origin.clone(),
        Node::Table(t) => t.origin.clone(),
        Node::Array(a) => a
            .first()
            .map_or_else(|| Location::file(Path::new("")), |t| t.origin.clone()),
    }
}

fn merge_keyed(
    base: &mut Vec<Table>,
    entries: Vec<Table>,
    field: &str,
    at: &str,
) -> Result<(), InputError> {
    // a new entry follows the one the extending file lists before it (else goes at the end),
    // so that a file can insert a panel where it belongs
    let mut after: Option<usize> = None;
    let mut named: Vec<String> = Vec::new();
    for entry in entries {
        let key = entry.string(field);
        if let Some(k) = &key {
            // listed twice, the second entry would silently win over the first
            if named.contains(k) {
                return Err(InputError::Invalid {
                    location: entry.origin.clone(),
                    field: format!("{at}.{field}"),
                    expected: format!("each entry once (by its `{field}`)"),
                    found: format!("`{k}` a second time"),
                });
            }
            named.push(k.clone());
        }
        match base
            .iter()
            .position(|b| key.is_some() && b.string(field) == key)
        {
            Some(i) => {
                base[i].from_override = true;
                base[i].merge(entry, "")?;
                after = Some(i);
            }
            None => {
                let at = after.map_or(base.len(), |i| i + 1);
                base.insert(at, entry);
                after = Some(at);
            }
        }
    }
    Ok(())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key_text(key)
    } else {
        format!("{path}.{}", key_text(key))
    }
}

/// A key as TOML writes it (quoted when it is not a bare key).
fn key_text(key: &str) -> String {
    toml_edit::Key::new(key).display_repr().into_owned()
}

/// The resolved text and the origin of each of its lines.
#[derive(Default)]
struct Emitted {
    text: String,
    origins: Vec<Location>,
    multiline: Vec<bool>,
}

impl Emitted {
    /// Appends `line` (which may span several lines: a multi-line string or array written
    /// verbatim, whose lines follow its origin's).
    fn push(&mut self, line: &str, origin: &Location) {
        let several = line.contains('\n');
        for (k, _) in line.split('\n').enumerate() {
            self.multiline.push(several);
            self.origins.push(Location {
                path: origin.path.clone(),
                line: origin.line.map(|l| l + k),
            });
        }
        self.text.push_str(line);
        self.text.push('\n');
    }
}

/// A value written as TOML text, read back as a string (`None` if it is not one).
fn string_value(text: &str) -> Option<String> {
    text.parse::<toml_edit::Value>()
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
}
