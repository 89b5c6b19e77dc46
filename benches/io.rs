//! The I/O benchmark: figures behind the I/O claims in the README, printed, not asserted.
//!
//! `cargo bench --bench io` measures, against concbench's own target on 127.0.0.1,
//! 160 requests of 10 KiB, 5 runs, for L = 20 ms and 50 ms:
//!
//! 1. each model's median against its floor — the time the latency alone forces:
//!    sequential 160·L, threads, rayon and processes ⌈160/w⌉·L, async L — plus the
//!    model's own measured set-up; the overhead is median − floor − set-up. For async
//!    that is its overhead above one latency.
//! 2. every model's CPU time per request, side by side: user + system time of the
//!    run's processes (from the kernel), over the requests of one run. This is where
//!    the HTTP client's own cost shows (ureq for the blocking models, reqwest for
//!    async).

mod common;

use common::concbench_json;

const REQUESTS: f64 = 160.0;

fn floors(latency: f64) {
    let l = format!("{}ms", latency * 1e3);
    println!("## {REQUESTS} requests at L = {l} (5 runs, 1 warmup)");
    let report = concbench_json(&["io", "--latency", &l, "--runs", "5", "--warmup", "1"]);
    println!(
        "{:>12} {:>8} {:>10} {:>10} {:>9} {:>10} {:>8} {:>10} {:>9}",
        "model", "workers", "median", "floor", "set-up", "overhead", "over", "CPU/req", "p50"
    );
    for row in report["results"].as_array().unwrap() {
        let strategy = row["strategy"].as_str().unwrap();
        let workers = row["workers"].as_f64().unwrap();
        let rounds = match strategy {
            "sequential" => REQUESTS,
            "async" => 1.0,
            _ => (REQUESTS / workers).ceil(),
        };
        let floor = rounds * latency;
        let median = row["wall_s"]["median"].as_f64().unwrap();
        let setup = row["setup_s"]["median"].as_f64().unwrap();
        let cpu = row["cpu_s"]["median"].as_f64().unwrap();
        let p50 = row["io"]["latency_s"]["p50"].as_f64().unwrap();
        println!(
            "{strategy:>12} {workers:>8} {:>8.1}ms {:>8.1}ms {:>7.2}ms {:>8.2}ms {:>+7.2}% {:>8.1}µs {:>7.2}ms",
            median * 1e3,
            floor * 1e3,
            setup * 1e3,
            (median - floor - setup) * 1e3,
            (median / (floor + setup) - 1.0) * 100.0,
            cpu / REQUESTS * 1e6,
            p50 * 1e3,
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    floors(0.020);
    println!();
    floors(0.050);
}
