//! The endpoint table: statistics checked against hand computations on synthetic patients, and
//! the new endpoints (B-cell aplasia, CRS onset, Tmax) through every output and the targets.

use std::path::Path;

use cartkin_trial::endpoint::{
    DAYS_PER_MONTH, ENDPOINTS, Endpoint, Record, VARS, Value, Var, summarize,
};
use cartkin_trial::vpop::targets::Targets;

/// A responder followed for `until` days: remission on day 20, no relapse; B-cell aplasia from
/// `onset`, recovering on `recovery`.
fn responder(onset: Option<f64>, recovery: Option<f64>, until: f64) -> Record {
    let mut r = Record::failed();
    r.set(Var::Evaluable, 1.0);
    r.set(Var::ResponseAssessed, 1.0);
    r.set(Var::Responder, 1.0);
    r.set(Var::RemissionDay, 20.0);
    r.set(Var::RfsTimeDay, until - 20.0);
    r.set(Var::RfsEvent, 0.0);
    r.set(Var::ObservedUntilDay, until);
    r.set(Var::BCellAplasiaOnsetDay, onset.unwrap_or(f64::NAN));
    r.set(Var::BCellRecoveryDay, recovery.unwrap_or(f64::NAN));
    r.set(Var::BCellsAssessed, 1.0);
    r
}

#[test]
fn b_cell_aplasia_is_a_kaplan_meier_of_recovery_among_responders() {
    // five responders: no aplasia (recovered at day 0), recovery on day 100, aplasia ongoing
    // at 400 days (twice), and aplasia ongoing at a death on day 200 (censored)
    let patients = [
        responder(None, None, 400.0),
        responder(Some(5.0), Some(100.0), 400.0),
        responder(Some(5.0), None, 400.0),
        responder(Some(5.0), None, 400.0),
        responder(Some(6.0), None, 200.0),
    ];
    let s = summarize(&patients, &[6.0, 12.0]);
    // S(0) = 4/5; at day 100 four at risk, one event: S = 4/5 · 3/4 = 0.6; censorings after
    for month in [6.0, 12.0] {
        let p = s.at(Endpoint::BCellAplasia, month).expect("reported");
        assert!((p.survival - 0.6).abs() < 1e-12, "{month} mo: {p:?}");
        assert!(p.ci95[0] < 0.6 && 0.6 < p.ci95[1], "{p:?}");
    }
    assert_eq!(
        s.at(Endpoint::BCellAplasia, 6.0).map(|p| p.at_risk),
        Some(3)
    );
    // never below one half: the median duration is not reached
    assert_eq!(s.number(Endpoint::MedianBCellAplasia), None);
    // a recovery after the end of observation is not seen: censored, not an event
    let late = [responder(Some(5.0), Some(500.0), 400.0)];
    let p = summarize(&late, &[]);
    assert_eq!(
        p.at(Endpoint::BCellAplasia, 12.0).map(|p| p.survival),
        Some(1.0)
    );
}

#[test]
fn a_month_past_the_last_observation_is_not_reported() {
    // followed for 200 days (6.6 months): month 6 is observed, month 12 is not
    let patients = [
        responder(Some(5.0), None, 200.0),
        responder(Some(5.0), None, 200.0),
        responder(Some(5.0), Some(150.0), 200.0),
    ];
    let s = summarize(&patients, &[6.0]);
    let six = s.at(Endpoint::BCellAplasia, 6.0).expect("6 months");
    assert!((six.survival - 2.0 / 3.0).abs() < 1e-12, "{six:?}");
    let twelve = s.at(Endpoint::BCellAplasia, 12.0).expect("12 months");
    assert!(twelve.survival.is_nan(), "{twelve:?}");
    // but a curve that reached 0 stays at 0
    let all = [responder(None, None, 200.0), responder(None, None, 200.0)];
    let s = summarize(&all, &[6.0]);
    assert_eq!(
        s.at(Endpoint::BCellAplasia, 12.0).map(|p| p.survival),
        Some(0.0)
    );
}

#[test]
fn quantile_endpoints_and_crs_onset_among_patients_with_crs() {
    // CRS onset only among patients at grade >= 1; Tmax among all evaluable patients
    let mut patients = Vec::new();
    for (k, (grade, onset)) in [(0.0, f64::NAN), (1.0, 2.0), (3.0, 1.0), (2.0, 4.0)]
        .into_iter()
        .enumerate()
    {
        let mut r = responder(Some(5.0), None, 400.0);
        r.set(Var::CrsGrade, grade);
        r.set(Var::CrsOnsetDay, onset);
        r.set(Var::TmaxDay, 8.0 + k as f64);
        patients.push(r);
    }
    let s = summarize(&patients, &[]);
    let onset = s.quantiles(Endpoint::CrsOnset).expect("quantiles");
    assert_eq!(onset.median, Some(2.0));
    let tmax = s.quantiles(Endpoint::Tmax).expect("quantiles");
    assert_eq!(tmax.median, Some(9.5));
    assert_eq!(s.number(Endpoint::TmaxMedian), Some(9.5));
    assert_eq!(s.rate(Endpoint::CrsAnyGrade), Some(0.75));
    assert_eq!(s.rate(Endpoint::CrsGrade3Plus), Some(0.25));
}

#[test]
fn b_cell_aplasia_headlines_its_own_month_and_needs_b_cells() {
    // recovery on day 250: in aplasia at 6 months, recovered by 12
    let patients = [
        responder(Some(5.0), Some(250.0), 400.0),
        responder(Some(5.0), None, 400.0),
    ];
    let s = summarize(&patients, &[6.0, 12.0]);
    // the headline (titled "at 6 months") is the 6-month point whatever the report month
    let (h, _) = s.headline(Endpoint::BCellAplasia, 12.0).expect("reported");
    assert!((h - 1.0).abs() < 1e-12, "{h}");
    assert_eq!(
        s.at(Endpoint::BCellAplasia, 12.0).map(|p| p.survival),
        Some(0.5)
    );
    // a model without B cells: not applicable, not "every responder recovered at day 0"
    let mut none = patients;
    for r in &mut none {
        r.set(Var::BCellsAssessed, 0.0);
        r.set(Var::BCellAplasiaOnsetDay, f64::NAN);
        r.set(Var::BCellRecoveryDay, f64::NAN);
    }
    let s = summarize(&none, &[6.0, 12.0]);
    assert!(s.curve(Endpoint::BCellAplasia).is_empty());
    assert_eq!(s.headline(Endpoint::BCellAplasia, 12.0), None);
    assert_eq!(s.number(Endpoint::MedianBCellAplasia), None);
}

#[test]
fn not_assessed_means_not_applicable_not_zero() {
    let mut r = Record::failed();
    r.set(Var::Evaluable, 1.0);
    r.set(Var::TmaxDay, 3.0);
    let s = summarize(&[r, r], &[6.0]);
    assert!(!s.response_assessed);
    assert_eq!(s.rate(Endpoint::Remission), None);
    assert!(s.curve(Endpoint::Rfs).is_empty());
    assert!(s.curve(Endpoint::BCellAplasia).is_empty());
    assert_eq!(s.number(Endpoint::MedianBCellAplasia), None);
    // exposure does not need a response
    assert_eq!(s.number(Endpoint::TmaxMedian), Some(3.0));
    let json = serde_json::to_value(&s).expect("json");
    assert_eq!(json["orr"], serde_json::Value::Null);
    assert_eq!(json["b_cell_aplasia_km"], serde_json::json!([]));
}

#[test]
fn every_endpoint_has_its_summary_key_and_every_variable_its_column() {
    let r = responder(Some(5.0), Some(100.0), 400.0);
    let s = summarize(&[r], &[6.0]);
    let json = serde_json::to_value(&s).expect("json");
    for def in ENDPOINTS {
        assert!(json.get(def.json).is_some(), "{} missing", def.json);
        if matches!(s.value(def.endpoint), Value::Rate { .. }) {
            assert!(json.get(def.json_ci_key()).is_some(), "{}", def.json);
        }
    }
    let columns: Vec<&str> = VARS.iter().map(|v| v.column).collect();
    for c in ["b_cell_recovery_day", "crs_onset_day", "tmax_day"] {
        assert!(columns.contains(&c), "{c}");
    }
    assert!((DAYS_PER_MONTH * 12.0 - 365.25).abs() < 1e-12);
}

const TARGETS: &str = r#"name = "t"

[remission]
value = 0.8
n = 50
source = "s"

[[b_cell_aplasia]]
month = 6
value = 0.83
ci95 = [0.7, 0.9]
source = "Maude 2018"

[[efs]]
month = 12
value = 0.5
source = "s"
"#;

#[test]
fn targets_name_any_endpoint_of_the_table() {
    let t = Targets::parse(Path::new("t.toml"), TARGETS).expect("valid");
    assert_eq!(t.curve(Endpoint::BCellAplasia).len(), 1);
    assert_eq!(t.curve(Endpoint::Efs).len(), 1);
    // EFS months are report months; B-cell aplasia has its own
    assert_eq!(t.report_curve_months(), vec![12.0]);
    // written back, read again to the same targets
    let written = toml::to_string(&t).expect("toml");
    let back = Targets::parse(Path::new("w.toml"), &written).expect("round trip");
    assert_eq!(back, t);
    let line =
        |text: &str, needle: &str| text[..text.find(needle).expect("in text")].lines().count() + 1;
    // a month the endpoint does not report is refused at its line
    let text = TARGETS.replace("month = 6", "month = 9");
    let err = Targets::parse(Path::new("t.toml"), &text)
        .expect_err("month 9")
        .to_string();
    let at = format!("t.toml:{}:", line(&text, "month = 9"));
    assert!(
        err.contains(&at) && err.contains("b_cell_aplasia.month"),
        "{err}"
    );
    // an unknown endpoint is refused at its line, never read as another one
    let text = format!("{TARGETS}\n[crs_grade5]\nvalue = 0.1\nsource = \"s\"\n");
    let err = Targets::parse(Path::new("t.toml"), &text)
        .expect_err("unknown")
        .to_string();
    let at = format!("t.toml:{}:", line(&text, "[crs_grade5]"));
    assert!(
        err.contains(&at) && err.contains("unknown key `crs_grade5`"),
        "{err}"
    );
}

#[test]
fn targets_a_model_without_b_cells_cannot_report_are_refused() {
    let t = Targets::parse(Path::new("t.toml"), TARGETS).expect("valid");
    let path = cartkin_core::model::resolve("stein_2019").expect("bundled");
    let model = cartkin_core::model::Model::load(&path).expect("valid");
    let err = t.check_model(model.spec()).expect_err("no B cells");
    assert!(err.contains("b_cell_aplasia"), "{err}");
    let eliana = cartkin_core::model::resolve("cart_all_eliana").expect("bundled");
    let model = cartkin_core::model::Model::load(&eliana).expect("valid");
    t.check_model(model.spec()).expect("cart_all has B cells");
}
