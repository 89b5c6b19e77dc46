//! `--python`: the classic CPython versions in the same run, verified like the Rust
//! models, on both jobs; and one line when the interpreter is missing. Uses the
//! machine's `python3` (CI has one).

mod common;

use common::{concbench, json_report, stderr, sum_of_squares};
use serde_json::Value;

fn rows(report: &Value) -> Vec<&Value> {
    report["results"].as_array().unwrap().iter().collect()
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/report.schema.json"
    ))
    .unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

#[test]
fn python_rows_appear_and_verify_on_cpu() {
    let report = json_report(&[
        "cpu",
        "--python",
        "--strategy",
        "sequential",
        "--numbers",
        "30000,10,20000,7",
        "--workers",
        "2",
        "--runs",
        "2",
        "--warmup",
        "0",
        "--format",
        "json",
        "--no-save",
    ]);
    assert!(validator().is_valid(&report), "the report keeps the schema");
    let expected: u128 = [30000, 10, 20000, 7]
        .iter()
        .map(|&n| sum_of_squares(n))
        .sum();
    let names: Vec<&str> = rows(&report)
        .iter()
        .map(|r| r["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "sequential",
            "py-sequential",
            "py-threads",
            "py-asyncio",
            "py-processes"
        ]
    );
    for row in rows(&report) {
        assert_eq!(row["verified"], true, "{row}");
        assert_eq!(row["checksum"], expected.to_string(), "{row}");
    }
    let py = rows(&report)[1];
    assert_eq!(py["speedup"], 1.0, "py rows are against py-sequential");
    assert!(
        py["python"]["version"].as_str().unwrap().starts_with('3'),
        "{py}"
    );
    // The interpreter and its two pool workers.
    assert_eq!(
        rows(&report)[4]["census"]["processes"],
        3,
        "{}",
        rows(&report)[4]
    );
    assert!(report["config"]["python"]["executable"].is_string());
}

#[test]
fn python_rows_verify_the_same_bodies_on_io() {
    let report = json_report(&[
        "io",
        "--python",
        "--strategy",
        "sequential",
        "--requests",
        "8",
        "--latency",
        "1ms",
        "--body-bytes",
        "2KiB",
        "--workers",
        "3",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--format",
        "json",
        "--no-save",
    ]);
    let rust = rows(&report)[0];
    for row in rows(&report) {
        assert_eq!(row["verified"], true, "{row}");
        assert_eq!(row["checksum"], rust["checksum"], "same bodies: {row}");
        assert_eq!(row["io"]["failed"], 0, "{row}");
    }
    assert!(rows(&report)[1]["python"]["http"].is_string());
}

#[test]
fn a_missing_interpreter_is_refused_in_one_line_before_anything_runs() {
    let output = concbench(&["cpu", "--python", "/nonexistent/python3.99", "--no-save"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "error: cannot run the Python interpreter '/nonexistent/python3.99' (--python PATH \
             names another)"
        ),
        "{err}"
    );
    assert!(output.stdout.is_empty(), "nothing ran");
}
