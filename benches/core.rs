//! The core benchmark: figures behind the claims in the README, printed, not asserted.
//!
//! `cargo bench --bench core` measures, on an otherwise idle machine:
//!
//! 1. the CPU kernel's time per n, to show it grows linearly (it really loops);
//! 2. parallel efficiency of threads, rayon and processes at 2 workers on a job that
//!    takes over a second sequentially;
//! 3. the process pool's cost per task (thousands of near-empty tasks);
//! 4. concbench's whole-process start-up, which every isolated run pays;
//! 5. the same work at the same cost: each model's kernel CPU per item at 1 worker,
//!    for both kernels, beside sequential's (code layout must not move it).
//!
//! Set `CONCBENCH_BENCH_QUICK=1` for a fast smoke run with smaller jobs. A word after
//! `--` runs only the sections whose name holds it: `cargo bench --bench core --
//! kernel-cost` runs section 5 alone.

mod common;

use std::process::{Command, Stdio};
use std::time::Instant;

use common::{BIN, concbench_json};
use concbench::stats::{median, percentile};
use concbench::workload::cpu::sum_of_squares;

fn quick() -> bool {
    std::env::var_os("CONCBENCH_BENCH_QUICK").is_some()
}

fn row<'a>(report: &'a serde_json::Value, strategy: &str) -> &'a serde_json::Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["strategy"] == strategy)
        .unwrap()
}

fn kernel_linearity() {
    println!("## 1. kernel: time per n (sequential, in process, best of 7)");
    println!(
        "{:>12} {:>12} {:>10} {:>12}",
        "n", "time", "ns / n", "t(n)/t(n/2)"
    );
    let mut previous: Option<f64> = None;
    let top = if quick() { 4_000_000 } else { 64_000_000 };
    let mut n = 1_000_000u64;
    while n <= top {
        let times: Vec<f64> = (0..7)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(sum_of_squares(std::hint::black_box(n)));
                started.elapsed().as_secs_f64()
            })
            .collect();
        let best = times.iter().copied().fold(f64::INFINITY, f64::min);
        let ratio = previous.map_or("-".to_string(), |p| format!("{:.3}", best / p));
        println!(
            "{n:>12} {:>10.2}ms {:>10.3} {ratio:>12}",
            best * 1e3,
            best * 1e9 / n as f64
        );
        previous = Some(best);
        n *= 2;
    }
}

fn efficiency() {
    let start = if quick() { "2000000" } else { "80000000" };
    let runs = if quick() { "2" } else { "7" };
    println!("\n## 2. parallel efficiency at 2 workers (20 numbers from {start}, {runs} runs)");
    let report = concbench_json(&[
        "cpu",
        "--strategy",
        "sequential,threads,rayon,processes,async",
        "--workers",
        "2",
        "--count",
        "20",
        "--start",
        start,
        "--runs",
        runs,
        "--warmup",
        "1",
    ]);
    println!(
        "{:>12} {:>10} {:>10} {:>10} {:>10}",
        "model", "median", "speedup", "efficiency", "verified"
    );
    for strategy in ["sequential", "threads", "rayon", "processes", "async"] {
        let r = row(&report, strategy);
        println!(
            "{strategy:>12} {:>9.3}s {:>9.3}× {:>9.1}% {:>10}",
            r["wall_s"]["median"].as_f64().unwrap(),
            r["speedup"].as_f64().unwrap(),
            r["efficiency"].as_f64().unwrap() * 100.0,
            r["verified"]
        );
    }
}

fn pool_task_cost() {
    let count = if quick() { 500 } else { 20_000 };
    let count_text = count.to_string();
    println!("\n## 3. process pool cost per task ({count} tasks of n = 1, 5 runs)");
    for workers in ["1", "2"] {
        let report = concbench_json(&[
            "cpu",
            "--strategy",
            "sequential,processes",
            "--workers",
            workers,
            "--count",
            &count_text,
            "--start",
            "1",
            "--runs",
            "5",
            "--warmup",
            "1",
        ]);
        let seq = row(&report, "sequential")["wall_s"]["median"]
            .as_f64()
            .unwrap();
        let pool = row(&report, "processes");
        let wall = pool["wall_s"]["median"].as_f64().unwrap();
        let setup = pool["setup_s"]["median"].as_f64().unwrap();
        // The pool's own cost: its wall time after start-up, less the work itself
        // shared among its workers (sequential's wall time ÷ workers), per task.
        let shares: f64 = workers.parse().unwrap();
        let per_task = (wall - setup - seq / shares) / count as f64;
        println!(
            "  {workers} worker(s): wall {:.1} ms, pool start {:.2} ms, sequential {:.1} ms, \
             per task {:.2} µs ((wall - start - sequential / workers) / tasks)",
            wall * 1e3,
            setup * 1e3,
            seq * 1e3,
            per_task * 1e6
        );
    }
    python_pool_task_cost(count);
}

/// CPython's `multiprocessing.Pool(2).map(f, range(count), chunksize=1)` beside ours:
/// the pool a Rust pool must not lose to. Skipped without `python3`.
fn python_pool_task_cost(count: usize) {
    let script = format!(
        "import multiprocessing as mp, statistics, time\n\
         def f(x): return x * x\n\
         if __name__ == '__main__':\n\
         \x20   runs = []\n\
         \x20   for _ in range(5):\n\
         \x20       with mp.Pool(2) as pool:\n\
         \x20           pool.map(f, range(2))\n\
         \x20           t = time.perf_counter()\n\
         \x20           pool.map(f, range({count}), chunksize=1)\n\
         \x20           runs.append(time.perf_counter() - t)\n\
         \x20   print(statistics.median(runs))\n"
    );
    let output = std::process::Command::new("python3")
        .args(["-c", &script])
        .output();
    match output {
        Ok(output) if output.status.success() => {
            let text = String::from_utf8_lossy(&output.stdout);
            let wall: f64 = text.trim().parse().unwrap_or(f64::NAN);
            println!(
                "  python3 multiprocessing.Pool(2).map(chunksize=1): per task {:.1} µs \
                 (median of 5, pool started beforehand)",
                wall / count as f64 * 1e6
            );
        }
        _ => println!("  python3 multiprocessing.Pool: skipped (no python3)"),
    }
}

fn startup() {
    let spawns = if quick() { 10 } else { 100 };
    println!("\n## 4. whole-process start-up ({spawns} spawns each, median / p90)");
    for (label, args) in [
        ("concbench --version", vec!["--version"]),
        ("concbench worker, EOF", vec!["worker"]),
    ] {
        let times: Vec<f64> = (0..spawns)
            .map(|_| {
                let started = Instant::now();
                let status = Command::new(BIN)
                    .args(&args)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .status()
                    .expect("spawns");
                assert!(status.success());
                started.elapsed().as_secs_f64()
            })
            .collect();
        println!(
            "  {label:<24} {:.2} ms / {:.2} ms",
            median(&times) * 1e3,
            percentile(&times, 90.0) * 1e3
        );
    }
}

/// Every model at 1 worker runs the same kernel on the same numbers, so the kernel's
/// CPU time per item (counted on the threads that ran it) must be the same in each.
fn kernel_cost() {
    let runs = if quick() { "3" } else { "10" };
    println!("\n## 5. kernel CPU per item at 1 worker, every model ({runs} runs each, median)");
    let jobs: [(&str, Vec<&str>); 2] = [
        (
            "squares of 20 numbers from 5,000,000",
            vec!["--kernel", "squares"],
        ),
        (
            "fib(30) × 8",
            vec!["--kernel", "fib", "--numbers", "30,30,30,30,30,30,30,30"],
        ),
    ];
    for (label, kernel_args) in jobs {
        let mut args = vec!["cpu", "--workers", "1", "--runs", runs, "--warmup", "1"];
        args.extend(kernel_args);
        let report = concbench_json(&args);
        println!("  {label}");
        println!(
            "  {:>12} {:>14} {:>14} {:>20}",
            "model", "kernel / item", "vs sequential", "95 % interval"
        );
        for r in report["results"].as_array().unwrap() {
            let kernel = &r["kernel"];
            let interval = match kernel["vs_sequential_ci"].as_array() {
                Some(ci) => format!(
                    "{:.3}–{:.3}×",
                    ci[0].as_f64().unwrap(),
                    ci[1].as_f64().unwrap()
                ),
                None => "-".to_string(),
            };
            println!(
                "  {:>12} {:>11.3} ms {:>13.3}× {:>20}",
                r["strategy"].as_str().unwrap(),
                kernel["cpu_per_item_s"].as_f64().unwrap() * 1e3,
                kernel["vs_sequential"].as_f64().unwrap_or(f64::NAN),
                interval
            );
        }
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing else.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let only: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    println!(
        "# concbench core benchmark ({} logical CPUs)\n",
        concbench::machine::available_parallelism()
    );
    let sections: [(&str, fn()); 5] = [
        ("kernel-linearity", kernel_linearity),
        ("efficiency", efficiency),
        ("pool-task-cost", pool_task_cost),
        ("startup", startup),
        ("kernel-cost", kernel_cost),
    ];
    for (name, section) in sections {
        if only.as_deref().is_none_or(|only| name.contains(only)) {
            section();
        }
    }
}
