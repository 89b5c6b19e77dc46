//! Property tests (proptest) of every parser that reads untrusted input: the sites
//! file, the worker pipe protocol, the flag values (durations, sizes, counts,
//! addresses) and the `--expect` grammar.
//!
//! Each parser is fed two kinds of input: arbitrary text or bytes, mixed with the
//! tokens its grammar is made of, which must give a value or an error and never a
//! panic; and generated valid input, which must give exactly the value it spells.
//! Errors must be one non-empty line; values must keep the documented invariants.
//!
//! Every property runs a fixed number of cases (see [`CASES`] and the `config` of
//! each block), so a run always does the same amount of work, and writes no
//! regression files (`failure_persistence: None`): a failure prints its shrunk input,
//! which belongs in a plain unit test beside the parser it broke.

use std::io::{BufReader, Cursor};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde::Serialize;
use serde::de::DeserializeOwned;

use concbench::census::{ProcessCensus, RunCensus};
use concbench::cli::{
    at_least, parse_addr, parse_body_size, parse_duration, parse_size, parse_timeout, whole_number,
    worker_counts,
};
use concbench::error::quote;
use concbench::expect::{self, Bound, Expectation, Figure, Metric, Op};
use concbench::limits::{LARGEST_BODY, MAX_WORKERS};
use concbench::python::PythonInfo;
use concbench::strategy::Strategy as Model;
use concbench::worker::protocol::{
    Request, Response, RunSample, RunSpec, Task, TaskOutput, WorkerInit, encode, read_message,
    write_message,
};
use concbench::workload::cpu::Kernel;
use concbench::workload::io::{ClientSettings, FailureKind, Fetch, all_loopback, parse_sites};
use concbench::workload::{CpuJob, IoJob, Job, Outputs, Workload};

/// Cases per property, fixed (`PROPTEST_CASES` does not change it): 21 properties
/// × 512 = 10,752 cases, about a second in a debug build on two cores, the slowest
/// property (`sites_files_give_back_their_urls`) about a third of it.
const CASES: u32 = 512;

/// At most this many worker counts in one `--workers` (`MAX_WORKER_COUNTS` of
/// src/cli/values.rs, which the crate does not export).
const MAX_WORKER_COUNTS: usize = 64;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// An error as every parser here promises it: one line, not empty.
fn one_line(error: &str) -> Result<(), TestCaseError> {
    prop_assert!(!error.trim().is_empty(), "an empty error");
    prop_assert!(
        !error.contains(['\n', '\r']),
        "an error of several lines: {error:?}"
    );
    Ok(())
}

/// Untrusted text: any string at all, or (more often) a run of `tokens` of the
/// grammar under test mixed with numbers and arbitrary characters, which reaches
/// further into the parser than random text does.
fn untrusted(tokens: &'static [&'static str]) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(tokens).prop_map(String::from),
        2 => "[0-9]{1,25}",
        1 => any::<char>().prop_map(String::from),
    ];
    prop_oneof![
        1 => any::<String>(),
        3 => prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat()),
    ]
}

/// `text` with the case of each ASCII letter flipped where `flips` says so.
fn flip_case(text: &str, flips: &[bool]) -> String {
    text.chars()
        .zip(flips.iter().chain(std::iter::repeat(&false)))
        .map(|(c, &flip)| {
            if !flip {
                c
            } else if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// A random casing of `text`.
fn any_case(text: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<bool>(), text.len()).prop_map(move |flips| flip_case(text, &flips))
}

// ---------------------------------------------------------------------------------
// The sites file.

const SITE_TOKENS: &[&str] = &[
    "http://",
    "https://",
    "HTTP://",
    "ftp://",
    "http:",
    "//",
    "#",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "localhost",
    "127.0.0.1",
    "[::1]",
    "[",
    "]",
    ":",
    ":8080",
    ":99999",
    "/",
    "?",
    "@",
    "%",
    "%zz",
    "example.org",
    "xn--",
    "..",
    "\u{0}",
    "é",
    "user:pw@",
];

/// A host as a sites file may name it, and whether it is a loopback one.
fn site_host() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        "[a-z][a-z0-9]{0,9}(-[a-z0-9]{1,4})?(\\.[a-z][a-z0-9]{0,7}){0,3}"
            .prop_map(|name| (name.clone(), name.eq_ignore_ascii_case("localhost"))),
        any_case("localhost").prop_map(|name| (name, true)),
        prop_oneof![
            any::<[u8; 4]>(),
            any::<[u8; 3]>().prop_map(|[a, b, c]| [127, a, b, c])
        ]
        .prop_map(|octets| {
            let ip = Ipv4Addr::from(octets);
            (ip.to_string(), ip.is_loopback())
        }),
        prop_oneof![any::<Ipv6Addr>(), Just(Ipv6Addr::LOCALHOST)]
            .prop_map(|ip| (format!("[{ip}]"), ip.is_loopback())),
    ]
}

/// One valid URL of a sites file, and whether it points at a loopback address.
fn site() -> impl Strategy<Value = (String, bool)> {
    (
        prop_oneof![any_case("http"), any_case("https")],
        site_host(),
        prop::option::of(any::<u16>()),
        "(/[a-zA-Z0-9._~-]{0,8}){0,3}(\\?[a-z]{1,4}=[a-z0-9]{0,5})?",
    )
        .prop_map(|(scheme, (host, loopback), port, path)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            (format!("{scheme}://{host}{port}{path}"), loopback)
        })
}

/// A line of a sites file that names no URL: a blank one or a comment.
fn not_a_site() -> impl Strategy<Value = String> {
    prop_oneof!["[ \t]{0,3}", "[ \t]{0,2}#[^\n]{0,20}"]
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Any text gives a list of http(s) URLs, each one a trimmed line of the text
    /// without control characters, in order; or a one-line error naming a line that
    /// exists and quoting it, or saying there is no URL.
    #[test]
    fn sites_parser_never_panics(text in untrusted(SITE_TOKENS)) {
        let lines: Vec<&str> = text.lines().collect();
        match parse_sites(&text) {
            Ok(sites) => {
                prop_assert!(!sites.is_empty());
                let mut rest = lines.iter();
                for site in &sites {
                    prop_assert_eq!(site.trim(), site.as_str());
                    prop_assert!(!site.is_empty() && !site.starts_with('#'), "{:?}", site);
                    prop_assert!(!site.contains(char::is_control), "{:?}", site);
                    prop_assert!(rest.any(|line| line.trim() == site), "{:?} out of order", site);
                    let url = url::Url::parse(site).expect("a site parses as a URL");
                    prop_assert!(matches!(url.scheme(), "http" | "https"), "{:?}", site);
                    prop_assert!(url.host_str().is_some(), "{:?}", site);
                }
            }
            Err(e) if e == "lists no URL" => {
                prop_assert!(lines.iter().all(|l| l.trim().is_empty() || l.trim().starts_with('#')));
            }
            Err(e) => {
                one_line(&e)?;
                let (number, _) = e.split_once(": ").expect("LINE: message");
                let number: usize = number.parse().expect("a line number");
                prop_assert!((1..=lines.len()).contains(&number), "{}", e);
                let line = lines[number - 1].trim();
                prop_assert!(e.contains(&quote(line)), "{} does not quote line {}", e, number);
            }
        }
    }

    /// A generated sites file (URLs among blank lines and comments, LF or CRLF,
    /// indented or not) gives back exactly its URLs, in order; `all_loopback` is true
    /// exactly when every one of them is on 127.0.0.0/8, ::1 or localhost.
    #[test]
    fn sites_files_give_back_their_urls(
        lines in prop::collection::vec(
            prop_oneof![
                2 => (site(), "[ \t]{0,2}", "[ \t]{0,2}").prop_map(|(site, before, after)| {
                    let line = format!("{before}{}{after}", site.0);
                    (Some(site), line)
                }),
                1 => not_a_site().prop_map(|line| (None, line)),
            ],
            1..12,
        ),
        crlf in any::<bool>(),
        last_newline in any::<bool>(),
    ) {
        let end = if crlf { "\r\n" } else { "\n" };
        let text: Vec<&str> = lines.iter().map(|(_, line)| line.as_str()).collect();
        let mut text = text.join(end);
        if last_newline {
            text.push_str(end);
        }
        let expected: Vec<(String, bool)> = lines.into_iter().filter_map(|(site, _)| site).collect();
        let urls: Vec<String> = expected.iter().map(|(url, _)| url.clone()).collect();
        if urls.is_empty() {
            prop_assert_eq!(parse_sites(&text), Err("lists no URL".to_string()));
        } else {
            let parsed = parse_sites(&text);
            prop_assert_eq!(parsed.as_ref(), Ok(&urls), "{:?}", text);
            let loopback = expected.iter().all(|(_, loopback)| *loopback);
            prop_assert_eq!(all_loopback(&urls), loopback, "{:?}", urls);
        }
    }

    /// `all_loopback` never panics, says false for anything that is not a URL, and is
    /// the conjunction of its answers for each URL alone.
    #[test]
    fn all_loopback_is_a_conjunction(urls in prop::collection::vec(
        prop_oneof![site().prop_map(|(url, _)| url), untrusted(SITE_TOKENS)],
        0..6,
    )) {
        let each: Vec<bool> = urls.iter().map(|url| all_loopback(std::slice::from_ref(url))).collect();
        prop_assert_eq!(all_loopback(&urls), each.iter().all(|&b| b));
        for (url, loopback) in urls.iter().zip(each) {
            if url::Url::parse(url).is_err() {
                prop_assert!(!loopback, "{:?}", url);
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// The worker protocol.

fn kernel() -> impl Strategy<Value = Kernel> {
    prop_oneof![Just(Kernel::Squares), Just(Kernel::Fib)]
}

fn client_settings() -> impl Strategy<Value = ClientSettings> {
    (
        any::<u64>(),
        0..1_000_000_000u32,
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(|(secs, nanos, max_body_bytes, no_proxy)| ClientSettings {
            timeout: Duration::new(secs, nanos),
            max_body_bytes,
            no_proxy,
            resolved: Default::default(),
        })
}

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        Just(Request::Shutdown),
        Just(Request::Init {
            init: WorkerInit::Cpu
        }),
        client_settings().prop_map(|settings| Request::Init {
            init: WorkerInit::Io(settings)
        }),
        (
            any::<u64>(),
            prop_oneof![
                (kernel(), any::<u64>()).prop_map(|(kernel, n)| Task::Cpu { kernel, n }),
                any::<String>().prop_map(|url| Task::Fetch { url }),
            ]
        )
            .prop_map(|(id, task)| Request::Task { id, task }),
    ]
}

/// Every f64 JSON can carry: all but NaN and the infinities.
fn finite() -> impl Strategy<Value = f64> {
    use prop::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO
}

fn failure() -> impl Strategy<Value = FailureKind> {
    prop::sample::select(vec![
        FailureKind::Connect,
        FailureKind::Timeout,
        FailureKind::Status,
        FailureKind::BodyTooLarge,
        FailureKind::Other,
    ])
}

fn fetch() -> impl Strategy<Value = Fetch> {
    (
        any::<u64>(),
        finite(),
        finite(),
        any::<Option<u32>>(),
        prop::option::of(failure()),
    )
        .prop_map(|(bytes, latency_s, started_s, digest, failure)| Fetch {
            bytes,
            latency_s,
            started_s,
            digest,
            failure,
        })
}

fn process_census() -> impl Strategy<Value = ProcessCensus> {
    (
        any::<usize>(),
        any::<Option<usize>>(),
        any::<u64>(),
        any::<u64>(),
        any::<Option<u64>>(),
    )
        .prop_map(
            |(threads, threads_started, kernel_cpu_ns, peak_rss_bytes, pss_bytes)| ProcessCensus {
                threads,
                threads_started,
                kernel_cpu_ns,
                peak_rss_bytes,
                pss_bytes,
            },
        )
}

fn response() -> impl Strategy<Value = Response> {
    prop_oneof![
        Just(Response::Ready),
        (
            any::<u64>(),
            prop_oneof![
                any::<u128>().prop_map(TaskOutput::Cpu),
                fetch().prop_map(TaskOutput::Fetch),
            ]
        )
            .prop_map(|(id, output)| Response::Done { id, output }),
        any::<String>().prop_map(|message| Response::Failed { message }),
        process_census().prop_map(|census| Response::Bye { census }),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    prop::sample::select([Model::ALL.as_slice(), Model::PYTHON.as_slice()].concat())
}

fn run_spec() -> impl Strategy<Value = RunSpec> {
    let job = prop_oneof![
        (kernel(), prop::collection::vec(any::<u64>(), 0..8))
            .prop_map(|(kernel, numbers)| Job::Cpu(CpuJob { kernel, numbers })),
        (
            prop::collection::vec(any::<String>(), 0..4),
            client_settings(),
            any::<usize>()
        )
            .prop_map(|(urls, client, concurrency)| Job::Io(IoJob {
                urls,
                client,
                concurrency
            })),
    ];
    (model(), any::<usize>(), job).prop_map(|(strategy, workers, job)| RunSpec {
        strategy,
        workers,
        job,
    })
}

fn run_sample() -> impl Strategy<Value = RunSample> {
    let outputs = prop_oneof![
        prop::collection::vec(any::<u128>(), 0..6).prop_map(Outputs::Cpu),
        prop::collection::vec(fetch(), 0..4).prop_map(Outputs::Io),
    ];
    let census = (
        prop::collection::vec(process_census(), 0..4),
        any::<Option<usize>>(),
    )
        .prop_map(|(processes, workers_at_once)| RunCensus {
            processes,
            workers_at_once,
        });
    let python = prop::option::of(
        (
            any::<String>(),
            any::<String>(),
            any::<bool>(),
            any::<Option<String>>(),
            finite(),
        )
            .prop_map(
                |(version, implementation, gil, http, startup_s)| PythonInfo {
                    version,
                    implementation,
                    gil,
                    http,
                    startup_s,
                },
            ),
    );
    (
        finite(),
        finite(),
        proptest::option::of(finite()),
        outputs,
        census,
        python,
    )
        .prop_map(
            |(wall_s, setup_s, cpu_s, outputs, census, python)| RunSample {
                wall_s,
                setup_s,
                cpu_s,
                outputs,
                census,
                python,
            },
        )
}

/// `messages` written one after another, read back one by one: the same messages,
/// one line each, then a clean end of input.
fn round_trip<T>(messages: &[T]) -> Result<(), TestCaseError>
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let mut wire = Vec::new();
    for message in messages {
        write_message(&mut wire, message).expect("a message encodes");
    }
    prop_assert_eq!(wire.iter().filter(|&&b| b == b'\n').count(), messages.len());
    // A small buffer, so that lines straddle refills.
    let mut reader = BufReader::with_capacity(7, Cursor::new(wire));
    let mut line = String::new();
    for message in messages {
        let back: Option<T> = read_message(&mut reader, &mut line).expect("a message decodes");
        prop_assert_eq!(back.as_ref(), Some(message));
    }
    prop_assert!(
        read_message::<_, T>(&mut reader, &mut line)
            .unwrap()
            .is_none()
    );
    Ok(())
}

/// Reads `bytes` as messages of type `T` to the end, past errors: each call reads
/// at least one line, so there are at most as many calls as lines, and a clean end.
/// A message read re-encodes to one line that decodes to the same message; an
/// error is one line. Returns the messages read.
fn read_all<T>(bytes: &[u8]) -> Result<Vec<T>, TestCaseError>
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let lines = bytes.split(|&b| b == b'\n').count();
    let mut reader = BufReader::with_capacity(16, Cursor::new(bytes));
    let mut line = String::new();
    let mut read = Vec::new();
    for _ in 0..=lines {
        match read_message::<_, T>(&mut reader, &mut line) {
            Ok(None) => return Ok(read),
            Ok(Some(message)) => {
                let mut again = Vec::new();
                encode(&mut again, &message).expect("a message read encodes");
                prop_assert_eq!(again.iter().filter(|&&b| b == b'\n').count(), 1);
                let back: Option<T> =
                    read_message(&mut Cursor::new(again), &mut line).expect("re-reads");
                prop_assert_eq!(back.as_ref(), Some(&message));
                read.push(message);
            }
            Err(e) => one_line(&format!("{e:#}"))?,
        }
    }
    Err(TestCaseError::fail(format!(
        "more than {lines} reads of {lines} lines"
    )))
}

/// JSON-ish tokens of the protocol, and bytes that are not UTF-8.
const WIRE_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "\n",
    "\r\n",
    " ",
    "\"task\"",
    "\"id\"",
    "\"init\"",
    "\"cpu\"",
    "\"io\"",
    "\"shutdown\"",
    "\"ready\"",
    "\"done\"",
    "\"output\"",
    "\"fetch\"",
    "\"kernel\"",
    "\"squares\"",
    "\"n\"",
    "\"url\"",
    "-",
    "1e999",
    "-0",
    "1.5",
    "null",
    "true",
    "\\u0000",
    "\\ud800",
    "\\",
    "340282366920938463463374607431768211456",
    "18446744073709551616",
];

/// Bytes a broken or hostile peer might send: anything, a soup of protocol tokens
/// (with invalid UTF-8 mixed in), valid messages with bytes overwritten, or JSON
/// nested far deeper than any message.
fn wire() -> impl Strategy<Value = Vec<u8>> {
    let soup = prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(WIRE_TOKENS).prop_map(|t| t.as_bytes().to_vec()),
            1 => prop::collection::vec(any::<u8>(), 1..4),
        ],
        0..30,
    )
    .prop_map(|pieces| pieces.concat());
    let mutated = (
        prop::collection::vec(request(), 1..4),
        prop::collection::vec(response(), 0..3),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(requests, responses, edits, cut)| {
            let mut bytes = Vec::new();
            for request in &requests {
                encode(&mut bytes, request).unwrap();
            }
            for response in &responses {
                encode(&mut bytes, response).unwrap();
            }
            for (at, byte) in edits {
                let at = at.index(bytes.len());
                bytes[at] = byte;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            bytes
        });
    let deep = (
        1usize..5000,
        prop::sample::select(vec!["[", "{\"task\":", "{\"id\":["]),
    )
        .prop_map(|(depth, open)| open.repeat(depth).into_bytes());
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..200),
        3 => soup,
        3 => mutated,
        1 => deep,
    ]
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Arbitrary bytes, as any message type, give messages and errors, never a panic,
    /// and never more messages than lines.
    #[test]
    fn the_reader_never_panics(bytes in wire()) {
        let lines = bytes.split(|&b| b == b'\n').count();
        prop_assert!(read_all::<Request>(&bytes)?.len() <= lines);
        prop_assert!(read_all::<Response>(&bytes)?.len() <= lines);
        prop_assert!(read_all::<RunSpec>(&bytes)?.len() <= lines);
        prop_assert!(read_all::<RunSample>(&bytes)?.len() <= lines);
    }

    /// Any requests come back as they were sent.
    #[test]
    fn requests_round_trip(requests in prop::collection::vec(request(), 0..6)) {
        round_trip(&requests)?;
    }

    /// Any responses come back as they were sent: every u128 and every finite f64
    /// bit for bit (`PartialEq` on f64 would let -0.0 pass for 0.0; the bits do not).
    #[test]
    fn responses_round_trip(responses in prop::collection::vec(response(), 0..6)) {
        round_trip(&responses)?;
        for response in &responses {
            if let Response::Done { output: TaskOutput::Fetch(fetch), .. } = response {
                let mut wire = Vec::new();
                encode(&mut wire, response).unwrap();
                let back: Response = read_message(&mut Cursor::new(wire), &mut String::new()).unwrap().unwrap();
                let Response::Done { output: TaskOutput::Fetch(back), .. } = back else {
                    return Err(TestCaseError::fail("not a fetch"));
                };
                prop_assert_eq!(back.latency_s.to_bits(), fetch.latency_s.to_bits());
                prop_assert_eq!(back.started_s.to_bits(), fetch.started_s.to_bits());
            }
        }
    }

    /// A measured run's spec and sample come back as they were sent.
    #[test]
    fn run_messages_round_trip(spec in run_spec(), sample in run_sample()) {
        round_trip(std::slice::from_ref(&spec))?;
        round_trip(std::slice::from_ref(&sample))?;
    }

    /// A message cut short (a peer that died mid-write) is an error, never another
    /// message; cut just before its newline it is still whole.
    #[test]
    fn a_torn_message_is_an_error(request in request(), response in response(), cut in any::<prop::sample::Index>()) {
        for wire in [
            { let mut w = Vec::new(); encode(&mut w, &request).unwrap(); w },
            { let mut w = Vec::new(); encode(&mut w, &response).unwrap(); w },
        ] {
            let cut = cut.index(wire.len());
            let torn = &wire[..cut];
            let mut line = String::new();
            let read = read_message::<_, serde_json::Value>(&mut Cursor::new(torn), &mut line);
            match cut {
                0 => prop_assert!(read.unwrap().is_none()),
                cut if cut == wire.len() - 1 => prop_assert!(read.unwrap().is_some()),
                _ => one_line(&format!("{:#}", read.expect_err("a torn message")))?,
            }
        }
    }

    /// A float JSON cannot carry (NaN, ±inf) goes out as `null` and is refused on the
    /// way in: an error, not a wrong number.
    #[test]
    fn non_finite_floats_are_refused_not_changed(
        fetch in fetch(),
        bad in prop::sample::select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY]),
        which in any::<bool>(),
    ) {
        let mut fetch = fetch;
        if which { fetch.latency_s = bad } else { fetch.started_s = bad }
        let mut wire = Vec::new();
        encode(&mut wire, &Response::Done { id: 1, output: TaskOutput::Fetch(fetch) }).unwrap();
        let read = read_message::<_, Response>(&mut Cursor::new(wire), &mut String::new());
        one_line(&format!("{:#}", read.expect_err("a non-finite float")))?;
    }
}

// ---------------------------------------------------------------------------------
// Flag values: durations, sizes, whole numbers, worker counts, addresses.

const VALUE_TOKENS: &[&str] = &[
    "0",
    "1",
    "9",
    ".",
    "..",
    "..=",
    "=",
    ",",
    " ",
    "\t",
    "\n",
    "-",
    "+",
    "e",
    "E",
    "ns",
    "us",
    "µs",
    "ms",
    "s",
    "m",
    "h",
    "B",
    "b",
    "KiB",
    "kib",
    "MiB",
    "GiB",
    "TiB",
    "PiB",
    "k",
    "KB",
    "MB",
    "gb",
    "T",
    "inf",
    "NaN",
    ":",
    "[",
    "]",
    "::1",
    "127.0.0.1",
    "localhost",
    "0x",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "\u{0}",
    "٣",
];

/// Nanoseconds in one of each duration unit.
const DURATION_UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
];

/// Bytes in one of each size unit, with the spellings the parser takes.
const SIZE_UNITS: &[(&str, u128)] = &[
    ("", 1),
    ("B", 1),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
];

/// The Duration of `nanos` nanoseconds, if one holds it.
fn duration_of(nanos: u128) -> Option<Duration> {
    let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
    Some(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

/// The decimal spelling of `whole + numerator / 2^shift` (shift at least 1),
/// exactly, as every binary fraction has a finite decimal one: `3.25` for (3, 1, 2),
/// `3.00` for (3, 0, 2).
fn binary_fraction(whole: u64, numerator: u64, shift: u32) -> String {
    // numerator / 2^shift = numerator * 5^shift / 10^shift.
    let digits = u128::from(numerator) * 5u128.pow(shift);
    format!("{whole}.{digits:0>width$}", width = shift as usize)
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Every flag parser gives a value or a one-line error for any text, and its
    /// values keep their documented bounds.
    #[test]
    fn value_parsers_never_panic(text in untrusted(VALUE_TOKENS)) {
        let check = |result: Result<(), String>| match result {
            Ok(()) => Ok(()),
            Err(e) => one_line(&e),
        };
        check(parse_duration(&text).map(drop))?;
        let timeout = parse_timeout(&text);
        if let Ok(timeout) = timeout {
            prop_assert!(timeout > Duration::ZERO);
            prop_assert_eq!(parse_duration(&text), Ok(timeout));
        }
        check(timeout.map(drop))?;
        let size = parse_size(&text);
        check(size.clone().map(drop))?;
        match parse_body_size(&text) {
            Ok(body) => {
                prop_assert!(body <= LARGEST_BODY);
                prop_assert_eq!(size, Ok(body as u64));
            }
            Err(e) => one_line(&e)?,
        }
        match whole_number::<u16>(1, 1000)(&text) {
            Ok(n) => prop_assert!((1..=1000).contains(&n)),
            Err(e) => prop_assert_eq!(e, "expected a whole number from 1 to 1000"),
        }
        match at_least::<u8>(3)(&text) {
            Ok(n) => prop_assert!(n >= 3),
            Err(e) => prop_assert_eq!(e, "expected a whole number, at least 3"),
        }
        match worker_counts(MAX_WORKERS)(&text) {
            Ok(counts) => {
                let counts = counts.0;
                prop_assert!(!counts.is_empty() && counts.len() <= MAX_WORKER_COUNTS);
                prop_assert!(counts.iter().all(|n| (1..=MAX_WORKERS).contains(n)), "{:?}", counts);
                for (i, n) in counts.iter().enumerate() {
                    prop_assert!(!counts[..i].contains(n), "{} twice in {:?}", n, counts);
                }
            }
            Err(e) => one_line(&e)?,
        }
        check(parse_addr(&text).map(drop))?;
    }

    /// `{n}{unit}` is exactly n of that unit, for every unit and any n, or an error
    /// when no Duration holds it.
    #[test]
    fn durations_parse_exactly(
        n in prop_oneof![0u64..10_000, any::<u64>()],
        unit in prop::sample::select(DURATION_UNITS),
        padding in "[ \t]{0,2}",
    ) {
        let (name, nanos) = unit;
        let text = format!("{padding}{n}{name}{padding}");
        match duration_of(u128::from(n) * nanos) {
            Some(expected) => prop_assert_eq!(parse_duration(&text), Ok(expected), "{}", text),
            None => one_line(&parse_duration(&text).expect_err("longer than a Duration"))?,
        }
    }

    /// `{whole}.{fraction}{unit}` is exact too, to the nanosecond.
    #[test]
    fn fractional_durations_parse_exactly(
        whole in 0u64..1_000_000,
        fraction in "[0-9]{1,9}",
        unit in prop::sample::select(DURATION_UNITS),
    ) {
        let (name, nanos) = unit;
        let text = format!("{whole}.{fraction}{name}");
        // Scale by nanos and round to the nearest nanosecond, half up.
        let places = 10u128.pow(fraction.len() as u32);
        let twice = 2 * u128::from(whole) * nanos * places + 2 * fraction.parse::<u128>().unwrap() * nanos;
        let expected = (twice / places).div_ceil(2);
        prop_assert_eq!(parse_duration(&text), Ok(duration_of(expected).unwrap()), "{}", text);
    }

    /// `{n}{unit}` (any case, a space before the unit or not) is exactly n units of
    /// bytes, or an error when that passes u64; `{n}` and `{n}B` are n.
    #[test]
    fn sizes_parse_exactly(
        n in prop_oneof![0u64..100_000, any::<u64>()],
        unit in prop::sample::select(SIZE_UNITS),
        flips in prop::collection::vec(any::<bool>(), 3),
        space in prop_oneof![Just(""), Just(" ")],
    ) {
        let (name, scale) = unit;
        let text = format!("{n}{space}{}", flip_case(name, &flips));
        match u64::try_from(u128::from(n) * scale) {
            Ok(bytes) => prop_assert_eq!(parse_size(&text), Ok(bytes), "{}", text),
            Err(_) => prop_assert_eq!(parse_size(&text), Err("too large".to_string()), "{}", text),
        }
    }

    /// `1.5MiB` and any other binary fraction of a unit that comes to whole bytes is
    /// exactly those bytes; one that does not is refused.
    #[test]
    fn fractional_sizes_parse_exactly(
        whole in 0u64..1_000_000,
        unit in prop::sample::select(&SIZE_UNITS[2..]),
        numerator in 1u64..4096,
        shift in 1u32..=12,
        zeros in 0usize..3,
    ) {
        let (name, scale) = unit;
        let numerator = numerator % (1 << shift);
        let text = format!("{}{}{name}", binary_fraction(whole, numerator, shift), "0".repeat(zeros));
        let scaled = u128::from(numerator) * scale;
        let denominator = 1u128 << shift;
        if scaled % denominator == 0 {
            let expected = u128::from(whole) * scale + scaled / denominator;
            prop_assert_eq!(parse_size(&text), Ok(expected as u64), "{}", text);
        } else {
            prop_assert_eq!(parse_size(&text), Err("not a whole number of bytes".to_string()), "{}", text);
        }
    }

    /// A whole number is itself inside the range and refused outside it, at any size.
    #[test]
    fn whole_numbers_keep_their_range(n in any::<u64>(), min in any::<u64>(), span in prop_oneof![0u64..1000, any::<u64>()]) {
        let max = min.saturating_add(span);
        let parse = whole_number::<u64>(min, max);
        let text = n.to_string();
        if (min..=max).contains(&n) {
            prop_assert_eq!(parse(&text), Ok(n));
        } else {
            one_line(&parse(&text).expect_err("out of range"))?;
        }
        // Narrower types refuse what does not fit them, inside the range or not.
        prop_assert_eq!(at_least::<u16>(0)(&text).ok(), u16::try_from(n).ok());
    }

    /// A list of counts gives each once, in first-seen order, when there are at most
    /// 64 distinct ones all from 1 to the maximum; anything else is refused.
    #[test]
    fn worker_count_lists(
        counts in prop::collection::vec(prop_oneof![4 => 1usize..=MAX_WORKERS, 1 => any::<usize>()], 1..80),
        spaces in any::<bool>(),
    ) {
        let separator = if spaces { " , " } else { "," };
        let text = counts.iter().map(usize::to_string).collect::<Vec<_>>().join(separator);
        let mut distinct = Vec::new();
        for &n in &counts {
            if !distinct.contains(&n) {
                distinct.push(n);
            }
        }
        let valid = counts.iter().all(|n| (1..=MAX_WORKERS).contains(n)) && distinct.len() <= MAX_WORKER_COUNTS;
        match worker_counts(MAX_WORKERS)(&text) {
            Ok(parsed) => {
                prop_assert!(valid, "{} accepted", text);
                prop_assert_eq!(parsed.0, distinct);
            }
            Err(e) => {
                prop_assert!(!valid, "{} refused: {}", text, e);
                one_line(&e)?;
            }
        }
    }

    /// `low..=high` and `low..high` give every count between, when that is 1 to 64
    /// counts within 1 to the maximum, the CLI's or any other; a huge or reversed
    /// range is refused, and never built (under `usize::MAX`, `1..=u64::MAX` would not
    /// fit in memory: this property would abort, not fail).
    #[test]
    fn worker_count_ranges(
        low in prop_oneof![3 => 0u64..=1100, 1 => any::<u64>()],
        high in prop_oneof![3 => 0u64..=1100, 1 => any::<u64>()],
        inclusive in any::<bool>(),
        max in prop_oneof![2 => Just(MAX_WORKERS as u64), 1 => 1..=u64::MAX],
    ) {
        let text = format!("{low}..{}{high}", if inclusive { "=" } else { "" });
        let last = if inclusive { Some(high) } else { high.checked_sub(1) };
        let expected: Option<Vec<usize>> = last
            .filter(|&last| low >= 1 && last >= low && last <= max)
            .filter(|&last| last - low < MAX_WORKER_COUNTS as u64)
            .map(|last| (low as usize..=last as usize).collect());
        match worker_counts(max as usize)(&text) {
            Ok(parsed) => prop_assert_eq!(Some(parsed.0), expected, "{}", text),
            Err(e) => {
                prop_assert_eq!(expected, None, "{} refused: {}", text, e);
                one_line(&e)?;
            }
        }
    }

    /// `IP:PORT` (v4 or [v6]), `:PORT`, `localhost:PORT` and `PORT` are that address.
    #[test]
    fn addresses_parse_exactly(
        ip in any::<IpAddr>(),
        port in any::<u16>(),
        form in 0..4u8,
        localhost in any_case("localhost"),
    ) {
        let loopback = SocketAddr::from(([127, 0, 0, 1], port));
        let (text, expected) = match form {
            0 => (SocketAddr::new(ip, port).to_string(), SocketAddr::new(ip, port)),
            1 => (format!(":{port}"), loopback),
            2 => (format!("{localhost}:{port}"), loopback),
            _ => (format!(" {port} "), loopback),
        };
        prop_assert_eq!(parse_addr(&text), Ok(expected), "{}", text);
    }
}

// ---------------------------------------------------------------------------------
// `--expect`.

/// Every spelling `--expect` takes for a model, with the model.
const MODEL_SPELLINGS: &[(&str, Model)] = &[
    ("sequential", Model::Sequential),
    ("seq", Model::Sequential),
    ("threads", Model::Threads),
    ("thread", Model::Threads),
    ("async", Model::Async),
    ("tokio", Model::Async),
    ("rayon", Model::Rayon),
    ("processes", Model::Processes),
    ("process", Model::Processes),
    ("multiprocess", Model::Processes),
    ("mp", Model::Processes),
    ("spawn", Model::Spawn),
    ("process-per-task", Model::Spawn),
    ("py-sequential", Model::PySequential),
    ("py-seq", Model::PySequential),
    ("py-threads", Model::PyThreads),
    ("py-asyncio", Model::PyAsyncio),
    ("py-async", Model::PyAsyncio),
    ("py-processes", Model::PyProcesses),
    ("py-mp", Model::PyProcesses),
];

const METRIC_SPELLINGS: &[(&str, Metric)] = &[
    ("speedup", Metric::Speedup),
    ("efficiency", Metric::Efficiency),
    ("median", Metric::Median),
    ("median_s", Metric::Median),
    ("rps", Metric::RequestsPerS),
    ("requests_per_s", Metric::RequestsPerS),
];

const OPS: &[(&str, Op)] = &[(">=", Op::Ge), (">", Op::Gt), ("<=", Op::Le), ("<", Op::Lt)];

const EXPECT_TOKENS: &[&str] = &[
    "cpu",
    "io",
    ".",
    "..",
    "processes",
    "mp",
    "rayon",
    "py-seq",
    "speedup",
    "efficiency",
    "median",
    "rps",
    ">=",
    ">",
    "<=",
    "<",
    "=",
    "==",
    "!=",
    "!",
    "=>",
    " ",
    "\t",
    "\n",
    "1.7",
    "-",
    "%",
    "ms",
    "s",
    "us",
    "µs",
    "e3",
    "inf",
    "NaN",
    "1e999",
    "ÉCU",
    "ǅ",
];

/// A figure with a random spelling of each part (random case, spaces around the
/// dots); the metric is given, the workload is io for requests per second and cpu
/// for efficiency.
fn figure_with(metric: (&'static str, Metric)) -> impl Strategy<Value = (String, Figure)> {
    let (metric_name, metric) = metric;
    let workload = match metric {
        Metric::RequestsPerS => Just((Workload::Io, "io")).boxed(),
        Metric::Efficiency => Just((Workload::Cpu, "cpu")).boxed(),
        _ => prop::sample::select(vec![(Workload::Cpu, "cpu"), (Workload::Io, "io")]).boxed(),
    };
    (
        workload,
        prop::sample::select(MODEL_SPELLINGS),
        prop::collection::vec(any::<bool>(), 40),
        "[ ]{0,1}",
    )
        .prop_map(move |((workload, w), (s, strategy), flips, space)| {
            let text = format!("{w}{space}.{space}{s}{space}.{space}{metric_name}");
            (
                flip_case(&text, &flips),
                Figure {
                    workload,
                    strategy,
                    metric,
                },
            )
        })
}

/// A valid `--expect` and what it must parse to.
fn expectation() -> impl Strategy<Value = (String, Figure, Op, Bound)> {
    prop::sample::select(METRIC_SPELLINGS)
        .prop_flat_map(|metric| {
            let units: Vec<(&str, f64)> = match metric.1 {
                Metric::Efficiency => vec![("", 1.0), ("%", 0.01)],
                Metric::Median => vec![
                    ("", 1.0),
                    ("s", 1.0),
                    ("ms", 1e-3),
                    ("us", 1e-6),
                    ("µs", 1e-6),
                ],
                _ => vec![("", 1.0)],
            };
            let bound = prop_oneof![
                (
                    finite(),
                    prop::sample::select(units),
                    "[ ]{0,1}",
                    any::<bool>()
                )
                    .prop_map(|(value, (unit, scale), space, exponent)| {
                        let number = if exponent && unit.is_empty() {
                            format!("{value:e}")
                        } else {
                            format!("{value}")
                        };
                        (
                            format!("{number}{space}{unit}"),
                            Bound::Value(value * scale),
                        )
                    }),
                figure_with(metric).prop_map(|(text, figure)| (text, Bound::Figure(figure))),
            ];
            (
                figure_with(metric),
                prop::sample::select(OPS),
                bound,
                "[ \t]{0,2}",
                "[ \t]{0,2}",
            )
        })
        .prop_map(
            |((left, figure), (op_text, op), (right, bound), before, after)| {
                (
                    format!("{before}{left}{before}{op_text}{after}{right}{after}"),
                    figure,
                    op,
                    bound,
                )
            },
        )
}

/// What every parsed expectation keeps: requests per second only on io, both sides
/// of one metric, a finite number, the text as typed (trimmed).
fn well_formed(e: &Expectation, text: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(e.text.as_str(), text.trim());
    let mut figures = vec![e.figure];
    match e.bound {
        Bound::Value(value) => prop_assert!(value.is_finite(), "{}", value),
        Bound::Figure(other) => {
            prop_assert_eq!(other.metric, e.figure.metric);
            figures.push(other);
        }
    }
    for figure in figures {
        if figure.metric == Metric::RequestsPerS {
            prop_assert_eq!(figure.workload, Workload::Io);
        }
        if figure.metric == Metric::Efficiency {
            prop_assert_eq!(figure.workload, Workload::Cpu);
        }
    }
    Ok(())
}

/// `e` written back with canonical names and a plain number.
fn canonical(e: &Expectation) -> String {
    let bound = match e.bound {
        Bound::Value(value) => format!("{value}"),
        Bound::Figure(other) => other.name(),
    };
    format!("{} {} {bound}", e.figure.name(), e.op.symbol())
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Any text is an expectation that keeps the invariants, or a one-line error.
    #[test]
    fn expect_parser_never_panics(text in untrusted(EXPECT_TOKENS)) {
        match expect::parse(&text) {
            Ok(e) => well_formed(&e, &text)?,
            Err(e) => one_line(&e)?,
        }
    }

    /// Every spelling of a valid expectation parses to the figure, comparison and
    /// bound it spells; written back with canonical names it parses the same again.
    #[test]
    fn valid_expectations_parse_and_round_trip((text, figure, op, bound) in expectation()) {
        let e = expect::parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
        well_formed(&e, &text)?;
        prop_assert_eq!(e.figure, figure, "{}", text);
        prop_assert_eq!(e.op, op);
        prop_assert_eq!(e.bound, bound, "{}", text);
        let again = expect::parse(&canonical(&e)).map_err(TestCaseError::fail)?;
        prop_assert_eq!((again.figure, again.op, again.bound), (e.figure, e.op, e.bound));
        prop_assert!(canonical(&e).contains(figure.strategy.name()));
    }

    /// A valid expectation with characters deleted, inserted or replaced parses to
    /// something well-formed or gives a one-line error.
    #[test]
    fn mutated_expectations_give_one_line_errors(
        (text, ..) in expectation(),
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), 0..3u8, prop::sample::select(EXPECT_TOKENS)),
            1..4,
        ),
    ) {
        let mut chars: Vec<char> = text.chars().collect();
        for (at, kind, token) in edits {
            let at = at.index(chars.len() + 1);
            match kind {
                0 if at < chars.len() => { chars.remove(at); }
                1 if at < chars.len() => { chars.splice(at..=at, token.chars()); }
                _ => { chars.splice(at..at, token.chars()); }
            }
        }
        let text: String = chars.into_iter().collect();
        match expect::parse(&text) {
            Ok(e) => well_formed(&e, &text)?,
            Err(e) => one_line(&e)?,
        }
    }
}
