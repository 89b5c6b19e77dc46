//! What a person sees after a mistake on the command line, through the real binary:
//! clap's whole message (what was wrong, the possible values, the suggestion, the
//! usage line) on stderr, nothing on stdout, exit 2.

mod common;

use common::{concbench, stderr, stdout};

/// Runs a command line clap must refuse; returns its stderr after the checks every
/// such message passes.
fn refused(args: &[&str]) -> String {
    let output = concbench(args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
    assert!(output.stdout.is_empty(), "{args:?}: {}", stdout(&output));
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    assert!(err.contains("\nUsage: concbench"), "{args:?}: {err}");
    assert!(
        err.trim_end()
            .ends_with("For more information, try '--help'."),
        "{args:?}: {err}"
    );
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    err
}

#[test]
fn a_missing_argument_is_named() {
    let err = refused(&["compare", "main"]);
    assert!(
        err.starts_with(
            "error: the following required arguments were not provided:\n  <CURRENT>\n"
        ),
        "{err}"
    );
    assert!(
        err.contains("Usage: concbench compare <BASELINE> <CURRENT>"),
        "{err}"
    );
}

#[test]
fn a_wrong_value_lists_the_possible_ones() {
    let err = refused(&["cpu", "--kernel", "fibonacci"]);
    assert!(
        err.starts_with("error: invalid value 'fibonacci' for '--kernel <KERNEL>'\n"),
        "{err}"
    );
    assert!(err.contains("[possible values: squares, fib]"), "{err}");
    assert!(err.contains("tip: a similar value exists: 'fib'"), "{err}");
    assert!(err.contains("Usage: concbench cpu"), "{err}");
}

#[test]
fn a_misspelt_flag_gets_a_suggestion() {
    let err = refused(&["cpu", "--kernal", "fib"]);
    assert!(
        err.starts_with("error: unexpected argument '--kernal' found\n"),
        "{err}"
    );
    assert!(
        err.contains("tip: a similar argument exists: '--kernel'"),
        "{err}"
    );
}

#[test]
fn a_misspelt_subcommand_gets_a_suggestion() {
    let err = refused(&["cpux"]);
    assert!(
        err.starts_with("error: unrecognized subcommand 'cpux'\n"),
        "{err}"
    );
    assert!(
        err.contains("tip: a similar subcommand exists: 'cpu'"),
        "{err}"
    );
    assert!(err.contains("Usage: concbench <COMMAND>"), "{err}");
}

#[test]
fn numbers_out_of_range_name_the_range_not_rusts_parse_error() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["cpu", "--workers", "1.5"],
            "invalid value '1.5' for '--workers <N|LIST>': expected a count from 1 to 1024, a list like 1,2,4,8, or a range like 1..=8",
        ),
        (
            &["cpu", "--workers", "0"],
            "invalid value '0' for '--workers <N|LIST>': expected a count from 1 to 1024, a list like 1,2,4,8, or a range like 1..=8",
        ),
        (
            &["io", "--workers", "1025"],
            "invalid value '1025' for '--workers <N|LIST>': expected a count from 1 to 1024, a list like 1,2,4,8, or a range like 1..=8",
        ),
        (
            &["cpu", "--runs", "0"],
            "invalid value '0' for '--runs <N>': expected a whole number, at least 1",
        ),
        (
            &["cpu", "--count", "many"],
            "invalid value 'many' for '--count <N>': expected a whole number from 1 to 1000000",
        ),
        (
            &["io", "--concurrency", "0"],
            "invalid value '0' for '--concurrency <N>': expected a whole number from 1 to 65536",
        ),
        (
            &["io", "--requests", "0"],
            "invalid value '0' for '--requests <N>': expected a whole number from 1 to 1000000",
        ),
        (
            &["io", "--timeout", "0"],
            "invalid value '0' for '--timeout <DURATION>': the timeout must be more than 0",
        ),
    ];
    for (args, message) in cases {
        let err = refused(args);
        assert!(err.starts_with(&format!("error: {message}")), "{err}");
        assert!(!err.contains("invalid digit"), "{err}");
        let usage = format!("Usage: concbench {} [OPTIONS]", args[0]);
        assert!(err.contains(&usage), "{err}");
    }
}

#[test]
fn unknown_flags_and_subcommands_exit_2() {
    for args in [&["cpu", "--no-such-flag"][..], &["frobnicate"][..]] {
        refused(args);
    }
}

/// clap's `arg_required_else_help`: a bare `concbench` shows the help, but on stderr
/// and with exit 2, as clap does, since no command was run.
#[test]
fn bare_concbench_prints_the_help_and_exits_2() {
    let output = concbench(&[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(output.stdout.is_empty());
    assert!(err.contains("Usage: concbench <COMMAND>"), "{err}");
    for command in ["cpu", "io", "all", "serve", "compare"] {
        assert!(err.contains(&format!("\n  {command} ")), "{command}: {err}");
    }
    assert!(!err.starts_with("error:"), "{err}");
}

#[test]
fn help_goes_to_stdout_and_exits_0() {
    for args in [&["--help"][..], &["cpu", "--help"][..], &["help", "io"][..]] {
        let output = concbench(args);
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert!(stdout(&output).contains("Usage: concbench"), "{args:?}");
        assert!(output.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn a_bad_size_names_the_accepted_forms() {
    let err = refused(&["io", "--body-bytes", "10k"]);
    assert!(
        err.starts_with(
            "error: invalid value '10k' for '--body-bytes <SIZE>': ambiguous: write 10KiB for \
             units of 1024, or the number of bytes (10000)"
        ),
        "{err}"
    );
    assert!(err.contains("10KiB, 1.5MiB, 1GiB"), "{err}");
    let err = refused(&["serve", "--body-bytes", "lots"]);
    assert!(
        err.starts_with("error: invalid value 'lots' for '--body-bytes <SIZE>': expected a size: bytes (10240 or 10240B) or IEC units"),
        "{err}"
    );
}

#[test]
fn a_body_over_the_limit_is_refused_with_the_limit() {
    let err = refused(&["io", "--body-bytes", "100000000000"]);
    assert!(
        err.starts_with(
            "error: invalid value '100000000000' for '--body-bytes <SIZE>': larger than the \
             largest body the built-in server makes, 1GiB (1073741824 bytes)"
        ),
        "{err}"
    );
}

#[test]
fn size_defaults_show_in_the_units_the_output_uses() {
    let output = concbench(&["io", "--help"]);
    let help = stdout(&output);
    assert!(help.contains("[default: 10KiB]"), "{help}");
    assert!(help.contains("[default: 4MiB]"), "{help}");
}

#[test]
fn completions_are_printed_for_every_shell() {
    let starts = [
        ("bash", "_concbench() {"),
        ("zsh", "#compdef concbench"),
        ("fish", "# Print an optspec for argparse"),
        ("powershell", "using namespace System.Management.Automation"),
        ("elvish", "use builtin;"),
    ];
    for (shell, start) in starts {
        let output = concbench(&["completions", shell]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{shell}: {}",
            stderr(&output)
        );
        let script = stdout(&output);
        assert!(script.trim_start().starts_with(start), "{shell}: {script}");
        assert!(script.contains("concbench"), "{shell}");
        for subcommand in ["cpu", "io", "all", "serve", "compare", "man"] {
            assert!(script.contains(subcommand), "{shell}: {subcommand}");
        }
        assert!(!script.contains("measure-run"), "{shell}");
    }
    let err = refused(&["completions", "tcsh"]);
    assert!(
        err.contains("[possible values: bash, elvish, fish, powershell, zsh]"),
        "{err}"
    );
}

#[test]
fn man_prints_a_roff_page() {
    let output = concbench(&["man"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = stdout(&output);
    let title = page.lines().find(|l| l.starts_with('.')).unwrap_or("");
    assert!(
        title.starts_with(".ie") || title.starts_with(".TH"),
        "{page}"
    );
    assert!(page.contains("\n.TH concbench 1 "), "{page}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "{section}: {page}");
    }
    for subcommand in [
        "concbench\\-cpu",
        "concbench\\-serve",
        "concbench\\-compare",
    ] {
        assert!(page.contains(subcommand), "{subcommand}: {page}");
    }

    let output = concbench(&["man", "cpu"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = stdout(&output);
    assert!(page.contains("\n.TH concbench-cpu 1 "), "{page}");
    assert!(page.contains("\\-\\-kernel"), "{page}");
}

/// A `concbench serve` started with `args`, its URL read from stdout's first line.
struct Served {
    child: std::process::Child,
    url: String,
}

impl Served {
    fn start(args: &[&str]) -> Served {
        use std::io::BufRead;
        let mut child = std::process::Command::new(common::BIN)
            .arg("serve")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("concbench serve starts");
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        Served { child, url: first }
    }

    /// `GET path`, one request on a fresh connection; the whole response.
    fn get(&self, path: &str) -> String {
        use std::io::{Read, Write};
        let addr = self
            .url
            .trim()
            .trim_start_matches("http://")
            .trim_end_matches('/');
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    /// Stops the server with SIGINT (Ctrl-C); its exit code and stderr.
    fn interrupt(mut self) -> (Option<i32>, String) {
        use std::io::Read;
        // SAFETY: sending a signal to a child we own and have not reaped.
        assert_eq!(
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) },
            0
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                self.child.kill().unwrap();
                panic!("serve did not stop on SIGINT");
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (status.code(), err)
    }
}

#[test]
fn serve_tells_a_person_its_settings_and_logs_requests() {
    let served = Served::start(&[
        "--port",
        "0",
        "--latency",
        "0",
        "--body-bytes",
        "1KiB",
        "--workers",
        "1",
        "--log",
    ]);
    let url = served.url.clone();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(
        url.ends_with("/\n"),
        "the URL alone on the first line: {url:?}"
    );
    let response = served.get("/some/where?q=1");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert_eq!(response.split("\r\n\r\n").nth(1).map(str::len), Some(1024));

    let (code, err) = served.interrupt();
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(
            format!(
                "concbench serve on {} (loopback only: this machine alone can connect)",
                url.trim()
            )
            .as_str()
        ),
        "{err}"
    );
    assert!(
        err.contains("200 OK with a 1.00 KiB body after 0 s latency"),
        "{err}"
    );
    assert!(
        err.contains("1 worker thread; each request is logged"),
        "{err}"
    );
    assert!(err.contains("\nCtrl-C to stop\n"), "{err}");
    let logged = lines
        .iter()
        .find(|l| l.starts_with("GET "))
        .unwrap_or_else(|| panic!("no request line: {err}"));
    assert!(
        logged.starts_with("GET /some/where?q=1 200 1024 bytes "),
        "{logged}"
    );
}

#[test]
fn serve_takes_addr_as_people_type_it_and_the_old_threads_flag() {
    let served = Served::start(&["--addr", ":0", "--threads", "1", "--latency", "0"]);
    assert!(
        served.url.starts_with("http://127.0.0.1:"),
        "{}",
        served.url
    );
    assert!(served.get("/").starts_with("HTTP/1.1 200"));
    let (code, err) = served.interrupt();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("1 worker thread; no request log"), "{err}");
    assert!(!err.contains("GET /"), "no log without --log: {err}");
}

/// `concbench io` starts its target with --exit-with-parent and the user's stderr.
#[test]
fn serve_as_the_io_target_prints_only_its_url() {
    let served = Served::start(&["--addr", "127.0.0.1:0", "--exit-with-parent"]);
    assert!(
        served.url.starts_with("http://127.0.0.1:"),
        "{}",
        served.url
    );
    let (code, err) = served.interrupt();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "", "nothing on the user's stderr");
}

#[test]
fn a_wrong_addr_shows_examples() {
    let err = refused(&["serve", "--addr", "example.com:80"]);
    assert!(
        err.starts_with(
            "error: invalid value 'example.com:80' for '--addr <ADDR>': expected IP:PORT, \
             :PORT, localhost:PORT or PORT (0 to 65535), e.g. 127.0.0.1:8080, :8080, \
             localhost:8080, 8080, or 0.0.0.0:8080 for every interface"
        ),
        "{err}"
    );
    let err = refused(&["serve", "--addr", ":8080", "--port", "8081"]);
    assert!(
        err.starts_with("error: the argument '--addr <ADDR>' cannot be used with '--port <N>'"),
        "{err}"
    );
}

#[test]
fn cpu_help_shows_cpu_flags_and_cpu_defaults_only() {
    let help = stdout(&concbench(&["cpu", "--help"]));
    assert!(help.contains("--kernel"), "{help}");
    for io_only in [
        "--body-bytes",
        "--requests",
        "--latency",
        "io = 5",
        "at least 6",
    ] {
        assert!(!help.contains(io_only), "{io_only}: {help}");
    }
    assert!(help.contains("[default: available parallelism]"), "{help}");
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("[default: at least 10,"), "{help}");

    let help = stdout(&concbench(&["io", "--help"]));
    assert!(!help.contains("--kernel"), "{help}");
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("sequential always runs once, with 1 [default: 5]"),
        "{help}"
    );
    assert!(flat.contains("[default: at least 6,"), "{help}");

    // `all` runs both jobs: both minimums, from the same constants.
    let help = stdout(&concbench(&["all", "--help"]));
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("[default: at least 10 for cpu and 6 for io,"),
        "{help}"
    );
    assert!(
        flat.contains("The tasks job runs each model 3 times"),
        "{help}"
    );
}

#[test]
fn fib_takes_the_listed_numbers_and_says_so() {
    let output = concbench(&[
        "cpu",
        "--kernel",
        "fib",
        "--numbers",
        "10,11",
        "--strategy",
        "sequential",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--no-save",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let table = stdout(&output);
    assert_eq!(
        table.lines().next(),
        Some("cpu: fib(n) for n = 10, 11, 1 run"),
        "only sequential ran: no worker count; {table}"
    );

    let err = refused(&["cpu", "--kernel", "fib", "--numbers", "10", "--count", "3"]);
    assert!(
        err.starts_with(
            "error: the argument '--numbers <A,B,C>' cannot be used with '--count <N>'"
        ),
        "{err}"
    );
    let output = concbench(&["cpu", "--kernel", "fib", "--start", "10"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: --start applies to --kernel squares; fib runs fib(35) --count times, or fib(n) \
         for each n of --numbers\n"
    );
}

#[test]
fn flags_that_would_be_ignored_are_refused() {
    // --repeat repeats a --sites list; without one it would do nothing.
    let err = refused(&["io", "--repeat", "3", "--requests", "2"]);
    assert!(
        err.starts_with(
            "error: the argument '--repeat <N>' cannot be used with '--requests <N>'\n"
        ),
        "{err}"
    );
    assert!(
        err.contains("Usage: concbench io --sites <FILE> --repeat <N>"),
        "{err}"
    );
    let err = refused(&["io", "--repeat", "3"]);
    assert!(
        err.starts_with(
            "error: the following required arguments were not provided:\n  --sites <FILE>\n"
        ),
        "{err}"
    );
    // The built-in server's flags do not apply to a --sites list.
    for flag in ["--requests 2", "--latency 0", "--body-bytes 1KiB"] {
        let mut args = vec!["io", "--sites", "sites.txt"];
        args.extend(flag.split(' '));
        let err = refused(&args);
        let name = flag.split(' ').next().unwrap();
        assert!(
            err.starts_with("error: the argument '--sites <FILE>' cannot be used with '")
                && err.contains(&format!("'{name} <")),
            "{err}"
        );
    }
    refused(&["all", "--sites", "sites.txt", "--latency", "10ms"]);
    // Fixed runs leave nothing for --precision or --max-time to decide.
    for (flag, value) in [("--precision", "2%"), ("--max-time", "10s")] {
        let err = refused(&["cpu", "--runs", "3", flag, value]);
        assert!(
            err.starts_with(&format!(
                "error: the argument '--runs <N>' cannot be used with '{flag} <"
            )),
            "{err}"
        );
    }
}

/// `--concurrency` limits only the async models; beside models that ignore it, it
/// was accepted and did nothing.
#[test]
fn a_concurrency_no_model_run_uses_is_refused() {
    let quick = [
        "--requests",
        "1",
        "--latency",
        "0",
        "--runs",
        "1",
        "--no-save",
    ];
    let mut args = vec![
        "io",
        "--strategy",
        "sequential,threads",
        "--concurrency",
        "8",
    ];
    args.extend(quick);
    let output = concbench(&args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert_eq!(
        err.trim_end(),
        "error: --concurrency 8 limits the async and py-asyncio models, and neither is run \
         (--strategy sequential,threads): leave it out, or add async"
    );
    let mut args = vec!["io", "--strategy", "sequential,async", "--concurrency", "8"];
    args.extend(quick);
    let output = concbench(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn a_precision_that_is_not_a_fraction_is_refused_by_clap() {
    for (value, why) in [
        (
            "garbage",
            "expected a fraction between 0 and 1: a percentage (1%) or a number (0.01)",
        ),
        (
            "0",
            "expected a fraction between 0 and 1: a percentage (1%) or a number (0.01)",
        ),
        (
            "100%",
            "expected a fraction between 0 and 1: a percentage (1%) or a number (0.01)",
        ),
        ("2", "2 would be 200 %; write 2% or 0.02"),
    ] {
        let err = refused(&["cpu", "--precision", value]);
        assert!(
            err.starts_with(&format!(
                "error: invalid value '{value}' for '--precision <PERCENT>': {why}\n"
            )),
            "{err}"
        );
        assert!(err.contains("Usage: concbench cpu [OPTIONS]"), "{err}");
    }
}
