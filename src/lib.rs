//! concbench: which concurrency model should this job use, and did it get slower?
//!
//! A map of the modules:
//!
//! - [`app`] — argv to the command that runs it; the `compare` and `plot` commands.
//! - [`cli`] — the clap definition and its value parsers (numbers, sizes, durations, addresses).
//! - [`config`] — parsed flags to a validated plain config; the cross-flag checks.
//! - [`limits`] — the defaults and bounds of the flags, shared by `cli` and `config`.
//! - [`error`] — the error kinds callers match on and the named exit codes.
//! - [`workload`] — the cpu, io and tasks jobs: one unit of work and its expected result.
//! - [`strategy`] — one file per concurrency model, all behind one trait.
//! - [`worker`] — the child side of the process pool and of per-run isolation; the pipe protocol.
//! - [`census`] — threads and memory of each process of a run, read from `/proc` by the process itself.
//! - [`runner`] — warmup, interleaved runs, one fresh process per run, OS CPU and memory figures.
//! - [`analysis`] — samples to report rows: statistics, speedups; verification (`analysis/verify`); warnings as data (`analysis/warning`); a waiting task's memory (`analysis/tasks`).
//! - [`selfcheck`] — the same work costs the same CPU in every model: the cpu run's check.
//! - [`stats`] — pure functions over samples.
//! - [`significance`] — the rank test, the Hodges–Lehmann interval and outliers, for the gate and the speedups.
//! - [`compare`] — baseline vs current report: change, interval, verdict.
//! - [`expect`] — `--expect` gates on ratios measured in the same run.
//! - [`gate`] — the gates run after a benchmark and by `compare`: judged, then printed; exit 3.
//! - [`export`] — one file per export format behind one trait; atomic writes.
//! - [`report`] — the serde types of the versioned JSON report.
//! - [`results`] — the `results/` directory: default names, baselines, loading saved reports.
//! - [`machine`] — machine metadata stored in each report.
//! - [`bench`] — the `cpu`, `io`, `tasks` and `all` commands, end to end (`bench/tasks`: which counts a model can hold).
//! - [`generate`] — shell completions and man pages, from the clap definition.
//! - [`server`] — the embedded HTTP target: `serve(listener, settings, shutdown)`; its idle watchdog, bodies, listener and request log beside it.
//! - [`serve`] — the `serve` command around it: flags, the URL, the announcement, signals.
//! - [`python`] — the CPython models of `--python`: finding and checking the interpreter.
//! - [`target`] — that server as a child process for the io job.
//! - [`output`] — tables, verdicts, titles, progress bar, number formatting.
//! - [`plot`] — SVG charts of a report (bars, worker sweeps, memory against tasks) and of a comparison.

// The library's surface is what the binary, the integration tests and the
// benchmarks use: those modules are `pub`; the rest are private, and an item `pub`
// beyond what the crate can reach is a lint error (`unreachable_pub`, under
// clippy's `-D warnings` in CI).
#![warn(unreachable_pub)]
// The map above names private modules too: `cargo doc --document-private-items`
// renders their links.
#![allow(rustdoc::private_intra_doc_links)]

mod analysis;
pub mod app;
mod bench;
pub mod census;
pub mod cli;
mod compare;
mod config;
pub mod error;
pub mod expect;
mod export;
mod gate;
mod generate;
pub mod limits;
pub mod machine;
mod output;
mod plot;
pub mod python;
mod report;
pub mod results;
pub mod runner;
mod selfcheck;
mod serve;
pub mod server;
mod significance;
pub mod stats;
pub mod strategy;
mod target;
pub mod worker;
pub mod workload;
