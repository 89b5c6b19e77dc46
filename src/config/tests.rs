//! Tests of turning flags into a checked configuration.

use super::*;
use crate::error::UsageError;

fn usage_message(result: anyhow::Result<impl std::fmt::Debug>) -> String {
    let error = result.unwrap_err();
    error
        .downcast_ref::<UsageError>()
        .expect("a usage error")
        .0
        .clone()
}

#[test]
fn strategy_lists() {
    assert_eq!(parse_strategies("all").unwrap(), Strategy::ALL.to_vec());
    assert_eq!(
        parse_strategies("mp, threads,multiprocess").unwrap(),
        vec![Strategy::Processes, Strategy::Threads]
    );
    let message = usage_message(parse_strategies("threads,bogus"));
    assert!(message.starts_with("unknown strategy 'bogus'"), "{message}");
}

fn cpu_args(start: Option<u64>, count: u64, kernel: KernelArg) -> CpuArgs {
    CpuArgs {
        count,
        start,
        numbers: None,
        kernel,
    }
}

#[test]
fn cpu_defaults_are_the_classic_experiment() {
    let plan = cpu_plan(
        &cpu_args(None, 20, KernelArg::Squares),
        Some(&WorkerCounts(vec![2])),
        None,
    )
    .unwrap();
    assert_eq!(plan.job.numbers.first(), Some(&5_000_000));
    assert_eq!(plan.job.numbers.last(), Some(&5_000_019));
    assert_eq!(plan.workers, vec![2]);
    let fib = cpu_plan(&cpu_args(None, 3, KernelArg::Fib), None, None).unwrap();
    assert_eq!(fib.job.numbers, vec![35, 35, 35]);
}

#[test]
fn cpu_refuses_overflow_and_nonsense() {
    let top = largest_squares_arg();
    assert!(cpu_plan(&cpu_args(Some(top), 1, KernelArg::Squares), None, None).is_ok());
    let message = usage_message(cpu_plan(
        &cpu_args(Some(top), 2, KernelArg::Squares),
        None,
        None,
    ));
    assert!(message.contains("overflows u128"), "{message}");
    assert!(
        usage_message(cpu_plan(&cpu_args(None, 0, KernelArg::Squares), None, None))
            .contains("--count")
    );
    assert!(
        usage_message(cpu_plan(
            &cpu_args(Some(u64::MAX), 2, KernelArg::Squares),
            None,
            None
        ))
        .contains("u64::MAX")
    );
    assert!(
        usage_message(cpu_plan(&cpu_args(Some(1), 2, KernelArg::Fib), None, None))
            .contains("--start")
    );
}

fn serve_config(args: &[&str]) -> ServeConfig {
    use clap::Parser;
    let argv = ["concbench", "serve"].iter().chain(args);
    let cli::Command::Serve(args) = cli::Cli::try_parse_from(argv).unwrap().command else {
        panic!("serve")
    };
    serve(&args).unwrap()
}

#[test]
fn serve_binds_loopback_unless_an_address_is_given() {
    let config = serve_config(&[]);
    assert_eq!(config.addr.to_string(), "127.0.0.1:0");
    assert!(!config.explicit_addr && config.announce && !config.settings.log);
    assert_eq!(config.workers, available_parallelism());

    let config = serve_config(&["--port", "8080", "--threads", "3", "--log"]);
    assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
    assert!(!config.explicit_addr, "--port stays on loopback");
    assert_eq!(config.workers, 3, "--threads is --workers");
    assert!(config.settings.log);

    let config = serve_config(&["--addr", "0.0.0.0:80", "--exit-with-parent"]);
    assert_eq!(config.addr.to_string(), "0.0.0.0:80");
    assert!(config.explicit_addr);
    assert!(
        config.exit_with_parent && !config.announce,
        "quiet as io's target"
    );
}

#[test]
fn serve_closes_idle_connections_after_two_minutes_unless_told() {
    use std::time::Duration;
    let idle = |args: &[&str]| serve_config(args).settings.idle_timeout;
    assert_eq!(idle(&[]), crate::server::DEFAULT_IDLE_TIMEOUT);
    assert_eq!(idle(&[]), Duration::from_secs(120));
    assert_eq!(
        idle(&["--idle-timeout", "500ms"]),
        Duration::from_millis(500)
    );
    assert_eq!(idle(&["--idle-timeout", "0"]), Duration::ZERO, "0: never");
}
