//! Tests of how a benchmark command writes what it made: the report, exports and
//! plot, each failure costing only its own file.

use super::*;
use crate::config::SaveConfig;
use crate::export::{Destination, ExportFormat};
use crate::report::ReportConfig;

/// A plan that only saves, as `save` says.
fn saving(save: SaveConfig) -> BenchConfig {
    BenchConfig {
        strategies: vec![Strategy::Sequential],
        warmup: 0,
        stop: None,
        run_timeout: None,
        python: None,
        format: Format::Table,
        wide: false,
        style: None,
        cpu: None,
        tasks: None,
        io: None,
        save,
        gate: gate::GateConfig::default(),
    }
}

fn report() -> Report {
    Report {
        warnings: Vec::new(),
        schema_version: SCHEMA_VERSION,
        created_at: "2026-11-22T03:15:00Z".into(),
        machine: Machine::current(),
        config: ReportConfig {
            warmup: 0,
            strategies: vec![Strategy::Sequential],
            cpu: None,
            tasks: None,
            io: None,
            python: None,
        },
        results: Vec::new(),
    }
}

/// What went wrong after the run, where the check before it cannot see (a disk
/// that filled up, a directory replaced by a file meanwhile): the report is
/// saved first, and each other file is written or fails on its own.
#[test]
fn a_file_that_cannot_be_written_costs_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("FILE"), "a regular file").unwrap();
    let bad = dir.join("FILE").join("x.csv");
    let config = saving(SaveConfig {
        to: SaveTo::Path(dir.join("r.json")),
        baseline: None,
        plot: None,
        exports: vec![
            (ExportFormat::Csv, Destination::File(bad.clone())),
            (ExportFormat::Markdown, Destination::File(dir.join("m.md"))),
        ],
    });
    let mut exports = ExportManager::new();
    for (format, destination) in &config.save.exports {
        exports.add(*format, destination.clone());
    }
    let report = report();
    let kept = keep(&config, &report, &exports, None, SystemTime::now(), false);
    assert_eq!(
        kept.notes,
        [
            format!("saved {}", dir.join("r.json").display()),
            format!("exported markdown to {}", dir.join("m.md").display()),
        ]
    );
    let error = format!("{:#}", kept.result().unwrap_err());
    assert_eq!(
        error,
        format!(
            "writing {}: {} is not a directory",
            bad.display(),
            dir.join("FILE").display()
        )
    );
    assert_eq!(results::load(&dir.join("r.json")).unwrap(), report);
    assert!(dir.join("m.md").exists());

    // Every failure is said, on one line (the chart's here: this report has no
    // rows to draw).
    let config = saving(SaveConfig {
        to: SaveTo::Path(bad.clone()),
        baseline: None,
        plot: Some(dir.join("FILE").join("x.svg")),
        exports: Vec::new(),
    });
    let kept = keep(
        &config,
        &report,
        &ExportManager::new(),
        None,
        SystemTime::now(),
        false,
    );
    assert!(kept.notes.is_empty(), "{:?}", kept.notes);
    let error = format!("{:#}", kept.result().unwrap_err());
    assert!(
        error.starts_with(&format!("writing {}: ", bad.display())) && error.contains("; "),
        "{error}"
    );
}
