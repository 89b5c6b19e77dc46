//! The JSON report keeps its published contract: real output of every workload is
//! validated against `schema/report.schema.json`.

mod common;

use common::{concbench_in, stderr};

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/report.schema.json"
    ))
    .expect("the schema is checked in");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

fn assert_valid(validator: &jsonschema::Validator, report: &serde_json::Value) {
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema violations: {errors:#?}");
}

#[test]
fn real_reports_match_the_schema() {
    let validator = validator();
    let dir = tempfile::tempdir().unwrap();
    let output = concbench_in(
        dir.path(),
        &[
            "all",
            "--count",
            "3",
            "--start",
            "1000",
            "--requests",
            "6",
            "--latency",
            "1ms",
            "--body-bytes",
            "100",
            "--tasks",
            "20,60",
            "--wait",
            "10ms",
            "--runs",
            "2",
            "--warmup",
            "0",
            "--format",
            "json",
            "--output",
            "saved.json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_valid(&validator, &printed);
    assert_eq!(
        printed["results"].as_array().unwrap().len(),
        12 + 6,
        "6 models × cpu and io, and the 3 that hold tasks × 2 counts"
    );

    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("saved.json")).unwrap())
            .unwrap();
    assert_valid(&validator, &saved);
    assert_eq!(
        saved["results"], printed["results"],
        "the saved report is the printed one"
    );

    // Two runs: each table warns that its medians have no 95 % interval, and the
    // report carries what stderr printed, kind and text.
    let warnings = printed["warnings"].as_array().expect("warnings");
    let err = stderr(&output);
    for workload in ["cpu", "io"] {
        let few = warnings
            .iter()
            .find(|w| w["workload"] == workload && w["kind"] == "few_runs")
            .unwrap_or_else(|| panic!("a few_runs warning for {workload}: {warnings:?}"));
        let message = few["message"].as_str().unwrap();
        assert!(err.contains(message), "{message:?} not in {err}");
    }

    // A report that broke the contract would be caught.
    let mut broken = printed.clone();
    broken["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("checksum");
    assert!(!validator.is_valid(&broken));
    let mut broken = printed;
    broken["results"][0]["wall_s"]["median"] = serde_json::json!("fast");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn a_report_with_failures_matches_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let output = concbench_in(
        dir.path(),
        &[
            "io",
            "--requests",
            "2",
            "--latency",
            "0",
            "--body-bytes",
            "50",
            "--max-body-bytes",
            "10",
            "--strategy",
            "sequential",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--format",
            "json",
            "--no-save",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "failed requests exit 1");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["results"][0]["io"]["failures"]["body_too_large"], 2);
    assert_valid(&validator(), &report);
}
