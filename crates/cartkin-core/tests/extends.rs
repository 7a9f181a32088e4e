//! Model files that extend each other: what an extending file changes, what it inherits, and
//! where errors are reported.

use std::path::{Path, PathBuf};

use cartkin_core::model::extends::{MAX_CHAIN, Resolved};
use cartkin_core::model::file;
use cartkin_core::model::overlay::{Overlay, ParameterChange};
use cartkin_core::model::{ModelSpec, Variability};

const MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models");

fn shipped(name: &str) -> PathBuf {
    Path::new(MODELS).join(format!("{name}.toml"))
}

fn load(name: &str) -> ModelSpec {
    file::load(&shipped(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// A scratch directory with cart_all copied in, for chains of temporary files.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(shipped("cart_all"), dir.path().join("cart_all.toml")).expect("copy");
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn the_shipped_variants_are_short_files_of_their_differences() {
    for name in ["cart_all_eliana", "cart_all_zuma3", "cart_dual_eliana"] {
        let text = std::fs::read_to_string(shipped(name)).expect("read");
        let lines = text.lines().count();
        assert!(lines < 200, "{name}: {lines} lines");
        assert!(text.contains("extends = "), "{name}");
    }
    assert_eq!(
        load("cart_all_zuma3").chain,
        ["cart_all", "cart_all_eliana", "cart_all_zuma3"].map(shipped)
    );
}

#[test]
fn an_extending_file_changes_what_it_lists_and_inherits_the_rest() {
    let base = load("cart_all");
    let eliana = load("cart_all_eliana");
    assert_eq!(eliana.name, "cart_all_eliana");
    assert_eq!(eliana.structure, base.structure);
    assert_eq!(eliana.states, base.states);
    assert_eq!(eliana.observables, base.observables);
    assert_eq!(eliana.defaults, base.defaults);
    assert_eq!(eliana.description, base.description);
    let changed: Vec<&str> = eliana
        .parameters
        .iter()
        .zip(&base.parameters)
        .filter(|(e, b)| {
            (e.value, &e.variability, &e.source) != (b.value, &b.variability, &b.source)
        })
        .map(|(e, _)| e.name.as_str())
        .collect();
    assert_eq!(
        changed,
        ["delta_M", "gamma", "g_L", "f_neg", "s_surv", "mu_neg"],
        "the calibrated ones"
    );
    // the overlay's own numbers, read from its text, are the resolved model's
    let text = std::fs::read_to_string(shipped("cart_all_eliana")).expect("read");
    let doc: toml_edit::DocumentMut = text.parse().expect("TOML");
    let entry = doc["parameters"]
        .as_array_of_tables()
        .and_then(|a| a.iter().find(|t| t["name"].as_str() == Some("delta_M")))
        .expect("delta_M listed");
    let delta_m = &eliana.parameters[eliana.parameter_index("delta_M").expect("delta_M")];
    assert_eq!(Some(delta_m.value), entry["value"].as_float());
    assert_eq!(
        delta_m.variability.as_ref().and_then(|v| v.omega2),
        entry["variability"]
            .as_inline_table()
            .and_then(|t| t.get("omega2"))
            .and_then(|v| v.as_float())
    );
    // bounds, units and descriptions are inherited
    let b = &base.parameters[base.parameter_index("delta_M").expect("delta_M")];
    assert_eq!(
        (
            delta_m.lower,
            delta_m.upper,
            &delta_m.unit,
            &delta_m.description
        ),
        (b.lower, b.upper, &b.unit, &b.description)
    );
    assert_ne!(
        eliana.outcomes.crs_grade_edges,
        base.outcomes.crs_grade_edges
    );
}

#[test]
fn another_structure_keeps_the_base_entries_it_has_in_its_order() {
    let dual = load("cart_dual_eliana");
    let states: Vec<&str> = dual.states.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        states,
        [
            "E", "M", "Lpp", "Lpn", "Lnp", "Lnn", "B", "N", "IL6", "F1", "F2", "F3", "Cy", "AUCF",
            "X", "P"
        ]
    );
    // panels are matched by title; the new one follows the panel listed before it
    let panels: Vec<&str> = dual.panels.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(
        panels,
        [
            "CAR-T cells",
            "Leukemia (marrow blasts)",
            "Leukemic clones (CD19, CD22)",
            "B cells and lymphocytes",
            "Cytokine (CRS)"
        ]
    );
    // a panel entry updates only what it lists
    let leukemia = &dual.panels[1];
    assert_eq!(leukemia.y_label, "Blast fraction");
    assert_eq!(leukemia.series.len(), 3);
    // references are added to the base's
    let base = load("cart_all");
    assert!(base.references.iter().all(|r| dual.references.contains(r)));
    assert_eq!(dual.references.len(), base.references.len() + 3);
}

#[test]
fn errors_name_the_line_a_user_wrote_in_whichever_file() {
    let dir = scratch();
    let own = write(
        dir.path(),
        "mine.toml",
        "[model]\nname = \"mine\"\nextends = \"cart_all\"\n\n[[parameters]]\nname = \"gamma\"\nvalue = -1.0\nsource = \"x\"\n",
    );
    let err = file::load(&own).expect_err("negative gamma").to_string();
    assert!(err.starts_with(&format!("{}:7:", own.display())), "{err}");
    // an unknown parameter, at its entry
    let text = "[model]\nname = \"mine\"\nextends = \"cart_all\"\n\n[[parameters]]\nname = \"gamm\"\nvalue = 1.0\nsource = \"x\"\n";
    let err = file::load(&write(dir.path(), "typo.toml", text))
        .expect_err("unknown parameter")
        .to_string();
    assert!(err.contains("typo.toml:") && err.contains("gamm"), "{err}");
    // another structure without the parameters it needs: reported at `extends`
    let text = "[model]\nname = \"mine\"\nextends = \"cart_all\"\nstructure = \"cart_dual\"\n";
    let path = write(dir.path(), "dual.toml", text);
    let err = file::load(&path).expect_err("missing entries").to_string();
    assert!(
        err.starts_with(&format!("{}:3:", path.display())) && err.contains("w_19"),
        "{err}"
    );
    // an inherited line that is wrong for the file: at `extends`, naming the inherited line
    let text =
        "[model]\nname = \"mine\"\nextends = \"cart_all\"\n\n[outcomes]\nb_cells = \"no_such\"\n";
    let path = write(dir.path(), "roles.toml", text);
    let err = file::load(&path).expect_err("bad role").to_string();
    assert!(err.starts_with(&format!("{}:6:", path.display())), "{err}");
    let mut base = std::fs::read_to_string(dir.path().join("cart_all.toml")).expect("read");
    base = base.replace("b_cells = \"b_cell_fraction\"", "b_cells = \"no_such\"");
    write(dir.path(), "cart_all.toml", &base);
    let path = write(
        dir.path(),
        "heir.toml",
        "[model]\nname = \"heir\"\nextends = \"cart_all\"\n",
    );
    let err = file::load(&path)
        .expect_err("bad inherited role")
        .to_string();
    assert!(
        err.starts_with(&format!("{}:3:", path.display()))
            && err.contains("cart_all.toml:")
            && err.contains("inherited"),
        "{err}"
    );
}

#[test]
fn chains_are_named_bounded_and_do_not_loop() {
    let dir = scratch();
    // a file of its own name is required
    let err = file::load(&write(
        dir.path(),
        "anon.toml",
        "[model]\nextends = \"cart_all\"\n",
    ))
    .expect_err("no name")
    .to_string();
    assert!(err.contains("model.name"), "{err}");
    // a base that does not exist, at the `extends` line
    let err = file::load(&write(
        dir.path(),
        "lost.toml",
        "[model]\nname = \"lost\"\nextends = \"no_such_model\"\n",
    ))
    .expect_err("no base")
    .to_string();
    assert!(
        err.contains("lost.toml:3") && err.contains("no_such_model"),
        "{err}"
    );
    // a loop
    write(
        dir.path(),
        "a.toml",
        "[model]\nname = \"a\"\nextends = \"b\"\n",
    );
    write(
        dir.path(),
        "b.toml",
        "[model]\nname = \"b\"\nextends = \"a\"\n",
    );
    let err = file::load(&dir.path().join("a.toml"))
        .expect_err("loop")
        .to_string();
    assert!(err.contains("loop"), "{err}");
    // a chain longer than MAX_CHAIN
    let mut previous = "cart_all".to_string();
    for k in 0..MAX_CHAIN {
        let name = format!("m{k}");
        write(
            dir.path(),
            &format!("{name}.toml"),
            &format!("[model]\nname = \"{name}\"\nextends = \"{previous}\"\n"),
        );
        previous = name;
    }
    let err = file::load(&dir.path().join(format!("{previous}.toml")))
        .expect_err("too long")
        .to_string();
    assert!(err.contains(&format!("at most {MAX_CHAIN} files")), "{err}");
    // one shorter is fine
    file::load(&dir.path().join(format!("m{}.toml", MAX_CHAIN - 2))).expect("within the limit");
}

#[test]
fn the_resolved_text_is_a_plain_model_file_with_the_same_meaning() {
    let path = shipped("cart_dual_eliana");
    let resolved = Resolved::load(&path).expect("resolves");
    assert!(resolved.extends());
    let spec = file::validate(&path, &resolved).expect("valid");
    // the resolved text read as a file of its own gives the same model
    let dir = tempfile::tempdir().expect("temp dir");
    let flat = write(dir.path(), "flat.toml", &resolved.text);
    let again = file::load(&flat).expect("a plain model file");
    assert_eq!(again.parameters.len(), spec.parameters.len());
    for (a, b) in again.parameters.iter().zip(&spec.parameters) {
        assert_eq!(
            (a.value.to_bits(), &a.variability, &a.name),
            (b.value.to_bits(), &b.variability, &b.name)
        );
    }
    assert_eq!(again.states, spec.states);
    assert_eq!(again.outcomes, spec.outcomes);
    // and each line knows where it came from
    let line = resolved
        .text
        .lines()
        .position(|l| l.starts_with("structure = "))
        .expect("structure")
        + 1;
    let origin = resolved.origin(line).expect("origin");
    assert_eq!((origin.path.clone(), origin.line), (path, Some(8)));
}

#[test]
fn an_overlay_is_read_back_with_exactly_its_values() {
    let dir = scratch();
    let mut overlay = Overlay::new("cart_all", "cart_all_fitted");
    overlay.comments.push("a test".into());
    overlay.parameters.push(ParameterChange {
        name: "gamma".into(),
        value: Some(0.1 + 0.2),
        variability: Some(Variability {
            distribution: "lognormal".into(),
            omega2: Some(1.0 / 3.0),
            cv: None,
            shared: None,
        }),
        source: "fitted \"here\"".into(),
    });
    overlay.outcomes.push((
        "crs_grade_edges".into(),
        cartkin_core::model::overlay::numbers(&[10.0, 50.5, 300.0, 1e4]),
    ));
    let text = overlay.to_toml();
    let spec = file::parse(&dir.path().join("out.toml"), &text).expect("valid overlay");
    let gamma = &spec.parameters[spec.parameter_index("gamma").expect("gamma")];
    assert_eq!(gamma.value.to_bits(), (0.1f64 + 0.2).to_bits());
    assert_eq!(
        gamma.variability.as_ref().and_then(|v| v.omega2),
        Some(1.0 / 3.0)
    );
    assert_eq!(gamma.source, "fitted \"here\"");
    assert_eq!(
        spec.outcomes.crs_grade_edges,
        Some(vec![10.0, 50.5, 300.0, 1e4])
    );
    assert_eq!(spec.name, "cart_all_fitted");
}

#[test]
fn unset_removes_base_keys_and_tables_and_refuses_what_the_base_lacks() {
    let dir = scratch();
    // a key gives way to another: dose_cells instead of the base's dose_per_kg
    let text = "[model]\nname = \"flat\"\nextends = \"cart_all\"\nunset = [\"defaults.dose_per_kg\"]\n\n[defaults]\ndose_cells = 1.0e8\n";
    let spec = file::load(&write(dir.path(), "flat.toml", text)).unwrap_or_else(|e| panic!("{e}"));
    let resolved = Resolved::load(&dir.path().join("flat.toml")).expect("resolves");
    assert!(resolved.text.contains("dose_cells = 1.0e8"));
    assert!(!resolved.text.contains("dose_per_kg"), "{}", resolved.text);
    assert!(
        !resolved.text.contains("unset"),
        "unset is not part of the model"
    );
    assert_eq!(spec.name, "flat");
    // a whole table replaced: none of the base's [population] keys or sub-tables remain
    let text = "[model]\nname = \"own\"\nextends = \"cart_all\"\nunset = [\"population\"]\n\n[population]\nn = 10\n";
    let resolved = Resolved::load(&write(dir.path(), "own.toml", text)).expect("resolves");
    assert!(
        !resolved.text.contains("[population.covariates]"),
        "{}",
        resolved.text
    );
    assert!(
        !resolved.text.contains("calibrate = ["),
        "{}",
        resolved.text
    );
    assert!(resolved.text.contains("n = 10"));
    // a path the base does not have is refused at the unset line
    let text = "[model]\nname = \"typo\"\nextends = \"cart_all\"\nunset = [\"populaton\"]\n";
    let path = write(dir.path(), "typo.toml", text);
    let err = file::load(&path).expect_err("misspelt path").to_string();
    assert!(
        err.starts_with(&format!("{}:4:", path.display())) && err.contains("populaton"),
        "{err}"
    );
    // and so is a value that is not a list of paths
    let text = "[model]\nname = \"bad\"\nextends = \"cart_all\"\nunset = \"population\"\n";
    let path = write(dir.path(), "bad.toml", text);
    let err = file::load(&path).expect_err("not a list").to_string();
    assert!(err.starts_with(&format!("{}:4:", path.display())), "{err}");
}

#[test]
fn an_entry_listed_twice_in_an_extending_file_is_refused() {
    let dir = scratch();
    let text = "[model]\nname = \"twice\"\nextends = \"cart_all\"\n\n[[parameters]]\nname = \"gamma\"\nvalue = 10.0\n\n[[parameters]]\nname = \"gamma\"\nvalue = 20.0\n";
    let path = write(dir.path(), "twice.toml", text);
    let err = file::load(&path).expect_err("gamma twice").to_string();
    assert!(
        err.starts_with(&format!("{}:9:", path.display())) && err.contains("gamma"),
        "{err}"
    );
}

#[test]
fn an_inherited_regimen_file_is_found_next_to_the_file_that_names_it() {
    let dir = scratch();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::fs::create_dir_all(&a).expect("dir");
    std::fs::create_dir_all(&b).expect("dir");
    let regimen = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/regimens/eliana.toml"
    ))
    .expect("shipped regimen");
    write(&a, "r.toml", &regimen);
    let base = std::fs::read_to_string(shipped("cart_all"))
        .expect("read")
        .replace("regimen = \"eliana\"\ndays", "regimen = \"r.toml\"\ndays");
    assert!(base.contains("regimen = \"r.toml\""));
    write(&a, "base.toml", &base);
    let child = write(
        &b,
        "child.toml",
        "[model]\nname = \"child\"\nextends = \"../a/base.toml\"\n",
    );
    let spec = file::load(&child).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        std::fs::canonicalize(&spec.defaults.regimen).expect("exists"),
        std::fs::canonicalize(a.join("r.toml")).expect("exists"),
        "the base's regimen, next to the base"
    );
}

#[test]
fn a_plain_file_knows_its_multi_line_values() {
    // `models show --toml` annotates each line with a comment, except inside a value written
    // over several lines, where the comment would become part of the value
    let path = shipped("cart_all");
    let resolved = Resolved::load(&path).expect("resolves");
    let text = std::fs::read_to_string(&path).expect("read");
    let first = text
        .lines()
        .position(|l| l.starts_with("description = \"\"\""))
        .expect("a multi-line description")
        + 1;
    assert!(resolved.in_multiline_value(first));
    assert!(resolved.in_multiline_value(first + 1));
    assert!(
        !resolved.in_multiline_value(first - 1),
        "time_unit is one line"
    );
}
