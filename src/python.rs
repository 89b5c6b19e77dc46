//! The Python side of a run (`--python`): the classic CPython versions, measured by
//! the same engine as the Rust models.
//!
//! The models themselves are concbench's own scripts, in the repository's `python/`
//! folder (`python/concbench_py.py` and the `cbpy` package beside it). For each
//! measured run of a `py-*` model the executor starts the interpreter on that script
//! instead of `concbench measure-run`: it writes the same [`RunSpec`] line and reads
//! the same [`RunSample`] line, with a [`PythonInfo`] added. Everything else is
//! shared: interleaving, the timed region (the script times from before its pool or
//! session to after teardown and reports interpreter start-up apart), CPU time from
//! `wait4`, memory summed over the interpreter and its pool workers, and the same
//! checksums and body digests.
//!
//! This module owns finding the interpreter and the scripts, and checking both once,
//! before anything runs.
//!
//! [`RunSpec`]: crate::worker::protocol::RunSpec
//! [`RunSample`]: crate::worker::protocol::RunSample

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// The oldest Python the scripts support.
pub const MIN_VERSION: (u32, u32) = (3, 9);

/// Overrides where the scripts are found (a folder holding `concbench_py.py`).
pub const DIR_VARIABLE: &str = "CONCBENCH_PYTHON_DIR";

/// What a Python run says about itself; kept in the report's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PythonInfo {
    pub version: String,
    pub implementation: String,
    /// `sys._is_gil_enabled()` where it exists (free-threaded builds), else true.
    pub gil: bool,
    /// The HTTP library of the I/O job: requests, http.client, aiohttp or
    /// asyncio-streams; `null` for the CPU job.
    pub http: Option<String>,
    /// Interpreter start-up before the model's clock starts: reading the spec and
    /// importing the model and its HTTP library. Not part of `wall_s`.
    pub startup_s: f64,
}

/// The interpreter a run will use, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interpreter {
    /// As given (`--python`).
    pub command: String,
    /// The interpreter itself (`sys.executable`), past any shim such as pyenv's,
    /// which would add its own start-up to every run.
    pub executable: PathBuf,
    /// `python/concbench_py.py`.
    pub script: PathBuf,
    pub version: String,
    pub gil: bool,
    /// The clients it will use: `requests` or `http.client`; `aiohttp` or
    /// `asyncio-streams`.
    pub http_blocking: String,
    pub http_async: String,
}

/// What `concbench_py.py --version-info` prints.
#[derive(Debug, Deserialize)]
struct VersionInfo {
    version: String,
    gil: bool,
    http_blocking: String,
    http_async: String,
    executable: PathBuf,
}

/// Finds the scripts and checks `command` can run them: exists, is Python 3.9 or
/// newer. Every failure is one line naming the interpreter and why.
pub fn find(command: &str) -> anyhow::Result<Interpreter> {
    let script = script()?;
    let output = Command::new(command)
        .arg(&script)
        .arg("--version-info")
        .output()
        .with_context(|| {
            format!("cannot run the Python interpreter '{command}' (--python PATH names another)")
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("it printed nothing")
            .trim()
            .trim_start_matches("error: ");
        bail!("the Python interpreter '{command}' cannot run concbench's scripts: {reason}");
    }
    let info: VersionInfo = serde_json::from_slice(&output.stdout).with_context(|| {
        format!("the Python interpreter '{command}' answered --version-info with no JSON")
    })?;
    if version_tuple(&info.version).is_none_or(|v| v < MIN_VERSION) {
        bail!(
            "the Python interpreter '{command}' is {}; concbench's scripts need {}.{} or newer",
            info.version,
            MIN_VERSION.0,
            MIN_VERSION.1
        );
    }
    Ok(Interpreter {
        command: command.to_string(),
        executable: info.executable,
        script,
        version: info.version,
        gil: info.gil,
        http_blocking: info.http_blocking,
        http_async: info.http_async,
    })
}

/// `python/concbench_py.py`: under `$CONCBENCH_PYTHON_DIR`, or in the repository
/// concbench was built from.
fn script() -> anyhow::Result<PathBuf> {
    let dir = match std::env::var_os(DIR_VARIABLE) {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("python"),
    };
    let script = dir.join("concbench_py.py");
    if !script.is_file() {
        bail!(
            "cannot find concbench's Python scripts at {} (set {DIR_VARIABLE} to the \
             repository's python/ folder)",
            script.display()
        );
    }
    Ok(script)
}

/// `3.11.7` → (3, 11).
fn version_tuple(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts
        .next()?
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_major_and_minor() {
        assert_eq!(version_tuple("3.11.7"), Some((3, 11)));
        assert_eq!(version_tuple("3.13t"), Some((3, 13)));
        assert_eq!(version_tuple("2.7.18"), Some((2, 7)));
        assert!(version_tuple("3.8.1").is_some_and(|v| v < MIN_VERSION));
        assert_eq!(version_tuple("garbage"), None);
    }

    #[test]
    fn a_missing_interpreter_is_one_line() {
        let error = find("/nonexistent/python9").unwrap_err();
        let message = format!("{error:#}");
        assert!(
            message.starts_with("cannot run the Python interpreter '/nonexistent/python9'"),
            "{message}"
        );
        assert_eq!(message.lines().count(), 1);
    }
}
