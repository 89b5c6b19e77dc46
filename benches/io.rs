//! The I/O benchmark: figures behind the I/O claims in the README, printed, not asserted.
//!
//! `cargo bench --bench io` measures, against concbench's own target on 127.0.0.1:
//!
//! 1. each model's median against its floor — the time the latency alone forces:
//!    sequential 160·L, threads and rayon ⌈160/w⌉·L, processes ⌈160/w⌉·L, async L —
//!    plus the model's own measured set-up, for L = 20 ms and 50 ms;
//! 2. with no latency and 5,000 requests, the async model's requests per second
//!    against wrk's on the same server with the same number of connections (needs
//!    `wrk`: `apt-get install wrk`; skipped without it).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{BIN, concbench_json};

fn floors(latency: f64) {
    let requests = 160.0f64;
    let l = format!("{}ms", latency * 1e3);
    println!("## 1. {requests} requests at L = {l}: median against floor + set-up (5 runs)");
    let report = concbench_json(&["io", "--latency", &l, "--runs", "5", "--warmup", "1"]);
    println!(
        "{:>12} {:>8} {:>10} {:>10} {:>10} {:>9}",
        "model", "workers", "median", "floor", "set-up", "over"
    );
    for row in report["results"].as_array().unwrap() {
        let strategy = row["strategy"].as_str().unwrap();
        let workers = row["workers"].as_f64().unwrap();
        let rounds = match strategy {
            "sequential" => requests,
            "async" => 1.0,
            _ => (requests / workers).ceil(),
        };
        let floor = rounds * latency;
        let median = row["wall_s"]["median"].as_f64().unwrap();
        let setup = row["setup_s"]["median"].as_f64().unwrap();
        println!(
            "{strategy:>12} {workers:>8} {:>8.1}ms {:>8.1}ms {:>8.2}ms {:>+8.2}%",
            median * 1e3,
            floor * 1e3,
            setup * 1e3,
            (median / (floor + setup) - 1.0) * 100.0
        );
    }
}

/// `concbench serve` on 127.0.0.1, port 0; killed on drop.
struct Server(Child, String);

impl Server {
    fn start() -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--latency", "0", "--body-bytes", "10240"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Server(child, line.trim().to_string())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn async_against_wrk() {
    let requests = 5000;
    let concurrency = 256;
    println!("\n## 2. no latency, {requests} requests, {concurrency} connections: async vs wrk");
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("  skipped: wrk is not installed (apt-get install wrk)");
        return;
    }
    let server = Server::start();
    let sites = std::env::temp_dir().join(format!("concbench-bench-{}.txt", std::process::id()));
    std::fs::write(&sites, format!("{}\n", server.1)).unwrap();
    let report = concbench_json(&[
        "io",
        "--sites",
        sites.to_str().unwrap(),
        "--repeat",
        &requests.to_string(),
        "--strategy",
        "async",
        "--concurrency",
        &concurrency.to_string(),
        "--runs",
        "5",
        "--warmup",
        "1",
    ]);
    let _ = std::fs::remove_file(&sites);
    let row = &report["results"][0];
    let ours = row["io"]["requests_per_s"].as_f64().unwrap();
    let wall = row["wall_s"]["median"].as_f64().unwrap();
    let output = Command::new("wrk")
        .args(["-t2", &format!("-c{concurrency}"), "-d5s", &server.1])
        .output()
        .expect("wrk runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let wrk: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("wrk prints Requests/sec");
    println!(
        "  concbench async: {ours:>9.0} req/s (median run {:.1} ms, verified {})",
        wall * 1e3,
        row["verified"]
    );
    println!("  wrk -t2 -c{concurrency}: {wrk:>9.0} req/s");
    println!("  async / wrk:     {:>9.1} %", ours / wrk * 100.0);
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    floors(0.020);
    println!();
    floors(0.050);
    async_against_wrk();
}
