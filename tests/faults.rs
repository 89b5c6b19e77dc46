//! Hostile input is refused up front, in full, with the limit: never a panic, an
//! allocation abort or a child's backtrace. One row per case.

mod common;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{concbench, concbench_in, stderr};

#[test]
fn huge_inputs_are_refused_before_anything_runs() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["cpu", "--count", "18446744073709551615", "--start", "0"],
            "error: invalid value '18446744073709551615' for '--count <N>': expected a whole \
             number from 1 to 1000000",
        ),
        (
            &["cpu", "--kernel", "fib", "--count", "10000000000"],
            "error: invalid value '10000000000' for '--count <N>': expected a whole number \
             from 1 to 1000000",
        ),
        (
            &["io", "--requests", "4000000000"],
            "error: invalid value '4000000000' for '--requests <N>': expected a whole number \
             from 1 to 1000000",
        ),
        (
            &["io", "--concurrency", "2305843009213693952"],
            "error: invalid value '2305843009213693952' for '--concurrency <N>': expected a \
             whole number from 1 to 65536",
        ),
        (
            &["io", "--body-bytes", "100000000000"],
            "error: invalid value '100000000000' for '--body-bytes <SIZE>': larger than the \
             largest body the built-in server makes, 1GiB (1073741824 bytes)",
        ),
    ];
    for (args, message) in cases {
        let output = concbench(args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with(message), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_sites_list_repeated_past_the_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sites = dir.path().join("sites.txt");
    std::fs::write(&sites, "http://127.0.0.1:1/a\nhttp://127.0.0.1:1/b\n").unwrap();
    let output = concbench(&[
        "io",
        "--sites",
        sites.to_str().unwrap(),
        "--repeat",
        "4000000",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim(),
        "error: --repeat 4000000 of 2 sites makes 8000000 requests; at most 1000000"
    );
}

/// A quick cpu run that saves its report under `results/` with the default name.
const SAVING_RUN: &[&str] = &[
    "cpu",
    "--count",
    "3",
    "--strategy",
    "sequential",
    "--warmup",
    "0",
    "--runs",
    "3",
];

/// Every entry of `dir`, by name, sorted; hidden temp files included.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn results_that_cannot_be_written_fail_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // Root ignores permission bits, so "not writable" is made the way that binds
    // everyone: `results` is a file.
    std::fs::write(dir.join("results"), "not a directory").unwrap();
    let output = concbench_in(dir, SAVING_RUN);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: writing results/cpu-")
            && last.ends_with(": results is not a directory"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(entries(dir), ["results"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("results")).unwrap(),
        "not a directory"
    );
}

#[test]
fn a_write_that_runs_out_of_room_leaves_earlier_results_and_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let earlier = concbench_in(dir, SAVING_RUN);
    assert_eq!(earlier.status.code(), Some(0), "{}", stderr(&earlier));
    let before = entries(&dir.join("results"));
    assert_eq!(before.len(), 1, "{before:?}");
    let earlier_bytes = std::fs::read(dir.join("results").join(&before[0])).unwrap();

    // A file-size limit of 1 KiB stands in for a full disk without privileges: the
    // write fails part-way with EFBIG, as it would with ENOSPC. The shell ignores
    // SIGXFSZ, and ignored signals stay ignored across exec.
    let script = format!(
        "trap '' XFSZ; ulimit -f 2; exec \"$0\" {}",
        SAVING_RUN.join(" ")
    );
    let output = Command::new("sh")
        .args(["-c", &script, common::BIN])
        .current_dir(dir)
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: writing results/cpu-") && last.contains("File too large"),
        "{err}"
    );
    // Nothing half-written, nothing replaced, no temp file.
    assert_eq!(entries(&dir.join("results")), before);
    assert_eq!(
        std::fs::read(dir.join("results").join(&before[0])).unwrap(),
        earlier_bytes
    );
}

#[test]
fn a_run_saved_in_the_same_second_as_another_keeps_both() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let results = dir.join("results");
    std::fs::create_dir(&results).unwrap();
    // Occupy the default names of the next minute, so the run's own second is taken
    // whenever it finishes.
    let now = std::time::SystemTime::now();
    let mut taken = Vec::new();
    for second in 0..60 {
        let path = concbench::results::default_path("cpu", now + Duration::from_secs(second));
        std::fs::write(dir.join(&path), "an earlier run").unwrap();
        taken.push(path);
    }
    let output = concbench_in(dir, SAVING_RUN);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    for path in &taken {
        assert_eq!(
            std::fs::read_to_string(dir.join(path)).unwrap(),
            "an earlier run"
        );
    }
    let saved = err
        .lines()
        .find_map(|line| line.strip_prefix("saved "))
        .expect("a saved line");
    assert!(saved.ends_with("-2.json"), "{err}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(saved)).unwrap()).unwrap();
    assert_eq!(report["results"][0]["strategy"], "sequential");
    assert_eq!(entries(&results).len(), 61);
}

/// Tasks (threads and processes) the real user already runs: what a new limit on
/// tasks must leave room for.
fn tasks_of_user(uid: u32) -> u64 {
    let mut tasks = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        };
        if field("Uid:") == Some(u64::from(uid)) {
            tasks += field("Threads:").unwrap_or(1);
        }
    }
    tasks
}

#[test]
fn a_thread_or_process_the_os_refuses_is_an_error_naming_the_model_not_a_hang() {
    // RLIMIT_NPROC caps the tasks of a user, threads included, and the OS refuses the
    // next clone with EAGAIN. Root is exempt, so as root the child first becomes
    // "nobody" (65534); any other user keeps itself, with room for 40 more tasks.
    // SAFETY (pre_exec): only async-signal-safe libc calls run between fork and exec.
    // SAFETY (geteuid): it cannot fail.
    let as_root = unsafe { libc::geteuid() } == 0;
    let limit = if as_root {
        40
    } else {
        // SAFETY: getuid cannot fail.
        tasks_of_user(unsafe { libc::getuid() }) + 40
    };
    for (model, message) in [
        (
            "threads",
            "error: threads run 1/3 failed: cannot start worker thread ",
        ),
        (
            "async",
            "error: async run 1/3 failed: cannot start worker thread ",
        ),
        (
            "rayon",
            "error: rayon run 1/3 failed: cannot start the rayon pool of 1024 threads: ",
        ),
        (
            "processes",
            "error: processes run 1/3 failed: starting pool worker ",
        ),
        ("spawn", "error: spawn run 1/3 failed: starting task "),
    ] {
        let tag = format!("task-limit-{model}-{}", std::process::id());
        let mut command = Command::new(common::BIN);
        command
            .args([
                "cpu",
                "--count",
                "100",
                "--strategy",
                model,
                "--workers",
                "1024",
            ])
            .args(["--warmup", "0", "--runs", "3", "--no-save"])
            // Readable by "nobody"; --no-save writes nothing there.
            .current_dir("/")
            .env("CONCBENCH_TEST_TAG", &tag)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: see above; each call only sets this child's credentials or limits.
        unsafe {
            command.pre_exec(move || {
                let check = |rc: libc::c_int| {
                    if rc == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                };
                if as_root {
                    check(libc::setgroups(0, std::ptr::null()))?;
                    check(libc::setgid(65534))?;
                    check(libc::setuid(65534))?;
                }
                let cap = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                check(libc::setrlimit(libc::RLIMIT_NPROC, &cap))
            });
        }
        let mut child = command.spawn().unwrap();
        // Bounded: before the fix tokio's builder hung here for ever.
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{model}: still running after 60 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let output = child.wait_with_output().unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{model}: {err}");
        let last = err.lines().last().unwrap_or_default();
        assert!(last.starts_with(message), "{model}: {err}");
        assert!(
            last.ends_with("Resource temporarily unavailable (os error 11)"),
            "{model}: {err}"
        );
        assert_eq!(common::processes_tagged(&tag), Vec::<u32>::new(), "{model}");
    }
}

/// A tiny cpu run that saves its report as `r.json`.
const REPORTED_RUN: &[&str] = &[
    "cpu",
    "--numbers",
    "1000,2000",
    "--strategy",
    "sequential",
    "--runs",
    "1",
    "--warmup",
    "0",
    "--output",
    "r.json",
];

#[test]
fn a_destination_that_cannot_be_written_is_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("FILE"), "a regular file").unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--export-csv", "FILE/x.csv"],
            "error: writing FILE/x.csv: FILE is not a directory",
        ),
        (
            &["--export-bmf", "FILE/deeper/x.json"],
            "error: writing FILE/deeper/x.json: FILE is not a directory",
        ),
        (
            &["--plot", "FILE/x.svg"],
            "error: writing FILE/x.svg: FILE is not a directory",
        ),
        (
            &["--export-markdown", "sub"],
            "error: writing sub: sub is a directory",
        ),
        (
            &["--save-baseline", "main", "--export-json", "sub/"],
            "error: writing sub/: sub/ is a directory",
        ),
    ];
    for (more, message) in cases {
        let args: Vec<&str> = REPORTED_RUN.iter().chain(*more).copied().collect();
        let output = concbench_in(dir, &args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{more:?}: {err}");
        // Nothing ran: one line on stderr, no table, no report.
        assert_eq!(err.trim_end(), *message, "{more:?}");
        assert!(
            output.stdout.is_empty(),
            "{more:?}: {}",
            common::stdout(&output)
        );
        assert!(!dir.join("r.json").exists(), "{more:?}");
        assert!(!dir.join("results").exists(), "{more:?}");
    }
    assert_eq!(entries(dir), ["FILE", "sub"]);
    assert!(entries(&dir.join("sub")).is_empty());
}

/// The pids of the live processes tagged `tag` whose command line ends in `worker`.
fn pool_workers(tag: &str) -> Vec<u32> {
    common::processes_tagged(tag)
        .into_iter()
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            cmdline.split(|&b| b == 0).any(|arg| arg == b"worker")
        })
        .collect()
}

/// Waits up to 30 s for `done`, every 10 ms.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "still waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_run_process_that_writes_to_a_dead_pool_worker_fails_saying_so() {
    use concbench::worker::protocol::{Response, RunSpec, TaskOutput, write_message};
    use concbench::workload::{CpuJob, Job, cpu::Kernel};
    use std::io::Read;

    // The run process of `processes` with one pool worker, fed directly as the
    // runner feeds it; long tasks, so that the worker is busy with its first ones.
    let tag = format!("dead-worker-{}", std::process::id());
    let mut run = Command::new(common::BIN)
        .arg("measure-run")
        .env("CONCBENCH_TEST_TAG", &tag)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    // Whatever happens below, no process of this test outlives it.
    struct KillGroup(i32);
    impl Drop for KillGroup {
        fn drop(&mut self) {
            // SAFETY: kill takes a process group id and touches no memory.
            unsafe { libc::kill(-self.0, libc::SIGKILL) };
        }
    }
    let _group = KillGroup(run.id() as i32);
    let spec = RunSpec {
        strategy: concbench::strategy::Strategy::Processes,
        workers: 1,
        job: Job::Cpu(CpuJob {
            kernel: Kernel::Fib,
            numbers: vec![42; 100],
        }),
    };
    write_message(&mut run.stdin.take().unwrap(), &spec).unwrap();
    let mut workers = Vec::new();
    wait_for("the pool worker", || {
        workers = pool_workers(&tag);
        !workers.is_empty()
    });
    let worker = workers[0];
    // Busy with its first task (fib(42) takes seconds): it has answered its init,
    // and the run process is waiting for its answers. Process start-up costs far
    // less than the 0.2 s of CPU waited for.
    wait_for("the worker to work", || {
        let stat = std::fs::read_to_string(format!("/proc/{worker}/stat")).unwrap_or_default();
        let utime = stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().nth(11)?.parse::<u64>().ok());
        // SAFETY: sysconf has no preconditions.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
        utime.is_some_and(|t| t * 5 >= ticks)
    });
    // Hold the worker's stdout open, so that its death is not an end of file to the
    // run process: what it learns next comes from writing to the worker.
    let mut answers = std::fs::OpenOptions::new()
        .write(true)
        .open(format!("/proc/{worker}/fd/1"))
        .unwrap();
    // SAFETY: as above, for one pid.
    unsafe { libc::kill(worker as i32, libc::SIGKILL) };
    wait_for("the worker to die", || {
        let stat = std::fs::read_to_string(format!("/proc/{worker}/stat")).unwrap_or_default();
        // A zombie (state Z) has closed its files; a reaped one has no stat at all.
        stat.is_empty()
            || stat
                .rsplit(')')
                .next()
                .is_some_and(|s| s.trim_start().starts_with('Z'))
    });
    // One answer in the worker's name: the run process hands the worker its next
    // task, into a pipe nobody reads.
    let done = Response::Done {
        id: 0,
        output: TaskOutput::Cpu(267_914_296),
    };
    write_message(&mut answers, &done).unwrap();
    let mut err = String::new();
    run.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let status = run.wait().unwrap();
    drop(answers);
    assert_eq!(status.code(), Some(1), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: writing to pool worker 0: ") && last.contains("Broken pipe"),
        "{err}"
    );
}

#[test]
fn a_closed_stdout_is_no_failure() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for args in [
        &["completions", "bash"][..],
        &["man"][..],
        &["cpu", "--help"][..],
        REPORTED_RUN,
    ] {
        let output = common::concbench_stdout_closed(dir, args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("error"), "{args:?}: {err}");
    }
    // The run was saved all the same.
    assert!(dir.join("r.json").exists());
}

/// A warning printed into a closed stderr is lost, and nothing else: the run ends
/// normally and its report is saved. (`eprintln!` panicked there, exit 101.)
#[test]
fn a_closed_stderr_loses_the_warnings_only() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // One run: always the warning that one run gives no interval of the median.
    let args: Vec<&str> = REPORTED_RUN
        .iter()
        .chain(&["--format", "json"])
        .copied()
        .collect();
    let mut child = std::process::Command::new(common::BIN)
        .args(&args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["results"].as_array().map(Vec::len), Some(1));
    assert!(dir.join("r.json").exists());
}
