//! Error kinds that decide the exit status, and the exit codes themselves.
//!
//! Everything fallible in concbench returns [`anyhow::Result`]; the few errors a caller
//! has to tell apart carry one of the types below somewhere in their chain, and
//! [`exit_code`] maps a finished run to the number the shell sees. Keeping the numbers
//! here means a CI script can rely on them (see the README, *Exit codes*).
//!
//! A closed stdout pipe is not an error, but it must not decide the exit code either:
//! [`UntilClosed`] is the writer that lets printing end quietly while the verdict
//! stands.

use std::fmt;
use std::io::{self, Write};

/// The named exit codes. They are part of the command-line contract.
pub mod code {
    /// Everything ran and every check passed.
    pub const SUCCESS: i32 = 0;
    /// Something failed: a run, a file, a request (unless `--allow-failures`), a checksum.
    pub const FAILURE: i32 = 1;
    /// The command line was wrong; nothing was run.
    pub const USAGE: i32 = 2;
    /// A comparison with a baseline or an `--expect` found a regression.
    pub const REGRESSION: i32 = 3;
}

/// A bad command line: a value out of range, an unknown name, flags that contradict
/// each other. Found before anything runs; exits with [`code::USAGE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Shorthand for returning a [`UsageError`] as an [`anyhow::Error`].
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// What someone typed, quoted for an error message: `'text'`, written with
/// [`one_line`].
pub fn quote(text: &str) -> String {
    format!("'{}'", one_line(text))
}

/// `text` with its control characters (a newline, a carriage return, an escape)
/// written as escapes (`\n`), so that a message quoting it stays one line and prints
/// nothing but text.
pub fn one_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    line
}

/// The run finished and its results were reported, but a gate failed: a model got
/// slower than its baseline, or an `--expect` did not hold. Exits with
/// [`code::REGRESSION`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegressionFound(pub String);

impl fmt::Display for RegressionFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RegressionFound {}

/// The exit code for an error, by the first typed error found in its chain.
pub fn exit_code(error: &anyhow::Error) -> i32 {
    for cause in error.chain() {
        if cause.is::<UsageError>() {
            return code::USAGE;
        }
        if cause.is::<RegressionFound>() {
            return code::REGRESSION;
        }
    }
    code::FAILURE
}

/// Whoever read our stdout went away (`concbench completions bash | head -1`): the
/// one broken pipe that is no failure, so `main` exits 0 on it, saying nothing.
///
/// Only what writes to stdout alone may say so ([`on_stdout`]): a broken pipe
/// anywhere else — a run writing to a pool worker that died — stays the error it is,
/// with its message, and exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StdoutClosed;

impl fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stdout was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// For an error of something that writes to no pipe but stdout: a broken pipe in it
/// becomes [`StdoutClosed`]; any other error is returned as it is.
pub fn on_stdout(error: anyhow::Error) -> anyhow::Error {
    if is_broken_pipe(&error) {
        StdoutClosed.into()
    } else {
        error
    }
}

/// True when the error is that our stdout was closed ([`StdoutClosed`]), which is
/// not a failure.
pub fn is_stdout_closed(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.is::<StdoutClosed>())
}

/// True when some cause in the chain is a broken pipe, whichever pipe it was.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A writer that stops, quietly, once whoever reads it has gone away
/// (`concbench cpu | head -1`): the write that meets the broken pipe, and every one
/// after it, succeeds without writing. Any other error comes back as it came.
///
/// For printing only. A closed pipe must end the printing, never the run's saving
/// or its verdict: so callers save and judge first, print through this, and return
/// the verdict whatever became of the printing.
pub struct UntilClosed<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> UntilClosed<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            closed: false,
        }
    }

    /// The reader went away: nothing more is written.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// `Ok` in place of a broken pipe, which closes this writer.
    fn unless_closed<T>(&mut self, result: io::Result<T>, instead: T) -> io::Result<T> {
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(instead)
            }
            other => other,
        }
    }
}

impl<W: Write> Write for UntilClosed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let written = self.inner.write(buf);
        self.unless_closed(written, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let flushed = self.inner.flush();
        self.unless_closed(flushed, ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn typed_errors_map_to_their_codes_through_context() {
        let e = Err::<(), _>(usage("--workers must be at least 1"))
            .context("reading the command line")
            .unwrap_err();
        assert_eq!(exit_code(&e), code::USAGE);
        let e = anyhow::Error::new(RegressionFound("slower".into()));
        assert_eq!(exit_code(&e), code::REGRESSION);
        assert_eq!(exit_code(&anyhow::anyhow!("boom")), code::FAILURE);
    }

    #[test]
    fn quoted_text_is_one_line_of_text() {
        assert_eq!(quote("cpu.rayon"), "'cpu.rayon'");
        assert_eq!(quote("a\nb\r\tc\u{1b}[31m"), "'a\\nb\\r\\tc\\u{1b}[31m'");
        assert_eq!(quote("µs é"), "'µs é'");
        assert_eq!(
            one_line("unknown variant `a\nb`"),
            "unknown variant `a\\nb`"
        );
    }

    /// A pipe that takes `room` bytes, then breaks (or fails otherwise).
    struct Pipe {
        taken: Vec<u8>,
        room: usize,
        then: io::ErrorKind,
    }

    impl Write for Pipe {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.taken.len() >= self.room {
                return Err(self.then.into());
            }
            let n = buf.len().min(self.room - self.taken.len());
            self.taken.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn printing_ends_quietly_at_a_closed_pipe_and_only_there() {
        let mut pipe = Pipe {
            taken: Vec::new(),
            room: 4,
            then: io::ErrorKind::BrokenPipe,
        };
        let mut out = UntilClosed::new(&mut pipe);
        writeln!(out, "first line").unwrap();
        assert!(out.is_closed());
        writeln!(out, "second line").unwrap();
        out.flush().unwrap();
        assert_eq!(pipe.taken, b"firs");

        let mut full = Pipe {
            taken: Vec::new(),
            room: 4,
            then: io::ErrorKind::StorageFull,
        };
        let mut out = UntilClosed::new(&mut full);
        let error = writeln!(out, "first line").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
        assert!(!out.is_closed());
    }

    #[test]
    fn broken_pipe_is_recognised_anywhere_in_the_chain() {
        let io = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "closed");
        let e = Err::<(), _>(io).context("writing the table").unwrap_err();
        assert!(is_broken_pipe(&e));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }

    /// Only a broken pipe marked as stdout's is quiet: one to a pool worker is an
    /// error that says so.
    #[test]
    fn only_stdout_closing_is_quiet() {
        let broken = || std::io::Error::new(std::io::ErrorKind::BrokenPipe, "Broken pipe");
        let to_worker = Err::<(), _>(broken())
            .context("writing to pool worker 0")
            .unwrap_err();
        assert!(!is_stdout_closed(&to_worker));
        assert_eq!(exit_code(&to_worker), code::FAILURE);

        let printing = on_stdout(anyhow::Error::new(broken()).context("printing the URL"));
        assert!(is_stdout_closed(&printing));
        let later = Err::<(), _>(printing).context("serving").unwrap_err();
        assert!(is_stdout_closed(&later));

        let other = on_stdout(anyhow::anyhow!("disk full"));
        assert!(!is_stdout_closed(&other));
        assert_eq!(other.to_string(), "disk full");
    }
}
