//! A run's memory is its own: measured by each of its processes from its own start,
//! never inherited from a large parent. (Linux carries a parent's high-water mark
//! into `ru_maxrss` across fork and exec, which is what the table used to show.)
//!
//! This file holds one test, because it makes its own process large on purpose.

use concbench::runner::{ChildExecutor, Executor};
use concbench::strategy::Strategy;
use concbench::worker::protocol::RunSpec;
use concbench::workload::cpu::Kernel;
use concbench::workload::{CpuJob, Job};

const BALLAST: usize = 512 << 20;

#[test]
fn a_large_parent_does_not_change_a_runs_memory() {
    let spec = RunSpec {
        strategy: Strategy::Sequential,
        workers: 1,
        job: Job::Cpu(CpuJob {
            kernel: Kernel::Squares,
            numbers: vec![1000, 2000],
        }),
    };
    let mut executor = ChildExecutor::with_exe(env!("CARGO_BIN_EXE_concbench").into());
    let thin = executor.execute(&spec).unwrap().census.memory_bytes();

    // Make this process, the run's parent, hold far more memory than the run does.
    let mut ballast = vec![0u8; BALLAST];
    for page in ballast.chunks_mut(4096) {
        page[0] = 1;
    }
    std::hint::black_box(&ballast);
    let fat = executor.execute(&spec).unwrap().census.memory_bytes();
    drop(ballast);

    assert!(thin > 0 && fat > 0);
    assert!(
        fat < thin * 2 && (fat as usize) < BALLAST / 4,
        "with a thin parent {thin} bytes, with a {BALLAST}-byte parent {fat} bytes"
    );
}
