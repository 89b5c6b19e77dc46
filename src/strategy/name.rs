//! [`Strategy`]: the name of each concurrency model, apart from the models themselves.
//!
//! A leaf, so that what only names a model (the worker protocol, reports, flags)
//! need not reach the implementations, which themselves use the worker protocol.
//! [`Strategy::model`] is implemented beside the models, in [`crate::strategy`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// The name of a model, as typed on the command line and stored in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    Sequential,
    Threads,
    Async,
    Rayon,
    Processes,
    Spawn,
    /// The classic CPython versions, run by `python/concbench_py.py` (`--python`).
    #[serde(rename = "py-sequential")]
    PySequential,
    #[serde(rename = "py-threads")]
    PyThreads,
    #[serde(rename = "py-asyncio")]
    PyAsyncio,
    #[serde(rename = "py-processes")]
    PyProcesses,
}

impl Strategy {
    /// The CPython models `--python` adds, in table order.
    pub const PYTHON: [Strategy; 4] = [
        Strategy::PySequential,
        Strategy::PyThreads,
        Strategy::PyAsyncio,
        Strategy::PyProcesses,
    ];

    /// Every Rust model (what `--strategy all` means), in the order tables list them.
    pub const ALL: [Strategy; 6] = [
        Strategy::Sequential,
        Strategy::Threads,
        Strategy::Async,
        Strategy::Rayon,
        Strategy::Processes,
        Strategy::Spawn,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Sequential => "sequential",
            Strategy::Threads => "threads",
            Strategy::Async => "async",
            Strategy::Rayon => "rayon",
            Strategy::Processes => "processes",
            Strategy::Spawn => "spawn",
            Strategy::PySequential => "py-sequential",
            Strategy::PyThreads => "py-threads",
            Strategy::PyAsyncio => "py-asyncio",
            Strategy::PyProcesses => "py-processes",
        }
    }

    /// Runs in the Python interpreter, not in concbench.
    pub fn is_python(self) -> bool {
        Strategy::PYTHON.contains(&self)
    }

    /// The model every speedup of this one is against: sequential for Rust,
    /// py-sequential for Python.
    pub fn baseline(self) -> Strategy {
        if self.is_python() {
            Strategy::PySequential
        } else {
            Strategy::Sequential
        }
    }

    /// One worker, whatever `--workers` says: sequential and py-sequential, and
    /// py-asyncio (one thread, one event loop).
    pub fn single(self) -> bool {
        matches!(
            self,
            Strategy::Sequential | Strategy::PySequential | Strategy::PyAsyncio
        )
    }

    /// Holds N waiting tasks at once, one unit of concurrency each (the tasks job):
    /// a thread, a tokio task or a process per task; in CPython a `threading.Thread`
    /// or an asyncio task per task. Sequential, rayon and the pre-forked pools queue
    /// items on a fixed set of workers instead.
    pub fn holds_tasks(self) -> bool {
        matches!(
            self,
            Strategy::Threads
                | Strategy::Async
                | Strategy::Spawn
                | Strategy::PyThreads
                | Strategy::PyAsyncio
        )
    }

    /// Parses a name or one of its aliases (`multiprocess`, `mp`, `tokio`, `seq`).
    pub fn parse(name: &str) -> Option<Strategy> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "sequential" | "seq" => Strategy::Sequential,
            "threads" | "thread" => Strategy::Threads,
            "async" | "tokio" => Strategy::Async,
            "rayon" => Strategy::Rayon,
            "processes" | "process" | "multiprocess" | "mp" => Strategy::Processes,
            "spawn" | "process-per-task" => Strategy::Spawn,
            "py-sequential" | "py-seq" => Strategy::PySequential,
            "py-threads" => Strategy::PyThreads,
            "py-asyncio" | "py-async" => Strategy::PyAsyncio,
            "py-processes" | "py-mp" => Strategy::PyProcesses,
            _ => return None,
        })
    }

    /// Sequential always runs one worker, whatever `--workers` says (see
    /// [`Strategy::single`]).
    pub fn workers(self, requested: usize) -> usize {
        if self.single() { 1 } else { requested }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
