//! Shared machinery of the readers' property tests (`tests/readers_fuzz.rs` of cartkin-core
//! and cartkin-fit, which includes this file with `#[path]`): the proptest runner and its case
//! count, panic capture, the error-shape check (`PATH:LINE: ...`), and mutations of TOML
//! documents and of text.
//!
//! The number of cases of every property is `CARTKIN_FUZZ_CASES` (default [`DEFAULT_CASES`]);
//! `scripts/fuzz_readers.sh` runs 100,000 per property in release mode.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::Once;
use std::time::Instant;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Cases per property when `CARTKIN_FUZZ_CASES` is not set (the fast run of `cargo test`).
pub const DEFAULT_CASES: u32 = 256;

/// Cases per property: `CARTKIN_FUZZ_CASES`, else [`DEFAULT_CASES`].
pub fn cases() -> u32 {
    std::env::var("CARTKIN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_CASES)
}

/// The proptest configuration: [`cases`] cases, no failure persistence (a failure prints its
/// minimal input; a deliberate regression becomes a `#[test]`).
pub fn config() -> Config {
    Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    }
}

// ------------------------------------------------------------------------------ panics

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Runs `f`, turning a panic into `Err("panicked at FILE:LINE:COL: message")`. The panic is
/// not printed (the default hook still prints panics outside `call`).
pub fn call<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                LAST_PANIC.with(|l| *l.borrow_mut() = Some(info.to_string()));
            } else {
                default(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    result.map_err(|payload| {
        LAST_PANIC
            .with(|l| l.borrow_mut().take())
            .unwrap_or_else(|| {
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panic with a non-string payload".into())
            })
            .replace('\n', " ")
    })
}

// ------------------------------------------------------------------------------ outcomes

/// A bug found by these properties and not fixed yet: the property tolerates an outcome
/// (error message or panic message) containing `fragment` from `reader`; the `#[ignore]`d
/// regression test `regression` reproduces it. Remove the entry when the library is fixed.
pub struct Known {
    /// Reader name as used by [`Outcomes`].
    pub reader: &'static str,
    /// A fragment of the error's Display or of the panic message.
    pub fragment: &'static str,
    /// Name of the regression test.
    pub regression: &'static str,
}

/// An error that legitimately names no line (a whole-file error): `PATH: message`.
pub struct WholeFile {
    /// Reader name.
    pub reader: &'static str,
    /// A fragment of the message.
    pub fragment: &'static str,
}

/// What the calls of one property gave.
#[derive(Default)]
pub struct Outcomes {
    calls: usize,
    unserializable: usize,
    accepted: usize,
    refused_with_line: usize,
    whole_file: BTreeMap<String, usize>,
    known: BTreeMap<&'static str, usize>,
}

impl Outcomes {
    /// Counts a case tolerated because of the known bug `regression` (for known bugs that are
    /// recognised by their input rather than by a message).
    pub fn known(&mut self, regression: &'static str) {
        *self.known.entry(regression).or_default() += 1;
    }

    /// Counts a mutated document that `toml` could not write (the case reads nothing).
    pub fn unserializable(&mut self) {
        self.calls += 1;
        self.unserializable += 1;
    }

    fn summary(&self) -> String {
        let mut s = format!(
            "{} calls: {} accepted, {} refused with PATH:LINE",
            self.calls, self.accepted, self.refused_with_line
        );
        if self.unserializable > 0 {
            s += &format!(", {} not writable as TOML", self.unserializable);
        }
        for (k, n) in &self.whole_file {
            s += &format!(", {n} whole-file `{k}`");
        }
        for (k, n) in &self.known {
            s += &format!(", {n} KNOWN {k}");
        }
        s
    }
}

/// Judges one call of `reader` on `text` (reported against `path`): a panic fails, an error
/// must read `PATH:LINE: ...` with LINE a line of `text` (1 ..= newlines + 1), or be a listed
/// whole-file error `PATH: ...`, or a listed known failure.
pub struct Judge<'a> {
    /// Reader name (for [`Known`] and [`WholeFile`]).
    pub reader: &'static str,
    /// Known failures of all readers.
    pub known: &'a [Known],
    /// Whole-file errors of all readers.
    pub whole_file: &'a [WholeFile],
}

impl Judge<'_> {
    /// Checks `result` (from [`call`]) of reading `text` as `path`; `Ok(())` also records the
    /// outcome in `out`.
    pub fn judge<T, E: std::fmt::Display>(
        &self,
        out: &mut Outcomes,
        path: &Path,
        text: &str,
        result: Result<Result<T, E>, String>,
    ) -> Result<Option<T>, TestCaseError> {
        out.calls += 1;
        let message = match result {
            Ok(Ok(value)) => {
                out.accepted += 1;
                return Ok(Some(value));
            }
            Ok(Err(e)) => e.to_string(),
            Err(panic) => {
                if let Some(k) = self.known_case(&panic) {
                    *out.known.entry(k).or_default() += 1;
                    return Ok(None);
                }
                return Err(fail(self.reader, "PANIC", &panic, text));
            }
        };
        if let Some(k) = self.known_case(&message) {
            *out.known.entry(k).or_default() += 1;
            return Ok(None);
        }
        match error_line(&message, path) {
            Err(why) => Err(fail(self.reader, &why, &message, text)),
            Ok(Some(line)) => {
                let lines = text.matches('\n').count() + 1;
                if line == 0 || line > lines {
                    return Err(fail(
                        self.reader,
                        &format!("line {line} outside the file's 1..={lines}"),
                        &message,
                        text,
                    ));
                }
                out.refused_with_line += 1;
                Ok(None)
            }
            Ok(None) => {
                let rest = &message[path.display().to_string().len() + 2..];
                match self
                    .whole_file
                    .iter()
                    .find(|w| w.reader == self.reader && rest.contains(w.fragment))
                {
                    Some(w) => {
                        *out.whole_file.entry(w.fragment.to_string()).or_default() += 1;
                        Ok(None)
                    }
                    None => Err(fail(self.reader, "error without a line", &message, text)),
                }
            }
        }
    }

    fn known_case(&self, message: &str) -> Option<&'static str> {
        self.known
            .iter()
            .find(|k| k.reader == self.reader && message.contains(k.fragment))
            .map(|k| k.regression)
    }
}

/// The line of an error message `PATH:LINE: ...` (`Some`), or `None` for `PATH: ...`; an
/// `Err` says why the message has neither shape.
pub fn error_line(message: &str, path: &Path) -> Result<Option<usize>, String> {
    let p = path.display().to_string();
    let Some(rest) = message.strip_prefix(&p) else {
        return Err(format!("the message does not start with the path `{p}`"));
    };
    if let Some(rest) = rest.strip_prefix(": ") {
        let _ = rest;
        return Ok(None);
    }
    let Some(rest) = rest.strip_prefix(':') else {
        return Err("the path is not followed by `:`".into());
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || !rest[digits.len()..].starts_with(": ") {
        return Err("the path is not followed by `:LINE: `".into());
    }
    digits
        .parse()
        .map(Some)
        .map_err(|e| format!("line `{digits}`: {e}"))
}

/// A test failure showing the input (shortened when long).
pub fn fail(reader: &str, why: &str, message: &str, text: &str) -> TestCaseError {
    TestCaseError::fail(format!(
        "{reader}: {why}\n  message: {message}\n  input ({} bytes): {:?}",
        text.len(),
        shorten(text, 3000)
    ))
}

/// At most `n` bytes of `text` (on a char boundary), with a marker when cut.
pub fn shorten(text: &str, n: usize) -> String {
    if text.len() <= n {
        return text.to_string();
    }
    let cut = floor_boundary(text, n);
    format!("{}…[{} more bytes]", &text[..cut], text.len() - cut)
}

/// Runs the property `name`: `strategy` generates inputs, `check` judges each one. Prints the
/// number of cases, the time and the outcomes (`cargo test -- --nocapture` shows them).
pub fn fuzz<S: Strategy>(
    name: &str,
    strategy: S,
    check: impl Fn(S::Value, &mut Outcomes) -> Result<(), TestCaseError>,
) {
    let config = config();
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    let outcomes = RefCell::new(Outcomes::default());
    let started = Instant::now();
    let result = runner.run(&strategy, |input| check(input, &mut outcomes.borrow_mut()));
    let seconds = started.elapsed().as_secs_f64();
    let done = if result.is_ok() {
        format!("{cases} cases")
    } else {
        "FAILED".to_string()
    };
    println!(
        "\nfuzz {name}: {done} in {seconds:.2} s; {}",
        outcomes.borrow().summary()
    );
    if let Err(e) = result {
        panic!("fuzz {name}: {e}");
    }
}

// ------------------------------------------------------------------------------ files

thread_local! {
    static DIR: tempfile::TempDir = {
        // tmpfs when there is one: a case is a file write
        let shm = Path::new("/dev/shm");
        if shm.is_dir() {
            tempfile::tempdir_in(shm)
        } else {
            tempfile::tempdir()
        }
        .expect("temporary directory")
    };
}

/// A file named `name` in this thread's temporary directory, holding `bytes`. The previous file
/// of that name is removed first (truncating a file in place is slow on ext4, which flushes it).
pub fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = DIR.with(|d| d.path().join(name));
    let _ = std::fs::remove_file(&path);
    std::fs::write(&path, bytes).expect("write the case");
    path
}

// ------------------------------------------------------------------------------ strings

/// The largest char boundary of `text` at or below `i`.
pub fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Awkward strings: empty, long, unicode of several kinds, control characters.
pub fn odd_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_string()),
        Just("x".repeat(20_000)),
        Just("é".repeat(3_000)),
        Just("µg/L ß ǅ ﬀ İ".to_string()),
        Just("日本語 العربية עברית".to_string()),
        Just("\u{0}\u{1}\u{7f}\u{feff}\u{200b}\u{202e}".to_string()),
        Just("🧬💉🩸".to_string()),
        Just("\r\n\t\"'\\[]{}=,.#".to_string()),
        Just("nan".to_string()),
        Just("inf".to_string()),
        Just(".".to_string()),
        any::<String>(),
        "[a-zA-Z_][a-zA-Z0-9_]{0,12}",
    ]
}

/// Text fragments to insert: `vocabulary` (names and values of the format) and odd strings.
pub fn snippet(vocabulary: &'static [String]) -> BoxedStrategy<String> {
    if vocabulary.is_empty() {
        return odd_string().boxed();
    }
    prop_oneof![
        3 => proptest::sample::select(vocabulary),
        1 => odd_string(),
    ]
    .boxed()
}

/// Edits of a text.
#[derive(Debug, Clone)]
pub enum TextEdit {
    /// Cut the text at a (char-boundary) byte.
    Truncate(Index),
    /// Delete a line.
    DeleteLine(Index),
    /// Duplicate a line.
    DuplicateLine(Index),
    /// Swap two lines.
    SwapLines(Index, Index),
    /// Insert a fragment at a byte.
    Insert(Index, String),
    /// Replace up to `n` chars at a byte by a fragment.
    Replace(Index, usize, String),
    /// Replace the k-th number literal by a fragment.
    Number(Index, String),
}

/// One to four text edits.
pub fn text_edits(vocabulary: &'static [String]) -> impl Strategy<Value = Vec<TextEdit>> {
    let edit = prop_oneof![
        any::<Index>().prop_map(TextEdit::Truncate),
        any::<Index>().prop_map(TextEdit::DeleteLine),
        any::<Index>().prop_map(TextEdit::DuplicateLine),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| TextEdit::SwapLines(a, b)),
        (any::<Index>(), snippet(vocabulary)).prop_map(|(i, s)| TextEdit::Insert(i, s)),
        (any::<Index>(), 0usize..40, snippet(vocabulary))
            .prop_map(|(i, n, s)| TextEdit::Replace(i, n, s)),
        (any::<Index>(), number_literal()).prop_map(|(i, s)| TextEdit::Number(i, s)),
    ];
    proptest::collection::vec(edit, 1..=4)
}

/// Number literals, valid and not, in TOML and CSV spellings.
pub fn number_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "0",
            "-0",
            "-1",
            "1",
            "2",
            "3",
            "4",
            "1e308",
            "1e309",
            "-1e308",
            "5e-324",
            "nan",
            "+nan",
            "-nan",
            "inf",
            "-inf",
            "NaN",
            "Infinity",
            "0.0",
            "1.",
            ".5",
            "1_000",
            "0x10",
            "0o7",
            "0b1",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "4294967295",
            "4294967296",
            "1e-320",
            "00",
            "1__0",
            "2.5e",
            "",
        ])
        .prop_map(str::to_string),
        any::<f64>().prop_map(|x| format!("{x:?}")),
        any::<i64>().prop_map(|x| x.to_string()),
        (-100.0f64..100.0).prop_map(|x| x.to_string()),
    ]
}

/// Applies `edits` to `text`.
pub fn apply_text_edits(text: &str, edits: &[TextEdit]) -> String {
    let mut t = text.to_string();
    for e in edits {
        match e {
            TextEdit::Truncate(i) => {
                let cut = floor_boundary(&t, i.index(t.len() + 1));
                t.truncate(cut);
            }
            TextEdit::DeleteLine(i) => {
                let mut lines: Vec<&str> = t.split('\n').collect();
                let k = i.index(lines.len());
                lines.remove(k);
                t = lines.join("\n");
            }
            TextEdit::DuplicateLine(i) => {
                let mut lines: Vec<&str> = t.split('\n').collect();
                let k = i.index(lines.len());
                lines.insert(k, lines[k]);
                t = lines.join("\n");
            }
            TextEdit::SwapLines(a, b) => {
                let mut lines: Vec<&str> = t.split('\n').collect();
                let (a, b) = (a.index(lines.len()), b.index(lines.len()));
                lines.swap(a, b);
                t = lines.join("\n");
            }
            TextEdit::Insert(i, s) => {
                let at = floor_boundary(&t, i.index(t.len() + 1));
                t.insert_str(at, s);
            }
            TextEdit::Replace(i, n, s) => {
                let at = floor_boundary(&t, i.index(t.len() + 1));
                let end = t[at..]
                    .char_indices()
                    .nth(*n)
                    .map_or(t.len(), |(k, _)| at + k);
                t.replace_range(at..end, s);
            }
            TextEdit::Number(i, s) => {
                let spans = number_spans(&t);
                if !spans.is_empty() {
                    let (a, b) = spans[i.index(spans.len())];
                    t.replace_range(a..b, s);
                }
            }
        }
    }
    t
}

/// Byte ranges of runs of digits, signs, dots and exponents that start with a digit.
fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = if i > 0 && (bytes[i - 1] == b'-' || bytes[i - 1] == b'+') {
                i - 1
            } else {
                i
            };
            let mut j = i;
            while j < bytes.len()
                && (bytes[j].is_ascii_digit() || matches!(bytes[j], b'.' | b'e' | b'E' | b'_'))
            {
                j += 1;
            }
            out.push((start, j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// Text that is not derived from a seed: arbitrary strings and soups of `vocabulary` tokens.
pub fn random_text(vocabulary: &'static [String]) -> BoxedStrategy<String> {
    let token = prop_oneof![
        4 => snippet(vocabulary),
        3 => proptest::sample::select(vec![
            "\n", "\n", "\n", " ", " = ", "=", ",", "[", "]", "[[", "]]", "{", "}", "\"", "'",
            "\"\"\"", ".", "#", "\r\n", "\r", "\t", "\\", "true", "1979-05-27T07:32:00Z",
        ])
        .prop_map(str::to_string),
        2 => number_literal(),
    ];
    prop_oneof![
        1 => any::<String>(),
        1 => "[ -~\n]{0,200}",
        3 => proptest::collection::vec(token, 0..80).prop_map(|t| t.concat()),
    ]
    .boxed()
}

/// Byte-level edits of a seed, which may break UTF-8 (for the readers that take a path).
#[derive(Debug, Clone)]
pub enum ByteEdit {
    /// Cut at any byte (possibly inside a character).
    Truncate(Index),
    /// Insert bytes at a byte.
    Insert(Index, Vec<u8>),
    /// Overwrite a byte.
    Set(Index, u8),
}

/// One to three byte edits, biased towards bytes that are invalid in UTF-8.
pub fn byte_edits() -> impl Strategy<Value = Vec<ByteEdit>> {
    let byte = prop_oneof![
        proptest::sample::select(vec![0xffu8, 0xfe, 0xc3, 0x80, 0xe2, 0xed, 0xf4, 0xc0, 0]),
        any::<u8>(),
    ];
    let edit = prop_oneof![
        any::<Index>().prop_map(ByteEdit::Truncate),
        (
            any::<Index>(),
            proptest::collection::vec(byte.clone(), 1..4)
        )
            .prop_map(|(i, b)| ByteEdit::Insert(i, b)),
        (any::<Index>(), byte).prop_map(|(i, b)| ByteEdit::Set(i, b)),
    ];
    proptest::collection::vec(edit, 1..=3)
}

/// Applies `edits` to `bytes`.
pub fn apply_byte_edits(bytes: &[u8], edits: &[ByteEdit]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for e in edits {
        match e {
            ByteEdit::Truncate(i) => b.truncate(i.index(b.len() + 1)),
            ByteEdit::Insert(i, x) => {
                let at = i.index(b.len() + 1);
                b.splice(at..at, x.iter().copied());
            }
            ByteEdit::Set(i, x) => {
                if !b.is_empty() {
                    let k = i.index(b.len());
                    b[k] = *x;
                }
            }
        }
    }
    b
}

/// File contents, shown as lossy text in failure reports.
#[derive(Clone)]
pub struct Bytes(pub Vec<u8>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = String::from_utf8_lossy(&self.0);
        write!(
            f,
            "{} bytes, lossy: {:?}",
            self.0.len(),
            shorten(&text, 600)
        )
    }
}

/// A seed's bytes after byte edits, or random bytes.
pub fn bytes_from(seeds: &'static [Vec<u8>]) -> impl Strategy<Value = Bytes> {
    prop_oneof![
        3 => (any::<Index>(), byte_edits())
            .prop_map(|(s, e)| Bytes(apply_byte_edits(s.get(seeds).as_slice(), &e))),
        1 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Bytes),
    ]
}

// ------------------------------------------------------------------------------ TOML

/// A step of a path into a TOML document.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index.
    At(usize),
}

/// Every path of `value` (the root is `[]`), in a stable order.
pub fn paths(value: &toml::Value) -> Vec<Vec<Seg>> {
    fn walk(v: &toml::Value, here: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
        out.push(here.clone());
        match v {
            toml::Value::Table(t) => {
                for (k, child) in t {
                    here.push(Seg::Key(k.clone()));
                    walk(child, here, out);
                    here.pop();
                }
            }
            toml::Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    here.push(Seg::At(i));
                    walk(child, here, out);
                    here.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

/// The value at `path`.
pub fn get<'v>(value: &'v toml::Value, path: &[Seg]) -> Option<&'v toml::Value> {
    let mut v = value;
    for s in path {
        v = match (s, v) {
            (Seg::Key(k), toml::Value::Table(t)) => t.get(k)?,
            (Seg::At(i), toml::Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// The value at `path`, mutable.
pub fn get_mut<'v>(value: &'v mut toml::Value, path: &[Seg]) -> Option<&'v mut toml::Value> {
    let mut v = value;
    for s in path {
        v = match (s, v) {
            (Seg::Key(k), toml::Value::Table(t)) => t.get_mut(k)?,
            (Seg::At(i), toml::Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// How a number is changed.
#[derive(Debug, Clone, Copy)]
pub enum NumChange {
    /// −x.
    Negate,
    /// 0.
    Zero,
    /// x · 1e300 (saturating for integers).
    Huge,
    /// x · 1e-300.
    Tiny,
    /// NaN.
    Nan,
    /// +∞.
    Inf,
    /// −∞.
    NegInf,
    /// Integer ↔ float.
    Retype,
    /// x + 1.
    Next,
}

/// How a key is renamed.
#[derive(Debug, Clone)]
pub enum KeyChange {
    /// Upper case.
    Upper,
    /// A trailing `_`.
    Suffix,
    /// Replaced by a name.
    To(String),
}

/// A structural mutation of a TOML document.
#[derive(Debug, Clone)]
pub enum TomlMut {
    /// Remove a key or array element.
    Delete(Index),
    /// An array element twice; a table entry also under a new key.
    Duplicate(Index),
    /// Replace a value.
    Replace(Index, toml::Value),
    /// Swap two values.
    Swap(Index, Index),
    /// Add a key to the table at (or around) a path.
    Add(Index, String, toml::Value),
    /// Rename a key.
    Rename(Index, KeyChange),
    /// Change a number (or put one).
    Number(Index, NumChange),
}

/// Leaf and small compound TOML values of every type, with `vocabulary` strings.
pub fn toml_value(vocabulary: &'static [String]) -> BoxedStrategy<toml::Value> {
    use toml::Value as V;
    let leaf = prop_oneof![
        3 => snippet(vocabulary).prop_map(V::String),
        2 => prop_oneof![
            proptest::sample::select(vec![0i64, 1, -1, 2, 3, 4, 100, i64::MAX, i64::MIN]),
            any::<i64>(),
        ]
        .prop_map(V::Integer),
        3 => prop_oneof![
            proptest::sample::select(vec![
                f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, 1e308, -1e308,
                f64::MIN_POSITIVE, 5e-324, 1e-300, 0.5, 1.0, -1.0, 1e6, 1e12, 1e13,
            ]),
            any::<f64>(),
            -1000.0f64..1000.0,
        ]
        .prop_map(V::Float),
        1 => any::<bool>().prop_map(V::Boolean),
        1 => proptest::sample::select(vec!["1979-05-27T07:32:00Z", "07:32:00", "1979-05-27"])
            .prop_map(|d| V::Datetime(d.parse().expect("a datetime"))),
    ]
    .boxed();
    prop_oneof![
        6 => leaf.clone(),
        1 => proptest::collection::vec(leaf.clone(), 0..4).prop_map(V::Array),
        1 => proptest::collection::btree_map(snippet(vocabulary), leaf, 0..3)
            .prop_map(|m| V::Table(m.into_iter().collect())),
    ]
    .boxed()
}

/// One TOML mutation.
pub fn toml_mut(vocabulary: &'static [String]) -> impl Strategy<Value = TomlMut> {
    let change = proptest::sample::select(vec![
        NumChange::Negate,
        NumChange::Zero,
        NumChange::Huge,
        NumChange::Tiny,
        NumChange::Nan,
        NumChange::Inf,
        NumChange::NegInf,
        NumChange::Retype,
        NumChange::Next,
    ]);
    let key = prop_oneof![
        Just(KeyChange::Upper),
        Just(KeyChange::Suffix),
        snippet(vocabulary).prop_map(KeyChange::To),
    ];
    prop_oneof![
        3 => any::<Index>().prop_map(TomlMut::Delete),
        2 => any::<Index>().prop_map(TomlMut::Duplicate),
        4 => (any::<Index>(), toml_value(vocabulary)).prop_map(|(i, v)| TomlMut::Replace(i, v)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| TomlMut::Swap(a, b)),
        2 => (any::<Index>(), snippet(vocabulary), toml_value(vocabulary))
            .prop_map(|(i, k, v)| TomlMut::Add(i, k, v)),
        1 => (any::<Index>(), key).prop_map(|(i, k)| TomlMut::Rename(i, k)),
        4 => (any::<Index>(), change).prop_map(|(i, c)| TomlMut::Number(i, c)),
    ]
}

/// One to four TOML mutations.
pub fn toml_muts(vocabulary: &'static [String]) -> impl Strategy<Value = Vec<TomlMut>> {
    proptest::collection::vec(toml_mut(vocabulary), 1..=4)
}

/// Applies `muts` to `doc` (a table).
pub fn apply_toml_muts(doc: &toml::Table, muts: &[TomlMut]) -> toml::Table {
    let mut root = toml::Value::Table(doc.clone());
    for m in muts {
        apply_toml_mut(&mut root, m);
    }
    match root {
        toml::Value::Table(t) => t,
        _ => unreachable!("the root stays a table"),
    }
}

fn apply_toml_mut(root: &mut toml::Value, m: &TomlMut) {
    let all = paths(root);
    // the root itself is only a target for `Add`
    let pick = |i: &Index| -> Option<Vec<Seg>> {
        (all.len() > 1).then(|| all[1 + i.index(all.len() - 1)].clone())
    };
    match m {
        TomlMut::Delete(i) => {
            let Some(path) = pick(i) else { return };
            let (last, parent) = path.split_last().expect("not the root");
            match (get_mut(root, parent), last) {
                (Some(toml::Value::Table(t)), Seg::Key(k)) => {
                    t.remove(k);
                }
                (Some(toml::Value::Array(a)), Seg::At(k)) => {
                    a.remove(*k);
                }
                _ => {}
            }
        }
        TomlMut::Duplicate(i) => {
            let Some(path) = pick(i) else { return };
            let (last, parent) = path.split_last().expect("not the root");
            match (get_mut(root, parent), last) {
                (Some(toml::Value::Table(t)), Seg::Key(k)) => {
                    if let Some(v) = t.get(k).cloned() {
                        t.insert(format!("{k}_copy"), v);
                    }
                }
                (Some(toml::Value::Array(a)), Seg::At(k)) => {
                    let v = a[*k].clone();
                    a.insert(*k, v);
                }
                _ => {}
            }
        }
        TomlMut::Replace(i, v) => {
            if let Some(slot) = pick(i).and_then(|p| get_mut(root, &p)) {
                *slot = v.clone();
            }
        }
        TomlMut::Swap(a, b) => {
            let (Some(pa), Some(pb)) = (pick(a), pick(b)) else {
                return;
            };
            // not an ancestor and its descendant
            if pa.starts_with(&pb) || pb.starts_with(&pa) {
                return;
            }
            let (Some(va), Some(vb)) = (get(root, &pa).cloned(), get(root, &pb).cloned()) else {
                return;
            };
            if let Some(s) = get_mut(root, &pa) {
                *s = vb;
            }
            if let Some(s) = get_mut(root, &pb) {
                *s = va;
            }
        }
        TomlMut::Add(i, key, v) => {
            let mut path = all[i.index(all.len())].clone();
            loop {
                if let Some(toml::Value::Table(t)) = get_mut(root, &path) {
                    t.insert(key.clone(), v.clone());
                    return;
                }
                if path.pop().is_none() {
                    return;
                }
            }
        }
        TomlMut::Rename(i, change) => {
            let Some(path) = pick(i) else { return };
            let (last, parent) = path.split_last().expect("not the root");
            if let (Some(toml::Value::Table(t)), Seg::Key(k)) = (get_mut(root, parent), last) {
                let new = match change {
                    KeyChange::Upper => k.to_uppercase(),
                    KeyChange::Suffix => format!("{k}_"),
                    KeyChange::To(n) => n.clone(),
                };
                if let Some(v) = t.remove(k) {
                    t.insert(new, v);
                }
            }
        }
        TomlMut::Number(i, change) => {
            // prefer the numbers: pick among the paths holding one, if any
            let numbers: Vec<&Vec<Seg>> = all
                .iter()
                .filter(|p| {
                    matches!(
                        get(root, p),
                        Some(toml::Value::Integer(_) | toml::Value::Float(_))
                    )
                })
                .collect();
            if numbers.is_empty() {
                return;
            }
            let path = numbers[i.index(numbers.len())].clone();
            if let Some(slot) = get_mut(root, &path) {
                *slot = change_number(slot, *change);
            }
        }
    }
}

fn change_number(v: &toml::Value, c: NumChange) -> toml::Value {
    use toml::Value as V;
    match (v, c) {
        (V::Integer(i), NumChange::Negate) => V::Integer(i.wrapping_neg()),
        (V::Integer(_), NumChange::Zero) => V::Integer(0),
        (V::Integer(i), NumChange::Huge) => V::Integer(i.saturating_mul(1 << 40)),
        (V::Integer(i), NumChange::Retype) => V::Float(*i as f64),
        (V::Integer(i), NumChange::Next) => V::Integer(i.wrapping_add(1)),
        (V::Float(x), NumChange::Negate) => V::Float(-x),
        (V::Float(_), NumChange::Zero) => V::Float(0.0),
        (V::Float(x), NumChange::Huge) => V::Float(x * 1e300),
        (V::Float(x), NumChange::Tiny) => V::Float(x * 1e-300),
        (V::Float(x), NumChange::Retype) => V::Integer(*x as i64),
        (V::Float(x), NumChange::Next) => V::Float(x + 1.0),
        (_, NumChange::Tiny) => V::Float(1e-300),
        (_, NumChange::Nan) => V::Float(f64::NAN),
        (_, NumChange::Inf) => V::Float(f64::INFINITY),
        (_, NumChange::NegInf) => V::Float(f64::NEG_INFINITY),
        (other, _) => other.clone(),
    }
}

/// Key names and string values of `docs` (for mutations that stay close to the format).
pub fn toml_vocabulary(docs: &[toml::Table]) -> Vec<String> {
    fn walk(v: &toml::Value, out: &mut Vec<String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, c) in t {
                    out.push(k.clone());
                    walk(c, out);
                }
            }
            toml::Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
            toml::Value::String(s) if s.len() < 40 => out.push(s.clone()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for d in docs {
        walk(&toml::Value::Table(d.clone()), &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// `doc` as TOML text, or `None` when the serializer refuses it.
pub fn to_toml(doc: &toml::Table) -> Option<String> {
    toml::to_string(doc).ok()
}

/// Leaks `v` (the strategies need `'static` seeds and vocabularies, built once per test).
pub fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}
