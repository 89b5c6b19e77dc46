//! Shared by the benchmarks: run the built concbench and read its JSON report.

use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_concbench");

/// Runs concbench with `args` plus `--format json --no-save` and parses the report.
pub fn concbench_json(args: &[&str]) -> serde_json::Value {
    let output = Command::new(BIN)
        .args(args)
        .args(["--format", "json", "--no-save"])
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json report")
}
