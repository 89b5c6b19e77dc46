//! The analysis on fixed samples: verification, speedups, intervals, warnings.

use super::verify::first_few;
use super::*;
use crate::workload::cpu::Kernel;
use crate::workload::io::{FailureKind, Fetch};

fn runs(strategy: Strategy, workers: usize, walls: &[f64], outputs: Outputs) -> ModelRuns {
    ModelRuns::fixture(strategy, workers, walls, outputs)
}

#[test]
fn cpu_rows_verify_and_compute_speedups() {
    let job = CpuJob {
        kernel: Kernel::Squares,
        numbers: vec![3, 4],
    };
    let right = Outputs::Cpu(vec![5, 14]);
    let wrong = Outputs::Cpu(vec![5, 15]);
    let analysis = cpu(
        &job,
        &[
            runs(Strategy::Sequential, 2, &[2.0, 2.2, 1.8], right.clone()),
            runs(Strategy::Threads, 2, &[1.0, 1.1, 0.9], right),
            runs(Strategy::Rayon, 2, &[1.0], wrong),
        ],
    );
    let [seq, threads, rayon] = &analysis.rows[..] else {
        panic!("three rows")
    };
    assert_eq!(
        (seq.workers, seq.speedup, seq.efficiency),
        (1, Some(1.0), Some(1.0))
    );
    assert_eq!(threads.speedup, Some(2.0));
    assert_eq!(threads.efficiency, Some(1.0));
    assert!(seq.verified && threads.verified && !rayon.verified);
    assert_eq!(seq.checksum, "19");
    assert_eq!(
        analysis.problems,
        vec!["rayon run 1: wrong squares for n = 4: got 15, expected 14"]
    );
}

/// A fetch of `bytes` bytes whose body hashed to `digest` (`None`: it failed).
fn fetch(bytes: u64, digest: Option<u32>, failure: Option<FailureKind>) -> Fetch {
    Fetch {
        bytes,
        latency_s: 0.05,
        started_s: 0.0,
        digest,
        failure,
    }
}

fn ok(bytes: u64, digest: u32) -> Fetch {
    fetch(bytes, Some(digest), None)
}

fn urls(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("http://127.0.0.1:1/{i}")).collect()
}

fn built_in(digests: &[u32], body_bytes: u64) -> ExpectedBodies {
    ExpectedBodies::Exactly {
        digests: digests.to_vec(),
        body_bytes,
    }
}

#[test]
fn io_rows_count_failures_by_kind() {
    let good = Outputs::Io(vec![ok(10, 0xa), ok(10, 0xb)]);
    let bad = Outputs::Io(vec![fetch(0, None, Some(FailureKind::Status)), ok(10, 0xb)]);
    let analysis = io(
        &urls(2),
        &built_in(&[0xa, 0xb], 10),
        &[
            runs(Strategy::Sequential, 1, &[0.1], good),
            runs(Strategy::Async, 4, &[0.05], bad),
        ],
    );
    let [seq, asy] = &analysis.rows[..] else {
        panic!("two rows")
    };
    assert!(seq.verified && !asy.verified);
    assert_eq!(asy.speedup, Some(2.0));
    let figures = asy.io.as_ref().unwrap();
    assert_eq!(figures.failures.get("status"), Some(&1));
    assert_eq!(figures.failed, 1);
    assert_eq!(figures.requests_per_s, 40.0);
    assert_eq!(analysis.failed_requests, 1);
    assert!(
        analysis.problems.is_empty(),
        "failures are counted, not problems"
    );
}

/// The right number of the wrong bytes: byte totals alone would pass it.
#[test]
fn right_length_wrong_content_is_unverified() {
    let right = Outputs::Io(vec![ok(10, 0xa), ok(10, 0xb)]);
    let swapped = Outputs::Io(vec![ok(10, 0xb), ok(10, 0xa)]);
    let analysis = io(
        &urls(2),
        &built_in(&[0xa, 0xb], 10),
        &[
            runs(Strategy::Sequential, 1, &[0.1], right),
            runs(Strategy::Threads, 2, &[0.05], swapped),
        ],
    );
    assert!(analysis.rows[0].verified);
    assert!(!analysis.rows[1].verified);
    assert_eq!(
        analysis.problems,
        vec![
            "threads run 1: 2 of 2 bodies differ from what the server sent; the first, \
             http://127.0.0.1:1/0, read 10 bytes with CRC-32 0000000b, expected 10 \
             bytes with 0000000a"
        ]
    );
    assert_ne!(analysis.rows[0].checksum, analysis.rows[1].checksum);
}

/// The checksum is what the model returned, so a wrong model shows a different one.
#[test]
fn cpu_checksum_is_what_the_model_returned() {
    let job = CpuJob {
        kernel: Kernel::Squares,
        numbers: vec![3, 4],
    };
    let analysis = cpu(
        &job,
        &[
            runs(Strategy::Sequential, 1, &[1.0], Outputs::Cpu(vec![5, 14])),
            runs(Strategy::Threads, 2, &[1.0], Outputs::Cpu(vec![5, 99])),
        ],
    );
    assert_eq!(analysis.rows[0].checksum, "19");
    assert_eq!(analysis.rows[1].checksum, "104");
}

#[test]
fn sites_must_agree_across_models() {
    let a = Outputs::Io(vec![ok(10, 1)]);
    let b = Outputs::Io(vec![ok(10, 2)]);
    let analysis = io(
        &urls(1),
        &ExpectedBodies::Consistent,
        &[
            runs(Strategy::Sequential, 1, &[0.1], a),
            runs(Strategy::Threads, 5, &[0.1], b),
        ],
    );
    assert!(analysis.rows[0].verified);
    assert!(!analysis.rows[1].verified);
    assert_eq!(analysis.problems.len(), 1);
}

/// A site whose body changes between requests cannot be compared; the rows say so
/// and the other sites are still checked.
#[test]
fn dynamic_sites_are_named_not_failed() {
    let run1 = Outputs::Io(vec![ok(10, 1), ok(5, 7)]);
    let run2 = Outputs::Io(vec![ok(10, 1), ok(5, 8)]);
    let mut seq = runs(Strategy::Sequential, 1, &[0.1, 0.1], run1.clone());
    seq.measurements[1].outputs = run2;
    let analysis = io(
        &urls(2),
        &ExpectedBodies::Consistent,
        &[seq, runs(Strategy::Threads, 5, &[0.1], run1)],
    );
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    assert!(analysis.rows.iter().all(|r| r.verified));
    assert_eq!(
        analysis.rows[1].verify_note.as_deref(),
        Some(
            "1 of 2 sites changed between requests (dynamic) and were not compared: \
             http://127.0.0.1:1/1"
        )
    );
}

/// The note names the sites that changed, the first three, and counts the rest.
#[test]
fn dynamic_sites_are_named_up_to_three() {
    let run = |digest: u32| Outputs::Io((0..6).map(|i| ok(10, digest + i)).collect());
    let mut seq = runs(Strategy::Sequential, 1, &[0.1, 0.1], run(0));
    // Every site but the first changes between the two runs.
    seq.measurements[1].outputs = Outputs::Io(
        (0..6)
            .map(|i| ok(10, if i == 0 { 0 } else { 100 + i }))
            .collect(),
    );
    let analysis = io(&urls(6), &ExpectedBodies::Consistent, &[seq]);
    assert_eq!(
        analysis.rows[0].verify_note.as_deref(),
        Some(
            "5 of 6 sites changed between requests (dynamic) and were not compared: \
             http://127.0.0.1:1/1, http://127.0.0.1:1/2, http://127.0.0.1:1/3 and 2 more"
        )
    );
    assert_eq!(first_few(&["a", "b"]), "a and b");
    assert_eq!(first_few(&["a", "b", "c"]), "a, b and c");
}

/// Sequential's speedup is 1 by definition: no interval around it. With 3 runs the
/// interval of a median is [min, max], and the row says it holds 75 %, not 95 %;
/// the speedup gets no interval, as no interval of 3 runs a side reaches 95 %.
#[test]
fn intervals_claim_only_the_coverage_they_have() {
    let job = CpuJob {
        kernel: Kernel::Squares,
        numbers: vec![3],
    };
    let analysis = cpu(
        &job,
        &[
            runs(
                Strategy::Sequential,
                1,
                &[2.0, 2.2, 1.8],
                Outputs::Cpu(vec![5]),
            ),
            runs(
                Strategy::Threads,
                2,
                &[1.0, 1.1, 0.9],
                Outputs::Cpu(vec![5]),
            ),
        ],
    );
    let [seq, threads] = &analysis.rows[..] else {
        panic!("two rows")
    };
    assert_eq!((seq.speedup, seq.speedup_ci95), (Some(1.0), None));
    assert_eq!((threads.speedup, threads.speedup_ci95), (Some(2.0), None));
    assert_eq!(seq.median_ci_s, [1.8, 2.2]);
    assert_eq!(seq.median_ci_confidence, 0.75);
    let few = Warning::FewRuns {
        workload: Workload::Cpu,
        runs: 3,
        coverage: Some(0.75),
        needed: 6,
    };
    assert!(analysis.warnings.contains(&few), "{:?}", analysis.warnings);
    assert_eq!(
        few.to_string(),
        "cpu: 3 runs give each median only a 75 % interval; 6 runs are needed for 95 % \
         (--runs 6)"
    );
}

/// From 4 runs a side the speedup's interval is the rank test's (the gate's), and
/// it holds the speedup, the ratio of medians, even when the medians of runs in two
/// clusters put that outside the rank test's interval.
#[test]
fn the_speedup_interval_is_the_rank_tests_and_holds_the_speedup() {
    let job = CpuJob {
        kernel: Kernel::Squares,
        numbers: vec![3],
    };
    let model = |strategy, walls: &[f64]| runs(strategy, 2, walls, Outputs::Cpu(vec![5]));
    let sequential = [2.0, 2.2, 1.8, 2.1];
    let threads = [1.0, 1.1, 0.9, 1.05];
    let analysis = cpu(
        &job,
        &[
            model(Strategy::Sequential, &sequential),
            model(Strategy::Threads, &threads),
        ],
    );
    let shift = significance::shift_ratio(&sequential, &threads, CONFIDENCE);
    let row = &analysis.rows[1];
    assert_eq!(row.speedup_ci95, Some([shift.low, shift.high]));
    // Two clusters, split 10 / 11 in the baseline and 11 / 10 in the model: the
    // medians fall in different clusters.
    let clusters = |low: usize, high: usize, factor: f64| -> Vec<f64> {
        let mut v: Vec<f64> = (0..low).map(|i| 25.0 + 0.01 * i as f64).collect();
        v.extend((0..high).map(|i| 27.8 + 0.01 * i as f64));
        v.iter().map(|x| x * factor).collect()
    };
    let (base, slow) = (clusters(10, 11, 1.0), clusters(11, 10, 1.0 / 1.1));
    let analysis = cpu(
        &job,
        &[
            model(Strategy::Sequential, &base),
            model(Strategy::Threads, &slow),
        ],
    );
    let row = &analysis.rows[1];
    let [low, high] = row.speedup_ci95.unwrap();
    let speedup = row.speedup.unwrap();
    assert!(low <= speedup && speedup <= high, "{low} {speedup} {high}");
    let shift = significance::shift_ratio(&base, &slow, CONFIDENCE);
    assert!(
        speedup < shift.low || speedup > shift.high,
        "the fixture must put the speedup outside: {speedup} {shift:?}"
    );
}

/// Efficiency means nothing for I/O; the most requests in flight at once does.
#[test]
fn io_rows_show_requests_in_flight_not_efficiency() {
    let at = |start: f64| Fetch {
        bytes: 10,
        latency_s: 0.05,
        started_s: start,
        digest: Some(0xa),
        failure: None,
    };
    let one_by_one = Outputs::Io(vec![at(0.0), at(0.05), at(0.10)]);
    let all_at_once = Outputs::Io(vec![at(0.0), at(0.001), at(0.002)]);
    let analysis = io(
        &urls(3),
        &built_in(&[0xa, 0xa, 0xa], 10),
        &[
            runs(Strategy::Sequential, 1, &[0.15], one_by_one),
            runs(Strategy::Async, 4, &[0.052], all_at_once),
        ],
    );
    let [seq, asy] = &analysis.rows[..] else {
        panic!("two rows")
    };
    assert_eq!((seq.efficiency, asy.efficiency), (None, None));
    assert_eq!(seq.io.as_ref().unwrap().max_in_flight, 1);
    assert_eq!(asy.io.as_ref().unwrap().max_in_flight, 3);
}

/// Each warning says something its own numbers support, once.
#[test]
fn warnings_agree_with_their_numbers() {
    let job = CpuJob {
        kernel: Kernel::Squares,
        numbers: vec![3],
    };
    let steady = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0, 1.2];
    let analysis = cpu(
        &job,
        &[runs(
            Strategy::Sequential,
            1,
            &steady,
            Outputs::Cpu(vec![5]),
        )],
    );
    let outliers = Warning::Outliers {
        workload: Workload::Cpu,
        rows: vec![("sequential".to_string(), 1, 8)],
    };
    assert_eq!(analysis.warnings, vec![outliers.clone()]);
    assert_eq!(
        outliers.to_string(),
        "cpu: runs over 10 % off their median: sequential 1 of 8 (kept, and flagged in \
         the report; the median is robust to them)"
    );
}
