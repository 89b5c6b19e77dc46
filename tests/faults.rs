//! Hostile input is refused up front, in full, with the limit: never a panic, an
//! allocation abort or a child's backtrace. One row per case.

mod common;

use common::{concbench, stderr};

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
