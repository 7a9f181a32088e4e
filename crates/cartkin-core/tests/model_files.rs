//! Model files: every bundled model loads, and malformed files are rejected with an error
//! naming the file, the 1-based line, the field and what was expected.
//!
//! Bad files are built by mutating the text of `models/stein_2019.toml`; the expected line is
//! computed from where the mutated text sits in the file, never hard-coded.

use std::path::{Path, PathBuf};

use cartkin_core::model::{Model, file, list_bundled};

const STEIN: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../models/stein_2019.toml"
));

const DUAL: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../models/cart_dual_eliana.toml"
));

fn models_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models")).to_path_buf()
}

/// 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not found in the model text"));
    text[..offset].matches('\n').count() + 1
}

/// 1-based line of the last occurrence of `needle` in `text`.
fn last_line_of(text: &str, needle: &str) -> usize {
    let offset = text
        .rfind(needle)
        .unwrap_or_else(|| panic!("`{needle}` not found in the model text"));
    text[..offset].matches('\n').count() + 1
}

/// `STEIN` with the first (and only, checked) occurrence of `from` replaced by `to`.
fn mutate(from: &str, to: &str) -> String {
    assert_eq!(
        STEIN.matches(from).count(),
        1,
        "`{from}` must occur exactly once in stein_2019.toml"
    );
    STEIN.replacen(from, to, 1)
}

/// `DUAL` (cart_dual_eliana) with the only occurrence of `from` replaced by `to`.
fn mutate_dual(from: &str, to: &str) -> String {
    assert_eq!(
        DUAL.matches(from).count(),
        1,
        "`{from}` must occur exactly once in cart_dual_eliana.toml"
    );
    DUAL.replacen(from, to, 1)
}

/// The error message of parsing `text` as `bad.toml`; panics if it parses.
fn parse_err(text: &str) -> String {
    match file::parse(Path::new("bad.toml"), text) {
        Ok(spec) => panic!("the mutated model `{}` was accepted", spec.name),
        Err(e) => e.to_string(),
    }
}

/// Asserts `err` points at `bad.toml:<line>` (exactly that line) and contains every `parts`.
fn assert_err(err: &str, line: usize, parts: &[&str]) {
    let at = format!("bad.toml:{line}:");
    assert!(
        err.starts_with(&at),
        "expected the error to start with `{at}`, got: {err}"
    );
    for part in parts {
        assert!(err.contains(part), "expected `{part}` in: {err}");
    }
    assert!(!err.contains('\n'), "a one-line message expected: {err}");
}

/// Asserts `err` points at `bad.toml` at one of `lines` and contains every `parts`.
fn assert_err_at_one_of(err: &str, lines: &[usize], parts: &[&str]) {
    assert!(
        lines
            .iter()
            .any(|l| err.starts_with(&format!("bad.toml:{l}:"))),
        "expected the error to start with `bad.toml:L:` for L in {lines:?}, got: {err}"
    );
    for part in parts {
        assert!(err.contains(part), "expected `{part}` in: {err}");
    }
}

// ---------------------------------------------------------------------------------------------
// Bundled models

#[test]
fn the_unmodified_stein_text_parses() {
    let spec = file::parse(Path::new("bad.toml"), STEIN).expect("stein_2019.toml is valid");
    assert_eq!(spec.name, "stein_2019");
    assert_eq!(spec.path, Path::new("bad.toml"));
}

#[test]
fn every_bundled_model_loads() {
    let bundled = list_bundled();
    let names: Vec<&str> = bundled.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "cart_all",
        "cart_dual_eliana",
        "fludarabine_langenhorst_2019",
        "leon_triana_2021",
        "stein_2019",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    for (name, path) in &bundled {
        let model = Model::load(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            model.name(),
            name,
            "file {} declares another name",
            path.display()
        );
        let spec = model.spec();
        assert!(!spec.parameters.is_empty(), "{name}: no parameters");
        assert!(!spec.states.is_empty(), "{name}: no states");
        assert_eq!(model.values().len(), spec.parameters.len());
        for p in &spec.parameters {
            assert!(
                p.lower <= p.value && p.value <= p.upper,
                "{name}: {} = {} outside [{}, {}]",
                p.name,
                p.value,
                p.lower,
                p.upper
            );
            assert!(p.location.is_some(), "{name}: {} has no line", p.name);
            assert!(!p.unit.is_empty(), "{name}: {} has no unit", p.name);
            assert!(!p.source.is_empty(), "{name}: {} has no source", p.name);
        }
    }
}

#[test]
fn every_toml_file_in_the_models_folder_loads() {
    let mut n = 0;
    for entry in std::fs::read_dir(models_dir()).expect("models/ exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            Model::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            n += 1;
        }
    }
    assert!(
        n >= 4,
        "expected at least the four bundled models, found {n}"
    );
}

#[test]
fn parameter_lines_point_at_their_name_in_the_file() {
    let model = Model::load(&models_dir().join("stein_2019.toml")).expect("valid");
    for p in &model.spec().parameters {
        let needle = format!("name = \"{}\"", p.name);
        assert_eq!(
            p.location.as_ref().and_then(|l| l.line),
            Some(line_of(STEIN, &needle)),
            "{}",
            p.name
        );
    }
}

#[test]
fn a_missing_file_is_a_read_error_naming_the_path() {
    let err = Model::load(Path::new("/nonexistent/dir/nope.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/dir/nope.toml"), "{err}");
    assert!(err.contains("cannot read"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Malformed model files

#[test]
fn toml_syntax_error() {
    let text = mutate("name = \"alpha\"", "name = \"alpha");
    let err = parse_err(&text);
    assert_err(&err, line_of(&text, "name = \"alpha"), &[]);
    // the parser says what it expected (a closing quote)
    assert!(
        err.contains("invalid basic string") || err.contains("expected"),
        "{err}"
    );
}

#[test]
fn toml_syntax_error_in_a_table_header() {
    let text = mutate("[outcomes]", "[outcomes");
    let err = parse_err(&text);
    assert_err(&err, line_of(&text, "[outcomes"), &["`]`"]);
}

#[test]
fn unknown_top_level_key() {
    let text = mutate("[model]\n", "bogus_key = 1\n[model]\n");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "bogus_key"),
        &["unknown field", "bogus_key", "model", "parameters"],
    );
}

#[test]
fn unknown_key_in_a_parameter() {
    let text = mutate(
        "unit = \"1/day\"\nlower = 1.0e-4",
        "unit = \"1/day\"\nlowr = 1.0e-4",
    );
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "lowr"),
        &["unknown field", "lowr", "lower"],
    );
}

#[test]
fn wrong_type_of_a_value() {
    let text = mutate("value = 0.16", "value = \"0.16\"");
    let err = parse_err(&text);
    assert_err(&err, line_of(&text, "value = \"0.16\""), &["string", "f64"]);
}

#[test]
fn unknown_parameter_name() {
    let text = mutate("name = \"alpha\"", "name = \"alphq\"");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "name = \"alphq\""),
        &[
            "unknown parameter",
            "alphq",
            // the names that would have been accepted
            "Cmax",
            "foldx",
            "Tmax",
            "alpha",
            "FB",
            "beta",
        ],
    );
}

#[test]
fn missing_parameter() {
    let start = STEIN.find("[[parameters]]\nname = \"alpha\"").unwrap();
    let end = start + STEIN[start + 1..].find("[[parameters]]").unwrap() + 1;
    let text = format!("{}{}", &STEIN[..start], &STEIN[end..]);
    assert!(!text.contains("\"alpha\""));
    let err = parse_err(&text);
    // nothing to point at: the file, the field and the missing name
    assert!(err.starts_with("bad.toml"), "{err}");
    for part in ["parameters", "alpha", "stein_2019"] {
        assert!(err.contains(part), "expected `{part}` in: {err}");
    }
}

#[test]
fn duplicate_parameter() {
    let start = STEIN.find("[[parameters]]\nname = \"beta\"").unwrap();
    let end = STEIN.find("[[states]]").unwrap();
    let block = &STEIN[start..end];
    let text = format!("{}{block}{}", &STEIN[..end], &STEIN[end..]);
    let err = parse_err(&text);
    // points at the second `beta`
    assert_err(
        &err,
        last_line_of(&text, "name = \"beta\""),
        &["parameters.name", "beta", "once"],
    );
}

#[test]
fn value_above_its_upper_bound() {
    let text = mutate("value = 0.16", "value = 99.0");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "value = 99.0"),
        &["alpha", "value", "[0.0001, 10]", "99"],
    );
}

#[test]
fn value_below_its_lower_bound() {
    let text = mutate("value = 9.3", "value = 0.0");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "value = 0.0\n"),
        &["Tmax", "value", "[0.1, 100]", "got 0"],
    );
}

#[test]
fn value_nan() {
    let text = mutate("value = 0.16", "value = nan");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "value = nan"),
        &["alpha", "value", "[0.0001, 10]", "NaN"],
    );
}

#[test]
fn value_infinite() {
    let text = mutate("value = 0.16", "value = inf");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "value = inf"),
        &["alpha", "value", "[0.0001, 10]", "inf"],
    );
}

#[test]
fn lower_above_upper() {
    let text = mutate("lower = 1.0e-4", "lower = 100.0");
    let err = parse_err(&text);
    // the parameter's block: its `name` line or the `lower` line
    assert_err_at_one_of(
        &err,
        &[
            line_of(&text, "name = \"alpha\""),
            line_of(&text, "lower = 100.0"),
        ],
        &["alpha", "lower <= upper", "[100, 10]"],
    );
}

#[test]
fn nan_bound() {
    let text = mutate("upper = 100.0", "upper = nan");
    let err = parse_err(&text);
    assert_err_at_one_of(
        &err,
        &[
            line_of(&text, "name = \"Tmax\""),
            line_of(&text, "upper = nan"),
        ],
        &["Tmax", "finite bounds", "NaN"],
    );
}

#[test]
fn unknown_variability_distribution() {
    let text = mutate(
        "distribution = \"lognormal\", omega2 = 0.91",
        "distribution = \"lognormel\", omega2 = 0.91",
    );
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "lognormel"),
        &[
            "alpha",
            "variability.distribution",
            "lognormal",
            "lognormel",
        ],
    );
}

#[test]
fn wrong_state_order() {
    let e_start = STEIN.find("[[states]]\nname = \"E\"").unwrap();
    let m_start = STEIN.find("[[states]]\nname = \"M\"").unwrap();
    let obs = STEIN.find("[[observables]]").unwrap();
    let text = format!(
        "{}{}{}{}",
        &STEIN[..e_start],
        &STEIN[m_start..obs],
        &STEIN[e_start..m_start],
        &STEIN[obs..]
    );
    let err = parse_err(&text);
    // points at the first state of the file
    assert_err(
        &err,
        line_of(&text, "name = \"M\""),
        &["states", "[E, M]", "in this order", "[M, E]"],
    );
}

#[test]
fn missing_state() {
    let m_start = STEIN.find("[[states]]\nname = \"M\"").unwrap();
    let obs = STEIN.find("[[observables]]").unwrap();
    let text = format!("{}{}", &STEIN[..m_start], &STEIN[obs..]);
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "name = \"E\""),
        &["states", "[E, M]", "[E]"],
    );
}

#[test]
fn unknown_observable() {
    let text = mutate("name = \"transgene\"", "name = \"transgenes\"");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "name = \"transgenes\""),
        &["observables", "transgene", "transgenes"],
    );
}

#[test]
fn unknown_transform() {
    let text = mutate("transform = \"log\"", "transform = \"sqrt\"");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "transform = \"sqrt\""),
        &["state `E` transform", "\"log\" or \"linear\"", "sqrt"],
    );
}

#[test]
fn non_positive_scale() {
    let text = mutate("scale = 1.0", "scale = 0.0");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "scale = 0.0"),
        &["state `M` scale", "positive", "got 0"],
    );
}

#[test]
fn extinction_on_a_linear_state() {
    let text = mutate(
        "transform = \"linear\"\n",
        "transform = \"linear\"\nextinction = true\n",
    );
    let err = parse_err(&text);
    // the state's block: its `name` line or the `extinction` line
    assert_err_at_one_of(
        &err,
        &[
            line_of(&text, "name = \"M\""),
            line_of(&text, "extinction = true"),
        ],
        &["state `M` extinction", "log states", "linear"],
    );
}

#[test]
fn washout_on_a_log_state() {
    let text = mutate(
        "transform = \"log\"\n",
        "transform = \"log\"\nwashout_below = 1e-6\n",
    );
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "washout_below = 1e-6"),
        &["state `E` washout_below", "linear", "log state"],
    );
}

#[test]
fn unknown_structure() {
    let text = mutate("structure = \"stein_2019\"", "structure = \"stein_2020\"");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "structure = \"stein_2020\""),
        &[
            "unknown structure",
            "stein_2020",
            // the structures that exist
            "stein_2019",
            "cart_all",
            "cart_dual",
            "leon_triana_2021",
        ],
    );
}

#[test]
fn time_unit_not_day() {
    let text = mutate("time_unit = \"day\"", "time_unit = \"hour\"");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "time_unit = \"hour\""),
        &["model.time_unit", "\"day\"", "hour"],
    );
}

#[test]
fn missing_required_field() {
    let text = mutate("time_unit = \"day\"\n", "");
    let err = parse_err(&text);
    assert!(err.starts_with("bad.toml"), "{err}");
    assert!(err.contains("time_unit"), "{err}");
}

#[test]
fn outcome_role_naming_a_missing_column() {
    let text = mutate("car_t = \"transgene\"", "car_t = \"transgen\"");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "car_t = \"transgen\""),
        &["unknown state or observable", "transgen", "E, M, transgene"],
    );
}

#[test]
fn unknown_outcome_role() {
    let text = mutate(
        "car_t = \"transgene\"\n",
        "car_t = \"transgene\"\ncar_tt = \"E\"\n",
    );
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "car_tt"),
        &["unknown field", "car_tt", "car_t"],
    );
}

#[test]
fn crs_grade_edges_not_increasing() {
    let text = mutate(
        "car_t = \"transgene\"\n",
        "car_t = \"transgene\"\ncrs_grade_edges = [20.0, 10.0, 400.0, 1500.0]\n",
    );
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "crs_grade_edges"),
        &[
            "outcomes.crs_grade_edges",
            "increasing",
            "[20.0, 10.0, 400.0, 1500.0]",
        ],
    );
}

#[test]
fn crs_grade_edges_wrong_count() {
    let text = mutate(
        "car_t = \"transgene\"\n",
        "car_t = \"transgene\"\ncrs_grade_edges = [20.0, 100.0, 400.0]\n",
    );
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "crs_grade_edges"),
        &["outcomes.crs_grade_edges", "four"],
    );
}

#[test]
fn b_cell_aplasia_threshold_not_positive() {
    let text = mutate(
        "car_t = \"transgene\"\n",
        "car_t = \"transgene\"\nb_cell_aplasia_below = -0.01\n",
    );
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "b_cell_aplasia_below"),
        &["outcomes.b_cell_aplasia_below", "positive", "-0.01"],
    );
}

#[test]
fn plot_series_naming_a_missing_column() {
    let text = mutate(
        "series = [\"transgene\", \"E\", \"M\"]",
        "series = [\"transgene\", \"E\", \"Q\"]",
    );
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "series ="),
        &["unknown state or observable", "`Q`", "E, M, transgene"],
    );
}

#[test]
fn plot_labels_count_mismatch() {
    let text = mutate(", \"Memory-like (M)\"]", "]");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "labels ="),
        &["plot.panels.labels", "3 labels", "one per series", "got 2"],
    );
}

#[test]
fn negative_default_days() {
    let text = mutate("days = 365.0", "days = -1.0");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "days = -1.0"),
        &["defaults.days", "positive", "-1"],
    );
}

#[test]
fn zero_default_step() {
    let text = mutate("step = 0.5", "step = 0.0");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "step = 0.0"),
        &["defaults.step", "positive", "got 0"],
    );
}

#[test]
fn both_default_doses() {
    let text = mutate(
        "step = 0.5\n",
        "step = 0.5\ndose_cells = 1.0e8\ndose_per_kg = 3.0e6\n",
    );
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "dose_cells"),
        &["defaults.dose_cells", "not both"],
    );
}

#[test]
fn default_patient_out_of_range() {
    let text = mutate("weight_kg = 39.0", "weight_kg = -39.0");
    let err = parse_err(&text);
    assert!(err.starts_with("bad.toml"), "{err}");
    for part in ["weight", "[1, 400] kg", "-39"] {
        assert!(err.contains(part), "expected `{part}` in: {err}");
    }
}

#[test]

fn default_patient_out_of_range_names_the_line_and_the_field() {
    let text = mutate("weight_kg = 39.0", "weight_kg = -39.0");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "weight_kg = -39.0"),
        &["defaults.patient.weight_kg", "[1, 400] kg", "-39"],
    );
}

// ---------------------------------------------------------------------------------------------
// Model::set

fn stein() -> (Model, PathBuf) {
    let path = models_dir().join("stein_2019.toml");
    (Model::load(&path).expect("valid"), path)
}

#[test]
fn set_accepts_a_value_within_bounds() {
    let (mut model, _) = stein();
    model.set("alpha", 0.5).expect("within bounds");
    assert_eq!(model.get("alpha"), Some(0.5));
    // the bounds themselves are accepted
    model.set("alpha", 1.0e-4).expect("lower bound");
    model.set("alpha", 10.0).expect("upper bound");
}

#[test]
fn set_unknown_parameter_lists_the_available_ones() {
    let (mut model, path) = stein();
    let err = model.set("alphq", 0.5).unwrap_err().to_string();
    let file_name = path.file_name().unwrap().to_str().unwrap();
    for part in [
        file_name,
        "unknown parameter",
        "alphq",
        "Cmax, foldx, Tmax, alpha, FB, beta",
    ] {
        assert!(err.contains(part), "expected `{part}` in: {err}");
    }
    assert_eq!(model.get("alpha"), Some(0.16), "unchanged after an error");
}

#[test]
fn set_out_of_bounds_names_parameter_bounds_and_line() {
    let (mut model, path) = stein();
    let err = model.set("alpha", 99.0).unwrap_err().to_string();
    let at = format!("{}:{}", path.display(), line_of(STEIN, "name = \"alpha\""));
    assert!(
        err.starts_with(&at),
        "expected `{at}` at the start of: {err}"
    );
    for part in ["alpha", "[0.0001, 10]", "1/day", "99"] {
        assert!(err.contains(part), "expected `{part}` in: {err}");
    }
    assert_eq!(model.get("alpha"), Some(0.16), "unchanged after an error");

    let err = model.set("Tmax", 0.0).unwrap_err().to_string();
    let at = format!("{}:{}", path.display(), line_of(STEIN, "name = \"Tmax\""));
    assert!(
        err.starts_with(&at),
        "expected `{at}` at the start of: {err}"
    );
    assert!(err.contains("[0.1, 100]"), "{err}");
}

#[test]
fn set_rejects_nan_and_infinity() {
    let (mut model, _) = stein();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = model.set("alpha", bad).unwrap_err().to_string();
        assert!(err.contains("alpha"), "{err}");
        assert!(err.contains("[0.0001, 10]"), "{err}");
    }
    assert_eq!(model.get("alpha"), Some(0.16), "unchanged after errors");
}

#[test]
fn set_on_a_parsed_spec_points_at_the_spec_path() {
    let spec = file::parse(Path::new("bad.toml"), STEIN).expect("valid");
    let mut model = Model::from_spec(spec).expect("known structure");
    let err = model.set("beta", 2.0).unwrap_err().to_string();
    let at = format!("bad.toml:{}:", line_of(STEIN, "name = \"beta\""));
    assert!(
        err.starts_with(&at),
        "expected `{at}` at the start of: {err}"
    );
}

#[test]
fn column_units_follow_states_then_observables() {
    let model = Model::load(&models_dir().join("cart_all.toml")).expect("cart_all loads");
    let spec = model.spec();
    let unit = |name: &str| spec.column_index(name).and_then(|i| spec.column_unit(i));
    assert_eq!(unit("IL6"), Some("pg/mL"));
    assert_eq!(unit("AUCF"), Some("mg·h/L"));
    // the first observable sits right after the last state
    assert_eq!(unit("car_t"), Some("cells"));
    assert_eq!(unit("transgene"), Some("copies/µg"));
    assert_eq!(unit("flu_conc"), Some("mg/L"));
    let columns = spec.states.len() + spec.observables.len();
    assert_eq!(spec.column_unit(columns - 1), Some("mg/L"));
    assert_eq!(spec.column_unit(columns), None);
}

// ---------------------------------------------------------------------------------------------
// outcome roles of models with more than two clones (cart_dual_eliana)

const CLONES: &str = r#"clones = ["Lpp", "Lpn", "Lnp", "Lnn"]"#;

#[test]
fn the_unmodified_dual_text_parses_with_its_clone_and_cd22_roles() {
    let spec = file::parse(Path::new("dual.toml"), DUAL).expect("cart_dual_eliana parses");
    let roles = &spec.outcomes;
    assert_eq!(roles.clones, ["Lpp", "Lpn", "Lnp", "Lnn"]);
    assert_eq!(roles.cd22_positive.as_deref(), Some("cd22pos_cells"));
    assert_eq!(roles.cd22_negative.as_deref(), Some("cd22neg_cells"));
    assert_eq!(roles.cd19_positive.as_deref(), Some("cd19pos_cells"));
}

#[test]
fn clones_naming_an_unknown_state() {
    let text = mutate_dual(CLONES, r#"clones = ["Lpp", "Lpn", "Lnp", "Lxx"]"#);
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "\"Lxx\""),
        &[
            "outcomes.clones",
            "`Lxx`",
            "states of the model",
            "Lpp, Lpn, Lnp, Lnn",
        ],
    );
}

#[test]
fn clones_naming_an_observable() {
    // cure needs states (which go extinct), not observables
    let text = mutate_dual(CLONES, r#"clones = ["cd19pos_cells", "cd19neg_cells"]"#);
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "clones = "),
        &["outcomes.clones", "`cd19pos_cells`", "states of the model"],
    );
}

#[test]
fn clones_listing_a_state_twice() {
    let text = mutate_dual(CLONES, r#"clones = ["Lpp", "Lpn", "Lpp"]"#);
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "clones = "),
        &["outcomes.clones", "each clone once", "`Lpp` again"],
    );
}

#[test]
fn clones_empty() {
    let text = mutate_dual(CLONES, "clones = []");
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "clones = []"),
        &["outcomes.clones", "at least one"],
    );
}

#[test]
fn cd22_role_naming_a_missing_column() {
    let text = mutate_dual(
        "cd22_negative = \"cd22neg_cells\"",
        "cd22_negative = \"cd22neg_cellz\"",
    );
    let err = parse_err(&text);
    assert_err(
        &err,
        line_of(&text, "cd22neg_cellz"),
        &[
            "unknown state or observable",
            "cd22neg_cellz",
            "cd22neg_cells",
        ],
    );
}
