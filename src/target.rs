//! The built-in I/O target as a child process: started before the I/O job, stopped
//! after it, on every path.
//!
//! The server runs as `concbench serve` in its own process, so the CPU it spends
//! answering is never counted against the model being measured (each run's CPU time
//! is read from the kernel per process tree), and it is started once for all runs so
//! every model meets the same warm server.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};

use crate::server::ServerSettings;

/// A running `concbench serve`; dropping it stops the server and reaps it.
pub(crate) struct TargetServer {
    child: Child,
    /// `http://127.0.0.1:PORT/`, as the server printed it.
    pub url: String,
}

impl TargetServer {
    /// Starts the server on 127.0.0.1, port 0, and waits for its address.
    pub(crate) fn start(settings: ServerSettings) -> anyhow::Result<TargetServer> {
        let exe = std::env::current_exe().context("finding concbench's own executable")?;
        let mut child = Command::new(exe)
            .args(["serve", "--addr", "127.0.0.1:0", "--exit-with-parent"])
            .arg("--latency")
            .arg(format!("{}ns", settings.latency.as_nanos()))
            .arg("--body-bytes")
            .arg(settings.body_bytes.to_string())
            .arg("--idle-timeout")
            .arg(format!("{}ns", settings.idle_timeout.as_nanos()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the built-in target server")?;
        let stdout = child.stdout.take().expect("stdout is piped");
        // From here on, `server` owns the child: any early return stops it.
        let mut server = TargetServer {
            child,
            url: String::new(),
        };
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .context("reading the built-in target's address")?;
        let url = line.trim();
        if !url.starts_with("http://") {
            bail!("the built-in target server did not start (it printed {url:?})");
        }
        server.url = url.to_string();
        Ok(server)
    }

    /// `count` distinct URLs on the server: `/0`, `/1`, …
    pub(crate) fn urls(&self, count: u32) -> Vec<String> {
        let base = self.url.trim_end_matches('/');
        (0..count).map(|i| format!("{base}{}", path(i))).collect()
    }

    /// The CRC-32 of the body the server sends for each of [`TargetServer::urls`]:
    /// each path's own body (see [`crate::server::Bodies::for_path`]).
    pub(crate) fn expected_digests(&self, count: u32, body_bytes: usize) -> Vec<u32> {
        let bodies = crate::server::Bodies::new(body_bytes);
        (0..count)
            .map(|i| bodies.for_path(&path(i)).crc32())
            .collect()
    }
}

/// The path of request `i`.
fn path(i: u32) -> String {
    format!("/{i}")
}

impl Drop for TargetServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
