//! The pipe protocol: every message concbench sends to or receives from a child.
//!
//! One message is one line of JSON (`serde_json`, no embedded newlines), so a stream is
//! easy to read in a debugger and a torn message can only be the last line. Two
//! conversations use it:
//!
//! - **process pool** (`concbench worker`): parent sends [`Request::Init`], the
//!   worker answers [`Response::Ready`]; then any number of [`Request::Task`] each
//!   answered by one [`Response::Done`] (or [`Response::Failed`]) carrying the same id;
//!   finally [`Request::Shutdown`], answered by [`Response::Bye`] with the worker's own
//!   census (threads, peak memory), after which the worker exits 0. At end of input
//!   a worker exits 0 without a word.
//! - **measured run** (`concbench measure-run`): parent writes one [`RunSpec`] and
//!   closes stdin; the child writes one [`RunSample`] and exits 0.

use std::io::{BufRead, Write};

use anyhow::Context;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::census::{ProcessCensus, RunCensus};
use crate::error::{one_line, quote};
use crate::strategy::name::Strategy;
use crate::workload::cpu::Kernel;
use crate::workload::io::{ClientSettings, Fetch};
use crate::workload::{Job, Outputs};

/// What a pool worker sets up once, before its first task (the "initializer").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkerInit {
    /// Nothing to set up.
    Cpu,
    /// Build one blocking HTTP client, reused for every fetch of this worker.
    Io(ClientSettings),
}

/// One unit of work for a pool worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Cpu { kernel: Kernel, n: u64 },
    Fetch { url: String },
}

/// The result of one [`Task`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskOutput {
    Cpu(u128),
    Fetch(Fetch),
}

/// Parent to pool worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Request {
    Init { init: WorkerInit },
    Task { id: u64, task: Task },
    Shutdown,
}

/// Pool worker to parent. (Externally tagged, unlike a `tag = "type"` enum, because
/// serde cannot buffer a u128 through an internally tagged enum.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Response {
    Ready,
    Done {
        id: u64,
        output: TaskOutput,
    },
    Failed {
        message: String,
    },
    /// The answer to [`Request::Shutdown`]: what this worker used, read just before
    /// it exits.
    Bye {
        census: ProcessCensus,
    },
}

/// Parent to measured-run child: run this model on this job once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSpec {
    pub strategy: Strategy,
    pub workers: usize,
    pub job: Job,
}

/// Measured-run child to parent: what the run did and how long it took, measured
/// inside the child around the model alone (process start-up is not in it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSample {
    /// The model's set-up plus its work plus its teardown.
    pub wall_s: f64,
    /// The model's set-up alone: spawning threads, building the runtime, starting the
    /// pool (included in `wall_s`).
    pub setup_s: f64,
    /// CPU seconds over the same span as `wall_s`, of the run process and every
    /// process it started; `None` from a run that does not measure it, whose CPU is
    /// then the whole process's, from `wait4`.
    #[serde(default)]
    pub cpu_s: Option<f64>,
    pub outputs: Outputs,
    /// The run process and each of its worker processes, as each read itself.
    pub census: RunCensus,
    /// What a Python run says about its interpreter; `None` from concbench's own.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub python: Option<crate::python::PythonInfo>,
}

/// Writes one message as one line and flushes it.
pub fn write_message<W: Write, T: Serialize>(writer: &mut W, message: &T) -> anyhow::Result<()> {
    let mut line = Vec::with_capacity(128);
    encode(&mut line, message)?;
    writer.write_all(&line)?;
    writer.flush()?;
    Ok(())
}

/// Appends one message, as one line, to `buffer`: several can then go out in one
/// `write`, which on a pipe is one system call instead of one per JSON token.
pub fn encode<T: Serialize>(buffer: &mut Vec<u8>, message: &T) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *buffer, message).context("encoding a message")?;
    buffer.push(b'\n');
    Ok(())
}

/// The longest message a run's process or a pool worker reads, in bytes: a run's
/// spec or its sample, the largest messages (a sample holds about 150 bytes per
/// request, and `--requests` goes up to a million). Anything longer is a broken
/// peer, refused before it is held in memory.
pub const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// The longest message the parent takes from a pool or task worker, in bytes. A
/// worker's message is one task's result (a number, or one request's outcome: about
/// 150 bytes) or its census, so this limit is far below [`MAX_MESSAGE_BYTES`]: the
/// parent reads from every worker at once, and 64 broken workers at that limit
/// would hold 16 GiB.
pub const MAX_WORKER_MESSAGE_BYTES: usize = 1 << 20;

/// Reads the next message; `Ok(None)` at a clean end of input. A line longer than
/// [`MAX_MESSAGE_BYTES`] is an error, read no further.
pub fn read_message<R: BufRead, T: DeserializeOwned>(
    reader: &mut R,
    line: &mut String,
) -> anyhow::Result<Option<T>> {
    line.clear();
    let limit = MAX_MESSAGE_BYTES as u64 + 1;
    if std::io::Read::take(&mut *reader, limit).read_line(line)? == 0 {
        return Ok(None);
    }
    if line.len() > MAX_MESSAGE_BYTES {
        return Err(TooLong(MAX_MESSAGE_BYTES).into());
    }
    Ok(Some(decode(line.as_bytes())?))
}

/// One line, its newline included or not, as a message. Every reader of the protocol
/// decodes through here, so a malformed message reads the same from every pipe.
pub fn decode<T: DeserializeOwned>(line: &[u8]) -> Result<T, Malformed> {
    let json = line.trim_ascii_end();
    serde_json::from_slice(json).map_err(|e| {
        // serde's message may quote a string of the JSON, decoded: "\n" is a newline.
        let text = String::from_utf8_lossy(json);
        let start: String = text.chars().take(120).collect();
        Malformed(format!("{}: {}", quote(&start), one_line(&e.to_string())))
    })
}

/// A line that is not a message: its start, quoted on one line, and serde's reason.
#[derive(Debug)]
pub struct Malformed(String);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed message: {}", self.0)
    }
}

impl std::error::Error for Malformed {}

/// A message longer than the reader's limit, refused before it was read whole.
#[derive(Debug)]
pub struct TooLong(pub usize);

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "message longer than {} bytes", self.0)
    }
}

impl std::error::Error for TooLong {}

/// Messages from a stream read in pieces, as they arrive (the parent reads each
/// worker's pipe whenever `poll` says it is readable). Each piece is scanned for
/// newlines once, so a long line costs its length and no more.
#[derive(Debug)]
pub struct Lines {
    pending: Vec<u8>,
    /// Bytes of `pending` already known to hold no newline.
    scanned: usize,
    limit: usize,
}

impl Lines {
    /// Lines of at most `limit` bytes, their newline not counted.
    pub fn new(limit: usize) -> Lines {
        Lines {
            pending: Vec::new(),
            scanned: 0,
            limit,
        }
    }

    /// Adds what was just read.
    pub fn extend(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    /// The next whole message, if one has arrived. A line over the limit is an
    /// error as soon as the limit is passed, whether or not its end has arrived.
    pub fn next_message<T: DeserializeOwned>(&mut self) -> anyhow::Result<Option<T>> {
        let found = self.pending[self.scanned..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|at| self.scanned + at);
        let Some(end) = found else {
            self.scanned = self.pending.len();
            if self.pending.len() > self.limit {
                return Err(TooLong(self.limit).into());
            }
            return Ok(None);
        };
        if end > self.limit {
            return Err(TooLong(self.limit).into());
        }
        let message = decode(&self.pending[..end]);
        self.pending.drain(..=end);
        self.scanned = 0;
        Ok(Some(message?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::CpuJob;
    use crate::workload::io::FailureKind;
    use std::time::Duration;

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(messages: &[T]) {
        let mut wire = Vec::new();
        for message in messages {
            write_message(&mut wire, message).unwrap();
        }
        assert_eq!(wire.iter().filter(|&&b| b == b'\n').count(), messages.len());
        let mut reader = std::io::Cursor::new(wire);
        let mut line = String::new();
        for message in messages {
            let back: T = read_message(&mut reader, &mut line).unwrap().unwrap();
            assert_eq!(&back, message);
        }
        assert!(
            read_message::<_, T>(&mut reader, &mut line)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn requests_round_trip() {
        let settings = ClientSettings {
            timeout: Duration::from_millis(1500),
            max_body_bytes: 4096,
            no_proxy: true,
            resolved: {
                let mut resolved = crate::workload::resolve::Resolved::default();
                resolved.insert("site.invalid", vec!["::1".parse().unwrap()]);
                resolved
            },
        };
        round_trip(&[
            Request::Init {
                init: WorkerInit::Cpu,
            },
            Request::Init {
                init: WorkerInit::Io(settings),
            },
            Request::Task {
                id: 0,
                task: Task::Cpu {
                    kernel: Kernel::Squares,
                    n: u64::MAX,
                },
            },
            Request::Task {
                id: 7,
                task: Task::Fetch {
                    url: "http://127.0.0.1:1/\n".into(),
                },
            },
            Request::Shutdown,
        ]);
    }

    #[test]
    fn responses_round_trip_with_full_u128() {
        let fetch = Fetch {
            bytes: 10_240,
            latency_s: 0.051,
            started_s: 12_345.678_901_234,
            digest: Some(u32::MAX),
            failure: Some(FailureKind::Status),
        };
        round_trip(&[
            Response::Ready,
            Response::Done {
                id: 3,
                output: TaskOutput::Cpu(u128::MAX),
            },
            Response::Done {
                id: 4,
                output: TaskOutput::Fetch(fetch),
            },
            Response::Failed {
                message: "no such kernel".into(),
            },
            Response::Bye {
                census: ProcessCensus {
                    threads: 1,
                    threads_started: Some(0),
                    kernel_cpu_ns: 7,
                    peak_rss_bytes: 3 << 20,
                    pss_bytes: Some(3 << 19),
                },
            },
        ]);
    }

    #[test]
    fn run_messages_round_trip() {
        let spec = RunSpec {
            strategy: Strategy::Processes,
            workers: 2,
            job: Job::Cpu(CpuJob {
                kernel: Kernel::Fib,
                numbers: vec![35, 35],
            }),
        };
        round_trip(&[spec]);
        let sample = RunSample {
            wall_s: 1.25,
            setup_s: 0.002,
            cpu_s: Some(2.5),
            outputs: Outputs::Cpu(vec![1, u128::MAX]),
            census: RunCensus {
                processes: vec![ProcessCensus {
                    threads: 3,
                    threads_started: Some(2),
                    kernel_cpu_ns: 1_250_000_000,
                    peak_rss_bytes: 5 << 20,
                    pss_bytes: Some(5 << 19),
                }],
                workers_at_once: Some(2),
            },
            python: None,
        };
        round_trip(&[sample]);
    }

    #[test]
    fn an_endless_line_is_refused_at_the_limit() {
        let mut endless = std::io::BufReader::new(std::io::repeat(b'x'));
        let mut line = String::new();
        let err = read_message::<_, Request>(&mut endless, &mut line).unwrap_err();
        assert!(format!("{err:#}").contains("longer than"), "{err:#}");
        assert!(line.len() <= MAX_MESSAGE_BYTES + 1);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut reader = std::io::Cursor::new(b"{\"bogus\":{}}\n".to_vec());
        let mut line = String::new();
        let err = read_message::<_, Request>(&mut reader, &mut line).unwrap_err();
        assert!(format!("{err:#}").contains("malformed message"));
    }

    /// Found by tests/properties.rs: a carriage return in a malformed line, or a
    /// "\n" in one of its strings (which serde's message quotes decoded), made the
    /// error two lines.
    #[test]
    fn a_malformed_line_is_quoted_on_one_line() {
        let mut reader = std::io::Cursor::new(b"\r\"task\"{\x1b[2J\n".to_vec());
        let mut line = String::new();
        let err = read_message::<_, Request>(&mut reader, &mut line).unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.starts_with("malformed message: '\\r\"task\"{\\u{1b}[2J': "),
            "{message}"
        );
        let mut escaped = std::io::Cursor::new(b"\"shutdo\\n\"\n".to_vec());
        let err = read_message::<_, Request>(&mut escaped, &mut line).unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown variant `shutdo\\n`"),
            "{err:#}"
        );
        let mut long = std::io::Cursor::new(format!("{}\n", "é".repeat(500)).into_bytes());
        let err = read_message::<_, Request>(&mut long, &mut line).unwrap_err();
        assert!(format!("{err:#}").contains(&format!("'{}'", "é".repeat(120))));
    }

    /// The parent's reader and `read_message` are one decoder: the same message from
    /// either, and the same error for the same bad line.
    #[test]
    fn lines_read_in_pieces_decode_as_read_message_does() {
        let mut wire = Vec::new();
        encode(&mut wire, &Response::Ready).unwrap();
        encode(
            &mut wire,
            &Response::Failed {
                message: "x".into(),
            },
        )
        .unwrap();
        wire.extend_from_slice(b"{\"bogus\":1}\n");
        let mut lines = Lines::new(MAX_WORKER_MESSAGE_BYTES);
        let mut got: Vec<Response> = Vec::new();
        let mut error = None;
        // One byte at a time: every message is torn somewhere.
        for byte in &wire {
            lines.extend(std::slice::from_ref(byte));
            match lines.next_message::<Response>() {
                Ok(Some(message)) => got.push(message),
                Ok(None) => {}
                Err(e) => error = Some(format!("{e:#}")),
            }
        }
        assert_eq!(
            got,
            [
                Response::Ready,
                Response::Failed {
                    message: "x".into()
                }
            ]
        );
        let from_reader =
            read_message::<_, Response>(&mut &b"{\"bogus\":1}\n"[..], &mut String::new())
                .unwrap_err();
        assert_eq!(error.unwrap(), format!("{from_reader:#}"));
    }

    #[test]
    fn lines_refuse_a_line_over_the_limit_whether_or_not_it_has_ended() {
        let mut endless = Lines::new(16);
        endless.extend(&[b'x'; 16]);
        assert!(endless.next_message::<Response>().unwrap().is_none());
        endless.extend(b"x");
        let err = endless.next_message::<Response>().unwrap_err();
        assert_eq!(format!("{err:#}"), "message longer than 16 bytes");
        let mut ended = Lines::new(16);
        ended.extend(&[b' '; 17]);
        ended.extend(b"\n");
        assert!(ended.next_message::<Response>().is_err());
        let mut fits = Lines::new(16);
        fits.extend(b"   \"ready\"     \n");
        assert_eq!(
            fits.next_message::<Response>().unwrap(),
            Some(Response::Ready)
        );
    }
}
