//! The child side of concbench's two kinds of child process, and the pipe protocol
//! between parent and child.
//!
//! - [`protocol`]: the messages and their framing (newline-delimited JSON).
//! - [`pool`]: `concbench worker`, a process-pool worker fed tasks on stdin.
//! - [`measure`]: `concbench measure-run`, one measured run in a fresh process.

pub mod measure;
pub mod pool;
pub mod protocol;
